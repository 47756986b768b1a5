// The client's copy of the account's chat state, and the rules of docs/protocol.md §8 that keep
// it equal to the server's: the seq rule for pushed entries, applying entries (edit, recall,
// reaction, system) and account events, and merging fetched conversations and history pages.
// It does no IO: the sync engine (sync.ts) fetches and hands the answers here, so every rule
// can be tested by feeding it entries.
//
// What it keeps, per conversation:
// - the summary (the server's Conversation). Its `last_seq` is the cursor: every entry up to it
//   is reflected in this state (`seq_cursor` of §8.2). Counts come from the server and are
//   only adjusted locally where that is exact (a new message, one's own message, a read mark
//   at the end); everything else asks for a refresh.
// - optionally one loaded block: a contiguous run of the log that always ends at the cursor,
//   loaded newest page first and extended backwards on demand (§8.3 step 5, the "newest page"
//   variant). Entries below the block are simply not loaded. Thread replies (§7.12) are entries
//   of the block like any other, so that its seqs stay contiguous; the chat's view leaves out
//   those that were not also sent to the chat.
//
// And per account, for threads (§7.12):
// - the threads open beside a chat: a root and its replies as a thread page gave them, kept
//   current by the entries applied after it;
// - per conversation whose list was loaded, the threads the account follows, with their unread
//   replies, kept current by replies and `thread_changed` events where that is exact.
// A root's `thread_summary` is counted on wherever the root is held (the block, an open thread,
// the list) by the seq rule: a reply is counted when its seq is past the summary's `last_seq`,
// so a reply that a fetched summary counts already is never counted twice.
//
// Retention deletes a conversation's oldest entries for everyone: a `history_pruned` notice says
// up to which seq, and the summary's `pruned_through` keeps it. Whichever way the replica learns
// of it (the notice live or in a page, or a fetched summary), it drops what it holds of those
// entries everywhere above, and the history's start is past them.
//
// Objects handed out (summaries, entries, members) are never changed in place: a change
// replaces the object, so a UI may compare them by reference to skip re-rendering.

import type { AccountEvent, Conversation, Entry, Member, MemberMarks, Reaction, Thread, ThreadPage } from "./contract.ts";

/** Entries per history page: the newest page on open, each older page, each catch-up page. */
export const PAGE_LEN = 50;
/** Shown entries kept per conversation; past it the oldest are dropped (and can be loaded
 * again with loadOlder). */
export const BLOCK_ENTRIES_MAX = 2000;
/** How long a `typing` event shows (§9.2: there is no "stopped typing" signal). */
export const TYPING_TTL_MS = 5000;

const OPERATION_KINDS: ReadonlySet<string> = new Set(["edit", "recall", "reaction"]);

/** An operation on a message (edit, recall, reaction): applied to its target, never shown. */
export function isOperation(entry: Entry): boolean {
  return OPERATION_KINDS.has(entry.kind);
}

/** A message (any kind that is neither an operation nor a system notice, §7.4). */
export function isMessage(entry: Entry): boolean {
  return !isOperation(entry) && entry.kind !== "system";
}

/** What the UI shows: messages and system notices, unless deleted for me. */
export function isShown(entry: Entry): boolean {
  return !isOperation(entry) && !entry.hidden;
}

/** A thread reply that was not also sent to the chat (§7.12): shown in its thread only, and
 * left out of the chat's counts, its last message and read marks. */
export function isThreadOnly(entry: Pick<Entry, "thread" | "broadcast">): boolean {
  return entry.thread !== undefined && entry.broadcast !== true;
}

/** The key of a thread in `Replica.threads`. */
export function threadKey(conversation: number, root: number): string {
  return `${conversation}:${root}`;
}

/** A thread open beside a chat (§7.12). */
export interface ThreadState {
  conversation: number;
  /** The root as it is now: fetched with the page, then changed by later entries. */
  root: Entry;
  /** The loaded replies by seq, as they are now; those deleted for me are left out. */
  replies: Map<number, Entry>;
  /** Nothing older than the loaded replies is left. */
  atStart: boolean;
  following: boolean;
  readSeq: number;
}

/** A contiguous run of a conversation's log, [first, last], with last at the cursor. */
export interface Block {
  first: number;
  last: number;
  /** The shown entries in [first, last], by seq. */
  entries: Map<number, Entry>;
  /** Nothing readable lies below `first`. */
  atStart: boolean;
}

export interface ConversationState {
  conversation: Conversation;
  block?: Block;
  /** From list_members (open, refresh), with read marks raised by the members' own messages. */
  members?: Member[];
  /** Direct chats: the peer's marks (list_members, then peer_read/peer_delivered events). */
  peerReadSeq?: number;
  peerDeliveredSeq?: number;
  /** The membership ended: nothing more comes; the history stays. */
  left: boolean;
  /** Account → when its typing indicator expires (ms). */
  typing: Map<string, number>;
  /** The newest system notice this replica has seen (live or in a loaded page): the summary's
   * last_message leaves notices out, and a list should still show "Alice renamed the group". */
  lastNotice?: Entry;
}

/** Where a pushed entry stands against the cursor (§8.4). */
export type PushVerdict = "apply" | "duplicate" | "gap" | "unknown";

