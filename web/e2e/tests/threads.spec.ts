// Threads (issue 23, protocol §7.12): Alice posts in a group; Bob replies in a thread beside
// the chat, first only there, then also to the group. Alice sees the reply count under her
// message move live, the chat's unread count leaves the thread-only reply out, and the Threads
// button counts the unread replies of the threads she follows; opening the thread reads it, on
// her other device too. Unfollowing stops the count, following again brings it back, and the
// list of followed threads leads to the thread. In English and Chinese, on a desktop and a phone;
// and, once, a chat whose newest page holds only thread replies, the keyboard, and edits,
// reactions and recalls of replies.

import { randomUUID } from "node:crypto";
import type { Page } from "@playwright/test";
import { test, expect, signedIn, shot, api, conversation, send, words, expectAccessible, VIEWPORTS, LOCALES, type Api } from "../fixtures.ts";
import { fill } from "../../app/src/i18n/index.ts";

/** A reply in the thread of `root`, sent by a bot or another device. */
async function reply(person: Api, chat: number, root: number, text: string, broadcast = false): Promise<number> {
  const ack = await person.request<{ seq: number }>("POST", `/v1/conversations/${chat}/messages`, {
    client_msg_id: randomUUID(), kind: "text", body: { text }, thread: root, ...(broadcast ? { broadcast: true } : {}),
  });
  return ack.seq;
}

/** Back to the list of chats without a reload, as the browser's back button would. */
async function leaveChat(page: Page): Promise<void> {
  await page.evaluate(() => { history.pushState(null, "", "/"); dispatchEvent(new PopStateEvent("popstate")); });
}

