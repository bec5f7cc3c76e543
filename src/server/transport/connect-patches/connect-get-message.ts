import { isUtf8 } from "node:buffer";
import { hasMalformedPercentEscape } from "../../http/percent-encoding.js";
import { describeNotUtf8Json } from "./json-utf8.js";

// The Connect protocol's GET query parameters.
const MESSAGE = "message";
const BASE64 = "base64";
const ENCODING = "encoding";
const COMPRESSION = "compression";

// What protobuf-es's base64Decode decodes faithfully: either alphabet, padding
// only at the end. It also skips whitespace (an unescaped "+" arrives as a
// space) and drops a dangling sixth bit group: both are refused here.
const BASE64_TEXT = /^[A-Za-z0-9+/_-]*={0,2}$/;

/**
 * Why connect-es cannot read the `message` of this Connect GET request as
 * the caller sent it, or undefined. connect-es reads it with URLSearchParams,
 * which keeps a malformed escape ("%ZZ", a lone "%") as text and replaces
 * percent-decoded bytes that are not UTF-8 with U+FFFD, and base64-decodes it
 * with protobuf-es, whose "invalid base64 string" it answers as INTERNAL.
 *
 * `url` is the request target (path and query), as Node hands it over.
 */
export function connectGetMessageProblem(url: string): string | undefined {
  // As connect-es sees it: a WHATWG URL's query.
  const query = new URL(url, "http://localhost").search.slice(1);
  const raw = rawValue(query, MESSAGE);
  if (raw === undefined) return undefined;
  if (hasMalformedPercentEscape(raw)) {
    return `${MESSAGE}: is not valid percent-encoding ("%" must be followed by two hexadecimal digits)`;
  }
  const params = new URLSearchParams(query);
  if (params.get(BASE64) === "1") {
    const text = params.get(MESSAGE) ?? "";
    if (BASE64_TEXT.test(text) && text.replace(/=+$/, "").length % 4 !== 1) return undefined;
    return `${MESSAGE}: is not valid base64 (base64=1: the URL-safe or standard alphabet, padding optional; a "+" percent-encoded as %2B)`;
  }
  const bytes = percentDecode(raw);
  if (isUtf8(bytes)) return undefined;
  if (params.get(ENCODING) === "json" && !params.has(COMPRESSION)) return describeNotUtf8Json(bytes, MESSAGE);
  return `${MESSAGE}: is not UTF-8 once percent-decoded (send binary messages with base64=1)`;
}

/**
 * The bytes of a query value: "+" is a space, as URLSearchParams reads it.
 * The value is ASCII (a WHATWG URL percent-encodes the rest) with well-formed escapes.
 */
function percentDecode(value: string): Buffer {
  const latin1 = value
    .replaceAll("+", " ")
    .replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
  return Buffer.from(latin1, "latin1");
}

/** The value of the first `name` parameter as written (still percent-encoded). */
function rawValue(query: string, name: string): string | undefined {
  for (const pair of query.split("&")) {
    const [key] = new URLSearchParams(pair).keys();
    if (key !== name) continue;
    const eq = pair.indexOf("=");
    return eq === -1 ? "" : pair.slice(eq + 1);
  }
  return undefined;
}