/** What applying a live entry means beyond the state itself. */
export interface LiveEffect {
  /** A message from someone else: worth a `message` event and a delivery mark. */
  newFromOther: boolean;
  /** Counts or the last message may now be off: refresh the summary from the server. */
  refresh: boolean;
  /** The members changed while their list is loaded: reload it. */
  membersChanged: boolean;
  /** The loaded list of followed threads may now lack one: load it again. */
  threadsStale: boolean;
}

/** What applying an account event asks of the sync engine. */
export type AccountFollowUp =
  | { kind: "fetch"; conversation: number }
  | { kind: "refresh"; conversation: number }
  | { kind: "leave"; conversation: number }
  /** The loaded list of followed threads is out of date: load it again. */
  | { kind: "threads"; conversation: number }
  | { kind: "friend_request"; from: string; message?: string };

/** How a fetched summary relates to what the replica holds. */
export type MergeResult =
  /** New to the replica (or joined again). */
  | "added"
  /** Taken as it is. */
  | "updated"
  /** Older than what the replica holds: only the caller's own settings were taken. */
  | "stale"
  /** Newer, and a block is loaded: extend the block to its last_seq first, then accept it. */
  | "behind";

export class Replica {
  readonly conversations = new Map<number, ConversationState>();
  /** The newest account event applied; null before the first sync (§8.2 `events_cursor`). */
  eventsCursor: number | null = null;
  /** The `conversations_cursor` of the last complete sync. */
  conversationsCursor = 0;
  /** Threads open beside a chat, by threadKey(). */
  readonly threads = new Map<string, ThreadState>();
  /** Per conversation whose list was loaded: the threads the account follows, the newest
   * reply first. Replaced, never changed in place, like the summaries. */
  readonly threadLists = new Map<number, Thread[]>();

  /** `me` is the account address (lower case, as the server gives it). */
  constructor(readonly me: string) {}

  get(id: number): ConversationState | undefined {
    return this.conversations.get(id);
  }

  /** The current conversations: pinned first, then the latest activity first. */
  list(): Conversation[] {
    const current = [...this.conversations.values()].filter((s) => !s.left).map((s) => s.conversation);
    return current.sort(
      (a, b) =>
        Number(b.me.pinned) - Number(a.me.pinned) ||
        b.last_activity_ms - a.last_activity_ms ||
        b.activity - a.activity ||
        b.id - a.id,
    );
  }

  // ---- Entries ------------------------------------------------------------------------

  /** The seq rule (§8.4) for a pushed entry. */
  verdict(entry: Entry): PushVerdict {
    const state = this.conversations.get(entry.conversation);
    if (!state || state.left) return "unknown";
    const cursor = state.conversation.last_seq;
    if (entry.seq <= cursor) return "duplicate";
    return entry.seq === cursor + 1 ? "apply" : "gap";
  }

  /** Applies the entry right after the cursor (verdict "apply"), counting it as new. */
  applyLive(entry: Entry): LiveEffect {
    const state = this.require(entry.conversation);
    if (entry.seq !== state.conversation.last_seq + 1) {
      throw new Error(`entry ${entry.conversation}/${entry.seq} applied at cursor ${state.conversation.last_seq}`);
    }
    const conversation = writable(state);
    const effect: LiveEffect = { newFromOther: false, refresh: false, membersChanged: false, threadsStale: false };
    conversation.last_seq = entry.seq;
    conversation.last_activity_ms = Math.max(conversation.last_activity_ms, entry.at_ms);
    const block = state.block;
    // Read before the block changes: the target of a recall, to tell a thread reply.
    const target = entry.target === undefined ? undefined : block?.entries.get(entry.target);
    if (block) {
      block.last = entry.seq;
      if (isShown(entry)) block.entries.set(entry.seq, entry);
      if (isOperation(entry)) applyOperation(block, entry);
      trimBlock(block);
    }
    if (isMessage(entry) && entry.thread !== undefined) effect.threadsStale = this.noteReply(state, entry);
    if (isOperation(entry)) effect.threadsStale = this.noteThreadOperation(state, entry, target) || effect.threadsStale;
    if (isMessage(entry) && isThreadOnly(entry)) {
      // A reply kept beside the chat (§7.12): it moves the activity, and nothing else of the
      // chat: not its counts, its last message, nor anyone's read mark.
    } else if (isMessage(entry)) {
      conversation.last_message = entry;
      if (entry.sender === this.me) {
        // Sending moves the sender's read mark to its message (§7.7).
        conversation.me.read_seq = entry.seq;
        conversation.me.delivered_seq = Math.max(conversation.me.delivered_seq, entry.seq);
        conversation.unread = 0;
        conversation.mentions = 0;
      } else {
        conversation.unread += 1;
        if (this.mentionsMe(conversation, entry)) conversation.mentions += 1;
        effect.newFromOther = true;
        // The message is what was being typed: its indicator ends with it, not seconds later.
        state.typing.delete(entry.sender);
      }
      this.noteReadBySender(state, entry);
    } else if (isOperation(entry)) {
      const last = conversation.last_message;
      if (last && last.seq === entry.target) conversation.last_message = applyToMessage({ ...last }, entry);
      // A recalled unread message no longer counts (§7.2): the server's count says by how much.
      // A thread-only reply never counted.
      if (entry.kind === "recall" && entry.target !== undefined && entry.target > conversation.me.read_seq && !(target && isThreadOnly(target))) {
        effect.refresh = true;
      }
    } else {
      noteNotice(state, entry);
      const { membersChanged, unknown } = applySystem(conversation, entry, this.me);
      effect.membersChanged = membersChanged && state.members !== undefined;
      effect.refresh = unknown;
      const through = prunedThrough(entry);
      if (through !== undefined) {
        // Deleted messages are no longer unread, nor the last message: only the server counts
        // what is left.
        const last = conversation.last_message;
        effect.refresh ||= (conversation.unread > 0 && through > conversation.me.read_seq) || (last !== undefined && last.seq <= through);
        // Last: it replaces the summary that the lines above changed.
        this.dropPruned(state, through);
      }
    }
    return effect;
  }

