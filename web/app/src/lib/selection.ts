// Selecting several messages (issue 23): a click toggles one, Shift+click selects the run from
// the last message clicked (the anchor) to this one, as in a file manager. Messages are named
// by seq; `order` is the seqs that can be selected, in the order they are shown.

export interface Selection {
  readonly seqs: ReadonlySet<number>;
  /** The message a Shift+click extends from: the last one clicked. */
  readonly anchor: number | undefined;
}

export const EMPTY_SELECTION: Selection = { seqs: new Set(), anchor: undefined };

/** Selects `seq` alone, to start with. */
export function selectOne(seq: number): Selection {
  return { seqs: new Set([seq]), anchor: seq };
}

/** Selects or unselects `seq`; it becomes the anchor either way. */
export function toggle(selection: Selection, seq: number): Selection {
  const seqs = new Set(selection.seqs);
  if (seqs.has(seq)) seqs.delete(seq);
  else seqs.add(seq);
  return { seqs, anchor: seq };
}

/** Shift+click on `seq`: every message from the anchor to `seq` (both included, in `order`)
 * takes the anchor's state: selected when the last click selected it, unselected when it took
 * it away. Without an anchor that is still shown, it is a toggle. The anchor stays, so that
 * further Shift+clicks extend from the same place. */
export function extendTo(selection: Selection, order: readonly number[], seq: number): Selection {
  const from = selection.anchor === undefined ? -1 : order.indexOf(selection.anchor);
  const to = order.indexOf(seq);
  if (from < 0 || to < 0) return toggle(selection, seq);
  const [lo, hi] = from <= to ? [from, to] : [to, from];
  const select = selection.seqs.has(order[from]!);
  const seqs = new Set(selection.seqs);
  for (let i = lo; i <= hi; i++) {
    if (select) seqs.add(order[i]!);
    else seqs.delete(order[i]!);
  }
  return { seqs, anchor: selection.anchor };
}

/** The selected seqs that can still be selected (a message recalled or deleted elsewhere
 * meanwhile drops out), in the order shown. */
export function selectedInOrder(selection: Selection, order: readonly number[]): number[] {
  return order.filter((seq) => selection.seqs.has(seq));
}

/** `seqs` cut into runs of at most `len` (the server takes a bounded number per request). */
export function chunks<T>(items: readonly T[], len: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += len) out.push(items.slice(i, i + len));
  return out;
}
