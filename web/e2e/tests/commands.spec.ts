// Slash commands (issue 18), in Chinese and in English. A domain's administrator (Alice) has a bot
// whose app is a server the test runs itself on loopback (it checks every request with the SDK's
// verifyRequest), subscribed to `command`; another bot of the domain already has a command
// `/balance`. In Administration → Bots → the bot → Slash commands, Alice adds `/leave` with its
// hint, and `/balance`: a name with a space is refused at its field before the server is asked,
// `/balance` by the server at its row's name (another bot's); renamed `/days`, they are saved. The
// bot is in a group of Bob and Carol (on a phone). Bob types `/`: the composer lists the group's
// commands with their hints, descriptions and bot; `le` leaves `/leave`, Enter chooses it and its
// hint shows above the text; he types the days and sends. The app gets it, signed, from him, and
// answers for him only: the answer shows on his screen as the bot's, "only visible to you", and
// not on Carol's; nothing was posted. Then the app answers in the channel: the bot's message shows
// for both. Then the app fails: the composer says why, and Bob's text stays. Bob dismisses the
// answer meant for him only. Deterministic: the test waits on the app's own requests and on the
// page, never on the clock.

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { verifyRequest, WebhookError, type CommandAnswer, type CommandEvent } from "@magpie/sdk";
import { test, expect, api, conversation, expectAccessible, messages, shot, signedIn, words, LOCALES, VIEWPORTS } from "../fixtures.ts";
import { fill } from "../../app/src/i18n/index.ts";

const NAMES = {
  en: {
    admin: "Alice", bob: "Bob", carol: "Carol", group: "Leave requests", bot: "Leave bot", hr: "HR",
    leave: "Ask for leave", leaveHint: "[days] [reason]", badName: "leave now", days: "Days of leave left", payroll: "Payslip of a month",
    args: "3 days family visit", private: "You have **12** days of leave left", privateShown: "You have 12 days of leave left",
    posted: "**Bob** is off for 3 days", postedShown: "Bob is off for 3 days", appError: "the leave system is down",
  },
  zh: {
    admin: "李娜", bob: "王伟", carol: "张敏", group: "请假申请", bot: "请假助手", hr: "人事",
    leave: "申请请假", leaveHint: "[天数] [事由]", badName: "leave now", days: "查询剩余年假", payroll: "查看某月工资条",
    args: "3 天 探亲", private: "你还有 **12** 天年假", privateShown: "你还有 12 天年假",
    posted: "**王伟** 请假 3 天", postedShown: "王伟 请假 3 天", appError: "请假系统暂不可用",
  },
} as const;

test.use({ serverEnv: { MAGPIE_WEBHOOKS_PRIVATE_RANGES_ALLOWED: "127.0.0.1" } });

/** The bot's app: an HTTP server on loopback that believes only requests signed with `secret`
 * (refused ones answered 401 and their reasons kept), records the commands it accepted, and
 * answers each with `answer` (or `status` with a text, when that is not 200). A test waits on it
 * with `until`, woken by each request. */
