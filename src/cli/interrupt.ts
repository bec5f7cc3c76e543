/**
 * An AbortSignal fired by Ctrl-C (SIGINT) or SIGTERM, so transfers stop
 * cleanly: a multipart upload is aborted at S3, or kept for --resume, and a
 * kept partial download stays resumable. A second signal exits at once.
 */
export function interruptSignal(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write(`\npresignd: ${name}: stopping (again to quit at once)\n`);
    controller.abort(Object.assign(new Error(`interrupted by ${name}`), { name: "AbortError" }));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return {
    signal: controller.signal,
    dispose() {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    },
  };
}
