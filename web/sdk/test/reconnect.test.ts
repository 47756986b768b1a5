// Losing the connection: the client reconnects and catches up to exactly the server's log (no
// gap, no duplicate), messages written while it is away go out once with their ids, a page
// reload retries its outbox from the same session, and a revoked session signs out.

import { afterAll, beforeAll, expect, test } from "vitest";

import { memoryStorage, newClientMsgId, resume, type ConnectionStatus, type MagpieClient } from "../src/index.ts";
import { closePair, directPair, online, texts, until, type TestServer, type User } from "./harness.ts";

let server: TestServer;
let aliceUser: User;
let alice: MagpieClient;
let bob: MagpieClient;
let chat: number;

beforeAll(async () => {
  ({ server, aliceUser, alice, bob, chat } = await directPair());
});

afterAll(() => closePair({ server, alice, bob }));

/** Sends texts one after another over REST, as a bot would, and returns their ids. */
async function restSend(list: string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const text of list) {
    const id = newClientMsgId();
    await alice.rest.send(chat, { client_msg_id: id, kind: "text", body: { text } });
    ids.push(id);
  }
  return ids;
}

const range = (from: number, to: number, prefix: string): string[] =>
  Array.from({ length: to - from + 1 }, (_, i) => `${prefix}${from + i}`);

/** The client shows exactly the server's log: every seq once, in order, nothing missing. */
async function expectExactly(expected: string[]): Promise<void> {
  const page = await alice.rest.messages(chat, { limit: 200 });
  const serverTexts = page.entries.filter((e) => e.kind === "text").map((e) => e.body?.text);
  expect(serverTexts.slice(-expected.length)).toEqual(expected);
  const seqs = bob.view(chat)!.messages.map((m) => m.entry.seq);
  expect(seqs).toEqual([...new Set(seqs)].sort((a, b) => a - b));
  expect(seqs[seqs.length - 1]).toBe(page.last_seq);
}

test("a client whose connection dies while the peer sends catches up with no gap and no duplicate", async () => {
  const live = new Map<string, number>();
  bob.on("message", (_c, entry) => {
    const text = String(entry.body?.text);
    live.set(text, (live.get(text) ?? 0) + 1);
  });
  const statuses: ConnectionStatus[] = [];
  bob.on("status", (status) => statuses.push(status));

  await restSend(range(1, 10, "crash "));
  await until(bob, () => texts(bob, chat).length === 10, "bob has the first ten");
  await server.crash();
  // The server is back; bob's client waits out its backoff while these land.
  await restSend(range(11, 30, "crash "));
  await until(bob, () => texts(bob, chat).length === 30, "bob has all thirty", 20_000);

  expect(texts(bob, chat)).toEqual(range(1, 30, "crash "));
  await expectExactly(range(1, 30, "crash "));
  expect(statuses).toContain("syncing");
  expect(statuses[statuses.length - 1]).toBe("online");
  // `message` fires once at most per message: never for one that also came by catch-up.
  expect([...live.values()].every((count) => count === 1)).toBe(true);
  expect(bob.conversations().find((c) => c.id === chat)!.unread).toBe(30);
});

test("after a gap longer than a page, the newest page shows and older ones load on demand", async () => {
  bob.markRead(chat);
  bob.close();
  expect(bob.status).toBe("offline");
  const backlog = range(1, 80, "away ");
  await restSend(backlog);

  bob.start();
  await until(bob, () => bob.status === "online" && texts(bob, chat).includes("away 80"), "bob caught up", 20_000);
  const view = bob.view(chat)!;
  expect(view.atStart).toBe(false);
  expect(texts(bob, chat)).toEqual(range(31, 80, "away "));
  // The read mark made just before closing goes out after the catch-up; then the count drops.
  await until(bob, () => bob.conversations().find((c) => c.id === chat)!.unread === 80, "bob's unread counts the backlog");

  while (!bob.view(chat)!.atStart) await bob.loadOlder(chat);
  expect(texts(bob, chat)).toEqual([...range(1, 30, "crash "), ...backlog]);
  await expectExactly(backlog);
});

test("messages written while the server is down are sent once, with their ids, when it is back", async () => {
  const statuses: ConnectionStatus[] = [];
  alice.on("status", (status) => statuses.push(status));
  await server.down();
  await until(alice, () => alice.status !== "online", "alice loses the connection");
  const ids = ["while down 1", "while down 2", "while down 3"].map((text) => alice.sendText(chat, text));
  expect(alice.view(chat)!.messages.slice(-3).map((m) => m.state)).toEqual(["sending", "sending", "sending"]);
  // Attempts to connect fail while the server is down; the messages wait.
  await until(alice, () => alice.status === "offline", "a connection attempt fails");
  expect(alice.outbox(chat).map((m) => m.state)).toEqual(["sending", "sending", "sending"]);
  await server.up();

  await until(bob, () => texts(bob, chat).slice(-3).join() === "while down 1,while down 2,while down 3", "bob gets them", 20_000);
  const last = bob.view(chat)!.messages.slice(-3);
  expect(last.map((m) => m.entry.client_msg_id)).toEqual(ids);
  await until(alice, () => alice.outbox().length === 0, "alice's outbox empties");
  const page = await alice.rest.messages(chat, { limit: 10 });
  expect(page.entries.filter((e) => ids.includes(e.client_msg_id ?? ""))).toHaveLength(3);
  // While the server was down the client said so (whether the lost socket or the first failed
  // attempt was noticed first), and it came back by catching up before going online.
  expect(statuses).toContain("offline");
  expect(statuses.slice(-2)).toEqual(["syncing", "online"]);
});

test("a page reload sends the stored outbox again from the same session, and nothing twice", async () => {
  const storage = memoryStorage();
  const first = await online(server, aliceUser, storage);
  await first.openConversation(chat);
  first.close();
  const stored = first.sendText(chat, "stored, ack lost");
  const unsent = first.sendText(chat, "never sent");
  // The first attempt of one of them reached the server, but its ack never came back.
  await first.rest.send(chat, { client_msg_id: stored, kind: "text", body: { text: "stored, ack lost" } });

  const reloaded = (await resume(server.url, storage))!;
  expect(reloaded.session.id).toBe(first.session.id);
  expect(reloaded.outbox(chat).map((m) => m.entry.client_msg_id)).toEqual([stored, unsent]);
  reloaded.start();
  await until(reloaded, () => reloaded.outbox().length === 0, "the reloaded outbox empties", 20_000);
  await until(bob, () => texts(bob, chat).includes("never sent"), "bob gets the unsent one");

  const page = await alice.rest.messages(chat, { limit: 10 });
  expect(page.entries.filter((e) => e.client_msg_id === stored)).toHaveLength(1);
  expect(page.entries.filter((e) => e.client_msg_id === unsent)).toHaveLength(1);
  expect(texts(bob, chat).filter((t) => t === "stored, ack lost")).toHaveLength(1);
  reloaded.close();
});

test("a revoked session signs out and forgets its stored token", async () => {
  const storage = memoryStorage();
  const doomed = await online(server, aliceUser, storage);
  const reasons: (string | undefined)[] = [];
  doomed.on("signed_out", (reason) => reasons.push(reason));
  await alice.revokeSession(doomed.session.id);
  await until(doomed, () => doomed.status === "signed_out", "the revoked client signs out");
  expect(reasons).toEqual(["revoked"]);
  expect(await resume(server.url, storage)).toBeNull();
});
