// Interactive cards (issue 18). verifyRequest: a card's action signed as the server signs it (with
// node:crypto's HMAC, a second implementation) is read as one, a delivery as a delivery, and
// another secret, a stale timestamp or a card action without its fields are refused with their
// reasons. RestClient.cardAction: the request it makes. readInteractiveCard: what a client renders
// of a card's body. Against the real server: a bot's card is pressed, the app on loopback gets the
// action signed (read with verifyRequest) and answers with a new card and a toast; every device
// gets the edit, stamped with who acted; an app that answers 500 leaves the card as it was.

import { createHmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from "vitest";

import {
  MagpieError, RestClient, WebhookError, readInteractiveCard, isInteractiveCard, verifyRequest,
  type CardActionAnswer, type CardActionEvent, type InteractiveCard, type MagpieClient,
} from "../src/index.ts";
import { online, startServer, until, type TestServer } from "./harness.ts";

const SECRET = "whsec_cards";
const NOW = 1_700_000_000;

const CARD: InteractiveCard = {
  card: "interactive",
  title: "Leave request",
  blocks: [
    { type: "text", text: "**Ann** asks for two days off" },
    { type: "fields", fields: [{ label: "From", value: "2026-12-10" }, { label: "Days", value: "2" }] },
    { type: "actions", elements: [
      { type: "input", id: "note", label: "Note", max_chars: 100 },
      { type: "button", id: "approve", label: "Approve", style: "primary", value: "req-17" },
      { type: "button", id: "reject", label: "Reject", style: "danger", confirm: "Reject Ann's leave?" },
    ] },
  ],
};

/** A card's action as the server sends it: a button without a value has `"value": null`. */
const ACTION = JSON.stringify({
  type: "card_action", id: "4.12.57.00ab", subscription: 4, bot: "leave@localhost", conversation: 12, seq: 57,
  user: { account: "ann@localhost", name: "李娜" }, action: { id: "reject", label: "Reject", value: null },
  inputs: { note: "下次吧" }, card: CARD, at_ms: NOW * 1000,
});
const DELIVERY = JSON.stringify({ subscription: 3, bot: "leave@localhost", events: [{ id: "3.12.58", type: "message", conversation: 12, seq: 58 }] });

function nodeSign(secret: string, timestamp: number | string, body: string | Buffer): string {
  return `v1=${createHmac("sha256", secret).update(`${timestamp}.`).update(body).digest("hex")}`;
}

async function refusal(attempt: Promise<unknown>): Promise<WebhookError> {
  const error = await attempt.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(WebhookError);
  return error as WebhookError;
}

describe("verifyRequest", () => {
  test("reads a signed card action as one, with who pressed what and the inputs", async () => {
    const request = await verifyRequest(SECRET, String(NOW), nodeSign(SECRET, NOW, ACTION), Buffer.from(ACTION), NOW + 5);
    expect(request.type).toBe("card_action");
    if (request.type !== "card_action") return;
    const event: CardActionEvent = request.event;
    expect(event).toMatchObject({ id: "4.12.57.00ab", subscription: 4, bot: "leave@localhost", conversation: 12, seq: 57, at_ms: NOW * 1000 });
    expect(event.user).toEqual({ account: "ann@localhost", name: "李娜" });
    // A button without a value: left out, not null.
    expect(event.action).toEqual({ id: "reject", label: "Reject" });
    expect(event.inputs).toEqual({ note: "下次吧" });
    expect(event.card).toEqual(CARD);
  });

  test("reads a signed delivery as a delivery, as verifyWebhook does", async () => {
    const request = await verifyRequest(SECRET, String(NOW), nodeSign(SECRET, NOW, DELIVERY), DELIVERY, NOW);
    expect(request).toEqual({ type: "delivery", delivery: JSON.parse(DELIVERY) });
  });

  test("refuses another secret, another body, a stale or malformed timestamp", async () => {
    const signature = nodeSign(SECRET, NOW, ACTION);
    expect((await refusal(verifyRequest("whsec_other", String(NOW), signature, ACTION, NOW))).reason).toBe("bad_signature");
    expect((await refusal(verifyRequest(SECRET, String(NOW), signature, ACTION.replace("下次吧", "批准"), NOW))).reason).toBe("bad_signature");
    expect((await refusal(verifyRequest(SECRET, String(NOW), "v1=00", ACTION, NOW))).reason).toBe("bad_signature");
    expect((await refusal(verifyRequest(SECRET, String(NOW), signature, ACTION, NOW + 301))).reason).toBe("stale");
    expect((await refusal(verifyRequest(SECRET, String(NOW), signature, ACTION, NOW - 301))).reason).toBe("stale");
    expect((await refusal(verifyRequest(SECRET, "now", signature, ACTION, NOW))).reason).toBe("bad_timestamp");
    // By default the clock is the app's.
    expect((await refusal(verifyRequest(SECRET, String(NOW), signature, ACTION))).reason).toBe("stale");
  });

  test("refuses a signed card action without the fields an app relies on", async () => {
    const event = JSON.parse(ACTION) as Record<string, unknown>;
    for (const broken of [
      { ...event, user: "ann@localhost" },
      { ...event, seq: "57" },
      { ...event, action: { id: "reject" } },
      { ...event, inputs: { note: 3 } },
      { ...event, card: null },
    ]) {
      const body = JSON.stringify(broken);
      expect((await refusal(verifyRequest(SECRET, String(NOW), nodeSign(SECRET, NOW, body), body, NOW))).reason, body).toBe("bad_body");
    }
    expect((await refusal(verifyRequest(SECRET, String(NOW), nodeSign(SECRET, NOW, "{"), "{", NOW))).reason).toBe("bad_body");
  });
});

describe("RestClient.cardAction", () => {
  afterEach(() => { vi.unstubAllGlobals(); });

  function stubFetch(status: number, answer: unknown) {
    const calls: { url: string; init: RequestInit }[] = [];
    vi.stubGlobal("fetch", async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      return new Response(JSON.stringify(answer), { status, headers: { "Content-Type": "application/json" } });
    });
    return calls;
  }

  test("POSTs the button and the inputs to the card's actions, with the token", async () => {
    const calls = stubFetch(200, { updated_seq: 58, toast: "Approved" });
    const rest = new RestClient("https://chat.example.com", "tok");
    expect(await rest.cardAction(12, 57, { action: "approve", inputs: { note: "enjoy", day: "2026-12-10" } })).toEqual({ updated_seq: 58, toast: "Approved" });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.url).toBe("https://chat.example.com/v1/conversations/12/messages/57/actions");
    expect(calls[0]!.init.method).toBe("POST");
    expect(calls[0]!.init.headers).toMatchObject({ "Content-Type": "application/json", Authorization: "Bearer tok" });
    expect(JSON.parse(String(calls[0]!.init.body))).toEqual({ action: "approve", inputs: { note: "enjoy", day: "2026-12-10" } });
  });

  test("leaves out inputs when there are none", async () => {
    const calls = stubFetch(200, {});
    const rest = new RestClient("", "tok");
    expect(await rest.cardAction(3, 9, { action: "ok" })).toEqual({});
    expect(await rest.cardAction(3, 9, { action: "ok", inputs: {} })).toEqual({});
    expect(calls.map((c) => JSON.parse(String(c.init.body)))).toEqual([{ action: "ok" }, { action: "ok" }]);
  });

  test("rejects with the server's app_failed and its message", async () => {
    stubFetch(502, { error: { code: "app_failed", message: "the app answered 500 Internal Server Error: boom" } });
    const error = await new RestClient("", "tok").cardAction(3, 9, { action: "ok" }).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(MagpieError);
    expect(error).toMatchObject({ code: "app_failed", status: 502, message: "the app answered 500 Internal Server Error: boom" });
  });
});

