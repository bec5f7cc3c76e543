import type net from "node:net";
import type { Logger } from "pino";

/** The cap warning is logged at most this often, with the connections refused meanwhile. */
const WARNING_INTERVAL_MS = 10_000;

/**
 * At most `max` open connections: Node's listener closes any beyond it as it
 * accepts them (`maxConnections`, its "drop" event), before a byte is read.
 * Returns what stops the warning timer.
 */
export function capConnections(server: net.Server, max: number, logger: Logger): () => void {
  server.maxConnections = max;
  let refused = 0;
  let window: NodeJS.Timeout | undefined;
  const warn = () => {
    logger.warn(
      { max_connections: max, refused, interval_s: WARNING_INTERVAL_MS / 1000 },
      "connection limit reached (--max-connections): new connections are closed at once",
    );
    refused = 0;
  };
  server.on("drop", () => {
    refused++;
    if (window) return; // reported when the window ends
    warn();
    window = setInterval(() => {
      if (refused > 0) return warn();
      clearInterval(window);
      window = undefined;
    }, WARNING_INTERVAL_MS).unref();
  });
  return () => clearInterval(window);
}
