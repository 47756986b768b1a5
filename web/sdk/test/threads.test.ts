// Threads (docs/protocol.md §7.12) in the replica and its views, fed with entries and events
// shaped as the server sends them: thread-only replies stay out of the chat and its counts but
// in the log block, roots count their replies live by the seq rule, an open thread follows its
// replies, and the followed threads keep their unread counts.

import { describe, expect, test } from "vitest";

import {
  PAGE_LEN, Replica, conversationView, shareThreadView, threadView,
  type AccountEvent, type Conversation, type Entry, type OutboxItem, type Thread, type ThreadPage,
} from "../src/index.ts";

const ME = "alice@localhost";
const BOB = "bob@localhost";
const CAROL = "carol@localhost";

function group(lastSeq: number, overrides: Partial<Conversation> = {}): Conversation {
  return {
    id: 1, kind: "group", name: "Lunch", mute_all: false, member_count: 3, last_seq: lastSeq, activity: 1,
    last_activity_ms: 1000, created_at_ms: 1000,
    me: { role: "member", joined_seq: 1, read_seq: lastSeq, delivered_seq: lastSeq, pinned: false, muted: false },
    unread: 0, mentions: 0, ...overrides,
  };
}

let nextId = 1;
function text(seq: number, sender = BOB, extra: Partial<Entry> = {}): Entry {
  return { conversation: 1, seq, id: nextId++, sender, kind: "text", body: { text: `message ${seq}` }, at_ms: 2000 + seq, ...extra };
}
/** A reply in the thread of `root`; `broadcast` also sends it to the chat. */
function reply(seq: number, root: number, sender = BOB, extra: Partial<Entry> = {}): Entry {
  return text(seq, sender, { thread: root, ...extra });
}
function op(seq: number, kind: "edit" | "recall" | "reaction", target: number, body: Entry["body"], sender = BOB): Entry {
  return { conversation: 1, seq, id: nextId++, sender, kind, body, target, at_ms: 2000 + seq };
}
function event(seq: number, fields: AccountEvent["event"]): AccountEvent {
  return { seq, at_ms: 5000 + seq, event: fields };
}
function summary(replies: number, lastSeq: number): Entry["thread_summary"] {
  return { replies, last_seq: lastSeq, last_at_ms: 2000 + lastSeq };
}
function page(root: Entry, entries: Entry[], following = true, readSeq = root.seq): ThreadPage {
  return { root, entries, following, read_seq: readSeq };
}
function followed(root: Entry, readSeq: number, unread: number): Thread {
  return { conversation: 1, root, following: true, read_seq: readSeq, unread };
}

/** A replica holding group 1 at `lastSeq`, with a block loaded from `entries`. */
function opened(lastSeq: number, entries: Entry[], overrides: Partial<Conversation> = {}): Replica {
  const replica = new Replica(ME);
  replica.mergeSummary(group(lastSeq, overrides));
  replica.replaceBlock(1, entries, lastSeq, PAGE_LEN);
  return replica;
}

const context = (outbox: OutboxItem[] = []) => ({ me: ME, outbox, profile: () => undefined, progress: () => undefined, nowMs: 0 });
const chat = (replica: Replica, outbox: OutboxItem[] = []) => conversationView(replica.get(1)!, context(outbox));
const chatSeqs = (replica: Replica): number[] => chat(replica).messages.map((m) => m.entry.seq);
const thread = (replica: Replica, root: number, outbox: OutboxItem[] = []) => threadView(replica.thread(1, root)!, replica.get(1)!, context(outbox));

