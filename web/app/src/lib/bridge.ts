// The host side of the bridge between a workbench app's page, open in a frame, and the client:
// what window.magpie (crates/magpie-http/src/bridge.js, whose head comment is the protocol) asks
// is read here, checked, done by the handlers that the app panel gives, and answered. Only the
// frame of the app that is open, at the origin of the app's URL, is listened to and answered; any
// other message is ignored without an answer. Nothing here knows the DOM beyond postMessage, so
// that the rules are tested without a frame.

import type { AuthorizeRequest, InteractiveCard } from "@magpie/sdk";
import { readInteractiveCard } from "@magpie/sdk";

/** The methods an app may call. */
export const BRIDGE_METHODS = ["getUser", "openChat", "pickPeople", "sendCard", "authorize"] as const;
export type BridgeMethod = (typeof BRIDGE_METHODS)[number];

/** How many people pickPeople returns unless the app says, and the most it may ask for. */
export const PICK_PEOPLE_DEFAULT = 20;
export const PICK_PEOPLE_MAX = 100;
/** The longest title of the people picker, in characters. */
export const PICK_TITLE_CHARS_MAX = 100;
/** The largest card an app may send, as JSON (the server's bound for a card, 16 KiB). */
export const CARD_JSON_BYTES_MAX = 16 * 1024;
/** The most blocks a card has (the server's bound). */
export const CARD_BLOCKS_MAX = 50;
/** The longest account address accepted from an app. */
const ACCOUNT_CHARS_MAX = 320;
/** The longest text of one of authorize's params (the server checks each more closely: a
 * redirect URI is at most 2,048 bytes, `state` 1,024). */
const AUTHORIZE_PARAM_CHARS_MAX = 4096;
/** Requests of one app that may wait for an answer at once (most wait for the person); past
 * this, one is refused with `limit_exceeded` rather than kept. */
export const BRIDGE_PENDING_MAX = 8;

/** A request as the bridge script sends it. */
export interface BridgeRequest { magpie: "request"; id: number; method: string; params: unknown }
export interface BridgeError { code: string; message: string }
export type BridgeReply =
  | { magpie: "response"; id: number; result: unknown }
  | { magpie: "response"; id: number; error: BridgeError };

/** Whom openChat opens: a person's direct chat, or a conversation by its id. */
export type ChatTarget = { account: string } | { conversation: number };
export interface PickOptions { max: number; title?: string }
export interface PickedPerson { account: string; name: string }
export interface BridgeUser { account: string; name: string; avatar: string | null }
/** A card to send: the body as the app gave it (with `card: "interactive"`), and as the client
 * draws it. */
export interface CardToSend { body: Record<string, unknown>; card: InteractiveCard }
/** What authorize answers: the code that /oauth/authorize would have sent to the redirect URI,
 * and the request's `state` (left out where it had none). */
export interface Authorized { code: string; state?: string }

/** What the client does for an app. A handler that resolves `null` was cancelled by the person;
 * one that rejects with an error that has a `code` (a MagpieError) is answered with that code. */
export interface BridgeHandlers {
  getUser(): BridgeUser;
  openChat(target: ChatTarget): Promise<void>;
  pickPeople(options: PickOptions): Promise<PickedPerson[] | null>;
  /** Asks the person to confirm the card (showing it and the conversation), then sends it. */
  sendCard(conversation: number, card: CardToSend): Promise<{ seq: number } | null>;
  /** OAuth 2.0 inside the workbench: checks that the request is the open app's, asks the person's
   * consent (not where they granted it all before), and grants it. */
  authorize(request: AuthorizeRequest): Promise<Authorized | null>;
}

/** A refusal of the app's request, answered as `error`. */
export class BridgeRefusal extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isId = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v > 0;
const invalid = (message: string) => new BridgeRefusal("invalid_params", message);

/** The message as a request of the bridge, or null when it is none (then it gets no answer). */
export function readRequest(data: unknown): BridgeRequest | null {
  if (!isObject(data) || data.magpie !== "request") return null;
  if (typeof data.id !== "number" || !Number.isSafeInteger(data.id)) return null;
  if (typeof data.method !== "string") return null;
  return { magpie: "request", id: data.id, method: data.method, params: data.params };
}

