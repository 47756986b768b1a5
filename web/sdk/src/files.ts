// Files (docs/protocol.md §10): resumable uploads by tus with tus-js-client, the message body
// an uploaded file becomes, and downloads fetched with the token and handed out as URLs.

import * as tus from "tus-js-client";

import type { FileInfo, UploadProgress } from "./contract.ts";
import { MagpieError, type WireError } from "./errors.ts";
import type { RestClient } from "./rest.ts";

/** Bytes per tus PATCH: big enough to keep requests few, small enough that a broken network
 * costs little (each chunk that arrived is kept, and the upload resumes after it). */
const CHUNK_BYTES = 4 * 1024 * 1024;
/** Waits before tus retries a failed request (it resumes from the server's offset). */
const RETRY_DELAYS_MS = [0, 1000, 3000, 5000, 10000];
/** Downloaded files kept as URLs; past this the least recently asked for is released. */
const FILE_URLS_MAX = 256;

export interface UploadOptions {
  onProgress?: (progress: UploadProgress) => void;
  signal?: AbortSignal;
}

/** Uploads a file by tus and returns what the server knows of it (its type is detected from
 * the content; images get their size, blurhash and thumbnails). */
export function uploadFile(rest: RestClient, file: Blob & { name?: string }, options: UploadOptions = {}): Promise<FileInfo> {
  const { signal, onProgress } = options;
  if (signal?.aborted) return Promise.reject(MagpieError.network("the upload was cancelled"));
  // tus resolves the Location header against the endpoint, so the endpoint must be absolute
  // also when the app talks to its own origin (baseUrl "").
  const origin = rest.baseUrl || (typeof location === "undefined" ? "" : location.origin);
  return new Promise<string>((resolve, reject) => {
    const metadata: Record<string, string> = {};
    if (file.name) metadata.filename = file.name;
    if (file.type) metadata.filetype = file.type;
    const upload = new tus.Upload(file, {
      endpoint: `${origin}/v1/uploads`,
      headers: rest.authHeaders(),
      metadata,
      chunkSize: CHUNK_BYTES,
      retryDelays: RETRY_DELAYS_MS,
      fileReader: blobReader,
      // Resuming after a reload would need the Blob again, which the page no longer has.
      storeFingerprintForResuming: false,
      onProgress: (sent, total) => onProgress?.({ sent, total }),
      onSuccess: () => {
        signal?.removeEventListener("abort", abort);
        const id = upload.url?.split("/").pop();
        if (id) resolve(id);
        else reject(new MagpieError("unknown", "the upload finished without a location"));
      },
      onError: (error) => {
        signal?.removeEventListener("abort", abort);
        reject(uploadError(error));
      },
    });
    const abort = (): void => {
      // Terminate it too, so that its declared length stops counting against the quota.
      void upload.abort(true).catch(() => {});
      reject(MagpieError.network("the upload was cancelled"));
    };
    signal?.addEventListener("abort", abort, { once: true });
    upload.start();
  }).then((id) => rest.fileInfo(id));
}

/** The body of the message that shares an uploaded file (§7.3): an `image` with its size and
 * blurhash when the server decoded it as an image, a `file` otherwise. */
export function fileMessage(info: FileInfo, name?: string): { kind: "image" | "file"; body: Record<string, unknown> } {
  const label = name ?? info.name;
  if (info.width !== undefined && info.height !== undefined) {
    const body: Record<string, unknown> = { file: info.id, width: info.width, height: info.height };
    if (info.blurhash) body.blurhash = info.blurhash;
    if (label) body.name = label;
    return { kind: "image", body };
  }
  return { kind: "file", body: { file: info.id, name: label || info.id, size: info.size } };
}

/** Reads chunks of a Blob as bytes. tus-js-client's own reader takes Blobs in browsers only;
 * this one works in Node too, since both of its HTTP stacks send bytes. tus reads a chunk's
 * length from `size` (a Blob's), and Node's stack sets Content-Length from it. */
const blobReader = {
  openFile(input: Blob) {
    return Promise.resolve({
      size: input.size,
      async slice(start: number, end: number): Promise<{ value: Uint8Array & { size: number }; done: boolean }> {
        const bytes = new Uint8Array(await input.slice(start, end).arrayBuffer());
        return { value: Object.assign(bytes, { size: bytes.length }), done: end >= input.size };
      },
      close() {},
    });
  },
};

