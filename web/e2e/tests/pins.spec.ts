// Pinned messages (issue 23): a group's admin pins a message from its menu; every member sees
// the latest pin above the chat, live, and after a reload; the bar and the list of all pins
// lead to the message, loading older history when it is far back; members of a group may not
// pin; an unpin reaches everyone. In English and Chinese, on a desktop and a phone.

import { test, expect, signedIn, shot, api, messages, conversation, words, expectAccessible, VIEWPORTS, LOCALES } from "../fixtures.ts";
import { fill } from "../../app/src/i18n/index.ts";

for (const [device, viewport] of Object.entries(VIEWPORTS)) {
  for (const [lang, locale] of Object.entries(LOCALES)) {
    test(`pins show above the chat for every member and lead to the message (${lang}, ${device})`, async ({ browser, server }) => {
      const zh = lang === "zh";
      const alice = await server.addUser("alice", { displayName: zh ? "李娜" : "Alice" });
      const bob = await server.addUser("bob", { displayName: zh ? "王伟" : "Bob" });
      const aliceApi = await api(server, alice);
      const bobApi = await api(server, bob);
      const name = zh ? "发布小组" : "Launch crew";
      const group = await aliceApi.group(name, [bob.account]);
      const plan = zh ? "计划：周四冻结代码，周五上线" : "The plan: freeze Thursday, ship Friday";
      await bobApi.send(group, plan);
      await bobApi.send(group, zh ? "收到" : "Got it");

      const a = await signedIn(browser, server, alice, { locale, viewport });
      const b = await signedIn(browser, server, bob, { locale, viewport });
      const w = await words(a.page);
      for (const page of [a.page, b.page]) {
        await conversation(page, name).click();
        await expect(messages(page).filter({ hasText: plan })).toBeVisible();
      }

      // Alice, the group's owner, pins the plan from its menu.
      const planRow = messages(a.page).filter({ hasText: plan });
      await planRow.hover();
      await planRow.getByRole("button", { name: w["msg.actions"] }).click();
      await a.page.getByRole("menuitem", { name: w["msg.pin"] }).click();
      await expect(a.page.getByText(w["pins.pinned"])).toBeVisible();
      const barOf = (page: typeof a.page) => page.getByRole("region", { name: w["pins.label"] });
      for (const page of [a.page, b.page]) {
        await expect(barOf(page)).toContainText(w["pins.latest"]);
        await expect(barOf(page)).toContainText(plan);
        await expect(page.getByTestId("system-notice").filter({ hasText: fill(w["sys.pinned"], { by: zh ? "李娜" : "Alice" }) })).toBeVisible();
      }

      // Bob is a member: his menu has no pin.
      const bobsRow = messages(b.page).filter({ hasText: plan });
      await bobsRow.hover();
      await bobsRow.getByRole("button", { name: w["msg.actions"] }).click();
      await expect(b.page.getByRole("menuitem", { name: w["msg.save"] })).toBeVisible();
      await expect(b.page.getByRole("menuitem", { name: w["msg.pin"] })).toHaveCount(0);
      await b.page.keyboard.press("Escape");

      // Much later, the bar still leads back to the plan: older history loads on the way.
      let last = "";
      let lastSeq = 0;
      for (let i = 1; i <= 60; i++) {
        last = zh ? `进度更新 ${i}` : `Progress update ${i}`;
        lastSeq = await bobApi.send(group, last);
      }
      await expect(messages(a.page).filter({ hasText: last })).toBeVisible();
      await expect(messages(a.page).filter({ hasText: plan })).not.toBeInViewport();
      // Read on another device: the chat opens at its end, with only the newest page loaded.
      await aliceApi.request("POST", `/v1/conversations/${group}/read`, { seq: lastSeq });
      await a.page.reload();
      await expect(messages(a.page).filter({ hasText: last })).toBeVisible();
      await expect(messages(a.page).filter({ hasText: plan })).toHaveCount(0);
      // The bar's button is named by what it shows: "Pinned message", who said it and what.
      await barOf(a.page).getByRole("button", { name: new RegExp(`^${w["pins.latest"]}.*${plan}`) }).click();
      await expect(messages(a.page).filter({ hasText: plan })).toBeInViewport();
      await shot(a.page, `pins-${lang}-${device}`);
      await expectAccessible(a.page, "a chat with a pinned message");

      // A second pin: the bar counts them, and the list has both, the latest first.
      const lastRow = messages(a.page).filter({ hasText: last });
      await a.page.getByRole("button", { name: new RegExp(w["chat.jumpLatest"]) }).click().catch(() => { /* at the end already */ });
      await lastRow.hover();
      await lastRow.getByRole("button", { name: w["msg.actions"] }).click();
      await a.page.getByRole("menuitem", { name: w["msg.pin"] }).click();
      const two = fill(w["pins.latestOf"], { count: 2 });
      for (const page of [a.page, b.page]) await expect(barOf(page)).toContainText(two);
      await barOf(b.page).getByRole("button", { name: fill(w["pins.showAll"], { count: 2 }) }).click();
      const dialog = b.page.getByRole("dialog", { name: w["pins.label"] });
      await expect(dialog.getByTestId("pin-item")).toHaveCount(2);
      await expect(dialog.getByTestId("pin-item").first()).toContainText(last);
      await expect(dialog.getByTestId("pin-item").nth(1)).toContainText(plan);
      await expect(dialog.getByRole("button", { name: w["pins.unpin"] })).toHaveCount(0);
      await expectAccessible(b.page, "the list of pinned messages");
      await shot(b.page, `pins-list-${lang}-${device}`);
      await dialog.getByRole("button", { name: fill(w["pins.goNamed"], { text: plan }) }).click();
      await expect(dialog).toHaveCount(0);
      await expect(messages(b.page).filter({ hasText: plan })).toBeInViewport();

      // Alice unpins the latest from the bar: everyone's bar is back to the plan.
      await barOf(a.page).getByRole("button", { name: fill(w["pins.unpinNamed"], { text: last }) }).click();
      for (const page of [a.page, b.page]) {
        await expect(barOf(page)).not.toContainText(two);
        await expect(barOf(page)).toContainText(plan);
      }
      await b.page.reload();
      await expect(barOf(b.page)).toContainText(plan);
      expect((await bobApi.request<{ pins: unknown[] }>("GET", `/v1/conversations/${group}/pins`)).pins).toHaveLength(1);
    });
  }
}
