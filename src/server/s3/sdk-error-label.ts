/** An AWS SDK error as "Name (HTTP status)", and its status, for logs and refusals. */
export function sdkErrorLabel(error: unknown): { label: string; status?: number } {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  return { label: `${e.name ?? "Error"}${status ? ` (HTTP ${status})` : ""}`, ...(status ? { status } : {}) };
}
