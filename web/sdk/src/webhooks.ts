// For apps that receive a bot's outgoing webhooks (docs/apps.md "Outgoing webhooks"): checking a
// request's signature and age, and reading its events. WebCrypto only (`crypto.subtle`), so the
// same code runs in browsers, service workers, Deno and Node (20 and later; Node 18 only with
// `--experimental-global-webcrypto`).
//
//   const delivery = await verifyWebhook(secret, req.headers["x-magpie-timestamp"],
//     req.headers["x-magpie-signature"], rawBody);   // the body's bytes, as they came
//   for (const event of delivery.events) { /* skip event.id if handled already */ }
//
// An app that also takes the actions of its bot's interactive cards (a subscription to
// `card_action`) or its bot's slash commands (`command`) gets those at the same URL, signed the
// same way, and answers each at once; verifyRequest tells them apart:
//
//   const request = await verifyRequest(secret, timestamp, signature, rawBody);
//   if (request.type === "card_action") answer(200, { update, toast });   // a CardActionAnswer
//   else if (request.type === "command") answer(200, { text: "3 days left" });   // a CommandAnswer
//   else for (const event of request.delivery.events) { /* … */ }
//
// The Rust SDK's `magpie_client::apps::verify_webhook` and `verify_request` are the same checks.

import type { CardActionEvent, CommandEvent, WebhookDelivery } from "./contract.ts";

/** How far a request's timestamp and the app's clock may be apart, in seconds: an older (or
 * newer) request is refused as a replay. */
export const WEBHOOK_REPLAY_WINDOW_SECS = 300;

/** Why a request is refused: `bad_timestamp`, `X-Magpie-Timestamp` is no whole number of
 * seconds; `stale`, it is more than `WEBHOOK_REPLAY_WINDOW_SECS` from the app's clock;
 * `bad_signature`, `X-Magpie-Signature` is not the secret's; `bad_body`, the signed body is no
 * delivery (nor, for `verifyRequest`, a card's action or a command). */
export type WebhookRefusal = "bad_timestamp" | "stale" | "bad_signature" | "bad_body";

/** A request `verifyWebhook` refused; answer it 401 (or 400 for `bad_body`), and do nothing. */
export class WebhookError extends Error {
  override readonly name = "WebhookError";
  constructor(readonly reason: WebhookRefusal, message: string) {
    super(message);
  }
}

/** A body as an app may hold it: the text, or its bytes (a Node `Buffer` is a `Uint8Array`). */
export type WebhookBody = string | Uint8Array | ArrayBuffer;

/** Longest timestamp read, in digits: Unix seconds have 10 for centuries yet. */
const TIMESTAMP_DIGITS_MAX = 15;

/** Checks a request to an app: `timestamp` and `signature` are its `X-Magpie-Timestamp` and
 * `X-Magpie-Signature` headers, `body` its body exactly as received (parsing and serialising it
 * again may change its bytes, and the signature with them), `nowSecs` the app's clock (Unix
 * seconds; now by default). Resolves with the delivery; rejects with a `WebhookError` when the
 * timestamp is not a number or is stale, when the signature does not match (compared in constant
 * time by `crypto.subtle.verify`), or when the body is no delivery. */
export async function verifyWebhook(
  secret: string, timestamp: string, signature: string, body: WebhookBody, nowSecs: number = Math.floor(Date.now() / 1000),
): Promise<WebhookDelivery> {
  const bytes = bytesOf(body);
  await verifySignature(secret, timestamp, signature, bytes, nowSecs);
  return deliveryOf(jsonOf(bytes));
}

/** A request to an app, as `verifyRequest` reads it: events of the bot's conversations (a
 * delivery, answered 200 once handled); a press of a button of one of its bot's interactive
 * cards, which waits for the app's answer (200, with nothing or a `CardActionAnswer`); or one of
 * its bot's slash commands invoked, likewise (200, with nothing or a `CommandAnswer`). */
export type AppRequest =
  | { type: "delivery"; delivery: WebhookDelivery }
  | { type: "card_action"; event: CardActionEvent }
  | { type: "command"; event: CommandEvent };

/** `verifyWebhook` for an app that also takes card actions or slash commands (a subscription to
 * `card_action` or `command`): checks the timestamp and the signature the same way, then reads
 * the body by its `type` (a card's action is `"card_action"`, a command `"command"`; anything
 * else must be a delivery). Rejects with a `WebhookError` as verifyWebhook does, `bad_body` also
 * for a card action or a command whose fields are not what the server sends. */
export async function verifyRequest(
  secret: string, timestamp: string, signature: string, body: WebhookBody, nowSecs: number = Math.floor(Date.now() / 1000),
): Promise<AppRequest> {
  const bytes = bytesOf(body);
  await verifySignature(secret, timestamp, signature, bytes, nowSecs);
  const value = jsonOf(bytes);
  if (isObject(value) && value.type === "card_action") return { type: "card_action", event: cardActionOf(value) };
  if (isObject(value) && value.type === "command") return { type: "command", event: commandOf(value) };
  return { type: "delivery", delivery: deliveryOf(value) };
}

/** Rejects unless the timestamp is within the replay window of `nowSecs` and the signature is
 * the secret's for it and the body's bytes (compared in constant time by `crypto.subtle.verify`). */
