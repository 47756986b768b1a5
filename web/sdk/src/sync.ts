// The sync engine: runs the algorithm of docs/protocol.md §8 around the replica. Catch-up after
// every hello (§8.3), pushes by the seq rule (§8.4) with gaps filled from history, account
// events with their follow-ups (§8.6), and the user's history reads.
//
// Everything that changes the replica runs as one task at a time, in arrival order, on one
// queue. That queue is also the buffer of §8.3 step 2: the catch-up is queued when hello
// arrives, so every push that arrives during it waits behind it and is applied afterwards.
// Because no task runs while another waits for the server, an answer read inside a task is
// never older than the replica (a conversation's last_seq never exceeds the server's).

import type { AccountEvent, Conversation, Entry, Member, ThreadPage } from "./contract.ts";
import { MagpieError, asMagpieError } from "./errors.ts";
import { PAGE_LEN, Replica, isMessage, isThreadOnly, type AccountFollowUp } from "./replica.ts";
import type { Socket } from "./socket.ts";
import type { EntryPage, HistoryQuery, SyncRequest, SyncResponse } from "./wire.ts";

/** The reads the engine needs; both the live socket and the REST client offer them. */
export interface Reader {
  sync(request: SyncRequest): Promise<SyncResponse>;
  messages(conversation: number, query: HistoryQuery): Promise<EntryPage>;
  conversation(conversation: number): Promise<Conversation>;
  members(conversation: number): Promise<Member[]>;
  thread(conversation: number, root: number, query: HistoryQuery): Promise<ThreadPage>;
}

/** The same reads over one WebSocket connection (§7.9). */
export function socketReader(socket: Socket): Reader {
  return {
    sync: (request) => socket.request("sync", request),
    messages: (conversation, query) => socket.request("get_messages", { conversation, ...query }),
    conversation: (conversation) => socket.request("get_conversation", { conversation }),
    members: async (conversation) => (await socket.request<{ members: Member[] }>("list_members", { conversation })).members,
    thread: (conversation, root, query) => socket.request("get_thread", { conversation, root, ...query }),
  };
}

/** What the engine tells its owner. */
export interface SyncHooks {
  /** The replica may have changed. */
  changed(): void;
  /** A message from someone else arrived live (not fetched during catch-up). */
  message(conversation: Conversation, entry: Entry): void;
  /** Entries of this conversation are applied up to lastSeq: outbox items they show can go. */
  applied(conversation: number, lastSeq: number, entries: Iterable<Entry>): void;
  /** The conversation holds messages of others up to seq that may not be marked delivered. */
  received(conversation: number, seq: number): void;
  /** An account event was applied. */
  accountEvent(event: AccountEvent): void;
  friendRequest(from: string, message?: string): void;
  /** More pushes are waiting than the queue holds: drop the connection and catch up later. */
  overflow(): void;
  /** What is held of the conversation's threads (the list of followed ones, the open ones) may
   * be out of date: load it again. */
  threadsStale(conversation: number): void;
}

/** Tasks (mostly pushes) waiting on the queue at most. */
const QUEUE_LEN_MAX = 10_000;
/** Asking for events after this returns none, only `events_head`: a first sync thereby starts
 * at the head of the account log instead of replaying the whole of it (the conversations'
 * state already shows what the old events did). */
const NO_EVENTS = Number.MAX_SAFE_INTEGER;

export class SyncEngine {
  readonly replica: Replica;
  private queue: Promise<void> = Promise.resolve();
  private queued = 0;
  /** The reader of the open connection, while one is open. */
  private live: Reader | undefined;
  /** Conversations whose summary must be fetched again. */
  private readonly stale = new Set<number>();
  /** Follow-ups of account events that could not be carried out yet (no connection). */
  private readonly postponed: AccountFollowUp[] = [];
  /** Per conversation, the newest seq the owner has heard of: announced by a `message` hook,
   * or there at a catch-up. A push that a fetch has applied already (the first message of a
   * chat that was just opened with us comes after its conversation_joined, whose fetch shows
   * it) is still announced once, since it arrived live. */
  private readonly announced = new Map<number, number>();