  /** Extends the block forwards with a history page (`after: block.last`), up to `upTo`.
   * Fetched messages show as they are now; the operations in the page still apply to the
   * targets loaded before it. A page shorter than `limit` reached the readable end, so the
   * block then reaches `upTo` whatever came. Returns whether the block reaches `upTo`. */
  extendBlock(id: number, entries: Entry[], upTo: number, limit: number): boolean {
    const state = this.require(id);
    const block = state.block;
    if (!block) return true;
    const loadedBefore = block.last;
    for (const entry of entries) {
      if (entry.seq <= block.last || entry.seq > upTo) continue;
      block.last = entry.seq;
      const target = entry.target === undefined ? undefined : block.entries.get(entry.target);
      if (isShown(entry)) block.entries.set(entry.seq, entry);
      if (isOperation(entry) && entry.target !== undefined && entry.target <= loadedBefore) applyOperation(block, entry);
      if (isMessage(entry) && !isThreadOnly(entry)) this.noteReadBySender(state, entry);
      // The open threads and the followed ones take the page as they would take pushes: the
      // seq rule counts each reply once, and operations replay to the same result (§8.5).
      if (isMessage(entry) && entry.thread !== undefined) this.noteReply(state, entry);
      if (isOperation(entry)) this.noteThreadOperation(state, entry, target);
      noteNotice(state, entry);
      const through = prunedThrough(entry);
      if (through !== undefined) this.dropPruned(state, through);
    }
    if (entries.length < limit) block.last = Math.max(block.last, upTo);
    trimBlock(block);
    return block.last >= upTo;
  }

  /** Loads the block from a page that ends at `upTo` (`before: upTo + 1`), replacing any. */
  replaceBlock(id: number, entries: Entry[], upTo: number, limit: number): void {
    const state = this.require(id);
    const inRange = entries.filter((e) => e.seq <= upTo);
    state.block = {
      first: inRange[0]?.seq ?? upTo + 1,
      last: upTo,
      entries: new Map(inRange.filter(isShown).map((e) => [e.seq, e])),
      atStart: entries.length < limit || inRange[0]?.seq === firstReadable(state.conversation),
    };
    for (const entry of inRange) {
      if (isMessage(entry) && !isThreadOnly(entry)) this.noteReadBySender(state, entry);
      noteNotice(state, entry);
      const through = prunedThrough(entry);
      if (through !== undefined) this.dropPruned(state, through);
    }
  }

  /** Adds an older page (`before: block.first`) below the block. Its messages show as they
   * are now, so its operations are not applied again. */
  prependBlock(id: number, entries: Entry[], limit: number): void {
    const state = this.require(id);
    const block = state.block;
    if (!block) return;
    const older = entries.filter((e) => e.seq < block.first);
    const merged = new Map<number, Entry>(older.filter(isShown).map((e) => [e.seq, e]));
    for (const [seq, entry] of block.entries) merged.set(seq, entry);
    block.entries = merged;
    if (older[0]) block.first = older[0].seq;
    block.atStart = entries.length < limit || block.first <= firstReadable(state.conversation);
    for (const entry of older) {
      const through = prunedThrough(entry);
      if (through !== undefined) this.dropPruned(state, through);
    }
  }

  dropBlock(id: number): void {
    const state = this.conversations.get(id);
    if (state) delete state.block;
  }

  // ---- Summaries -----------------------------------------------------------------------

  /** Merges a conversation fetched from the server (sync, get_conversation, an answer). */
  mergeSummary(fetched: Conversation): MergeResult {
    const known = this.conversations.get(fetched.id);
    if (!known || known.left) {
      const added: ConversationState = { conversation: clone(fetched), left: false, typing: new Map() };
      this.conversations.set(fetched.id, added);
      // Threads held from an earlier membership may reach below what retention left.
      if (fetched.pruned_through !== undefined) this.dropPruned(added, fetched.pruned_through);
      return "added";
    }
    if (fetched.last_seq < known.conversation.last_seq) {
      // Read before entries that were applied since: its counts are out of date, but what it
      // says retention deleted is gone all the same.
      if (fetched.pruned_through !== undefined) this.dropPruned(known, fetched.pruned_through);
      const held = writable(known);
      held.me.pinned = fetched.me.pinned;
      held.me.muted = fetched.me.muted;
      // A timed mute's end comes with the mute, and the level with the other settings: the
      // one without the other would mix settings from two moments.
      if (fetched.me.unmute_at_ms === undefined) delete held.me.unmute_at_ms;
      else held.me.unmute_at_ms = fetched.me.unmute_at_ms;
      if (fetched.me.notify_level === undefined) delete held.me.notify_level;
      else held.me.notify_level = fetched.me.notify_level;
      if (fetched.me.draft === undefined) delete held.me.draft;
      else held.me.draft = fetched.me.draft;
      return "stale";
    }
    if (fetched.last_seq > known.conversation.last_seq && known.block) return "behind";
    this.acceptSummary(fetched);
    return "updated";
  }

