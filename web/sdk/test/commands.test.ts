// Slash commands (issue 18). verifyRequest: a command's invocation signed as the server signs it
// (with node:crypto's HMAC, a second implementation) is read as one, and one without its fields is
// refused. RestClient: the requests botCommands, setBotCommands, offeredCommands and
// invokeCommand make. Against the real server: an administrator gives a bot its commands (each
// refusal at its field: the name's rule, a name twice, another bot's name); a group the bot is in
// offers them, by name; an invocation reaches the app signed (read with verifyRequest), its
// ephemeral answer comes back to the caller only and is stored nowhere, an in_channel one is
// posted by the bot for everyone; an app that fails, a command no bot here has, and a bot without
// a subscription to `command` are refused with their reasons.

import { createHmac } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from "vitest";

import {
  MagpieError, RestClient, WebhookError, verifyRequest,
  type CommandAnswer, type CommandEvent, type MagpieClient,
} from "../src/index.ts";
import { online, startServer, until, type TestServer } from "./harness.ts";

const SECRET = "whsec_commands";
const NOW = 1_700_000_000;

/** A command's invocation as the server sends it. */
const INVOKED = JSON.stringify({
  type: "command", id: "4.12.00ab", subscription: 4, bot: "leave@localhost", conversation: 12, command: "/leave",
  text: "3 天 年假", user: { account: "ann@localhost", name: "李娜" }, at_ms: NOW * 1000,
});

function nodeSign(secret: string, timestamp: number | string, body: string | Buffer): string {
  return `v1=${createHmac("sha256", secret).update(`${timestamp}.`).update(body).digest("hex")}`;
}

async function refusal(attempt: Promise<unknown>): Promise<WebhookError> {
  const error = await attempt.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(WebhookError);
  return error as WebhookError;
}

const failure = (attempt: Promise<unknown>) => attempt.then(() => undefined, (e: unknown) => e);

describe("verifyRequest", () => {
  test("reads a signed command as one, with who invoked what", async () => {
    const request = await verifyRequest(SECRET, String(NOW), nodeSign(SECRET, NOW, INVOKED), Buffer.from(INVOKED), NOW + 5);
    expect(request.type).toBe("command");
    if (request.type !== "command") return;
    const event: CommandEvent = request.event;
    expect(event).toEqual(JSON.parse(INVOKED));
  });

  test("refuses it signed with another secret, or changed", async () => {
    const signature = nodeSign(SECRET, NOW, INVOKED);
    expect((await refusal(verifyRequest("whsec_other", String(NOW), signature, INVOKED, NOW))).reason).toBe("bad_signature");
    expect((await refusal(verifyRequest(SECRET, String(NOW), signature, INVOKED.replace("3 天", "30 天"), NOW))).reason).toBe("bad_signature");
    expect((await refusal(verifyRequest(SECRET, String(NOW), signature, INVOKED, NOW + 301))).reason).toBe("stale");
  });

  test("refuses a signed command without the fields an app relies on", async () => {
    const event = JSON.parse(INVOKED) as Record<string, unknown>;
    const { text: _text, ...withoutText } = event;
    for (const broken of [
      { ...event, user: "ann@localhost" },
      { ...event, user: { account: "ann@localhost" } },
      { ...event, conversation: "12" },
      { ...event, command: "leave" },
      { ...event, command: 7 },
      withoutText,
      { ...event, at_ms: null },
    ]) {
      const body = JSON.stringify(broken);
      expect((await refusal(verifyRequest(SECRET, String(NOW), nodeSign(SECRET, NOW, body), body, NOW))).reason, body).toBe("bad_body");
    }
  });
});

