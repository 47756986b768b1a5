// "Mark as unread" (issue 23): a chat already read is marked unread from the list's menu; the
// mark is the account's own, shows as a dot, survives a reload and reaches the other devices,
// and goes once the chat is opened. In English and Chinese, on a desktop and a phone.

import { test, expect, signedIn, shot, api, VIEWPORTS, LOCALES } from "../fixtures.ts";

for (const [device, viewport] of Object.entries(VIEWPORTS)) {
  for (const [lang, locale] of Object.entries(LOCALES)) {
    test(`a chat marked unread shows a dot until it is opened (${lang}, ${device})`, async ({ browser, server }) => {
      const zh = lang === "zh";
      const alice = await server.addUser("alice", { displayName: zh ? "李娜" : "Alice" });
      const bob = await server.addUser("bob", { displayName: zh ? "王伟" : "Bob" });
      const aliceApi = await api(server, alice);
      const bobApi = await api(server, bob);
      const chat = await aliceApi.direct(bob.account);
      const seq = await aliceApi.send(chat, zh ? "周五的报告好了吗？" : "Is Friday's report done?");
      await bobApi.request("POST", `/v1/conversations/${chat}/read`, { seq });
      const marked = async () =>
        (await bobApi.request<{ me: { marked_unread?: boolean } }>("GET", `/v1/conversations/${chat}`)).me.marked_unread ?? false;

      const b = await signedIn(browser, server, bob, { locale, viewport });
      const list = b.page.getByRole("list", { name: zh ? "会话列表" : "Conversations" });
      const item = list.getByRole("listitem").filter({ hasText: zh ? "李娜" : "Alice" });
      const dot = item.getByTestId("marked-unread");
      await expect(item).toBeVisible();
      await expect(dot).toHaveCount(0);
      await item.getByRole("button", { name: zh ? "会话选项" : "Conversation options" }).click();
      await b.page.getByRole("menuitem", { name: zh ? "标为未读" : "Mark as unread" }).click();
      await expect(dot).toBeVisible();
      await expect(dot).toHaveAccessibleName(zh ? "已标为未读" : "Marked unread");
      expect(await marked()).toBe(true);
      await expect(item.getByTestId("unread-badge")).toHaveCount(0);
      await shot(b.page, `marked-unread-${lang}-${device}`);

      // It is the account's, not the page's: after a reload it is still there.
      await b.page.reload();
      await expect(dot).toBeVisible();

      // Opened, the chat is read: the mark goes here and on the server.
      await item.getByRole("button", { name: new RegExp(`^${zh ? "李娜" : "Alice"}`) }).click();
      await expect(b.page.getByRole("log").getByText(zh ? "周五的报告好了吗？" : "Is Friday's report done?")).toBeVisible();
      await expect.poll(marked).toBe(false);
      if (device === "phone") await b.page.getByRole("button", { name: zh ? "返回" : "Back" }).click();
      await expect(dot).toHaveCount(0);
    });
  }
}
