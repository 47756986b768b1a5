// Threads against the real server (docs/protocol.md §7.12): replies sent through the outbox
// with `thread` and `broadcast`, the chat's view and counts leaving thread-only replies out,
// the root's reply count moving live, an open thread following its replies and operations,
// and the followed threads' unread counts kept current across the account's devices.

import { afterAll, beforeAll, expect, test } from "vitest";

import { memoryStorage, type MagpieClient } from "../src/index.ts";
import { online, startServer, texts, until, type TestServer } from "./harness.ts";

let server: TestServer;
let alice: MagpieClient;
let alice2: MagpieClient;
let bob: MagpieClient;

beforeAll(async () => {
  server = await startServer();
  const [a, b] = await Promise.all([server.addUser("alice"), server.addUser("bob")]);
  [alice, alice2, bob] = await Promise.all([online(server, a), online(server, a, memoryStorage()), online(server, b)]);
});

afterAll(async () => {
  for (const client of [alice, alice2, bob]) client?.close();
  await server?.stop();
});

test("a thread beside the chat: counted live, read on every device, followed and unfollowed", async () => {
  const chat = (await alice.createGroup("group", "Lunch", [bob.me.account])).id;
  await alice.openConversation(chat);
  alice.sendText(chat, "noodles at 12?");
  const root = await until(alice, () => alice.view(chat)?.messages.find((m) => m.entry.body?.text === "noodles at 12?" && m.entry.seq > 0)?.entry.seq,
    "the root is stored");
  await until(bob, () => bob.conversations().some((c) => c.id === chat), "bob learns of the group");
  await Promise.all([bob.openConversation(chat), alice2.openConversation(chat)]);
  await Promise.all([alice.loadThreads(chat), alice2.loadThreads(chat)]);
  expect(alice.threads(chat)).toEqual([]);

  // Bob opens the thread and replies there only; his pending reply shows in the thread.
  await bob.openThread(chat, root);
  bob.sendText(chat, "12:30 is better", { thread: root });
  expect(bob.thread(chat, root)!.replies.map((m) => [m.entry.body?.text, m.state])).toEqual([["12:30 is better", "sending"]]);
  expect(texts(bob, chat)).toEqual(["noodles at 12?"]);
  // Stored and applied: no longer the outbox's (an acked item has its seq before its entry comes).
  const stored = await until(bob, () => bob.thread(chat, root)?.replies.find((m) => !m.key.startsWith("out:")), "bob's reply applied");
  expect(stored.entry.thread).toBe(root);
  // Replying follows the thread.
  expect(bob.thread(chat, root)!.following).toBe(true);

  // Alice: the reply count under her message moves; the chat, its counts and last message do not.
  await until(alice, () => alice.view(chat)?.messages.find((m) => m.entry.seq === root)?.entry.thread_summary?.replies === 1, "alice counts one reply");
  const summary = alice.conversations().find((c) => c.id === chat)!;
  expect(texts(alice, chat)).toEqual(["noodles at 12?"]);
  expect([summary.unread, summary.last_message?.seq]).toEqual([0, root]);
  // She sent the root: she follows the thread, and its reply is unread on both her devices.
  for (const client of [alice, alice2]) {
    await until(client, () => client.threads(chat)?.[0]?.unread === 1, "the followed thread counts one unread");
  }

  // A reply also sent to the group shows in both places, and counts in the chat.
  bob.sendText(chat, "everyone: 12:30", { thread: root, broadcast: true });
  await until(alice, () => texts(alice, chat).includes("everyone: 12:30"), "the broadcast reply shows in the chat");
  await until(alice, () => alice.conversations().find((c) => c.id === chat)?.unread === 1, "the chat counts it");
  await until(alice, () => alice.threads(chat)?.[0]?.unread === 2, "the thread counts it too");

  // Alice opens the thread and reads it: both her devices clear the count.
  await alice.openThread(chat, root);
  const thread = alice.thread(chat, root)!;
  expect(thread.replies.map((m) => m.entry.body?.text)).toEqual(["12:30 is better", "everyone: 12:30"]);
  expect([thread.following, thread.unread]).toEqual([true, 2]);
  alice.markThreadRead(chat, root);
  expect(alice.thread(chat, root)!.unread).toBe(0);
  for (const client of [alice, alice2]) await until(client, () => client.threads(chat)?.[0]?.unread === 0, "the thread is read");

  // A reply edited, and reacted to, changes in the open thread.
  await bob.edit(chat, stored.entry.seq, { text: "12:30 is better for me" });
  await bob.react(chat, stored.entry.seq, "👍", true);
  await until(alice, () => {
    const reply = alice.thread(chat, root)?.replies[0]?.entry;
    return reply?.body?.text === "12:30 is better for me" && reply.reactions?.[0]?.emoji === "👍";
  }, "alice sees the edit and the reaction in the thread");

  // Unfollowed, the thread leaves the list on both devices and counts no more.
  await alice.updateThread(chat, root, { following: false });
  expect(alice.threads(chat)).toEqual([]);
  await until(alice2, () => alice2.threads(chat)?.length === 0, "the other device sees the unfollow");
  alice.closeThread(chat, root);
  bob.sendText(chat, "or 1?", { thread: root });
  await until(alice, () => alice.view(chat)?.messages.find((m) => m.entry.seq === root)?.entry.thread_summary?.replies === 3, "alice counts three replies");
  expect(alice.threads(chat)).toEqual([]);

  // Followed again, the next reply counts.
  await alice.updateThread(chat, root, { following: true });
  await until(alice2, () => alice2.threads(chat)?.length === 1, "the other device sees the follow");
  bob.sendText(chat, "1 works", { thread: root });
  for (const client of [alice, alice2]) await until(client, () => client.threads(chat)?.[0]?.unread === 2, "two unread since her read mark");
});
