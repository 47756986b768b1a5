// The replica's rules, fed with entries and events shaped as the server sends them
// (docs/protocol.md §7.2, §8): the seq rule, counts, operations, blocks, summaries and
// account events.

import { describe, expect, test } from "vitest";

import {
  PAGE_LEN, Replica, TYPING_TTL_MS, applyToMessage, conversationView, deliveryOf, shareView,
  type AccountEvent, type Conversation, type Entry, type Member,
} from "../src/index.ts";

const ME = "alice@localhost";
const BOB = "bob@localhost";
const CAROL = "carol@localhost";

function conversation(id: number, lastSeq: number, overrides: Partial<Conversation> = {}): Conversation {
  return {
    id, kind: "direct", peer: BOB, mute_all: false, member_count: 2, last_seq: lastSeq, activity: id,
    last_activity_ms: 1000, created_at_ms: 1000,
    me: { role: "member", joined_seq: 0, read_seq: 0, delivered_seq: 0, pinned: false, muted: false },
    unread: 0, mentions: 0, ...overrides,
  };
}

let nextId = 1;
function text(seq: number, sender = BOB, words = `message ${seq}`, extra: Partial<Entry> = {}): Entry {
  return { conversation: 1, seq, id: nextId++, sender, kind: "text", body: { text: words }, at_ms: 2000 + seq, ...extra };
}
function op(seq: number, kind: "edit" | "recall" | "reaction", target: number, body: Entry["body"], sender = BOB): Entry {
  return { conversation: 1, seq, id: nextId++, sender, kind, body, target, at_ms: 2000 + seq };
}
function event(seq: number, fields: AccountEvent["event"]): AccountEvent {
  return { seq, at_ms: 5000 + seq, event: fields };
}

/** A replica holding conversation 1 at `lastSeq`, with a block loaded from `entries`. */
function opened(lastSeq: number, entries: Entry[], summary: Partial<Conversation> = {}): Replica {
  const replica = new Replica(ME);
  replica.mergeSummary(conversation(1, lastSeq, summary));
  replica.replaceBlock(1, entries, lastSeq, PAGE_LEN);
  return replica;
}

const shown = (replica: Replica): number[] => [...replica.get(1)!.block!.entries.keys()].sort((a, b) => a - b);

describe("the seq rule", () => {
  test("the next seq applies, an old one is a duplicate, a later one is a gap, an unknown conversation is unknown", () => {
    const replica = opened(3, [text(1), text(2), text(3)]);
    expect(replica.verdict(text(4))).toBe("apply");
    expect(replica.verdict(text(3))).toBe("duplicate");
    expect(replica.verdict(text(1))).toBe("duplicate");
    expect(replica.verdict(text(6))).toBe("gap");
    expect(replica.verdict({ ...text(1), conversation: 2 })).toBe("unknown");
  });

  test("applying out of order is refused, so a gap can never be papered over", () => {
    const replica = opened(3, []);
    expect(() => replica.applyLive(text(5))).toThrow();
  });

  test("a conversation whose membership ended treats new entries as unknown (joined again)", () => {
    const replica = opened(3, []);
    replica.markLeft(1);
    expect(replica.verdict(text(4))).toBe("unknown");
    expect(replica.list()).toEqual([]);
  });
});

