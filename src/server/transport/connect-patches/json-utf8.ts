import type { JsonReadOptions, JsonWriteOptions } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { NOT_UTF8 } from "./protobuf-utf8.js";

const strict = new TextDecoder("utf-8", { fatal: true });
const lenient = new TextDecoder("utf-8");
const REPLACEMENT = "\ufffd";
const REPLACEMENT_UTF8 = Buffer.from(REPLACEMENT);
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/**
 * The JSON text decoder of connect-es's JSON serialization (Connect JSON,
 * gRPC and gRPC-Web with +json), as `jsonOptions.textDecoder`. connect-es's
 * default decoder replaces bytes that are not UTF-8 with U+FFFD, so the server
 * would sign a key the caller never sent; this one refuses such a body with
 * INVALID_ARGUMENT naming the JSON member.
 */
export const strictJsonTextDecoder = {
  decode(bytes: Uint8Array = new Uint8Array(0)): string {
    try {
      return strict.decode(bytes);
    } catch {
      throw new ConnectError(describeNotUtf8Json(bytes, "request body"), Code.InvalidArgument);
    }
  },
};

/**
 * connect-es `jsonOptions` with that decoder. The handler options' type does
 * not list `textDecoder`; connect-es's JSON serialization reads it.
 */
export const strictJsonOptions: Partial<JsonReadOptions & JsonWriteOptions> & {
  textDecoder: typeof strictJsonTextDecoder;
} = { textDecoder: strictJsonTextDecoder };

/**
 * "<member path>: is not valid UTF-8" for a JSON document that is not UTF-8,
 * naming the first string where that is certain, else "<subject>: …".
 *
 * The member is found by decoding with U+FFFD for the bad bytes, replacing
 * each U+FFFD by the NOT_UTF8 mark and looking for it in the parsed document;
 * that is certain only when the document has no U+FFFD of its own. Paths use
 * the names as written in the document (`metadata.owner`, `requests[0].key`).
 */
export function describeNotUtf8Json(bytes: Uint8Array, subject: string): string {
  const whole = `${subject}: is not valid UTF-8`;
  if (Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).includes(REPLACEMENT_UTF8)) return whole;
  let document: unknown;
  try {
    document = JSON.parse(lenient.decode(bytes).replaceAll(REPLACEMENT, NOT_UTF8));
  } catch {
    return whole; // the bad bytes are outside any string, or the text is not JSON either
  }
  // Depth-first in document order, without recursion (the nesting depth is the caller's);
  // a path is spelled out only for the member found.
  const pending: Step[] = [{ value: document, segment: "" }];
  for (let step = pending.pop(); step; step = pending.pop()) {
    const { value } = step;
    if (typeof value === "string") {
      if (!value.isWellFormed()) return `${pathOf(step) || subject}: is not valid UTF-8`;
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) pending.push({ value: value[i], segment: `[${i}]`, parent: step });
    } else if (typeof value === "object" && value !== null) {
      const members = Object.entries(value);
      if (members.some(([name]) => !name.isWellFormed())) {
        return `${pathOf(step) || subject}: has a member name that is not valid UTF-8`;
      }
      for (const [name, member] of members.reverse()) {
        pending.push({
          value: member,
          segment: IDENTIFIER.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`,
          parent: step,
        });
      }
    }
  }
  return whole;
}

interface Step {
  readonly value: unknown;
  /** `.name`, `["name"]` or `[index]`; "" for the document. */
  readonly segment: string;
  readonly parent?: Step;
}

/** `requests[1].key`: the segments from the document down to `step`. */
function pathOf(step: Step): string {
  const segments: string[] = [];
  for (let s: Step | undefined = step; s; s = s.parent) segments.push(s.segment);
  return segments.reverse().join("").replace(/^\./, "");
}