describe("readInteractiveCard", () => {
  test("reads a card as it was sent, and nothing else as one", () => {
    expect(readInteractiveCard(CARD)).toEqual(CARD);
    expect(isInteractiveCard(CARD)).toBe(true);
    for (const body of [null, "card", { card: "contact", account: "a@x" }, { url: "https://x.example", title: "X" }, { card: "interactive" }]) {
      expect(readInteractiveCard(body)).toBeNull();
    }
    expect(isInteractiveCard({ card: "group" })).toBe(false);
  });

  test("keeps what it knows and skips the rest, and reads who acted", () => {
    const card = readInteractiveCard({
      card: "interactive", title: "  ", acted: { by: "ann@x", name: "Ann", action: "approve", label: "Approve", at_ms: 5 },
      blocks: [
        { type: "video", url: "https://x.example/v.mp4" },
        { type: "image", url: "javascript:alert(1)", alt: "not an image" },
        { type: "image", url: "http://x.example/a.png", alt: "A chart" },
        { type: "fields", fields: [{ label: "A", value: "1" }, { label: "B" }] },
        { type: "actions", elements: [
          { type: "slider", id: "s" }, { type: "button", id: "b", label: "Go", style: "loud" },
          { type: "select", id: "s2", options: [{ label: "One", value: "1" }], initial: "2" }, { type: "date", id: "d", initial: "soon" },
          { type: "input", id: "i", label: "Why", max_chars: 9000, multiline: true },
        ] },
        "divider",
        { type: "divider" },
      ],
    });
    expect(card).toEqual({
      card: "interactive", acted: { by: "ann@x", name: "Ann", action: "approve", label: "Approve", at_ms: 5 },
      blocks: [
        // Its place in the blocks as sent, which the server serves its image by.
        { type: "image", url: "http://x.example/a.png", alt: "A chart", index: 2 },
        { type: "fields", fields: [{ label: "A", value: "1" }] },
        { type: "actions", elements: [
          { type: "button", id: "b", label: "Go" },
          { type: "select", id: "s2", options: [{ label: "One", value: "1" }] },
          { type: "date", id: "d" },
          { type: "input", id: "i", label: "Why", multiline: true },
        ] },
        { type: "divider" },
      ],
    });
  });
});

