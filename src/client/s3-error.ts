import { XMLParser } from "fast-xml-parser";
import { redactUrl } from "../core/redact-url.js";

/** S3 refused a presigned request; fields from its XML error document. */
export class S3Error extends Error {
  override readonly name = "S3Error";

  constructor(
    /** HTTP status, e.g. 403. */
    readonly status: number,
    /** S3 error code, e.g. "SignatureDoesNotMatch", "AccessDenied", "NoSuchKey". */
    readonly code: string,
    message: string,
    readonly requestId?: string,
    /** The request's URL with signature, credential and token redacted. */
    readonly url?: string,
  ) {
    super(`S3 ${status} ${code}: ${message}${requestId ? ` (request id ${requestId})` : ""}`);
  }
}

const parser = new XMLParser({ ignoreAttributes: true, parseTagValue: false, processEntities: true });

/**
 * Builds an S3Error from a response status and (possibly empty) body; an
 * error document without a message (RGW sends `<Message></Message>`) gets
 * the response's reason phrase (`statusText`, e.g. "Not Found").
 */
export function parseS3Error(
  status: number,
  body: string,
  headers: Record<string, string | string[] | undefined>,
  url?: string,
  statusText?: string,
): S3Error {
  let doc: { Error?: { Code?: unknown; Message?: unknown; RequestId?: unknown } } = {};
  try {
    if (body.trim().startsWith("<")) doc = parser.parse(body) as typeof doc;
  } catch {
    // Not XML (a proxy's HTML page, say): fall back to the status line.
  }
  const error = doc.Error ?? {};
  const code = typeof error.Code === "string" ? error.Code : `HTTP${status}`;
  const reason = statusText?.trim() || `HTTP ${status}`;
  const message =
    typeof error.Message === "string" && error.Message.trim()
      ? error.Message
      : doc.Error
        ? reason
        : body.trim().slice(0, 200) || "no error document in the response";
  const headerId = headers["x-amz-request-id"];
  const requestId =
    typeof error.RequestId === "string" ? error.RequestId : typeof headerId === "string" ? headerId : undefined;
  return new S3Error(status, code, message, requestId, url === undefined ? undefined : redactUrl(url));
}
