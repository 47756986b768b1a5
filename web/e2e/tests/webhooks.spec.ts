// Outgoing webhooks, in Chinese and in English. A domain's administrator has a bot in a group, and
// subscribes it to the group's messages in Administration → Bots, pointing it at an app that the
// test runs itself on loopback (it checks every request with the SDK's verifyWebhook, and records
// the events). A URL without a scheme is refused at its field before the server is asked, and a
// private address at its field by the server. The signing secret is shown once. A member says
// something in the group, and the app gets it, signed, with its seq and text. Then the app answers
// 500: the server tries again until its failure budget (3 here) is spent and disables the
// subscription; the administrator's bell says so at once, with the URL and the error, and after
// a reload the subscription shows its failures, its last error and when it was disabled. The app
// is fixed and the subscription enabled again with its switch: what waited reaches the app.

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { verifyWebhook, WebhookError, type WebhookDelivery, type WebhookEvent } from "@magpie/sdk";
import { test, expect, api, conversation, expectAccessible, send, shot, signedIn, words, LOCALES } from "../fixtures.ts";
import { fill } from "../../app/src/i18n/index.ts";

const NAMES = {
  en: { admin: "Alice", bob: "Bob", group: "Leave requests", bot: "Leave bot", first: "Taking Friday off", second: "And Monday too" },
  zh: { admin: "李娜", bob: "王伟", group: "请假申请", bot: "请假助手", first: "周五请假一天", second: "周一也请假" },
} as const;

/** The server's outgoing webhooks, quick for a test: to loopback, retried within milliseconds, and
 * disabled after three failures in a row. */
test.use({
  serverEnv: {
    MAGPIE_WEBHOOKS_PRIVATE_RANGES_ALLOWED: "127.0.0.1",
    MAGPIE_WEBHOOKS_RETRY_INITIAL_MS: "50",
    MAGPIE_WEBHOOKS_RETRY_MAX_MS: "200",
    MAGPIE_WEBHOOKS_POLL_MS: "50",
    MAGPIE_WEBHOOKS_FAILURES_MAX: "3",
  },
});

/** The bot's app: an HTTP server on loopback that believes only requests signed with `secret`
 * (refused ones answered 401 and their reasons kept), records the deliveries it accepted, and
 * answers `status`. A test waits on it with `until`, woken by each request. */
class App {
  secret = "";
  status = 200;
  readonly accepted: WebhookDelivery[] = [];
  readonly refused: string[] = [];
  /** Signed requests answered with something else than 200. */
  failed = 0;
  private readonly woken = new Set<() => void>();

  private constructor(private readonly server: Server, readonly url: string) {}

