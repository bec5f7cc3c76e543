import net from "node:net";

/** A TCP proxy to an HTTP server that delays every answer, and records what was asked. */
export interface SlowProxy {
  readonly url: string;
  /** Request lines seen so far ("METHOD /path?query"), in order. */
  readonly requests: string[];
  close(): Promise<void>;
}

export async function startSlowProxy(target: URL, delayMs: number): Promise<SlowProxy> {
  const requests: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    sockets.add(client).add(upstream);
    client.on("data", (chunk: Buffer) => {
      for (const line of chunk.toString("latin1").split("\r\n")) {
        if (/^[A-Z]+ \/\S* HTTP\/1\.1$/.test(line)) requests.push(line.replace(/ HTTP\/1\.1$/, ""));
      }
      upstream.write(chunk);
    });
    upstream.on("data", (chunk: Buffer) => {
      setTimeout(() => client.writable && client.write(chunk), delayMs);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", () => setTimeout(end, delayMs));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