/** tus reports failures as errors carrying the last response; Magpie puts its JSON error body
 * in it (§10.2). */
function uploadError(error: Error): MagpieError {
  const response = (error as { originalResponse?: { getStatus(): number; getBody(): string } | null }).originalResponse;
  if (!response) return MagpieError.network(error.message, error);
  const status = response.getStatus();
  try {
    const body = JSON.parse(response.getBody()) as { error?: WireError };
    if (body.error) return MagpieError.fromWire(body.error, status);
  } catch {
    // Not Magpie's body: described by the status below.
  }
  return new MagpieError(status >= 500 ? "unavailable" : "unknown", `upload failed with HTTP ${status}`, { status });
}

/** Files and thumbnails fetched with the token, as URLs an <img> or <a> can use: object URLs
 * in browsers; data: URLs where URL.createObjectURL does not exist (Node before 16.7, some
 * test environments), which suit small files only. One request per file and size, however
 * often it is asked for. */
export class FileUrls {
  private readonly urls = new Map<string, Promise<string>>();

  constructor(private readonly rest: RestClient) {}

  get(fileId: string, thumbnailSide?: 256 | 1024): Promise<string> {
    const key = `${fileId}:${thumbnailSide ?? "file"}`;
    const cached = this.urls.get(key);
    if (cached) {
      // Most recently used last, so that eviction takes the oldest.
      this.urls.delete(key);
      this.urls.set(key, cached);
      return cached;
    }
    const url = this.rest.fileBlob(fileId, thumbnailSide).then(blobUrl);
    url.catch(() => this.urls.delete(key)); // A failure is not cached: the next call tries again.
    this.urls.set(key, url);
    this.evict();
    return url;
  }

  /** An object URL of a link preview's image, from the server's cache (§7.10). */
  preview(url: string): Promise<string> {
    const key = `preview:${url}`;
    const cached = this.urls.get(key);
    if (cached) return cached;
    const made = this.rest.linkPreviewImage(url).then(blobUrl);
    made.catch(() => this.urls.delete(key));
    this.urls.set(key, made);
    this.evict();
    return made;
  }

  /** An object URL of the image of an interactive card's block (§ Interactive cards), which the
   * server fetched from `url` and serves; a card edited to another `url` is fetched anew. */
  cardImage(conversation: number, seq: number, block: number, url: string): Promise<string> {
    const key = `card:${conversation}:${seq}:${block}:${url}`;
    const cached = this.urls.get(key);
    if (cached) return cached;
    const made = this.rest.cardImage(conversation, seq, block).then(blobUrl);
    made.catch(() => this.urls.delete(key));
    this.urls.set(key, made);
    this.evict();
    return made;
  }

  /** An object URL of a workbench app's icon, which the server fetched from `icon` (the app's
   * `icon` URL) and serves; an app whose icon changed to another URL is fetched anew. */
  appIcon(app: number, icon: string): Promise<string> {
    const key = `app-icon:${app}:${icon}`;
    const cached = this.urls.get(key);
    if (cached) return cached;
    const made = this.rest.appIcon(app).then(blobUrl);
    made.catch(() => this.urls.delete(key));
    this.urls.set(key, made);
    this.evict();
    return made;
  }

  /** Releases every object URL (on close and logout). */
  clear(): void {
    for (const url of this.urls.values()) void url.then(release, () => {});
    this.urls.clear();
  }

  private evict(): void {
    while (this.urls.size > FILE_URLS_MAX) {
      const [oldest, url] = this.urls.entries().next().value as [string, Promise<string>];
      this.urls.delete(oldest);
      void url.then(release, () => {});
    }
  }
}

async function blobUrl(blob: Blob): Promise<string> {
  if (typeof URL.createObjectURL === "function") return URL.createObjectURL(blob);
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return `data:${blob.type || "application/octet-stream"};base64,${btoa(binary)}`;
}

function release(url: string): void {
  if (url.startsWith("blob:")) URL.revokeObjectURL(url);
}