for (const [device, viewport] of Object.entries(VIEWPORTS)) {
  for (const [lang, locale] of Object.entries(LOCALES)) {
    test(`threads: replies beside the chat, counted live, read on every device, followed and unfollowed (${lang}, ${device})`, async ({ browser, server }) => {
      const zh = lang === "zh";
      const alice = await server.addUser("alice", { displayName: zh ? "李娜" : "Alice" });
      const bob = await server.addUser("bob", { displayName: zh ? "王伟" : "Bob" });
      const aliceApi = await api(server, alice);
      const bobApi = await api(server, bob);
      const name = zh ? "午饭小分队" : "Lunch crew";
      const chat = await aliceApi.group(name, [bob.account]);
      const question = zh ? "中午吃面？" : "Noodles at 12?";
      const onlyThread = zh ? "十二点半更好" : "12:30 is better";
      const toAll = zh ? "大家十二点半楼下见" : "Everyone: 12:30 downstairs";

      const a = await signedIn(browser, server, alice, { locale, viewport });
      // Alice's other device stays on the list of chats.
      const a2 = await signedIn(browser, server, alice, { locale, viewport });
      // Bob reads in the dark.
      const b = await signedIn(browser, server, bob, { locale, viewport, colorScheme: "dark" });
      const w = await words(a.page);
      const chatLog = (page: Page) => page.getByRole("log", { name: w["chat.messages"] });
      const inChat = (page: Page, text: string) => chatLog(page).getByTestId("message").filter({ hasText: text });
      const panelOf = (page: Page) => page.getByTestId("thread-panel");
      const repliesOf = (page: Page) => panelOf(page).getByRole("log", { name: w["thread.repliesLabel"] }).getByTestId("message");
      const threadsButton = (page: Page) => page.getByTestId("threads-button");
      const badge = (page: Page) => page.getByTestId("threads-badge");
      const unreadOf = async () => (await aliceApi.request<{ unread: number; last_message?: { seq: number } }>("GET", `/v1/conversations/${chat}`));

      // Alice asks; Bob opens the thread of her message from its actions and replies there only.
      await conversation(a.page, name).click();
      await send(a.page, question);
      await expect(inChat(a.page, question)).toHaveAttribute("data-seq", /\d+/);
      const rootSeq = Number(await inChat(a.page, question).getAttribute("data-seq"));
      // By its seq: the broadcast reply below quotes its text too.
      const root = chatLog(a.page).locator(`[data-testid="message"][data-seq="${rootSeq}"]`);
      await conversation(b.page, name).click();
      const bobsRoot = inChat(b.page, question);
      await bobsRoot.hover();
      await bobsRoot.getByRole("button", { name: w["msg.actions"] }).click();
      await b.page.getByRole("menuitem", { name: w["thread.replyInThread"] }).click();
      await expect(panelOf(b.page)).toBeVisible();
      await expect(b.page).toHaveURL(new RegExp(`/c/${chat}/thread/${rootSeq}$`));
      await expect(panelOf(b.page).getByRole("heading", { name: w["thread.title"] })).toBeFocused();
      const bobsBox = panelOf(b.page).getByLabel(w["thread.message"], { exact: true });
      await bobsBox.fill(onlyThread);
      await bobsBox.press("Enter");
      await expect(repliesOf(b.page).filter({ hasText: onlyThread })).toBeVisible();
      await expect(inChat(b.page, onlyThread)).toHaveCount(0);

      // Alice sees "1 reply" under her message, live; the reply is not in her chat, and not
      // in its unread count; the Threads button counts it (she sent the root: she follows).
      await expect(root.getByTestId("thread-summary")).toContainText(w["thread.oneReply"]);
      await expect(inChat(a.page, onlyThread)).toHaveCount(0);
      await expect(badge(a.page)).toHaveText("1");
      await expect(threadsButton(a.page)).toHaveAccessibleName(fill(w["nav.withBadge"], { label: w["thread.list"], count: 1 }));
      const afterOnly = await unreadOf();
      expect(afterOnly.unread).toBe(0);
      expect(afterOnly.last_message?.seq).toBe(rootSeq);
      await expect(conversation(a2.page, name).getByTestId("unread-badge")).toHaveCount(0);

      // Bob replies again, also to the group: that one counts in the chat, once.
      await leaveChat(a.page);
      await expect(chatLog(a.page)).toHaveCount(0);
      const also = panelOf(b.page).getByLabel(w["thread.alsoSendGroup"]);
      await also.check();
      await bobsBox.fill(toAll);
      await bobsBox.press("Enter");
      await expect(also).not.toBeChecked();
      await expect(repliesOf(b.page).filter({ hasText: toAll })).toBeVisible();
      await expect(repliesOf(b.page).filter({ hasText: toAll })).toContainText(w["thread.sentToChat"]);
      await expect(inChat(b.page, toAll)).toBeVisible();
      for (const page of [a.page, a2.page]) await expect(conversation(page, name).getByTestId("unread-badge")).toHaveText("1");
      await expectAccessible(b.page, "a thread panel in the dark");
      await shot(b.page, `threads-panel-dark-${lang}-${device}`);

      // In the chat the broadcast reply says which thread it answers; both her devices count
      // the two unread replies of the thread.
      await conversation(a.page, name).click();
      await expect(inChat(a.page, toAll).getByRole("button", { name: fill(w["thread.repliedTo"], { text: question }) })).toBeVisible();
      await expect(root.getByTestId("thread-summary")).toContainText(fill(w["thread.replies"], { count: 2 }));
      await conversation(a2.page, name).click();
      for (const page of [a.page, a2.page]) await expect(badge(page)).toHaveText("2");
      await shot(a.page, `threads-chat-${lang}-${device}`);

      // Opening the thread shows both replies and reads them: the badge clears here and on the
      // other device (thread_changed).
      await root.getByTestId("thread-summary").click();
      await expect(panelOf(a.page)).toBeVisible();
      await expect(repliesOf(a.page)).toHaveCount(2);
      await expect(panelOf(a.page).getByTestId("message").first()).toContainText(question);
      for (const page of [a.page, a2.page]) await expect(badge(page)).toHaveCount(0);
      await expectAccessible(a.page, "an open thread");
      await shot(a.page, `threads-panel-${lang}-${device}`);

      // Unfollowing: no more counting. Escape closes the panel and puts the focus back on the
      // message.
      const follow = panelOf(a.page).getByTestId("thread-follow");
      await expect(follow).toHaveText(w["thread.unfollow"]);
      await follow.click();
      await expect(follow).toHaveText(w["thread.follow"]);
      await expect.poll(async () => (await aliceApi.request<{ threads: unknown[] }>("GET", `/v1/threads?conversation=${chat}`)).threads).toHaveLength(0);
      await panelOf(a.page).getByRole("heading", { name: w["thread.title"] }).focus();
      await a.page.keyboard.press("Escape");
      await expect(panelOf(a.page)).toHaveCount(0);
      await expect(root).toBeFocused();
      await reply(bobApi, chat, rootSeq, zh ? "或者一点？" : "or 1 o'clock?");
      await expect(root.getByTestId("thread-summary")).toContainText(fill(w["thread.replies"], { count: 3 }));
      await expect(badge(a.page)).toHaveCount(0);

      // Following again: the next reply counts, and the list of followed threads leads to it.
      await root.getByTestId("thread-summary").click();
      await panelOf(a.page).getByTestId("thread-follow").click();
      await expect(panelOf(a.page).getByTestId("thread-follow")).toHaveText(w["thread.unfollow"]);
      await panelOf(a.page).getByRole("button", { name: device === "phone" ? w["nav.back"] : w["thread.close"] }).click();
      await expect(panelOf(a.page)).toHaveCount(0);
      const last = zh ? "一点也行" : "1 works too";
      await reply(bobApi, chat, rootSeq, last);
      await expect(badge(a.page)).toHaveText("1");
      await threadsButton(a.page).click();
      const list = a.page.getByRole("list", { name: w["thread.listTitle"] });
      await expect(list.getByTestId("thread-item")).toHaveCount(1);
      await expect(list.getByTestId("thread-item")).toContainText(question);
      await expect(list.getByTestId("thread-unread")).toHaveText("1");
      await expectAccessible(a.page, "the list of followed threads");
      await shot(a.page, `threads-list-${lang}-${device}`);
      await list.getByRole("button", { name: new RegExp(question.replace(/[?？]/g, ".")) }).click();
      await expect(repliesOf(a.page).filter({ hasText: last })).toBeVisible();
      for (const page of [a.page, a2.page]) await expect(badge(page)).toHaveCount(0);

      // A link to the thread opens it beside its chat.
      await a2.page.goto(`/c/${chat}/thread/${rootSeq}`);
      await expect(repliesOf(a2.page)).toHaveCount(4);
    });
  }
}

