// The leave-approval app's H5 page, for Magpie's workbench, and how it learns who its user is.
//
// The page (`GET /app`, with its script and style as files of their own so that a strict CSP
// holds) is a form: the first day, the number of days, the reason. Who applies is never what the
// page says: it is the account that Magpie names, with OAuth 2.0's code grant and PKCE (S256), in
// one of two ways:
//
// - Inside the workbench (the page in Magpie's frame): the page asks this server for a fresh
//   challenge and state (`POST /app/login/start`), asks Magpie around it for a code with the
//   bridge (`magpie.authorize`, which asks the person's consent itself), and gives the code to
//   this server (`POST /app/login/finish`).
// - In a tab of its own: `GET /app` without a session sends the browser to Magpie's consent page
//   (`/oauth/authorize`), which sends it back to `GET /oauth/callback` with a code.
//
// Either way this server exchanges the code at Magpie's `/oauth/token` with its client secret
// and the verifier it kept, asks `/v1/me` with the access token whose it is, gives the token back
// (`/oauth/revoke`: the app needs nothing more of the account) and keeps a session, in memory,
// behind an HttpOnly cookie. Everything a client can make it keep is bounded: request bodies,
// sessions, the logins under way (which also expire).

import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";

export interface Person { account: string; name: string }

/** A leave request as the form sends it, checked. */
export interface LeaveForm { from: string; days: number; reason: string }

/** A request as its applicant sees it in the page's list. */
export interface RequestView {
  id: string;
  from: string;
  days: number;
  reason: string;
  state: "pending" | "approved" | "rejected";
  manager: Person;
  decidedBy?: Person;
  note?: string;
  createdAtMs: number;
}

/** What filing a request came to. */
export type Filed =
  | { id: string; manager: Person }
  | { refused: "no_manager" | "too_many_pending" | "busy" };

export interface WorkbenchOptions {
  /** Magpie's base URL, without a trailing slash; the browser reaches it there too. */
  magpie: string;
  /** Where the browser reaches this app, without a trailing slash. */
  publicUrl: string;
  /** The app's OAuth 2.0 client, or null while it has none (then the page says so). */
  client(): { id: string; secret: string } | null;
  /** Files a request for `applicant` (as /leave does). */
  file(applicant: Person, form: LeaveForm): Promise<Filed>;
  /** `account`'s requests, newest first. */
  requestsOf(account: string): RequestView[];
}

export interface Workbench {
  /** Whether a path is the page's (then `handle` answers it). */
  owns(path: string): boolean;
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

/** The largest body the page's requests may have. */
export const PAGE_BODY_BYTES_MAX = 16 * 1024;
/** Sessions kept at most (the oldest goes first), and how long one lasts. */
export const SESSIONS_MAX = 10_000;
export const SESSION_TTL_SECS = 12 * 60 * 60;
/** Logins under way kept at most (the oldest goes first), and how long one may take. */
export const LOGINS_MAX = 1_000;
export const LOGIN_TTL_SECS = 10 * 60;
/** How long a call to Magpie may take. */
const MAGPIE_TIMEOUT_MS = 10_000;
/** The most requests the list shows. */
const LIST_MAX = 50;
const REASON_CHARS_MAX = 200;
export const DAYS_MAX = 30;

const SESSION_COOKIE = "leave_session";
const LOGIN_COOKIE = "leave_login";

/** A map whose entries expire, holding at most `max` (past that the oldest goes). */
export class Expiring<V> {
  readonly #entries = new Map<string, { value: V; expiresMs: number }>();
  readonly #max: number;
  readonly #ttlMs: number;
  readonly #now: () => number;

  constructor(max: number, ttlSecs: number, now: () => number = Date.now) {
    this.#max = max;
    this.#ttlMs = ttlSecs * 1000;
    this.#now = now;
  }

  get size(): number {
    return this.#entries.size;
  }

