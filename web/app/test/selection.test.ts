import { describe, expect, it } from "vitest";
import { EMPTY_SELECTION, chunks, extendTo, selectOne, selectedInOrder, toggle } from "../src/lib/selection.ts";

const order = [2, 3, 5, 8, 9, 12];
const seqs = (s: { seqs: ReadonlySet<number> }) => [...s.seqs].sort((a, b) => a - b);

describe("selecting messages", () => {
  it("starts with one message and toggles others", () => {
    let s = selectOne(3);
    expect(seqs(s)).toEqual([3]);
    s = toggle(s, 9);
    expect(seqs(s)).toEqual([3, 9]);
    expect(s.anchor).toBe(9);
    s = toggle(s, 3);
    expect(seqs(s)).toEqual([9]);
    expect(s.anchor).toBe(3);
  });

  it("selects the run from the anchor with Shift, in either direction, by the order shown", () => {
    const down = extendTo(selectOne(3), order, 9);
    expect(seqs(down)).toEqual([3, 5, 8, 9]);
    expect(down.anchor).toBe(3);
    const up = extendTo(selectOne(9), order, 3);
    expect(seqs(up)).toEqual([3, 5, 8, 9]);
    // Seqs that are not shown (4, 6, 7: notices, other people's deletions) are not selected.
    expect(seqs(up)).not.toContain(4);
  });

  it("a further Shift+click from the same anchor adds its run", () => {
    let s = toggle(selectOne(12), 3);
    s = extendTo(s, order, 8);
    expect(seqs(s)).toEqual([3, 5, 8, 12]);
    s = extendTo(s, order, 5);
    expect(seqs(s)).toEqual([3, 5, 8, 12]);
  });

  it("unselects the run when the anchor was just unselected", () => {
    let s = extendTo(selectOne(2), order, 12);
    expect(seqs(s)).toEqual(order);
    s = toggle(s, 5);
    s = extendTo(s, order, 9);
    expect(seqs(s)).toEqual([2, 3, 12]);
  });

  it("is a toggle without an anchor, or when the anchor is no longer shown", () => {
    expect(seqs(extendTo(EMPTY_SELECTION, order, 5))).toEqual([5]);
    expect(seqs(extendTo(selectOne(4), order, 5))).toEqual([4, 5]);
  });

  it("lists what is selected in the order shown, without what went away", () => {
    const s = toggle(toggle(toggle(selectOne(9), 2), 7), 5);
    expect(selectedInOrder(s, order)).toEqual([2, 5, 9]);
  });

  it("cuts a long list into requests of a bounded length", () => {
    expect(chunks([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunks([], 100)).toEqual([]);
  });
});
