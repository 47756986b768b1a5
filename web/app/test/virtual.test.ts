import { describe, expect, it } from "vitest";
import { anchorAt, computeOffsets, isAtBottom, restoreAnchor, rowAt, visibleRange } from "../src/lib/virtual.ts";

const keys = (n: number, prefix = "k") => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe("virtual list math", () => {
  it("computes offsets from measured heights and an estimate", () => {
    const heights = new Map([["k1", 100]]);
    expect(computeOffsets(keys(3), heights, 50)).toEqual([0, 50, 150, 200]);
    expect(computeOffsets([], heights, 50)).toEqual([0]);
  });

  it("finds the row at a position", () => {
    const offsets = [0, 50, 150, 200];
    expect(rowAt(offsets, 0)).toBe(0);
    expect(rowAt(offsets, 49)).toBe(0);
    expect(rowAt(offsets, 50)).toBe(1);
    expect(rowAt(offsets, 199)).toBe(2);
    expect(rowAt(offsets, 10_000)).toBe(2);
    expect(rowAt(offsets, -5)).toBe(0);
  });

  it("renders only the rows in the viewport plus overscan", () => {
    const offsets = computeOffsets(keys(1000), new Map(), 50); // 50 000 px
    expect(visibleRange(offsets, 0, 500, 0)).toEqual({ start: 0, end: 11 });
    const mid = visibleRange(offsets, 10_000, 500, 200);
    expect(mid).toEqual({ start: 196, end: 215 });
    expect(mid.end - mid.start).toBeLessThan(30);
    const bottom = visibleRange(offsets, 49_500, 500, 200);
    expect(bottom.end).toBe(1000);
    expect(visibleRange([0], 0, 500, 200)).toEqual({ start: 0, end: 0 });
  });

  it("renders everything when it all fits", () => {
    const offsets = computeOffsets(keys(5), new Map(), 40);
    expect(visibleRange(offsets, 0, 800, 300)).toEqual({ start: 0, end: 5 });
  });

  it("keeps the row at the top of the viewport in place when older rows are prepended", () => {
    const before = keys(20, "m");
    const offsetsBefore = computeOffsets(before, new Map(), 50);
    const anchor = anchorAt(before, offsetsBefore, 525)!; // 25 px into m10
    expect(anchor).toEqual({ key: "m10", delta: 25 });
    const after = [...keys(10, "old"), ...before];
    const offsetsAfter = computeOffsets(after, new Map([["old3", 200]]), 50);
    // 10 older rows, one of them 150 px taller than estimated: 650 + 150 px above m10's old top.
    expect(restoreAnchor(anchor, after, offsetsAfter)).toBe(525 + 650);
    expect(restoreAnchor({ key: "gone", delta: 0 }, after, offsetsAfter)).toBeNull();
    expect(anchorAt([], [0], 0)).toBeNull();
  });

  it("never anchors to the rows before firstAnchor, so that a page prepended at the very top moves the view", () => {
    const before = ["head", ...keys(5, "m")];
    const offsetsBefore = computeOffsets(before, new Map([["head", 48]]), 50);
    const anchor = anchorAt(before, offsetsBefore, 0, 1)!;
    expect(anchor).toEqual({ key: "m0", delta: -48 });
    const after = ["head", ...keys(3, "old"), ...keys(5, "m")];
    const offsetsAfter = computeOffsets(after, new Map([["head", 48]]), 50);
    // m0 stays 48 px below the top of the viewport: the view is now 150 px down, off the top.
    expect(restoreAnchor(anchor, after, offsetsAfter)).toBe(150);
    expect(anchorAt(["head"], [0, 48], 0, 1)).toBeNull();
  });

  it("knows when the viewport is at the bottom", () => {
    expect(isAtBottom(500, 500, 1000)).toBe(true);
    expect(isAtBottom(460, 500, 1000)).toBe(true);
    expect(isAtBottom(400, 500, 1000)).toBe(false);
    expect(isAtBottom(0, 500, 300)).toBe(true);
  });
});
