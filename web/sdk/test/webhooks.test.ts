// Outgoing webhooks (docs/protocol.md "Outgoing webhooks", docs/apps.md). verifyWebhook: a
// request signed as the server signs it (here with node:crypto's HMAC, a second implementation)
// is believed, and one with another secret, body or timestamp, a stale timestamp, a malformed
// signature or a body that is no delivery is refused with its reason; the documented known
// answer. Against the real server: a bot's subscriptions are made (the secret answered once),
// listed, changed, rotated and deleted, each refusal naming its field; and a message in the bot's
// group reaches an app on loopback as a signed delivery that verifyWebhook reads.

import { createHmac } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

import { afterAll, beforeAll, describe, expect, test } from "vitest";

import {
  MagpieError, WEBHOOK_REPLAY_WINDOW_SECS, WebhookError, signWebhook, verifyWebhook, type MagpieClient, type WebhookDelivery,
} from "../src/index.ts";
import { online, startServer, type TestServer } from "./harness.ts";

const SECRET = "whsec_test";
const NOW = 1_700_000_000;
const BODY = JSON.stringify({
  subscription: 3, bot: "approvals@localhost",
  events: [{ id: "3.12.57", type: "mention", conversation: 12, seq: 57, entry: { conversation: 12, seq: 57, sender: "ann@localhost", kind: "text", body: { text: "@审批助手 请假三天" } } }],
});

/** The signature as the server makes it: HMAC-SHA256 of `{timestamp}.{body}`, hex. */
function nodeSign(secret: string, timestamp: number | string, body: string | Buffer): string {
  return `v1=${createHmac("sha256", secret).update(`${timestamp}.`).update(body).digest("hex")}`;
}

async function refusal(attempt: Promise<unknown>): Promise<WebhookError> {
  const error = await attempt.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(WebhookError);
  return error as WebhookError;
}

describe("verifyWebhook", () => {
  test("believes a request signed with the secret, and reads its events", async () => {
    const delivery = await verifyWebhook(SECRET, String(NOW), nodeSign(SECRET, NOW, BODY), BODY, NOW + 10);
    expect(delivery.subscription).toBe(3);
    expect(delivery.bot).toBe("approvals@localhost");
    expect(delivery.events.map((e) => [e.id, e.type, e.conversation, e.seq])).toEqual([["3.12.57", "mention", 12, 57]]);
    expect(delivery.events[0]!.entry?.body).toEqual({ text: "@审批助手 请假三天" });
    // The body's bytes as Node's http gives them, and as an ArrayBuffer; the header with blanks.
    const bytes = Buffer.from(BODY, "utf8");
    expect((await verifyWebhook(SECRET, ` ${NOW} `, nodeSign(SECRET, NOW, bytes), bytes, NOW)).subscription).toBe(3);
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    expect((await verifyWebhook(SECRET, String(NOW), nodeSign(SECRET, NOW, BODY).toUpperCase().replace("V1=", "v1="), buffer, NOW)).bot)
      .toBe("approvals@localhost");
    // signWebhook signs as the server does.
    expect(await signWebhook(SECRET, NOW, BODY)).toBe(nodeSign(SECRET, NOW, BODY));
  });

  test("signs the documented known answer", async () => {
    const signature = "v1=f19002bc1bd3404714ccdbb20142c9d941c375df20fb4f84d053f4ed52003afe";
    expect(await signWebhook("whsec_a", 1700000000, '{"events":[]}')).toBe(signature);
    expect(nodeSign("whsec_a", 1700000000, '{"events":[]}')).toBe(signature);
    // Its signature holds; the body, though, is no delivery (it has no subscription or bot).
    expect((await refusal(verifyWebhook("whsec_a", "1700000000", signature, '{"events":[]}', 1700000000))).reason).toBe("bad_body");
  });

  test("refuses another secret, body or timestamp, and a malformed signature", async () => {
    const signature = nodeSign(SECRET, NOW, BODY);
    expect((await refusal(verifyWebhook("whsec_other", String(NOW), signature, BODY, NOW))).reason).toBe("bad_signature");
    expect((await refusal(verifyWebhook(SECRET, String(NOW), signature, BODY.replace("请假三天", "请假十天"), NOW))).reason).toBe("bad_signature");
    expect((await refusal(verifyWebhook(SECRET, String(NOW + 1), signature, BODY, NOW))).reason).toBe("bad_signature");
    expect((await refusal(verifyWebhook(SECRET, String(NOW), signature.slice(3), BODY, NOW))).reason).toBe("bad_signature");
    expect((await refusal(verifyWebhook(SECRET, String(NOW), "v1=zz", BODY, NOW))).reason).toBe("bad_signature");
    expect((await refusal(verifyWebhook(SECRET, String(NOW), signature.slice(0, -2), BODY, NOW))).reason).toBe("bad_signature");
    expect((await refusal(verifyWebhook(SECRET, "soon", signature, BODY, NOW))).reason).toBe("bad_timestamp");
    expect((await refusal(verifyWebhook(SECRET, "1.7e9", signature, BODY, NOW))).reason).toBe("bad_timestamp");
  });

  test("refuses a timestamp more than 300 s from the clock, either way", async () => {
    expect(WEBHOOK_REPLAY_WINDOW_SECS).toBe(300);
    const signature = nodeSign(SECRET, NOW, BODY);
    expect((await verifyWebhook(SECRET, String(NOW), signature, BODY, NOW + 300)).subscription).toBe(3);
    expect((await verifyWebhook(SECRET, String(NOW), signature, BODY, NOW - 300)).subscription).toBe(3);
    const stale = await refusal(verifyWebhook(SECRET, String(NOW), signature, BODY, NOW + 301));
    expect(stale.reason).toBe("stale");
    expect(stale.name).toBe("WebhookError");
    expect((await refusal(verifyWebhook(SECRET, String(NOW), signature, BODY, NOW - 301))).reason).toBe("stale");
    // By default the clock is the app's: a signature of now is fresh, one of long ago is not.
    const now = Math.floor(Date.now() / 1000);
    expect((await verifyWebhook(SECRET, String(now), nodeSign(SECRET, now, BODY), BODY)).subscription).toBe(3);
    expect((await refusal(verifyWebhook(SECRET, String(NOW), signature, BODY))).reason).toBe("stale");
  });

  test("refuses a signed body that is no delivery", async () => {
    for (const body of ["not json", "[]", '{"subscription":"3","bot":"b@x","events":[]}', '{"subscription":3,"bot":"b@x","events":[{"id":1}]}']) {
      expect((await refusal(verifyWebhook(SECRET, String(NOW), nodeSign(SECRET, NOW, body), body, NOW))).reason, body).toBe("bad_body");
    }
    const bad = Buffer.from([0xff, 0xfe]);
    expect((await refusal(verifyWebhook(SECRET, String(NOW), nodeSign(SECRET, NOW, bad), bad, NOW))).reason).toBe("bad_body");
  });
});