async function verifySignature(secret: string, timestamp: string, signature: string, bytes: Uint8Array, nowSecs: number): Promise<void> {
  const ts = timestampOf(timestamp);
  if (Math.abs(nowSecs - ts) > WEBHOOK_REPLAY_WINDOW_SECS) {
    throw new WebhookError("stale", `the timestamp is more than ${WEBHOOK_REPLAY_WINDOW_SECS} s from this clock: a replay`);
  }
  const given = /^v1=((?:[0-9a-fA-F]{2})+)$/.exec(signature.trim());
  if (!given || !(await subtle().verify("HMAC", await keyOf(secret), fromHex(given[1]!), signed(ts, bytes)))) {
    throw new WebhookError("bad_signature", "the signature does not match the secret");
  }
}

/** The `X-Magpie-Signature` of a body at a timestamp: `v1=` and the lowercase hex HMAC-SHA256,
 * keyed by the secret, of the timestamp, `.` and the body's bytes. For an app's own tests, and
 * for anything that sends as the server does. */
export async function signWebhook(secret: string, timestamp: number, body: WebhookBody): Promise<string> {
  const mac = await subtle().sign("HMAC", await keyOf(secret), signed(timestampOf(String(timestamp)), bytesOf(body)));
  return `v1=${toHex(new Uint8Array(mac))}`;
}

function subtle(): SubtleCrypto {
  const found = globalThis.crypto?.subtle;
  if (!found) throw new Error("verifyWebhook needs WebCrypto (crypto.subtle): a browser, or Node 20 and later");
  return found;
}

function keyOf(secret: string): Promise<CryptoKey> {
  return subtle().importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
}

/** The timestamp as the server reads it, a whole number of seconds (surrounding blanks and a sign
 * allowed); the signature covers it written plainly, as the server writes it. */
function timestampOf(header: string): number {
  const text = header.trim();
  const ts = new RegExp(`^[+-]?\\d{1,${TIMESTAMP_DIGITS_MAX}}$`).test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(ts)) throw new WebhookError("bad_timestamp", "the timestamp is not a whole number of seconds");
  return ts;
}

/** What the signature covers: `{timestamp}.{body}`. */
function signed(ts: number, body: Uint8Array): Uint8Array<ArrayBuffer> {
  const head = new TextEncoder().encode(`${ts}.`);
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

function bytesOf(body: WebhookBody): Uint8Array {
  if (typeof body === "string") return new TextEncoder().encode(body);
  return body instanceof Uint8Array ? body : new Uint8Array(body);
}

function fromHex(hex: string): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function jsonOf(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new WebhookError("bad_body", "the body is not JSON");
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isId = (v: unknown) => typeof v === "number" && Number.isSafeInteger(v);

/** The body read as a delivery, its shape checked as far as an app relies on it: the numbers and
 * strings that identify it and each event (an event's entry is the wire's, as everywhere). */
function deliveryOf(value: unknown): WebhookDelivery {
  const eventOk = (e: unknown) =>
    isObject(e) && typeof e.id === "string" && typeof e.type === "string" && isId(e.conversation) && isId(e.seq)
    && (e.entry === undefined || e.entry === null || isObject(e.entry));
  if (!isObject(value) || !isId(value.subscription) || typeof value.bot !== "string" || !Array.isArray(value.events) || !value.events.every(eventOk)) {
    throw new WebhookError("bad_body", "the body is not a delivery: {subscription, bot, events}");
  }
  // An entry sent as `null` is an absent one, as the Rust SDK reads it.
  for (const e of value.events as Record<string, unknown>[]) if (e.entry === null) delete e.entry;
  return value as unknown as WebhookDelivery;
}

/** The body read as a card's action, every field the app may use checked (the card itself is the
 * body as the server stored it, an object). */
function cardActionOf(value: Record<string, unknown>): CardActionEvent {
  const { user, action, inputs } = value;
  const ok = typeof value.id === "string" && isId(value.subscription) && typeof value.bot === "string" && isId(value.conversation)
    && isId(value.seq) && isId(value.at_ms) && isObject(value.card)
    && isObject(user) && typeof user.account === "string" && typeof user.name === "string"
    && isObject(action) && typeof action.id === "string" && typeof action.label === "string"
    && (action.value === undefined || action.value === null || typeof action.value === "string")
    && isObject(inputs) && Object.values(inputs).every((v) => typeof v === "string");
  if (!ok) {
    throw new WebhookError("bad_body", "the body is not a card's action: {type, id, subscription, bot, conversation, seq, user, action, inputs, card, at_ms}");
  }
  // A button without a value is sent without one; a `null` (from an older server) is read as absent.
  if ((action as Record<string, unknown>).value === null) delete (action as Record<string, unknown>).value;
  return value as unknown as CardActionEvent;
}

/** The body read as a slash command's invocation, every field the app may use checked. */
function commandOf(value: Record<string, unknown>): CommandEvent {
  const { user } = value;
  const ok = typeof value.id === "string" && isId(value.subscription) && typeof value.bot === "string" && isId(value.conversation)
    && typeof value.command === "string" && value.command.startsWith("/") && typeof value.text === "string" && isId(value.at_ms)
    && isObject(user) && typeof user.account === "string" && typeof user.name === "string";
  if (!ok) {
    throw new WebhookError("bad_body", "the body is not a command: {type, id, subscription, bot, conversation, command, text, user, at_ms}");
  }
  return value as unknown as CommandEvent;
}
