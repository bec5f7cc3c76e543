import type { Payload } from "../body/payload.js";
import type { PresignedHttp } from "../http/presigned.js";
import { isExpiredUrl, isRetryable, withRetries } from "../http/retry.js";
import { exchange, expectSuccess, type TextAnswer } from "../http/send.js";
import type { ProgressMeter } from "./progress-meter.js";

/** @private */
export interface SendSettings {
  readonly signal?: AbortSignal | undefined;
  readonly retries: number;
  readonly idleTimeout: number;
}

/**
 * Sends a body with a presigned request (a PUT or a part): presigned when
 * first needed and again once its URL expired, retried after retryable
 * failures; the bytes count as progress, a failed attempt's taken back.
 * @private
 */
export async function sendPresigned(
  presign: () => Promise<PresignedHttp>,
  payload: Payload,
  settings: SendSettings,
  meter: ProgressMeter,
): Promise<TextAnswer> {
  let presigned: PresignedHttp | undefined;
  let expired = false;
  return withRetries(
    settings.retries,
    settings.signal,
    async () => {
      presigned ??= await presign();
      const current = presigned;
      let sent = 0;
      try {
        const reply = await exchange(current, payload, {
          signal: settings.signal,
          idleTimeout: settings.idleTimeout,
          onSent: (n) => {
            sent += n;
            meter.add(n);
          },
        });
        return expectSuccess(reply, current);
      } catch (error) {
        meter.add(-sent);
        expired = isExpiredUrl(error, current.expiresAt);
        if (expired) presigned = undefined;
        throw error;
      }
    },
    (error) => isRetryable(error) || expired,
  );
}
