import { describe, expect, it } from "vitest";
import type { MessageView } from "@magpie/sdk";
import { buildRows } from "../src/lib/rows.ts";

let seq = 0;
function msg(at: Date, sender = "a@x", kind = "text"): MessageView {
  seq += 1;
  return { key: String(seq), mine: sender === "me@x", entry: { conversation: 1, seq, id: seq, sender, kind, body: { text: "x" }, at_ms: at.getTime() } };
}

describe("buildRows", () => {
  it("puts a separator before the first message of each local day", () => {
    const rows = buildRows([
      msg(new Date(2025, 0, 1, 23, 58)),
      msg(new Date(2025, 0, 1, 23, 59)),
      msg(new Date(2025, 0, 2, 0, 1)),
      msg(new Date(2025, 0, 5, 9, 0)),
    ]);
    expect(rows.map((r) => r.type)).toEqual(["day", "message", "message", "day", "message", "day", "message"]);
    const days = rows.filter((r) => r.type === "day").map((r) => (r.type === "day" ? r.day : ""));
    expect(days).toEqual(["2025-01-01", "2025-01-02", "2025-01-05"]);
    expect(new Set(rows.map((r) => r.key)).size).toBe(rows.length);
  });

  it("groups consecutive messages of one sender within five minutes", () => {
    const rows = buildRows([
      msg(new Date(2025, 0, 1, 10, 0), "a@x"),
      msg(new Date(2025, 0, 1, 10, 1), "a@x"),
      msg(new Date(2025, 0, 1, 10, 7), "a@x"),
      msg(new Date(2025, 0, 1, 10, 8), "b@x"),
      msg(new Date(2025, 0, 1, 10, 9), "b@x", "system"),
      msg(new Date(2025, 0, 1, 10, 9), "b@x"),
    ]).filter((r) => r.type === "message");
    expect(rows.map((r) => (r.type === "message" ? r.continued : null))).toEqual([false, true, false, false, false, false]);
  });

  it("never continues across midnight", () => {
    const rows = buildRows([msg(new Date(2025, 0, 1, 23, 59), "a@x"), msg(new Date(2025, 0, 2, 0, 0), "a@x")]).filter((r) => r.type === "message");
    expect(rows.map((r) => (r.type === "message" ? r.continued : null))).toEqual([false, false]);
  });

  it("is empty for no messages", () => {
    expect(buildRows([])).toEqual([]);
  });

  it("puts the new-messages divider before the first message of someone else after the read mark", () => {
    const day = (h: number) => new Date(2025, 0, 1, h);
    const a = msg(day(9)); // seq n
    const mine = msg(day(10), "me@x");
    const b = msg(day(11));
    const rows = buildRows([a, mine, b], { unreadAfter: a.entry.seq });
    expect(rows.map((r) => r.type)).toEqual(["day", "message", "message", "unread", "message"]);
    const [m1, m2] = [msg(day(9)), msg(day(9))];
    const next = buildRows([a, m1, m2], { unreadAfter: m1.entry.seq });
    expect(next.map((r) => (r.type === "message" ? r.continued : r.type))).toEqual(["day", false, true, "unread", false]);
    // Opening a day: the divider comes before the day's separator.
    const c = msg(new Date(2025, 0, 2, 8));
    expect(buildRows([b, c], { unreadAfter: b.entry.seq }).map((r) => r.type)).toEqual(["day", "message", "unread", "day", "message"]);
    expect(buildRows([a, b], { unreadAfter: null }).some((r) => r.type === "unread")).toBe(false);
  });
});
