// The notification centre against the real server: a mention, a reply and a reaction reach the
// account as typed `notification_added` events and in its pages (newest first, with the unread
// count), reads by ids or up to an id reach its other device as `notifications_read`, a recall
// removes its item (`notifications_removed`), and an administrator's announcement reaches every
// member of the domain.

import { afterAll, beforeAll, describe, expect, test } from "vitest";

import { MagpieError, newClientMsgId, type ChatEvents, type MagpieClient, type Notification } from "../src/index.ts";
import { online, startServer, type TestServer, type User } from "./harness.ts";

let server: TestServer;
let aliceUser: User;
let alice: MagpieClient;
let alicePhone: MagpieClient;
let bob: MagpieClient;
let admin: MagpieClient;
let group: number;

beforeAll(async () => {
  server = await startServer();
  const [a, b, root] = await Promise.all([
    server.addUser("alice", { displayName: "Alice" }),
    server.addUser("bob", { displayName: "Bob" }),
    server.addUser("root", { displayName: "Root", admin: true }),
  ]);
  aliceUser = a;
  [alice, alicePhone, bob, admin] = await Promise.all([online(server, a), online(server, a), online(server, b), online(server, root)]);
  group = (await bob.createGroup("group", "Design", [alice.me.account])).id;
});

afterAll(async () => {
  for (const client of [alice, alicePhone, bob, admin]) client?.close();
  await server?.stop();
});

/** The next `event` of `client` whose arguments `matches` accepts (any, without it). */
function heard<K extends "notification_added" | "notifications_read" | "notifications_removed">(
  client: MagpieClient,
  event: K,
  matches: (...args: Parameters<ChatEvents[K]>) => boolean = () => true,
): Promise<Parameters<ChatEvents[K]>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { off(); reject(new Error(`timed out waiting for ${event}`)); }, 10_000);
    const off = client.on(event, ((...args: Parameters<ChatEvents[K]>) => {
      if (!matches(...args)) return;
      clearTimeout(timer);
      off();
      resolve(args);
    }) as ChatEvents[K]);
  });
}

const added = (client: MagpieClient, kind: Notification["kind"]) =>
  heard(client, "notification_added", (n) => n.kind === kind).then(([n]) => n);

describe("the notification centre", () => {
  test("tells of mentions, replies and reactions, live and in pages, newest first", async () => {
    const empty = await alice.notifications.list();
    expect(empty).toEqual({ items: [], more: false, unread: 0 });

    const mentioned = added(alice, "mention");
    const mention = await bob.rest.send(group, {
      client_msg_id: newClientMsgId(), kind: "text", body: { text: "@Alice the mockups?" }, mentions: [alice.me.account],
    });
    expect(await mentioned).toMatchObject({
      kind: "mention", read: false, actor: bob.me.account, actor_name: "Bob", conversation: group, conversation_name: "Design",
      seq: mention.seq, text: "@Alice the mockups?",
    });

    const mine = await alice.rest.send(group, { client_msg_id: newClientMsgId(), kind: "text", body: { text: "Friday" } });
    const replied = added(alice, "reply");
    const reply = await bob.rest.send(group, { client_msg_id: newClientMsgId(), kind: "text", body: { text: "Great" }, reply_to: mine.seq });
    expect(await replied).toMatchObject({ actor: bob.me.account, conversation: group, seq: reply.seq, text: "Great" });

    const reacted = added(alice, "reaction");
    await bob.react(group, mine.seq, "👍", true);
    // A reaction's seq is the account's own message, and its text that message's.
    expect(await reacted).toMatchObject({ actor: bob.me.account, conversation: group, seq: mine.seq, emoji: "👍", text: "Friday" });

    const page = await alicePhone.notifications.list();
    expect(page.unread).toBe(3);
    expect(page.more).toBe(false);
    expect(page.items.map((n) => n.kind)).toEqual(["reaction", "reply", "mention"]);
    expect(page.items[0]!.id).toBeGreaterThan(page.items[1]!.id);

    const first = await alicePhone.notifications.list({ limit: 2 });
    expect(first).toMatchObject({ more: true, unread: 3 });
    const rest = await alicePhone.notifications.list({ before: first.items.at(-1)!.id, limit: 2 });
    expect(rest.items.map((n) => n.kind)).toEqual(["mention"]);
    expect(rest.more).toBe(false);
  });

  test("are read by ids or up to an id, on every device of the account", async () => {
    const page = await alice.notifications.list();
    const [newest, , oldest] = page.items;
    expect(page.unread).toBe(3);

    const phoneHears = heard(alicePhone, "notifications_read");
    expect(await alice.notifications.read({ ids: [oldest!.id] })).toEqual({ unread: 2 });
    expect((await phoneHears)[0]).toEqual({ ids: [oldest!.id], up_to: null });
    const unread = await alicePhone.notifications.list({ unreadOnly: true });
    expect(unread.items.map((n) => n.id)).toEqual(page.items.slice(0, 2).map((n) => n.id));

    const laptopHears = heard(alice, "notifications_read", (read) => read.up_to !== null);
    expect(await alicePhone.notifications.read({ upTo: newest!.id })).toEqual({ unread: 0 });
    expect((await laptopHears)[0]).toMatchObject({ up_to: newest!.id });
    expect(await alice.notifications.list({ unreadOnly: true })).toEqual({ items: [], more: false, unread: 0 });
    expect((await alice.notifications.list()).items.every((n) => n.read)).toBe(true);
  });

  test("lose the item of a recalled message", async () => {
    const mentioned = added(alice, "mention");
    const sent = await bob.rest.send(group, {
      client_msg_id: newClientMsgId(), kind: "text", body: { text: "oops, wrong person" }, mentions: [alice.me.account],
    });
    const item = await mentioned;
    expect((await alice.notifications.list()).unread).toBe(1);

    const removed = heard(alicePhone, "notifications_removed", (ids) => ids.includes(item.id));
    await bob.recall(group, sent.seq);
    await removed;
    const page = await alice.notifications.list();
    expect(page.items.map((n) => n.id)).not.toContain(item.id);
    expect(page.unread).toBe(0);
  });

  test("bring an administrator's announcement to every member, and only from an administrator", async () => {
    const aliceGets = added(alice, "announcement");
    const bobGets = added(bob, "announcement");
    const sent = await admin.admin.announce({ text: "The office is closed on Monday." });
    expect(sent.notified).toBeGreaterThanOrEqual(2);
    for (const n of [await aliceGets, await bobGets]) {
      expect(n).toMatchObject({ kind: "announcement", actor: admin.me.account, text: "The office is closed on Monday.", read: false });
      expect(n.conversation).toBeUndefined();
    }

    const refused = await bob.admin.announce({ text: "I am not an administrator" }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(MagpieError);
    expect(["forbidden", "not_found"]).toContain((refused as MagpieError).code);
    await expect(admin.admin.announce({ text: "x".repeat(2001) })).rejects.toMatchObject({ code: "invalid_field" });
  });

  test("fail with `network` while the client is not connected", async () => {
    const offline = await online(server, aliceUser);
    offline.close();
    await expect(offline.notifications.list()).rejects.toMatchObject({ code: "network" });
    await expect(offline.notifications.read({ ids: [1] })).rejects.toMatchObject({ code: "network" });
  });
});
