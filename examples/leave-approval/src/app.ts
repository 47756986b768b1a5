// A leave-approval app for Magpie, written only against its public HTTP API.
//
// A member types `/leave 2026-12-10 2 family trip` in any conversation with the app's bot. The
// app looks up the member's manager in the organisation, sends the manager an approval card in a
// direct chat with the bot, and tells the member, privately, that it was sent. The manager
// approves or rejects on the card (with a note); the app answers with the decided card, which
// Magpie puts on every device of the manager, and tells the member in a direct chat.
//
// Magpie calls the app at one URL for both: the `command` and `card_action` events of the bot's
// event subscription. Each request is signed (X-Magpie-Signature over X-Magpie-Timestamp and the
// body, with the subscription's secret); the app believes nothing else. The requests are kept in
// memory: a real app keeps them in its database.
//
// The same app is also a workbench app (workbench.ts): a form at `GET /app` that Magpie's
// workbench opens in a frame, whose applicant signs in with OAuth 2.0 and PKCE; it files the
// request as /leave does. That needs the app's OAuth client (`clientId`, `clientSecret`), which
// Magpie's administrator gets by installing it.

import { createHmac, timingSafeEqual, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { workbench, type Filed, type LeaveForm, type Person, type RequestView } from "./workbench.ts";

export interface LeaveAppOptions {
  /** Magpie's base URL, `https://chat.example.com`. */
  magpie: string;
  /** The bot's token (read and send, every conversation). */
  token: string;
  /** The signing secret of the bot's subscription (`whsec_…`). */
  secret: string;
  host?: string;
  /** 0: any free port. */
  port?: number;
  /** The workbench app's OAuth 2.0 client (installed by an administrator, see README.md); without
   * one, the app is /leave only and its page says it is not set up. */
  clientId?: string;
  clientSecret?: string;
  /** Where people's browsers reach the app, e.g. `https://leave.example.com`; by default the
   * address it listens on. */
  publicUrl?: string;
}

export interface LeaveApp {
  /** Where Magpie is to POST the bot's events. */
  url: string;
  /** The workbench app's page: the URL to install it with (`<publicUrl>/app`). */
  pageUrl: string;
  /** Its OAuth 2.0 redirect URI, to install it with (`<publicUrl>/oauth/callback`). */
  redirectUri: string;
  /** Believes requests signed with `secret` from now on (after the subscription's secret was
   * rotated, or once it is made for this URL). */
  useSecret(secret: string): void;
  /** Signs people in with this OAuth 2.0 client from now on (once the app is installed where its
   * URL is known only after it started, or after its secret was rotated). */
  useClient(clientId: string, clientSecret: string): void;
  /** The requests, by id, as they are now. */
  requests: Map<string, LeaveRequest>;
  close(): Promise<void>;
}

export interface LeaveRequest {
  id: string;
  applicant: { account: string; name: string };
  manager: string;
  /** The manager's name, as Magpie shows it. */
  managerName?: string;
  from: string;
  days: number;
  reason: string;
  createdAtMs?: number;
  /** The approval card: its conversation and seq. */
  card: { conversation: number; seq: number };
  decision?: { approved: boolean; by: { account: string; name: string }; note: string };
}

/** How old a request may be (seconds), as Magpie documents it: older ones are replays. */
const REPLAY_WINDOW_SECS = 300;
/** The longest request body read (Magpie's are far smaller). */
const BODY_BYTES_MAX = 1024 * 1024;
/** Requests kept at most, and undecided requests of one applicant at most, filed from the page. */
const REQUESTS_MAX = 10_000;
const PENDING_PER_APPLICANT_MAX = 20;
const USAGE = "用法 Usage: `/leave YYYY-MM-DD 天数days [事由 reason]`, e.g. `/leave 2026-12-10 2 family trip`";

export async function startLeaveApp(options: LeaveAppOptions): Promise<LeaveApp> {
  const base = options.magpie.replace(/\/+$/, "");
  const requests = new Map<string, LeaveRequest>();
  let secret = options.secret;
  let client = options.clientId && options.clientSecret ? { id: options.clientId, secret: options.clientSecret } : null;

  /** Calls Magpie as the bot; throws with Magpie's error message on anything but 2xx. */
  async function magpie<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(base + path, {
      method,
      headers: { Authorization: `Bearer ${options.token}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) {
      const message = (() => { try { return JSON.parse(text).error?.message as string; } catch { return text; } })();
      throw new Error(`${method} ${path}: ${res.status} ${message}`);
    }
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** The direct chat of the bot and `account`, opened if need be. */
  async function directChat(account: string): Promise<number> {
    const chat = await magpie<{ id: number }>("POST", "/v1/conversations", { kind: "direct", peer: account });
    return chat.id;
  }

  async function say(account: string, text: string): Promise<void> {
    const conversation = await directChat(account);
    await magpie("POST", `/v1/conversations/${conversation}/messages`, {
      client_msg_id: `leave-${randomUUID()}`, kind: "markdown", body: { text },
    });
  }

  /** Files a request: finds the applicant's manager in the organisation and sends them the card. */
  async function file(applicant: Person, leave: LeaveForm): Promise<LeaveRequest | "no_manager"> {
    const placement = await magpie<{ manager?: string }>("GET", `/v1/org/people/${encodeURIComponent(applicant.account)}`);
    if (!placement.manager) return "no_manager";
    const managerName = await magpie<{ display_name?: string }>("GET", `/v1/accounts/${encodeURIComponent(placement.manager)}`)
      .then((p) => p.display_name || undefined, () => undefined);
    const id = randomUUID().slice(0, 8);
    const request: Omit<LeaveRequest, "card"> = {
      id, applicant: { account: applicant.account, name: applicant.name }, manager: placement.manager,
      ...(managerName ? { managerName } : {}), ...leave, createdAtMs: Date.now(),
    };
    const conversation = await directChat(placement.manager);
    const sent = await magpie<{ seq: number }>("POST", `/v1/conversations/${conversation}/messages`, {
      client_msg_id: `leave-card-${id}`, kind: "card", body: card(request),
    });
    const filed = { ...request, card: { conversation, seq: sent.seq } };
    requests.set(id, filed);
    return filed;
  }

  async function onCommand(event: CommandEvent): Promise<object> {
    if (event.command !== "/leave") return { text: `不认识的命令 Unknown command ${event.command}` };
    const parsed = parse(event.text);
    if (typeof parsed === "string") return { text: `${parsed}\n\n${USAGE}` };
    const filed = await file(event.user, parsed);
    if (filed === "no_manager") {
      return { text: "你还没有直属上级，请联系管理员设置。 You have no manager yet: ask an administrator to set one." };
    }
    return { text: `已提交给上级审批（#${filed.id}）。 Sent to your manager for approval (#${filed.id}).` };
  }

  /** The form's request, from the workbench page: bounded per applicant and in all. */
  async function fileFromPage(applicant: Person, leave: LeaveForm): Promise<Filed> {
    let pending = 0;
    for (const r of requests.values()) if (r.applicant.account === applicant.account && !r.decision) pending++;
    if (pending >= PENDING_PER_APPLICANT_MAX) return { refused: "too_many_pending" };
    if (requests.size >= REQUESTS_MAX) return { refused: "busy" };
    const filed = await file(applicant, leave);
    if (filed === "no_manager") return { refused: "no_manager" };
    return { id: filed.id, manager: { account: filed.manager, name: filed.managerName ?? filed.manager.split("@")[0] ?? filed.manager } };
  }

  /** The requests of `account`, newest first, as the page lists them. */
  function requestsOf(account: string): RequestView[] {
    const mine = [...requests.values()].filter((r) => r.applicant.account === account).reverse();
    return mine.map((r) => ({
      id: r.id,
      from: r.from,
      days: r.days,
      reason: r.reason,
      state: r.decision ? (r.decision.approved ? "approved" : "rejected") : "pending",
      manager: { account: r.manager, name: r.managerName ?? r.manager.split("@")[0] ?? r.manager },
      ...(r.decision ? { decidedBy: r.decision.by, ...(r.decision.note ? { note: r.decision.note } : {}) } : {}),
      createdAtMs: r.createdAtMs ?? 0,
    }));
  }

  async function onCardAction(event: CardActionEvent): Promise<object> {
    const request = requests.get(event.action.value ?? "");
    if (!request) return { toast: "这个申请已不存在 This request is gone" };
    // Decided already (a second press, from another device): the card shows it, or soon will.
    if (request.decision) return { toast: "已经处理过了 Already decided" };
    if (event.user.account !== request.manager) return { toast: "只有审批人可以处理 Only the approver decides" };
    const approved = event.action.id === "approve";
    request.decision = { approved, by: event.user, note: (event.inputs.note ?? "").trim() };
    // Tell the applicant once the answer is on its way.
    setImmediate(() => {
      const verdict = approved ? "已同意 approved" : "已驳回 rejected";
      const note = request.decision?.note ? `\n\n> ${request.decision.note}` : "";
      say(request.applicant.account,
        `你的请假申请（${request.from} 起 ${request.days} 天）${verdict} — ${event.user.name}. ` +
        `Your leave from ${request.from} (${request.days} day${request.days === 1 ? "" : "s"}) was ${approved ? "approved" : "rejected"} by ${event.user.name}.${note}`,
      ).catch((e: unknown) => console.error("could not tell the applicant:", e));
    });
    return { update: card(request), toast: approved ? "已同意 Approved" : "已驳回 Rejected" };
  }

  const host = options.host ?? "127.0.0.1";
  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((done) => server.listen(options.port ?? 0, host, done));
  const address = server.address() as AddressInfo;
  const own = `http://${host.includes(":") ? `[${host}]` : host}:${address.port}`;
  const publicUrl = (options.publicUrl ?? own).replace(/\/+$/, "");
  const page = workbench({ magpie: base, publicUrl, client: () => client, file: fileFromPage, requestsOf });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const answer = (status: number, body?: object) => {
      res.writeHead(status, { "Content-Type": "application/json" }).end(body ? JSON.stringify(body) : "");
    };
    const path = new URL(req.url ?? "/", "http://app.invalid").pathname;
    if (page.owns(path)) {
      return page.handle(req, res).catch((e: unknown) => {
        console.error("leave-approval:", e);
        if (!res.headersSent) answer(500);
        else res.destroy();
      });
    }
    // Everything else is Magpie's: the bot's events, at any path (`/magpie` by default).
    if (req.method !== "POST") return answer(405);
    // Read no more than a request of Magpie's can be, before anything is believed.
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > BODY_BYTES_MAX) return answer(413);
      chunks.push(chunk as Buffer);
    }
    const body = Buffer.concat(chunks);
    if (!verify(secret, header(req, "x-magpie-timestamp"), header(req, "x-magpie-signature"), body)) {
      return answer(401, { error: "bad signature" });
    }
    try {
      const event = JSON.parse(body.toString("utf8")) as { type?: string };
      if (event.type === "command") return answer(200, await onCommand(event as CommandEvent));
      if (event.type === "card_action") return answer(200, await onCardAction(event as CardActionEvent));
      return answer(200); // deliveries of other events: not this app's business
    } catch (e) {
      // Magpie shows what an app answers to the person who acted: the details stay here.
      console.error("leave-approval:", e);
      return answer(500);
    }
  }

  return {
    url: `${own}/magpie`,
    pageUrl: `${publicUrl}/app`,
    redirectUri: `${publicUrl}/oauth/callback`,
    requests,
    useSecret: (s: string) => { secret = s; },
    useClient: (clientId: string, clientSecret: string) => { client = { id: clientId, secret: clientSecret }; },
    close: () => new Promise((done) => { server.closeAllConnections(); server.close(() => done()); }),
  };
}