describe("live entries", () => {
  test("a message from someone else counts as unread, and as a mention when it names me or @all", () => {
    const replica = opened(0, [], { kind: "group", peer: undefined, name: "Lunch" });
    expect(replica.applyLive(text(1)).newFromOther).toBe(true);
    replica.applyLive(text(2, BOB, "hi @alice", { mentions: [ME] }));
    replica.applyLive(text(3, CAROL, "hi all", { mention_all: true }));
    const summary = replica.get(1)!.conversation;
    expect([summary.unread, summary.mentions, summary.last_seq]).toEqual([3, 2, 3]);
    expect(summary.last_message?.seq).toBe(3);
    expect(shown(replica)).toEqual([1, 2, 3]);
  });

  test("a change replaces the summary and the entries it touches instead of changing them", () => {
    const replica = opened(1, [text(1, ME)]);
    const summary = replica.get(1)!.conversation;
    const target = replica.get(1)!.block!.entries.get(1)!;
    replica.applyLive(op(2, "reaction", 1, { emoji: "👍", on: true }));
    replica.applyLive(text(3));
    expect(replica.get(1)!.conversation).not.toBe(summary);
    expect([summary.last_seq, summary.unread]).toEqual([1, 0]);
    expect(replica.get(1)!.block!.entries.get(1)).not.toBe(target);
    expect(target.reactions).toBeUndefined();
  });

  test("@all does not count as a mention in a direct chat", () => {
    const replica = opened(0, []);
    replica.applyLive(text(1, BOB, "hey", { mention_all: true }));
    expect(replica.get(1)!.conversation.mentions).toBe(0);
  });

  test("my own message reads everything up to it", () => {
    const replica = opened(2, [text(1), text(2)], { unread: 2, mentions: 1 });
    const effect = replica.applyLive(text(3, ME));
    expect(effect.newFromOther).toBe(false);
    const summary = replica.get(1)!.conversation;
    expect([summary.me.read_seq, summary.unread, summary.mentions]).toEqual([3, 0, 0]);
  });

  test("a peer's message shows that the peer has read up to it", () => {
    const replica = opened(1, [text(1, ME)]);
    replica.applyLive(text(2, BOB));
    expect(replica.get(1)!.peerReadSeq).toBe(2);
  });

  test("operations change their loaded target and are not shown themselves", () => {
    const replica = opened(2, [text(1, ME), text(2)]);
    replica.applyLive(op(3, "edit", 1, { text: "message 1, edited" }, ME));
    replica.applyLive(op(4, "reaction", 1, { emoji: "👍", on: true }));
    expect(shown(replica)).toEqual([1, 2]);
    const target = replica.get(1)!.block!.entries.get(1)!;
    expect(target.body).toEqual({ text: "message 1, edited" });
    expect(target.edited_at_ms).toBe(2003);
    expect(target.reactions).toEqual([{ emoji: "👍", accounts: [BOB] }]);
  });

  test("recalling an unread message asks for fresh counts; recalling the last message empties it", () => {
    const replica = opened(2, [text(1), text(2)], { unread: 2, last_message: text(2) });
    const effect = replica.applyLive(op(3, "recall", 2, {}));
    expect(effect.refresh).toBe(true);
    const summary = replica.get(1)!.conversation;
    expect(summary.last_message?.body).toBeNull();
    expect(summary.last_message?.recalled_at_ms).toBe(2003);
    expect(replica.get(1)!.block!.entries.get(2)!.body).toBeNull();
  });

  test("system entries update the conversation; unknown ones ask for a refresh", () => {
    const replica = opened(1, [], { kind: "group", peer: undefined, name: "Lunch", member_count: 3 });
    replica.setMembers(1, []);
    replica.applyLive({ ...text(2), kind: "system", body: { event: "info_changed", by: BOB, name: "Dinner", description: "at 7" } });
    const added = replica.applyLive({ ...text(3), kind: "system", body: { event: "members_added", by: BOB, members: [CAROL, "dave@localhost"] } });
    replica.applyLive({ ...text(4), kind: "system", body: { event: "role_changed", by: BOB, member: ME, role: "admin" } });
    replica.applyLive({ ...text(5), kind: "system", body: { event: "info_changed", by: BOB, description: null } });
    const unknown = replica.applyLive({ ...text(6), kind: "system", body: { event: "x.poll_closed", by: BOB } });
    const summary = replica.get(1)!.conversation;
    expect([summary.name, summary.description, summary.member_count, summary.me.role]).toEqual(["Dinner", undefined, 5, "admin"]);
    expect(added.membersChanged).toBe(true);
    expect(unknown.refresh).toBe(true);
    // System entries are shown, as notices; they are not messages and do not count.
    expect(shown(replica)).toEqual([2, 3, 4, 5, 6]);
    expect(summary.unread).toBe(0);
  });

  test("the newest notice is kept for the list, from live entries and loaded pages, until hidden", () => {
    const notice = (seq: number): Entry => ({ ...text(seq), kind: "system", body: { event: "role_changed", by: BOB, member: CAROL, role: "admin" } });
    const replica = opened(3, [notice(1), text(2), notice(3)], { kind: "group", peer: undefined, name: "Lunch", member_count: 3 });
    expect(replica.get(1)!.lastNotice?.seq).toBe(3);
    replica.applyLive(text(4));
    replica.applyLive(notice(5));
    expect(replica.get(1)!.lastNotice?.seq).toBe(5);
    replica.applyAccountEvent(event(1, { kind: "hidden", conversation: 1, seqs: [5] }));
    expect(replica.get(1)!.lastNotice).toBeUndefined();
  });
});