  /** Takes a fetched summary as the truth at its last_seq. A read mark this client set ahead
   * of it (markRead on its way) stays. */
  acceptSummary(fetched: Conversation): void {
    const state = this.require(fetched.id);
    const localRead = state.conversation.me.read_seq;
    const next = clone(fetched);
    if (localRead > next.me.read_seq) {
      next.me.read_seq = localRead;
      if (localRead >= next.last_seq) {
        next.unread = 0;
        next.mentions = 0;
      }
    }
    state.conversation = next;
    if (state.block && state.block.last < next.last_seq) {
      throw new Error(`summary of ${next.id} at ${next.last_seq} accepted over a block ending at ${state.block.last}`);
    }
    if (next.pruned_through !== undefined) this.dropPruned(state, next.pruned_through);
  }

  /** Raises the read mark locally (markRead), before the server confirms it. */
  markReadLocally(id: number, seq: number): void {
    const state = this.conversations.get(id);
    if (!state) return;
    if (state.conversation.me.marked_unread) delete writable(state).me.marked_unread;
    if (seq <= state.conversation.me.read_seq) return;
    const conversation = writable(state);
    conversation.me.read_seq = seq;
    if (seq >= conversation.last_seq) {
      conversation.unread = 0;
      conversation.mentions = 0;
    }
  }

  /** The server confirmed a delivery mark (mark_delivered's answer). */
  noteDelivered(id: number, seq: number): void {
    const state = this.conversations.get(id);
    if (state && seq > state.conversation.me.delivered_seq) writable(state).me.delivered_seq = seq;
  }

  setMembers(id: number, members: Member[]): void {
    const state = this.conversations.get(id);
    if (!state) return;
    state.members = members.map((m) => ({ ...m }));
    if (state.conversation.kind === "direct") {
      const peer = members.find((m) => m.account === state.conversation.peer);
      if (peer) {
        state.peerReadSeq = Math.max(state.peerReadSeq ?? 0, peer.read_seq);
        state.peerDeliveredSeq = Math.max(state.peerDeliveredSeq ?? 0, peer.delivered_seq, peer.read_seq);
      }
    }
  }

  /** Members' marks from a `marks` event: each only ever rises. Members not loaded (or not
   * listed yet) are left for the next list_members. Returns whether anything changed. */
  noteMarks(id: number, marks: MemberMarks[]): boolean {
    const state = this.conversations.get(id);
    if (!state?.members) return false;
    let changed = false;
    state.members = state.members.map((m) => {
      const moved = marks.find((x) => x.account === m.account);
      if (!moved || (moved.read_seq <= m.read_seq && moved.delivered_seq <= m.delivered_seq)) return m;
      changed = true;
      return { ...m, read_seq: Math.max(m.read_seq, moved.read_seq), delivered_seq: Math.max(m.delivered_seq, moved.delivered_seq) };
    });
    return changed;
  }

  /** Raises the cursor of a conversation whose membership is ending to the last seq of its
   * readable history, so that its block can be extended to it. Counts no longer matter there. */
  noteEndOfHistory(id: number, lastSeq: number): void {
    const state = this.conversations.get(id);
    if (state && lastSeq > state.conversation.last_seq) writable(state).last_seq = lastSeq;
  }

  /** Marks the membership as ended (after its remaining history has been fetched). */
  markLeft(id: number): void {
    const state = this.conversations.get(id);
    if (!state) return;
    state.left = true;
    state.typing.clear();
  }

  // ---- Account events (§8.6) -------------------------------------------------------------

