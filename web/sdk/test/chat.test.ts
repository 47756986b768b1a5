// Chatting against the real server: two clients see each other's messages in order with the
// send states moving on, operations reach the peer, refusals fail without retry, and a
// group shows who has read a message.

import { afterAll, beforeAll, describe, expect, test } from "vitest";

import type { ChatClient, Entry, MagpieClient, MessageView, SendState } from "../src/index.ts";
import { online, startServer, texts, until, type TestServer } from "./harness.ts";

let server: TestServer;
let alice: MagpieClient;
let bob: MagpieClient;
let carol: MagpieClient;

beforeAll(async () => {
  server = await startServer();
  const [a, b, c] = await Promise.all([
    server.addUser("alice", { displayName: "Alice" }),
    server.addUser("bob", { displayName: "Bob" }),
    server.addUser("carol", { displayName: "Carol" }),
  ]);
  [alice, bob, carol] = await Promise.all([online(server, a), online(server, b), online(server, c)]);
});

afterAll(async () => {
  for (const client of [alice, bob, carol]) client?.close();
  await server?.stop();
});

const byText = (client: ChatClient, conversation: number, text: string): MessageView | undefined =>
  client.view(conversation)?.messages.find((m) => m.entry.body?.text === text);

describe("a direct chat", () => {
  let chat: number;

  test("both sides see the messages in order, and the sender's states go sending → sent → delivered → read", async () => {
    chat = (await alice.openDirect(bob.me.account)).id;
    await alice.openConversation(chat);
    const received: Entry[] = [];
    bob.on("message", (_conversation, entry) => received.push(entry));

    // Record every state "one" shows on alice's side, as the UI would see it.
    const seen: SendState[] = [];
    const record = (): void => {
      const state = byText(alice, chat, "one")?.state;
      if (state && seen[seen.length - 1] !== state) seen.push(state);
    };
    alice.on("change", record);

    alice.sendText(chat, "one");
    record();
    alice.sendText(chat, "two");
    alice.sendText(chat, "three");
    expect(texts(alice, chat)).toEqual(["one", "two", "three"]);
    expect(seen).toEqual(["sending"]);

    await until(bob, () => bob.conversations().some((c) => c.id === chat), "bob learns of the chat");
    await bob.openConversation(chat);
    await until(bob, () => texts(bob, chat).length === 3, "bob has three messages");
    expect(texts(bob, chat)).toEqual(["one", "two", "three"]);
    expect(bob.view(chat)!.messages.map((m) => m.entry.seq)).toEqual([1, 2, 3]);
    // The title is the address until the peer's profile has been fetched.
    await until(bob, () => bob.view(chat)!.title === "Alice", "the chat is titled with alice's name");
    await until(bob, () => bob.conversations().find((c) => c.id === chat)!.unread === 3, "bob counts three unread");
    expect(received.map((e) => e.body?.text)).toEqual(["one", "two", "three"]);

    // Bob's client marks what it received as delivered by itself.
    await until(alice, () => alice.view(chat)!.messages.every((m) => m.state === "delivered"), "alice sees delivered");
    // Bob reads as far as he has seen: the count comes from the server once it has the mark.
    bob.markRead(chat, 1);
    await until(alice, () => alice.view(chat)!.messages[0]!.state === "read", "alice sees the first read");
    await until(bob, () => bob.conversations().find((c) => c.id === chat)!.unread === 2, "bob counts two unread");
    expect(alice.view(chat)!.messages.map((m) => m.state)).toEqual(["read", "delivered", "delivered"]);
    bob.markRead(chat);
    expect(bob.conversations().find((c) => c.id === chat)!.unread).toBe(0);
    await until(alice, () => alice.view(chat)!.messages.every((m) => m.state === "read"), "alice sees read");
    expect(seen).toEqual(["sending", "sent", "delivered", "read"]);
    expect(alice.view(chat)!.messages.map((m) => m.key)).toEqual(["1", "2", "3"]);
    expect(alice.outbox()).toEqual([]);
  });

  test("edits, reactions and recalls reach the peer", async () => {
    const [one, two, three] = alice.view(chat)!.messages.map((m) => m.entry.seq) as [number, number, number];
    await alice.edit(chat, one, { text: "one, edited" });
    await bob.react(chat, two, "👍", true);
    await alice.recall(chat, three);

    await until(bob, () => byText(bob, chat, "one, edited"), "bob sees the edit");
    expect(byText(bob, chat, "one, edited")!.entry.edited_at_ms).toBeGreaterThan(0);
    await until(alice, () => byText(alice, chat, "two")?.entry.reactions?.[0]?.accounts.includes(bob.me.account), "alice sees the reaction");
    expect(byText(alice, chat, "two")!.entry.reactions).toEqual([{ emoji: "👍", accounts: [bob.me.account] }]);
    const recalled = await until(bob, () => bob.view(chat)!.messages.find((m) => m.entry.seq === three && m.entry.recalled_at_ms), "bob sees the recall");
    expect(recalled.entry.body).toBeNull();
    expect(bob.conversations().find((c) => c.id === chat)!.last_message?.body).toBeNull();
    // Operations are applied to their targets, never shown themselves.
    expect(bob.view(chat)!.messages.map((m) => m.entry.kind)).toEqual(["text", "text", "text"]);

    await bob.react(chat, two, "👍", false);
    await until(alice, () => byText(alice, chat, "two") && !byText(alice, chat, "two")!.entry.reactions, "alice sees the reaction taken back");
  });

  test("deleting for me hides a message on my side only", async () => {
    const two = byText(bob, chat, "two")!.entry.seq;
    await bob.hide(chat, [two]);
    await until(bob, () => !byText(bob, chat, "two"), "bob no longer shows it");
    expect(byText(alice, chat, "two")).toBeDefined();
  });

  test("a typed refusal marks the message failed, and it is not sent again", async () => {
    const tooLong = alice.sendText(chat, "x".repeat(8001));
    const notMine = alice.sendText(987654, "hello?");
    const after = alice.sendText(chat, "after the refusals");

    await until(alice, () => byText(alice, chat, "after the refusals")?.entry.seq, "the next message is stored");
    const failed = alice.view(chat)!.messages.find((m) => m.entry.client_msg_id === tooLong)!;
    expect(failed.state).toBe("failed");
    expect(failed.error?.code).toBe("too_large");
    expect(failed.error?.field).toBe("body.text");
    const [elsewhere] = alice.outbox(987654);
    expect(elsewhere?.state).toBe("failed");
    expect(elsewhere?.error?.code).toBe("not_found");
    expect(alice.view(987654)).toBeUndefined();

    // The refused message stays behind the one sent after it, and was stored nowhere.
    const page = await alice.rest.messages(chat, {});
    expect(page.entries.map((e) => e.client_msg_id)).not.toContain(tooLong);
    expect(page.entries.map((e) => e.client_msg_id)).toContain(after);

    // retry() sends it again with the same id, and the same refusal comes back.
    alice.retry(987654, notMine);
    expect(alice.outbox(987654)[0]?.state).toBe("sending");
    await until(alice, () => alice.outbox(987654)[0]?.state === "failed", "the retry fails again");
    alice.discard(987654, notMine);
    alice.discard(chat, tooLong);
    expect(alice.outbox()).toEqual([]);
  });
});

