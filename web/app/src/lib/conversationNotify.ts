// A conversation's own notification settings (docs/protocol.md `PATCH /v1/conversations/{id}/settings`):
// how long a mute lasts, the change each choice sends, when the next timed mute ends, and the
// levels a conversation can follow. Pure functions: the clock is passed in.

import { isMuted, type Conversation, type NotifyLevelChoice, type SettingsChange } from "@magpie/sdk";

export type MuteChoice = "hour" | "hours8" | "day" | "week" | "forever";

/** What the mute dialog offers, shortest first; "forever" lasts until the user unmutes. */
export const MUTE_CHOICES: readonly MuteChoice[] = ["hour", "hours8", "day", "week", "forever"];

const HOUR_MS = 3_600_000;
const MUTE_MS: Record<MuteChoice, number | null> = { hour: HOUR_MS, hours8: 8 * HOUR_MS, day: 24 * HOUR_MS, week: 7 * 24 * HOUR_MS, forever: null };

/** The settings change that mutes for `choice` from `nowMs`. */
export function muteChange(choice: MuteChoice, nowMs: number): SettingsChange {
  const ms = MUTE_MS[choice];
  return ms === null ? { muted: true } : { muted: true, unmute_at_ms: nowMs + ms };
}

/** When a timed mute muted at `nowMs` ends: a view that reads `isMuted` changes by itself then. */
export function muteEnd(c: Pick<Conversation, "me">, nowMs: number): number | undefined {
  return isMuted(c, nowMs) ? c.me.unmute_at_ms : undefined;
}

/** The soonest end of the timed mutes among `conversations`, for what counts across them. */
export function nextMuteEnd(conversations: readonly Pick<Conversation, "me">[], nowMs: number): number | undefined {
  let next: number | undefined;
  for (const c of conversations) {
    const end = muteEnd(c, nowMs);
    if (end !== undefined && (next === undefined || end < next)) next = end;
  }
  return next;
}

/** The levels the info pane offers: "default" follows the account's (Settings → Notifications). */
export const LEVEL_CHOICES: readonly NotifyLevelChoice[] = ["default", "all", "mentions", "nothing"];