describe("against the real server", () => {
  let server: TestServer;
  let alice: MagpieClient;
  let bob: MagpieClient;
  /** The app: records each request, and answers 200. */
  let app: Server;
  let appUrl: string;
  const received: { headers: IncomingMessage["headers"]; body: Buffer }[] = [];
  const arrivals = new Set<() => void>();

  beforeAll(async () => {
    server = await startServer({
      env: {
        MAGPIE_WEBHOOKS_PRIVATE_RANGES_ALLOWED: "127.0.0.1", MAGPIE_WEBHOOKS_RETRY_INITIAL_MS: "50",
        MAGPIE_WEBHOOKS_RETRY_MAX_MS: "200", MAGPIE_WEBHOOKS_POLL_MS: "50",
      },
    });
    const [a, b] = await Promise.all([server.addUser("alice", { displayName: "Alice", admin: true }), server.addUser("bob", { displayName: "Bob" })]);
    [alice, bob] = await Promise.all([online(server, a), online(server, b)]);
    app = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks) });
        res.writeHead(200).end("ok");
        for (const arrived of arrivals) arrived();
      });
    });
    await new Promise<void>((done) => app.listen(0, "127.0.0.1", done));
    appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}/magpie/events`;
  });

  afterAll(async () => {
    alice?.close();
    bob?.close();
    await new Promise((done) => (app ? app.close(done) : done(undefined)));
    await server?.stop();
  });

  /** Resolves with the first request received (from `from` on) that `pick` takes. */
  function request<T>(from: number, pick: (r: (typeof received)[number]) => T | undefined): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        for (const r of received.slice(from)) {
          const found = pick(r);
          if (found !== undefined) { arrivals.delete(check); clearTimeout(timer); resolve(found); return; }
        }
      };
      const timer = setTimeout(() => { arrivals.delete(check); reject(new Error("timed out waiting for the app's request")); }, 10_000);
      arrivals.add(check);
      check();
    });
  }

  async function serverRefusal(attempt: Promise<unknown>): Promise<MagpieError> {
    const error = await attempt.then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(MagpieError);
    return error as MagpieError;
  }

  test("a bot's subscriptions are made, listed, changed, rotated and deleted; a message reaches its app, signed", async () => {
    await alice.admin.createBot({ name: "approvals", display_name: "Approvals" });
    const chat = (await alice.createGroup("group", "Leave", ["approvals@localhost", bob.me.account])).id;
    expect(await alice.admin.botSubscriptions("approvals@localhost")).toEqual([]);

    // Refusals, each at its field.
    expect(await serverRefusal(alice.admin.createSubscription("approvals@localhost", { url: "ftp://x.example/", events: ["message"] })))
      .toMatchObject({ code: "invalid_field", field: "url" });
    expect(await serverRefusal(alice.admin.createSubscription("approvals@localhost", { url: "http://user:pw@127.0.0.1/", events: ["message"] })))
      .toMatchObject({ code: "invalid_field", field: "url" });
    expect(await serverRefusal(alice.admin.createSubscription("approvals@localhost", { url: appUrl, events: [] })))
      .toMatchObject({ code: "invalid_field", field: "events" });
    expect(await serverRefusal(bob.admin.createSubscription("approvals@localhost", { url: appUrl, events: ["message"] })))
      .toMatchObject({ code: "not_found" });

    const from = received.length;
    const made = await alice.admin.createSubscription("approvals@localhost", { url: appUrl, events: ["message", "member"] });
    expect(made).toMatchObject({ url: appUrl, events: ["message", "member"], enabled: true, failures: 0, pending: 0, dropped: 0 });
    expect(made.secret).toMatch(/^whsec_/);
    const listed = await alice.admin.botSubscriptions("approvals@localhost");
    expect(listed).toHaveLength(1);
    expect(listed[0]).not.toHaveProperty("secret");
    expect(listed[0]).toMatchObject({ id: made.id, url: appUrl, enabled: true });

    // Bob says something in the group: the app gets it, signed with the secret.
    const sent = await bob.rest.send(chat, { client_msg_id: "leave-1", kind: "text", body: { text: "请假三天" } });
    const delivery = await request<WebhookDelivery | undefined>(from, (r) => {
      const body = JSON.parse(r.body.toString("utf8")) as WebhookDelivery;
      return body.events.some((e) => e.seq === sent.seq) ? body : undefined;
    });
    const raw = received.slice(from).find((r) => (JSON.parse(r.body.toString("utf8")) as WebhookDelivery).events.some((e) => e.seq === sent.seq))!;
    expect(raw.headers["x-magpie-subscription"]).toBe(String(made.id));
    expect(raw.headers["content-type"]).toBe("application/json");
    const verified = await verifyWebhook(made.secret, String(raw.headers["x-magpie-timestamp"]), String(raw.headers["x-magpie-signature"]), raw.body);
    expect(verified).toEqual(delivery);
    expect(verified).toMatchObject({ subscription: made.id, bot: "approvals@localhost" });
    const event = verified.events.find((e) => e.seq === sent.seq)!;
    expect(event).toMatchObject({ id: `${made.id}.${chat}.${sent.seq}`, type: "message", conversation: chat });
    expect(event.entry).toMatchObject({ sender: bob.me.account, body: { text: "请假三天" } });
    expect((await refusal(verifyWebhook("whsec_wrong", String(raw.headers["x-magpie-timestamp"]), String(raw.headers["x-magpie-signature"]), raw.body))).reason)
      .toBe("bad_signature");

    // Changed, disabled by a person and enabled again.
    const changed = await alice.admin.updateSubscription("approvals@localhost", made.id, { events: ["mention"], enabled: false });
    expect(changed).toMatchObject({ id: made.id, events: ["mention"], enabled: false });
    expect(changed.disabled_at_ms).toBeUndefined();
    expect(await alice.admin.updateSubscription("approvals@localhost", made.id, { enabled: true })).toMatchObject({ enabled: true });

    // Rotated: a new secret signs.
    const rotated = await alice.admin.rotateSubscription("approvals@localhost", made.id);
    expect(rotated).toMatchObject({ id: made.id, url: appUrl, events: ["mention"] });
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(made.secret);

    // Deleted.
    await alice.admin.deleteSubscription("approvals@localhost", made.id);
    expect(await alice.admin.botSubscriptions("approvals@localhost")).toEqual([]);
    expect(await serverRefusal(alice.admin.deleteSubscription("approvals@localhost", made.id))).toMatchObject({ code: "not_found" });
  });
});
