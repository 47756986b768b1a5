import { describe, expect, it } from "vitest";
import { NO_FILTERS, filesQuery, messagesQuery, moveIndex, rangeBounds, searchable, snippetParts } from "../src/lib/search.ts";

const plain = { cut_start: false, cut_end: false };

describe("snippet highlights", () => {
  it("marks the ranges, counted in Unicode scalar values", () => {
    // 😀 is two UTF-16 units but one scalar: 进度 starts at 4, not 5.
    expect(snippetParts({ text: "本周😀的进度如何", highlights: [[4, 6]], ...plain })).toEqual([
      { text: "本周😀的", mark: false }, { text: "进度", mark: true }, { text: "如何", mark: false },
    ]);
    expect(snippetParts({ text: "Meetings on Friday", highlights: [[0, 8], [12, 18]], ...plain })).toEqual([
      { text: "Meetings", mark: true }, { text: " on ", mark: false }, { text: "Friday", mark: true },
    ]);
  });

  it("merges overlapping and unsorted ranges, clamps those out of range, and drops empty ones", () => {
    expect(snippetParts({ text: "abcdef", highlights: [[3, 9], [1, 2], [1, 3], [4, 4], [-2, 0]], ...plain })).toEqual([
      { text: "a", mark: false }, { text: "bcdef", mark: true },
    ]);
    expect(snippetParts({ text: "abc", highlights: [], ...plain })).toEqual([{ text: "abc", mark: false }]);
  });

  it("shows an ellipsis where the text was cut", () => {
    expect(snippetParts({ text: "进度", highlights: [[0, 2]], cut_start: true, cut_end: true })).toEqual([
      { text: "…", mark: false }, { text: "进度", mark: true }, { text: "…", mark: false },
    ]);
  });
});

describe("search queries", () => {
  const now = new Date(2025, 5, 15, 12, 0).getTime();

  it("sends only the filters that are set", () => {
    expect(messagesQuery("  进度 ", NO_FILTERS, now)).toEqual({ q: "进度" });
    expect(messagesQuery("release", { ...NO_FILTERS, conversation: 7, sender: "bob@x", has: "link", mentionsMe: true, order: "newest" }, now, "c2", 20))
      .toEqual({ q: "release", conversation: 7, sender: "bob@x", has: "link", mentions_me: true, order: "newest", limit: 20, cursor: "c2" });
  });

  it("turns date ranges into bounds, a custom range's last day included", () => {
    expect(rangeBounds({ range: "week" }, now)).toEqual({ after_ms: now - 7 * 86_400_000 });
    expect(rangeBounds({ range: "custom", from: "2025-06-01", to: "2025-06-02" }, now)).toEqual({
      after_ms: new Date(2025, 5, 1).getTime(), before_ms: new Date(2025, 5, 3).getTime(),
    });
    expect(rangeBounds({ range: "custom", from: "", to: "nonsense" }, now)).toEqual({});
  });

  it("lists files newest first without words, and needs words or a filter", () => {
    expect(filesQuery("", { ...NO_FILTERS, fileType: "image" }, now)).toEqual({ type: "image", order: "newest" });
    expect(filesQuery("plan", NO_FILTERS, now)).toEqual({ q: "plan" });
    expect(searchable("files", "", NO_FILTERS)).toBe(false);
    expect(searchable("files", "", { ...NO_FILTERS, fileType: "image" })).toBe(true);
    expect(searchable("messages", " ", { ...NO_FILTERS, conversation: 1 })).toBe(false);
  });

  it("moves a roving focus", () => {
    expect(moveIndex("ArrowDown", 0, 3)).toBe(1);
    expect(moveIndex("ArrowDown", 2, 3)).toBe(2);
    expect(moveIndex("ArrowUp", 0, 3)).toBe(0);
    expect(moveIndex("End", 0, 3)).toBe(2);
    expect(moveIndex("a", 0, 3)).toBeUndefined();
    expect(moveIndex("ArrowDown", 0, 0)).toBeUndefined();
  });
});