describe("thread replies in the chat", () => {
  test("a thread-only reply stays in the block, out of the chat, its counts and its last message; a broadcast one is both", () => {
    const replica = opened(1, [text(1, ME)]);
    const effect = replica.applyLive(reply(2, 1, BOB, { mentions: [ME] }));
    expect(effect.newFromOther).toBe(false);
    let summary = replica.get(1)!.conversation;
    expect([summary.last_seq, summary.unread, summary.mentions, summary.last_message?.seq]).toEqual([2, 0, 0, undefined]);
    // The log block stays contiguous: the reply is in it, and only the chat's view leaves it out.
    expect([...replica.get(1)!.block!.entries.keys()]).toEqual([1, 2]);
    expect(chatSeqs(replica)).toEqual([1]);

    expect(replica.applyLive(reply(3, 1, CAROL, { broadcast: true })).newFromOther).toBe(true);
    summary = replica.get(1)!.conversation;
    expect([summary.unread, summary.last_message?.seq]).toEqual([1, 3]);
    expect(chatSeqs(replica)).toEqual([1, 3]);
  });

  test("my own thread-only reply does not move my read mark in the chat; a broadcast one does", () => {
    const replica = opened(2, [text(1), text(2)], { me: { ...group(2).me, read_seq: 0 }, unread: 2 });
    replica.applyLive(reply(3, 1, ME));
    expect([replica.get(1)!.conversation.me.read_seq, replica.get(1)!.conversation.unread]).toEqual([0, 2]);
    replica.applyLive(reply(4, 1, ME, { broadcast: true }));
    expect([replica.get(1)!.conversation.me.read_seq, replica.get(1)!.conversation.unread]).toEqual([4, 0]);
  });

  test("a reply from the direct chat's peer says nothing of the peer's read mark in the chat", () => {
    const replica = new Replica(ME);
    replica.mergeSummary({ ...group(1), kind: "direct", peer: BOB, name: undefined });
    replica.replaceBlock(1, [text(1, ME)], 1, PAGE_LEN);
    replica.applyLive(reply(2, 1, BOB));
    expect(replica.get(1)!.peerReadSeq).toBeUndefined();
  });

  test("a recalled thread-only reply asks for no fresh counts", () => {
    const replica = opened(1, [text(1, ME)], { me: { ...group(1).me, read_seq: 0 } });
    replica.applyLive(reply(2, 1));
    expect(replica.applyLive(op(3, "recall", 2, {})).refresh).toBe(false);
  });

  test("thread-only replies in the outbox show in the thread, not in the chat; broadcast ones in both", () => {
    const replica = opened(1, [text(1, ME)]);
    replica.openThread(1, page(text(1, ME), []), PAGE_LEN);
    const item = (clientMsgId: string, extra: Partial<OutboxItem>): OutboxItem => ({
      clientMsgId, conversation: 1, kind: "text", body: { text: clientMsgId }, createdAtMs: 9000, state: "sending", ...extra,
    });
    const outbox = [item("plain", {}), item("only", { thread: 1 }), item("both", { thread: 1, broadcast: true })];
    expect(chat(replica, outbox).messages.map((m) => m.key)).toEqual(["1", "out:plain", "out:both"]);
    const replies = thread(replica, 1, outbox).replies;
    expect(replies.map((m) => m.key)).toEqual(["out:only", "out:both"]);
    expect(replies.map((m) => [m.entry.thread, m.entry.broadcast, m.state])).toEqual([[1, undefined, "sending"], [1, true, "sending"]]);
  });

  test("a page of nothing but thread replies moves the block down without showing anything: the chat can ask for the next", () => {
    const replies = Array.from({ length: PAGE_LEN }, (_, i) => reply(i + 101, 1));
    const replica = opened(150, replies);
    expect(chatSeqs(replica)).toEqual([]);
    expect(chat(replica).atStart).toBe(false);
    expect(replica.get(1)!.block!.first).toBe(101);
    replica.prependBlock(1, [text(1), ...Array.from({ length: PAGE_LEN - 1 }, (_, i) => reply(i + 52, 1))], PAGE_LEN);
    expect(chatSeqs(replica)).toEqual([1]);
    expect(replica.get(1)!.block!.first).toBe(1);
  });
});