describe("operations on a message", () => {
  const message = text(1);

  test("an edit of a recalled message, or one with a null body, changes nothing", () => {
    const recalled = applyToMessage({ ...message }, op(2, "recall", 1, {}));
    expect(applyToMessage({ ...recalled }, op(3, "edit", 1, { text: "late" }))).toEqual(recalled);
    expect(applyToMessage({ ...message }, op(3, "edit", 1, null))).toEqual(message);
  });

  test("an edited message, once recalled, is the same tombstone whether its edits were seen or skipped", () => {
    const mentioning = text(1, BOB, "hi @alice", { mentions: [ME] });
    const live = applyToMessage(applyToMessage({ ...mentioning }, op(2, "edit", 1, { text: "hi @alice!" })), op(3, "recall", 1, {}));
    // A device that catches up after the recall gets the edit with a null body (§8.5).
    const caughtUp = applyToMessage(applyToMessage({ ...mentioning }, op(2, "edit", 1, null)), op(3, "recall", 1, {}));
    expect(live).toEqual(caughtUp);
    expect(live).toEqual({ ...mentioning, body: null, mentions: undefined, recalled_at_ms: 2003 });
    expect("edited_at_ms" in live || "mentions" in live).toBe(false);
  });

  test("a recall removes the reactions", () => {
    const reacted = applyToMessage({ ...message }, op(2, "reaction", 1, { emoji: "👍", on: true }));
    expect(applyToMessage(reacted, op(3, "recall", 1, {})).reactions).toBeUndefined();
  });

  test("reactions are sets per emoji, sorted by emoji, accounts oldest first", () => {
    let m = { ...message };
    m = applyToMessage(m, op(2, "reaction", 1, { emoji: "😀", on: true }, CAROL));
    m = applyToMessage(m, op(3, "reaction", 1, { emoji: "👍", on: true }, CAROL));
    m = applyToMessage(m, op(4, "reaction", 1, { emoji: "👍", on: true }, BOB));
    m = applyToMessage(m, op(5, "reaction", 1, { emoji: "👍", on: true }, BOB));
    expect(m.reactions).toEqual([{ emoji: "👍", accounts: [CAROL, BOB] }, { emoji: "😀", accounts: [CAROL] }]);
    m = applyToMessage(m, op(6, "reaction", 1, { emoji: "😀", on: false }, CAROL));
    m = applyToMessage(m, op(7, "reaction", 1, { emoji: "😀", on: false }, CAROL));
    expect(m.reactions).toEqual([{ emoji: "👍", accounts: [CAROL, BOB] }]);
  });

  test("replaying the operations again gives the same message", () => {
    const log = [
      op(2, "edit", 1, { text: "v2" }),
      op(3, "reaction", 1, { emoji: "👍", on: true }),
      op(4, "edit", 1, { text: "v3" }),
      op(5, "reaction", 1, { emoji: "👍", on: false }),
      op(6, "reaction", 1, { emoji: "🎉", on: true }, CAROL),
    ];
    const once = log.reduce((m, o) => applyToMessage(m, o), { ...message });
    const twice = log.reduce((m, o) => applyToMessage(m, o), { ...once });
    expect(twice).toEqual(once);
    expect(once.body).toEqual({ text: "v3" });
  });
});

