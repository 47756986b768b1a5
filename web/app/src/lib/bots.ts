// Bots (Administration → Bots, and Settings → My bots), their pure parts: what is wrong with a
// new bot, token, webhook or event subscription before the server is asked, what the server's
// refusals mean, the request a token's or a subscription's form makes, the conversations a scope
// names, the webhook's URL and the command that tries it, and a subscription's state.

import type {
  Bot, BotToken, CreateBotTokenRequest, CreateEventSubscriptionRequest, EventSubscription, TokenScope, WebhookEventKind,
} from "@magpie/sdk";
import { isLoginName } from "./accounts.ts";

/** Longest description of a bot, in characters (the server's bound). */
export const BOT_DESCRIPTION_CHARS_MAX = 512;
/** Longest display name, in characters. */
export const BOT_DISPLAY_NAME_CHARS_MAX = 64;
/** Most bots a member (not an administrator) owns. */
export const BOTS_PER_MEMBER_MAX = 10;
/** Longest name of a token or webhook, in characters. */
export const TOKEN_NAME_CHARS_MAX = 64;
/** Most conversations one token's scope names. */
export const SCOPE_CONVERSATIONS_MAX = 100;
/** Longest a token may live, in days (ten years). */
export const TOKEN_TTL_DAYS_MAX = 3653;

/** Characters as the server counts them (Unicode scalar values). */
export function charCount(text: string): number {
  return Array.from(text).length;
}

/** A field of the new-bot form and what is wrong with it, or what is wrong with the request as a
 * whole (`field: null`): members may not make bots here, the member has as many as they may, no
 * such domain. */
export type BotProblem =
  | { field: "name"; kind: "required" | "bad" | "taken" }
  | { field: "display_name"; kind: "bad" | "too_long"; max: number }
  | { field: "description"; kind: "bad" | "too_long"; max: number }
  | { field: null; kind: "forbidden" | "full" | "no_domain" };

/** What is wrong with a new bot's fields, before the server is asked; none: `null`. */
export function newBotProblem(name: string, displayName: string, description: string): BotProblem | null {
  const login = name.trim();
  if (!login) return { field: "name", kind: "required" };
  if (!isLoginName(login)) return { field: "name", kind: "bad" };
  if (charCount(displayName.trim()) > BOT_DISPLAY_NAME_CHARS_MAX) return { field: "display_name", kind: "too_long", max: BOT_DISPLAY_NAME_CHARS_MAX };
  if (charCount(description.trim()) > BOT_DESCRIPTION_CHARS_MAX) return { field: "description", kind: "too_long", max: BOT_DESCRIPTION_CHARS_MAX };
  return null;
}

function codeOf(e: unknown): unknown {
  return typeof e === "object" && e !== null && "code" in e ? (e as { code: unknown }).code : undefined;
}
function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : "";
}
function fieldOf(e: unknown): unknown {
  return typeof e === "object" && e !== null && "field" in e ? (e as { field: unknown }).field : undefined;
}

/** What the server's refusal of a new bot (or of a change to one) means, at the field it is
 * about; `null` for anything else (said as the server's error). */
export function botRefusal(e: unknown): BotProblem | null {
  const code = codeOf(e);
  const field = fieldOf(e);
  if (code === "already_exists") return { field: "name", kind: "taken" };
  if (code === "forbidden") return { field: null, kind: "forbidden" };
  if (code === "limit_exceeded") return { field: null, kind: "full" };
  if (code === "invalid_field" || code === "too_large") {
    if (field === "name") return { field: "name", kind: "bad" };
    if (field === "display_name") return { field: "display_name", kind: code === "too_large" ? "too_long" : "bad", max: BOT_DISPLAY_NAME_CHARS_MAX };
    if (field === "description") return { field: "description", kind: code === "too_large" ? "too_long" : "bad", max: BOT_DESCRIPTION_CHARS_MAX };
  }
  if (code === "not_found" && field === undefined) return { field: null, kind: "no_domain" };
  return null;
}

/** A bot's state as its list shows it. */
export function botState(bot: Pick<Bot, "disabled">): "active" | "disabled" {
  return bot.disabled ? "disabled" : "active";
}

/** The bots shown, with one put in place of the one of its account (or added, in order). */
export function withBot(shown: readonly Bot[] | null, bot: Bot): Bot[] {
  const list = (shown ?? []).filter((b) => b.account !== bot.account);
  list.push(bot);
  return list.sort((a, b) => (a.account < b.account ? -1 : a.account > b.account ? 1 : 0));
}

/** Conversation ids as typed: numbers apart by spaces or commas (`12, 15 20`). `null` when one
 * of them is no id. */
