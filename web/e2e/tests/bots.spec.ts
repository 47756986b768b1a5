// Bots, in Chinese and in English. A domain's administrator makes a bot in Administration → Bots
// and a token for it, whose secret is shown once (it works as a bearer token, and is gone from the
// page once its dialog is closed); adds the bot to a group from the group's info, as a person
// would be added (the bot found by the ordinary search, with its badge); makes an incoming webhook
// for that group, whose URL is shown once with a curl command. A script then posts Slack's
// `{"text": "*Build 42* passed"}` to the URL, and a member with the group open sees the message
// at once, "Build 42" in bold, with the bot badge by the sender's name (in the light theme in
// English, the dark one in Chinese). Revoking the token makes the next request with it answer 401.
// And where the domain's settings let members make bots, a member makes one in Settings → My bots.

import { test, expect, api, conversation, expectAccessible, messages, shot, signedIn, words, LOCALES } from "../fixtures.ts";
import { fill } from "../../app/src/i18n/index.ts";

const NAMES = {
  en: { admin: "Alice", bob: "Bob", group: "Build watch", bot: "Build bot", about: "Tells the team how builds went", mine: "Lunch bot" },
  zh: { admin: "李娜", bob: "王伟", group: "构建动态", bot: "构建机器人", about: "通知大家构建结果", mine: "午饭机器人" },
} as const;

/** GET /v1/me with a bearer token, as the bot's app would: its status and body. */
async function asBot(url: string, token: string): Promise<{ status: number; body: { account?: string; bot?: boolean } }> {
  const response = await fetch(`${url}/v1/me`, { headers: { Authorization: `Bearer ${token}` } });
  return { status: response.status, body: (await response.json()) as { account?: string; bot?: boolean } };
}

