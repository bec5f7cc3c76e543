import { TransferAbortedError, TransferError, TransferTimeoutError } from "../errors.js";
import { IdleTimer } from "./idle-timer.js";
import type { PresignedHttp } from "./presigned.js";
import type { RequestSettings, TextAnswer } from "./send.js";

// Headers a browser sets itself and refuses from scripts; it derives them from the body.
const SET_BY_BROWSER = new Set(["content-length", "host", "connection", "expect"]);

/** Browsers have XHR: the one API there that reports upload progress. */
export function xhrAvailable(): boolean {
  return typeof XMLHttpRequest === "function";
}

/** Sends an upload with XMLHttpRequest (progress, idle timeout and abort as with fetch). */
export function sendWithXhr(
  presigned: PresignedHttp,
  body: Blob | FormData,
  settings: RequestSettings,
): Promise<TextAnswer> {
  return new Promise((resolve, reject) => {
    if (settings.signal?.aborted) return reject(new TransferAbortedError(settings.signal.reason));
    const xhr = new XMLHttpRequest();
    let stopped: Error | undefined;
    const stop = (error: Error) => {
      stopped = error;
      xhr.abort();
    };
    const idle = new IdleTimer(settings.idleTimeout, () => stop(new TransferTimeoutError(settings.idleTimeout)));
    const onAbort = () => stop(new TransferAbortedError(settings.signal?.reason));
    settings.signal?.addEventListener("abort", onAbort, { once: true });
    const finish = () => {
      idle.stop();
      settings.signal?.removeEventListener("abort", onAbort);
    };
    let sent = 0;
    xhr.upload.onprogress = (event) => {
      idle.touch();
      settings.onSent?.(event.loaded - sent);
      sent = event.loaded;
    };
    xhr.onprogress = () => idle.touch();
    xhr.onload = () => {
      finish();
      resolve({
        status: xhr.status,
        statusText: xhr.statusText,
        headers: parseHeaders(xhr.getAllResponseHeaders()),
        text: xhr.responseText,
      });
    };
    xhr.onerror = () => {
      finish();
      reject(
        new TransferError(
          "network error: the browser could not complete the request (offline, or refused by CORS)",
          true,
        ),
      );
    };
    xhr.onabort = () => {
      finish();
      reject(stopped ?? new TransferAbortedError());
    };
    xhr.open(presigned.method, presigned.url);
    for (const [name, value] of Object.entries({ ...presigned.headers, ...settings.headers })) {
      if (!SET_BY_BROWSER.has(name.toLowerCase())) xhr.setRequestHeader(name, value);
    }
    xhr.send(body);
  });
}

function parseHeaders(raw: string): Headers {
  const headers = new Headers();
  for (const line of raw.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  return headers;
}
