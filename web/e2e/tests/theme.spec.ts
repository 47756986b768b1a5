// Dark mode (issue 23): the app follows the system's light or dark setting, and Settings
// overrides it, for good (it survives a reload). In English and Chinese, desktop and phone.

import type { Page } from "@playwright/test";
import { test, expect, signedIn, openChatWith, send, messages, shot, api, VIEWPORTS, LOCALES } from "../fixtures.ts";

const background = (page: Page) => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
/** Whether a CSS colour is dark (its relative luminance is low). */
function isDark(colour: string): boolean {
  const [r, g, b] = (colour.match(/\d+(\.\d+)?/g) ?? []).map(Number) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b < 80;
}

for (const [device, viewport] of Object.entries(VIEWPORTS)) {
  for (const [lang, locale] of Object.entries(LOCALES)) {
    test(`the theme follows the system, and Settings overrides it for good (${lang}, ${device})`, async ({ browser, server }) => {
      const zh = lang === "zh";
      const alice = await server.addUser("alice", { displayName: zh ? "李娜" : "Alice" });
      const bob = await server.addUser("bob", { displayName: zh ? "王伟" : "Bob" });
      const bobApi = await api(server, bob);
      await bobApi.send(await bobApi.direct(alice.account), zh ? "**周报**已发，请查收：\n\n- 进度\n- `风险`" : "The **weekly report** is out:\n\n- progress\n- `risks`");

      // The system is dark: so is the app, from the sign-in page on.
      const a = await signedIn(browser, server, alice, { locale, viewport, colorScheme: "dark" });
      await expect(a.page.locator("html")).toHaveAttribute("data-theme", "dark");
      expect(isDark(await background(a.page))).toBe(true);
      await shot(a.page, `dark-list-${lang}-${device}`);
      await openChatWith(a.page, zh ? "王伟" : "Bob");
      await send(a.page, zh ? "收到，谢谢！" : "Got it, thanks!");
      await expect(messages(a.page).filter({ hasText: zh ? "收到" : "Got it" })).toHaveAttribute("data-state", /sent|delivered|read/);
      await shot(a.page, `dark-chat-${lang}-${device}`);

      // Settings: light, whatever the system says; kept after a reload.
      if (device === "phone") await a.page.getByRole("button", { name: zh ? "返回" : "Back" }).click();
      await a.page.getByRole("button", { name: zh ? "设置" : "Settings" }).click();
      const appearance = a.page.getByLabel(zh ? "外观" : "Appearance");
      await expect(appearance).toHaveValue("system");
      await shot(a.page, `dark-settings-${lang}-${device}`);
      await appearance.selectOption("light");
      await expect(a.page.locator("html")).toHaveAttribute("data-theme", "light");
      expect(isDark(await background(a.page))).toBe(false);
      await a.page.reload();
      await expect(a.page.locator("html")).toHaveAttribute("data-theme", "light");
      await expect(a.page.getByLabel(zh ? "外观" : "Appearance")).toHaveValue("light");
      await shot(a.page, `light-settings-${lang}-${device}`);

      // Back to the system's: dark again; and when the system turns light, so does the app.
      await a.page.getByLabel(zh ? "外观" : "Appearance").selectOption("system");
      await expect(a.page.locator("html")).toHaveAttribute("data-theme", "dark");
      await a.page.emulateMedia({ colorScheme: "light" });
      await expect(a.page.locator("html")).toHaveAttribute("data-theme", "light");
      // Dark chosen by hand stays dark when the system is light.
      await a.page.getByLabel(zh ? "外观" : "Appearance").selectOption("dark");
      await expect(a.page.locator("html")).toHaveAttribute("data-theme", "dark");
      expect(isDark(await background(a.page))).toBe(true);
    });
  }
}