class App {
  secret = "";
  status = 200;
  failure = "";
  answer: CommandAnswer | undefined;
  readonly commands: CommandEvent[] = [];
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
    app = new App(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}/magpie/commands`);
    return app;
  }

  private async handle(headers: Record<string, string | string[] | undefined>, body: Buffer): Promise<[number, string, string]> {
    try {
      const request = await verifyRequest(this.secret, String(headers["x-magpie-timestamp"]), String(headers["x-magpie-signature"]), body);
      if (request.type !== "command") return [200, "text/plain", "ok"];
      this.commands.push(request.event);
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

for (const [lang, locale] of Object.entries(LOCALES) as [keyof typeof NAMES, string][]) {
  const n = NAMES[lang];

  test.describe(`in ${lang}`, () => {
    test("an administrator gives a bot slash commands; a member picks one as they type /, and its app's answer shows to them only, or to all", async ({ browser, server }) => {
      const app = await App.start();
      try {
        const alice = await server.addUser("alice", { displayName: n.admin, admin: true });
        const bob = await server.addUser("bob", { displayName: n.bob });
        const carol = await server.addUser("carol", { displayName: n.carol });
        const asAlice = await api(server, alice);
        await asAlice.request("POST", "/v1/bots", { name: "leave", display_name: n.bot });
        const subscription = await asAlice.request<{ secret: string; events: string[] }>(
          "POST", "/v1/bots/leave@localhost/subscriptions", { url: app.url, events: ["command"] },
        );
        expect(subscription.events).toEqual(["command"]);
        app.secret = subscription.secret;
        // Another bot of the domain has /balance already.
        await asAlice.request("POST", "/v1/bots", { name: "hr", display_name: n.hr });
        await asAlice.request("PUT", "/v1/bots/hr@localhost/commands", { commands: [{ name: "balance", description: n.payroll, hint: "" }] });
        const group = await asAlice.group(n.group, [bob.account, carol.account, "leave@localhost"]);

        // Alice gives the bot its commands in Administration → Bots.
        const { page: admin } = await signedIn(browser, server, alice, { locale });
        const w = await words(admin);
        await admin.getByRole("button", { name: w["nav.admin"], exact: true }).click();
        await admin.getByRole("tab", { name: w["admin.tabBots"] }).click();
        await admin.getByRole("button", { name: fill(w["admin.botManageNamed"], { name: n.bot }) }).click();
        const section = admin.getByTestId("bot-commands");
        await expect(section.getByRole("heading", { name: w["admin.botCommands"], level: 2 })).toBeVisible();
        await expect(section.getByTestId("bot-commands-none")).toHaveText(w["admin.botCommandsNone"]);
        const rows = section.getByTestId("bot-command");
        const nameOf = (i: number) => rows.nth(i).getByLabel(w["admin.commandName"], { exact: true });
        const descriptionOf = (i: number) => rows.nth(i).getByLabel(w["admin.commandDescription"], { exact: true });
        await section.getByRole("button", { name: w["admin.commandAdd"], exact: true }).click();
        await expect(nameOf(0)).toBeFocused();
        await nameOf(0).fill(n.badName);
        await descriptionOf(0).fill(n.leave);
        await rows.nth(0).getByLabel(w["admin.commandHint"], { exact: true }).fill(n.leaveHint);
        await section.getByRole("button", { name: w["admin.commandAdd"], exact: true }).click();
        await nameOf(1).fill("/balance");
        await descriptionOf(1).fill(n.days);
        await expect(section.getByTestId("bot-commands-unsaved")).toHaveText(w["admin.commandsUnsaved"]);
        const save = section.getByRole("button", { name: w["admin.commandsSave"], exact: true });

        // A name with a space: said at its field, before the server is asked.
        await save.click();
        await expect(nameOf(0)).toHaveAttribute("aria-invalid", "true");
        await expect(nameOf(0)).toBeFocused();
        await expect(rows.nth(0).getByRole("alert")).toHaveText(w["admin.commandNameBad"]);
        await nameOf(0).fill("leave");
        await expect(nameOf(0)).not.toHaveAttribute("aria-invalid");

        // /balance is the other bot's: the server says so, at that row's name.
        await save.click();
        await expect(nameOf(1)).toHaveAttribute("aria-invalid", "true");
        await expect(rows.nth(1).getByRole("alert")).toHaveText(w["admin.commandNameTaken"]);
        await expect(nameOf(1)).toBeFocused();
        await expectAccessible(admin, `a bot's slash commands, one refused (${lang})`);
        await section.scrollIntoViewIfNeeded();
        await shot(admin, `bot-commands-refused-${lang}`);
        await nameOf(1).fill("days");
        await save.click();
        await expect(admin.getByText(fill(w["admin.commandsSaved"], { name: n.bot }), { exact: true })).toBeVisible();
        await expect(section.getByTestId("bot-commands-unsaved")).toHaveCount(0);
        await expect(rows).toHaveCount(2);
        expect(await asAlice.request("GET", "/v1/bots/leave@localhost/commands")).toEqual({
          commands: [{ name: "leave", description: n.leave, hint: n.leaveHint }, { name: "days", description: n.days, hint: "" }],
        });
        // The subscription's kinds include slash commands, with their hint.
        await expect(admin.getByTestId("bot-sub-events")).toHaveText(w["admin.subEvent.command"]);

