import { execFileSync, spawnSync } from "node:child_process";

/** Whether `command` is on PATH. */
export function hasCommand(command: string): boolean {
  return spawnSync("sh", ["-c", 'command -v "$1" >/dev/null', "sh", command]).status === 0;
}

/** Whether dpkg lists `name` as installed. */
export function hasDebianPackage(name: string): boolean {
  const query = spawnSync("dpkg-query", ["-W", "-f=${Status}", name], { encoding: "utf8" });
  return query.status === 0 && query.stdout.trim() === "install ok installed";
}

/**
 * Installs Debian packages with apt-get (refreshing the package lists once if
 * the first attempt fails), as root; otherwise throws saying what to install.
 */
export function installDebianPackages(packages: readonly string[], why: string): void {
  const missing = packages.filter((name) => !hasDebianPackage(name));
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    throw new Error(`${why} needs Debian packages ${missing.join(" ")}: sudo apt-get install -y ${missing.join(" ")}`);
  }
  console.error(`installing ${missing.join(" ")} (${why}) …`);
  const install = () =>
    execFileSync("apt-get", ["install", "-y", "-qq", ...missing], {
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
      stdio: ["ignore", "ignore", "inherit"],
    });
  try {
    install();
  } catch {
    execFileSync("apt-get", ["update", "-qq"], { stdio: ["ignore", "ignore", "inherit"] });
    install();
  }
}
