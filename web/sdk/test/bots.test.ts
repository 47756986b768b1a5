// Bots against the real server (`client.admin`, docs/protocol.md "Bots"): a domain's
// administrator makes, reads, changes and turns off a bot, and a member makes and manages their
// own only where the domain lets members; a bot's profile says `bot: true`; a token's secret is
// answered once, works as a bearer token within its scope, and stops at once when rotated or
// revoked; an incoming webhook posts Slack's mrkdwn to its group as the bot's Markdown message,
// and stops when rotated or deleted.

import { afterAll, beforeAll, expect, test } from "vitest";

import { MagpieError, RestClient, type MagpieClient } from "../src/index.ts";
import { online, startServer, until, type TestServer } from "./harness.ts";

let server: TestServer;
let alice: MagpieClient;
let bob: MagpieClient;
let carol: MagpieClient;

beforeAll(async () => {
  server = await startServer();
  const [a, b, c] = await Promise.all([
    server.addUser("alice", { displayName: "Alice", admin: true }),
    server.addUser("bob", { displayName: "Bob" }),
    server.addUser("carol", { displayName: "Carol" }),
  ]);
  [alice, bob, carol] = await Promise.all([online(server, a), online(server, b), online(server, c)]);
});

afterAll(async () => {
  for (const client of [alice, bob, carol]) client?.close();
  await server?.stop();
});

async function refusal(attempt: Promise<unknown>): Promise<MagpieError> {
  const error = await attempt.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(MagpieError);
  return error as MagpieError;
}

