// Unread done right (issue 23): a chat opens at the first unread message under a "new
// messages" divider, with a button to jump to the latest, and is marked read as far as the
// messages have been seen — not on open. In English and Chinese, on a desktop and a phone.

import { test, expect, signedIn, messages, shot, api, VIEWPORTS, LOCALES } from "../fixtures.ts";

for (const [device, viewport] of Object.entries(VIEWPORTS)) {
  for (const [lang, locale] of Object.entries(LOCALES)) {
    test(`a chat opens at the first unread message and is read as it is seen (${lang}, ${device})`, async ({ browser, server }) => {
      const zh = lang === "zh";
      const alice = await server.addUser("alice", { displayName: zh ? "李娜" : "Alice" });
      const bob = await server.addUser("bob", { displayName: zh ? "王伟" : "Bob" });
      const aliceApi = await api(server, alice);
      const bobApi = await api(server, bob);
      const chat = await aliceApi.direct(bob.account);
      for (let i = 1; i <= 90; i += 1) await aliceApi.send(chat, `${zh ? "进度" : "update"} ${i}`);
      // Bob read the first 20 on his phone: 70 are unread, more than a page.
      await bobApi.request("POST", `/v1/conversations/${chat}/read`, { seq: 20 });
      const readMark = async () => (await bobApi.request<{ me: { read_seq: number } }>("GET", `/v1/conversations/${chat}`)).me.read_seq;

      const b = await signedIn(browser, server, bob, { locale, viewport });
      const list = b.page.getByRole("list", { name: zh ? "会话列表" : "Conversations" });
      await expect(list.getByTestId("unread-badge")).toHaveText("70");
      await list.getByRole("button", { name: new RegExp(`^${zh ? "李娜" : "Alice"}`) }).click();

      const log = b.page.getByRole("log");
      const divider = log.getByRole("separator", { name: zh ? "以下为新消息" : "New messages" });
      await expect(divider).toBeVisible();
      await expect(log.getByText(`${zh ? "进度" : "update"} 21`, { exact: true })).toBeVisible();
      await expect(log.getByText(`${zh ? "进度" : "update"} 90`, { exact: true })).toBeHidden();
      // The first unread message follows the divider directly.
      const after = await divider.evaluate((d) => d.closest(".row")?.nextElementSibling?.textContent ?? "");
      expect(after).toContain(`${zh ? "进度" : "update"} 21`);
      const jump = b.page.getByRole("button", { name: zh ? /^回到最新/ : /^Jump to latest/ });
      await expect(jump).toBeVisible();
      // What is on screen is read, and nothing past it.
      await expect.poll(readMark).toBeGreaterThanOrEqual(21);
      expect(await readMark()).toBeLessThan(90);
      await shot(b.page, `unread-opened-${lang}-${device}`);

      await jump.click();
      await expect(log.getByText(`${zh ? "进度" : "update"} 90`, { exact: true })).toBeVisible();
      await expect.poll(readMark).toBe(90);
      await expect(jump).toBeHidden();
      await shot(b.page, `unread-read-${lang}-${device}`);

      // A message that arrives while Bob looks at the end is read when it shows.
      await aliceApi.send(chat, zh ? "收到请回复" : "please confirm");
      await expect(log.getByText(zh ? "收到请回复" : "please confirm", { exact: true })).toBeVisible();
      await expect.poll(readMark).toBe(91);
      await expect(messages(b.page).last()).toContainText(zh ? "收到请回复" : "please confirm");
    });
  }
}
