// Who may do what (protocol §7.1 roles, §7.5 posting/editing/recalling, §7.6 group changes).
// The server enforces all of it; the app uses these to show only the actions that can work.

import type { Conversation, Entry, Member, Role } from "@magpie/sdk";
import { EDITABLE_KINDS } from "./body.ts";

export const EDIT_WINDOW_MS = 24 * 3600_000;
export const RECALL_WINDOW_MS = 120_000;

export function rank(role: Role | undefined): number {
  return role === "owner" ? 2 : role === "admin" ? 1 : 0;
}

export const isGroupLike = (c: Pick<Conversation, "kind">) => c.kind === "group" || c.kind === "channel";
export const isModerator = (c: Pick<Conversation, "me">) => rank(c.me.role) >= 1;

export type PostBlock = null | "channel" | "mute_all" | "muted";

/** Why the caller may not post here now, or null when it may. */
export function postBlock(c: Pick<Conversation, "kind" | "me" | "mute_all">, now: number): PostBlock {
  if (c.kind === "direct") return null;
  if (isModerator(c)) return null;
  if (c.kind === "channel") return "channel";
  if (c.mute_all) return "mute_all";
  if (c.me.muted_until_ms !== undefined && c.me.muted_until_ms > now) return "muted";
  return null;
}

type MessageLike = Pick<Entry, "sender" | "kind" | "at_ms" | "recalled_at_ms" | "hidden" | "body" | "seq">;

const isLive = (e: MessageLike) => e.seq > 0 && e.recalled_at_ms === undefined && !e.hidden && e.body != null && e.kind !== "system";

export function canEdit(e: MessageLike, c: Pick<Conversation, "kind" | "me" | "mute_all">, me: string, now: number): boolean {
  return isLive(e) && e.sender === me && EDITABLE_KINDS.has(e.kind) && now - e.at_ms < EDIT_WINDOW_MS && postBlock(c, now) === null;
}

export function canRecall(e: MessageLike, c: Pick<Conversation, "kind" | "me">, members: Member[] | undefined, me: string, now: number): boolean {
  if (!isLive(e)) return false;
  if (e.sender === me) {
    if (isGroupLike(c) && isModerator(c)) return true;
    return now - e.at_ms < RECALL_WINDOW_MS;
  }
  if (!isGroupLike(c) || !isModerator(c)) return false;
  const senderRole = members?.find((m) => m.account === e.sender)?.role;
  // A former member (not in the list) may be moderated too.
  return rank(c.me.role) > rank(senderRole);
}

export function canReact(e: MessageLike): boolean { return isLive(e); }
/** Pinning (§7.5): both members of a direct chat; the owner and admins of a group or channel. */
export function canPin(e: MessageLike, c: Pick<Conversation, "kind" | "me">): boolean {
  return isLive(e) && (c.kind === "direct" || isModerator(c));
}
export const mayPin = (c: Pick<Conversation, "kind" | "me">) => c.kind === "direct" || isModerator(c);
/** Saving (§7.11): any message that still stands. */
export function canSave(e: MessageLike): boolean { return isLive(e); }
export function canForward(e: MessageLike): boolean { return isLive(e); }
/** Stored messages may be selected (to forward or delete for me), even recalled ones (to
 * delete them), but not notices or what is deleted already. */
export function canSelect(e: MessageLike): boolean { return e.seq > 0 && !e.hidden && e.kind !== "system"; }

/** The sender, and a group's owner and admins, may list a message's receipts. */
export function canSeeReceipts(e: Pick<Entry, "sender">, c: Pick<Conversation, "kind" | "me">, me: string): boolean {
  return e.sender === me || (isGroupLike(c) && isModerator(c));
}

// Group management (§7.6).
export const canEditInfo = (c: Pick<Conversation, "kind" | "me">) => isGroupLike(c) && isModerator(c);
export const canAddMembers = (c: Pick<Conversation, "kind" | "me">) => c.kind === "group" || (c.kind === "channel" && isModerator(c));
export const canSetRoles = (c: Pick<Conversation, "kind" | "me">) => isGroupLike(c) && c.me.role === "owner";
export const canTransfer = canSetRoles;
export const canDissolve = canSetRoles;
export const canLeave = (c: Pick<Conversation, "kind" | "me">) => isGroupLike(c) && c.me.role !== "owner";
export const canMentionAll = (c: Pick<Conversation, "kind" | "me">) => isGroupLike(c) && isModerator(c);

/** The owner removes admins and members; an admin removes members; nobody removes itself. */
export function canRemove(c: Pick<Conversation, "kind" | "me">, target: Pick<Member, "account" | "role">, me: string): boolean {
  return isGroupLike(c) && target.account !== me && rank(c.me.role) >= 1 && rank(c.me.role) > rank(target.role);
}
