// The virtualised message log. Only the rows overlapping the viewport (plus an overscan margin)
// are in the DOM, between two spacers whose heights come from measured row heights (an
// estimate until a row has been seen). The list:
// - sticks to the bottom while the user is at the bottom (new messages, images loading);
// - otherwise keeps the row at the top of the viewport exactly where it is, also when older
//   history is prepended or rows above are measured (scroll anchoring done by hand, since the
//   rows are not all in the DOM);
// - asks for older history (loadOlder) when the user scrolls near the top;
// - opens at the first unread message, under a "new messages" divider, and tells its owner
//   which messages of others have been on screen (onSeen), to mark them read as they are seen.

import type { ComponentChildren, JSX } from "preact";
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import type { ConversationView } from "@magpie/sdk";
import { useT } from "../i18n/hooks.ts";
import { buildRows, type Row } from "../lib/rows.ts";
import { type Anchor, BOTTOM_SLACK_PX, anchorAt, computeOffsets, isAtBottom, restoreAnchor, visibleRange } from "../lib/virtual.ts";
import { errorText } from "../state/client.ts";
import { toast } from "../state/toast.ts";
import { Icon } from "./icons.tsx";
import { RowView, type RowEnv, type RowSelection } from "./Message.tsx";
import { canSelect } from "../lib/permissions.ts";
import type { Selection } from "../lib/selection.ts";
import { Spinner } from "./ui.tsx";
import { type EphemeralAnswer, withAnswers } from "../lib/commands.ts";
import { CommandAnswerRow } from "./CommandAnswer.tsx";

const ESTIMATE_PX = 64;
/** Room left above the "new messages" divider when a conversation opens at it. */
const UNREAD_MARGIN_PX = 12;
const OVERSCAN_PX = 800;
const LOAD_OLDER_PX = 600;
const LOAD_RETRY_MS = 5000;

/** An app's answer to a slash command for this person only (issue 18), among the messages. */
type AnswerRow = { type: "answer"; key: string; answer: EphemeralAnswer };
type ListRow = Row | { type: "head"; key: "head" } | AnswerRow;
/** Rows before this index (the head) are not content: never a scroll anchor. */
const CONTENT_START = 1;

export interface MessageListHandle {
  scrollToBottom(): void;
  scrollToSeq(seq: number): boolean;
}