interface User { account: string; name: string }
interface CommandEvent { type: "command"; command: string; text: string; user: User; conversation: number }
interface CardActionEvent {
  type: "card_action"; user: User; action: { id: string; label: string; value?: string };
  inputs: Record<string, string>; conversation: number; seq: number;
}

/** `2026-12-10 2 family trip` → the request's days, or why not. */
export function parse(text: string): { from: string; days: number; reason: string } | string {
  const [from = "", days = "", ...reason] = text.trim().split(/\s+/);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(from) || Number.isNaN(Date.parse(from))) return "开始日期不对 The first day is not a date (YYYY-MM-DD).";
  const n = Number(days);
  if (!Number.isInteger(n) || n < 1 || n > 60) return "天数不对 The number of days must be 1 to 60.";
  return { from, days: n, reason: reason.join(" ").slice(0, 200) };
}

/** The approval card: with Approve and Reject while undecided, with the decision after. */
export function card(r: Omit<LeaveRequest, "card">): object {
  const fields = [
    { label: "开始 From", value: r.from },
    { label: "天数 Days", value: String(r.days) },
    { label: "事由 Reason", value: r.reason || "—" },
  ];
  const blocks: object[] = [
    { type: "text", text: `**${escapeMarkdown(r.applicant.name)}** 申请请假 asks for leave` },
    { type: "fields", fields },
  ];
  if (r.decision) {
    const verdict = r.decision.approved ? "已同意 Approved" : "已驳回 Rejected";
    const decided = [{ label: "结果 Decision", value: `${verdict} — ${r.decision.by.name}` }];
    if (r.decision.note) decided.push({ label: "备注 Note", value: r.decision.note });
    blocks.push({ type: "divider" }, { type: "fields", fields: decided });
  } else {
    blocks.push({
      type: "actions",
      elements: [
        { type: "input", id: "note", label: "备注 Note", placeholder: "可选 Optional", max_chars: 200 },
        { type: "button", id: "approve", label: "同意 Approve", style: "primary", value: r.id },
        { type: "button", id: "reject", label: "驳回 Reject", style: "danger", value: r.id, confirm: "驳回这个申请？ Reject this request?" },
      ],
    });
  }
  return { card: "interactive", title: "请假申请 Leave request", blocks };
}

function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_[\]<>]/g, (c) => `\\${c}`);
}

function header(req: IncomingMessage, name: string): string {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] ?? "" : value ?? "";
}

/** Magpie's signature: `v1=` hex HMAC-SHA256 of `timestamp.body`, and a fresh timestamp. */
export function verify(secret: string, timestamp: string, signature: string, body: Buffer): boolean {
  const ts = Number(timestamp);
  if (!Number.isInteger(ts) || Math.abs(Date.now() / 1000 - ts) > REPLAY_WINDOW_SECS) return false;
  const expected = Buffer.from(`v1=${createHmac("sha256", secret).update(`${ts}.`).update(body).digest("hex")}`);
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