  /** Applies the account event right after the events cursor, and advances the cursor. */
  applyAccountEvent(frame: AccountEvent): AccountFollowUp[] {
    this.eventsCursor = frame.seq;
    const event = frame.event;
    const id = typeof event.conversation === "number" ? event.conversation : undefined;
    const state = id === undefined ? undefined : this.conversations.get(id);
    switch (event.kind) {
      case "conversation_joined":
        return id === undefined || (state && !state.left) ? [] : [{ kind: "fetch", conversation: id }];
      case "conversation_left":
        return state && !state.left ? [{ kind: "leave", conversation: state.conversation.id }] : [];
      case "read": {
        if (!state || typeof event.seq !== "number") return [];
        if (event.seq <= state.conversation.me.read_seq && state.conversation.unread === 0) return [];
        const conversation = writable(state);
        conversation.me.read_seq = Math.max(conversation.me.read_seq, event.seq);
        conversation.me.delivered_seq = Math.max(conversation.me.delivered_seq, event.seq);
        if (conversation.me.read_seq >= conversation.last_seq) {
          conversation.unread = 0;
          conversation.mentions = 0;
          return [];
        }
        return [{ kind: "refresh", conversation: conversation.id }];
      }
      case "peer_read":
        if (state && typeof event.seq === "number") {
          state.peerReadSeq = Math.max(state.peerReadSeq ?? 0, event.seq);
          state.peerDeliveredSeq = Math.max(state.peerDeliveredSeq ?? 0, event.seq);
        }
        return [];
      case "peer_delivered":
        if (state && typeof event.seq === "number") state.peerDeliveredSeq = Math.max(state.peerDeliveredSeq ?? 0, event.seq);
        return [];
      case "settings_changed": {
        if (!state) return [];
        const me = writable(state).me;
        if (typeof event.pinned === "boolean") me.pinned = event.pinned;
        if (typeof event.muted === "boolean") {
          me.muted = event.muted;
          if (event.muted && typeof event.unmute_at_ms === "number") me.unmute_at_ms = event.unmute_at_ms;
          else delete me.unmute_at_ms;
        }
        if (event.notify_level === "default") delete me.notify_level;
        else if (event.notify_level === "all" || event.notify_level === "mentions" || event.notify_level === "nothing") {
          me.notify_level = event.notify_level;
        }
        if (event.marked_unread === true) me.marked_unread = true;
        else if (event.marked_unread === false) delete me.marked_unread;
        if (typeof event.draft === "string") {
          if (event.draft === "") delete me.draft;
          else me.draft = event.draft;
        }
        return [];
      }
      case "hidden": {
        if (!state || !Array.isArray(event.seqs)) return [];
        const seqs = event.seqs.filter((s): s is number => typeof s === "number");
        for (const seq of seqs) state.block?.entries.delete(seq);
        for (const thread of this.threads.values()) {
          if (thread.conversation === id) for (const seq of seqs) thread.replies.delete(seq);
        }
        if (state.lastNotice && seqs.includes(state.lastNotice.seq)) delete state.lastNotice;
        const conversation = state.conversation;
        const countsChange = seqs.some((s) => s > conversation.me.read_seq || s === conversation.last_message?.seq);
        return countsChange ? [{ kind: "refresh", conversation: conversation.id }] : [];
      }
      case "thread_changed":
        return this.applyThreadChanged(event);
      case "friend_request":
        return typeof event.from === "string"
          ? [{ kind: "friend_request", from: event.from, message: typeof event.message === "string" ? event.message : undefined }]
          : [];
      default:
        // Contacts, blocks and kinds this version does not know: nothing in this state.
        return [];
    }
  }

  // ---- Retention -------------------------------------------------------------------------

  /** Retention deleted the conversation's entries up to `through`: drops them from the block
   * (which then starts after them, at the history's start), the open threads (one whose root
   * went is closed: nothing of it is left), the followed threads and the newest notice, and
   * raises the summary's `pruned_through`. The replies of a root that stays are all after it,
   * so stay too. */
  private dropPruned(state: ConversationState, through: number): void {
    const id = state.conversation.id;
    if (through > (state.conversation.pruned_through ?? 0)) writable(state).pruned_through = through;
    const conversation = state.conversation;
    if (conversation.last_message && conversation.last_message.seq <= through) delete writable(state).last_message;
    const block = state.block;
    if (block) {
      if (block.first <= through) {
        for (const seq of block.entries.keys()) if (seq <= through) block.entries.delete(seq);
        block.first = through + 1;
      }
      if (block.first <= firstReadable(state.conversation)) block.atStart = true;
    }
    for (const [key, thread] of this.threads) {
      if (thread.conversation === id && thread.root.seq <= through) this.threads.delete(key);
    }
    const list = this.threadLists.get(id);
    if (list?.some((t) => t.root.seq <= through)) this.threadLists.set(id, list.filter((t) => t.root.seq > through));
    if (state.lastNotice && state.lastNotice.seq <= through) delete state.lastNotice;
  }

  // ---- Threads (§7.12) -------------------------------------------------------------------

  thread(id: number, root: number): ThreadState | undefined {
    return this.threads.get(threadKey(id, root));
  }

  /** Opens a thread from its newest page (`limit` replies at most), or loads it again. */
  openThread(id: number, page: ThreadPage, limit: number): void {
    this.threads.set(threadKey(id, page.root.seq), {
      conversation: id,
      root: page.root,
      replies: new Map(page.entries.filter((e) => !e.hidden).map((e) => [e.seq, e])),
      atStart: page.entries.length < limit,
      following: page.following,
      readSeq: page.read_seq,
    });
  }

  /** Adds a page of older replies (`before` the oldest loaded) to an open thread. */
  prependReplies(id: number, root: number, entries: Entry[], limit: number): void {
    const thread = this.threads.get(threadKey(id, root));
    if (!thread) return;
    for (const entry of entries) if (!entry.hidden && !thread.replies.has(entry.seq)) thread.replies.set(entry.seq, entry);
    thread.replies = new Map([...thread.replies].sort(([a], [b]) => a - b));
    if (entries.length < limit) thread.atStart = true;
  }

  closeThread(id: number, root: number): void {
    this.threads.delete(threadKey(id, root));
  }

