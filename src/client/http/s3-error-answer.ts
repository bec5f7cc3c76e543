import { S3Error } from "../errors.js";
import { redactUrl } from "./redact-url.js";
import { elements, leafText } from "./s3-xml.js";

/**
 * An S3Error from a refused request's status and (possibly empty) body. An
 * error document without a message (RGW sends `<Message></Message>`) gets the
 * status text.
 */
export function s3ErrorOf(status: number, statusText: string, body: string, headers: Headers, url: string): S3Error {
  const doc = elements(body, "Error")[0];
  const code = (doc === undefined ? undefined : leafText(doc, "Code")) || `HTTP${status}`;
  const reason = statusText.trim() || `HTTP ${status}`;
  const documented = doc === undefined ? undefined : leafText(doc, "Message")?.trim();
  const message = documented || (doc !== undefined ? reason : body.trim().slice(0, 200) || reason);
  const requestId = (doc === undefined ? undefined : leafText(doc, "RequestId")) || headers.get("x-amz-request-id");
  return new S3Error(status, code, message, requestId || undefined, redactUrl(url));
}