/** openChat's params: exactly one of an account address and a conversation id. */
export function chatTarget(params: unknown): ChatTarget {
  if (!isObject(params)) throw invalid("openChat takes {account} or {conversation}");
  const hasAccount = params.account !== undefined;
  const hasConversation = params.conversation !== undefined;
  if (hasAccount === hasConversation) throw invalid("openChat takes either account or conversation");
  if (hasConversation) {
    if (!isId(params.conversation)) throw invalid("conversation is a conversation's id, a positive integer");
    return { conversation: params.conversation };
  }
  const account = params.account;
  if (typeof account !== "string" || account.length > ACCOUNT_CHARS_MAX || !/^[^@\s]+@[^@\s]+$/.test(account)) {
    throw invalid("account is an address such as bob@example.com");
  }
  return { account: account.toLowerCase() };
}

/** pickPeople's params: how many at most (1 to 100, 20 unless said), and the picker's title. */
export function pickOptions(params: unknown): PickOptions {
  const p = params === undefined ? {} : params;
  if (!isObject(p)) throw invalid("pickPeople takes {max?, title?}");
  let max = PICK_PEOPLE_DEFAULT;
  if (p.max !== undefined) {
    if (typeof p.max !== "number" || !Number.isSafeInteger(p.max) || p.max < 1 || p.max > PICK_PEOPLE_MAX) {
      throw invalid(`max is a whole number from 1 to ${PICK_PEOPLE_MAX}`);
    }
    max = p.max;
  }
  if (p.title === undefined || p.title === null) return { max };
  if (typeof p.title !== "string" || Array.from(p.title).length > PICK_TITLE_CHARS_MAX) {
    throw invalid(`title is text of at most ${PICK_TITLE_CHARS_MAX} characters`);
  }
  return p.title.trim() ? { max, title: p.title.trim() } : { max };
}

/** sendCard's params: a conversation id and an interactive card's body (its `card` may be left
 * out), without buttons or inputs. The server checks the card's blocks; here only what the
 * confirmation needs to draw it. */
export function cardParams(params: unknown): { conversation: number; card: CardToSend } {
  if (!isObject(params)) throw invalid("sendCard takes a conversation and a card");
  if (!isId(params.conversation)) throw invalid("conversation is a conversation's id, a positive integer");
  const given = params.card;
  if (!isObject(given)) throw invalid("card is an interactive card's body, an object");
  if (given.card !== undefined && given.card !== "interactive") throw invalid('card.card is "interactive"');
  if (given.acted !== undefined) throw invalid("card.acted is written by the server");
  if (!Array.isArray(given.blocks) || given.blocks.length === 0 || given.blocks.length > CARD_BLOCKS_MAX) {
    throw invalid(`card.blocks holds 1 to ${CARD_BLOCKS_MAX} blocks`);
  }
  // A person's card has no elements (the server refuses them): said before the person is asked.
  if (given.blocks.some((b) => isObject(b) && b.type === "actions")) throw invalid("a card sent as a person has no buttons or inputs (actions blocks)");
  const body: Record<string, unknown> = { ...given, card: "interactive" };
  if (new TextEncoder().encode(JSON.stringify(body)).length > CARD_JSON_BYTES_MAX) throw invalid("the card is larger than 16 KiB");
  const card = readInteractiveCard(body);
  if (!card || card.blocks.length === 0) throw invalid("the card has no block the client can show");
  return { conversation: params.conversation, card: { body, card } };
}

/** authorize's params: an OAuth 2.0 authorization request with PKCE (RFC 6749 §4.1.1, RFC 7636),
 * without `response_type` (always `code`). Only their types are checked here: the server says
 * what is wrong with their values (`invalid_field` naming the parameter). */