describe("against the real server", () => {
  let server: TestServer;
  let alice: MagpieClient;
  let alicePhone: MagpieClient;
  let bob: MagpieClient;
  let bot: RestClient;
  let app: Server;
  let appUrl = "";
  let secret = "";
  /** What the app answers next: a status and a JSON body (or none). */
  let answer: { status: number; body?: CardActionAnswer | string } = { status: 200 };
  const actions: { headers: IncomingHttpHeaders; event: CardActionEvent }[] = [];
  const refused: string[] = [];

  beforeAll(async () => {
    server = await startServer({ env: { MAGPIE_WEBHOOKS_PRIVATE_RANGES_ALLOWED: "127.0.0.1" } });
    const [a, b] = await Promise.all([server.addUser("alice", { displayName: "Alice", admin: true }), server.addUser("bob", { displayName: "Bob" })]);
    [alice, alicePhone, bob] = await Promise.all([online(server, a), online(server, a), online(server, b)]);
    app = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => void (async () => {
        try {
          const request = await verifyRequest(secret, String(req.headers["x-magpie-timestamp"]), String(req.headers["x-magpie-signature"]), Buffer.concat(chunks));
          if (request.type !== "card_action") throw new Error("not a card action");
          actions.push({ headers: req.headers, event: request.event });
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
    appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}/magpie/cards`;

    await alice.admin.createBot({ name: "leave", display_name: "Leave bot" });
    const token = await alice.admin.createBotToken("leave@localhost", { name: "app" });
    bot = new RestClient(server.url, token.token);
    secret = (await alice.admin.createSubscription("leave@localhost", { url: appUrl, events: ["card_action"] })).secret;
  });

  afterAll(async () => {
    for (const client of [alice, alicePhone, bob]) client?.close();
    await new Promise((done) => (app ? app.close(done) : done(undefined)));
    await server?.stop();
  });

  test("a press reaches the app signed; its answer updates the card on every device, stamped with who acted", async () => {
    const chat = (await alice.createGroup("group", "Leave", ["leave@localhost", bob.me.account])).id;
    const sent = await bot.send(chat, { client_msg_id: "card-1", kind: "card", body: CARD as unknown as Record<string, unknown> });
    const shown = (c: MagpieClient) => c.view(chat)?.messages.find((m) => m.entry.seq === sent.seq)?.entry;
    await Promise.all([alice, alicePhone, bob].map((c) => c.openConversation(chat)));
    await until([alice, alicePhone, bob], () => [alice, alicePhone, bob].every((c) => shown(c)), "the card on every device");
    expect(readInteractiveCard(shown(bob)!.body)).toEqual(CARD);

    // Refused at its field, and the app hears nothing.
    expect(await alice.cardAction(chat, sent.seq, { action: "note" }).then(() => undefined, (e: unknown) => e)).toMatchObject({ code: "invalid_field", field: "action" });
    expect(await alice.cardAction(chat, sent.seq, { action: "approve", inputs: { mood: "x" } }).then(() => undefined, (e: unknown) => e))
      .toMatchObject({ code: "invalid_field", field: "inputs.mood" });
    expect(actions).toEqual([]);

    const decided: CardActionAnswer = {
      update: { title: "Leave request", blocks: [{ type: "fields", fields: [{ label: "Decision", value: "Approved by Alice: enjoy" }] }] },
      toast: "Approved",
    };
    answer = { status: 200, body: decided };
    const result = await alice.cardAction(chat, sent.seq, { action: "approve", inputs: { note: "enjoy" } });
    expect(result.toast).toBe("Approved");
    expect(result.updated_seq).toBeGreaterThan(sent.seq);
    expect(refused).toEqual([]);
    expect(actions).toHaveLength(1);
    const { event } = actions[0]!;
    expect(event).toMatchObject({ type: "card_action", bot: "leave@localhost", conversation: chat, seq: sent.seq, inputs: { note: "enjoy" } });
    expect(event.user).toEqual({ account: alice.me.account, name: "Alice" });
    expect(event.action).toEqual({ id: "approve", label: "Approve", value: "req-17" });
    expect(event.card).toEqual(CARD);

    // Every device, Bob's too, gets the new card with who acted.
    const updated = (c: MagpieClient) => {
      const card = readInteractiveCard(shown(c)?.body);
      return card?.acted ? card : undefined;
    };
    const cards = await Promise.all([alice, alicePhone, bob].map((c) => until(c, () => updated(c), "the updated card")));
    for (const card of cards) {
      expect(card.blocks).toEqual(decided.update!.blocks);
      expect(card.acted).toMatchObject({ by: alice.me.account, name: "Alice", action: "approve", label: "Approve" });
    }
  });

  test("an app that fails leaves the card as it was, and says why", async () => {
    const chat = (await alice.createGroup("group", "Leave 2", ["leave@localhost"])).id;
    const sent = await bot.send(chat, { client_msg_id: "card-2", kind: "card", body: CARD as unknown as Record<string, unknown> });
    const before = actions.length;
    answer = { status: 500, body: "database is down" };
    const error = await alice.cardAction(chat, sent.seq, { action: "reject" }).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(MagpieError);
    expect(error).toMatchObject({ code: "app_failed", status: 502 });
    expect((error as MagpieError).message).toContain("500");
    expect(actions).toHaveLength(before + 1);
    // An answer that is no card is the app's failure too.
    answer = { status: 200, body: { update: { blocks: [] } } };
    expect(await alice.cardAction(chat, sent.seq, { action: "reject" }).then(() => undefined, (e: unknown) => e)).toMatchObject({ code: "app_failed" });
    const page = await alice.rest.messages(chat);
    const card = page.entries.find((e) => e.seq === sent.seq);
    expect(card?.body).toEqual(CARD);
    expect(card?.edited_at_ms).toBeUndefined();
    expect(page.entries.filter((e) => e.kind === "edit")).toEqual([]);
  });
});
