// The rows of the message list: day separators between local calendar days, and each message
// with whether it continues the previous one (same sender, within a few minutes: no repeated
// name and avatar).

import type { MessageView } from "@magpie/sdk";
import { dayKey } from "./format.ts";

export type Row =
  | { type: "day"; key: string; day: string; atMs: number }
  | { type: "message"; key: string; view: MessageView; continued: boolean }
  /** "New messages": before the first message of someone else after the read mark. */
  | { type: "unread"; key: "unread" };

/** Messages closer than this from the same sender share one header. */
export const GROUP_GAP_MS = 5 * 60_000;

/** `unreadAfter`: the read mark when the conversation was opened with unread messages; the
 * "new messages" divider goes before the first message of someone else after it (and before
 * its day's separator when it opens a day). */
export function buildRows(messages: MessageView[], options: { unreadAfter?: number | null } = {}): Row[] {
  const rows: Row[] = [];
  let lastDay = "";
  let prev: MessageView | undefined;
  let divided = options.unreadAfter === undefined || options.unreadAfter === null;
  for (const view of messages) {
    const at = view.entry.at_ms;
    const day = dayKey(at);
    const firstUnread = !divided && !view.mine && view.entry.kind !== "system" && view.entry.seq > options.unreadAfter!;
    if (firstUnread) {
      divided = true;
      rows.push({ type: "unread", key: "unread" });
      prev = undefined; // The first new message shows its sender again.
    }
    if (day !== lastDay) {
      rows.push({ type: "day", key: `day:${day}`, day, atMs: at });
      lastDay = day;
      prev = undefined;
    }
    const isSystem = view.entry.kind === "system";
    const continued = !isSystem && prev !== undefined && prev.entry.kind !== "system" &&
      prev.entry.sender === view.entry.sender && at - prev.entry.at_ms < GROUP_GAP_MS && at >= prev.entry.at_ms;
    rows.push({ type: "message", key: view.key, view, continued });
    prev = view;
  }
  return rows;
}