describe("RestClient's slash commands", () => {
  afterEach(() => { vi.unstubAllGlobals(); });

  function stubFetch(status: number, answer: unknown) {
    const calls: { url: string; init: RequestInit }[] = [];
    vi.stubGlobal("fetch", async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      return new Response(JSON.stringify(answer), { status, headers: { "Content-Type": "application/json" } });
    });
    return calls;
  }
  const sent = (c: { init: RequestInit }) => JSON.parse(String(c.init.body)) as unknown;

  test("lists and replaces a bot's commands, a hint left out sent as none", async () => {
    const kept = [{ name: "leave", description: "Ask for leave", hint: "[days]" }, { name: "balance", description: "Days left", hint: "" }];
    const calls = stubFetch(200, { commands: kept });
    const rest = new RestClient("https://chat.example.com", "tok");
    expect(await rest.botCommands("leave@example.com")).toEqual(kept);
    expect(await rest.setBotCommands("leave@example.com", [{ name: "leave", description: "Ask for leave", hint: "[days]" }, { name: "balance", description: "Days left" }]))
      .toEqual(kept);
    expect(await rest.setBotCommands("leave@example.com", [])).toEqual(kept);
    expect(calls.map((c) => [c.init.method, c.url])).toEqual([
      ["GET", "https://chat.example.com/v1/bots/leave%40example.com/commands"],
      ["PUT", "https://chat.example.com/v1/bots/leave%40example.com/commands"],
      ["PUT", "https://chat.example.com/v1/bots/leave%40example.com/commands"],
    ]);
    expect(sent(calls[1]!)).toEqual({ commands: kept });
    expect(sent(calls[2]!)).toEqual({ commands: [] });
    expect(calls[1]!.init.headers).toMatchObject({ "Content-Type": "application/json", Authorization: "Bearer tok" });
  });

  test("lists a conversation's commands and invokes one", async () => {
    const offered = [{ name: "leave", description: "Ask for leave", hint: "[days]", bot: "leave@example.com", bot_name: "Leave bot" }];
    let calls = stubFetch(200, { commands: offered });
    const rest = new RestClient("", "tok");
    expect(await rest.offeredCommands(12)).toEqual(offered);
    expect(calls.map((c) => [c.init.method, c.url])).toEqual([["GET", "/v1/conversations/12/commands"]]);
    calls = stubFetch(200, { response_type: "ephemeral", kind: "markdown", body: { text: "3 days left" } });
    expect(await rest.invokeCommand(12, "leave", "3 days")).toEqual({ response_type: "ephemeral", kind: "markdown", body: { text: "3 days left" } });
    expect(calls.map((c) => [c.init.method, c.url, sent(c)])).toEqual([["POST", "/v1/conversations/12/commands", { command: "leave", text: "3 days" }]]);
  });

  test("rejects with the server's app_failed and its message", async () => {
    stubFetch(502, { error: { code: "app_failed", message: "the app answered 500 Internal Server Error: boom" } });
    const error = await failure(new RestClient("", "tok").invokeCommand(3, "/leave", ""));
    expect(error).toBeInstanceOf(MagpieError);
    expect(error).toMatchObject({ code: "app_failed", status: 502, message: "the app answered 500 Internal Server Error: boom" });
  });
});

