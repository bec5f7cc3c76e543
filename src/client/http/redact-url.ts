const SECRET_PARAMS = new Set(["x-amz-signature", "x-amz-credential", "x-amz-security-token"]);

/**
 * A presigned URL safe to log: the signature, credential and session token
 * are replaced by "REDACTED". Anything unparsable is redacted whole.
 */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "REDACTED";
  }
  for (const name of [...parsed.searchParams.keys()]) {
    if (SECRET_PARAMS.has(name.toLowerCase())) parsed.searchParams.set(name, "REDACTED");
  }
  return parsed.toString();
}
