// Selecting several messages (issue 23): "Select" in a message's menu, then a click (or Space)
// on others, Shift for a run; the selection bar forwards them as one merged message or one by
// one, or deletes them for me; Escape leaves. In English and Chinese, on a desktop and a phone.

import { test, expect, signedIn, shot, api, messages, words, expectAccessible, VIEWPORTS, LOCALES } from "../fixtures.ts";

interface Entry { seq: number; kind: string; body: Record<string, unknown> | null; hidden?: boolean; forwarded_from?: { seq: number } }

for (const [device, viewport] of Object.entries(VIEWPORTS)) {
  for (const [lang, locale] of Object.entries(LOCALES)) {
    test(`several messages are selected, forwarded and deleted for me (${lang}, ${device})`, async ({ browser, server }) => {
      const zh = lang === "zh";
      const alice = await server.addUser("alice", { displayName: zh ? "李娜" : "Alice" });
      const bob = await server.addUser("bob", { displayName: zh ? "王伟" : "Bob" });
      const carol = await server.addUser("carol", { displayName: zh ? "张敏" : "Carol" });
      const aliceApi = await api(server, alice);
      const bobApi = await api(server, bob);
      const chat = await aliceApi.direct(bob.account);
      const texts = zh ? ["第一条", "第二条", "第三条", "第四条", "第五条"] : ["one", "two", "three", "four", "five"];
      const seqs: number[] = [];
      for (const text of texts) seqs.push(await aliceApi.send(chat, text));
      await bobApi.request("POST", `/v1/conversations/${chat}/read`, { seq: seqs[seqs.length - 1] });
      const teamName = zh ? "项目组" : "Team";
      const team = await bobApi.group(teamName, [carol.account]);
      const teamEntries = async () =>
        (await bobApi.request<{ entries: Entry[] }>("GET", `/v1/conversations/${team}/messages`)).entries.filter((e) => e.kind !== "system");

      const b = await signedIn(browser, server, bob, { locale, viewport });
      const w = await words(b.page);
      await b.page.getByRole("button", { name: new RegExp(`^${zh ? "李娜" : "Alice"}`) }).click();
      const row = (i: number) => messages(b.page).filter({ hasText: new RegExp(`^${texts[i]}`) });
      await expect(row(4)).toBeVisible();
      const bar = b.page.getByRole("toolbar", { name: w["select.toolbar"] });
      const count = (n: number) => bar.getByRole("status").filter({ hasText: w["select.count"].replace("{count}", String(n)) });
      const composer = b.page.getByLabel(w["composer.message"], { exact: true });
      const startSelecting = async (i: number) => {
        await row(i).hover();
        await row(i).getByRole("button", { name: w["msg.actions"] }).click();
        await b.page.getByRole("menuitem", { name: w["select.start"] }).click();
        await expect(bar).toBeVisible();
      };

      // Select starts with that message; a click adds one, Shift+click the run to it.
      await startSelecting(1);
      await expect(composer).toHaveCount(0);
      await expect(count(1)).toBeVisible();
      await expect(row(1).getByRole("checkbox", { name: w["select.one"] })).toBeChecked();
      await expect(row(1)).toBeFocused();
      await row(3).click({ modifiers: ["Shift"] });
      await expect(count(3)).toBeVisible();
      for (const i of [1, 2, 3]) await expect(row(i).getByRole("checkbox")).toBeChecked();
      await expect(row(0).getByRole("checkbox")).not.toBeChecked();
      await row(4).click();
      await expect(count(4)).toBeVisible();
      await row(4).getByRole("checkbox").click();
      await expect(count(3)).toBeVisible();
      await expect(row(4).getByRole("checkbox")).not.toBeChecked();
      await shot(b.page, `select-${lang}-${device}`);
      await expectAccessible(b.page, "selecting messages");

      // Forwarded as one message: the chat history of the three, in order.
      await bar.getByRole("button", { name: w["msg.forward"] }).click();
      const dialog = b.page.getByRole("dialog", { name: new RegExp(w["forward.titleMany"].replace("{count}", "\\d+")) });
      await expect(dialog).toHaveAccessibleName(w["forward.titleMany"].replace("{count}", "3"));
      await expect(dialog.getByRole("radio", { name: w["forward.merged"] })).toBeChecked();
      await shot(b.page, `select-forward-${lang}-${device}`);
      await dialog.getByRole("option", { name: new RegExp(teamName) }).click();
      await expect(dialog).toHaveCount(0);
      await expect(bar).toHaveCount(0);
      await expect(composer).toBeFocused();
      await expect.poll(async () => (await teamEntries()).length).toBe(1);
      const [merged] = await teamEntries();
      expect(merged!.kind).toBe("forward");
      expect((merged!.body!.messages as { body: { text: string } }[]).map((m) => m.body.text)).toEqual(texts.slice(1, 4));

      // One by one, from the keyboard: Space selects the message that has the focus.
      await startSelecting(0);
      // The menu closes and hands the focus to the message it was opened from: only then do
      // the arrow keys move from there (under load, a key pressed before it went nowhere).
      await expect(row(0)).toBeFocused();
      await b.page.keyboard.press("ArrowDown");
      await expect(row(1)).toBeFocused();
      await b.page.keyboard.press("Space");
      await expect(count(2)).toBeVisible();
      await bar.getByRole("button", { name: w["msg.forward"] }).click();
      await expect(dialog).toHaveAccessibleName(w["forward.titleMany"].replace("{count}", "2"));
      await dialog.getByRole("radio", { name: w["forward.separate"] }).check();
      await dialog.getByRole("option", { name: new RegExp(teamName) }).click();
      await expect(bar).toHaveCount(0);
      await expect.poll(async () => (await teamEntries()).length).toBe(3);
      const separate = (await teamEntries()).slice(1);
      expect(separate.map((e) => [e.kind, e.body?.text, e.forwarded_from?.seq])).toEqual([["text", texts[0], seqs[0]], ["text", texts[1], seqs[1]]]);

      // Escape leaves without doing anything.
      await startSelecting(2);
      await b.page.keyboard.press("Escape");
      await expect(bar).toHaveCount(0);
      await expect(composer).toBeFocused();

      // Deleted for me: asked first, then gone here and hidden on the server.
      await startSelecting(2);
      await row(4).click();
      await bar.getByRole("button", { name: w["msg.deleteForMe"] }).click();
      const confirm = b.page.getByRole("alertdialog", { name: w["msg.deleteForMe"] });
      await expect(confirm).toContainText(w["select.confirmDelete"].replace("{count}", "2"));
      await confirm.getByRole("button", { name: w["msg.deleteForMe"] }).click();
      await expect(bar).toHaveCount(0);
      await expect(row(2)).toHaveCount(0);
      await expect(row(4)).toHaveCount(0);
      await expect(row(3)).toBeVisible();
      const mine = (await bobApi.request<{ entries: Entry[] }>("GET", `/v1/conversations/${chat}/messages`)).entries;
      expect(mine.filter((e) => e.hidden).map((e) => e.seq)).toEqual([seqs[2], seqs[4]]);
      // Alice still has them.
      const hers = (await aliceApi.request<{ entries: Entry[] }>("GET", `/v1/conversations/${chat}/messages`)).entries;
      expect(hers.filter((e) => e.hidden)).toEqual([]);
    });
  }
}
