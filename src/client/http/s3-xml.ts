// S3's answers (Error, CompleteMultipartUploadResult, ListPartsResult) are
// flat, machine-written XML whose leaf elements are all we read. A general
// XML parser would add 22 KB (gzipped, measured with fast-xml-parser) to
// every browser bundle, and browsers' DOMParser is missing on Node, Deno and
// Bun; so we read leaves and decode XML's predefined and numeric entities.

const ENTITIES: Readonly<Record<string, string>> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function decode(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (whole, name: string) => {
    if (name.startsWith("#x")) return String.fromCodePoint(Number.parseInt(name.slice(2), 16));
    if (name.startsWith("#")) return String.fromCodePoint(Number.parseInt(name.slice(1), 10));
    return ENTITIES[name] ?? whole;
  });
}

/** The text of the first `<tag>` leaf in `xml` ("" for `<tag/>`), or undefined. */
export function leafText(xml: string, tag: string): string | undefined {
  const match = new RegExp(`<${tag}(?:\\s[^>]*)?(?:/>|>([^<]*)</${tag}>)`).exec(xml);
  return match ? decode(match[1] ?? "") : undefined;
}

/** The inner XML of every `<tag>…</tag>` element, in order. */
export function elements(xml: string, tag: string): string[] {
  const out: string[] = [];
  const pattern = new RegExp(`<${tag}(?:\\s[^>]*)?>([\\s\\S]*?)</${tag}>`, "g");
  for (let match = pattern.exec(xml); match; match = pattern.exec(xml)) out.push(match[1] ?? "");
  return out;
}

/** `value` escaped for XML text. */
export function escapeText(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
