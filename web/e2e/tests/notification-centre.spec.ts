// The notification centre: Bob mentions Alice in a group, and Alice's bell shows 1 with the item
// ("Bob mentioned you in Design"); opening it lands on the message and marks it read, which
// Alice's other browser follows (its bell drops to 0); an administrator's announcement from
// Administration reaches Alice's bell, and "Mark all as read" empties it. In English and
// Chinese (the Chinese sentences checked as such), axe-checked.

import { test, expect, signedIn, api, messages, expectAccessible, shot, LOCALES } from "../fixtures.ts";
import { en } from "../../app/src/i18n/en.ts";
import { zh } from "../../app/src/i18n/zh.ts";
import { fill } from "../../app/src/i18n/index.ts";
import type { Page } from "@playwright/test";

for (const [lang, locale] of Object.entries(LOCALES)) {
  test(`mentions and announcements reach the bell, and reads follow the account (${lang})`, async ({ browser, server }) => {
    const w = lang === "zh" ? zh : en;
    const bobName = lang === "zh" ? "王伟" : "Bob";
    const groupName = lang === "zh" ? "设计评审" : "Design";
    const alice = await server.addUser("alice", { displayName: lang === "zh" ? "李娜" : "Alice" });
    const bob = await server.addUser("bob", { displayName: bobName });
    const root = await server.addUser("root", { displayName: lang === "zh" ? "管理员" : "Admin", admin: true });
    const bobApi = await api(server, bob);
    const group = await bobApi.group(groupName, [alice.account]);
    await bobApi.send(group, lang === "zh" ? "大家好" : "Hello all");

    const laptop = await signedIn(browser, server, alice, { locale });
    const phone = await signedIn(browser, server, alice, { locale });
    const rail = (page: Page) => page.getByRole("navigation", { name: w["nav.main"] });
    const bell = (page: Page) => rail(page).getByTestId("inbox-bell");
    const panel = (page: Page) => page.getByRole("dialog", { name: w["inbox.title"] });
    const items = (page: Page) => panel(page).getByRole("list", { name: w["inbox.list"] }).getByTestId("inbox-item");
    const withCount = (count: number) => fill(w["nav.withBadge"], { label: w["nav.inbox"], count });
    for (const page of [laptop.page, phone.page]) {
      await expect(bell(page)).toHaveAccessibleName(w["nav.inbox"]);
      await expect(bell(page).getByTestId("inbox-badge")).toHaveCount(0);
    }

    // Bob mentions Alice: her bell says 1 on both browsers, and the panel has the item.
    const text = lang === "zh" ? "@李娜 看下设计稿？" : "@Alice can you check the mockups?";
    const seq = await bobApi.send(group, text, { mentions: [alice.account] });
    for (const page of [laptop.page, phone.page]) {
      await expect(bell(page)).toHaveAccessibleName(withCount(1));
      await expect(bell(page).getByTestId("inbox-badge")).toHaveText("1");
    }
    await bell(laptop.page).click();
    await expect(panel(laptop.page)).toBeVisible();
    await expect(items(laptop.page)).toHaveCount(1);
    const item = items(laptop.page).first();
    const sentence = fill(w["inbox.mention"], { name: bobName, conversation: groupName });
    expect(sentence).toBe(lang === "zh" ? "王伟 在 设计评审 中提到了你" : "Bob mentioned you in Design");
    await expect(item.getByTestId("inbox-sentence")).toHaveText(sentence);
    await expect(item.getByTestId("inbox-preview")).toHaveText(text);
    await expect(item.getByRole("img", { name: w["inbox.unread"] })).toBeVisible();
    await expectAccessible(laptop.page, `the notification panel (${lang})`);
    await shot(laptop.page, `notification-centre-${lang}`);

    // Opening it lands on the message, read; the other browser's bell drops to 0.
    await item.getByRole("button").click();
    await expect(panel(laptop.page)).toHaveCount(0);
    await expect(laptop.page).toHaveURL(new RegExp(`/c/${group}(/m/${seq})?$`));
    await expect(laptop.page.getByRole("log", { name: w["chat.messages"] })).toBeVisible();
    await expect(messages(laptop.page).filter({ hasText: text })).toBeInViewport();
    for (const page of [laptop.page, phone.page]) {
      await expect(bell(page)).toHaveAccessibleName(w["nav.inbox"]);
      await expect(bell(page).getByTestId("inbox-badge")).toHaveCount(0);
    }
    await bell(phone.page).click();
    await expect(items(phone.page).first().getByRole("img", { name: w["inbox.unread"] })).toHaveCount(0);
    await phone.page.keyboard.press("Escape");
    await expect(panel(phone.page)).toHaveCount(0);

    // An administrator announces to the domain from Administration.
    const admin = await signedIn(browser, server, root, { locale });
    await rail(admin.page).getByRole("button", { name: w["nav.admin"] }).click();
    await admin.page.getByRole("tab", { name: w["admin.tabAnnouncements"] }).click();
    const announcement = lang === "zh" ? "周一办公室关闭。" : "The office is closed on Monday.";
    await admin.page.getByLabel(w["admin.announceText"], { exact: true }).fill(announcement);
    await admin.page.getByRole("button", { name: w["admin.announceSend"] }).click();
    const sent = new RegExp(`^${w["admin.announceSent"].replace("{count}", "\\d+")}$`);
    await expect(admin.page.getByRole("status").filter({ hasText: sent })).toBeVisible();
    await expectAccessible(admin.page, `the announcements tab (${lang})`);

    // It reaches Alice's bell; "Mark all as read" empties it, on both browsers.
    for (const page of [laptop.page, phone.page]) await expect(bell(page)).toHaveAccessibleName(withCount(1));
    await bell(laptop.page).click();
    await expect(items(laptop.page)).toHaveCount(2);
    await expect(items(laptop.page).first().getByTestId("inbox-sentence")).toHaveText(w["inbox.domainAnnouncement"]);
    await expect(items(laptop.page).first().getByTestId("inbox-preview")).toHaveText(announcement);
    await panel(laptop.page).getByRole("button", { name: w["inbox.markAllRead"] }).click();
    await expect(panel(laptop.page).getByRole("img", { name: w["inbox.unread"] })).toHaveCount(0);
    for (const page of [laptop.page, phone.page]) await expect(bell(page)).toHaveAccessibleName(w["nav.inbox"]);
  });
}
