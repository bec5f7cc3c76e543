// The --dev page (served at "/"): @presignd/client in a browser. Bundled by
// scripts/build-browser.ts, with the client loaded from its own bundle.
//
// For tests and the curious, the page reports on `document`:
//   "presignd:progress"  detail { transferred, total }
//   "presignd:done"      detail { key, how, result } (an upload or download finished)
//   "presignd:failed"    detail { state: "cancelled" | "error", message }
// and #status carries data-state="idle|busy|done|cancelled|error".
import {
  createPresignClient,
  indexedDbStateStore,
  isAbortError,
  type Progress,
  type UploadResult,
} from "@presignd/client";

const MiB = 1024 * 1024;
/** Above this, uploads go in parallel parts and are resumable (smaller than the client's default, to show it). */
const MULTIPART_THRESHOLD = 32 * MiB;
/** Uploads of this session, kept across reloads of the tab. */
const SESSION_KEY = "presignd-dev-page:uploads";

interface Uploaded {
  readonly key: string;
  readonly size: number;
  readonly how: string;
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const fileInput = $<HTMLInputElement>("file");
const keyInput = $<HTMLInputElement>("key");
const uploadButton = $<HTMLButtonElement>("upload");
const postButton = $<HTMLButtonElement>("upload-post");
const cancelButton = $<HTMLButtonElement>("cancel");
const progressBar = $<HTMLProgressElement>("progress");
const progressText = $<HTMLOutputElement>("progress-text");
const status = $<HTMLParagraphElement>("status");
const list = $<HTMLUListElement>("uploads");

// ?server=URL: a presignd elsewhere (it must allow this page's origin by CORS).
const serverUrl = new URLSearchParams(location.search).get("server") ?? location.origin;
const client = createPresignClient({ baseUrl: serverUrl });
const resumeStore = indexedDbStateStore();
let running: AbortController | undefined;

$("server").textContent = serverUrl;
$("threshold").textContent = size(MULTIPART_THRESHOLD);

function size(bytes: number): string {
  return bytes < MiB ? `${bytes} bytes` : `${(bytes / MiB).toFixed(1)} MiB`;
}

function say(state: "idle" | "busy" | "done" | "cancelled" | "error", text: string): void {
  status.dataset.state = state;
  status.textContent = text;
}

function report(name: "progress" | "done" | "failed", detail: unknown): void {
  document.dispatchEvent(new CustomEvent(`presignd:${name}`, { detail }));
}

function showProgress(progress: Progress): void {
  const total = progress.total ?? 0;
  progressBar.max = Math.max(total, 1);
  progressBar.value = progress.transferred;
  progressText.value = total ? `${size(progress.transferred)} of ${size(total)}` : size(progress.transferred);
  report("progress", { transferred: progress.transferred, total: progress.total });
}

function setBusy(busy: boolean): void {
  uploadButton.disabled = busy;
  postButton.disabled = busy;
  fileInput.disabled = busy;
  cancelButton.disabled = !busy;
}

function failed(error: unknown, what: string): void {
  if (isAbortError(error)) say("cancelled", `${what} cancelled: nothing was stored.`);
  else say("error", `${what} failed: ${(error as Error).message}`);
  report("failed", { state: status.dataset.state, message: status.textContent });
}

async function upload(how: "put" | "post"): Promise<void> {
  const file = fileInput.files?.[0];
  if (!file) {
    say("error", "Pick a file first.");
    fileInput.focus();
    return;
  }
  const key = keyInput.value.trim();
  const controller = new AbortController();
  running = controller;
  setBusy(true);
  showProgress({ transferred: 0, total: file.size });
  const settings = { onProgress: showProgress, signal: controller.signal };
  try {
    let stored: string;
    let described: string;
    let result: UploadResult | (UploadResult & { key?: string });
    if (how === "put") {
      stored = key || `uploads/${file.name}`;
      const multipart = file.size > MULTIPART_THRESHOLD;
      say("busy", `Uploading ${stored}${multipart ? " in parts" : ""}…`);
      result = await client.upload(stored, file, {
        ...settings,
        multipartThreshold: MULTIPART_THRESHOLD,
        // A reload mid-upload resumes when the same file is picked again; Cancel aborts it at S3.
        ...(multipart ? { resume: { store: resumeStore, keepOnAbort: false } } : {}),
      });
      described = result.parts
        ? `${result.parts} parts${result.resumedParts ? `, ${result.resumedParts} resumed` : ""}`
        : "one PUT";
    } else {
      say("busy", "Uploading through a POST form…");
      const form = await client.uploadForm(key || { keyPrefix: "uploads/" }, file, settings);
      result = form;
      stored = form.key ?? key;
      described = "POST form";
    }
    remember({ key: stored, size: file.size, how: described });
    say("done", `Uploaded ${stored} (${size(file.size)}, ${described}).`);
    report("done", { key: stored, how, result });
  } catch (error) {
    failed(error, "Upload");
  } finally {
    running = undefined;
    setBusy(false);
  }
}

async function download(item: Uploaded, row: HTMLLIElement): Promise<void> {
  const button = row.querySelector("button.download") as HTMLButtonElement;
  button.disabled = true;
  say("busy", `Downloading ${item.key}…`);
  try {
    const blob = await client.download(item.key, undefined, { onProgress: showProgress });
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", await blob.arrayBuffer()));
    const hex = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
    // A link to the Blob saves it as a file (the object URL lives as long as the page).
    let link = row.querySelector<HTMLAnchorElement>("a.saved");
    if (link) URL.revokeObjectURL(link.href);
    else {
      link = document.createElement("a");
      link.className = "saved";
      button.after(link);
    }
    link.href = URL.createObjectURL(blob);
    link.download = item.key.split("/").pop() || "download";
    link.textContent = `Save ${link.download}`;
    (row.querySelector("output.sha256") as HTMLOutputElement).value = hex;
    (row.querySelector(".digest") as HTMLElement).hidden = false;
    row.dataset.sha256 = hex;
    say("done", `Downloaded ${item.key} (${size(blob.size)}).`);
    report("done", { key: item.key, how: "download", result: { bytes: blob.size, sha256: hex } });
  } catch (error) {
    failed(error, "Download");
  } finally {
    button.disabled = false;
  }
}

function uploads(): Uploaded[] {
  try {
    return JSON.parse(sessionStorage.getItem(SESSION_KEY) ?? "[]") as Uploaded[];
  } catch {
    return [];
  }
}

function remember(item: Uploaded): void {
  sessionStorage.setItem(SESSION_KEY, JSON.stringify([...uploads().filter((u) => u.key !== item.key), item]));
  // Other rows keep their download links.
  list.querySelector(`li[data-key="${CSS.escape(item.key)}"]`)?.remove();
  list.append(row(item));
  $("uploads-empty").hidden = true;
}

function row(item: Uploaded): HTMLLIElement {
  const template = $<HTMLTemplateElement>("upload-item");
  const li = (template.content.firstElementChild as HTMLLIElement).cloneNode(true) as HTMLLIElement;
  li.dataset.key = item.key;
  (li.querySelector(".key") as HTMLElement).textContent = item.key;
  (li.querySelector(".size") as HTMLElement).textContent = size(item.size);
  (li.querySelector(".how") as HTMLElement).textContent = `(${item.how})`;
  const button = li.querySelector("button.download") as HTMLButtonElement;
  button.setAttribute("aria-label", `Download ${item.key}`);
  button.addEventListener("click", () => void download(item, li));
  return li;
}

$<HTMLFormElement>("upload-form").addEventListener("submit", (event) => {
  event.preventDefault();
  void upload("put");
});
postButton.addEventListener("click", () => void upload("post"));
cancelButton.addEventListener("click", () => running?.abort());
fileInput.addEventListener("change", () => {
  const file = fileInput.files?.[0];
  if (file) say("idle", `${file.name}: ${size(file.size)}.`);
});
const saved = uploads();
list.replaceChildren(...saved.map(row));
$("uploads-empty").hidden = saved.length > 0;
