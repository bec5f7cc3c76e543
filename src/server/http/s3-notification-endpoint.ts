import { createHash, timingSafeEqual } from "node:crypto";
import type { Logger } from "pino";
import type { NodeRequest, NodeResponse } from "../transport/node-http.js";
import { writeJson } from "../transport/node-http.js";
import {
  type NotificationObserver,
  type NotificationOutcome,
  type NotificationRecord,
  parseNotification,
  type receiveNotification,
} from "../uploads/s3-notifications.js";

/** Where S3 (Ceph RGW's HTTP push endpoint) POSTs bucket notifications. */
export const NOTIFICATION_PATH = "/s3-notifications";

/** The largest notification body read; RGW's records are about 1 KiB each. */
export const MAX_NOTIFICATION_BYTES = 1024 * 1024;

/** Whether a request is for the notification endpoint (any query string: it is never read). */
export function isNotificationRequest(req: NodeRequest): boolean {
  const url = req.url ?? "";
  return url === NOTIFICATION_PATH || url.startsWith(`${NOTIFICATION_PATH}?`);
}

/**
 * POST /s3-notifications: authenticated by the topic's OpaqueData, which RGW
 * sends in every record (`opaqueData`); each record must carry the secret.
 * Answers 200 once every record is settled (`{landed, ignored}`), 401 for a
 * wrong or missing secret, 400 for a body that is not S3's event JSON, 413
 * over MAX_NOTIFICATION_BYTES, 503 when the HEAD or the store failed (a
 * persistent topic retries), and without a handle store 404: presignd keeps no
 * record of signed uploads to match a notification against. Neither the
 * secret nor the URL is ever logged.
 */
export function notificationEndpoint(options: {
  readonly secret: string;
  /** Undefined without a handle store. */
  readonly receive: ((records: readonly NotificationRecord[]) => ReturnType<typeof receiveNotification>) | undefined;
  readonly logger: Logger;
  readonly observer?: NotificationObserver;
}): (req: NodeRequest, res: NodeResponse) => void {
  const { logger, observer } = options;
  const expected = digest(options.secret);
  const count = (outcome: NotificationOutcome) => observer?.notification(outcome);
  const refuse = (res: NodeResponse, status: number, outcome: NotificationOutcome, message: string) => {
    count(outcome);
    writeJson(res, status, { code: CODES[status], message });
  };
  return (req, res) => {
    if (req.method !== "POST") {
      writeJson(
        res,
        405,
        { code: "unimplemented", message: `${NOTIFICATION_PATH} takes POST only` },
        { allow: "POST" },
      );
      return;
    }
    const receive = options.receive;
    if (!receive) {
      req.resume();
      writeJson(res, 404, {
        code: "not_found",
        message: `${NOTIFICATION_PATH}: presignd has no --handle-store, so it keeps no record of the uploads it signed to match notifications against`,
      });
      return;
    }
    readBody(req).then(
      async (body) => {
        if (body === undefined) {
          refuse(res, 413, "invalid", `the notification is larger than ${MAX_NOTIFICATION_BYTES} bytes`);
          return;
        }
        let json: unknown;
        try {
          json = JSON.parse(body.toString("utf8"));
        } catch (error) {
          refuse(res, 400, "invalid", `the body is not JSON: ${(error as Error).message}`);
          return;
        }
        const records = parseNotification(json);
        if ("problem" in records) {
          refuse(res, 400, "invalid", records.problem);
          return;
        }
        if (
          records.length === 0 ||
          !records.every((r) => r.opaqueData !== undefined && matches(r.opaqueData, expected))
        ) {
          logger.warn(
            { records: records.length, peer: req.socket?.remoteAddress },
            "S3 notification refused: a record's opaqueData is not the notification secret",
          );
          refuse(res, 401, "unauthenticated", "every record's opaqueData must be the topic's secret");
          return;
        }
        let outcomes: NotificationOutcome[];
        try {
          outcomes = await receive(records);
        } catch (error) {
          logger.warn({ err: (error as Error).message }, "S3 notification not settled: HEAD or handle store failed");
          refuse(res, 503, "failed", "could not HEAD the object or read the handle store; retry");
          return;
        }
        for (const outcome of outcomes) count(outcome);
        writeJson(res, 200, {
          landed: outcomes.filter((o) => o === "landed").length,
          ignored: outcomes.filter((o) => o === "ignored").length,
        });
      },
      (error: unknown) => {
        logger.warn({ err: (error as Error).message }, "S3 notification: reading the body failed");
        if (!res.headersSent) res.writeHead(400).end();
      },
    );
  };
}

const CODES: Record<number, string> = {
  400: "invalid_argument",
  401: "unauthenticated",
  413: "resource_exhausted",
  503: "unavailable",
};

function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

/** Timing-safe: both sides hashed to 32 bytes first, so neither length nor content leaks. */
function matches(given: string, expected: Buffer): boolean {
  return timingSafeEqual(digest(given), expected);
}

/** The body, or undefined once it passes MAX_NOTIFICATION_BYTES (the rest is drained, not kept). */
function readBody(req: NodeRequest): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"]);
    if (declared > MAX_NOTIFICATION_BYTES) {
      req.resume();
      req.on("end", () => resolve(undefined));
      req.on("error", reject);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_NOTIFICATION_BYTES) over = true;
      else chunks.push(chunk);
    });
    req.on("end", () => resolve(over ? undefined : Buffer.concat(chunks)));
    req.on("error", reject);
  });
}
