import { configureTextEncoding } from "@bufbuild/protobuf/wire";

/**
 * A lone low surrogate: no UTF-8 decodes to one, so a string holding it came
 * from bytes that are not UTF-8 (`isWellFormed()` is false).
 */
export const NOT_UTF8 = "\udc00";

/**
 * Sets how protobuf-es decodes the string fields of every binary message in
 * this process (a global of @bufbuild/protobuf; the server calls this once, at
 * start).
 *
 * protobuf-es's own decoding either throws on bytes that are not UTF-8 (proto3
 * fields), which connect-es reports as INTERNAL "parse binary: …" without the
 * field, or replaces them with U+FFFD (fields without UTF-8 validation), so the
 * server would sign a key the caller never sent. Here such bytes decode to an
 * ill-formed string instead, whatever the field's validation setting; the
 * valid-utf8 interceptor refuses it as INVALID_ARGUMENT naming the field, on
 * every protocol. Valid UTF-8 decodes as before, except that a leading U+FEFF
 * is kept (the default decoder drops it: a string field is its bytes).
 */
export function decodeProtobufStringsStrictly(): void {
  const encoder = new TextEncoder();
  const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  const lenient = new TextDecoder("utf-8", { ignoreBOM: true });
  configureTextEncoding({
    encodeUtf8: (text) => encoder.encode(text),
    decodeUtf8: (bytes) => {
      try {
        return strict.decode(bytes);
      } catch {
        return NOT_UTF8 + lenient.decode(bytes);
      }
    },
    checkUtf8: (text) => text.isWellFormed(),
  });
}
