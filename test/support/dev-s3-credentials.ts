import { DEV_CREDENTIALS } from "../../src/server/s3/dev-s3.js";

/**
 * Puts the embedded S3's credentials into AWS_ACCESS_KEY_ID and
 * AWS_SECRET_ACCESS_KEY, for a non-dev instance that signs for another
 * server's embedded S3 with the SDK's chain, as in production; the function
 * returned puts back what was there.
 */
export function useDevS3Credentials(): () => void {
  const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
  process.env.AWS_ACCESS_KEY_ID = DEV_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = DEV_CREDENTIALS.secretAccessKey;
  return () => {
    for (const [name, value] of [
      ["AWS_ACCESS_KEY_ID", saved.id],
      ["AWS_SECRET_ACCESS_KEY", saved.secret],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}
