import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { downloadDisposition } from "../../src/core/download-filename.js";
import { PresignError } from "../../src/core/presign-error.js";

describe("downloadDisposition: the Content-Disposition for a download's file name (RFC 6266, RFC 8187)", () => {
  const cases: [name: string, expected: string][] = [
    ["report.pdf", 'attachment; filename="report.pdf"'],
    ["a b (1).txt", 'attachment; filename="a b (1).txt"'],
    // Latin-1 is not sent raw: header bytes are read as Latin-1, S3 writes UTF-8.
    ["Résumé.pdf", "attachment; filename=\"R_sum_.pdf\"; filename*=UTF-8''R%C3%A9sum%C3%A9.pdf"],
    ["数据 2026.csv", "attachment; filename=\"__ 2026.csv\"; filename*=UTF-8''%E6%95%B0%E6%8D%AE%202026.csv"],
    ["emoji-😀.txt", "attachment; filename=\"emoji-_.txt\"; filename*=UTF-8''emoji-%F0%9F%98%80.txt"],
    // Decomposed forms are kept as sent, never normalised.
    ["Zoe\u0308.txt", "attachment; filename=\"Zoe_.txt\"; filename*=UTF-8''Zoe%CC%88.txt"],
    ['say "hi".txt', 'attachment; filename="say \\"hi\\".txt"'],
    // A literal %XX would be decoded by some browsers: the exact name goes in filename* too.
    ["50%41.txt", "attachment; filename=\"50%41.txt\"; filename*=UTF-8''50%2541.txt"],
  ];
  for (const [name, expected] of cases) {
    it(JSON.stringify(name), () => assert.equal(downloadDisposition(name), expected));
  }

  const refused: [name: string, reason: RegExp][] = [
    ["a\r\nSet-Cookie: x", /must not contain control characters/],
    ["tab\there.txt", /must not contain control characters/],
    ["c1\u0085.txt", /must not contain control characters/],
    ["dir/report.pdf", /without "\/" or "\\"/],
    ["..\\report.pdf", /without "\/" or "\\"/],
    ["   ", /must not be only white space/],
  ];
  for (const [name, reason] of refused) {
    it(`refuses ${JSON.stringify(name)}, naming the field`, () =>
      assert.throws(
        () => downloadDisposition(name),
        (e: unknown) =>
          e instanceof PresignError &&
          e.reason === "invalid_argument" &&
          e.field === "overrides.download_filename" &&
          e.message.startsWith("overrides.download_filename: ") &&
          reason.test(e.message),
      ));
  }
});