describe("blocks", () => {
  test("the block is loaded aligned to the cursor: a page reaching past it is cut there", () => {
    const replica = new Replica(ME);
    replica.mergeSummary(conversation(1, 3));
    replica.replaceBlock(1, [text(2), text(3), text(4), text(5)], 3, PAGE_LEN);
    expect(shown(replica)).toEqual([2, 3]);
    // Entries 4 and 5 come as pushes and are applied (and counted) then.
    expect(replica.verdict(text(4))).toBe("apply");
  });

  test("a full page below the start is not the start; a short one is", () => {
    const full = Array.from({ length: PAGE_LEN }, (_, i) => text(i + 51));
    const replica = opened(100, full);
    expect(replica.get(1)!.block!.atStart).toBe(false);
    replica.prependBlock(1, [text(49), text(50)], PAGE_LEN);
    expect(replica.get(1)!.block!.atStart).toBe(true);
    expect(replica.get(1)!.block!.first).toBe(49);
  });

  test("an older page is shown as it is: its operations are not applied again", () => {
    const replica = opened(5, [text(4, ME, "now"), text(5)]);
    // Fetched as it is now: 4 was edited (by the edit at 6, say); the older edit at 3 targets 2.
    replica.prependBlock(1, [text(1), text(2, ME, "current"), op(3, "edit", 2, { text: "older version" }, ME)], PAGE_LEN);
    expect(replica.get(1)!.block!.entries.get(2)!.body).toEqual({ text: "current" });
    expect(shown(replica)).toEqual([1, 2, 4, 5]);
  });

  test("a forward page applies its operations to targets loaded before it, and stops at upTo", () => {
    const replica = opened(2, [text(1), text(2)]);
    replica.mergeSummary(conversation(1, 2));
    const done = replica.extendBlock(1, [text(3), op(4, "edit", 1, { text: "edited" }), text(5), text(6)], 5, 4);
    expect(done).toBe(true);
    expect(shown(replica)).toEqual([1, 2, 3, 5]);
    expect(replica.get(1)!.block!.last).toBe(5);
    expect(replica.get(1)!.block!.entries.get(1)!.body).toEqual({ text: "edited" });
  });

  test("a short forward page means the readable end is reached", () => {
    const replica = opened(2, [text(1), text(2)]);
    expect(replica.extendBlock(1, [text(3)], 9, PAGE_LEN)).toBe(true);
    expect(replica.get(1)!.block!.last).toBe(9);
  });
});

describe("summaries", () => {
  test("a fetched summary is added, taken, ignored when stale, or waits for the block when ahead", () => {
    const replica = new Replica(ME);
    expect(replica.mergeSummary(conversation(1, 3, { unread: 3 }))).toBe("added");
    expect(replica.mergeSummary(conversation(1, 4, { unread: 4 }))).toBe("updated");
    expect(replica.get(1)!.conversation.unread).toBe(4);
    expect(replica.mergeSummary(conversation(1, 2, { unread: 9, me: { ...conversation(1, 2).me, pinned: true } }))).toBe("stale");
    expect(replica.get(1)!.conversation.unread).toBe(4);
    expect(replica.get(1)!.conversation.me.pinned).toBe(true);
    replica.replaceBlock(1, [], 4, PAGE_LEN);
    expect(replica.mergeSummary(conversation(1, 6))).toBe("behind");
    expect(() => replica.acceptSummary(conversation(1, 6))).toThrow();
  });

  test("a read mark set here stays over an older summary", () => {
    const replica = new Replica(ME);
    replica.mergeSummary(conversation(1, 5, { unread: 5 }));
    replica.markReadLocally(1, 5);
    replica.mergeSummary(conversation(1, 5, { unread: 5 }));
    const summary = replica.get(1)!.conversation;
    expect([summary.me.read_seq, summary.unread]).toEqual([5, 0]);
  });

  test("pinned conversations come first, then the latest activity", () => {
    const replica = new Replica(ME);
    replica.mergeSummary(conversation(1, 0, { last_activity_ms: 3000 }));
    replica.mergeSummary(conversation(2, 0, { last_activity_ms: 1000, me: { ...conversation(2, 0).me, pinned: true } }));
    replica.mergeSummary(conversation(3, 0, { last_activity_ms: 2000 }));
    expect(replica.list().map((c) => c.id)).toEqual([2, 1, 3]);
  });
});

