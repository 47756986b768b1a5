// Browser notifications for new messages while the tab is hidden, and the user's choice of them.

import { isMuted, type Conversation, type Entry } from "@magpie/sdk";

const KEY = "magpie.notifications";

export type Permission = NotificationPermission | "unsupported";

export function permission(): Permission {
  return typeof Notification === "undefined" ? "unsupported" : Notification.permission;
}

/** On unless the user turned it off here (the browser's permission is asked separately). */
export function notificationsWanted(): boolean {
  try { return localStorage.getItem(KEY) !== "off"; } catch { return true; }
}

export function setNotificationsWanted(on: boolean): void {
  try { localStorage.setItem(KEY, on ? "on" : "off"); } catch { /* private mode */ }
}

export async function requestPermission(): Promise<Permission> {
  if (typeof Notification === "undefined") return "unsupported";
  try { return await Notification.requestPermission(); } catch { return Notification.permission; }
}

/** Whether the conversation's own settings let a new message through: never while it is muted
 * (for good, or until `me.unmute_at_ms`); then by its own level where the user set one, as the
 * server's push rule reads it: "nothing" lets nothing through, "mentions" a direct message, a
 * mention of `me` or @all. Without a level of its own, every message (this page does not read
 * the account's preferences). */
export function conversationLets(
  conversation: Pick<Conversation, "kind" | "me">, entry: Pick<Entry, "mentions" | "mention_all">, me: string, nowMs: number,
): boolean {
  if (isMuted(conversation, nowMs)) return false;
  switch (conversation.me.notify_level) {
    case "nothing": return false;
    case "mentions": return conversation.kind === "direct" || entry.mention_all === true || (entry.mentions ?? []).includes(me);
    default: return true;
  }
}

export interface NotifyContext {
  /** The signed-in account. */
  me: string;
  nowMs: number;
  visibility: DocumentVisibilityState;
  wanted: boolean;
  perm: Permission;
}

/** Whether a new message in `conversation` should raise a notification now. */
export function shouldNotify(conversation: Pick<Conversation, "kind" | "me">, entry: Pick<Entry, "mentions" | "mention_all">, context: NotifyContext): boolean {
  return context.visibility === "hidden" && context.wanted && context.perm === "granted" &&
    conversationLets(conversation, entry, context.me, context.nowMs);
}