export function authorizeParams(params: unknown): AuthorizeRequest {
  if (!isObject(params)) throw invalid("authorize takes {client_id, redirect_uri, scope?, state?, code_challenge, code_challenge_method}");
  const text = (name: string, required: boolean): string | undefined => {
    const value = params[name];
    if (value === undefined || value === null) {
      if (required) throw invalid(`${name} is required`);
      return undefined;
    }
    if (typeof value !== "string" || value.length > AUTHORIZE_PARAM_CHARS_MAX || (required && value === "")) throw invalid(`${name} is text`);
    return value;
  };
  const request: AuthorizeRequest = {
    response_type: "code", client_id: text("client_id", true)!, redirect_uri: text("redirect_uri", true)!,
    code_challenge: text("code_challenge", true)!, code_challenge_method: text("code_challenge_method", true)!,
  };
  const scope = text("scope", false);
  const state = text("state", false);
  return { ...request, ...(scope === undefined ? {} : { scope }), ...(state === undefined ? {} : { state }) };
}

/** The code and state of the redirect URI that a granted authorization sends the browser to;
 * null where it has no code. */
export function authorizedOf(redirect: string): Authorized | null {
  let url: URL;
  try {
    url = new URL(redirect);
  } catch {
    return null;
  }
  const code = url.searchParams.get("code");
  if (!code) return null;
  const state = url.searchParams.get("state");
  return state === null ? { code } : { code, state };
}

const cancelled = (): BridgeError => ({ code: "cancelled", message: "the person said no" });

/** The error to answer for a handler's failure: its code and message where it has them. */
function errorOf(e: unknown): BridgeError {
  const code = e instanceof Error ? (e as Error & { code?: unknown }).code : undefined;
  if (e instanceof Error && typeof code === "string") return { code, message: e.message };
  return { code: "internal", message: "the client could not do it" };
}

/** Does one request and resolves with its answer; never rejects. */
export async function answer(request: BridgeRequest, handlers: BridgeHandlers): Promise<BridgeReply> {
  const reply = (result: unknown): BridgeReply => ({ magpie: "response", id: request.id, result });
  const fail = (error: BridgeError): BridgeReply => ({ magpie: "response", id: request.id, error });
  try {
    switch (request.method) {
      case "getUser":
        return reply(handlers.getUser());
      case "openChat":
        await handlers.openChat(chatTarget(request.params));
        return reply({});
      case "pickPeople": {
        const options = pickOptions(request.params);
        const picked = await handlers.pickPeople(options);
        return picked === null ? fail(cancelled()) : reply(picked.slice(0, options.max));
      }
      case "sendCard": {
        const { conversation, card } = cardParams(request.params);
        const sent = await handlers.sendCard(conversation, card);
        return sent === null ? fail(cancelled()) : reply({ seq: sent.seq });
      }
      case "authorize": {
        const granted = await handlers.authorize(authorizeParams(request.params));
        return granted === null ? fail(cancelled()) : reply(granted);
      }
      default:
        return fail({ code: "unknown_method", message: `no method ${request.method}; there are ${BRIDGE_METHODS.join(", ")}` });
    }
  } catch (e) {
    return fail(errorOf(e));
  }
}

/** The message event as the bridge reads it (a browser's MessageEvent is one). */
export interface BridgeEvent { data: unknown; origin: string; source: unknown }
/** Where answers go: the frame's window. */
export interface BridgeTarget { postMessage(message: unknown, targetOrigin: string): void }

/** The `message` listener of an app panel: it takes requests only from the app's frame (`frame()`,
 * its contentWindow) at the app's origin, and answers there. At most BRIDGE_PENDING_MAX requests
 * wait at once. */
export function bridgeListener(options: {
  frame: () => BridgeTarget | null | undefined; origin: string; handlers: BridgeHandlers;
}): (event: BridgeEvent) => void {
  let pending = 0;
  return (event) => {
    const frame = options.frame();
    if (!frame || event.source !== frame || event.origin !== options.origin) return;
    const request = readRequest(event.data);
    if (!request) return;
    const send = (reply: BridgeReply) => frame.postMessage(reply, options.origin);
    if (pending >= BRIDGE_PENDING_MAX) {
      send({ magpie: "response", id: request.id, error: { code: "limit_exceeded", message: `at most ${BRIDGE_PENDING_MAX} requests wait at once` } });
      return;
    }
    pending++;
    void answer(request, options.handlers).then((reply) => {
      pending--;
      send(reply);
    });
  };
}

/** The origin an app's page is served from, or null for a URL that is not http(s). */
export function appOrigin(url: string): string | null {
  try {
    const parsed = new URL(url);
    return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.origin : null;
  } catch {
    return null;
  }
}
