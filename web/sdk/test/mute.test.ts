// A conversation's own notification settings (docs/protocol.md, the Conversation's
// `me.unmute_at_ms` and `me.notify_level`): a timed mute that ends by itself, read by isMuted,
// and the settings as settings_changed and fetched summaries bring them to the replica.

import { describe, expect, test } from "vitest";

import { PAGE_LEN, Replica, isMuted, type AccountEvent, type Conversation } from "../src/index.ts";

const ME = "alice@localhost";
const HOUR_MS = 3_600_000;
const NOW_MS = 1_800_000_000_000;

function conversation(lastSeq: number, me: Partial<Conversation["me"]> = {}): Conversation {
  return {
    id: 1, kind: "group", name: "Ops", mute_all: false, member_count: 3, last_seq: lastSeq, activity: 1,
    last_activity_ms: 1000, created_at_ms: 1000,
    me: { role: "member", joined_seq: 0, read_seq: 0, delivered_seq: 0, pinned: false, muted: false, ...me },
    unread: 0, mentions: 0,
  };
}

function settings(seq: number, fields: Record<string, unknown>): AccountEvent {
  return { seq, at_ms: NOW_MS, event: { kind: "settings_changed", conversation: 1, ...fields } };
}

describe("isMuted", () => {
  test("a mute for good lasts, a timed one ends at its time, and no mute is no mute", () => {
    expect(isMuted(conversation(0, { muted: true }), NOW_MS)).toBe(true);
    expect(isMuted(conversation(0, { muted: true }), Number.MAX_SAFE_INTEGER)).toBe(true);
    const timed = conversation(0, { muted: true, unmute_at_ms: NOW_MS + HOUR_MS });
    expect(isMuted(timed, NOW_MS)).toBe(true);
    expect(isMuted(timed, NOW_MS + HOUR_MS - 1)).toBe(true);
    // At its time the server reads it as not muted, with no event: so does the client.
    expect(isMuted(timed, NOW_MS + HOUR_MS)).toBe(false);
    expect(isMuted(timed, NOW_MS + 2 * HOUR_MS)).toBe(false);
    expect(isMuted(conversation(0), NOW_MS)).toBe(false);
    // A time left with `muted: false` (it should not come) does not mute.
    expect(isMuted(conversation(0, { muted: false, unmute_at_ms: NOW_MS + HOUR_MS }), NOW_MS)).toBe(false);
  });
});

describe("the replica", () => {
  test("takes a timed mute, its end and the level from settings_changed, and clears them again", () => {
    const replica = new Replica(ME);
    replica.mergeSummary(conversation(0));
    const me = () => replica.get(1)!.conversation.me;
    replica.applyAccountEvent(settings(1, { muted: true, unmute_at_ms: NOW_MS + HOUR_MS }));
    expect([me().muted, me().unmute_at_ms]).toEqual([true, NOW_MS + HOUR_MS]);
    // Any `muted` replaces the time before: muted for good has none.
    replica.applyAccountEvent(settings(2, { muted: true }));
    expect([me().muted, me().unmute_at_ms]).toEqual([true, undefined]);
    replica.applyAccountEvent(settings(3, { muted: true, unmute_at_ms: NOW_MS + HOUR_MS }));
    replica.applyAccountEvent(settings(4, { muted: false }));
    expect([me().muted, me().unmute_at_ms]).toEqual([false, undefined]);
    replica.applyAccountEvent(settings(5, { notify_level: "mentions" }));
    expect(me().notify_level).toBe("mentions");
    // An event that leaves the level out leaves it be; "default" takes it away.
    replica.applyAccountEvent(settings(6, { pinned: true }));
    expect(me().notify_level).toBe("mentions");
    replica.applyAccountEvent(settings(7, { notify_level: "default" }));
    expect(me().notify_level).toBeUndefined();
  });

  test("keeps a stale summary's mute together with its end, and its level", () => {
    const replica = new Replica(ME);
    replica.mergeSummary(conversation(5, { muted: true, notify_level: "nothing" }));
    replica.replaceBlock(1, [], 5, PAGE_LEN);
    // Fetched before entries that were applied since: only its settings are taken.
    expect(replica.mergeSummary(conversation(3, { muted: true, unmute_at_ms: NOW_MS + HOUR_MS }))).toBe("stale");
    const me = replica.get(1)!.conversation.me;
    expect([me.muted, me.unmute_at_ms, me.notify_level]).toEqual([true, NOW_MS + HOUR_MS, undefined]);
    expect(replica.mergeSummary(conversation(3, { muted: false, notify_level: "all" }))).toBe("stale");
    const after = replica.get(1)!.conversation.me;
    expect([after.muted, after.unmute_at_ms, after.notify_level]).toEqual([false, undefined, "all"]);
  });
});
