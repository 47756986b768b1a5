// Notification preferences (Settings → Notifications) are the account's, kept by the server:
// set in one browser, another browser of the same account follows at once (notify_prefs_changed)
// and after a reload. The form refuses keywords over the limit itself. In English and Chinese.

import { test, expect, signedIn, expectAccessible, shot, LOCALES } from "../fixtures.ts";
import { en } from "../../app/src/i18n/en.ts";
import { zh } from "../../app/src/i18n/zh.ts";
import type { Page } from "@playwright/test";

async function openNotifications(page: Page, w: typeof en) {
  await page.getByRole("button", { name: w["nav.settings"], exact: true }).click();
  const section = page.getByRole("region", { name: w["settings.notify.title"], exact: true });
  await expect(section.getByRole("button", { name: w["settings.notify.save"] })).toBeVisible();
  return section;
}

for (const [lang, locale] of Object.entries(LOCALES)) {
  test(`notification preferences follow the account to its other browser (${lang})`, async ({ browser, server }) => {
    const w = lang === "zh" ? zh : en;
    const alice = await server.addUser("alice", { displayName: lang === "zh" ? "李娜" : "Alice" });
    const laptop = await signedIn(browser, server, alice, { locale });
    const phone = await signedIn(browser, server, alice, { locale });
    const mine = await openNotifications(laptop.page, w);
    const other = await openNotifications(phone.page, w);
    await expect(other.getByRole("radio", { name: w["settings.notify.levelAll"] })).toBeChecked();

    await mine.getByRole("radio", { name: w["settings.notify.levelMentions"] }).check();
    await mine.getByRole("switch", { name: new RegExp(`^${w["settings.notify.quiet"]}`) }).check();
    await mine.getByLabel(w["settings.notify.quietFrom"], { exact: true }).fill("23:15");
    await mine.getByLabel(w["settings.notify.quietTo"], { exact: true }).fill("07:00");
    await mine.getByLabel(w["settings.notify.timeZone"], { exact: true }).selectOption("Asia/Shanghai");
    const keyword = mine.getByLabel(w["settings.notify.keywords"], { exact: true }).and(mine.getByRole("textbox"));
    await keyword.fill("发布");
    await keyword.press("Enter");
    await keyword.fill("Release, release");
    await keyword.press("Enter");
    await expect(mine.getByRole("button", { name: new RegExp(`${w["settings.notify.keywordRemove"].replace("{word}", "")}`) })).toHaveCount(2);
    await mine.getByRole("switch", { name: w["settings.notify.preview"] }).uncheck();
    await mine.getByRole("switch", { name: new RegExp(`^${w["settings.notify.digest"]}`) }).check();
    await mine.getByLabel(w["settings.notify.digestAfter"], { exact: true }).selectOption("120");
    await mine.getByRole("button", { name: w["settings.notify.save"] }).click();
    await expect(mine.getByRole("status")).toHaveText(w["settings.notify.saved"]);
    await expectAccessible(laptop.page, `notification settings (${lang})`);
    await shot(laptop.page, `notify-settings-${lang}`);

    const expectKept = async (section: typeof other) => {
      await expect(section.getByRole("radio", { name: w["settings.notify.levelMentions"] })).toBeChecked();
      await expect(section.getByRole("switch", { name: new RegExp(`^${w["settings.notify.quiet"]}`) })).toBeChecked();
      await expect(section.getByLabel(w["settings.notify.quietFrom"], { exact: true })).toHaveValue("23:15");
      await expect(section.getByLabel(w["settings.notify.quietTo"], { exact: true })).toHaveValue("07:00");
      await expect(section.getByLabel(w["settings.notify.timeZone"], { exact: true })).toHaveValue("Asia/Shanghai");
      await expect(section.getByRole("list", { name: w["settings.notify.keywords"] }).getByRole("button")).toHaveText(["发布", "Release"]);
      await expect(section.getByRole("switch", { name: w["settings.notify.preview"] })).not.toBeChecked();
      await expect(section.getByRole("switch", { name: new RegExp(`^${w["settings.notify.digest"]}`) })).toBeChecked();
      await expect(section.getByLabel(w["settings.notify.digestAfter"], { exact: true })).toHaveValue("120");
    };
    // The other browser reads them again when told, and after a reload.
    await expectKept(other);
    await phone.page.reload();
    await expectKept(await openNotifications(phone.page, w));

    // Keywords over the limit: the form keeps 20 and says why; nothing is sent.
    await keyword.fill(Array.from({ length: 19 }, (_, i) => `word${i}`).join(","));
    await keyword.press("Enter");
    await expect(mine.getByRole("alert")).toHaveText(w["settings.notify.keywordsFull"].replace("{max}", "20"));
    await expect(mine.getByRole("list", { name: w["settings.notify.keywords"] }).getByRole("button")).toHaveCount(20);
    await expect(keyword).toHaveAttribute("aria-invalid", "true");
  });
}