describe("account events", () => {
  test("each kind does what §8.6 says, and the cursor moves past every event, known or not", () => {
    const replica = opened(5, [text(1, ME), text(2, ME), text(3, ME), text(4, ME), text(5, ME)], { unread: 5, last_message: text(5, ME) });
    replica.eventsCursor = 10;
    expect(replica.applyAccountEvent(event(11, { kind: "read", conversation: 1, seq: 3 }))).toEqual([{ kind: "refresh", conversation: 1 }]);
    expect(replica.applyAccountEvent(event(12, { kind: "read", conversation: 1, seq: 5 }))).toEqual([]);
    expect(replica.get(1)!.conversation.unread).toBe(0);
    replica.applyAccountEvent(event(13, { kind: "peer_delivered", conversation: 1, account: BOB, seq: 4 }));
    replica.applyAccountEvent(event(14, { kind: "peer_read", conversation: 1, account: BOB, seq: 2 }));
    expect([replica.get(1)!.peerReadSeq, replica.get(1)!.peerDeliveredSeq]).toEqual([2, 4]);
    replica.applyAccountEvent(event(15, { kind: "settings_changed", conversation: 1, pinned: true, draft: "see you" }));
    replica.applyAccountEvent(event(16, { kind: "settings_changed", conversation: 1, draft: "" }));
    expect(replica.get(1)!.conversation.me.pinned).toBe(true);
    expect(replica.get(1)!.conversation.me.draft).toBeUndefined();
    // Marked unread on another device, then read there: the mark comes and goes.
    replica.applyAccountEvent(event(161, { kind: "settings_changed", conversation: 1, marked_unread: true }));
    expect(replica.get(1)!.conversation.me.marked_unread).toBe(true);
    replica.applyAccountEvent(event(162, { kind: "settings_changed", conversation: 1, marked_unread: false }));
    expect(replica.get(1)!.conversation.me.marked_unread).toBeUndefined();
    // Read here, it goes at once, even at the mark it had.
    replica.applyAccountEvent(event(163, { kind: "settings_changed", conversation: 1, marked_unread: true }));
    replica.markReadLocally(1, 5);
    expect(replica.get(1)!.conversation.me.marked_unread).toBeUndefined();
    expect(replica.applyAccountEvent(event(17, { kind: "hidden", conversation: 1, seqs: [2] }))).toEqual([]);
    expect(replica.applyAccountEvent(event(18, { kind: "hidden", conversation: 1, seqs: [5] }))).toEqual([{ kind: "refresh", conversation: 1 }]);
    expect(shown(replica)).toEqual([1, 3, 4]);
    expect(replica.applyAccountEvent(event(19, { kind: "conversation_joined", conversation: 7 }))).toEqual([{ kind: "fetch", conversation: 7 }]);
    expect(replica.applyAccountEvent(event(20, { kind: "conversation_left", conversation: 1, reason: "removed" }))).toEqual([{ kind: "leave", conversation: 1 }]);
    expect(replica.applyAccountEvent(event(21, { kind: "friend_request", from: CAROL, message: "hi" }))).toEqual([
      { kind: "friend_request", from: CAROL, message: "hi" },
    ]);
    expect(replica.applyAccountEvent(event(22, { kind: "x.something_new", conversation: 1 }))).toEqual([]);
    expect(replica.eventsCursor).toBe(22);
  });
});

describe("typing", () => {
  test("an indicator lasts five seconds after the last signal, and my own never shows", () => {
    const replica = opened(0, []);
    replica.noteTyping(1, BOB, 10_000);
    replica.noteTyping(1, ME, 10_000);
    expect([...replica.get(1)!.typing.keys()]).toEqual([BOB]);
    expect(replica.expireTyping(10_000 + TYPING_TTL_MS - 1)).toEqual({ changed: false, nextExpiryMs: 10_000 + TYPING_TTL_MS });
    expect(replica.expireTyping(10_000 + TYPING_TTL_MS).changed).toBe(true);
    expect(replica.get(1)!.typing.size).toBe(0);
  });

  test("a message from the typist ends its indicator at once; others' go on", () => {
    const replica = opened(1, [text(1)]);
    replica.noteTyping(1, BOB, 10_000);
    replica.noteTyping(1, CAROL, 10_000);
    replica.applyLive(text(2, BOB));
    expect([...replica.get(1)!.typing.keys()]).toEqual([CAROL]);
  });
});

