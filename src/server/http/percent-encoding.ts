/** A "%" not followed by two hexadecimal digits (URLSearchParams keeps it as text; decodeURIComponent throws). */
export function hasMalformedPercentEscape(text: string): boolean {
  return /%(?![0-9A-Fa-f]{2})/.test(text);
}