export function MessageList(props: {
  view: ConversationView; env: RowEnv; now: number; highlightKey: string | undefined;
  /** The conversation has been opened (its newest page is loaded): older pages may be asked for. */
  ready: boolean;
  /** The read mark the conversation was opened with, when it had unread messages (the list
   * opens at the divider after it); null when it had none (the list opens at the end);
   * undefined while that is not known yet (nothing is shown or reported as seen). */
  unreadAfter: number | null | undefined;
  /** The newest seq of someone else's message that has been on screen, while the page is visible. */
  onSeen: (seq: number) => void;
  handle: { current: MessageListHandle | null }; onAtBottom: (atBottom: boolean) => void;
  /** The messages selected, while the user selects some (issue 23); null otherwise. */
  selection: Selection | null;
  /** Apps' answers for this person only, to show among the messages, and dismissing one. */
  answers?: readonly EphemeralAnswer[] | undefined;
  onDismissAnswer?: ((key: string) => void) | undefined;
}): JSX.Element {
  const { view, env } = props;
  const { t } = useT();
  const client = env.client;
  const id = view.conversation.id;

  const answers = props.answers;
  const rows = useMemo<ListRow[]>(() => {
    const built: ListRow[] = [{ type: "head", key: "head" }, ...buildRows(view.messages, { unreadAfter: props.unreadAfter })];
    if (!answers || answers.length === 0) return built;
    return withAnswers<ListRow>(built, answers, (r) => (r.type === "message" ? r.view.entry.seq : undefined), (answer) => ({ type: "answer", key: answer.key, answer }));
  }, [view.messages, props.unreadAfter, answers]);
  const keys = useMemo(() => rows.map((r) => r.key), [rows]);
  /** The messages that take part in roving focus (not notices, separators or the head). */
  const messageKeys = useMemo(() => rows.filter((r) => r.type === "message" && r.view.entry.kind !== "system").map((r) => r.key), [rows]);
  const messageKeySet = useMemo(() => new Set(messageKeys), [messageKeys]);
  // The message last moved to (see activeKey below).
  const [chosenKey, setActiveKey] = useState<string | undefined>(undefined);
  const pendingFocus = useRef<string | null>(null);

  const heights = useRef(new Map<string, number>()).current;
  const [measured, setMeasured] = useState(0);
  const offsets = useMemo(() => computeOffsets(keys, heights, ESTIMATE_PX), [keys, measured]);

  const scroller = useRef<HTMLDivElement>(null);
  // Re-renders on scroll; the window itself is computed from the element's live scrollTop.
  const [, setScrollTop] = useState(0);
  const [viewport, setViewport] = useState(800);
  const atBottom = useRef(true);
  const anchor = useRef<Anchor | null>(null);
  const [showJump, setShowJump] = useState(false);
  const [unseen, setUnseen] = useState(false);
  const loading = useRef(false);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [placed, setPlaced] = useState(false);
  const lastKey = useRef<string | undefined>(keys[keys.length - 1]);

  // Measuring rows.
  const observer = useMemo(() => typeof ResizeObserver === "undefined" ? null : new ResizeObserver((entries) => {
    let changed = false;
    for (const e of entries) {
      const el = e.target as HTMLElement;
      const key = el.dataset.rowkey;
      if (!key) continue;
      const h = el.offsetHeight;
      if (h > 0 && heights.get(key) !== h) { heights.set(key, h); changed = true; }
    }
    if (changed) setMeasured((n) => n + 1);
  }), []);
  useEffect(() => () => observer?.disconnect(), [observer]);

  // Which messages of others are on screen: at least half of them, or half the screen's height
  // for a long one. Their newest is reported as seen while the page is visible, and again when
  // it becomes visible. Nothing is reported before the list has been put at its first place.
  const positioned = useRef(false);
  const onScreen = useRef(new Set<number>()).current;
  const onSeen = useRef(props.onSeen);
  onSeen.current = props.onSeen;
  const reportSeen = useCallback(() => {
    if (!positioned.current || onScreen.size === 0 || document.visibilityState !== "visible") return;
    onSeen.current(Math.max(...onScreen));
  }, []);
  const seenObserver = useMemo(() => typeof IntersectionObserver === "undefined" ? null : new IntersectionObserver((entries) => {
    for (const e of entries) {
      const seq = Number((e.target as HTMLElement).dataset.seenseq);
      const half = e.intersectionRatio >= 0.5 || (e.rootBounds !== null && e.intersectionRect.height >= e.rootBounds.height / 2);
      if (e.isIntersecting && half) onScreen.add(seq);
      else onScreen.delete(seq);
    }
    reportSeen();
  }, { threshold: [0, 0.5, 1] }), []);
  useEffect(() => () => seenObserver?.disconnect(), [seenObserver]);
  useEffect(() => {
    document.addEventListener("visibilitychange", reportSeen);
    window.addEventListener("focus", reportSeen);
    return () => { document.removeEventListener("visibilitychange", reportSeen); window.removeEventListener("focus", reportSeen); };
  }, [reportSeen]);

  const dirty = useRef(false);
  const noteMeasured = useCallback(() => { dirty.current = true; }, []);

  // The viewport's height.
  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    setViewport(el.clientHeight || 800);
    if (typeof ResizeObserver === "undefined") return;
    const ro = new ResizeObserver(() => setViewport(el.clientHeight || 800));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const failedAt = useRef(0);
  const loadOlder = useCallback(() => {
    // After a failure (offline), wait a little before asking again: renders come often.
    // Not before the conversation is open: until its first page is there, the SDK has nothing to
    // extend and answers at once, and asking again on every render would never end.
    if (!props.ready || loading.current || view.atStart || Date.now() - failedAt.current < LOAD_RETRY_MS) return;
    loading.current = true;
    setLoadingOlder(true);
    client.loadOlder(id)
      .catch((e: unknown) => { if (failedAt.current === 0) toast(errorText(e, t)); failedAt.current = Date.now(); })
      .finally(() => { loading.current = false; setLoadingOlder(false); });
  }, [client, id, view.atStart, props.ready]);

  const onScroll = () => {
    const el = scroller.current;
    if (!el) return;
    const top = el.scrollTop;
    setScrollTop(top);
    const bottom = isAtBottom(top, el.clientHeight, el.scrollHeight);
    if (bottom !== atBottom.current) { atBottom.current = bottom; props.onAtBottom(bottom); }
    setShowJump(!bottom);
    if (bottom) setUnseen(false);
    anchor.current = bottom ? null : anchorAt(keys, offsets, top, CONTENT_START);
    if (top < LOAD_OLDER_PX) loadOlder();
  };
  // A wheel turned upwards at the very top scrolls nothing, so no scroll event asks for more
  // (the user reached the top while a page was loading): the wheel itself asks.
  const onWheel = (e: WheelEvent) => {
    const el = scroller.current;
    if (el && e.deltaY < 0 && el.scrollTop < LOAD_OLDER_PX) loadOlder();
  };

  // After every render: stick to the bottom, or put the anchor row back where it was.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    if (!positioned.current && props.unreadAfter !== undefined) {
      // The first place: the divider near the top when what follows it does not fit below.
      positioned.current = true;
      const i = keys.indexOf("unread");
      const top = i < 0 ? null : Math.max(0, offsets[i]! - UNREAD_MARGIN_PX);
      if (top !== null && top < el.scrollHeight - el.clientHeight - BOTTOM_SLACK_PX) {
        atBottom.current = false;
        props.onAtBottom(false);
        setShowJump(true);
        anchor.current = { key: "unread", delta: -UNREAD_MARGIN_PX };
        el.scrollTop = top;
        setScrollTop(top);
        // What was on screen at the end is not what the user will see: the observer tells
        // again for the rows at the new place.
        onScreen.clear();
      }
      setPlaced(true);
      reportSeen();
    }
    if (atBottom.current) {
      const target = el.scrollHeight - el.clientHeight;
      if (Math.abs(el.scrollTop - target) > 1) el.scrollTop = target;
    } else if (anchor.current) {
      const want = restoreAnchor(anchor.current, keys, offsets);
      if (want !== null && Math.abs(el.scrollTop - want) > 1) el.scrollTop = want;
    }
    // Rows measured while mounting: take their heights into the offsets (converges: a row is
    // measured once, and later changes come from the ResizeObserver at frame time).
    if (dirty.current) { dirty.current = false; setMeasured((n) => n + 1); }
    // Roving focus: a message moved to with the keyboard gets the focus once it is rendered.
    if (pendingFocus.current !== null) {
      const target = el.querySelector<HTMLElement>(`[data-testid="message"][data-key="${CSS.escape(pendingFocus.current)}"]`);
      if (target) { pendingFocus.current = null; target.focus(); }
    }
    // Not enough history to fill the screen, or still near the top after a page came (no
    // scroll event follows a page that left the view where it was): fetch more.
    if (!view.atStart && (el.scrollHeight <= el.clientHeight + LOAD_OLDER_PX || (!atBottom.current && el.scrollTop < LOAD_OLDER_PX))) loadOlder();
  });

  // A new message arrived at the end while the user reads older ones.
  useEffect(() => {
    const last = keys[keys.length - 1];
    if (last !== lastKey.current) {
      lastKey.current = last;
      if (!atBottom.current) setUnseen(true);
    }
  }, [keys]);

  const scrollToBottom = useCallback(() => {
    atBottom.current = true;
    anchor.current = null;
    props.onAtBottom(true);
    setShowJump(false);
    setUnseen(false);
    const el = scroller.current;
    if (el) el.scrollTop = el.scrollHeight;
    setMeasured((n) => n + 1);
  }, []);

  /** Scrolls so that row `i` stands a third of the way down, and holds it there. */
  const placeRow = (el: HTMLDivElement, i: number) => {
    const top = Math.max(0, offsets[i]! - el.clientHeight / 3);
    atBottom.current = false;
    props.onAtBottom(false);
    anchor.current = anchorAt(keys, offsets, top, CONTENT_START);
    el.scrollTop = top;
    setScrollTop(top);
  };

  props.handle.current = {
    scrollToBottom,
    scrollToSeq(seq: number): boolean {
      const i = rows.findIndex((r) => r.type === "message" && r.view.entry.seq === seq);
      const el = scroller.current;
      if (i < 0 || !el) return false;
      placeRow(el, i);
      return true;
    },
  };

  const unread = view.conversation.unread;

  /** Moves the focus to a message: at once when it is rendered, else once it is scrolled to. */
  const focusMessage = (key: string) => {
    setActiveKey(key);
    const el = scroller.current;
    const target = el?.querySelector<HTMLElement>(`[data-testid="message"][data-key="${CSS.escape(key)}"]`);
    if (target) { target.focus(); return; }
    const i = keys.indexOf(key);
    if (!el || i < 0) return;
    pendingFocus.current = key;
    placeRow(el, i);
  };

  // Arrow keys move between messages, Home and End to the first and the last loaded one; only
  // when a message itself has the focus (its controls and menus keep their keys).
  const onKeyDown = (e: KeyboardEvent) => {
    const target = e.target as HTMLElement;
    if (target.dataset.testid !== "message" || e.altKey || e.ctrlKey || e.metaKey) return;
    const i = messageKeys.indexOf(target.dataset.key ?? "");
    if (i < 0) return;
    const next = e.key === "ArrowUp" ? messageKeys[i - 1] : e.key === "ArrowDown" ? messageKeys[i + 1]
      : e.key === "Home" ? messageKeys[0] : e.key === "End" ? messageKeys[messageKeys.length - 1] : undefined;
    if (!["ArrowUp", "ArrowDown", "Home", "End"].includes(e.key)) return;
    e.preventDefault();
    if (next !== undefined) focusMessage(next);
    else if (e.key === "ArrowUp" && !view.atStart) loadOlder();
  };
  const onFocusIn = (e: FocusEvent) => {
    const row = (e.target as HTMLElement).closest<HTMLElement>('[data-testid="message"]');
    const key = row?.dataset.key;
    if (key !== undefined && key !== activeKey && messageKeySet.has(key)) setActiveKey(key);
  };

  const liveTop = scroller.current?.scrollTop ?? 0;
  const { start, end } = visibleRange(offsets, liveTop, viewport, OVERSCAN_PX);
  // The log's one Tab stop: the message last moved to while it is rendered (or has the focus
  // on its way to it), else the newest message if it is rendered, else the newest rendered one;
  // so that there is always one, also after the user has scrolled far with the mouse.
  const rendered = rows.slice(start, end).filter((r) => messageKeySet.has(r.key)).map((r) => r.key);
  const newest = messageKeys[messageKeys.length - 1];
  const focusInside = !!scroller.current && scroller.current.contains(document.activeElement);
  const activeKey = chosenKey !== undefined && messageKeySet.has(chosenKey) && (focusInside || rendered.includes(chosenKey)) ? chosenKey
    : newest !== undefined && rendered.includes(newest) ? newest : rendered[rendered.length - 1] ?? newest;
  const total = offsets[offsets.length - 1] ?? 0;
  const before = offsets[start] ?? 0;
  const after = total - (offsets[end] ?? total);

  return (
    <div class="message-list-wrap">
      <div class={`message-list${placed ? "" : " placing"}`} ref={scroller} role="log" aria-label={t("chat.messages")} onScroll={onScroll} onWheel={onWheel}
        aria-busy={placed ? undefined : "true"} onKeyDown={onKeyDown} onFocusIn={onFocusIn}
        // A Tab stop of its own only while it holds no message to stop at.
        tabIndex={messageKeys.length > 0 ? -1 : 0}>
        <div style={{ height: `${before}px` }} aria-hidden="true" />
        {rows.slice(start, end).map((row) => (
          <Measured key={row.key} rowKey={row.key} observer={observer} heights={heights} onMeasured={noteMeasured}
            seenObserver={seenObserver} seenSeq={row.type === "message" && !row.view.mine && row.view.entry.seq > 0 ? row.view.entry.seq : undefined}>
            {row.type === "head"
              ? <div class="list-head">{view.atStart
                ? <p class="muted small">{view.messages.length ? t("chat.beginning") : t("chat.empty")}</p>
                : <Spinner label={loadingOlder ? t("chat.loadingOlder") : undefined} />}</div>
              : row.type === "answer"
              ? <CommandAnswerRow answer={row.answer} env={env} onDismiss={(key) => props.onDismissAnswer?.(key)} />
              : <RowView row={row} env={env} now={props.now} flash={row.key === props.highlightKey} active={row.key === activeKey}
                selection={selectionOf(props.selection, row)} />}
          </Measured>
        ))}
        <div style={{ height: `${after}px` }} aria-hidden="true" />
      </div>
      {showJump && (
        <button type="button" class={`jump-latest${unseen || unread > 0 ? " has-new" : ""}`} onClick={scrollToBottom}
          aria-label={unread > 0 ? t("chat.jumpLatestUnread", { count: unread }) : unseen ? t("chat.newMessages") : t("chat.jumpLatest")}>
          <Icon name="arrowDown" size={16} />
          {unread > 0 ? <span>{t("chat.unreadBelow", { count: unread })}</span> : unseen && <span>{t("chat.newMessages")}</span>}
        </button>
      )}
    </div>
  );
}