for (const [lang, locale] of Object.entries(LOCALES) as [keyof typeof NAMES, string][]) {
  const n = NAMES[lang];

  test.describe(`in ${lang}`, () => {
    test("an administrator makes a bot, a token and a webhook; the webhook's posts reach a member from the bot", async ({ browser, server }) => {
      const alice = await server.addUser("alice", { displayName: n.admin, admin: true });
      const bob = await server.addUser("bob", { displayName: n.bob });
      const group = await (await api(server, alice)).group(n.group, [bob.account]);

      // Bob has the group open all along, in the other theme in Chinese.
      const b = await signedIn(browser, server, bob, { locale, colorScheme: lang === "zh" ? "dark" : "light" });
      await conversation(b.page, n.group).click();
      await expect(b.page.getByRole("log")).toBeVisible();

      const { page } = await signedIn(browser, server, alice, { locale });
      const w = await words(page);
      await page.getByRole("button", { name: w["nav.admin"], exact: true }).click();
      await page.getByRole("tab", { name: w["admin.tabBots"] }).click();
      await expect(page.getByRole("tab", { name: w["admin.tabBots"] })).toHaveAttribute("aria-selected", "true");
      expect(new URL(page.url()).pathname).toBe("/admin/bots");
      await expect(page.getByRole("heading", { name: w["admin.botsTitle"], level: 2 })).toBeVisible();
      await expect(page.getByTestId("bots-none")).toHaveText(fill(w["admin.botsNone"], { domain: "localhost" }));

      // A new bot: a taken name is said at its field, then it is made.
      await page.getByRole("button", { name: w["admin.botNew"], exact: true }).click();
      await page.getByLabel(w["admin.botLoginName"], { exact: true }).fill("alice");
      await page.getByLabel(w["admin.botDisplayNameOptional"], { exact: true }).fill(n.bot);
      await page.getByLabel(w["admin.botDescriptionOptional"], { exact: true }).fill(n.about);
      await page.getByRole("button", { name: w["admin.botCreate"], exact: true }).click();
      await expect(page.locator("#adm-bot-new-name-error")).toHaveText(w["admin.botNameTaken"]);
      await expect(page.getByLabel(w["admin.botLoginName"], { exact: true })).toHaveAttribute("aria-invalid", "true");
      await page.getByLabel(w["admin.botLoginName"], { exact: true }).fill("ci");
      await page.getByRole("button", { name: w["admin.botCreate"], exact: true }).click();
      const row = page.locator('[data-testid="bot-row"][data-account="ci@localhost"]');
      await expect(row.getByTestId("bot-display-name")).toHaveText(n.bot);
      await expect(row.getByTestId("bot-description")).toHaveText(n.about);
      await expect(row.getByTestId("bot-owner")).toHaveText(n.admin);
      await expect(row.getByTestId("bot-state")).toHaveText(w["admin.botStateActive"]);
      await expect(page.getByRole("heading", { name: fill(w["admin.botDetailTitle"], { name: n.bot }), level: 2 })).toBeVisible();

      // A token: its secret is shown once, with a warning and a copy button.
      await page.getByLabel(w["admin.botTokenNameLabel"], { exact: true }).fill("deploy");
      await page.getByRole("button", { name: w["admin.botTokenCreate"], exact: true }).click();
      const secretDialog = page.getByRole("alertdialog", { name: fill(w["admin.botTokenMadeTitle"], { name: "deploy" }) });
      await expect(secretDialog.getByRole("note")).toHaveText(fill(w["admin.botSecretOnce"], { bot: n.bot }));
      const secret = (await secretDialog.getByTestId("bot-secret").textContent()) ?? "";
      expect(secret.length).toBeGreaterThan(20);
      await secretDialog.getByRole("button", { name: w["admin.botCopyToken"] }).click();
      await expect(page.getByText(w["admin.copied"], { exact: true })).toBeVisible();
      // It is the bot's.
      expect(await asBot(server.url, secret)).toEqual({ status: 200, body: expect.objectContaining({ account: "ci@localhost", bot: true }) });
      await secretDialog.getByRole("button", { name: w["admin.done"], exact: true }).click();
      await expect(secretDialog).toHaveCount(0);
      // Gone from the page: the list names the token, never its secret.
      await expect(page.locator("body")).not.toContainText(secret);
      const token = page.getByTestId("bot-token");
      await expect(token).toHaveCount(1);
      await expect(token.getByTestId("bot-token-name")).toHaveText("deploy");
      await expect(token.getByTestId("bot-token-reach")).toHaveText(w["admin.botReachAll"]);
      await expect(token.getByTestId("bot-token-may")).toHaveText(w["admin.botMay.read_send"]);

      // The bot joins the group as a person would, found by the ordinary search, with its badge.
      await page.getByRole("button", { name: w["nav.chats"], exact: true }).click();
      await conversation(page, n.group).click();
      await page.getByRole("button", { name: w["chat.groupInfo"], exact: true }).click();
      const pane = page.getByRole("complementary", { name: w["group.info"] });
      await pane.getByRole("button", { name: w["group.addMembers"] }).click();
      const adding = page.getByRole("dialog", { name: w["group.addMembers"] });
      await adding.getByLabel(w["newChat.search"]).fill(n.bot);
      const pick = adding.getByRole("checkbox", { name: n.bot, exact: true });
      await expect(adding.locator("label.person-row").filter({ has: page.getByRole("checkbox", { name: n.bot, exact: true }) }).getByTestId("bot-badge"))
        .toHaveText(w["bot.badge"]);
      await pick.check();
      await adding.getByRole("button", { name: w["group.add"], exact: true }).click();
      await expect(adding).toHaveCount(0);
      const member = pane.getByRole("list", { name: w["group.memberList"] }).locator("li", { hasText: "ci@localhost" });
      await expect(member.getByTestId("bot-badge")).toHaveText(w["bot.badge"]);

      // An incoming webhook for that group: its URL shown once, with a command that tries it.
      await page.getByRole("button", { name: w["nav.admin"], exact: true }).click();
      await page.getByRole("tab", { name: w["admin.tabBots"] }).click();
      await page.getByRole("button", { name: fill(w["admin.botManageNamed"], { name: n.bot }) }).click();
      await expect(page.getByTestId("bot-token")).toHaveCount(1);
      await page.getByLabel(w["admin.botWebhookNameLabel"], { exact: true }).fill("CI");
      await page.getByLabel(w["admin.botWebhookGroupLabel"], { exact: true }).selectOption({ label: `${n.group} · #${group}` });
      await page.getByRole("button", { name: w["admin.botWebhookCreate"], exact: true }).click();
      const hookDialog = page.getByRole("alertdialog", { name: fill(w["admin.botWebhookMadeTitle"], { name: "CI" }) });
      await expect(hookDialog.getByRole("note")).toHaveText(fill(w["admin.botWebhookOnce"], { bot: n.bot, group: n.group }));
      const url = (await hookDialog.getByTestId("bot-webhook-url").textContent()) ?? "";
      expect(url.startsWith(`${server.url}/v1/hooks/`)).toBe(true);
      await expect(hookDialog.getByTestId("bot-webhook-curl")).toHaveText(`curl -X POST -H 'Content-Type: application/json' -d '{"text":"hello"}' ${url}`);
      await expectAccessible(page, `the webhook's dialog (${lang})`);
      await hookDialog.getByRole("button", { name: w["admin.done"], exact: true }).click();
      await expect(page.locator("body")).not.toContainText(url);
      await expect(page.getByTestId("bot-webhook").getByTestId("bot-webhook-group")).toHaveText(n.group);
      await expectAccessible(page, `the bots tab (${lang})`);
      await shot(page, `admin-bots-${lang}`);

      // A script posts to it, as it would to Slack.
      const posted = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ text: "*Build 42* passed" }) });
      expect([posted.status, await posted.text()]).toEqual([200, "ok"]);

      // Bob sees it at once: from the bot, badged, in bold.
      const said = messages(b.page).filter({ hasText: "Build 42" });
      await expect(said.locator("strong")).toHaveText("Build 42");
      await expect(said).toContainText("passed");
      await expect(said.locator(".msg-sender")).toContainText(n.bot);
      await expect(said.locator(".msg-sender").getByTestId("bot-badge")).toHaveText(w["bot.badge"]);
      await expect(said).toHaveAttribute("aria-label", new RegExp(`^${fill(w["bot.named"], { name: n.bot }).replace(/[()]/g, "\\$&")}`));
      await expectAccessible(b.page, `a bot's message (${lang}, ${lang === "zh" ? "dark" : "light"})`);
      await shot(b.page, `bot-message-${lang}`);

      // Revoked: the token stops at once.
      await token.getByRole("button", { name: fill(w["admin.botRevokeTokenNamed"], { name: "deploy" }) }).click();
      const confirm = page.getByRole("alertdialog", { name: w["admin.botRevokeTokenTitle"] });
      await expect(confirm).toContainText(fill(w["admin.botConfirmRevokeToken"], { name: "deploy", bot: n.bot }));
      await confirm.getByRole("button", { name: w["admin.revoke"], exact: true }).click();
      await expect(page.getByTestId("bot-tokens-none")).toHaveText(w["admin.botTokensNone"]);
      expect((await asBot(server.url, secret)).status).toBe(401);
    });

    test("where the domain lets members, a member makes a bot of their own in Settings", async ({ browser, server }) => {
      const alice = await server.addUser("alice", { displayName: n.admin, admin: true });
      const bob = await server.addUser("bob", { displayName: n.bob });

      // Not yet: Settings has no My bots.
      const b = await signedIn(browser, server, bob, { locale });
      const w = await words(b.page);
      await b.page.getByRole("button", { name: w["nav.settings"], exact: true }).click();
      await expect(b.page.getByRole("heading", { name: w["settings.sessions"], level: 2 })).toBeVisible();
      await expect(b.page.getByRole("heading", { name: w["settings.myBots"] })).toHaveCount(0);

      // The administrator lets members make bots, in the domain's settings.
      const { page } = await signedIn(browser, server, alice, { locale });
      await page.getByRole("button", { name: w["nav.admin"], exact: true }).click();
      await page.getByRole("tab", { name: w["admin.tabRegistration"] }).click();
      const toggle = page.getByRole("switch", { name: new RegExp(`^${w["admin.membersMakeBots"]}`) });
      await expect(toggle).not.toBeChecked();
      await toggle.check();
      await page.getByRole("button", { name: w["admin.saveRegistration"] }).click();
      await expect(page.getByText(w["common.saved"], { exact: true })).toBeVisible();
      expect((await (await api(server, alice)).request<{ members_make_bots?: boolean }>("PATCH", "/v1/admin/domains/localhost", {})).members_make_bots).toBe(true);

      // Now Bob has My bots, and makes one; it is his only.
      await b.page.reload();
      const mine = b.page.locator('section[aria-labelledby="my-bots-title"]');
      await expect(mine.getByRole("heading", { name: w["settings.myBots"], level: 2 })).toBeVisible();
      await expect(mine.getByTestId("bots-none")).toHaveText(w["settings.myBotsNone"]);
      await mine.getByRole("button", { name: w["admin.botNew"], exact: true }).click();
      await mine.getByLabel(w["admin.botLoginName"], { exact: true }).fill("lunch");
      await mine.getByLabel(w["admin.botDisplayNameOptional"], { exact: true }).fill(n.mine);
      await mine.getByRole("button", { name: w["admin.botCreate"], exact: true }).click();
      const row = mine.locator('[data-testid="bot-row"][data-account="lunch@localhost"]');
      await expect(row.getByTestId("bot-owner")).toHaveText(w["admin.botOwnerYou"]);
      await expect(b.page.getByRole("heading", { name: fill(w["admin.botDetailTitle"], { name: n.mine }), level: 2 })).toBeVisible();
      await b.page.getByLabel(w["admin.botTokenNameLabel"], { exact: true }).fill("menu");
      await b.page.getByRole("button", { name: w["admin.botTokenCreate"], exact: true }).click();
      const secret = (await b.page.getByRole("alertdialog").getByTestId("bot-secret").textContent()) ?? "";
      expect(await asBot(server.url, secret)).toEqual({ status: 200, body: expect.objectContaining({ account: "lunch@localhost", bot: true }) });
      await b.page.getByRole("alertdialog").getByRole("button", { name: w["admin.done"], exact: true }).click();
      await expect(b.page.locator("body")).not.toContainText(secret);
      await expectAccessible(b.page, `My bots (${lang})`);
      await mine.scrollIntoViewIfNeeded();
      await shot(b.page, `my-bots-${lang}`);

      // The administrator sees it among the domain's, made by Bob.
      await page.getByRole("tab", { name: w["admin.tabBots"] }).click();
      await expect(page.locator('[data-testid="bot-row"][data-account="lunch@localhost"]').getByTestId("bot-owner")).toHaveText(n.bob);
    });
  });
}
