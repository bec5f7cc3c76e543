import type { Logger } from "pino";
import { ANONYMOUS_ENTRY, type NetworkSet } from "../../core/policy/policy.js";
import { JwtVerifier } from "../auth/jwt.js";
import { JweSealer } from "../tokens/jwe-sealer.js";
import type { KeyHolder, PolicyFile, PolicyLocation } from "./policy-file.js";
import { loadPolicyFile } from "./policy-file.js";

export interface LoadedPolicy {
  readonly file: PolicyFile;
  readonly holders: readonly KeyHolder[];
  readonly jwt: JwtVerifier | undefined;
  /** From handles.keys: seals handles and multipart upload tokens. */
  readonly sealer: JweSealer | undefined;
  /** The networks of rules naming "anonymous": callers without credentials are admitted only from these. */
  readonly anonymousNetworks: readonly NetworkSet[];
}

/** The policy in force, swapped atomically on reload (SIGHUP). */
export class PolicyHolder {
  private constructor(
    private readonly location: PolicyLocation,
    private readonly logger: Logger,
    public current: LoadedPolicy,
  ) {}

  static async load(location: PolicyLocation, logger: Logger): Promise<PolicyHolder> {
    const loaded = await PolicyHolder.read(location);
    logger.info(summary(loaded), "policy loaded");
    warnAbout(loaded, logger);
    return new PolicyHolder(location, logger, loaded);
  }

  /** Loads the file again; an invalid file is logged and the old policy stays. */
  async reload(): Promise<void> {
    try {
      this.current = await PolicyHolder.read(this.location);
      this.logger.info(summary(this.current), "policy reloaded");
      warnAbout(this.current, this.logger);
    } catch (error) {
      this.logger.error(
        { err: { message: (error as Error).message } },
        "policy reload failed; keeping the previous policy",
      );
    }
  }

  private static async read(location: PolicyLocation): Promise<LoadedPolicy> {
    const file = await loadPolicyFile(location);
    return {
      file,
      holders: file.principals,
      jwt: file.jwt ? await JwtVerifier.create(file.jwt) : undefined,
      sealer: file.handleKeys ? new JweSealer(file.handleKeys) : undefined,
      anonymousNetworks: file.rules.flatMap((r) =>
        r.networks && r.principals.includes(ANONYMOUS_ENTRY) ? [r.networks] : [],
      ),
    };
  }
}

function summary(p: LoadedPolicy): Record<string, unknown> {
  return {
    principals: p.holders.length,
    jwt: p.file.jwt ? p.file.jwt.issuer : false,
    rules: p.file.rules.map((r) => r.name),
  };
}

function warnAbout(p: LoadedPolicy, logger: Logger): void {
  for (const warning of p.file.warnings) logger.warn({ policy_warning: warning }, "policy: ambiguous or inert entry");
}