function selectionOf(selection: Selection | null, row: ListRow): RowSelection | undefined {
  if (!selection || row.type !== "message") return undefined;
  const { entry } = row.view;
  if (!canSelect(entry)) return "unavailable";
  return selection.seqs.has(entry.seq) ? "selected" : "unselected";
}

/** A row whose height the list tracks while it is mounted: measured at once when it mounts (so
 * that the offsets are right before the next paint), then by the list's ResizeObserver. */
function Measured(props: {
  rowKey: string; observer: ResizeObserver | null; heights: Map<string, number>; onMeasured: () => void; children: ComponentChildren;
  seenObserver: IntersectionObserver | null; seenSeq: number | undefined;
}): JSX.Element {
  const ref = useRef<HTMLDivElement>(null);
  const { observer, rowKey, heights, seenObserver, seenSeq } = props;
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el || !seenObserver || seenSeq === undefined) return;
    seenObserver.observe(el);
    return () => seenObserver.unobserve(el);
  }, [seenObserver, seenSeq]);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const h = el.offsetHeight;
    if (h > 0 && heights.get(rowKey) !== h) { heights.set(rowKey, h); props.onMeasured(); }
    observer?.observe(el);
    return () => observer?.unobserve(el);
  }, [observer, rowKey]);
  return <div ref={ref} data-rowkey={rowKey} data-seenseq={props.seenSeq} class="row">{props.children}</div>;
}
