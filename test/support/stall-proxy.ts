import net from "node:net";

export interface StallProxy {
  /** e.g. http://127.0.0.1:41234, for --public-endpoint: presigned URLs then go through the proxy. */
  readonly url: string;
  /** Where connections go; set once the upstream (say the embedded S3) listens. */
  upstreamPort: number;
  /**
   * Stall once this many bytes passed (both directions, all connections,
   * counted from now): the proxy stops reading from either side, so uploads
   * and downloads hang mid-transfer. Undefined: pass everything.
   */
  stallAfter(bytes: number | undefined): void;
  /** Resolves when the proxy has stalled since the last stallAfter(). */
  stalled(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A real TCP proxy that lets a transfer start and then stalls it, so a
 * signal sent to the CLI lands mid-transfer, every time.
 */
export async function startStallProxy(): Promise<StallProxy> {
  const sockets = new Set<net.Socket>();
  let limit: number | undefined;
  let passed = 0;
  let onStall: (() => void) | undefined;
  let stalledNow = false;
  let whenStalled = Promise.resolve();
  const arm = () => {
    stalledNow = false;
    whenStalled = new Promise<void>((resolve) => {
      onStall = resolve;
    });
  };
  const stall = () => {
    stalledNow = true;
    for (const socket of sockets) socket.pause();
    onStall?.();
  };
  const pipe = (from: net.Socket, to: net.Socket) => {
    from.on("data", (chunk: Buffer) => {
      to.write(chunk);
      passed += chunk.length;
      if (limit !== undefined && passed >= limit && !stalledNow) stall();
      if (stalledNow) from.pause();
    });
    from.on("end", () => to.end());
    from.on("error", () => to.destroy());
    from.on("close", () => to.destroy());
  };
  const server = net.createServer((client) => {
    const upstream = net.connect(proxy.upstreamPort, "127.0.0.1");
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      if (stalledNow) socket.pause();
    }
    pipe(client, upstream);
    pipe(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const proxy: StallProxy = {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    upstreamPort: 0,
    stallAfter(bytes) {
      limit = bytes;
      passed = 0;
      arm();
      if (bytes === undefined) for (const socket of sockets) socket.resume();
    },
    stalled: () => whenStalled,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  arm();
  return proxy;
}
