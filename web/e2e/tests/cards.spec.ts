// Interactive cards (issue 18), in Chinese and in English. A domain's administrator (Alice) makes
// a bot, a token for it, and a subscription of its app to `card_action`, the app being a server
// the test runs itself on loopback that checks every request with the SDK's verifyRequest. The
// bot sends Bob's leave request into a group of Alice, Bob and the bot: a card with fields, a
// note to type and Approve and Reject buttons; the conversation list previews it by its title.
// Alice is signed in on two devices (the second in the dark theme), Bob on a phone. On her laptop
// Alice types a note and presses Approve: the app gets it, signed, with her note and her as the
// user, and answers with the decided card and a toast. Every device shows the decided card (no
// buttons left) with "Alice chose Approve · time"; the toast shows on the laptop only. Then a
// second card, pressed from the keyboard, whose app answers 500: the card says the app's error in
// its own words after the app's translated lead, and stays as it was, the note kept.
// Deterministic: the test waits on the app's own requests and on the page, never on the clock.

import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Page } from "@playwright/test";
import { verifyRequest, WebhookError, type CardActionAnswer, type CardActionEvent, type InteractiveCard } from "@magpie/sdk";
import { test, expect, api, conversation, expectAccessible, shot, signedIn, words, LOCALES, VIEWPORTS } from "../fixtures.ts";
import { fill } from "../../app/src/i18n/index.ts";

const NAMES = {
  en: {
    admin: "Alice", bob: "Bob", group: "Leave requests", bot: "Leave bot",
    title: "Leave request", asks: "asks for two days off", from: "From", days: "Days", note: "Note", approve: "Approve", reject: "Reject",
    confirmReject: "Reject Bob's leave?", decision: "Decision", approvedBy: "Approved by Alice", typed: "Enjoy the break",
    toast: "Approved: Bob has been told",
    expense: "Expense claim", amount: "Amount", typed2: "Receipt attached", appError: "the ledger is down",
  },
  zh: {
    admin: "李娜", bob: "王伟", group: "请假申请", bot: "请假助手",
    title: "请假审批", asks: "申请请假两天", from: "开始日期", days: "天数", note: "备注", approve: "同意", reject: "驳回",
    confirmReject: "确定驳回王伟的请假？", decision: "审批结果", approvedBy: "李娜已同意", typed: "好好休息",
    toast: "已同意，已通知王伟",
    expense: "报销申请", amount: "金额", typed2: "发票已附上", appError: "账务系统暂不可用",
  },
} as const;

test.use({ serverEnv: { MAGPIE_WEBHOOKS_PRIVATE_RANGES_ALLOWED: "127.0.0.1" } });

/** The bot's app: an HTTP server on loopback that believes only requests signed with `secret`
 * (refused ones answered 401 and their reasons kept), records the card actions it accepted, and
 * answers each with `answer` (or `status` with a text, when that is not 200). A test waits on it
 * with `until`, woken by each request. */
class App {
  secret = "";
  status = 200;
  failure = "";
  answer: CardActionAnswer | undefined;
  readonly actions: CardActionEvent[] = [];
  readonly refused: string[] = [];
  private readonly woken = new Set<() => void>();

  private constructor(private readonly server: Server, readonly url: string) {}