export function parseIds(text: string): number[] | null {
  const parts = text.split(/[\s,，、;；]+/).filter(Boolean);
  const ids: number[] = [];
  for (const part of parts) {
    if (!/^\d{1,15}$/.test(part) || Number(part) <= 0) return null;
    ids.push(Number(part));
  }
  return ids;
}

/** The new-token form as it is held. */
export interface TokenForm {
  name: string;
  /** Every conversation the bot is in, or only those chosen. */
  reach: "all" | "chosen";
  /** The groups ticked. */
  chosen: readonly number[];
  /** Other conversation ids, as typed. */
  ids: string;
  read: boolean;
  send: boolean;
  /** The days it lives, as typed (empty: until revoked). */
  days: string;
}

export const NEW_TOKEN_FORM: TokenForm = { name: "", reach: "all", chosen: [], ids: "", read: true, send: true, days: "" };

/** What is wrong with a token's (or a webhook's) form, at its field. */
export type TokenProblem =
  | { field: "name"; kind: "required" | "too_long"; max: number }
  | { field: "conversations"; kind: "none" | "bad" | "too_many"; max: number }
  | { field: "scope"; kind: "neither" }
  | { field: "days"; kind: "bad"; max: number };

/** A token's or webhook's name's problem, if any. */
export function tokenNameProblem(name: string): TokenProblem | null {
  if (!name.trim()) return { field: "name", kind: "required", max: TOKEN_NAME_CHARS_MAX };
  if (charCount(name.trim()) > TOKEN_NAME_CHARS_MAX) return { field: "name", kind: "too_long", max: TOKEN_NAME_CHARS_MAX };
  return null;
}

/** The request a token's form makes, or the first thing wrong with it. */
export function tokenRequestOf(form: TokenForm): { request: CreateBotTokenRequest } | { problem: TokenProblem } {
  const name = tokenNameProblem(form.name);
  if (name) return { problem: name };
  let conversations: number[] | undefined;
  if (form.reach === "chosen") {
    const typed = parseIds(form.ids);
    if (typed === null) return { problem: { field: "conversations", kind: "bad", max: SCOPE_CONVERSATIONS_MAX } };
    conversations = [...new Set([...form.chosen, ...typed])].sort((a, b) => a - b);
    if (conversations.length === 0) return { problem: { field: "conversations", kind: "none", max: SCOPE_CONVERSATIONS_MAX } };
    if (conversations.length > SCOPE_CONVERSATIONS_MAX) return { problem: { field: "conversations", kind: "too_many", max: SCOPE_CONVERSATIONS_MAX } };
  }
  if (!form.read && !form.send) return { problem: { field: "scope", kind: "neither" } };
  let ttlDays: number | undefined;
  if (form.days.trim()) {
    const days = form.days.trim();
    if (!/^\d+$/.test(days) || Number(days) < 1 || Number(days) > TOKEN_TTL_DAYS_MAX) return { problem: { field: "days", kind: "bad", max: TOKEN_TTL_DAYS_MAX } };
    ttlDays = Number(days);
  }
  return {
    request: {
      name: form.name.trim(), ...(conversations ? { conversations } : {}), read: form.read, send: form.send,
      ...(ttlDays !== undefined ? { ttl_days: ttlDays } : {}),
    },
  };
}

/** What the server's refusal of a token means, at its field; `null` for anything else. */
export function tokenRefusal(e: unknown): TokenProblem | null {
  const code = codeOf(e);
  const field = fieldOf(e);
  if (code !== "invalid_field" && code !== "too_large") return null;
  if (field === "name") return { field: "name", kind: "too_long", max: TOKEN_NAME_CHARS_MAX };
  if (field === "conversations") {
    // Too many is `too_large` from older servers, `invalid_field` saying "at most" from newer ones.
    const many = code === "too_large" || /at most/i.test(messageOf(e));
    return { field: "conversations", kind: many ? "too_many" : "none", max: SCOPE_CONVERSATIONS_MAX };
  }
  if (field === "scope") return { field: "scope", kind: "neither" };
  if (field === "ttl_days") return { field: "days", kind: "bad", max: TOKEN_TTL_DAYS_MAX };
  return null;
}

/** What a token may do, in short. */
export function scopePowers(scope: Pick<TokenScope, "read" | "send">): "read_send" | "read" | "send" {
  return scope.read && scope.send ? "read_send" : scope.read ? "read" : "send";
}