describe("reply counts on roots", () => {
  test("a root counts live replies past its summary, once each; a root pushed live starts from none", () => {
    const replica = opened(5, [text(1, ME, { thread_summary: summary(2, 5) }), reply(4, 1), reply(5, 1)]);
    const root = () => chat(replica).messages.find((m) => m.entry.seq === 1)!.entry;
    expect(root().thread_summary).toEqual(summary(2, 5));
    replica.applyLive(reply(6, 1));
    expect(root().thread_summary).toEqual(summary(3, 6));
    // A broadcast reply counts in its thread too.
    replica.applyLive(reply(7, 1, CAROL, { broadcast: true }));
    expect(root().thread_summary).toEqual(summary(4, 7));

    replica.applyLive(text(8));
    replica.applyLive(reply(9, 8));
    expect(chat(replica).messages.find((m) => m.entry.seq === 8)!.entry.thread_summary).toEqual(summary(1, 9));
  });

  test("a forward page counts only the replies that its roots' summaries do not count already", () => {
    const replica = opened(2, [text(1, ME, { thread_summary: summary(1, 2) }), reply(2, 1)]);
    // Fetched as it is now: root 3 counts its replies 4 and 5 already, root 1 not its reply 5.
    replica.extendBlock(1, [text(3, BOB, { thread_summary: summary(2, 5) }), reply(4, 3), reply(5, 1), reply(6, 3)], 6, PAGE_LEN);
    const view = chat(replica);
    expect(view.messages.map((m) => [m.entry.seq, m.entry.thread_summary?.replies])).toEqual([[1, 2], [3, 3]]);
  });

  test("an edit of a root keeps its count", () => {
    const replica = opened(2, [text(1, ME, { thread_summary: summary(1, 2) }), reply(2, 1)]);
    replica.applyLive(op(3, "edit", 1, { text: "edited" }, ME));
    expect(chat(replica).messages[0]!.entry).toMatchObject({ body: { text: "edited" }, thread_summary: summary(1, 2) });
  });
});

