// Retention in the replica and its views (docs/protocol.md "Retention"), fed with entries and
// summaries shaped as the server sends them: a `history_pruned` notice, live or in a page, or a
// summary whose `pruned_through` is past what is held, drops every entry up to it from the chat,
// the open threads, the followed threads and the list's notice; the history then starts after it.

import { describe, expect, test } from "vitest";

import {
  PAGE_LEN, Replica, conversationView,
  type Conversation, type Entry, type Thread, type ThreadPage,
} from "../src/index.ts";

const ME = "alice@localhost";
const BOB = "bob@localhost";

function group(lastSeq: number, overrides: Partial<Conversation> = {}, me: Partial<Conversation["me"]> = {}): Conversation {
  return {
    id: 1, kind: "group", name: "Lunch", mute_all: false, member_count: 3, last_seq: lastSeq, activity: 1,
    last_activity_ms: 1000, created_at_ms: 1000,
    me: { role: "member", joined_seq: 1, read_seq: lastSeq, delivered_seq: lastSeq, pinned: false, muted: false, ...me },
    unread: 0, mentions: 0, ...overrides,
  };
}

let nextId = 1;
function text(seq: number, extra: Partial<Entry> = {}): Entry {
  return { conversation: 1, seq, id: nextId++, sender: BOB, kind: "text", body: { text: `message ${seq}` }, at_ms: 2000 + seq, ...extra };
}
/** The notice a retention run appends: the entries up to `through` are gone. */
function pruned(seq: number, through: number): Entry {
  return { conversation: 1, seq, id: nextId++, sender: BOB, kind: "system", body: { event: "history_pruned", through_seq: through, before_ms: 2000 + through + 1 }, at_ms: 9000 + seq };
}
function renamed(seq: number): Entry {
  return { ...text(seq), kind: "system", body: { event: "info_changed", by: BOB, name: "Dinner" } };
}
function page(root: Entry, entries: Entry[]): ThreadPage {
  return { root, entries, following: true, read_seq: root.seq };
}
function followed(root: Entry): Thread {
  return { conversation: 1, root, following: true, read_seq: root.seq, unread: 0 };
}
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** A replica holding group 1 at `lastSeq`, with a block loaded from `entries`. */
function opened(lastSeq: number, entries: Entry[], overrides: Partial<Conversation> = {}, me: Partial<Conversation["me"]> = {}): Replica {
  const replica = new Replica(ME);
  replica.mergeSummary(group(lastSeq, overrides, me));
  replica.replaceBlock(1, entries, lastSeq, PAGE_LEN);
  return replica;
}
const shown = (replica: Replica): number[] => [...replica.get(1)!.block!.entries.keys()].sort((a, b) => a - b);
const context = { me: ME, outbox: [], profile: () => undefined, progress: () => undefined, nowMs: 0 };
const viewSeqs = (replica: Replica) => conversationView(replica.get(1)!, context).messages.map((m) => m.entry.seq);

