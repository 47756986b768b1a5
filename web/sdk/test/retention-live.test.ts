// Retention against the real server (docs/protocol.md "Retention"): a domain's administrator
// sets and reads its policy and a conversation's own, and purges everything before a time; a
// member with the group open sees the deleted messages go at once, with the pin and the thread
// they held, the history starting after them; another device and a member without the group
// open learn it from the summary; a run is followed with `wait_secs` until it is done.

import { afterAll, beforeAll, expect, test } from "vitest";

import { MagpieError, memoryStorage, type MagpieClient, type RetentionRun } from "../src/index.ts";
import { online, startServer, texts, until, type TestServer, type User } from "./harness.ts";

let server: TestServer;
let admin: MagpieClient;
let bob: MagpieClient;
let carol: MagpieClient;
let bobUser: User;
const opened: MagpieClient[] = [];

beforeAll(async () => {
  server = await startServer();
  const [a, b, c] = await Promise.all([server.addUser("root", { admin: true }), server.addUser("bob"), server.addUser("carol")]);
  bobUser = b;
  [admin, bob, carol] = await Promise.all([online(server, a), online(server, b), online(server, c)]);
  opened.push(admin, bob, carol);
});

afterAll(async () => {
  for (const client of opened) client.close();
  await server?.stop();
});

/** Sends a text and resolves with its stored entry's seq and time, once applied. */
async function sent(client: MagpieClient, chat: number, text: string, options: { thread?: number } = {}): Promise<{ seq: number; at: number }> {
  client.sendText(chat, text, options);
  const find = () => (options.thread === undefined ? client.view(chat)?.messages : client.thread(chat, options.thread)?.replies)
    ?.find((m) => m.entry.body?.text === text && !m.key.startsWith("out:"))?.entry;
  const entry = await until(client, find, `"${text}" stored`);
  return { seq: entry.seq, at: entry.at_ms };
}

/** Follows a run with `wait_secs` until it is no longer running. */
async function finished(run: RetentionRun): Promise<RetentionRun> {
  let now = run;
  while (now.state === "running") now = await admin.admin.retentionRun(run.id, { wait_secs: 5 });
  return now;
}

test("a purge reaches the open chat at once; the history starts after it on every device", async () => {
  const chat = (await bob.createGroup("group", "Launch", [carol.me.account])).id;
  await bob.openConversation(chat);
  const first = await sent(bob, chat, "old one");
  await bob.openThread(chat, first.seq);
  await sent(bob, chat, "an old reply", { thread: first.seq });
  const second = await sent(bob, chat, "old two");
  await sent(bob, chat, "old three");
  await bob.loadPins(chat);
  await bob.pin(chat, second.seq);
  await until(bob, () => bob.pins(chat)?.some((p) => p.entry.seq === second.seq), "the pin is listed");
  await bob.loadThreads(chat);
  await until(bob, () => bob.threads(chat)?.some((t) => t.root.seq === first.seq), "bob follows the thread");
  const kept = await sent(bob, chat, "new one");
  // The cutoff is the newer message's own time: everything before it goes, it stays.
  const before = await until(bob, () => bob.view(chat)?.messages.filter((m) => m.entry.seq > 0 && m.entry.seq < kept.seq), "the older entries");
  expect(before.every((m) => m.entry.at_ms < kept.at)).toBe(true);
  await until(carol, () => carol.conversations().find((c) => c.id === chat)?.last_seq === kept.seq, "carol's summary is current");

  const run = await admin.admin.startRetentionRun("localhost", kept.at);
  expect(run).toMatchObject({ state: "running", before_ms: kept.at, started_by: admin.me.account });

  // Bob's open chat: the old messages go, the notice comes, the newer message stays.
  const notice = await until(bob, () => bob.view(chat)?.messages.find((m) => m.entry.kind === "system" && m.entry.body?.event === "history_pruned"), "the notice");
  expect(notice.entry.body).toEqual({ event: "history_pruned", through_seq: kept.seq - 1, before_ms: kept.at });
  expect(texts(bob, chat)).toEqual(["new one"]);
  const view = bob.view(chat)!;
  expect(view.messages.map((m) => m.entry.seq)).toEqual([kept.seq, notice.entry.seq]);
  expect(view.atStart).toBe(true);
  expect(view.conversation.pruned_through).toBe(kept.seq - 1);
  // The pin and the thread were of the deleted messages.
  await until(bob, () => bob.pins(chat)?.length === 0, "the pin goes");
  expect(bob.thread(chat, first.seq)).toBeUndefined();
  expect(bob.threads(chat)).toEqual([]);
  // Nothing older is asked for: there is nothing.
  await bob.loadOlder(chat);
  expect(bob.view(chat)!.messages.map((m) => m.entry.seq)).toEqual([kept.seq, notice.entry.seq]);

  const done = await finished(run);
  expect(done).toMatchObject({ state: "done", conversations: 1, entries: kept.seq - 1, files: 0 });
  expect(done.finished_at_ms).toBeGreaterThanOrEqual(done.started_at_ms);
  expect((await admin.admin.adminRetention("localhost")).runs[0]).toEqual(done);

  // Carol has the group in her list only: its summary says what went.
  await until(carol, () => carol.conversations().find((c) => c.id === chat)?.pruned_through === kept.seq - 1, "carol's summary");
  // Bob's other device opens the group afresh: the newer message and the notice, at the start.
  const other = await online(server, bobUser, memoryStorage());
  opened.push(other);
  await other.openConversation(chat);
  expect(texts(other, chat)).toEqual(["new one"]);
  expect(other.view(chat)!.atStart).toBe(true);
});

test("the policy of a domain and of a conversation is set, read back, and checked", async () => {
  const domain = "localhost";
  const initial = await admin.admin.adminRetention(domain);
  expect(initial).toMatchObject({ domain, conversations: [] });
  expect(initial.days).toBeUndefined();
  const set = await admin.admin.setAdminRetention(domain, 30);
  expect(set.days).toBe(30);
  await expect(admin.admin.setAdminRetention(domain, 0)).rejects.toMatchObject({ code: "invalid_field" });

  const chat = (await bob.createGroup("group", "Policy", [carol.me.account])).id;
  await admin.admin.setConversationRetention(chat, 0);
  expect((await admin.admin.adminRetention(domain)).conversations).toEqual([{ conversation: chat, kind: "group", name: "Policy", days: 0 }]);
  await admin.admin.setConversationRetention(chat, null);
  const back = await admin.admin.setAdminRetention(domain, null);
  expect(back.days).toBeUndefined();
  expect(back.conversations).toEqual([]);

  // Members administer nothing: the domain is not found for them.
  const refused = await bob.admin.adminRetention(domain).catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(MagpieError);
  expect((refused as MagpieError).code).toBe("not_found");
});