  /** Takes a loaded list of followed threads. A thread whose held root counts replies that the
   * list does not (they came live while it was on its way) keeps what is held of it. */
  setThreadList(id: number, threads: Thread[]): void {
    const held = new Map((this.threadLists.get(id) ?? []).map((t) => [t.root.seq, t]));
    this.threadLists.set(id, sortThreads(threads.map((t) => {
      const mine = held.get(t.root.seq);
      return mine && lastReply(mine.root) > lastReply(t.root) ? { ...t, root: mine.root, unread: mine.unread } : t;
    })));
  }

  /** An answer about one thread (update_thread): its follow and read mark, in the open thread
   * and the list. A thread no longer followed leaves the list. */
  noteThread(thread: Thread): void {
    const open = this.threads.get(threadKey(thread.conversation, thread.root.seq));
    if (open) {
      open.following = thread.following;
      open.readSeq = Math.max(open.readSeq, thread.read_seq);
    }
    const list = this.threadLists.get(thread.conversation);
    if (!list) return;
    const others = list.filter((t) => t.root.seq !== thread.root.seq);
    const held = list.find((t) => t.root.seq === thread.root.seq);
    if (!thread.following) {
      if (held) this.threadLists.set(thread.conversation, others);
      return;
    }
    const taken = held && lastReply(held.root) > lastReply(thread.root)
      ? { ...thread, root: held.root, unread: held.unread, read_seq: Math.max(held.read_seq, thread.read_seq) }
      : thread;
    this.threadLists.set(thread.conversation, sortThreads([...others, taken]));
  }

  /** Raises a thread's read mark locally (markThreadRead), before the server confirms it. */
  markThreadReadLocally(id: number, root: number, seq: number): void {
    const open = this.threads.get(threadKey(id, root));
    if (open) open.readSeq = Math.max(open.readSeq, seq);
    const list = this.threadLists.get(id);
    const held = list?.find((t) => t.root.seq === root);
    if (!list || !held || seq <= held.read_seq) return;
    const read = { ...held, read_seq: seq, unread: seq >= lastReply(held.root) ? 0 : held.unread };
    this.threadLists.set(id, list.map((t) => (t === held ? read : t)));
  }

  /** `thread_changed` (§6.6): followed, unfollowed or read on this or another device. */
  private applyThreadChanged(event: AccountEvent["event"]): AccountFollowUp[] {
    const { conversation: id, root, following, read_seq: readSeq } = event;
    if (typeof id !== "number" || typeof root !== "number" || typeof following !== "boolean" || typeof readSeq !== "number") return [];
    const open = this.threads.get(threadKey(id, root));
    if (open) {
      open.following = following;
      open.readSeq = Math.max(open.readSeq, readSeq);
    }
    const list = this.threadLists.get(id);
    if (!list) return [];
    const held = list.find((t) => t.root.seq === root);
    if (!following) {
      if (held) this.threadLists.set(id, list.filter((t) => t !== held));
      return [];
    }
    // Followed on purpose: the list does not hold what it would need to show it.
    if (!held) return [{ kind: "threads", conversation: id }];
    if (readSeq <= held.read_seq) return [];
    if (readSeq >= lastReply(held.root)) {
      this.threadLists.set(id, list.map((t) => (t === held ? { ...held, read_seq: readSeq, unread: 0 } : t)));
      return [];
    }
    // Read part of the way: only the server can count what is left.
    return [{ kind: "threads", conversation: id }];
  }

  /** A thread reply applied (live or from a forward page): counts it on its root wherever the
   * root is held, adds it to its open thread, and keeps the followed threads current. Returns
   * whether the list of followed threads must be loaded again. */
  private noteReply(state: ConversationState, reply: Entry): boolean {
    const id = state.conversation.id;
    const root = reply.thread!;
    const mine = reply.sender === this.me;
    const block = state.block;
    const inBlock = block?.entries.get(root);
    if (block && inBlock) block.entries.set(root, countReply(inBlock, reply));
    const open = this.threads.get(threadKey(id, root));
    if (open) {
      if (!reply.hidden && !open.replies.has(reply.seq)) open.replies.set(reply.seq, reply);
      open.root = countReply(open.root, reply);
      // Replying follows the thread and reads it up to the reply (§7.12).
      if (mine) {
        open.following = true;
        open.readSeq = Math.max(open.readSeq, reply.seq);
      }
    }
    const list = this.threadLists.get(id);
    if (!list) return false;
    const held = list.find((t) => t.root.seq === root);
    if (!held) {
      // Replying, being mentioned, and having sent the root follow a thread (§7.12). A root
      // that is not held may be one's own.
      const rootEntry = inBlock ?? open?.root;
      const mentioned = (reply.mentions ?? []).includes(this.me) || reply.mention_all === true;
      return mine || mentioned || !rootEntry || rootEntry.sender === this.me;
    }
    const counted = countReply(held.root, reply);
    if (counted === held.root) return false; // The list counts it already.
    const next: Thread = { ...held, root: counted };
    if (mine) {
      next.read_seq = Math.max(next.read_seq, reply.seq);
      next.unread = 0;
    } else if (reply.seq > next.read_seq && !reply.hidden && reply.recalled_at_ms === undefined) {
      next.unread += 1;
    }
    this.threadLists.set(id, sortThreads(list.map((t) => (t === held ? next : t))));
    return false;
  }

