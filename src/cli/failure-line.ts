/**
 * Writes the one line a failed command ends with, "presignd: …", on stderr.
 * On a terminal the line is cleared first: a progress bar, or the "^C" the
 * terminal echoed, would otherwise show through.
 */
export function reportFailure(message: string): void {
  if (process.stderr.isTTY) {
    process.stderr.cursorTo(0);
    process.stderr.clearLine(0);
  }
  process.stderr.write(`presignd: ${message}\n`);
}
