import { ConfigError } from "../config/config.js";

/**
 * A port that cannot be listened on, as one line naming the setting and the
 * fix (`setting` e.g. "--addr (PRESIGND_ADDR)", `flag` the flag to change).
 */
export function listenFailure(error: unknown, setting: string, flag: string, address: string): ConfigError {
  const e = error as NodeJS.ErrnoException;
  switch (e.code) {
    case "EADDRINUSE":
      return new ConfigError(
        `${setting}: ${address} is already in use (another presignd or dev server?): stop it, or choose another address with ${flag}`,
      );
    case "EACCES":
      return new ConfigError(
        `${setting}: no permission to listen on ${address} (ports below 1024 need privileges): choose another port with ${flag}`,
      );
    case "EADDRNOTAVAIL":
      return new ConfigError(
        `${setting}: ${address} is not an address of this machine: use 127.0.0.1, 0.0.0.0 or one of its own addresses`,
      );
    default:
      return new ConfigError(`${setting}: cannot listen on ${address}: ${e.message ?? String(error)}`);
  }
}