/** Whether a token has passed its time (one without an expiry never does). */
export function tokenExpired(token: Pick<BotToken, "expires_at_ms">, nowMs: number): boolean {
  return token.expires_at_ms !== undefined && token.expires_at_ms <= nowMs;
}

/** A webhook's full URL, on this server's origin. */
export function webhookUrl(origin: string, path: string): string {
  return `${origin.replace(/\/+$/, "")}${path}`;
}

/** The command that posts "hello" to a webhook, for trying it from a terminal. */
export function curlExample(url: string): string {
  return `curl -X POST -H 'Content-Type: application/json' -d '{"text":"hello"}' ${url}`;
}

// ---- Event subscriptions (outgoing webhooks) ---------------------------------------------------

/** The kinds of events a subscription names, in the order the form offers them. */
export const WEBHOOK_EVENT_KINDS: readonly WebhookEventKind[] = ["message", "mention", "member", "update", "card_action", "command"];
/** Most event subscriptions of one bot (the server's bound). */
export const SUBSCRIPTIONS_PER_BOT_MAX = 10;
/** Longest URL of a subscription, in bytes of UTF-8 (the server's bound). */
export const SUBSCRIPTION_URL_BYTES_MAX = 2048;

/** What is wrong with a new subscription, at its field; or with the request as a whole
 * (`field: null`): the bot has as many as it may, or the server sends no webhooks. `refused`
 * carries the server's reason (an address that is not public, say). */
export type SubscriptionProblem =
  | { field: "url"; kind: "required" | "scheme" | "too_long" | "credentials"; max: number }
  | { field: "url"; kind: "refused"; why: string }
  | { field: "events"; kind: "none" }
  | { field: null; kind: "full" | "unavailable"; max: number };

/** The request a subscription's form makes, or the first thing wrong with it: a URL that starts
 * with http:// or https://, within the server's length, without a user name or password; and at
 * least one kind of event (sent in the form's order). */
export function subscriptionRequestOf(url: string, events: readonly WebhookEventKind[]): { request: CreateEventSubscriptionRequest } | { problem: SubscriptionProblem } {
  const trimmed = url.trim();
  const max = SUBSCRIPTION_URL_BYTES_MAX;
  if (!trimmed) return { problem: { field: "url", kind: "required", max } };
  if (!/^https?:\/\/[^\s/?#]/i.test(trimmed)) return { problem: { field: "url", kind: "scheme", max } };
  if (new TextEncoder().encode(trimmed).length > max) return { problem: { field: "url", kind: "too_long", max } };
  let parsed: URL | null = null;
  try { parsed = new URL(trimmed); } catch { /* the server says why */ }
  if (parsed && (parsed.username || parsed.password)) return { problem: { field: "url", kind: "credentials", max } };
  const chosen = WEBHOOK_EVENT_KINDS.filter((k) => events.includes(k));
  if (chosen.length === 0) return { problem: { field: "events", kind: "none" } };
  return { request: { url: trimmed, events: chosen } };
}

/** What the server's refusal of a subscription means, at its field; `null` for anything else. */
export function subscriptionRefusal(e: unknown): SubscriptionProblem | null {
  const code = codeOf(e);
  const field = fieldOf(e);
  // The server's message names the field first ("url: 10.0.0.5 is not a public address").
  if (code === "invalid_field" && field === "url") return { field: "url", kind: "refused", why: messageOf(e).replace(/^url:\s*/, "") };
  if (code === "invalid_field" && field === "events") return { field: "events", kind: "none" };
  if (code === "limit_exceeded") return { field: null, kind: "full", max: SUBSCRIPTIONS_PER_BOT_MAX };
  if (code === "unavailable") return { field: null, kind: "unavailable", max: SUBSCRIPTIONS_PER_BOT_MAX };
  return null;
}

/** A subscription's state as its list shows it: enabled, disabled by its failures (its
 * `disabled_at_ms` says when), or disabled by a person. */
export function subscriptionState(s: Pick<EventSubscription, "enabled" | "disabled_at_ms">): "enabled" | "failed" | "disabled" {
  if (s.enabled) return "enabled";
  return s.disabled_at_ms !== undefined ? "failed" : "disabled";
}

/** The subscriptions shown, with one put in place of the one of its id (or added last, as the
 * newest). A secret that came with it is left out: it is shown once, never kept in the list. */
export function withSubscription(shown: readonly EventSubscription[] | null, issued: EventSubscription & { secret?: string }): EventSubscription[] {
  const { secret: _secret, ...sub } = issued;
  const list = [...(shown ?? [])];
  const at = list.findIndex((s) => s.id === sub.id);
  if (at === -1) list.push(sub);
  else list[at] = sub;
  return list;
}
