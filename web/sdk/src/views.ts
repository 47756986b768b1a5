// What the UI renders, built from the replica and the outbox: a conversation's title, its
// messages in order with the send state of our own, and who has read them. Pure functions.

import type { Conversation, ConversationView, Entry, MessageView, Profile, SendState, ThreadView, UploadProgress } from "./contract.ts";
import type { OutboxItem } from "./outbox.ts";
import { isThreadOnly, type ConversationState, type ThreadState } from "./replica.ts";

export interface ViewContext {
  me: string;
  outbox: OutboxItem[];
  profile(account: string): Profile | undefined;
  progress(clientMsgId: string): UploadProgress | undefined;
  nowMs: number;
}

/** Whether the caller's notifications of `conversation` are muted at `nowMs`. A timed mute
 * (`me.unmute_at_ms`) ends by itself with no event (docs/protocol.md, the Conversation's
 * `me.unmute_at_ms`), so a conversation held past that time reads as not muted here, as the
 * server reads it. */
export function isMuted(conversation: { me: Pick<Conversation["me"], "muted" | "unmute_at_ms"> }, nowMs: number): boolean {
  const { muted, unmute_at_ms: until } = conversation.me;
  return muted && (until === undefined || until > nowMs);
}

export function conversationView(state: ConversationState, context: ViewContext): ConversationView {
  const conversation = state.conversation;
  const stored: MessageView[] = [];
  if (state.block) {
    const seqs = [...state.block.entries.keys()].sort((a, b) => a - b);
    for (const seq of seqs) {
      const entry = state.block.entries.get(seq)!;
      // A thread-only reply shows in its thread (threadView), not in the chat (§7.12).
      if (!isThreadOnly(entry)) stored.push(storedView(entry, state, context.me));
    }
  }
  // An outbox item leaves the outbox when its entry is applied (Outbox.settle), so the two
  // never show the same message; the items come after the stored messages, oldest first.
  const pending = context.outbox.filter((item) => !isThreadOnly(item)).map((item) => outboxView(item, state, context));
  const typing = [...state.typing].filter(([, expiresAt]) => expiresAt > context.nowMs).map(([account]) => account);
  const view: ConversationView = {
    conversation,
    title: title(state, context),
    messages: [...stored, ...pending],
    atStart: state.block?.atStart ?? conversation.last_seq === 0,
    typing,
  };
  if (conversation.kind === "direct") {
    if (state.peerReadSeq !== undefined) view.peerReadSeq = state.peerReadSeq;
    if (state.peerDeliveredSeq !== undefined) view.peerDeliveredSeq = state.peerDeliveredSeq;
  }
  if (state.members) view.members = state.members;
  if (state.left) view.left = true;
  return view;
}

/** An open thread (§7.12): its root, its loaded replies oldest first, then our replies to it
 * still in the outbox (`context.outbox` holds the conversation's). */
export function threadView(thread: ThreadState, state: ConversationState, context: ViewContext): ThreadView {
  const seqs = [...thread.replies.keys()].sort((a, b) => a - b);
  const stored = seqs.map((seq) => storedView(thread.replies.get(seq)!, state, context.me));
  const pending = context.outbox.filter((item) => item.thread === thread.root.seq).map((item) => outboxView(item, state, context));
  let unread = 0;
  for (const seq of seqs) {
    const reply = thread.replies.get(seq)!;
    if (seq > thread.readSeq && reply.sender !== context.me && reply.recalled_at_ms === undefined && !reply.hidden) unread += 1;
  }
  return {
    conversation: state.conversation,
    root: storedView(thread.root, state, context.me),
    replies: [...stored, ...pending],
    atStart: thread.atStart,
    following: thread.following,
    readSeq: thread.readSeq,
    unread,
  };
}

/** The group's name; for a direct chat the peer's display name, or its address until the
 * profile is known. */
function title(state: ConversationState, context: ViewContext): string {
  const conversation = state.conversation;
  if (conversation.kind !== "direct") return conversation.name ?? `#${conversation.id}`;
  const peer = conversation.peer ?? context.me;
  return context.profile(peer)?.display_name ?? peer;
}

function storedView(entry: Entry, state: ConversationState, me: string): MessageView {
  const view: MessageView = { key: String(entry.seq), entry, mine: entry.sender === me };
  if (!view.mine || entry.kind === "system") return view;
  const { state: sendState, readBy } = deliveryOf(entry, state, me);
  view.state = sendState;
  if (readBy !== undefined) view.readBy = readBy;
  return view;
}

/** How far one of our stored messages got: from the peer's marks in a direct chat, from the
 * members' marks (as last loaded) in a group. */
