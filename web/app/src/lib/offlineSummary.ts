// What the summary after a long absence shows (issue 17, "While you were away"): whether the
// absence was long enough, which conversations count as missed and in what order, and the
// totals. Pure: the shell hands it the client's list after the first sync and the clock.

import { isMuted, type Conversation } from "@magpie/sdk";

/** An absence at least this long is worth a summary: shorter ones the list's badges cover. */
export const AWAY_MS_MIN = 30 * 60_000;
/** Conversations the summary lists at most, per group (not muted, muted); the totals count
 * them all. Someone back from a holiday needs the first few, not a second conversation list. */
export const SUMMARY_ITEMS_MAX = 20;

/** Whether this browser was away from the account long enough: `lastConnectedMs` is when it
 * last had the app connected, absent when it never had (a first sign-in here: nothing to say). */
export function awayLongEnough(lastConnectedMs: number | null | undefined, nowMs: number): boolean {
  return typeof lastConnectedMs === "number" && nowMs - lastConnectedMs >= AWAY_MS_MIN;
}

/** One conversation with messages the person has not read. */
export interface Missed {
  conversation: Conversation;
  unread: number;
  /** Unread messages that mention the person (or everyone). */
  mentions: number;
}

export interface MissedTotal { unread: number; conversations: number; mentions: number }

export interface AwaySummary {
  /** Conversations that are not muted: those that mention the person first, then the latest
   * activity first. */
  items: Missed[];
  /** Muted conversations (for good, or until a time not yet come), in the same order: counted
   * apart and listed last, as the tab title leaves them out. */
  muted: Missed[];
  total: MissedTotal;
  mutedTotal: MissedTotal;
}

/** Mentions first, then the latest activity, then the conversation's id for a stable order. */
function byImportance(a: Missed, b: Missed): number {
  return Number(b.mentions > 0) - Number(a.mentions > 0)
    || b.conversation.last_activity_ms - a.conversation.last_activity_ms
    || b.conversation.id - a.conversation.id;
}

function totalOf(list: Missed[]): MissedTotal {
  let unread = 0;
  let mentions = 0;
  for (const m of list) { unread += m.unread; mentions += m.mentions; }
  return { unread, conversations: list.length, mentions };
}

/** What the person missed, or null when there is nothing worth telling: no unread message in a
 * conversation that is not muted. (Muted ones alone are what the person asked not to hear of;
 * a conversation only marked unread has no message missed.) */
export function summarize(conversations: readonly Conversation[], nowMs: number): AwaySummary | null {
  const items: Missed[] = [];
  const muted: Missed[] = [];
  for (const c of conversations) {
    if (c.unread <= 0) continue;
    const missed = { conversation: c, unread: c.unread, mentions: Math.max(0, c.mentions) };
    (isMuted(c, nowMs) ? muted : items).push(missed);
  }
  if (items.length === 0) return null;
  items.sort(byImportance);
  muted.sort(byImportance);
  return { items, muted, total: totalOf(items), mutedTotal: totalOf(muted) };
}