describe("an open thread", () => {
  test("shows the page's replies, then live ones by the seq rule, with operations applied to them and to the root", () => {
    const root = text(1, ME, { thread_summary: summary(2, 3) });
    const replica = opened(4, [root, text(2), reply(3, 1), text(4)]);
    replica.openThread(1, page(root, [reply(2, 1, CAROL), reply(3, 1)], true, 3), PAGE_LEN);
    replica.applyLive(reply(5, 1, CAROL));
    replica.applyLive(reply(6, 4)); // Another thread.
    replica.applyLive(op(7, "edit", 5, { text: "fixed" }, CAROL));
    replica.applyLive(op(8, "reaction", 1, { emoji: "👍", on: true }));
    replica.applyLive(op(9, "recall", 2, {}, CAROL));
    const view = thread(replica, 1);
    expect(view.replies.map((m) => m.entry.seq)).toEqual([2, 3, 5]);
    expect(view.replies.map((m) => m.entry.body)).toEqual([null, { text: "message 3" }, { text: "fixed" }]);
    expect(view.root.entry.reactions).toEqual([{ emoji: "👍", accounts: [BOB] }]);
    expect(view.root.entry.thread_summary).toEqual(summary(3, 5));
    expect(view.atStart).toBe(true);
    // Unread: after the read mark, by others, not recalled.
    expect([view.readSeq, view.unread, view.following]).toEqual([3, 1, true]);
  });

  test("a reply that the page shows already is not added or counted again when it comes live", () => {
    const root = text(1, ME, { thread_summary: summary(1, 2) });
    const replica = opened(1, [root]);
    // The page was read after reply 2 was stored; its push comes after.
    replica.openThread(1, page(root, [reply(2, 1, BOB, { reactions: [{ emoji: "🎉", accounts: [CAROL] }] })]), PAGE_LEN);
    replica.applyLive(reply(2, 1));
    const view = thread(replica, 1);
    expect(view.replies.map((m) => m.entry.reactions)).toEqual([[{ emoji: "🎉", accounts: [CAROL] }]]);
    expect(view.root.entry.thread_summary).toEqual(summary(1, 2));
  });

  test("my own reply follows the thread and reads it up to the reply", () => {
    const root = text(1);
    const replica = opened(2, [root, reply(2, 1, CAROL)]);
    replica.openThread(1, page(root, [reply(2, 1, CAROL)], false, 1), PAGE_LEN);
    expect([thread(replica, 1).following, thread(replica, 1).unread]).toEqual([false, 1]);
    replica.applyLive(reply(3, 1, ME));
    expect([thread(replica, 1).following, thread(replica, 1).readSeq, thread(replica, 1).unread]).toEqual([true, 3, 0]);
  });

  test("older replies load below the page; a short page is the start", () => {
    const root = text(1, ME);
    const full = Array.from({ length: PAGE_LEN }, (_, i) => reply(i + 60, 1));
    const replica = opened(109, [root]);
    replica.openThread(1, page(root, full), PAGE_LEN);
    expect(thread(replica, 1).atStart).toBe(false);
    replica.prependReplies(1, 1, [reply(2, 1), reply(3, 1)], PAGE_LEN);
    const view = thread(replica, 1);
    expect(view.atStart).toBe(true);
    expect(view.replies.slice(0, 3).map((m) => m.entry.seq)).toEqual([2, 3, 60]);
  });

  test("replies deleted for me leave the thread", () => {
    const root = text(1, ME);
    const replica = opened(3, [root, reply(2, 1), reply(3, 1)]);
    replica.openThread(1, page(root, [reply(2, 1), reply(3, 1)]), PAGE_LEN);
    replica.applyAccountEvent(event(1, { kind: "hidden", conversation: 1, seqs: [2] }));
    expect(thread(replica, 1).replies.map((m) => m.entry.seq)).toEqual([3]);
  });

  test("a view that did not change is the same object, and so are its unchanged replies", () => {
    const root = text(1, ME);
    const replica = opened(2, [root, reply(2, 1)]);
    replica.openThread(1, page(root, [reply(2, 1)]), PAGE_LEN);
    const first = thread(replica, 1);
    expect(shareThreadView(first, thread(replica, 1))).toBe(first);
    replica.applyLive(reply(3, 1));
    const second = shareThreadView(first, thread(replica, 1));
    expect(second).not.toBe(first);
    expect(second.replies[0]).toBe(first.replies[0]);
    expect(second.root).not.toBe(first.root); // Its count moved.
  });
});

