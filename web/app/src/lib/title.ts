// The tab title: "(3) Magpie" while there are unread messages in conversations that are not
// muted. Muted conversations still show their own count in the list, but never call attention
// from another tab: that is what muting is for. A timed mute counts until it ends (nowMs).

import { isMuted, type Conversation } from "@magpie/sdk";

export function unreadTotal(conversations: readonly Pick<Conversation, "unread" | "me">[], nowMs: number): number {
  let total = 0;
  for (const c of conversations) if (c.unread > 0 && !isMuted(c, nowMs)) total += c.unread;
  return total;
}

export function documentTitle(unread: number, base = "Magpie"): string {
  if (unread <= 0) return base;
  return `(${unread > 999 ? "999+" : unread}) ${base}`;
}