describe("a history_pruned notice", () => {
  test("arriving live drops the entries up to its through_seq from the open chat, which then starts after them", () => {
    const replica = opened(6, range(1, 6).map((seq) => text(seq)));
    expect(replica.get(1)!.block!.atStart).toBe(true);
    const effect = replica.applyLive(pruned(7, 4));
    expect(shown(replica)).toEqual([5, 6, 7]);
    expect(viewSeqs(replica)).toEqual([5, 6, 7]);
    const state = replica.get(1)!;
    expect(state.conversation.pruned_through).toBe(4);
    expect(state.conversation.last_seq).toBe(7);
    expect([state.block!.first, state.block!.last, state.block!.atStart]).toEqual([5, 7, true]);
    expect(conversationView(state, context).atStart).toBe(true);
    // Everything was read and the last message stays: the counts are right as they are.
    expect(effect.refresh).toBe(false);
    // The notice is what the list shows of the conversation.
    expect(state.lastNotice?.seq).toBe(7);
  });

  test("asks for fresh counts when it deletes unread messages or the last message", () => {
    const unread = opened(6, range(1, 6).map((seq) => text(seq)), { unread: 4 }, { read_seq: 2 });
    expect(unread.applyLive(pruned(7, 3)).refresh).toBe(true);
    // Read up to what it deleted: the unread ones stay, and so do the counts.
    const readThrough = opened(6, range(1, 6).map((seq) => text(seq)), { unread: 3 }, { read_seq: 3 });
    expect(readThrough.applyLive(pruned(7, 3)).refresh).toBe(false);
    // All of it: no last message is left.
    const all = opened(6, range(1, 6).map((seq) => text(seq)), { last_message: text(6) });
    expect(all.applyLive(pruned(7, 6)).refresh).toBe(true);
    expect(all.get(1)!.conversation.last_message).toBeUndefined();
    expect(shown(all)).toEqual([7]);
  });

  test("replaces the summary rather than changing it, so that a view compares it by reference", () => {
    const replica = opened(3, range(1, 3).map((seq) => text(seq)));
    const before = replica.get(1)!.conversation;
    replica.applyLive(pruned(4, 2));
    expect(replica.get(1)!.conversation.pruned_through).toBe(2);
    expect(before.pruned_through).toBeUndefined();
  });

  test("leaves a block that starts after what it deleted as it is, not at the start", () => {
    const full = range(51, 100).map((seq) => text(seq));
    const replica = opened(100, full);
    expect(replica.get(1)!.block!.atStart).toBe(false);
    replica.applyLive(pruned(101, 20));
    expect(shown(replica)).toEqual([...range(51, 101)]);
    expect(replica.get(1)!.block!.atStart).toBe(false);
    // The page below reaches down to the history's start, 21: a full page, and still the start.
    replica.prependBlock(1, range(21, 50).map((seq) => text(seq)), 30);
    expect(replica.get(1)!.block!.first).toBe(21);
    expect(replica.get(1)!.block!.atStart).toBe(true);
  });

  test("closes an open thread whose root it deleted, keeps the others, and drops deleted roots from the followed threads", () => {
    const replica = opened(8, range(1, 8).map((seq) => text(seq)));
    const oldRoot = text(2);
    const newRoot = text(6);
    replica.openThread(1, page(oldRoot, [text(3, { thread: 2 }), text(7, { thread: 2 })]), PAGE_LEN);
    replica.openThread(1, page(newRoot, [text(8, { thread: 6 })]), PAGE_LEN);
    replica.setThreadList(1, [followed(newRoot), followed(oldRoot)]);
    replica.applyLive(pruned(9, 5));
    expect(replica.thread(1, 2)).toBeUndefined();
    expect([...replica.thread(1, 6)!.replies.keys()]).toEqual([8]);
    expect(replica.threadLists.get(1)!.map((t) => t.root.seq)).toEqual([6]);
  });

  test("in a forward page (a gap filled) drops what the block held before it", () => {
    const replica = opened(4, range(1, 4).map((seq) => text(seq)));
    // While away: 5 and 6 were sent, then a run deleted up to 5.
    replica.mergeSummary(group(8, { pruned_through: 5 }));
    expect(replica.extendBlock(1, [text(6), pruned(7, 5), text(8)], 8, PAGE_LEN)).toBe(true);
    expect(shown(replica)).toEqual([6, 7, 8]);
    expect(replica.get(1)!.block!.atStart).toBe(true);
  });

  test("in the newest page makes the history start after what it deleted", () => {
    const replica = new Replica(ME);
    // The summary says nothing of it yet (read before the run); the page does.
    replica.mergeSummary(group(12));
    replica.replaceBlock(1, [text(11), pruned(12, 10)], 12, PAGE_LEN);
    expect(replica.get(1)!.conversation.pruned_through).toBe(10);
    expect(shown(replica)).toEqual([11, 12]);
    expect(replica.get(1)!.block!.atStart).toBe(true);
  });

  test("in an older page raises the history's start too", () => {
    const replica = opened(40, range(31, 40).map((seq) => text(seq)));
    replica.prependBlock(1, [pruned(30, 29)], 1);
    // A full page (limit 1), yet nothing is left below it.
    expect(replica.get(1)!.block!.first).toBe(30);
    expect(replica.get(1)!.block!.atStart).toBe(true);
    expect(replica.get(1)!.conversation.pruned_through).toBe(29);
  });

  test("drops the list's notice when it deleted it", () => {
    const replica = opened(3, [text(1), renamed(2), text(3)]);
    expect(replica.get(1)!.lastNotice?.seq).toBe(2);
    replica.applyLive(pruned(4, 2));
    expect(replica.get(1)!.lastNotice?.seq).toBe(4);
    // A later summary that says the same drops nothing more.
    replica.mergeSummary(group(4, { pruned_through: 2 }));
    expect(shown(replica)).toEqual([3, 4]);
  });
});

