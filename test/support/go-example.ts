import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Where Debian's golang-github-aws-aws-sdk-go-dev puts its GOPATH tree. */
const GOPATH = "/usr/share/gocode";
const EXAMPLE = join(GOPATH, "src/github.com/aws/aws-sdk-go/example/service/s3/presignURL");

/**
 * Builds the aws-sdk-go `presignURL` example's client or server, unchanged,
 * from Debian's packages (golang-go, golang-github-aws-aws-sdk-go-dev; .ci/run
 * installs them), and returns the binary's path.
 */
export async function buildGoExample(which: "client" | "server"): Promise<string> {
  if (!existsSync(join(EXAMPLE, which))) {
    throw new Error(
      "the aws-sdk-go presignURL example is missing: apt-get install golang-go golang-github-aws-aws-sdk-go-dev",
    );
  }
  const out = join(await mkdtemp(join(tmpdir(), "presignd-go-")), `presign-${which}`);
  await run("go", ["build", "-tags", "example", "-o", out, "."], {
    cwd: join(EXAMPLE, which),
    env: { ...process.env, GO111MODULE: "off", GOPATH, GOCACHE: join(tmpdir(), "presignd-go-cache"), GOFLAGS: "" },
  });
  return out;
}