  constructor(me: string, private readonly rest: Reader, private readonly hooks: SyncHooks) {
    this.replica = new Replica(me);
  }

  /** A connection has said hello: catch up over it (§8.3). Resolves once caught up; rejects
   * when the catch-up failed (the owner then drops the connection and tries again). */
  connected(socket: Socket): Promise<void> {
    const reader = socketReader(socket);
    this.live = reader;
    return this.enqueue(async () => {
      if (this.live !== reader) throw MagpieError.network("the connection closed before catch-up");
      await this.catchUp(reader);
      await this.retryPending(reader);
    });
  }

  disconnected(): void {
    this.live = undefined;
  }

  /** A pushed `entry` or `account` event. */
  push(event: "entry" | "account", data: unknown): void {
    if (this.queued >= QUEUE_LEN_MAX) {
      this.hooks.overflow();
      return;
    }
    const task = event === "entry" ? () => this.onEntry(data as Entry) : () => this.onAccountEvent(data as AccountEvent);
    this.enqueue(task).catch(() => {
      // The read that a gap needed failed: the next catch-up fills it.
    });
  }

  /** Loads the newest page of a conversation if none is loaded, and its members. */
  openConversation(id: number): Promise<void> {
    return this.enqueue(async () => {
      const reader = this.reader();
      let state = this.replica.get(id);
      if (!state) {
        await this.merge(await reader.conversation(id), reader);
        state = this.replica.get(id);
      }
      if (!state) return;
      if (!state.block) {
        const upTo = state.conversation.last_seq;
        const page = await reader.messages(id, { before: upTo + 1, limit: PAGE_LEN });
        this.replica.replaceBlock(id, page.entries, upTo, PAGE_LEN);
      }
      if (!state.left) this.replica.setMembers(id, await reader.members(id));
    });
  }

  /** Loads the page before the loaded block. */
  loadOlder(id: number): Promise<void> {
    return this.enqueue(async () => {
      const block = this.replica.get(id)?.block;
      if (!block || block.atStart) return;
      const page = await this.reader().messages(id, { before: block.first, limit: PAGE_LEN });
      this.replica.prependBlock(id, page.entries, PAGE_LEN);
    });
  }

  /** Loads an open thread's newest page (§7.12), in turn with everything else that changes the
   * replica, so that the entries applied after it are those the page does not show. */
  openThread(id: number, root: number): Promise<void> {
    return this.enqueue(async () => {
      const page = await this.reader().thread(id, root, { limit: PAGE_LEN });
      this.replica.openThread(id, page, PAGE_LEN);
    });
  }

  /** Loads the replies before an open thread's oldest loaded one. */
  loadOlderReplies(id: number, root: number): Promise<void> {
    return this.enqueue(async () => {
      const thread = this.replica.thread(id, root);
      if (!thread || thread.atStart) return;
      const oldest = Math.min(...thread.replies.keys());
      const page = await this.reader().thread(id, root, { before: Number.isFinite(oldest) ? oldest : root + 1, limit: PAGE_LEN });
      this.replica.prependReplies(id, root, page.entries, PAGE_LEN);
    });
  }

  refreshMembers(id: number): Promise<void> {
    return this.enqueue(async () => {
      const state = this.replica.get(id);
      if (state && !state.left) this.replica.setMembers(id, await this.reader().members(id));
    });
  }

  /** Merges a conversation that an answer carried (opening a chat, creating a group, settings). */
  mergeAnswer(conversation: Conversation): Promise<void> {
    return this.enqueue(() => this.merge(conversation, this.reader()));
  }

  /** Fetches a conversation's summary again (its counts changed in a way only the server can
   * count), now or, without a connection, after the next catch-up. */
  refresh(id: number): void {
    this.stale.add(id);
    this.enqueue(() => this.refreshStale(this.reader())).catch(() => {});
  }