describe("against the real server", () => {
  let server: TestServer;
  let alice: MagpieClient;
  let bob: MagpieClient;
  let app: Server;
  let appUrl = "";
  let secret = "";
  /** What the app answers next: a status and a JSON body (or none). */
  let answer: { status: number; body?: CommandAnswer | string } = { status: 200 };
  const invoked: CommandEvent[] = [];
  const refused: string[] = [];

  beforeAll(async () => {
    server = await startServer({ env: { MAGPIE_WEBHOOKS_PRIVATE_RANGES_ALLOWED: "127.0.0.1" } });
    const [a, b] = await Promise.all([server.addUser("alice", { displayName: "Alice", admin: true }), server.addUser("bob", { displayName: "Bob" })]);
    [alice, bob] = await Promise.all([online(server, a), online(server, b)]);
    app = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => void (async () => {
        try {
          const request = await verifyRequest(secret, String(req.headers["x-magpie-timestamp"]), String(req.headers["x-magpie-signature"]), Buffer.concat(chunks));
          if (request.type !== "command") throw new Error(`not a command: ${request.type}`);
          invoked.push(request.event);
          const { status, body } = answer;
          res.writeHead(status, { "Content-Type": typeof body === "string" ? "text/plain" : "application/json" });
          res.end(body === undefined ? "" : typeof body === "string" ? body : JSON.stringify(body));
        } catch (e) {
          refused.push(e instanceof WebhookError ? e.reason : String(e));
          res.writeHead(401).end("refused");
        }
      })());
    });
    await new Promise<void>((done) => app.listen(0, "127.0.0.1", done));
    appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}/magpie/commands`;

    await alice.admin.createBot({ name: "leave", display_name: "Leave bot" });
    await alice.admin.createBot({ name: "hr", display_name: "HR" });
    secret = (await alice.admin.createSubscription("leave@localhost", { url: appUrl, events: ["command"] })).secret;
  });

  afterAll(async () => {
    for (const client of [alice, bob]) client?.close();
    await new Promise((done) => (app ? app.close(done) : done(undefined)));
    await server?.stop();
  });

  test("a bot's managers give it commands, each refusal at its field", async () => {
    expect(await alice.admin.botCommands("leave@localhost")).toEqual([]);
    const kept = await alice.admin.setBotCommands("leave@localhost", [
      { name: "leave", description: "Ask for leave", hint: "[days] [reason]" },
      { name: "balance", description: "Days of leave left" },
    ]);
    expect(kept).toEqual([
      { name: "leave", description: "Ask for leave", hint: "[days] [reason]" },
      { name: "balance", description: "Days of leave left", hint: "" },
    ]);
    expect(await alice.admin.botCommands("leave@localhost")).toEqual(kept);

    const refusedAt = async (commands: Parameters<typeof alice.admin.setBotCommands>[1]) =>
      failure(alice.admin.setBotCommands("hr@localhost", commands));
    expect(await refusedAt([{ name: "ok", description: "Fine" }, { name: "Leave", description: "Bad name" }])).toMatchObject({ code: "invalid_field", field: "commands[1].name" });
    expect(await refusedAt([{ name: "a", description: "One" }, { name: "a", description: "Twice" }])).toMatchObject({ code: "invalid_field", field: "commands[1].name" });
    expect(await refusedAt([{ name: "payslip", description: "Fine" }, { name: "balance", description: "Another bot's" }]))
      .toMatchObject({ code: "invalid_field", field: "commands[1].name" });
    expect(await refusedAt([{ name: "payslip", description: "  " }])).toMatchObject({ code: "invalid_field", field: "commands[0].description" });
    expect(await refusedAt([{ name: "payslip", description: "Fine", hint: "x".repeat(101) }])).toMatchObject({ code: "invalid_field", field: "commands[0].hint" });
    expect(await alice.admin.botCommands("hr@localhost")).toEqual([]);
    // Bob manages neither bot.
    expect(await failure(bob.admin.botCommands("leave@localhost"))).toMatchObject({ code: "not_found" });
    expect(await failure(bob.admin.setBotCommands("leave@localhost", []))).toMatchObject({ code: "not_found" });
  });

  test("a group offers its bots' commands; an invocation reaches the app signed, and its answer goes where the app says", async () => {
    await alice.admin.setBotCommands("hr@localhost", [{ name: "payslip", description: "This month's payslip", hint: "[month]" }]);
    const chat = (await alice.createGroup("group", "Team", [bob.me.account, "leave@localhost", "hr@localhost"])).id;
    const offered = await bob.offeredCommands(chat);
    expect(offered).toEqual([
      { name: "balance", description: "Days of leave left", hint: "", bot: "leave@localhost", bot_name: "Leave bot" },
      { name: "leave", description: "Ask for leave", hint: "[days] [reason]", bot: "leave@localhost", bot_name: "Leave bot" },
      { name: "payslip", description: "This month's payslip", hint: "[month]", bot: "hr@localhost", bot_name: "HR" },
    ]);
    // A group without the bots offers nothing.
    const other = (await alice.createGroup("group", "Other", [bob.me.account])).id;
    expect(await bob.offeredCommands(other)).toEqual([]);

    // Ephemeral: the answer for Bob only, stored nowhere.
    answer = { status: 200, body: { text: "**3** days left" } };
    const before = (await bob.rest.messages(chat)).entries.length;
    const result = await bob.invokeCommand(chat, "leave", "3 days off");
    expect(result).toEqual({ response_type: "ephemeral", kind: "markdown", body: { text: "**3** days left" } });
    expect(refused).toEqual([]);
    expect(invoked).toHaveLength(1);
    expect(invoked[0]).toMatchObject({
      type: "command", bot: "leave@localhost", conversation: chat, command: "/leave", text: "3 days off", user: { account: bob.me.account, name: "Bob" },
    });
    expect((await bob.rest.messages(chat)).entries.length).toBe(before);

    // In the channel: posted by the bot, for everyone; the name may come with its slash.
    answer = { status: 200, body: { response_type: "in_channel", text: "Bob is off for 3 days" } };
    const posted = await bob.invokeCommand(chat, "/leave", "3");
    expect(posted).toMatchObject({ response_type: "in_channel", kind: "markdown", body: { text: "Bob is off for 3 days" } });
    expect(posted.seq).toBeGreaterThan(0);
    await alice.openConversation(chat);
    const shown = await until(alice, () => alice.view(chat)?.messages.find((m) => m.entry.seq === posted.seq)?.entry, "the bot's answer for Alice");
    expect(shown).toMatchObject({ sender: "leave@localhost", kind: "markdown", body: { text: "Bob is off for 3 days" } });

    // An app that answers nothing: an ephemeral result without a message.
    answer = { status: 200 };
    expect(await bob.invokeCommand(chat, "balance", "")).toEqual({ response_type: "ephemeral" });
    expect(invoked.map((e) => e.command)).toEqual(["/leave", "/leave", "/balance"]);
  });

  test("an app that fails, a command no bot here has, a bot its app does not take commands for are refused with why", async () => {
    const chat = (await alice.createGroup("group", "Team 2", [bob.me.account, "leave@localhost", "hr@localhost"])).id;
    answer = { status: 500, body: "the leave system is down" };
    const failed = await failure(bob.invokeCommand(chat, "leave", "3"));
    expect(failed).toBeInstanceOf(MagpieError);
    expect(failed).toMatchObject({ code: "app_failed", status: 502 });
    expect((failed as MagpieError).message).toContain("the leave system is down");
    // An answer that is no message that may be sent is the app's failure too.
    answer = { status: 200, body: { response_type: "everyone", text: "x" } as unknown as CommandAnswer };
    expect(await failure(bob.invokeCommand(chat, "leave", "3"))).toMatchObject({ code: "app_failed" });
    expect(await failure(bob.invokeCommand(chat, "nosuch", ""))).toMatchObject({ code: "invalid_field", field: "command" });
    // HR's app has no subscription that takes commands.
    const hr = await failure(bob.invokeCommand(chat, "payslip", "2026-11"));
    expect(hr).toMatchObject({ code: "app_failed" });
    expect((hr as MagpieError).message).toContain("hr@localhost");
    expect(refused).toEqual([]);
  });
});
