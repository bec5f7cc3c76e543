/** ok: nothing to do; warn: works, with a caveat or a risk; fail: presigned requests break. */
export type CheckStatus = "ok" | "warn" | "fail";

/** The checks `presignd doctor` runs, in the order it prints them. */
export type CheckName =
  | "credentials"
  | "clock-skew"
  | "bucket"
  | "region"
  | "public-endpoint"
  | "cors"
  | "multipart-cleanup"
  | "versioning"
  | "post-probe";

/** One finding: printed as one line, or one element of --json. */
export interface CheckResult {
  readonly check: CheckName;
  /** The bucket checked; absent for checks of the server as a whole (credentials, clock). */
  readonly bucket?: string;
  readonly status: CheckStatus;
  readonly message: string;
  /** What to do about a warn or fail: a setting, a command or an S3 configuration. */
  readonly fix?: string;
}

/** The process's exit code for a set of results: 1 when any check fails, else 0 (warnings do not fail). */
export function doctorExitCode(results: readonly CheckResult[]): 0 | 1 {
  return results.some((r) => r.status === "fail") ? 1 : 0;
}