        // Bob on his laptop, Carol on her phone, both in the group.
        const { page } = await signedIn(browser, server, bob, { locale });
        const { page: phone } = await signedIn(browser, server, carol, { locale, viewport: VIEWPORTS.phone });
        for (const p of [page, phone]) {
          await conversation(p, n.group).click();
          await expect(p.getByRole("log")).toBeVisible();
        }
        const composer = page.getByLabel(w["composer.message"], { exact: true });
        await composer.pressSequentially("/");
        const list = page.getByRole("listbox", { name: w["commands.suggestions"] });
        const options = list.getByRole("option");
        await expect(options).toHaveText([
          `/days ${n.days} ${fill(w["commands.from"], { bot: n.bot })}`,
          `/leave ${n.leaveHint} ${n.leave} ${fill(w["commands.from"], { bot: n.bot })}`,
        ]);
        await expect(composer).toHaveAttribute("aria-activedescendant", (await options.nth(0).getAttribute("id"))!);
        await expectAccessible(page, `the composer's list of commands (${lang})`);
        await shot(page, `commands-list-${lang}`);
        await composer.pressSequentially("le");
        await expect(options).toHaveCount(1);
        await expect(options.nth(0)).toHaveAttribute("aria-selected", "true");
        await composer.press("Enter");
        await expect(list).toHaveCount(0);
        await expect(composer).toHaveValue("/leave ");
        const hint = page.getByTestId("command-hint");
        await expect(hint).toContainText(`/leave ${n.leaveHint}`);
        await expect(hint).toContainText(n.leave);
        await composer.pressSequentially(n.args);

        // Sent: the app gets it, signed, from Bob, and answers for him only.
        app.answer = { text: n.private };
        await composer.press("Enter");
        const invoked = await app.until("Bob's /leave", () => app.commands[0]);
        expect(app.refused).toEqual([]);
        expect(invoked).toMatchObject({ type: "command", bot: "leave@localhost", conversation: group, command: "/leave", text: n.args });
        expect(invoked.user).toEqual({ account: bob.account, name: n.bob });
        const answer = page.getByRole("log").getByTestId("command-answer");
        await expect(answer).toBeVisible();
        await expect(answer.getByTestId("command-answer-only")).toHaveText(w["commands.onlyYou"]);
        await expect(answer.locator(".markdown-body")).toHaveText(n.privateShown);
        await expect(answer).toHaveAccessibleName(fill(w["commands.answerLabel"], { bot: n.bot, text: n.privateShown }));
        await expect(composer).toHaveValue("");
        await expect(hint).toHaveCount(0);
        // Nothing was posted: Bob's screen has no message of it.
        await expect(messages(page)).toHaveCount(0);
        await expectAccessible(page, `an answer for Bob only (${lang})`);
        await shot(page, `commands-only-you-${lang}`);

        // Then the app answers in the channel: the bot's message, for both.
        app.answer = { response_type: "in_channel", text: n.posted };
        await composer.fill("/leave 3");
        await composer.press("Enter");
        await app.until("Bob's second /leave", () => app.commands[1]);
        for (const p of [page, phone]) {
          await expect(messages(p).filter({ hasText: n.postedShown })).toHaveCount(1);
        }
        // Carol never saw what was for Bob only.
        await expect(phone.getByTestId("command-answer")).toHaveCount(0);
        await expect(phone.getByText(n.privateShown)).toHaveCount(0);
        await expect(answer).toHaveCount(1);
        await expectAccessible(phone, `the bot's answer in the group, on a phone (${lang})`);
        await shot(phone, `commands-in-channel-phone-${lang}`);

        // The app fails: said above the text, which stays.
        app.status = 500;
        app.failure = n.appError;
        await composer.fill("/days");
        await composer.press("Escape");
        await composer.press("Enter");
        await app.until("Bob's /days", () => app.commands[2]);
        const error = page.getByTestId("composer-error");
        await expect(error).toHaveRole("alert");
        await expect(error).toHaveText(fill(w["error.appFailed"], { why: `answered 500 Internal Server Error: ${n.appError}` }));
        await expect(composer).toHaveValue("/days");
        await expect(composer).toBeEditable();
        await expectAccessible(page, `a command whose app failed (${lang})`);
        await shot(page, `commands-failed-${lang}`);

        // The answer for Bob only is dismissed; the composer has the focus.
        await answer.getByRole("button", { name: fill(w["commands.dismiss"], { bot: n.bot }) }).click();
        await expect(answer).toHaveCount(0);
        await expect(composer).toBeFocused();
        expect(app.commands).toHaveLength(3);
        expect(app.refused).toEqual([]);
      } finally {
        await app.close();
      }
    });
  });
}