  static async start(): Promise<App> {
    let app: App | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => void app!.handle(req.headers, Buffer.concat(chunks)).then(([status, text]) => {
        res.writeHead(status, { "Content-Type": "text/plain" }).end(text);
        for (const wake of app!.woken) wake();
      }));
    });
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
    app = new App(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}/magpie/events`);
    return app;
  }

  private async handle(headers: Record<string, string | string[] | undefined>, body: Buffer): Promise<[number, string]> {
    try {
      const delivery = await verifyWebhook(this.secret, String(headers["x-magpie-timestamp"]), String(headers["x-magpie-signature"]), body);
      if (this.status !== 200) {
        this.failed += 1;
        return [this.status, "down for maintenance"];
      }
      this.accepted.push(delivery);
      return [200, "ok"];
    } catch (e) {
      this.refused.push(e instanceof WebhookError ? e.reason : String(e));
      return [401, "refused"];
    }
  }

  /** The first accepted event that `pick` takes. */
  event(pick: (e: WebhookEvent) => boolean): { delivery: WebhookDelivery; event: WebhookEvent } | undefined {
    for (const delivery of this.accepted) {
      const event = delivery.events.find(pick);
      if (event) return { delivery, event };
    }
    return undefined;
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

/** The text of an event's message. */
const textOf = (e: WebhookEvent) => (e.entry?.body as { text?: string } | null | undefined)?.text;

for (const [lang, locale] of Object.entries(LOCALES) as [keyof typeof NAMES, string][]) {
  const n = NAMES[lang];

  test.describe(`in ${lang}`, () => {
    test("an administrator subscribes a bot to its group's messages; its app gets them signed, and hears when it fails", async ({ browser, server }) => {
      const app = await App.start();
      try {
        const alice = await server.addUser("alice", { displayName: n.admin, admin: true });
        const bob = await server.addUser("bob", { displayName: n.bob });
        const asAlice = await api(server, alice);
        await asAlice.request("POST", "/v1/bots", { name: "leave", display_name: n.bot });
        const group = await asAlice.group(n.group, [bob.account, "leave@localhost"]);

        // Bob has the group open.
        const b = await signedIn(browser, server, bob, { locale });
        await conversation(b.page, n.group).click();
        await expect(b.page.getByRole("log")).toBeVisible();

        const { page } = await signedIn(browser, server, alice, { locale });
        const w = await words(page);
        const openBot = async () => {
          await page.getByRole("button", { name: w["nav.admin"], exact: true }).click();
          await page.getByRole("tab", { name: w["admin.tabBots"] }).click();
          await page.getByRole("button", { name: fill(w["admin.botManageNamed"], { name: n.bot }) }).click();
          const section = page.locator('section[aria-labelledby="adm-bot-subs-title"]');
          await expect(section.getByRole("heading", { name: w["admin.botSubs"], level: 2 })).toBeVisible();
          return section;
        };
        let section = await openBot();
        await expect(section.getByTestId("bot-subs-none")).toHaveText(w["admin.botSubsNone"]);

        // A URL without its scheme is said at the field before the server is asked; a private
        // address by the server, at the field too.
        const url = section.getByLabel(w["admin.subUrlLabel"], { exact: true });
        await url.fill("127.0.0.1/magpie/events");
        await section.getByRole("button", { name: w["admin.subCreate"], exact: true }).click();
        await expect(section.locator("#adm-bot-sub-url-error")).toHaveText(w["admin.subUrlScheme"]);
        await expect(url).toHaveAttribute("aria-invalid", "true");
        await url.fill("http://10.0.0.5/magpie/events");
        await section.getByRole("button", { name: w["admin.subCreate"], exact: true }).click();
        await expect(section.locator("#adm-bot-sub-url-error")).toHaveText(fill(w["admin.subUrlRefused"], { why: "10.0.0.5 is not a public address" }));

        // Subscribed to messages (ticked to begin with): the secret is shown once.
        await url.fill(app.url);
        await expect(section.getByRole("checkbox", { name: new RegExp(`^${w["admin.subEvent.message"]} `) })).toBeChecked();
        await section.getByRole("button", { name: w["admin.subCreate"], exact: true }).click();
        const secretDialog = page.getByRole("alertdialog", { name: w["admin.subMadeTitle"] });
        await expect(secretDialog.getByRole("note")).toHaveText(fill(w["admin.subSecretOnce"], { bot: n.bot }));
        await expect(secretDialog.getByTestId("bot-sub-secret-url")).toHaveText(app.url);
        const secret = (await secretDialog.getByTestId("bot-sub-secret").textContent()) ?? "";
        expect(secret).toMatch(/^whsec_.{16,}/);
        app.secret = secret;
        await secretDialog.getByRole("button", { name: w["admin.subCopySecret"] }).click();
        await expect(page.getByText(w["admin.copied"], { exact: true })).toBeVisible();
        await expectAccessible(page, `the subscription's secret (${lang})`);
        await secretDialog.getByRole("button", { name: w["admin.done"], exact: true }).click();
        await expect(secretDialog).toHaveCount(0);
        await expect(page.locator("body")).not.toContainText(secret);
        let sub = section.getByTestId("bot-sub");
        await expect(sub).toHaveCount(1);
        await expect(sub.getByTestId("bot-sub-url")).toHaveText(app.url);
        await expect(sub.getByTestId("bot-sub-events")).toHaveText(w["admin.subEvent.message"]);
        await expect(sub.getByTestId("bot-sub-state")).toHaveText(w["admin.subStateEnabled"]);
        await expect(sub.getByTestId("bot-sub-success")).toHaveText(w["admin.botNotUsed"]);

        // Bob says something in the group: the app gets it, signed, with its seq and text.
        await send(b.page, n.first);
        const first = await app.until("Bob's message", () => app.event((e) => textOf(e) === n.first));
        const { last_seq } = await asAlice.request<{ last_seq: number }>("GET", `/v1/conversations/${group}`);
        const subId = Number(await sub.getAttribute("data-id"));
        expect(first.delivery).toMatchObject({ subscription: subId, bot: "leave@localhost" });
        expect(first.event).toMatchObject({ id: `${subId}.${group}.${last_seq}`, type: "message", conversation: group, seq: last_seq });
        expect(first.event.entry).toMatchObject({ seq: last_seq, sender: bob.account });
        expect(app.refused).toEqual([]);
        // Its last delivery shows once the server has recorded it.
        await expect(async () => {
          await section.getByRole("button", { name: w["admin.subsRefresh"] }).click();
          await expect(sub.getByTestId("bot-sub-success")).not.toHaveText(w["admin.botNotUsed"], { timeout: 1_000 });
        }).toPass();
        await expect(sub.getByTestId("bot-sub-failures")).toHaveText("0");
        await expectAccessible(page, `the event subscriptions (${lang})`);
        await sub.scrollIntoViewIfNeeded();
        await shot(page, `bot-subscriptions-${lang}`);

        // The app breaks: the server tries again until three failures in a row disable the
        // subscription, and the administrator hears of it at once.
        app.status = 500;
        await send(b.page, n.second);
        await app.until("three failed requests", () => app.failed >= 3);
        const badge = page.getByTestId("inbox-badge");
        await expect(badge).toHaveText("1");
        await page.getByTestId("inbox-bell").click();
        const item = page.locator('[data-testid="inbox-item"][data-kind="app_disabled"]');
        await expect(item.getByTestId("inbox-sentence")).toHaveText(fill(w["inbox.appDisabled"], { name: n.bot }));
        await expect(item.getByTestId("inbox-preview")).toHaveText(`${app.url} — answered 500 Internal Server Error: down for maintenance`);
        await expectAccessible(page, `the notification of a disabled subscription (${lang})`);
        await item.getByRole("button").click();
        await expect(page).toHaveURL(/\/admin\/bots$/);

        // After a reload: disabled by its failures, when, and why.
        await page.reload();
        section = await openBot();
        sub = section.getByTestId("bot-sub");
        await expect(sub.getByTestId("bot-sub-state")).toHaveText(w["admin.subStateFailed"]);
        await expect(sub.getByTestId("bot-sub-disabled-at")).toBeVisible();
        await expect(sub.getByTestId("bot-sub-failures")).toHaveText("3");
        await expect(sub.getByTestId("bot-sub-error")).toHaveText("answered 500 Internal Server Error: down for maintenance");
        await expect(sub.getByTestId("bot-sub-pending")).not.toHaveText("0");
        expect(app.event((e) => textOf(e) === n.second)).toBeUndefined();
        await sub.scrollIntoViewIfNeeded();
        await shot(page, `bot-subscription-failed-${lang}`);

        // The app is fixed and the subscription enabled again: what waited reaches it.
        app.status = 200;
        const toggle = sub.getByRole("switch", { name: fill(w["admin.subEnabledNamed"], { url: app.url }) });
        await expect(toggle).not.toBeChecked();
        await toggle.check();
        await expect(sub.getByTestId("bot-sub-state")).toHaveText(w["admin.subStateEnabled"]);
        await expect(sub.getByTestId("bot-sub-failures")).toHaveText("0");
        const second = await app.until("the message that waited", () => app.event((e) => textOf(e) === n.second));
        expect(second.event.seq).toBeGreaterThan(first.event.seq);
        expect(app.refused).toEqual([]);
      } finally {
        await app.close();
      }
    });
  });
}