  /** Runs a task after every task queued before it. */
  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    this.queued += 1;
    const run = this.queue.then(task).finally(() => {
      this.queued -= 1;
      this.hooks.changed();
    });
    this.queue = run.then(
      () => {},
      () => {},
    );
    return run;
  }

  private reader(): Reader {
    return this.live ?? this.rest;
  }

  // ---- Catch-up (§8.3) --------------------------------------------------------------------

  private async catchUp(reader: Reader): Promise<void> {
    for (;;) {
      const first = this.replica.eventsCursor === null;
      const page = await reader.sync({
        events_after: this.replica.eventsCursor ?? NO_EVENTS,
        conversations_after: this.replica.conversationsCursor,
      });
      if (first) this.replica.eventsCursor = page.events_head;
      const listed = new Set(page.conversations.map((c) => c.id));
      for (const event of page.events) {
        if (event.seq !== (this.replica.eventsCursor ?? 0) + 1) continue; // Applied already.
        await this.applyAccountEvent(event, reader, listed);
      }
      for (const conversation of page.conversations) {
        await this.merge(conversation, reader);
        this.announced.set(conversation.id, Math.max(this.announced.get(conversation.id) ?? 0, conversation.last_seq));
      }
      this.replica.conversationsCursor = Math.max(this.replica.conversationsCursor, page.conversations_cursor);
      if (!page.more) break;
    }
  }

  /** Retries what failed without a connection: follow-ups and summaries. */
  private async retryPending(reader: Reader): Promise<void> {
    for (const followUp of this.postponed.splice(0)) await this.followUp(followUp, reader, new Set());
    await this.refreshStale(reader);
  }

  // ---- Pushes (§8.4) ----------------------------------------------------------------------

  private async onEntry(entry: Entry): Promise<void> {
    const verdict = this.replica.verdict(entry);
    if (verdict === "duplicate") {
      this.announce(entry);
      return;
    }
    if (verdict === "apply") {
      const effect = this.replica.applyLive(entry);
      const conversation = this.replica.get(entry.conversation)!.conversation;
      this.hooks.applied(conversation.id, conversation.last_seq, [entry]);
      if (effect.newFromOther) {
        this.announce(entry);
        this.hooks.received(conversation.id, entry.seq);
      }
      if (effect.refresh) this.refresh(conversation.id);
      if (effect.membersChanged) this.refreshMembers(conversation.id).catch(() => {});
      if (effect.threadsStale) this.hooks.threadsStale(conversation.id);
      return;
    }
    // A gap, or a conversation this replica does not know yet (just joined): fetch its summary
    // and what is missing of a loaded block. That covers the pushed entry too.
    const reader = this.reader();
    try {
      await this.merge(await reader.conversation(entry.conversation), reader);
    } catch (error) {
      if (asMagpieError(error).code === "not_found") return; // Left again since.
      this.stale.add(entry.conversation);
      throw error;
    }
    this.announce(entry);
    // Without a loaded block, what the gap held never reached the threads held.
    if (!this.replica.get(entry.conversation)?.block) this.hooks.threadsStale(entry.conversation);
  }

  /** Tells the owner of a live message from someone else, once. */
  private announce(entry: Entry): void {
    const conversation = this.replica.get(entry.conversation)?.conversation;
    // A thread-only reply is not news of the chat (§7.12): its thread shows it.
    if (!conversation || !isMessage(entry) || isThreadOnly(entry) || entry.sender === this.replica.me) return;
    if (entry.seq <= (this.announced.get(conversation.id) ?? 0)) return;
    this.announced.set(conversation.id, entry.seq);
    this.hooks.message(conversation, entry);
  }

  private async onAccountEvent(event: AccountEvent): Promise<void> {
    const cursor = this.replica.eventsCursor;
    if (cursor === null || event.seq <= cursor) return;
    const reader = this.reader();
    if (event.seq > cursor + 1) {
      // A gap in the account log: sync returns the missing events and this one (§8.4).
      await this.catchUp(reader);
      return;
    }
    await this.applyAccountEvent(event, reader, new Set());
  }

  // ---- Applying ------------------------------------------------------------------------------

  /** Applies one account event and carries out what it asks for. `listed` holds conversations
   * whose summaries the same sync page brings, which need no fetch of their own. */
  private async applyAccountEvent(event: AccountEvent, reader: Reader, listed: Set<number>): Promise<void> {
    const followUps = this.replica.applyAccountEvent(event);
    this.hooks.accountEvent(event);
    for (const followUp of followUps) await this.followUp(followUp, reader, listed);
  }

  private async followUp(followUp: AccountFollowUp, reader: Reader, listed: Set<number>): Promise<void> {
    try {
      switch (followUp.kind) {
        case "fetch":
          if (!listed.has(followUp.conversation)) await this.merge(await reader.conversation(followUp.conversation), reader);
          return;
        case "refresh":
          this.refresh(followUp.conversation);
          return;
        case "leave":
          await this.fillBeforeLeaving(followUp.conversation, reader);
          this.replica.markLeft(followUp.conversation);
          return;
        case "friend_request":
          this.hooks.friendRequest(followUp.from, followUp.message);
          return;
        case "threads":
          this.hooks.threadsStale(followUp.conversation);
          return;
      }
    } catch (error) {
      const code = asMagpieError(error).code;
      // A conversation that is gone again (not_found) needs nothing more; anything else is
      // tried again after the next catch-up, since the event itself will not come again.
      if (code !== "not_found") this.postponed.push(followUp);
    }
  }

  /** Merges a fetched summary; when it is ahead of a loaded block, loads what the block
   * misses first (§8.3 step 5), so that the block always ends at the cursor. */
  private async merge(conversation: Conversation, reader: Reader): Promise<void> {
    if (this.replica.mergeSummary(conversation) === "behind") {
      await this.fillBlock(conversation.id, conversation.last_seq, reader);
      this.replica.acceptSummary(conversation);
    }
    const state = this.replica.get(conversation.id);
    if (!state) return;
    const held = state.conversation;
    this.hooks.applied(held.id, held.last_seq, state.block?.entries.values() ?? []);
    // Whatever came while this client was away or before it knew the conversation is now
    // here: mark it delivered (§7.7).
    if (!state.left && held.last_seq > held.me.delivered_seq) this.hooks.received(held.id, held.last_seq);
  }

  /** Extends the loaded block to `upTo`: page by page when the gap is short, or, when it is
   * longer than a page, by dropping the block and loading the newest page, so that a long
   * absence costs one page, not the whole backlog; older pages load when the user scrolls. */
  private async fillBlock(id: number, upTo: number, reader: Reader): Promise<void> {
    const block = this.replica.get(id)?.block;
    if (!block) return;
    if (upTo - block.last > PAGE_LEN) {
      const page = await reader.messages(id, { before: upTo + 1, limit: PAGE_LEN });
      this.replica.replaceBlock(id, page.entries, upTo, PAGE_LEN);
      // The replies in the part skipped never reached the open threads.
      this.hooks.threadsStale(id);
      return;
    }
    for (;;) {
      const page = await reader.messages(id, { after: this.replica.get(id)!.block!.last, limit: PAGE_LEN });
      if (this.replica.extendBlock(id, page.entries, upTo, PAGE_LEN)) return;
    }
  }

  /** Before a membership ends, fetches what is still missing of its history (§8.6): another
   * device may have received it live. The history rule lets every device end the same. */
  private async fillBeforeLeaving(id: number, reader: Reader): Promise<void> {
    const state = this.replica.get(id);
    if (!state?.block) return;
    for (;;) {
      const page = await reader.messages(id, { after: state.block.last, limit: PAGE_LEN });
      // The page's last_seq is the last seq before the membership ended.
      this.replica.noteEndOfHistory(id, page.last_seq);
      if (this.replica.extendBlock(id, page.entries, state.conversation.last_seq, PAGE_LEN)) return;
    }
  }

  private async refreshStale(reader: Reader): Promise<void> {
    for (const id of [...this.stale]) {
      this.stale.delete(id);
      try {
        await this.merge(await reader.conversation(id), reader);
      } catch (error) {
        if (asMagpieError(error).code === "not_found") continue;
        this.stale.add(id);
        return;
      }
    }
  }
}