describe("a summary whose pruned_through is past what is held", () => {
  test("drops the entries up to it, when taken as it is", () => {
    const replica = opened(6, range(1, 6).map((seq) => text(seq)));
    expect(replica.mergeSummary(group(6, { pruned_through: 3 }))).toBe("updated");
    expect(shown(replica)).toEqual([4, 5, 6]);
    expect(replica.get(1)!.block!.atStart).toBe(true);
  });

  test("drops them too when it is older than the entries applied since", () => {
    const replica = opened(6, range(1, 6).map((seq) => text(seq)));
    expect(replica.mergeSummary(group(5, { pruned_through: 2 }))).toBe("stale");
    expect(shown(replica)).toEqual([3, 4, 5, 6]);
    expect(replica.get(1)!.conversation.pruned_through).toBe(2);
  });

  test("drops them after the block is brought up to it", () => {
    const replica = opened(6, range(1, 6).map((seq) => text(seq)));
    const ahead = group(8, { pruned_through: 4 });
    expect(replica.mergeSummary(ahead)).toBe("behind");
    replica.extendBlock(1, [text(7), pruned(8, 4)], 8, PAGE_LEN);
    replica.acceptSummary(ahead);
    expect(shown(replica)).toEqual([5, 6, 7, 8]);
  });

  test("drops followed threads whose roots went, of a conversation joined again", () => {
    const replica = opened(6, range(1, 6).map((seq) => text(seq)));
    replica.setThreadList(1, [followed(text(5)), followed(text(2))]);
    replica.markLeft(1);
    expect(replica.mergeSummary(group(9, { pruned_through: 4 }))).toBe("added");
    expect(replica.threadLists.get(1)!.map((t) => t.root.seq)).toEqual([5]);
  });

  test("never lowers the mark", () => {
    const replica = opened(6, range(1, 6).map((seq) => text(seq)));
    replica.applyLive(pruned(7, 4));
    replica.mergeSummary(group(7, { pruned_through: 4 }));
    expect(replica.mergeSummary(group(6, { pruned_through: 2 }))).toBe("stale");
    expect(replica.get(1)!.conversation.pruned_through).toBe(4);
    expect(shown(replica)).toEqual([5, 6, 7]);
  });
});

describe("the history's start", () => {
  test("is past what retention deleted, or at the member's joining, whichever is later", () => {
    // Deleted up to 10; joined at 15: the first page that reaches 15 is the start.
    const late = new Replica(ME);
    late.mergeSummary(group(40, { pruned_through: 10 }, { joined_seq: 15 }));
    late.replaceBlock(1, range(15, 40).map((seq) => text(seq)), 40, 26);
    expect(late.get(1)!.block!.atStart).toBe(true);
    // Joined at 1, deleted up to 10: the page that starts at 11 is the start, however full.
    const early = new Replica(ME);
    early.mergeSummary(group(40, { pruned_through: 10 }));
    early.replaceBlock(1, range(11, 40).map((seq) => text(seq)), 40, 30);
    expect(early.get(1)!.block!.atStart).toBe(true);
    // One that starts at 12 is not: 11 is still there to load.
    const above = new Replica(ME);
    above.mergeSummary(group(40, { pruned_through: 10 }));
    above.replaceBlock(1, range(12, 40).map((seq) => text(seq)), 40, 29);
    expect(above.get(1)!.block!.atStart).toBe(false);
  });
});