export function deliveryOf(entry: Entry, state: ConversationState, me: string): { state: SendState; readBy?: number } {
  const conversation = state.conversation;
  if (conversation.kind === "direct") {
    if (conversation.peer === me) return { state: "read" }; // Notes to self.
    if ((state.peerReadSeq ?? 0) >= entry.seq) return { state: "read" };
    if ((state.peerDeliveredSeq ?? 0) >= entry.seq) return { state: "delivered" };
    return { state: "sent" };
  }
  if (!state.members) return { state: "sent" };
  // Members that joined after the message cannot read it, and do not count.
  const audience = state.members.filter((m) => m.account !== entry.sender && m.joined_seq <= entry.seq);
  const readBy = audience.filter((m) => m.read_seq >= entry.seq).length;
  const delivered = audience.filter((m) => Math.max(m.delivered_seq, m.read_seq) >= entry.seq).length;
  const sendState: SendState =
    audience.length > 0 && readBy === audience.length ? "read" : audience.length > 0 && delivered === audience.length ? "delivered" : "sent";
  return { state: sendState, readBy };
}

/** Fields equal one by one (by reference): the SDK replaces what it changes. */
function shallowEqual(a: object | undefined, b: object | undefined): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => Object.is((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((x, i) => Object.is(x, b[i]));
}

/** Whether two builds of a message show the same thing. Stored entries are compared by
 * reference; outbox entries, built anew each time, field by field. */
export function sameMessage(a: MessageView, b: MessageView): boolean {
  return a.key === b.key && a.mine === b.mine && a.state === b.state && a.readBy === b.readBy && a.error === b.error &&
    shallowEqual(a.progress, b.progress) && (a.entry === b.entry || shallowEqual(a.entry, b.entry));
}

/** `next` with every part that equals `prev`'s replaced by `prev`'s own object, and `prev`
 * itself when nothing differs: a view is rebuilt after every change of the client, but a UI
 * that compares by reference re-renders only the messages (and views) that changed. */
export function shareView(prev: ConversationView | undefined, next: ConversationView): ConversationView {
  if (!prev || prev.conversation.id !== next.conversation.id) return next;
  const shared: ConversationView = {
    ...next,
    messages: shareMessages(prev.messages, next.messages),
    typing: sameItems(prev.typing, next.typing) ? prev.typing : next.typing,
  };
  return shallowEqual(prev, shared) ? prev : shared;
}

/** `next` with what equals `prev` replaced by `prev`'s own objects, as shareView does. */
export function shareThreadView(prev: ThreadView | undefined, next: ThreadView): ThreadView {
  if (!prev || prev.conversation.id !== next.conversation.id || prev.root.entry.seq !== next.root.entry.seq) return next;
  const shared: ThreadView = {
    ...next,
    root: sameMessage(prev.root, next.root) ? prev.root : next.root,
    replies: shareMessages(prev.replies, next.replies),
  };
  return shallowEqual(prev, shared) ? prev : shared;
}

/** `next`, with each message that equals the one of `prev` with its key replaced by that one,
 * and `prev` itself when every message is. */
function shareMessages(prev: MessageView[], next: MessageView[]): MessageView[] {
  const before = new Map(prev.map((m) => [m.key, m]));
  const messages = next.map((m) => {
    const old = before.get(m.key);
    return old && sameMessage(old, m) ? old : m;
  });
  return sameItems(prev, messages) ? prev : messages;
}

/** An outbox item as a message; `state` (its conversation, when known) gives an acked one's
 * delivery state. */
export function outboxView(item: OutboxItem, state: ConversationState | undefined, context: ViewContext): MessageView {
  const entry: Entry = {
    conversation: item.conversation,
    seq: item.ack?.seq ?? 0,
    id: item.ack?.id ?? 0,
    sender: context.me,
    client_msg_id: item.clientMsgId,
    kind: item.kind,
    body: item.body,
    at_ms: item.ack?.at_ms ?? item.createdAtMs,
  };
  if (item.mentions?.length) entry.mentions = item.mentions;
  if (item.mentionAll) entry.mention_all = true;
  if (item.replyTo !== undefined) entry.reply_to = item.replyTo;
  if (item.thread !== undefined) entry.thread = item.thread;
  if (item.broadcast) entry.broadcast = true;
  const view: MessageView = { key: `out:${item.clientMsgId}`, entry, mine: true, state: item.state };
  if (item.ack && state) {
    // Stored, and its entry not applied yet: as far as it got, like a stored message.
    const { state: sendState, readBy } = deliveryOf(entry, state, context.me);
    view.state = sendState;
    if (readBy !== undefined) view.readBy = readBy;
  }
  if (item.error) view.error = item.error;
  const progress = item.uploading ? context.progress(item.clientMsgId) : undefined;
  if (progress) view.progress = progress;
  return view;
}
