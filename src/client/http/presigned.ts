/** An HTTP request as PresignService hands it out: send exactly this. */
export interface PresignedHttp {
  readonly url: string;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  /** When S3 stops accepting it. */
  readonly expiresAt?: { readonly seconds: bigint } | undefined;
}
