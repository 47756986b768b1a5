// Window math of the virtualised message list. Rows have measured heights (an estimate until
// measured); the list renders only the rows that overlap the viewport, widened by an overscan
// margin, between two spacers. Pure functions so that the math is tested without a browser.

/** `offsets[i]` is the top of row i; `offsets[n]` the total height. */
export function computeOffsets(keys: readonly string[], heights: ReadonlyMap<string, number>, estimate: number): number[] {
  const offsets = new Array<number>(keys.length + 1);
  let y = 0;
  for (let i = 0; i < keys.length; i++) {
    offsets[i] = y;
    y += heights.get(keys[i]!) ?? estimate;
  }
  offsets[keys.length] = y;
  return offsets;
}

/** The index of the row containing `y` (the last row whose top is at or above it). */
export function rowAt(offsets: readonly number[], y: number): number {
  const n = offsets.length - 1;
  if (n <= 0) return 0;
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (offsets[mid]! <= y) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Rows [start, end) to render for a viewport at `scrollTop` of height `viewport`. */
export function visibleRange(offsets: readonly number[], scrollTop: number, viewport: number, overscan: number): { start: number; end: number } {
  const n = offsets.length - 1;
  if (n <= 0) return { start: 0, end: 0 };
  const top = Math.max(0, scrollTop - overscan);
  const bottom = scrollTop + viewport + overscan;
  const start = rowAt(offsets, top);
  let end = rowAt(offsets, bottom) + 1;
  if (end > n) end = n;
  return { start, end: Math.max(end, start + 1) };
}

/** The row at the top of the viewport and how far the viewport's top is into it: what must stay
 * put when rows are added above it or measured differently. */
export interface Anchor { key: string; delta: number }

/** Rows before `firstAnchor` are never the anchor: the message list's head (the spinner or
 * "the beginning") stays first whatever is prepended, so anchoring to it would keep the view
 * at the very top while older rows are added below it, and the next page would never be asked
 * for. Then the first row after it is the anchor, and `delta` is negative. */
export function anchorAt(keys: readonly string[], offsets: readonly number[], scrollTop: number, firstAnchor = 0): Anchor | null {
  if (keys.length <= firstAnchor) return null;
  const i = Math.max(rowAt(offsets, scrollTop), firstAnchor);
  return { key: keys[i]!, delta: scrollTop - offsets[i]! };
}

/** The scrollTop that puts the anchor where it was, or null when its row is gone. */
export function restoreAnchor(anchor: Anchor, keys: readonly string[], offsets: readonly number[]): number | null {
  const i = keys.indexOf(anchor.key);
  if (i < 0) return null;
  return offsets[i]! + anchor.delta;
}

/** Within this many pixels of the bottom counts as "at the bottom". */
export const BOTTOM_SLACK_PX = 48;

export function isAtBottom(scrollTop: number, viewport: number, total: number): boolean {
  return total - (scrollTop + viewport) <= BOTTOM_SLACK_PX;
}
