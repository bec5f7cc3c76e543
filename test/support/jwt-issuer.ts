import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { exportJWK, generateKeyPair, SignJWT } from "jose";

export const TEST_ISSUER = "https://issuer.test";

/** A throw-away JWT issuer: an ES256 key, its JWKS file, and tokens it signs. */
export interface TestIssuer {
  /** The JWKS file for the policy's jwt.jwks_file. */
  readonly jwksFile: string;
  /** A token for `claims`, issued by TEST_ISSUER for audience "presignd" (or `aud`), expiring in `exp` (5m). */
  token(claims: Record<string, unknown>, options?: { exp?: string; aud?: string }): Promise<string>;
  /** A token whose claims are set verbatim, types included (iss, aud and exp default as above). */
  rawToken(claims: Record<string, unknown>): Promise<string>;
}

export async function createTestIssuer(dir: string): Promise<TestIssuer> {
  const pair = await generateKeyPair("ES256");
  const jwksFile = join(dir, "jwks.json");
  await writeFile(
    jwksFile,
    JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "ES256" }] }),
  );
  return {
    jwksFile,
    token: (claims, options = {}) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: "ES256", kid: "k1" })
        .setIssuer(TEST_ISSUER)
        .setAudience(options.aud ?? "presignd")
        .setIssuedAt()
        .setExpirationTime(options.exp ?? "5m")
        .sign(pair.privateKey),
    rawToken: (claims) =>
      new SignJWT({ iss: TEST_ISSUER, aud: "presignd", exp: Math.floor(Date.now() / 1000) + 300, ...claims })
        .setProtectedHeader({ alg: "ES256", kid: "k1" })
        .sign(pair.privateKey),
  };
}
