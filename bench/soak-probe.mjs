// Preloaded into the soak's server (node --expose-gc --import ./bench/soak-probe.mjs):
// answers the benchmark's IPC messages with process.memoryUsage(), after a
// forced full GC when asked, so heap growth can be told apart from garbage
// not yet collected. Not part of presignd.
process.on("message", (message) => {
  if (message?.probe !== "memory") return;
  if (message.gc && typeof globalThis.gc === "function") globalThis.gc();
  process.send?.({ probe: "memory", usage: process.memoryUsage() });
});
// The IPC channel must not keep the server alive once it is told to stop.
process.channel?.unref();
