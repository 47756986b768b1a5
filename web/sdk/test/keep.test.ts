// Pinned and saved messages against the real server (docs/protocol.md §7.5 "Pinning", §7.11):
// the SDK keeps a conversation's pins current from the log (a pin or unpin elsewhere, a recall,
// a delete-for-me) and the account's saved messages current from its event log, on every device.

import { afterAll, beforeAll, describe, expect, test } from "vitest";

import type { MagpieClient } from "../src/index.ts";
import { online, startServer, until, type TestServer } from "./harness.ts";

let server: TestServer;
let alice: MagpieClient;
let bob: MagpieClient;
let bobPhone: MagpieClient;

beforeAll(async () => {
  server = await startServer();
  const [a, b] = await Promise.all([server.addUser("alice"), server.addUser("bob")]);
  [alice, bob, bobPhone] = await Promise.all([online(server, a), online(server, b), online(server, b)]);
});

afterAll(async () => {
  for (const client of [alice, bob, bobPhone]) client?.close();
  await server?.stop();
});

const pinnedSeqs = (client: MagpieClient, conversation: number): number[] | undefined =>
  client.pins(conversation)?.map((p) => p.entry.seq);

describe("pins", () => {
  test("follow pins and unpins made elsewhere, recalls and deletes-for-me", async () => {
    const chat = (await alice.openDirect(bob.me.account)).id;
    const first = await alice.rest.send(chat, { client_msg_id: "p1", kind: "text", body: { text: "the address" } });
    const second = await alice.rest.send(chat, { client_msg_id: "p2", kind: "text", body: { text: "the time" } });
    await until(bob, () => bob.conversations().some((c) => c.id === chat), "bob knows the chat");
    await bob.openConversation(chat);
    expect(await bob.loadPins(chat)).toEqual([]);

    await alice.pin(chat, first.seq);
    await until(bob, () => pinnedSeqs(bob, chat)?.length === 1, "bob sees alice's pin");
    const pin = bob.pins(chat)![0]!;
    expect(pin.pinned_by).toBe(alice.me.account);
    expect(pin.entry.body).toEqual({ text: "the address" });

    await bob.pin(chat, second.seq);
    await until(bob, () => pinnedSeqs(bob, chat)?.join() === `${second.seq},${first.seq}`, "the latest pin first");
    await expect(bob.pin(chat, second.seq)).rejects.toMatchObject({ code: "already_exists" });

    await alice.recall(chat, second.seq);
    await until(bob, () => pinnedSeqs(bob, chat)?.join() === `${first.seq}`, "a recall unpins");

    await bobPhone.hide(chat, [first.seq]);
    await until(bob, () => pinnedSeqs(bob, chat)?.length === 0, "deleted for bob on his phone");
    expect((await alice.loadPins(chat)).map((p) => p.entry.seq)).toEqual([first.seq]);
  });
});

describe("saved messages", () => {
  test("reach the account's other device, with their notes, and go when removed", async () => {
    const chat = (await alice.openDirect(bob.me.account)).id;
    const sent = await alice.rest.send(chat, { client_msg_id: "s1", kind: "text", body: { text: "the code is 4512" } });
    expect((await bobPhone.loadSaved()).items).toEqual([]);
    await bob.loadSaved();

    const item = await bob.saveMessage(chat, sent.seq, "door");
    expect(item).toMatchObject({ conversation: chat, seq: sent.seq, sender: alice.me.account, note: "door", peer: alice.me.account });
    expect(bob.saved()!.items.map((i) => i.id)).toEqual([item.id]);
    await until(bobPhone, () => bobPhone.saved()?.items[0]?.id === item.id, "the phone hears of the save");

    await bobPhone.updateSavedNote(item.id, "front door");
    await until(bob, () => bob.saved()?.items[0]?.note === "front door", "the note changed on the phone");
    await bob.updateSavedNote(item.id, "  ");
    await until(bobPhone, () => { const first = bobPhone.saved()?.items[0]; return first && first.note === undefined; }, "cleared");

    await alice.recall(chat, sent.seq);
    await until(bobPhone, () => bobPhone.saved()?.items[0]?.recalled_at_ms !== undefined, "the recall erased the copy");
    expect(bobPhone.saved()!.items[0]!.body).toBeNull();

    await bobPhone.removeSaved(item.id);
    expect(bobPhone.saved()!.items).toEqual([]);
    await until(bob, () => bob.saved()?.items.length === 0, "removed on the phone");
    await expect(bob.updateSavedNote(item.id, "x")).rejects.toMatchObject({ code: "not_found" });
  });

  test("page newest first", async () => {
    const chat = (await alice.openDirect(alice.me.account)).id;
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) {
      const sent = await alice.rest.send(chat, { client_msg_id: `n${i}`, kind: "text", body: { text: `note ${i}` } });
      ids.push((await alice.rest.saveMessage(chat, sent.seq)).id);
    }
    const page = await alice.rest.saved({ limit: 2 });
    expect(page).toMatchObject({ more: true });
    expect(page.items.map((i) => i.id)).toEqual([ids[2], ids[1]]);
    expect((await alice.loadSaved()).items.map((i) => i.id)).toEqual([ids[2], ids[1], ids[0]]);
  });
});