describe("followed threads", () => {
  const rootA = text(1, ME, { thread_summary: summary(1, 2) });
  const rootB = text(3, BOB, { thread_summary: summary(1, 4) });
  function withList(): Replica {
    const replica = opened(4, [rootA, reply(2, 1), rootB, reply(4, 3, CAROL)]);
    replica.setThreadList(1, [followed(rootB, 4, 0), followed(rootA, 1, 1)]);
    return replica;
  }
  const list = (replica: Replica) => replica.threadLists.get(1)!.map((t) => [t.root.seq, t.unread, t.read_seq]);

  test("a reply of someone else counts as unread in its followed thread, which comes first; my own reads it", () => {
    const replica = withList();
    expect(replica.applyLive(reply(5, 1, CAROL)).threadsStale).toBe(false);
    expect(list(replica)).toEqual([[1, 2, 1], [3, 0, 4]]);
    replica.applyLive(reply(6, 3, CAROL));
    expect(list(replica)).toEqual([[3, 1, 4], [1, 2, 1]]);
    replica.applyLive(reply(7, 3, ME));
    expect(list(replica)).toEqual([[3, 0, 7], [1, 2, 1]]);
  });

  test("a reply that may follow a thread not in the list asks for the list again: mine, mentioning me, or to my root", () => {
    const replica = withList();
    replica.applyLive(text(5, CAROL));
    expect(replica.applyLive(reply(6, 5, BOB)).threadsStale).toBe(false);
    expect(replica.applyLive(reply(7, 5, BOB, { mentions: [ME] })).threadsStale).toBe(true);
    expect(replica.applyLive(reply(8, 5, ME)).threadsStale).toBe(true);
    replica.applyLive(text(9, ME));
    expect(replica.applyLive(reply(10, 9, BOB)).threadsStale).toBe(true);
    // A root not held may be mine: only the server can tell.
    expect(replica.applyLive(reply(11, 99, BOB)).threadsStale).toBe(true);
  });

  test("a list that comes after live replies it does not count keeps what is held", () => {
    const replica = withList();
    replica.applyLive(reply(5, 1, CAROL));
    // Read by the server before reply 5.
    replica.setThreadList(1, [followed(rootB, 4, 0), followed(rootA, 1, 1)]);
    expect(list(replica)).toEqual([[1, 2, 1], [3, 0, 4]]);
  });

  test("thread_changed: read to the end clears the count, part of the way asks again, unfollowing removes, following asks", () => {
    const replica = withList();
    replica.eventsCursor = 10;
    expect(replica.applyAccountEvent(event(11, { kind: "thread_changed", conversation: 1, root: 1, following: true, read_seq: 2 }))).toEqual([]);
    expect(list(replica)).toEqual([[3, 0, 4], [1, 0, 2]]);
    replica.applyLive(reply(5, 3, CAROL));
    replica.applyLive(reply(6, 3, CAROL));
    expect(replica.applyAccountEvent(event(12, { kind: "thread_changed", conversation: 1, root: 3, following: true, read_seq: 5 })))
      .toEqual([{ kind: "threads", conversation: 1 }]);
    expect(replica.applyAccountEvent(event(13, { kind: "thread_changed", conversation: 1, root: 1, following: false, read_seq: 2 }))).toEqual([]);
    expect(list(replica)).toEqual([[3, 2, 4]]);
    expect(replica.applyAccountEvent(event(14, { kind: "thread_changed", conversation: 1, root: 1, following: true, read_seq: 2 })))
      .toEqual([{ kind: "threads", conversation: 1 }]);
    expect(replica.eventsCursor).toBe(14);
  });

  test("thread_changed moves an open thread's follow and read mark", () => {
    const replica = withList();
    replica.openThread(1, page(rootA, [reply(2, 1)], true, 1), PAGE_LEN);
    expect(thread(replica, 1).unread).toBe(1);
    replica.applyAccountEvent(event(1, { kind: "thread_changed", conversation: 1, root: 1, following: false, read_seq: 2 }));
    expect([thread(replica, 1).following, thread(replica, 1).readSeq, thread(replica, 1).unread]).toEqual([false, 2, 0]);
  });

  test("reading here clears the count at once; the answer of update_thread takes its place", () => {
    const replica = withList();
    replica.markThreadReadLocally(1, 1, 2);
    expect(list(replica)).toEqual([[3, 0, 4], [1, 0, 2]]);
    replica.noteThread({ ...followed(rootA, 2, 0), following: false });
    expect(list(replica)).toEqual([[3, 0, 4]]);
    replica.noteThread(followed(rootA, 2, 0));
    expect(list(replica)).toEqual([[3, 0, 4], [1, 0, 2]]);
  });

  test("recalling an unread reply of a followed thread asks for the list again", () => {
    const replica = withList();
    replica.applyLive(reply(5, 1, CAROL));
    expect(replica.applyLive(op(6, "recall", 5, {}, CAROL)).threadsStale).toBe(true);
    expect(replica.applyLive(op(7, "recall", 4, {}, CAROL)).threadsStale).toBe(false);
  });
});
