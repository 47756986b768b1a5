// Saved messages (收藏, issue 23): saved from a message's menu, a copy lands in Saved on every
// device of the account, live; a note added on one device shows on the other; a recall by the
// sender erases the copy but keeps the note; "Open in chat" leads to the message; removed, it
// goes everywhere. In English and Chinese, on a desktop and a phone.

import { test, expect, signedIn, shot, api, messages, conversation, words, expectAccessible, VIEWPORTS, LOCALES } from "../fixtures.ts";
import { fill } from "../../app/src/i18n/index.ts";

for (const [device, viewport] of Object.entries(VIEWPORTS)) {
  for (const [lang, locale] of Object.entries(LOCALES)) {
    test(`saved messages keep a copy and a note on every device (${lang}, ${device})`, async ({ browser, server }) => {
      const zh = lang === "zh";
      const alice = await server.addUser("alice", { displayName: zh ? "李娜" : "Alice" });
      const bob = await server.addUser("bob", { displayName: zh ? "王伟" : "Bob" });
      const bobName = zh ? "王伟" : "Bob";
      const aliceApi = await api(server, alice);
      const bobApi = await api(server, bob);
      const chat = await bobApi.direct(alice.account);
      const code = zh ? "门禁密码是 4512" : "The door code is 4512";
      const lunch = zh ? "中午一起吃饭？" : "Lunch at noon?";
      await bobApi.send(chat, code);
      const lunchSeq = await bobApi.send(chat, lunch);

      const laptop = await signedIn(browser, server, alice, { locale, viewport });
      const phone = await signedIn(browser, server, alice, { locale, viewport });
      const w = await words(laptop.page);
      const savedList = (page: typeof laptop.page) => page.getByRole("list", { name: w["saved.list"] });
      const items = (page: typeof laptop.page) => savedList(page).getByTestId("saved-item");
      await phone.page.getByRole("button", { name: w["nav.saved"] }).click();
      await expect(phone.page.getByText(w["saved.empty"])).toBeVisible();

      // Saved from the chat on the laptop: both messages, the newest save first.
      await conversation(laptop.page, bobName).click();
      for (const text of [code, lunch]) {
        const row = messages(laptop.page).filter({ hasText: text });
        await row.hover();
        await row.getByRole("button", { name: w["msg.actions"] }).click();
        await laptop.page.getByRole("menuitem", { name: w["msg.save"] }).click();
        await expect(laptop.page.getByText(w["msg.saved"]).last()).toBeVisible();
      }
      await expect(items(phone.page)).toHaveCount(2);
      await expect(items(phone.page).first()).toContainText(lunch);
      await expect(items(phone.page).nth(1)).toContainText(code);
      await expect(items(phone.page).nth(1)).toContainText(bobName);
      await expect(items(phone.page).nth(1)).toContainText(fill(w["saved.inDirect"], { name: bobName }));

      // A note on the phone reaches the laptop.
      if (device === "phone") await laptop.page.getByRole("button", { name: w["nav.back"] }).click();
      await laptop.page.getByRole("button", { name: w["nav.saved"] }).click();
      await items(phone.page).nth(1).getByRole("button", { name: w["saved.addNote"] }).click();
      const note = zh ? "前门" : "front door";
      await phone.page.getByLabel(w["saved.noteLabel"]).fill(note);
      await phone.page.getByRole("button", { name: w["saved.saveNote"] }).click();
      await expect(items(laptop.page).nth(1)).toContainText(note);
      await expect(items(laptop.page).nth(1).getByRole("button", { name: w["saved.editNote"] })).toBeVisible();
      await shot(laptop.page, `saved-${lang}-${device}`);
      await expectAccessible(laptop.page, "saved messages");

      // Bob recalls the lunch message: the copies lose it, on both devices.
      await bobApi.request("DELETE", `/v1/conversations/${chat}/messages/${lunchSeq}`);
      for (const page of [laptop.page, phone.page]) {
        await expect(items(page).first()).toContainText(w["saved.recalled"]);
        await expect(items(page).first()).not.toContainText(lunch);
      }

      // Open in chat leads to the message.
      await items(laptop.page).nth(1).getByRole("button", { name: w["saved.open"] }).click();
      await expect(laptop.page.getByRole("log", { name: w["chat.messages"] })).toBeVisible();
      await expect(messages(laptop.page).filter({ hasText: code })).toBeInViewport();

      // Removed on the phone: gone there, on the server, and after a reload.
      await items(phone.page).nth(1).getByRole("button", { name: w["saved.remove"] }).click();
      await expect(items(phone.page)).toHaveCount(1);
      expect((await aliceApi.request<{ items: unknown[] }>("GET", "/v1/saved")).items).toHaveLength(1);
      await phone.page.reload();
      await expect(items(phone.page)).toHaveCount(1);
      await expect(items(phone.page).first()).toContainText(w["saved.recalled"]);
    });
  }
}