  /** An edit, recall or reaction: applied to its target where an open thread or the list holds
   * it. `target` is the target as the block held it before, if it did. Returns whether the list
   * must be loaded again (an unread reply of a followed thread was recalled). */
  private noteThreadOperation(state: ConversationState, operation: Entry, target: Entry | undefined): boolean {
    const id = state.conversation.id;
    const seq = operation.target;
    if (seq === undefined) return false;
    for (const thread of this.threads.values()) {
      if (thread.conversation !== id) continue;
      if (thread.root.seq === seq) thread.root = applyToMessage({ ...thread.root }, operation);
      const reply = thread.replies.get(seq);
      if (reply) thread.replies.set(seq, applyToMessage({ ...reply }, operation));
    }
    const list = this.threadLists.get(id);
    if (!list) return false;
    if (list.some((t) => t.root.seq === seq)) {
      this.threadLists.set(id, list.map((t) => (t.root.seq === seq ? { ...t, root: applyToMessage({ ...t.root }, operation) } : t)));
    }
    let reply = target;
    for (const thread of this.threads.values()) if (!reply && thread.conversation === id) reply = thread.replies.get(seq);
    if (operation.kind !== "recall" || reply?.thread === undefined) return false;
    const held = list.find((t) => t.root.seq === reply.thread);
    return held !== undefined && held.unread > 0 && seq > held.read_seq && reply.sender !== this.me;
  }

  // ---- Typing (§9.2) ---------------------------------------------------------------------

  noteTyping(id: number, account: string, nowMs: number): void {
    if (account === this.me) return;
    this.conversations.get(id)?.typing.set(account, nowMs + TYPING_TTL_MS);
  }

  /** Drops expired typing indicators; returns the next expiry (ms), if any is left. */
  expireTyping(nowMs: number): { changed: boolean; nextExpiryMs?: number } {
    let changed = false;
    let next: number | undefined;
    for (const state of this.conversations.values()) {
      for (const [account, expiresAt] of state.typing) {
        if (expiresAt <= nowMs) {
          state.typing.delete(account);
          changed = true;
        } else {
          next = next === undefined ? expiresAt : Math.min(next, expiresAt);
        }
      }
    }
    return { changed, nextExpiryMs: next };
  }

  // ---- Internals ---------------------------------------------------------------------------

  private require(id: number): ConversationState {
    const state = this.conversations.get(id);
    if (!state) throw new Error(`conversation ${id} is not in the replica`);
    return state;
  }

  private mentionsMe(conversation: Conversation, entry: Entry): boolean {
    // `mention_all` is ignored in direct chats (§7.5).
    return (entry.mentions ?? []).includes(this.me) || (entry.mention_all === true && conversation.kind !== "direct");
  }

  /** A member's own message means that it has read up to it (§7.7). */
  private noteReadBySender(state: ConversationState, entry: Entry): void {
    if (state.conversation.kind === "direct" && entry.sender === state.conversation.peer && entry.sender !== this.me) {
      state.peerReadSeq = Math.max(state.peerReadSeq ?? 0, entry.seq);
      state.peerDeliveredSeq = Math.max(state.peerDeliveredSeq ?? 0, entry.seq);
    }
    const member = state.members?.find((m) => m.account === entry.sender);
    if (member && member.read_seq < entry.seq) {
      const raised = { ...member, read_seq: entry.seq, delivered_seq: Math.max(member.delivered_seq, entry.seq) };
      state.members = state.members!.map((m) => (m === member ? raised : m));
    }
  }
}

/** The root with the reply counted, when the reply is past what its summary counts (the seq
 * rule); the same object otherwise. */
export function countReply(root: Entry, reply: Entry): Entry {
  const summary = root.thread_summary;
  if (summary && reply.seq <= summary.last_seq) return root;
  return { ...root, thread_summary: { replies: (summary?.replies ?? 0) + 1, last_seq: reply.seq, last_at_ms: reply.at_ms } };
}

/** The seq of the newest reply a root's summary counts; 0 for none. */
function lastReply(root: Entry): number {
  return root.thread_summary?.last_seq ?? 0;
}

/** The newest reply first, as the server lists them. */
function sortThreads(threads: Thread[]): Thread[] {
  return [...threads].sort((a, b) => lastReply(b.root) - lastReply(a.root) || b.root.seq - a.root.seq);
}

/** Keeps `entry` as the conversation's newest notice if it is one, shown, and newer. */
function noteNotice(state: ConversationState, entry: Entry): void {
  if (entry.kind !== "system" || entry.hidden) return;
  if (!state.lastNotice || state.lastNotice.seq < entry.seq) state.lastNotice = entry;
}

/** The conversation's summary, replaced by a copy that may be changed (see the module note). */
function writable(state: ConversationState): Conversation {
  state.conversation = { ...state.conversation, me: { ...state.conversation.me } };
  return state.conversation;
}

/** The first seq a member may read (§7.1): its joined_seq, never below 1, and past what
 * retention deleted. */
function firstReadable(conversation: Conversation): number {
  return Math.max(conversation.me.joined_seq, 1, (conversation.pruned_through ?? 0) + 1);
}

/** The `through_seq` of a `history_pruned` notice (retention deleted the entries up to it);
 * undefined for any other entry. */
