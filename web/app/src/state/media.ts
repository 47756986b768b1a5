// Media helpers: local previews of images being uploaded, blurhash placeholders, downloads.

import { decode } from "blurhash";
import type { ChatClient } from "@magpie/sdk";

/** Object URLs of images the user is sending, by client_msg_id: shown while they upload and
 * until the server's thumbnail has loaded. */
const previews = new Map<string, string>();

export function rememberPreview(clientMsgId: string, file: Blob): void {
  if (file.type.startsWith("image/")) previews.set(clientMsgId, URL.createObjectURL(file));
}

export function localPreview(clientMsgId: string | undefined): string | undefined {
  return clientMsgId ? previews.get(clientMsgId) : undefined;
}

const hashes = new Map<string, string>();

/** A small data: URL painted from a blurhash, cached. */
export function blurhashUrl(hash: string | undefined): string | undefined {
  if (!hash) return undefined;
  const cached = hashes.get(hash);
  if (cached) return cached;
  try {
    const w = 32;
    const h = 32;
    const pixels = decode(hash, w, h);
    const canvas = document.createElement("canvas");
    canvas.width = w;
    canvas.height = h;
    const ctx = canvas.getContext("2d");
    if (!ctx) return undefined;
    const img = ctx.createImageData(w, h);
    img.data.set(pixels);
    ctx.putImageData(img, 0, 0);
    const url = canvas.toDataURL();
    hashes.set(hash, url);
    return url;
  } catch {
    return undefined;
  }
}

/** Fits an image of w×h into a box, keeping its aspect; a sane default when unknown. */
export function fitBox(width: number | undefined, height: number | undefined, maxW: number, maxH: number): { width: number; height: number } {
  if (!width || !height) return { width: Math.min(240, maxW), height: Math.min(180, maxH) };
  const scale = Math.min(1, maxW / width, maxH / height);
  return { width: Math.max(48, Math.round(width * scale)), height: Math.max(48, Math.round(height * scale)) };
}

/** Saves a file under its name, fetched with the session's token. */
export async function downloadFile(client: ChatClient, fileId: string, name: string): Promise<void> {
  const url = await client.fileUrl(fileId);
  const a = document.createElement("a");
  a.href = url;
  a.download = name || "download";
  document.body.appendChild(a);
  a.click();
  a.remove();
}

/** Saves what the app has in hand (an export) as a file named `name`, as a download would. The
 * object URL lives on a while after the click: a browser may read it only once it has started. */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
