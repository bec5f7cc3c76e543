/**
 * One word for a POSIX shell (bash, zsh, dash): left bare when it has only
 * characters no shell treats specially, else single-quoted, where nothing is
 * special but the quote itself, written '\''. So `$`, `;`, `&`, `"`, a
 * backslash, spaces, `${filename}` and any Unicode arrive as typed.
 */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_@%+:,./-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}
