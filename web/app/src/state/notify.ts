// Browser notifications for new messages while the tab is hidden, and the user's choice of them.

import type { Conversation } from "@magpie/sdk";

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

/** Whether a new message in `conversation` should raise a notification now. */
export function shouldNotify(conversation: Pick<Conversation, "me">, visibility: DocumentVisibilityState, wanted: boolean, perm: Permission): boolean {
  return visibility === "hidden" && wanted && perm === "granted" && !conversation.me.muted;
}
