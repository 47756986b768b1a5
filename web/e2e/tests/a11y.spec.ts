// Accessibility (issue 23, WCAG 2.2 AA): axe-core finds no serious or critical violation on
// the main screens, in the light and the dark theme; and a keyboard user moves through the
// message log with the arrow keys, one Tab stop for the whole log, and reaches a message's
// actions without tabbing through every message. In English and Chinese, desktop and phone.

import { test, expect, newContext, signedIn, messages, conversation, shot, api, words, expectAccessible, VIEWPORTS, LOCALES } from "../fixtures.ts";
import { gradientPng } from "../png.ts";

for (const [device, viewport] of Object.entries(VIEWPORTS)) {
  for (const [lang, locale] of Object.entries(LOCALES)) {
    for (const scheme of ["light", "dark"] as const) {
      test(`the main screens pass axe-core (${scheme}, ${lang}, ${device})`, async ({ browser, server }) => {
        const zh = lang === "zh";
        const alice = await server.addUser("alice", { displayName: zh ? "李娜" : "Alice" });
        const bob = await server.addUser("bob", { displayName: zh ? "王伟" : "Bob" });
        const carol = await server.addUser("carol", { displayName: zh ? "张敏" : "Carol" });
        const bobApi = await api(server, bob);
        const chat = await bobApi.direct(alice.account);
        for (let i = 1; i <= 3; i += 1) await bobApi.send(chat, zh ? `第 ${i} 条` : `note ${i}`);
        const team = await bobApi.group(zh ? "项目组" : "Project", [alice.account, carol.account]);
        await bobApi.send(team, zh ? "@李娜 请看一下 https://example.com/plan" : "@Alice please look at https://example.com/plan", { mentions: [alice.account] });

        const context = await newContext(browser, server, { locale, viewport, colorScheme: scheme });
        const signIn = await context.newPage();
        await signIn.goto("/");
        await expectAccessible(signIn, "sign-in");
        await context.close();

        const a = await signedIn(browser, server, alice, { locale, viewport, colorScheme: scheme });
        const w = await words(a.page);
        await expect(conversation(a.page, zh ? "王伟" : "Bob")).toBeVisible();
        await expectAccessible(a.page, "the conversation list");

        // A direct chat with the kinds of content a day brings, and the unread divider.
        await conversation(a.page, zh ? "王伟" : "Bob").click();
        await expect(a.page.getByRole("separator", { name: w["chat.unreadDivider"] })).toBeVisible();
        const composer = a.page.getByLabel(w["composer.message"], { exact: true });
        await composer.fill(zh ? "**计划**：\n\n- 周一开会\n- [文档](https://example.com/docs)" : "**Plan**:\n\n- meet on Monday\n- [docs](https://example.com/docs)");
        await composer.press("Enter");
        await composer.fill("```ts\nconst answer = 42;\n```");
        await composer.press("Enter");
        await a.page.getByLabel(w["composer.chooseFile"]).setInputFiles({ name: "q3.csv", mimeType: "text/csv", buffer: Buffer.from("a,b\n1,2\n") });
        await a.page.getByLabel(w["composer.chooseFile"]).setInputFiles({ name: "whiteboard.png", mimeType: "image/png", buffer: gradientPng(800, 500) });
        await expect(messages(a.page).last()).toHaveAttribute("data-state", /sent|delivered|read/);
        const first = messages(a.page).filter({ hasText: zh ? "第 1 条" : "note 1" });
        await bobApi.request("POST", `/v1/conversations/${chat}/messages/1/reactions`, { client_msg_id: `r-${lang}-${scheme}-${device}`, emoji: "👍", on: true });
        await expect(first.getByRole("group")).toBeVisible();
        await expectAccessible(a.page, "a direct chat");
        await shot(a.page, `a11y-chat-${scheme}-${lang}-${device}`);

        await first.focus();
        await a.page.keyboard.press("Enter");
        await expect(a.page.getByRole("menu")).toBeVisible();
        await expectAccessible(a.page, "the message actions menu");
        await a.page.keyboard.press("Escape");

        await a.page.getByRole("button", { name: w["msg.openImageNamed"].replace("{name}", "whiteboard.png") }).click();
        await expect(a.page.getByRole("dialog")).toBeVisible();
        await expectAccessible(a.page, "the image viewer");
        await a.page.keyboard.press("Escape");

        // A group, its mention and its info pane.
        if (device === "phone") await a.page.getByRole("button", { name: w["nav.back"] }).click();
        await conversation(a.page, zh ? "项目组" : "Project").click();
        await expect(messages(a.page).getByTestId("mention")).toBeVisible();
        await a.page.getByRole("button", { name: w["chat.groupInfo"] }).click();
        await expect(a.page.getByRole("complementary")).toBeVisible();
        await expectAccessible(a.page, "a group with its info pane");
        await a.page.keyboard.press("Escape");
        if (device === "phone") await a.page.getByRole("button", { name: w["nav.back"] }).click();

        await a.page.getByRole("button", { name: w["list.newGroup"] }).click();
        await expect(a.page.getByRole("dialog")).toBeVisible();
        await expectAccessible(a.page, "the new group dialog");
        await a.page.keyboard.press("Escape");

        await a.page.keyboard.press("Control+k");
        await expect(a.page.getByRole("dialog")).toBeVisible();
        await expectAccessible(a.page, "the quick switcher");
        await a.page.keyboard.press("Escape");

        // Search (issue 16), from the switcher: results whose matches are marked, and a chip on.
        const word = zh ? "条" : "note";
        await expect.poll(async () => (await bobApi.request<{ total: number }>("GET", `/v1/search/messages?q=${encodeURIComponent(word)}`)).total).toBe(3);
        await a.page.keyboard.press("Control+k");
        await expect(a.page.getByRole("dialog").getByRole("combobox")).toBeFocused();
        await a.page.keyboard.type(word);
        await a.page.getByTestId("switcher-search").click();
        const search = a.page.getByRole("dialog", { name: w["search.title"] });
        await expect(search.getByTestId("search-result")).toHaveCount(3);
        await expectAccessible(a.page, "the search's results");
        await shot(a.page, `a11y-search-${scheme}-${lang}-${device}`);
        await search.getByRole("button", { name: w["search.hasFile"] }).click();
        await expect(search.getByTestId("search-empty")).toBeVisible();
        await expectAccessible(a.page, "the search with a chip on and nothing found");
        await a.page.keyboard.press("Escape");
        await expect(search).toHaveCount(0);

        await a.page.getByRole("button", { name: w["nav.contacts"] }).click();
        await expect(a.page.getByRole("heading", { name: w["contacts.title"], level: 1 })).toBeVisible();
        await expectAccessible(a.page, "contacts");
        await a.page.getByRole("button", { name: w["nav.settings"], exact: true }).click();
        await expect(a.page.getByRole("heading", { name: w["settings.title"], level: 1 })).toBeVisible();
        await expectAccessible(a.page, "settings");
      });
    }

    test(`the message log is one Tab stop, and the arrow keys move between messages (${lang}, ${device})`, async ({ browser, server }) => {
      const zh = lang === "zh";
      const alice = await server.addUser("alice", { displayName: zh ? "李娜" : "Alice" });
      const bob = await server.addUser("bob", { displayName: zh ? "王伟" : "Bob" });
      const bobApi = await api(server, bob);
      const chat = await bobApi.direct(alice.account);
      for (let i = 1; i <= 40; i += 1) await bobApi.send(chat, zh ? `消息 ${i}` : `message ${i}`);
      await (await api(server, alice)).request("POST", `/v1/conversations/${chat}/read`, { seq: 40 });

      const a = await signedIn(browser, server, alice, { locale, viewport });
      const w = await words(a.page);
      await conversation(a.page, zh ? "王伟" : "Bob").click();
      const log = a.page.getByRole("log", { name: w["chat.messages"] });
      const text = (i: number) => (zh ? `消息 ${i}` : `message ${i}`);
      await expect(log.getByText(text(40), { exact: true })).toBeVisible();

      // Shift+Tab from the composer: the newest message's own controls, then the message.
      const composer = a.page.getByLabel(w["composer.message"], { exact: true });
      await composer.focus();
      const focused = () => a.page.evaluate(() => {
        const el = document.activeElement as HTMLElement | null;
        const row = el?.closest<HTMLElement>('[data-testid="message"]');
        // Message i is seq i of this chat.
        return { inRow: row ? Number(row.dataset.seq) : null, isRow: el === row, label: el?.getAttribute("aria-label") ?? "" };
      });
      await a.page.keyboard.press("Shift+Tab");
      expect(await focused()).toMatchObject({ inRow: 40, isRow: false, label: w["msg.actions"] });
      await a.page.keyboard.press("Shift+Tab");
      expect(await focused()).toMatchObject({ inRow: 40, isRow: true });
      // One more goes out of the log (to the chat's header), not to the next message.
      await a.page.keyboard.press("Shift+Tab");
      expect((await focused()).inRow).toBeNull();

      // Back in, up three messages with the arrow keys; the message says who wrote it and what.
      await a.page.keyboard.press("Tab");
      expect(await focused()).toMatchObject({ inRow: 40, isRow: true });
      for (let i = 0; i < 3; i += 1) await a.page.keyboard.press("ArrowUp");
      const row = messages(a.page).filter({ hasText: text(37) });
      await expect(row).toBeFocused();
      await expect(row).toHaveAttribute("aria-label", new RegExp(`^${zh ? "王伟" : "Bob"}.*${text(37)}$`));
      await shot(a.page, `keyboard-focus-${lang}-${device}`);

      // Enter opens its actions; Reply quotes it in the composer.
      await a.page.keyboard.press("Enter");
      await expect(a.page.getByRole("menuitem").first()).toBeFocused();
      await a.page.getByRole("menuitem", { name: w["msg.reply"], exact: true }).press("Enter");
      await expect(composer).toBeFocused();
      await expect(a.page.getByText(w["composer.replyingTo"].replace("{name}", zh ? "王伟" : "Bob"))).toBeVisible();
      await composer.fill(zh ? "好的" : "Sure");
      await composer.press("Enter");
      await expect(messages(a.page).last()).toContainText(text(37));
      // Once the server has it (its row then stands for the stored message, on a busy machine
      // only after a while), so that the focus is not on a row about to be replaced.
      await expect(messages(a.page).last()).toHaveAttribute("data-state", /sent|delivered|read/);

      // Home and End go to the first and the last loaded message.
      await messages(a.page).last().focus();
      await a.page.keyboard.press("Home");
      await expect(a.page.locator(":focus")).toHaveAttribute("data-testid", "message");
      const firstSeq = Number(await a.page.locator(":focus").getAttribute("data-seq"));
      expect(firstSeq).toBeLessThan(37);
      await a.page.keyboard.press("End");
      await expect(messages(a.page).last()).toBeFocused();
    });
  }
}
