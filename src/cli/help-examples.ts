/** An "Examples:" section for a command's --help (commander's addHelpText("after", …)). */
export function helpExamples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((line) => `  $ ${line}`).join("\n")}\n`;
}

/** The examples of `presignd --help`: one of each command. */
export const PROGRAM_EXAMPLES = helpExamples(
  "presignd serve --dev                                   # a local server with an embedded S3",
  "presignd put reports/2026.csv -f 2026.csv              # upload (multipart when large)",
  "presignd get reports/2026.csv -f copy.csv              # download (parallel ranges)",
  "presignd post 'uploads/${filename}' -f photo.jpg       # upload as a browser form would",
  "presignd head reports/2026.csv                         # size, type, ETag, metadata",
  "presignd rm reports/2026.csv --yes                     # delete (asks first without --yes)",
  "presignd presign get reports/2026.csv --format curl    # a curl command to hand to someone",
  "source <(presignd completion bash)                     # tab completion",
);