describe("send states", () => {
  test("a direct chat's states come from the peer's marks", () => {
    const replica = opened(3, [text(1, ME), text(2, ME), text(3, ME)]);
    replica.applyAccountEvent(event(1, { kind: "peer_delivered", conversation: 1, account: BOB, seq: 2 }));
    replica.applyAccountEvent(event(2, { kind: "peer_read", conversation: 1, account: BOB, seq: 1 }));
    const state = replica.get(1)!;
    expect([1, 2, 3].map((seq) => deliveryOf(text(seq, ME), state, ME).state)).toEqual(["read", "delivered", "sent"]);
  });

  test("a group's readBy counts the members other than the sender that were there and read it", () => {
    const replica = opened(4, [text(4, ME)], { kind: "group", peer: undefined, name: "Lunch" });
    const member = (account: string, joined: number, read: number): Member => ({
      account, role: "member", joined_seq: joined, read_seq: read, delivered_seq: read,
    });
    replica.setMembers(1, [member(ME, 1, 4), member(BOB, 1, 4), member(CAROL, 1, 2), member("dave@localhost", 5, 5)]);
    const view = conversationView(replica.get(1)!, { me: ME, outbox: [], profile: () => undefined, progress: () => undefined, nowMs: 0 });
    expect(view.messages[0]).toMatchObject({ readBy: 1, state: "sent", mine: true });
    // Carol's own message shows that she has read up to it.
    replica.applyLive(text(5, CAROL));
    expect(deliveryOf(text(4, ME), replica.get(1)!, ME)).toEqual({ state: "read", readBy: 2 });
  });

  test("a marks event raises the members' marks, never lowers them, and skips members not listed", () => {
    const replica = opened(4, [text(4, ME)], { kind: "group", peer: undefined, name: "Lunch" });
    const member = (account: string, read: number, delivered: number): Member => ({
      account, role: "member", joined_seq: 1, read_seq: read, delivered_seq: delivered,
    });
    expect(replica.noteMarks(1, [{ account: BOB, read_seq: 4, delivered_seq: 4 }])).toBe(false);
    replica.setMembers(1, [member(ME, 4, 4), member(BOB, 1, 1), member(CAROL, 3, 4)]);
    expect(deliveryOf(text(4, ME), replica.get(1)!, ME)).toEqual({ state: "sent", readBy: 0 });
    expect(replica.noteMarks(1, [
      { account: BOB, read_seq: 4, delivered_seq: 4 },
      { account: CAROL, read_seq: 2, delivered_seq: 2 },
      { account: "dave@localhost", read_seq: 4, delivered_seq: 4 },
    ])).toBe(true);
    expect(replica.get(1)!.members!.map((m) => [m.account, m.read_seq, m.delivered_seq])).toEqual([[ME, 4, 4], [BOB, 4, 4], [CAROL, 3, 4]]);
    expect(deliveryOf(text(4, ME), replica.get(1)!, ME)).toEqual({ state: "delivered", readBy: 1 });
    expect(replica.noteMarks(1, [{ account: BOB, read_seq: 4, delivered_seq: 4 }])).toBe(false);
  });
});

describe("views shared across changes", () => {
  const context = { me: ME, outbox: [], profile: () => undefined, progress: () => undefined, nowMs: 0 };

  test("a message that did not change is the same object in the next view, and so is an unchanged view", () => {
    const replica = opened(3, [text(1), text(2), text(3, ME)]);
    const first = conversationView(replica.get(1)!, context);
    expect(shareView(first, conversationView(replica.get(1)!, context))).toBe(first);

    replica.applyLive(op(4, "reaction", 2, { emoji: "👍", on: true }));
    const second = shareView(first, conversationView(replica.get(1)!, context));
    expect(second).not.toBe(first);
    expect(second.messages[0]).toBe(first.messages[0]);
    expect(second.messages[1]).not.toBe(first.messages[1]);
    expect(second.messages[1]!.entry.reactions).toEqual([{ emoji: "👍", accounts: [BOB] }]);

    // A peer's read mark changes only the state of my message.
    replica.applyAccountEvent(event(1, { kind: "peer_read", conversation: 1, account: BOB, seq: 3 }));
    const third = shareView(second, conversationView(replica.get(1)!, context));
    expect(third.messages.slice(0, 2)).toEqual(second.messages.slice(0, 2));
    expect(third.messages[0]).toBe(second.messages[0]);
    expect(third.messages[2]!.state).toBe("read");
  });
});
