/** What happens to a multipart upload presignd started, as its metrics count it. */
export type UploadEvent = "started" | "completed" | "aborted" | "reaped";

/** Where upload events go (the server's Metrics). */
export interface UploadEventObserver {
  uploadEvent(event: UploadEvent): void;
}