  put(key: string, value: V): void {
    const now = this.#now();
    // Insertion order is expiry order: the expired ones are at the front.
    for (const [k, e] of this.#entries) {
      if (e.expiresMs > now) break;
      this.#entries.delete(k);
    }
    while (this.#entries.size >= this.#max) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) break;
      this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, { value, expiresMs: now + this.#ttlMs });
  }

  get(key: string): V | undefined {
    const e = this.#entries.get(key);
    if (!e) return undefined;
    if (e.expiresMs <= this.#now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return e.value;
  }

  /** The value, once: it is gone after. */
  take(key: string): V | undefined {
    const value = this.get(key);
    this.#entries.delete(key);
    return value;
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }
}

/** A PKCE pair (RFC 7636): the verifier kept here, its S256 challenge sent with the browser. */
export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

/** The form's fields, checked, or which is wrong and why. Fields it does not know (an
 * `applicant`, say) are not read: who applies is the session's. */
export function readLeave(body: unknown): LeaveForm | { field: string; message: string } {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return { field: "", message: "请求不是一个对象 The request is not a JSON object." };
  }
  const { from, days, reason } = body as Record<string, unknown>;
  if (typeof from !== "string" || !isDate(from)) {
    return { field: "from", message: "开始日期不对 The start date is not a date (YYYY-MM-DD)." };
  }
  if (typeof days !== "number" || !Number.isInteger(days) || days < 1 || days > DAYS_MAX) {
    return { field: "days", message: `天数不对 The number of days must be a whole number from 1 to ${DAYS_MAX}.` };
  }
  if (reason !== undefined && reason !== null && typeof reason !== "string") {
    return { field: "reason", message: "事由不对 The reason must be text." };
  }
  // One line: the card shows it as a field's value.
  const text = (reason ?? "").replace(/\s+/g, " ").trim();
  if ([...text].length > REASON_CHARS_MAX) {
    return { field: "reason", message: `事由太长 The reason is longer than ${REASON_CHARS_MAX} characters.` };
  }
  // Control characters (other than the white space made spaces above) have no place in it.
  if (/[\p{Cc}\p{Cf}]/u.test(text.replace(/\u200d/g, ""))) {
    return { field: "reason", message: "事由含有不可见字符 The reason has invisible control characters." };
  }
  return { from, days, reason: text };
}

/** A day of the calendar, `YYYY-MM-DD` (not 2026-02-30). */
export function isDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const day = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(day.getTime()) && day.toISOString().slice(0, 10) === text;
}

/** The cookies of a request, by name (the first of a name wins). */
export function cookiesOf(req: IncomingMessage): Map<string, string> {
  const found = new Map<string, string>();
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const at = part.indexOf("=");
    if (at < 0) continue;
    const name = part.slice(0, at).trim();
    if (name && !found.has(name)) found.set(name, part.slice(at + 1).trim());
  }
  return found;
}

function header(req: IncomingMessage, name: string): string {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] ?? "" : value ?? "";
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

class Refused extends Error {
  readonly status: number;
  readonly code: string;
  readonly field: string | undefined;
  constructor(status: number, code: string, message: string, field?: string) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

/** The page's files, read once. */
function assets(): { html: string; js: string; css: string } {
  const read = (name: string) => readFileSync(new URL(`../public/${name}`, import.meta.url), "utf8");
  return { html: read("app.html"), js: read("app.js"), css: read("app.css") };
}

export function workbench(options: WorkbenchOptions): Workbench {
  const magpie = options.magpie;
  const magpieOrigin = new URL(magpie).origin;
  const publicUrl = options.publicUrl;
  const publicOrigin = new URL(publicUrl).origin;
  /** The path the browser sees this app under (a proxy may put it below a prefix). */
  const prefix = new URL(publicUrl).pathname.replace(/\/+$/, "");
  const secure = new URL(publicUrl).protocol === "https:";
  const pageUrl = `${publicUrl}/app`;
  const redirectUri = `${publicUrl}/oauth/callback`;
  const files = assets();
  const html = files.html.replaceAll("{{BRIDGE}}", escapeHtml(`${magpie}/v1/apps/bridge.js`));

  const sessions = new Expiring<Person>(SESSIONS_MAX, SESSION_TTL_SECS);
  const logins = new Expiring<{ verifier: string; via: "bridge" | "redirect" }>(LOGINS_MAX, LOGIN_TTL_SECS);

  // In a frame of Magpie's (another site), the cookie is a third party's: SameSite=None, which
  // browsers take only with Secure, and Partitioned (CHIPS), so that browsers that block third
  // parties' cookies keep it for this app inside Magpie. Over plain http (a test on loopback,
  // where Magpie and the app are the same site) SameSite=None is refused: Lax then.
  const sameSite = secure ? "SameSite=None; Secure; Partitioned" : "SameSite=Lax";
  const sessionCookie = (value: string, maxAge: number) =>
    `${SESSION_COOKIE}=${value}; Path=${prefix || "/"}; HttpOnly; Max-Age=${maxAge}; ${sameSite}`;
  // The login of the redirect flow is tied to the browser that started it: the callback comes
  // back by a top-level navigation, which takes a Lax cookie along.
  const loginCookie = (value: string, maxAge: number) =>
    `${LOGIN_COOKIE}=${value}; Path=${prefix}/oauth/callback; HttpOnly; Max-Age=${maxAge}; SameSite=Lax${secure ? "; Secure" : ""}`;

  const csp = [
    "default-src 'none'",
    `script-src 'self' ${magpieOrigin}`,
    "style-src 'self'",
    "connect-src 'self'",
    "img-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    // Only Magpie shows it in a frame.
    `frame-ancestors ${magpieOrigin}`,
  ].join("; ");
  const pageHeaders = {
    "Content-Security-Policy": csp,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
  };

  const sessionOf = (req: IncomingMessage): Person | undefined => {
    const id = cookiesOf(req).get(SESSION_COOKIE);
    return id ? sessions.get(id) : undefined;
  };

  const json = (res: ServerResponse, status: number, body?: unknown, headers: Record<string, string | string[]> = {}) => {
    res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store", ...headers });
    res.end(body === undefined ? "" : JSON.stringify(body));
  };

  const notice = (res: ServerResponse, status: number, title: string, text: string, again: boolean) => {
    res.writeHead(status, { "Content-Type": "text/html; charset=utf-8", ...pageHeaders, "Set-Cookie": loginCookie("", 0) });
    res.end(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><link rel="stylesheet" href="${escapeHtml(`${pageUrl}/app.css`)}"></head>
<body><main class="notice-page"><h1>${escapeHtml(title)}</h1><p data-testid="notice">${escapeHtml(text)}</p>
${again ? `<p><a class="button" href="${escapeHtml(`${pageUrl}/login`)}">重新登录 Sign in again</a></p>` : ""}</main></body></html>`);
  };

  /** Starts a login: its state, and the challenge of the verifier kept under it. */
  const startLogin = (via: "bridge" | "redirect") => {
    const state = randomBytes(24).toString("base64url");
    const { verifier, challenge } = pkce();
    logins.put(state, { verifier, via });
    return { state, challenge };
  };

  /** The code for a token, the token for the person it is of; then the token is given back. */
  const exchange = async (code: string, verifier: string): Promise<Person> => {
    const client = options.client();
    if (!client) throw new Refused(503, "not_configured", "请假应用还没有安装到工作台 The app is not set up as a workbench app yet.");
    const credentials = { client_id: client.id, client_secret: client.secret };
    const form = { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" };
    const answer = await fetch(`${magpie}/oauth/token`, {
      method: "POST",
      headers: form,
      body: new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: redirectUri, code_verifier: verifier, ...credentials }),
      signal: AbortSignal.timeout(MAGPIE_TIMEOUT_MS),
    });
    const token = (await answer.json().catch(() => null)) as { access_token?: unknown; error?: unknown; error_description?: unknown } | null;
    if (!answer.ok || typeof token?.access_token !== "string") {
      console.error(`leave-approval: /oauth/token answered ${answer.status}: ${String(token?.error ?? "")} ${String(token?.error_description ?? "")}`);
      throw new Refused(400, "login_failed", "Magpie 没有确认你的身份，请重新登录 Magpie did not confirm who you are: sign in again.");
    }
    const access = token.access_token;
    try {
      const me = await fetch(`${magpie}/v1/me`, {
        headers: { Authorization: `Bearer ${access}` },
        signal: AbortSignal.timeout(MAGPIE_TIMEOUT_MS),
      });
      const profile = (await me.json().catch(() => null)) as { account?: unknown; display_name?: unknown } | null;
      if (!me.ok || typeof profile?.account !== "string") {
        console.error(`leave-approval: /v1/me answered ${me.status}`);
        throw new Refused(502, "login_failed", "Magpie 没有说你是谁，请重新登录 Magpie did not say who you are: sign in again.");
      }
      const name = typeof profile.display_name === "string" && profile.display_name ? profile.display_name : profile.account.split("@")[0] ?? profile.account;
      return { account: profile.account, name };
    } finally {
      // The app needs nothing more of the account: it gives the token (and its pair) back.
      await fetch(`${magpie}/oauth/revoke`, {
        method: "POST",
        headers: form,
        body: new URLSearchParams({ token: access, ...credentials }),
        signal: AbortSignal.timeout(MAGPIE_TIMEOUT_MS),
      }).catch((e: unknown) => console.error("leave-approval: could not revoke a token:", e));
    }
  };

  /** A new session for `person`: its cookie. */
  const signIn = (person: Person): string => {
    const id = randomBytes(32).toString("base64url");
    sessions.put(id, person);
    return sessionCookie(id, SESSION_TTL_SECS);
  };

  /** A POST of the page's: from its own origin, JSON, small. */
  const readJson = async (req: IncomingMessage): Promise<Record<string, unknown>> => {
    // Another site's page cannot make the browser post here with the person's cookie: browsers
    // send Origin with every POST, and no form sends JSON.
    const origin = header(req, "origin");
    if (origin && origin !== publicOrigin) throw new Refused(403, "forbidden", "只接受本应用页面的请求 Only the app's own page may ask this.");
    if (!/^application\/json\s*(;|$)/i.test(header(req, "content-type"))) {
      throw new Refused(415, "unsupported_media_type", "请发送 JSON Send application/json.");
    }
    const declared = Number(header(req, "content-length") || "0");
    if (declared > PAGE_BODY_BYTES_MAX) throw new Refused(413, "too_large", "请求太大 The request is too large.");
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > PAGE_BODY_BYTES_MAX) throw new Refused(413, "too_large", "请求太大 The request is too large.");
      chunks.push(chunk as Buffer);
    }
    const text = Buffer.concat(chunks).toString("utf8");
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      throw new Refused(400, "bad_json", "请求不是 JSON The request is not JSON.");
    }
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      throw new Refused(400, "bad_json", "请求不是一个对象 The request is not a JSON object.");
    }
    return body as Record<string, unknown>;
  };

  const needSession = (req: IncomingMessage): Person => {
    const person = sessionOf(req);
    if (!person) throw new Refused(401, "unauthenticated", "请先登录 Sign in first.");
    return person;
  };

  /** `GET /app/login`: to Magpie's consent page, with a challenge and a state tied to this browser. */
  const toConsent = (res: ServerResponse) => {
    const client = options.client();
    if (!client) return notice(res, 503, "请假 Leave", "请假应用还没有安装到工作台 The app is not set up as a workbench app yet.", false);
    const { state, challenge } = startLogin("redirect");
    const to = new URL(`${magpie}/oauth/authorize`);
    for (const [name, value] of Object.entries({
      response_type: "code", client_id: client.id, redirect_uri: redirectUri, scope: "profile", state,
      code_challenge: challenge, code_challenge_method: "S256",
    })) to.searchParams.set(name, value);
    res.writeHead(302, { Location: to.toString(), "Cache-Control": "no-store", "Set-Cookie": loginCookie(state, LOGIN_TTL_SECS) }).end();
  };

  /** `GET /oauth/callback`: Magpie sends the browser back, with a code or a refusal. */
  const callback = async (req: IncomingMessage, res: ServerResponse, query: URLSearchParams) => {
    const state = query.get("state") ?? "";
    const login = state ? logins.take(state) : undefined;
    const error = query.get("error");
    if (error === "access_denied") {
      return notice(res, 403, "没有登录 Not signed in",
        "你没有允许请假应用知道你是谁，所以没有登录。 You did not allow the leave app to know who you are, so you are not signed in.", true);
    }
    if (error) {
      return notice(res, 400, "没有登录 Not signed in", `Magpie 拒绝了登录（${error.slice(0, 64)}） Magpie refused the sign-in (${error.slice(0, 64)}).`, true);
    }
    const bound = cookiesOf(req).get(LOGIN_COOKIE) === state;
    const code = query.get("code") ?? "";
    if (!login || login.via !== "redirect" || !bound || !code || code.length > 512) {
      return notice(res, 400, "没有登录 Not signed in",
        "这次登录已过期，或不是在这个浏览器开始的。 This sign-in has expired or was not started in this browser.", true);
    }
    let person: Person;
    try {
      person = await exchange(code, login.verifier);
    } catch (e) {
      if (e instanceof Refused) return notice(res, e.status, "没有登录 Not signed in", e.message, true);
      console.error("leave-approval:", e);
      return notice(res, 502, "没有登录 Not signed in", "暂时连不上 Magpie，请稍后再试 Magpie cannot be reached just now: try again later.", true);
    }
    res.writeHead(303, {
      Location: `${pageUrl}?login=done`,
      "Cache-Control": "no-store",
      "Set-Cookie": [signIn(person), loginCookie("", 0)],
    }).end();
  };

  const routes: Record<string, (req: IncomingMessage, res: ServerResponse, query: URLSearchParams) => void | Promise<void>> = {
    "GET /app": (req, res, query) => {
      // Opened in a tab of its own, without a session: to Magpie's consent page first. In a frame
      // (Sec-Fetch-Dest: iframe, or a browser that does not say) the page signs in by the bridge,
      // or, in a tab after all, sends the browser to /app/login itself.
      if (!sessionOf(req) && header(req, "sec-fetch-dest") === "document" && !query.has("login") && options.client()) {
        return toConsent(res);
      }
      res.writeHead(200, { "Content-Type": "text/html; charset=utf-8", ...pageHeaders }).end(html);
    },
    "GET /app/": (_req, res) => void res.writeHead(308, { Location: pageUrl }).end(),
    "GET /app/app.js": (_req, res) =>
      void res.writeHead(200, { "Content-Type": "text/javascript; charset=utf-8", "X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache" }).end(files.js),
    "GET /app/app.css": (_req, res) =>
      void res.writeHead(200, { "Content-Type": "text/css; charset=utf-8", "X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache" }).end(files.css),
    "GET /app/login": (_req, res) => toConsent(res),
    "GET /oauth/callback": callback,
    "GET /app/me": (req, res) => json(res, 200, needSession(req)),
    "GET /app/requests": (req, res) => {
      const person = needSession(req);
      json(res, 200, { requests: options.requestsOf(person.account).slice(0, LIST_MAX) });
    },
    "POST /app/login/start": async (req, res) => {
      await readJson(req);
      const client = options.client();
      if (!client) throw new Refused(503, "not_configured", "请假应用还没有安装到工作台 The app is not set up as a workbench app yet.");
      const { state, challenge } = startLogin("bridge");
      json(res, 200, {
        client_id: client.id, redirect_uri: redirectUri, scope: "profile", state,
        code_challenge: challenge, code_challenge_method: "S256",
      });
    },
    "POST /app/login/finish": async (req, res) => {
      const { code, state } = await readJson(req);
      if (typeof code !== "string" || !code || code.length > 512) throw new Refused(422, "invalid_field", "code 不对 Bad code.", "code");
      if (typeof state !== "string" || !state || state.length > 256) throw new Refused(422, "invalid_field", "state 不对 Bad state.", "state");
      const login = logins.take(state);
      if (!login || login.via !== "bridge") {
        throw new Refused(400, "login_expired", "这次登录已过期，请重试 This sign-in has expired: try again.", "state");
      }
      const person = await exchange(code, login.verifier);
      json(res, 200, person, { "Set-Cookie": signIn(person) });
    },
    "POST /app/logout": async (req, res) => {
      await readJson(req);
      const id = cookiesOf(req).get(SESSION_COOKIE);
      if (id) sessions.delete(id);
      json(res, 204, undefined, { "Set-Cookie": sessionCookie("", 0) });
    },
    "POST /app/leave": async (req, res) => {
      const body = await readJson(req);
      // The applicant is the session's, whatever the page sends.
      const applicant = needSession(req);
      const form = readLeave(body);
      if ("field" in form) throw new Refused(422, "invalid_field", form.message, form.field);
      const filed = await options.file(applicant, form);
      if ("refused" in filed) {
        if (filed.refused === "no_manager") {
          throw new Refused(409, "no_manager", "你还没有直属上级，请联系管理员设置。 You have no manager yet: ask an administrator to set one.");
        }
        if (filed.refused === "too_many_pending") {
          throw new Refused(429, "too_many_pending", "待审批的申请太多了 You have too many requests waiting for a decision.");
        }
        throw new Refused(503, "busy", "请假应用太忙，请稍后再试 The app is busy: try again later.");
      }
      json(res, 201, filed);
    },
  };

  return {
    owns: (path) => path === "/app" || path.startsWith("/app/") || path === "/oauth/callback",
    async handle(req, res) {
      const url = new URL(req.url ?? "/", "http://app.invalid");
      const route = routes[`${req.method} ${url.pathname}`];
      if (!route) {
        const known = Object.keys(routes).some((r) => r.endsWith(` ${url.pathname}`));
        return json(res, known ? 405 : 404, { error: { code: known ? "method_not_allowed" : "not_found", message: "Not here." } });
      }
      try {
        await route(req, res, url.searchParams);
      } catch (e) {
        if (e instanceof Refused) {
          return json(res, e.status, { error: { code: e.code, message: e.message, ...(e.field ? { field: e.field } : {}) } });
        }
        // What went wrong with Magpie stays in the log; the page gets a word.
        console.error("leave-approval:", e);
        return json(res, 502, { error: { code: "upstream", message: "请假应用暂时无法完成，请稍后再试 The app could not finish this: try again later." } });
      }
    },
  };
}