test("a chat whose newest page is all thread replies loads older pages to its messages; a thread opens from the keyboard; replies are edited, reacted to and recalled", async ({ browser, server }) => {
  const alice = await server.addUser("alice", { displayName: "Alice" });
  const bob = await server.addUser("bob", { displayName: "Bob" });
  const aliceApi = await api(server, alice);
  const bobApi = await api(server, bob);
  const chat = await aliceApi.group("Release", [bob.account]);
  const question = "Who takes the release notes?";
  const rootSeq = await aliceApi.send(chat, question);
  // More replies than a history page, none of them in the chat.
  const REPLIES = 70;
  for (let i = 1; i <= REPLIES; i += 1) await reply(bobApi, chat, rootSeq, `note ${i}`);

  const a = await signedIn(browser, server, alice);
  const w = await words(a.page);
  await conversation(a.page, "Release").click();
  const log = a.page.getByRole("log", { name: w["chat.messages"] });
  const root = log.locator(`[data-testid="message"][data-seq="${rootSeq}"]`);
  await expect(root).toBeVisible();
  await expect(root.getByTestId("thread-summary")).toContainText(fill(w["thread.replies"], { count: REPLIES }));
  await expect(log.getByTestId("message")).toHaveCount(1);

  // Keyboard: the message, Enter for its actions, "Reply in thread"; the focus goes into the
  // panel, and Escape brings it back to the message.
  await root.focus();
  await a.page.keyboard.press("Enter");
  await expect(a.page.getByRole("menuitem").first()).toBeFocused();
  await a.page.getByRole("menuitem", { name: w["thread.replyInThread"] }).press("Enter");
  const panel = a.page.getByTestId("thread-panel");
  await expect(panel.getByRole("heading", { name: w["thread.title"] })).toBeFocused();
  const replies = panel.getByRole("log", { name: w["thread.repliesLabel"] }).getByTestId("message");
  await expect(replies.last()).toContainText(`note ${REPLIES}`);
  // The newest page of the thread: the older replies load on request.
  await panel.getByRole("button", { name: w["thread.loadOlder"] }).click();
  await expect(replies).toHaveCount(REPLIES);
  await expect(replies.first()).toContainText("note 1");
  await expect(replies.first()).toBeFocused();
  await a.page.keyboard.press("Escape");
  await expect(panel).toHaveCount(0);
  await expect(root).toBeFocused();

  // In the thread, replies are edited, reacted to and recalled as in the chat; Bob sees it.
  const b = await signedIn(browser, server, bob);
  await conversation(b.page, "Release").click();
  await b.page.goto(`/c/${chat}/thread/${rootSeq}`);
  const bobsReplies = b.page.getByTestId("thread-panel").getByRole("log", { name: w["thread.repliesLabel"] }).getByTestId("message");
  await root.getByTestId("thread-summary").click();
  const box = panel.getByLabel(w["thread.message"], { exact: true });
  await box.fill("I'll take them");
  await box.press("Enter");
  const mine = replies.filter({ hasText: "I'll take them" });
  await expect(mine).toHaveAttribute("data-seq", /\d+/);
  const act = async (row: typeof mine, item: string) => {
    await row.hover();
    await row.getByRole("button", { name: w["msg.actions"] }).click();
    await a.page.getByRole("menuitem", { name: item }).click();
  };
  await act(mine, w["msg.edit"]);
  await expect(box).toHaveValue("I'll take them");
  await box.fill("I'll take them, and the changelog");
  await box.press("Enter");
  await expect(mine).toContainText("and the changelog");
  await expect(mine).toContainText(w["msg.edited"]);
  await expect(bobsReplies.filter({ hasText: "and the changelog" })).toBeVisible();
  const last = replies.filter({ hasText: `note ${REPLIES}` });
  await act(last, w["msg.react"]);
  await a.page.getByRole("button", { name: fill(w["msg.reactWith"], { emoji: "👍" }) }).click();
  await expect(last.getByRole("button", { name: fill(w["msg.reactionLabel"], { emoji: "👍", count: 1 }) })).toBeVisible();
  await expect(bobsReplies.filter({ hasText: `note ${REPLIES}` }).getByRole("button", { name: fill(w["msg.reactionLabel"], { emoji: "👍", count: 1 }) })).toBeVisible();
  const edited = replies.filter({ hasText: "and the changelog" });
  const mineSeq = await edited.getAttribute("data-seq");
  await act(edited, w["msg.recall"]);
  await expect(panel.locator(`[data-testid="message"][data-seq="${mineSeq}"]`)).toContainText(w["msg.recalled"]);
  await expect(b.page.getByTestId("thread-panel").locator(`[data-testid="message"][data-seq="${mineSeq}"]`)).toContainText(w["msg.recalled"]);
});
