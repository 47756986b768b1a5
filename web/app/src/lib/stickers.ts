// A domain's sticker packs (Administration → Stickers), their pure parts: what is wrong with a
// new pack's name or a sticker's emoji before the server is asked, the files chosen for a pack
// as the form holds them, a pack the server answered put in the list, and what the server's
// refusals of an upload or a sticker mean.

import type { StickerPack } from "@magpie/sdk";

/** The longest pack name the server takes, in characters (docs/protocol.md §10.6). */
export const STICKER_PACK_NAME_CHARS_MAX = 64;
/** The longest emoji a sticker stands for, in characters. */
export const STICKER_EMOJI_CHARS_MAX = 16;
/** Stickers in one pack, and packs in one domain, at most. */
export const STICKERS_PER_PACK_MAX = 200;
export const STICKER_PACKS_MAX = 100;

/** Characters as the server counts them: Unicode scalar values, not UTF-16 units. */
export function charCount(text: string): number {
  return [...text].length;
}

export type PackNameProblem = { kind: "required" } | { kind: "too_long"; max: number };

/** What is wrong with a new pack's name (trimmed first, as it is sent), if anything. */
export function packNameProblem(name: string): PackNameProblem | null {
  const text = name.trim();
  if (!text) return { kind: "required" };
  if (charCount(text) > STICKER_PACK_NAME_CHARS_MAX) return { kind: "too_long", max: STICKER_PACK_NAME_CHARS_MAX };
  return null;
}

/** Whether a sticker's emoji (trimmed) is longer than the server takes. */
export function emojiTooLong(emoji: string): boolean {
  return charCount(emoji.trim()) > STICKER_EMOJI_CHARS_MAX;
}

/** A file chosen for a pack, from choosing it until it is a sticker or refused. `sent` and
 * `total` are the upload's progress in bytes. */
export interface PendingSticker {
  key: number;
  file: File;
  emoji: string;
  state: "ready" | "uploading" | "adding" | "failed";
  sent: number;
  total: number;
  failure?: StickerFailure;
}

/** The files chosen, ready to send, each with no emoji yet. */
export function pendingOf(files: readonly File[], firstKey: number): PendingSticker[] {
  return files.map((file, i) => ({ key: firstKey + i, file, emoji: "", state: "ready", sent: 0, total: file.size }));
}

/** How far a file is, 0 to 1: its upload's bytes, then adding it to the pack. */
export function pendingFraction(p: Pick<PendingSticker, "state" | "sent" | "total">): number {
  if (p.state === "adding") return 1;
  if (p.state !== "uploading" || p.total <= 0) return 0;
  return Math.min(1, Math.max(0, p.sent / p.total));
}

/** A pack the server answered (new, or with a sticker added) put in the list: in its place, or
 * last (the server lists packs oldest first). */
export function withPack(shown: readonly StickerPack[] | null, pack: StickerPack): StickerPack[] {
  const list = [...(shown ?? [])];
  const at = list.findIndex((p) => p.id === pack.id);
  if (at >= 0) list[at] = pack;
  else list.push(pack);
  return list;
}

/** Why the server refused a file or a sticker: not an image (or not one the admin uploaded), too
 * large (`max` and its unit as the server says them, when it does), an emoji it does not take,
 * the pack full, the pack gone (or another domain's), not an administrator, or something else. */
export type StickerFailure =
  | { kind: "not_image" }
  | { kind: "not_yours" }
  | { kind: "too_large"; max?: number; unit?: "bytes" | "pixels" }
  | { kind: "emoji" }
  | { kind: "full" }
  | { kind: "gone" }
  | { kind: "forbidden" }
  | { kind: "other"; error: unknown };

const field = (e: unknown, key: "code" | "field" | "message"): unknown =>
  typeof e === "object" && e !== null && key in e ? (e as Record<string, unknown>)[key] : undefined;

/** The limit in a `too_large` error's message ("image is larger than 20971520 bytes"). */
export function limitOf(message: unknown): { max: number; unit: "bytes" | "pixels" } | null {
  if (typeof message !== "string") return null;
  const m = /larger than (\d+) (bytes|pixels)/.exec(message);
  return m ? { max: Number(m[1]), unit: m[2] as "bytes" | "pixels" } : null;
}

/** What a refused upload (`ChatClient.upload`) or `addSticker` means. */
export function stickerFailure(e: unknown): StickerFailure {
  const code = field(e, "code");
  const name = field(e, "field");
  if ((code === "invalid_field" || code === "too_large") && name === "emoji") return { kind: "emoji" };
  if (code === "too_large") {
    const limit = limitOf(field(e, "message"));
    return limit ? { kind: "too_large", ...limit } : { kind: "too_large" };
  }
  if (code === "invalid_field" && name === "file") {
    // The server says "a sticker is an image" for a file of another type, and "must be an
    // image you uploaded" for a file someone else uploaded.
    const message = field(e, "message");
    return typeof message === "string" && message.includes("you uploaded") ? { kind: "not_yours" } : { kind: "not_image" };
  }
  if (code === "limit_exceeded") return { kind: "full" };
  if (code === "not_found") return { kind: "gone" };
  if (code === "forbidden") return { kind: "forbidden" };
  return { kind: "other", error: e };
}