  static async start(): Promise<App> {
    let app: App | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => void app!.handle(req.headers, Buffer.concat(chunks)).then(([status, type, text]) => {
        res.writeHead(status, { "Content-Type": type }).end(text);
        for (const wake of app!.woken) wake();
      }));
    });
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
    app = new App(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}/magpie/cards`);
    return app;
  }

  private async handle(headers: Record<string, string | string[] | undefined>, body: Buffer): Promise<[number, string, string]> {
    try {
      const request = await verifyRequest(this.secret, String(headers["x-magpie-timestamp"]), String(headers["x-magpie-signature"]), body);
      if (request.type !== "card_action") return [200, "text/plain", "ok"];
      this.actions.push(request.event);
      if (this.status !== 200) return [this.status, "text/plain", this.failure];
      return [200, "application/json", this.answer === undefined ? "" : JSON.stringify(this.answer)];
    } catch (e) {
      this.refused.push(e instanceof WebhookError ? e.reason : String(e));
      return [401, "text/plain", "refused"];
    }
  }

  /** Resolves with `found()` once it is something, checked now and after each request. */
  until<T>(what: string, found: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const value = found();
        if (!value) return;
        this.woken.delete(check);
        clearTimeout(timer);
        resolve(value);
      };
      const timer = setTimeout(() => { this.woken.delete(check); reject(new Error(`the app waited in vain for ${what}`)); }, timeoutMs);
      this.woken.add(check);
      check();
    });
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((done) => this.server.close(() => done()));
  }
}

/** A request to the server with the bot's token, as its app makes them. */
async function asBot<T>(url: string, token: string, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(url + path, {
    method, headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

for (const [lang, locale] of Object.entries(LOCALES) as [keyof typeof NAMES, string][]) {
  const n = NAMES[lang];

  test.describe(`in ${lang}`, () => {
    test("a bot's card is answered on one device; its app's answer updates it everywhere, and its failure is said in the card", async ({ browser, server }) => {
      const app = await App.start();
      try {
        const alice = await server.addUser("alice", { displayName: n.admin, admin: true });
        const bob = await server.addUser("bob", { displayName: n.bob });
        const asAlice = await api(server, alice);
        await asAlice.request("POST", "/v1/bots", { name: "leave", display_name: n.bot });
        const { token } = await asAlice.request<{ token: string }>("POST", "/v1/bots/leave@localhost/tokens", { name: "app" });
        const subscription = await asAlice.request<{ secret: string; events: string[] }>(
          "POST", "/v1/bots/leave@localhost/subscriptions", { url: app.url, events: ["card_action"] },
        );
        expect(subscription.events).toEqual(["card_action"]);
        app.secret = subscription.secret;
        const group = await asAlice.group(n.group, [bob.account, "leave@localhost"]);

        const leave: InteractiveCard = {
          card: "interactive",
          title: n.title,
          blocks: [
            { type: "text", text: `**${n.bob}** ${n.asks}` },
            { type: "fields", fields: [{ label: n.from, value: "2026-12-10" }, { label: n.days, value: "2" }] },
            { type: "actions", elements: [
              { type: "input", id: "note", label: n.note, max_chars: 200 },
              { type: "button", id: "approve", label: n.approve, style: "primary", value: "leave-17" },
              { type: "button", id: "reject", label: n.reject, style: "danger", confirm: n.confirmReject },
            ] },
          ],
        };
        const sent = await asBot<{ seq: number }>(server.url, token, "POST", `/v1/conversations/${group}/messages`, { client_msg_id: randomUUID(), kind: "card", body: leave });

        // Alice on her laptop and on a second device (in the dark theme), Bob on his phone.
        const laptop = await signedIn(browser, server, alice, { locale });
        const other = await signedIn(browser, server, alice, { locale, colorScheme: "dark" });
        const phone = await signedIn(browser, server, bob, { locale, viewport: VIEWPORTS.phone });
        const w = await words(laptop.page);
        // The list previews the card by its title.
        await expect(conversation(laptop.page, n.group)).toContainText(n.title);
        const cardOn = (page: Page, title: string) => page.getByRole("log").getByRole("group", { name: title, exact: true });
        for (const { page } of [laptop, other, phone]) {
          await conversation(page, n.group).click();
          await expect(cardOn(page, n.title).getByRole("button", { name: n.approve })).toBeVisible();
        }
        const card = cardOn(laptop.page, n.title);
        await expect(card.locator(".markdown-body strong")).toHaveText(n.bob);
        await expect(card.getByRole("definition")).toHaveText(["2026-12-10", "2"]);
        await expectAccessible(laptop.page, `an interactive card (${lang})`);
        await shot(laptop.page, `card-${lang}`);

        // Reject asks first; cancelled, nothing reaches the app.
        await card.getByRole("button", { name: n.reject }).click();
        const confirm = laptop.page.getByRole("alertdialog", { name: w["appCard.confirmTitle"] });
        await expect(confirm).toContainText(n.confirmReject);
        await confirm.getByRole("button", { name: w["common.cancel"], exact: true }).click();
        await expect(confirm).toHaveCount(0);
        await expect(card.getByRole("button", { name: n.reject })).toBeFocused();

        // Alice approves on her laptop, with a note: the app gets it, signed, from her.
        app.answer = {
          update: {
            title: n.title,
            blocks: [
              { type: "text", text: `**${n.bob}** ${n.asks}` },
              { type: "fields", fields: [{ label: n.from, value: "2026-12-10" }, { label: n.days, value: "2" }, { label: n.decision, value: n.approvedBy }] },
            ],
          },
          toast: n.toast,
        };
        await card.getByLabel(n.note, { exact: true }).fill(n.typed);
        await card.getByRole("button", { name: n.approve }).click();
        const action = await app.until("Alice's approval", () => app.actions[0]);
        expect(app.refused).toEqual([]);
        expect(action).toMatchObject({ type: "card_action", bot: "leave@localhost", conversation: group, seq: sent.seq, inputs: { note: n.typed } });
        expect(action.user).toEqual({ account: alice.account, name: n.admin });
        expect(action.action).toEqual({ id: "approve", label: n.approve, value: "leave-17" });
        expect(action.card).toEqual(leave);

        // The toast, on the laptop only; the decided card, with who acted, on every device.
        await expect(laptop.page.getByText(n.toast, { exact: true })).toBeVisible();
        const [before, after] = fill(w["appCard.acted"], { name: n.admin, label: n.approve, time: "\u0000" }).split("\u0000");
        const actedLine = new RegExp(`^${escapeRe(before!)}\\d{2}:\\d{2}${escapeRe(after!)}$`);
        for (const { page } of [laptop, other, phone]) {
          const decided = cardOn(page, n.title);
          await expect(decided.getByRole("definition")).toHaveText(["2026-12-10", "2", n.approvedBy]);
          await expect(decided.getByTestId("app-card-acted")).toHaveText(actedLine);
          await expect(decided.getByRole("button")).toHaveCount(0);
          await expect(decided.getByRole("textbox")).toHaveCount(0);
        }
        // The pressed button went with the old card: the new one has the focus on the laptop.
        await expect(cardOn(laptop.page, n.title)).toBeFocused();
        await expect(other.page.getByText(n.toast, { exact: true })).toHaveCount(0);
        await expect(phone.page.getByText(n.toast, { exact: true })).toHaveCount(0);
        expect(app.actions).toHaveLength(1);
        await expectAccessible(other.page, `a decided card in the dark theme (${lang})`);
        await shot(other.page, `card-decided-dark-${lang}`);
        await expectAccessible(phone.page, `a decided card on a phone (${lang})`);
        await shot(phone.page, `card-decided-phone-${lang}`);

        // A second card, whose app fails: pressed from the keyboard, it says why, and stays.
        const expense: InteractiveCard = {
          card: "interactive",
          title: n.expense,
          blocks: [
            { type: "fields", fields: [{ label: n.amount, value: "¥ 320" }] },
            { type: "actions", elements: [
              { type: "input", id: "note", label: n.note },
              { type: "button", id: "approve", label: n.approve, style: "primary" },
            ] },
          ],
        };
        const sentExpense = await asBot<{ seq: number }>(server.url, token, "POST", `/v1/conversations/${group}/messages`, { client_msg_id: randomUUID(), kind: "card", body: expense });
        app.status = 500;
        app.failure = n.appError;
        const second = cardOn(laptop.page, n.expense);
        await expect(cardOn(phone.page, n.expense).getByRole("button", { name: n.approve })).toBeVisible();
        const note = second.getByLabel(n.note, { exact: true });
        await note.fill(n.typed2);
        await laptop.page.keyboard.press("Tab");
        await expect(second.getByRole("button", { name: n.approve })).toBeFocused();
        await laptop.page.keyboard.press("Enter");
        const failed = await app.until("the expense's approval", () => app.actions[1]);
        expect(failed).toMatchObject({ seq: sentExpense.seq, inputs: { note: n.typed2 }, user: { account: alice.account } });
        const error = second.getByTestId("app-card-error");
        await expect(error).toHaveRole("alert");
        await expect(error).toHaveText(fill(w["error.appFailed"], { why: `answered 500 Internal Server Error: ${n.appError}` }));
        // As it was: the note kept, the button there to try again, nobody has acted.
        await expect(note).toHaveValue(n.typed2);
        await expect(second.getByRole("button", { name: n.approve })).toBeEnabled();
        await expect(second.getByTestId("app-card-acted")).toHaveCount(0);
        await expect(cardOn(phone.page, n.expense).getByTestId("app-card-acted")).toHaveCount(0);
        await expect(cardOn(phone.page, n.expense).getByTestId("app-card-error")).toHaveCount(0);
        await expectAccessible(laptop.page, `a card whose app failed (${lang})`);
        await shot(laptop.page, `card-failed-${lang}`);
        expect(app.refused).toEqual([]);
      } finally {
        await app.close();
      }
    });
  });
}
