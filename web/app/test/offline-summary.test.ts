// The offline summary's rules: how long an absence must be, which conversations count as
// missed, their order (mentions first, then the latest activity), muted ones apart, the totals.
import { describe, expect, it } from "vitest";
import { AWAY_MS_MIN, awayLongEnough, summarize } from "../src/lib/offlineSummary.ts";
import { conversation } from "./fake-client.ts";

const NOW_MS = 1_800_000_000_000;
const MINUTE_MS = 60_000;

describe("the absence", () => {
  it("is long enough from half an hour on", () => {
    expect(AWAY_MS_MIN).toBe(30 * MINUTE_MS);
    expect(awayLongEnough(NOW_MS - 2 * 60 * MINUTE_MS, NOW_MS)).toBe(true);
    expect(awayLongEnough(NOW_MS - 30 * MINUTE_MS, NOW_MS)).toBe(true);
    expect(awayLongEnough(NOW_MS - 29 * MINUTE_MS, NOW_MS)).toBe(false);
    expect(awayLongEnough(NOW_MS, NOW_MS)).toBe(false);
  });

  it("is never long enough in a browser that never had the account connected", () => {
    expect(awayLongEnough(null, NOW_MS)).toBe(false);
    expect(awayLongEnough(undefined, NOW_MS)).toBe(false);
  });
});

describe("what was missed", () => {
  it("lists conversations with unread messages, mentions first, then the latest activity", () => {
    const list = [
      conversation(1, { unread: 4, last_activity_ms: NOW_MS - 1000 }),
      conversation(2, { kind: "group", unread: 2, mentions: 1, last_activity_ms: NOW_MS - 50_000 }),
      conversation(3, { unread: 0, last_activity_ms: NOW_MS }),
      conversation(4, { kind: "group", unread: 6, mentions: 2, last_activity_ms: NOW_MS - 20_000 }),
      conversation(5, { unread: 1, last_activity_ms: NOW_MS - 90_000 }),
    ];
    const summary = summarize(list, NOW_MS)!;
    expect(summary.items.map((m) => m.conversation.id)).toEqual([4, 2, 1, 5]);
    expect(summary.items.map((m) => [m.unread, m.mentions])).toEqual([[6, 2], [2, 1], [4, 0], [1, 0]]);
    expect(summary.total).toEqual({ unread: 13, conversations: 4, mentions: 3 });
    expect(summary.muted).toEqual([]);
    expect(summary.mutedTotal).toEqual({ unread: 0, conversations: 0, mentions: 0 });
  });

  it("keeps the same order for the same activity, by conversation", () => {
    const list = [conversation(7, { unread: 1, last_activity_ms: NOW_MS }), conversation(9, { unread: 1, last_activity_ms: NOW_MS })];
    expect(summarize(list, NOW_MS)!.items.map((m) => m.conversation.id)).toEqual([9, 7]);
    expect(summarize([...list].reverse(), NOW_MS)!.items.map((m) => m.conversation.id)).toEqual([9, 7]);
  });

  it("puts muted conversations apart, with totals of their own, a mention in them included", () => {
    const list = [
      conversation(1, { unread: 3, last_activity_ms: NOW_MS - 5000 }),
      conversation(2, { kind: "group", unread: 40, mentions: 1, last_activity_ms: NOW_MS }, { muted: true }),
      conversation(3, { kind: "group", unread: 5, last_activity_ms: NOW_MS - 1000 }, { muted: true, unmute_at_ms: NOW_MS + 3_600_000 }),
    ];
    const summary = summarize(list, NOW_MS)!;
    expect(summary.items.map((m) => m.conversation.id)).toEqual([1]);
    expect(summary.total).toEqual({ unread: 3, conversations: 1, mentions: 0 });
    expect(summary.muted.map((m) => m.conversation.id)).toEqual([2, 3]);
    expect(summary.mutedTotal).toEqual({ unread: 45, conversations: 2, mentions: 1 });
  });

  it("counts a conversation whose timed mute has ended as not muted", () => {
    const list = [conversation(3, { unread: 5 }, { muted: true, unmute_at_ms: NOW_MS - 1 })];
    expect(summarize(list, NOW_MS)!.items.map((m) => m.conversation.id)).toEqual([3]);
  });

  it("says nothing when nothing is unread, or only in muted conversations", () => {
    expect(summarize([], NOW_MS)).toBeNull();
    expect(summarize([conversation(1), conversation(2, {}, { marked_unread: true })], NOW_MS)).toBeNull();
    expect(summarize([conversation(1, { unread: 9, mentions: 2 }, { muted: true })], NOW_MS)).toBeNull();
  });
});
