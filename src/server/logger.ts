import { type Logger, pino } from "pino";

/**
 * The server's JSON logger. Secret-bearing fields are censored wherever they
 * appear, as a second line of defence behind never logging them.
 */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: "presignd" },
      redact: {
        paths: [
          "*.secretAccessKey",
          "*.sessionToken",
          "*.credentials",
          "*.authorization",
          "*.headers.authorization",
          "*.url",
        ],
        censor: "[REDACTED]",
      },
    },
    destination ?? process.stdout,
  );
}