/** POSTs a body to a webhook's path, as a script would: no token. */
async function hook(path: string, body: unknown): Promise<{ status: number; text: string }> {
  const response = await fetch(server.url + path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  return { status: response.status, text: await response.text() };
}

test("an administrator makes, reads, changes and turns off a bot; members make theirs where the domain lets them", async () => {
  const made = await alice.admin.createBot({ name: "approvals", display_name: "Approvals", description: "Leave requests" });
  expect(made).toMatchObject({
    account: "approvals@localhost", display_name: "Approvals", description: "Leave requests", owner: "alice@localhost", disabled: false,
  });
  expect(made.created_at_ms).toBeGreaterThan(0);
  expect(await alice.admin.bot("approvals@localhost")).toEqual(made);
  // The display name is the login name when none is given.
  expect(await alice.admin.createBot({ name: "deploys" })).toMatchObject({ account: "deploys@localhost", display_name: "deploys", description: "" });
  expect(await refusal(alice.admin.createBot({ name: "approvals" }))).toMatchObject({ code: "already_exists", status: 409 });
  expect(await refusal(alice.admin.createBot({ name: "Bad Name" }))).toMatchObject({ code: "invalid_field", field: "name" });
  expect(await refusal(alice.admin.createBot({ name: "long", description: "x".repeat(513) }))).toMatchObject({ field: "description" });

  // A bot is an account like any other, marked as one; people are not.
  expect(await alice.rest.account("approvals@localhost")).toMatchObject({ display_name: "Approvals", bot: true });
  expect((await alice.rest.account("bob@localhost")).bot).toBeUndefined();
  expect((await alice.rest.accounts("approv")).map((p) => [p.account, p.bot])).toEqual([["approvals@localhost", true]]);

  const changed = await alice.admin.updateBot("approvals@localhost", { display_name: "审批助手", description: "请假审批" });
  expect(changed).toMatchObject({ display_name: "审批助手", description: "请假审批", disabled: false });
  expect((await alice.admin.bots()).map((b) => b.account)).toEqual(["approvals@localhost", "deploys@localhost"]);

  // Members may not make bots until the domain lets them.
  expect((await alice.admin.updateDomain("localhost", {})).members_make_bots).toBe(false);
  expect(await refusal(bob.admin.createBot({ name: "bobs" }))).toMatchObject({ code: "forbidden", status: 403 });
  expect(await bob.admin.bots()).toEqual([]);
  expect(await alice.admin.updateDomain("localhost", { members_make_bots: true })).toMatchObject({ members_make_bots: true });
  const bobs = await bob.admin.createBot({ name: "bobs-helper", display_name: "Bob's helper" });
  expect(bobs).toMatchObject({ owner: "bob@localhost", display_name: "Bob's helper" });
  // A member manages their own bots only; the administrator all of the domain's.
  expect((await bob.admin.bots()).map((b) => b.account)).toEqual(["bobs-helper@localhost"]);
  expect(await refusal(bob.admin.bot("approvals@localhost"))).toMatchObject({ code: "not_found" });
  expect(await refusal(carol.admin.bot("bobs-helper@localhost"))).toMatchObject({ code: "not_found" });
  expect((await alice.admin.bots()).map((b) => b.account)).toEqual(["approvals@localhost", "bobs-helper@localhost", "deploys@localhost"]);
  expect(await alice.admin.updateBot("bobs-helper@localhost", { description: "Checked" })).toMatchObject({ description: "Checked" });
  await alice.admin.updateDomain("localhost", { members_make_bots: false });
  // Bob still manages the bot he made.
  expect(await bob.admin.updateBot("bobs-helper@localhost", { description: "Mine" })).toMatchObject({ description: "Mine" });

  // Turned off, and on again.
  expect(await alice.admin.updateBot("deploys@localhost", { disabled: true })).toMatchObject({ disabled: true });
  expect(await refusal(alice.admin.createBotToken("deploys@localhost", { name: "ci" }))).toMatchObject({ code: "account_disabled" });
  expect(await alice.admin.updateBot("deploys@localhost", { disabled: false })).toMatchObject({ disabled: false });
});

test("a token's secret is answered once, works within its scope, and stops at once when rotated or revoked", async () => {
  await alice.admin.createBot({ name: "reporter", display_name: "Reporter" });
  const chat = (await alice.createGroup("group", "Reports", ["reporter@localhost", bob.me.account])).id;
  const other = (await alice.createGroup("group", "Elsewhere", ["reporter@localhost"])).id;

  const issued = await alice.admin.createBotToken("reporter@localhost", { name: "ci", conversations: [chat], ttl_days: 30 });
  expect(issued).toMatchObject({ name: "ci", scope: { conversations: [chat], read: true, send: true } });
  expect(issued.token).toMatch(/.{20,}/);
  expect(issued.expires_at_ms! - issued.created_at_ms).toBe(30 * 86_400_000);
  const listed = await alice.admin.botTokens("reporter@localhost");
  expect(listed).toEqual([{ id: issued.id, name: "ci", scope: issued.scope, created_at_ms: issued.created_at_ms, last_used_at_ms: issued.last_used_at_ms, expires_at_ms: issued.expires_at_ms }]);
  expect(listed[0]).not.toHaveProperty("token");

  // The bot, with its token: itself, and its one conversation.
  const asBot = new RestClient(server.url, issued.token);
  expect(await asBot.me()).toMatchObject({ account: "reporter@localhost", bot: true });
  expect((await asBot.conversation(chat)).name).toBe("Reports");
  expect(await refusal(asBot.conversation(other))).toMatchObject({ code: "not_found" });
  // A token kept to some conversations reaches nothing that spans them.
  expect(await refusal(asBot.conversations())).toMatchObject({ code: "forbidden" });

  // Send only: no reading.
  const sendOnly = await alice.admin.createBotToken("reporter@localhost", { name: "notify", read: false });
  expect(sendOnly.scope).toEqual({ read: false, send: true });
  expect(sendOnly.expires_at_ms).toBeUndefined();
  expect(await refusal(new RestClient(server.url, sendOnly.token).messages(chat))).toMatchObject({ code: "forbidden" });
  expect(await refusal(alice.admin.createBotToken("reporter@localhost", { name: "none", read: false, send: false }))).toMatchObject({ code: "invalid_field" });
  expect(await refusal(alice.admin.createBotToken("reporter@localhost", { name: "long", ttl_days: 0 }))).toMatchObject({ field: "ttl_days" });
  expect((await alice.admin.botTokens("reporter@localhost")).map((t) => t.id)).toEqual([sendOnly.id, issued.id]);

  // Rotated: a new secret of the same name and scope; the old one stops.
  const rotated = await alice.admin.rotateBotToken("reporter@localhost", issued.id);
  expect(rotated).toMatchObject({ name: "ci", scope: issued.scope });
  expect(rotated.token).not.toBe(issued.token);
  expect(await refusal(asBot.me())).toMatchObject({ code: "unauthenticated", status: 401 });
  const asBotAgain = new RestClient(server.url, rotated.token);
  expect((await asBotAgain.me()).account).toBe("reporter@localhost");

  // Revoked: it stops at once.
  await alice.admin.revokeBotToken("reporter@localhost", rotated.id);
  expect(await refusal(asBotAgain.me())).toMatchObject({ code: "unauthenticated", status: 401 });
  expect(await refusal(alice.admin.revokeBotToken("reporter@localhost", rotated.id))).toMatchObject({ code: "not_found" });
  expect((await alice.admin.botTokens("reporter@localhost")).map((t) => t.id)).toEqual([sendOnly.id]);

  // Turning the bot off revokes the rest.
  await alice.admin.updateBot("reporter@localhost", { disabled: true });
  expect(await alice.admin.botTokens("reporter@localhost")).toEqual([]);
});

test("an incoming webhook posts Slack's mrkdwn to its group as the bot, until it is rotated or deleted", async () => {
  await alice.admin.createBot({ name: "builds", display_name: "Builds" });
  const chat = (await alice.createGroup("group", "CI", [bob.me.account])).id;
  // Only to a group the bot is in.
  expect(await refusal(alice.admin.createWebhook("builds@localhost", { name: "ci", conversation: chat }))).toMatchObject({ code: "not_found" });
  await alice.addMembers(chat, ["builds@localhost"]);
  const members = await alice.admin.adminGroupMembers(chat);
  expect(members.map((m) => m.account).sort()).toEqual(["alice@localhost", "bob@localhost", "builds@localhost"]);

  const made = await alice.admin.createWebhook("builds@localhost", { name: "ci", conversation: chat });
  expect(made).toMatchObject({ name: "ci", conversation: chat });
  expect(made.path).toMatch(/^\/v1\/hooks\/.+/);
  const listed = await alice.admin.botWebhooks("builds@localhost");
  expect(listed).toEqual([{ id: made.id, name: "ci", conversation: chat, created_at_ms: made.created_at_ms, last_used_at_ms: made.last_used_at_ms }]);
  // A webhook is no token.
  expect(await alice.admin.botTokens("builds@localhost")).toEqual([]);
  const secret = made.path.slice("/v1/hooks/".length);
  expect(await refusal(new RestClient(server.url, secret).me())).toMatchObject({ code: "forbidden" });

  await bob.openConversation(chat);
  expect(await hook(made.path, { text: "*Build 42* passed: <https://ci.example/42|details>" })).toEqual({ status: 200, text: "ok" });
  const posted = await until(bob, () => bob.view(chat)?.messages.find((m) => m.entry.sender === "builds@localhost"), "the bot's message");
  expect(posted.entry.kind).toBe("markdown");
  expect(posted.entry.body).toEqual({ text: "**Build 42** passed: [details](https://ci.example/42)" });
  // The client's profile of the sender says it is a bot, for the badge.
  expect((await until(bob, () => bob.profile("builds@localhost"), "the bot's profile")).bot).toBe(true);

  // Rotated: the old URL is gone, the new one posts.
  const rotated = await alice.admin.rotateWebhook("builds@localhost", made.id);
  expect(rotated).toMatchObject({ name: "ci", conversation: chat });
  expect(rotated.path).not.toBe(made.path);
  expect((await hook(made.path, { text: "old" })).status).toBe(404);
  expect((await hook(rotated.path, { text: "plain _words_", mrkdwn: false })).status).toBe(200);
  const plain = await until(bob, () => bob.view(chat)?.messages.find((m) => m.entry.kind === "text" && m.entry.sender === "builds@localhost"), "the plain message");
  expect(plain.entry.body).toEqual({ text: "plain _words_" });

  // Deleted: it stops.
  const current = (await alice.admin.botWebhooks("builds@localhost"))[0]!;
  expect(current.id).toBe(rotated.id);
  await alice.admin.deleteWebhook("builds@localhost", rotated.id);
  expect((await hook(rotated.path, { text: "gone" })).status).toBe(404);
  expect(await alice.admin.botWebhooks("builds@localhost")).toEqual([]);
  expect(await refusal(alice.admin.deleteWebhook("builds@localhost", rotated.id))).toMatchObject({ code: "not_found" });
});
