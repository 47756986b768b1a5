// A conversation's own notification settings: a group muted for an hour from the list's menu
// shows a flag that says until when, on this browser and on another of the same account (the
// settings are the account's); the info pane shows the mute and sets the conversation's level,
// which survives a reload and reaches the other browser; unmuting is one step. In English and
// Chinese.

import { test, expect, signedIn, api, conversation, expectAccessible, shot, LOCALES } from "../fixtures.ts";
import { en } from "../../app/src/i18n/en.ts";
import { zh } from "../../app/src/i18n/zh.ts";
import { formatUntil } from "../../app/src/lib/format.ts";
import type { Page } from "@playwright/test";

const HOUR_MS = 3_600_000;

interface Me { muted: boolean; unmute_at_ms?: number; notify_level?: string }

for (const [lang, locale] of Object.entries(LOCALES)) {
  test(`a group muted for an hour and set to mentions only, on two browsers (${lang})`, async ({ browser, server }) => {
    const w = lang === "zh" ? zh : en;
    const name = lang === "zh" ? "运维值班" : "Ops rota";
    const alice = await server.addUser("alice", { displayName: lang === "zh" ? "李娜" : "Alice" });
    const bob = await server.addUser("bob", { displayName: lang === "zh" ? "王伟" : "Bob" });
    const aliceApi = await api(server, alice);
    const group = await aliceApi.group(name, [bob.account]);
    await aliceApi.send(group, lang === "zh" ? "今晚谁值班？" : "Who is on call tonight?");
    const me = async () => (await aliceApi.request<{ me: Me }>("GET", `/v1/conversations/${group}`)).me;

    const laptop = await signedIn(browser, server, alice, { locale });
    const phone = await signedIn(browser, server, alice, { locale });
    const item = (page: Page) => page.getByRole("list", { name: w["list.label"] }).getByRole("listitem").filter({ hasText: name });
    const flag = (page: Page) => item(page).getByTestId("muted-flag");
    await expect(item(laptop.page)).toBeVisible();
    await expect(flag(laptop.page)).toHaveCount(0);

    // Muted for an hour from the list's menu: the dialog asks for how long.
    await item(laptop.page).getByRole("button", { name: w["list.options"] }).click();
    await laptop.page.getByRole("menuitem", { name: w["list.mute"], exact: true }).click();
    const dialog = laptop.page.getByRole("dialog", { name: w["mute.title"] });
    await expect(dialog.getByRole("radio", { name: w["mute.forever"], exact: true })).toBeChecked();
    await dialog.getByRole("radio", { name: w["mute.hour"], exact: true }).check();
    await expectAccessible(laptop.page, `the mute dialog (${lang})`);
    await shot(laptop.page, `mute-dialog-${lang}`);
    const before = Date.now();
    await dialog.getByRole("button", { name: w["mute.confirm"], exact: true }).click();
    await expect(dialog).toHaveCount(0);
    await expect(item(laptop.page).getByRole("button", { name: w["list.options"] })).toBeFocused();
    await expect.poll(async () => (await me()).muted).toBe(true);
    const until = (await me()).unmute_at_ms!;
    expect(until).toBeGreaterThanOrEqual(before + HOUR_MS);
    expect(until).toBeLessThanOrEqual(Date.now() + HOUR_MS);

    // The flag says until when, here and on the other browser of the account.
    const mutedUntil = w["list.mutedUntil"].replace("{time}", formatUntil(until, Date.now(), lang === "zh" ? "zh" : "en"));
    for (const page of [laptop.page, phone.page]) {
      await expect(flag(page)).toHaveAccessibleName(mutedUntil);
      await expect(flag(page)).toHaveAttribute("title", mutedUntil);
    }

    // The info pane shows the mute, and sets the level to mentions only.
    const openInfo = async (page: Page) => {
      await conversation(page, name).click();
      await page.getByRole("button", { name: w["chat.groupInfo"], exact: true }).click();
      const pane = page.getByRole("complementary", { name: w["group.info"] });
      await expect(pane).toBeVisible();
      return pane;
    };
    const pane = await openInfo(laptop.page);
    await expect(pane.getByRole("switch", { name: new RegExp(`^${w["group.muteNotifications"]}`) })).toBeChecked();
    await expect(pane.getByTestId("muted-until")).toHaveText(mutedUntil);
    await expect(pane.getByRole("radio", { name: w["group.notifyDefault"], exact: true })).toBeChecked();
    await pane.getByRole("radio", { name: w["group.notifyMentions"], exact: true }).check();
    await expect.poll(async () => (await me()).notify_level).toBe("mentions");
    await expectAccessible(laptop.page, `the group info pane (${lang})`);
    await shot(laptop.page, `conversation-notify-${lang}`);

    // Kept by the server: after a reload, and on the other browser.
    await laptop.page.reload();
    const reloaded = await openInfo(laptop.page);
    await expect(reloaded.getByRole("radio", { name: w["group.notifyMentions"], exact: true })).toBeChecked();
    const other = await openInfo(phone.page);
    await expect(other.getByRole("radio", { name: w["group.notifyMentions"], exact: true })).toBeChecked();
    await expect(other.getByRole("switch", { name: new RegExp(`^${w["group.muteNotifications"]}`) })).toBeChecked();

    // Unmuted in one step from the list's menu: the flag goes on both browsers, the level stays.
    await item(laptop.page).getByRole("button", { name: w["list.options"] }).click();
    await laptop.page.getByRole("menuitem", { name: w["list.unmute"], exact: true }).click();
    await expect(flag(laptop.page)).toHaveCount(0);
    await expect(flag(phone.page)).toHaveCount(0);
    await expect(other.getByRole("switch", { name: new RegExp(`^${w["group.muteNotifications"]}`) })).not.toBeChecked();
    await expect.poll(async () => (await me()).muted).toBe(false);
    const after = await me();
    expect(after.unmute_at_ms).toBeUndefined();
    expect(after.notify_level).toBe("mentions");
  });
}
