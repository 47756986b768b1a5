// Scheduled messages against the real server (docs/protocol.md §7.12): the SDK keeps the
// account's list current on every device from its event log (scheduled, edited, cancelled,
// sent), and the message reaches the other member at its time.

import { afterAll, beforeAll, describe, expect, test } from "vitest";

import type { MagpieClient, ScheduledMessage } from "../src/index.ts";
import { online, startServer, until, type TestServer } from "./harness.ts";

let server: TestServer;
let alice: MagpieClient;
let alicePhone: MagpieClient;
let bob: MagpieClient;
let chat: number;

/** How far ahead the test schedules what it edits before it falls due: room on a loaded machine. */
const SOON_MS = 4_000;
const DAY_MS = 24 * 3600 * 1000;

beforeAll(async () => {
  server = await startServer();
  const [a, b] = await Promise.all([server.addUser("alice"), server.addUser("bob")]);
  [alice, alicePhone, bob] = await Promise.all([online(server, a), online(server, a), online(server, b)]);
  chat = (await alice.openDirect(bob.me.account)).id;
  await until(bob, () => bob.conversations().some((c) => c.id === chat), "bob knows the chat");
  await bob.openConversation(chat);
});

afterAll(async () => {
  for (const client of [alice, alicePhone, bob]) client?.close();
  await server?.stop();
});

const ids = (list: ScheduledMessage[] | undefined): number[] | undefined => list?.map((m) => m.id);
const bobHas = (clientMsgId: string): string | undefined => {
  const message = bob.view(chat)?.messages.find((m) => m.entry.client_msg_id === clientMsgId);
  return message ? String(message.entry.body?.["text"] ?? "") : undefined;
};

describe("scheduled messages", () => {
  test("follow the account's devices and arrive at their time", async () => {
    expect(await alice.loadScheduled()).toEqual([]);
    await alicePhone.loadScheduled();

    const message = await alice.scheduleMessage(chat, "text", { text: "soon" }, Date.now() + SOON_MS);
    expect(message).toMatchObject({ conversation: chat, kind: "text", body: { text: "soon" }, state: "pending" });
    expect(ids(alice.scheduled(chat))).toEqual([message.id]);
    expect(alice.scheduled(chat + 1_000)).toEqual([]);
    await until(alicePhone, () => alicePhone.scheduled()?.[0]?.id === message.id, "the phone hears of it");

    await alicePhone.updateScheduled(message.id, { body: { text: "soon, edited" } });
    await until(alice, () => alice.scheduled()?.[0]?.body["text"] === "soon, edited", "the edit reaches the laptop");

    const text = await until(bob, () => bobHas(`scheduled:${message.id}`), "bob gets it at its time");
    expect(text).toBe("soon, edited");
    await until([alice, alicePhone], () => alice.scheduled()?.length === 0 && alicePhone.scheduled()?.length === 0, "sent, it leaves both lists");
  });

  test("are cancelled or sent now, and refused as a send would be", async () => {
    await Promise.all([alice.loadScheduled(), alicePhone.loadScheduled()]);
    const later = Date.now() + DAY_MS;
    const first = await alice.scheduleMessage(chat, "text", { text: "tomorrow" }, later);
    const second = await alice.scheduleMessage(chat, "text", { text: "right away" }, later + 1, { mentions: [bob.me.account] });
    expect(second.mentions).toEqual([bob.me.account]);
    await until(alicePhone, () => alicePhone.scheduled()?.length === 2, "the phone has both");
    expect(ids(alicePhone.scheduled())).toEqual([first.id, second.id]);

    await alicePhone.cancelScheduled(first.id);
    await until(alice, () => ids(alice.scheduled())?.join() === `${second.id}`, "cancelled on the phone");

    const ack = await alice.sendScheduledNow(second.id);
    expect(ack.conversation).toBe(chat);
    expect(alice.scheduled()).toEqual([]);
    await until(bob, () => bobHas(`scheduled:${second.id}`), "sent now");
    await until(alicePhone, () => alicePhone.scheduled()?.length === 0, "sent, gone from the phone");

    await expect(alice.scheduleMessage(chat, "text", { text: "too late" }, Date.now() - DAY_MS)).rejects.toMatchObject({
      code: "invalid_field", field: "send_at_ms",
    });
    await expect(alice.scheduleMessage(chat, "text", { text: "  " }, later)).rejects.toMatchObject({ code: "invalid_field" });
    await expect(alice.cancelScheduled(first.id)).rejects.toMatchObject({ code: "not_found" });
    expect(await alice.rest.conversationScheduled(chat)).toEqual([]);
  });
});
