import { readFile } from "node:fs/promises";
import { createLocalJWKSet, createRemoteJWKSet, errors, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from "jose";
import type { Principal } from "../../core/policy/policy.js";
import type { JwtSettings } from "../access/policy-file.js";

// Asymmetric algorithms only: a shared secret in the JWKS would let anyone
// who can read it mint tokens, and "none" is never acceptable.
const ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"];

/** Verifies bearer JWTs with jose against a JWKS (remote and cached by jose, or a local file). */
export class JwtVerifier {
  private constructor(
    private readonly settings: JwtSettings,
    private readonly keys: JWTVerifyGetKey,
  ) {}

  static async create(settings: JwtSettings): Promise<JwtVerifier> {
    const keys = settings.jwksUrl
      ? createRemoteJWKSet(new URL(settings.jwksUrl), { cacheMaxAge: 10 * 60_000, cooldownDuration: 30_000 })
      : createLocalJWKSet(JSON.parse(await readFile(settings.jwksFile as string, "utf8")));
    return new JwtVerifier(settings, keys);
  }

  /** The token's principal, or a reason safe to tell the caller. */
  async verify(token: string): Promise<Principal | { failure: string }> {
    try {
      const { payload } = await jwtVerify(token, this.keys, {
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        clockTolerance: this.settings.clockSkewSeconds,
        algorithms: ALGORITHMS,
        requiredClaims: ["sub", "exp"],
      });
      const mistyped = claimTypeProblem(payload, this.settings.groupsClaim);
      if (mistyped) return { failure: mistyped };
      return {
        subject: payload.sub as string,
        groups: (payload[this.settings.groupsClaim] as string[]) ?? [],
        method: "jwt",
      };
    } catch (error) {
      return { failure: describe(error) };
    }
  }
}

const isString = (value: unknown): value is string => typeof value === "string";

/**
 * RFC 7519's types, never coerced: sub and iss are strings, aud a string or
 * an array of strings, and the groups claim (when present) an array of strings.
 */
function claimTypeProblem(payload: JWTPayload, groupsClaim: string): string | undefined {
  if (!isString(payload.sub) || payload.sub === "") return 'token claim "sub" must be a non-empty string';
  if (!isString(payload.iss)) return 'token claim "iss" must be a string';
  const aud: unknown = payload.aud;
  if (!isString(aud) && !(Array.isArray(aud) && aud.every(isString)))
    return 'token claim "aud" must be a string or an array of strings';
  const groups = payload[groupsClaim];
  if (groups !== undefined && !(Array.isArray(groups) && groups.every(isString)))
    return `token claim "${groupsClaim}" must be an array of strings`;
  return undefined;
}

function describe(error: unknown): string {
  if (error instanceof errors.JWTExpired) return "token expired";
  if (error instanceof errors.JWTClaimValidationFailed)
    return `token claim "${error.claim}" is not accepted (${error.reason})`;
  if (error instanceof errors.JOSEAlgNotAllowed) return "token algorithm not allowed";
  if (error instanceof errors.JWSSignatureVerificationFailed) return "token signature invalid";
  if (error instanceof errors.JWKSNoMatchingKey) return "token signed by an unknown key";
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) return "malformed token";
  return "token not verifiable";
}
