// Regression tests for the bugs of issue 23 that misbehaved every day: mentions not
// highlighted, an image viewer that left the chat shifted on a phone, a typing indicator that
// outlived the message.

import { test, expect, signedIn, openChatWith, send, messages, conversation, aliceAndBob, api } from "../fixtures.ts";
import { gradientPng } from "../png.ts";

test("mentions are highlighted from the message's mention list, Chinese names and names with spaces included (bug 4)", async ({
  browser,
  server,
}) => {
  const alice = await server.addUser("alice", { displayName: "Alice Chen" });
  const bob = await server.addUser("bob", { displayName: "Bob" });
  const lina = await server.addUser("lina", { displayName: "李娜" });
  const bobApi = await api(server, bob);
  const group = await bobApi.group("Review", [alice.account, lina.account]);
  await bobApi.send(group, "@李娜 和 @Alice Chen 请看一下 PR", { mentions: [lina.account, alice.account] });
  // Text that looks like a mention but is not in the list stays plain.
  await bobApi.send(group, "@Bob is not mentioned here");

  for (const [user, locale] of [[alice, "en-US"], [lina, "zh-CN"]] as const) {
    const { page } = await signedIn(browser, server, user, { locale });
    await page.getByRole("list").getByRole("button", { name: /^Review/ }).click();
    const mentioned = messages(page).filter({ hasText: "请看一下" });
    await expect(mentioned.getByTestId("mention")).toHaveText(["@李娜", "@Alice Chen"]);
    await expect(messages(page).filter({ hasText: "is not mentioned here" }).getByTestId("mention")).toHaveCount(0);
  }
});

test("on a phone, one's own image fits the screen, and the image viewer leaves the chat where it was (bug 5)", async ({
  browser,
  server,
}) => {
  const alice = await server.addUser("alice", { displayName: "Alice" });
  await server.addUser("bob", { displayName: "Bob" });
  const width = 390;
  const a = await signedIn(browser, server, alice, { viewport: { width, height: 844 } });
  await openChatWith(a.page, "Bob");
  await send(a.page, "the view from the office");
  await a.page.getByLabel("Choose file").setInputFiles({ name: "sunset.png", mimeType: "image/png", buffer: gradientPng(1600, 900) });
  const image = messages(a.page).filter({ has: a.page.getByRole("button", { name: "Open image sunset.png" }) });
  await expect(image).toHaveAttribute("data-state", /sent|delivered|read/);
  const log = a.page.getByRole("log", { name: "Messages" });
  const open = a.page.getByRole("button", { name: "Open image sunset.png" });
  const rightEdge = async () => (await open.boundingBox())!.x + (await open.boundingBox())!.width;
  expect(await rightEdge()).toBeLessThanOrEqual(width);

  await open.click();
  await expect(a.page.getByRole("dialog", { name: "sunset.png" })).toBeVisible();
  await a.page.keyboard.press("Escape");
  await expect(a.page.getByRole("dialog")).toHaveCount(0);
  await expect(open).toBeFocused();
  expect(await log.evaluate((el) => el.scrollLeft)).toBe(0);
  expect(await rightEdge()).toBeLessThanOrEqual(width);
  expect((await log.boundingBox())!.x).toBe(0);
});

test("the typing indicator ends when the message arrives, in the chat and in the list (bug 6)", async ({ browser, server }) => {
  const { alice, bob, a, b } = await aliceAndBob(browser, server);
  // Typing signals go out at most every two seconds per conversation: each part of this test
  // types in a conversation of its own, so that its first keystroke is signalled.
  const bobApi = await api(server, bob);
  const team = await bobApi.group("Team", [alice.account]);
  await bobApi.send(team, "morning");
  await bobApi.send(await bobApi.direct(alice.account), "hi");

  // In the open chat: what the typing line says at the moment the message shows.
  await conversation(a.page, "Team").click();
  await expect(messages(a.page).filter({ hasText: "morning" })).toBeVisible();
  await conversation(b.page, "Team").click();
  const composer = b.page.getByLabel("Message", { exact: true });
  await composer.fill("on my way");
  await expect(a.page.getByText("Bob is typing…")).toBeVisible();
  await composer.press("Enter");
  const typingWhenShown = await a.page.waitForFunction(() => {
    const rows = [...document.querySelectorAll('[role="log"] [data-testid="message"]')];
    if (!rows.some((r) => r.textContent?.includes("on my way"))) return false;
    return { typing: document.querySelector(".typing-line")?.textContent ?? "" };
  });
  expect(await typingWhenShown.jsonValue()).toEqual({ typing: "" });

  // In the list: what the direct chat's preview says when its unread count goes up.
  await conversation(b.page, "Alice").click();
  await composer.fill("running late");
  await expect(conversation(a.page, "Bob")).toContainText("typing…");
  await composer.press("Enter");
  const previewWhenCounted = await a.page.waitForFunction(() => {
    const item = [...document.querySelectorAll('[aria-label="Conversations"] li')].find((li) => li.textContent?.startsWith("Bob"));
    // "hi" is unread already: the second message makes it 2.
    if (item?.querySelector('[data-testid="unread-badge"]')?.textContent !== "2") return false;
    return { preview: item.querySelector(".conv-preview")?.textContent ?? "" };
  });
  expect(await previewWhenCounted.jsonValue()).toEqual({ preview: "running late" });
});