test("a group of three shows who has read a message", async () => {
  const group = await alice.createGroup("group", "Lunch", [bob.me.account, carol.me.account]);
  await alice.openConversation(group.id);
  expect(alice.view(group.id)!.messages.map((m) => m.entry.body?.event)).toEqual(["created"]);
  expect(alice.view(group.id)!.members?.length).toBe(3);
  alice.sendText(group.id, "noodles at noon?");
  const stored = await until(alice, () => byText(alice, group.id, "noodles at noon?")?.key.startsWith("out:") === false && byText(alice, group.id, "noodles at noon?"), "alice's message stored");
  expect(stored.readBy).toBe(0);

  for (const member of [bob, carol]) {
    await until(member, () => member.conversations().some((c) => c.id === group.id && c.unread === 1), `${member.me.account} has it unread`);
    await member.openConversation(group.id);
    expect(texts(member, group.id)).toEqual(["noodles at noon?"]);
    const stored = readConfirmed(member, group.id);
    member.markRead(group.id);
    expect(member.conversations().find((c) => c.id === group.id)!.unread).toBe(0);
    await stored;
  }
  // The server tells the sender of the members' marks that passed its message (§7.7), and
  // receipts say the same.
  const after = await until(alice, () => byText(alice, group.id, "noodles at noon?")?.readBy === 2 && byText(alice, group.id, "noodles at noon?"), "alice hears that both read");
  expect(after.state).toBe("read");
  const receipts = await alice.receipts(group.id, stored.entry.seq);
  expect(receipts.read.sort()).toEqual([bob.me.account, carol.me.account].sort());

  // A removed member keeps the history it could read, and the group leaves its list.
  await alice.removeMember(group.id, carol.me.account);
  await until(carol, () => carol.view(group.id)?.left, "carol sees that she was removed");
  expect(carol.conversations().some((c) => c.id === group.id)).toBe(false);
  expect(texts(carol, group.id)).toEqual(["noodles at noon?"]);
  await until(alice, () => alice.view(group.id)!.conversation.member_count === 2, "alice counts two members");
  await until(alice, () => alice.view(group.id)!.members?.length === 2, "alice's member list drops carol");
});

/** Resolves when the server has stored a read mark of the client's: its own `read` event. */
function readConfirmed(client: ChatClient, conversation: number): Promise<void> {
  return new Promise((resolve) => {
    const off = client.on("account_event", (event) => {
      if (event.event.kind === "read" && event.event.conversation === conversation) {
        off();
        resolve();
      }
    });
  });
}