function prunedThrough(entry: Entry): number | undefined {
  if (entry.kind !== "system" || entry.body?.["event"] !== "history_pruned") return undefined;
  const through = entry.body["through_seq"];
  return typeof through === "number" && Number.isSafeInteger(through) && through > 0 ? through : undefined;
}

/** Applies an edit, recall or reaction to its target in the block, if the target is loaded
 * (§8.5: a target not fetched yet will show the change when it is). */
export function applyOperation(block: Block, operation: Entry): void {
  if (operation.target === undefined) return;
  const target = block.entries.get(operation.target);
  if (target) block.entries.set(target.seq, applyToMessage({ ...target }, operation));
}

/** The message after an operation (§7.4). Replaying any suffix of the log gives the same
 * result: an edit after which the message was recalled, or an edit of a message deleted for
 * me, changes nothing; reactions are sets per emoji. */
export function applyToMessage(message: Entry, operation: Entry): Entry {
  switch (operation.kind) {
    case "edit":
      if (operation.body !== null && message.recalled_at_ms === undefined && !message.hidden) {
        message.body = operation.body;
        message.edited_at_ms = operation.at_ms;
      }
      return message;
    case "recall":
      message.body = null;
      message.recalled_at_ms = operation.at_ms;
      delete message.edited_at_ms;
      delete message.mentions;
      delete message.mention_all;
      delete message.reactions;
      return message;
    case "reaction": {
      const emoji = operation.body?.emoji;
      if (typeof emoji !== "string" || message.recalled_at_ms !== undefined) return message;
      const on = operation.body?.on !== false;
      const reactions: Reaction[] = (message.reactions ?? []).map((r) => ({ emoji: r.emoji, accounts: [...r.accounts] }));
      let reaction = reactions.find((r) => r.emoji === emoji);
      if (on) {
        if (!reaction) {
          reaction = { emoji, accounts: [] };
          reactions.push(reaction);
          reactions.sort((a, b) => (a.emoji < b.emoji ? -1 : a.emoji > b.emoji ? 1 : 0));
        }
        if (!reaction.accounts.includes(operation.sender)) reaction.accounts.push(operation.sender);
      } else if (reaction) {
        reaction.accounts = reaction.accounts.filter((a) => a !== operation.sender);
      }
      const kept = reactions.filter((r) => r.accounts.length > 0);
      if (kept.length > 0) message.reactions = kept;
      else delete message.reactions;
      return message;
    }
    default:
      return message;
  }
}

/** Applies a system entry to the summary (§7.4). Returns whether the membership changed, and
 * whether the event is one this version does not know (then the summary is refetched). */
export function applySystem(conversation: Conversation, entry: Entry, me: string): { membersChanged: boolean; unknown: boolean } {
  const body = entry.body ?? {};
  const count = (list: unknown): number => (Array.isArray(list) ? list.length : 0);
  switch (body.event) {
    case "created":
    case "dissolved":
      return { membersChanged: false, unknown: false };
    case "info_changed":
      for (const field of ["name", "description", "avatar", "announcement"] as const) {
        if (!(field in body)) continue;
        const value = body[field];
        if (typeof value === "string") conversation[field] = value;
        else delete conversation[field];
      }
      if (typeof body.mute_all === "boolean") conversation.mute_all = body.mute_all;
      return { membersChanged: false, unknown: false };
    case "mute_all":
      if (typeof body.on === "boolean") conversation.mute_all = body.on;
      return { membersChanged: false, unknown: false };
    case "members_added":
      conversation.member_count += count(body.members);
      return { membersChanged: true, unknown: false };
    case "members_removed":
      conversation.member_count = Math.max(0, conversation.member_count - count(body.members));
      return { membersChanged: true, unknown: false };
    case "member_left":
      conversation.member_count = Math.max(0, conversation.member_count - 1);
      return { membersChanged: true, unknown: false };
    case "role_changed":
      if (body.member === me && (body.role === "admin" || body.role === "member")) conversation.me.role = body.role;
      return { membersChanged: true, unknown: false };
    case "owner_changed":
      if (body.to === me) conversation.me.role = "owner";
      else if (body.from === me) conversation.me.role = "admin";
      return { membersChanged: true, unknown: false };
    case "member_muted":
      if (body.member === me) {
        if (typeof body.until_ms === "number") conversation.me.muted_until_ms = body.until_ms;
        else delete conversation.me.muted_until_ms;
      }
      return { membersChanged: true, unknown: false };
    case "history_pruned":
      // What it deleted is the Replica's to drop (dropPruned), with the summary's mark.
      return { membersChanged: false, unknown: false };
    default:
      return { membersChanged: false, unknown: true };
  }
}

/** Keeps the block within BLOCK_ENTRIES_MAX shown entries by dropping the oldest. */
function trimBlock(block: Block): void {
  if (block.entries.size <= BLOCK_ENTRIES_MAX) return;
  const seqs = [...block.entries.keys()].sort((a, b) => a - b);
  const drop = seqs.slice(0, seqs.length - BLOCK_ENTRIES_MAX);
  for (const seq of drop) block.entries.delete(seq);
  block.first = (drop[drop.length - 1] ?? block.first - 1) + 1;
  block.atStart = false;
}

function clone<T>(value: T): T {
  return structuredClone(value);
}
