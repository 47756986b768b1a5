// Two people chat in two browsers; a group of three; edits and recalls; unread badges.

import { test, expect, signedIn, shot, openChatWith, send, messages, conversation, aliceAndBob } from "../fixtures.ts";

test("two people chat: messages, states and unread badges move", async ({ browser, server }) => {
  const alice = await server.addUser("alice", { displayName: "Alice" });
  const bob = await server.addUser("bob", { displayName: "Bob" });

  const a = await signedIn(browser, server, alice);
  await shot(a.page, "conversation-list-empty");
  const b = await signedIn(browser, server, bob);

  await openChatWith(a.page, "Bob");
  await send(a.page, "Hello Bob, lunch at noon?");
  const first = messages(a.page).filter({ hasText: "Hello Bob, lunch at noon?" });
  await expect(first).toHaveAttribute("data-state", /sent|delivered|read/);

  // Bob sees the new conversation with one unread message, then reads it.
  const fromAlice = conversation(b.page, "Alice");
  await expect(fromAlice.getByTestId("unread-badge")).toHaveText("1");
  await expect(b.page).toHaveTitle(/^\(1\)/);
  await shot(b.page, "conversation-list-unread");
  await fromAlice.click();
  await expect(messages(b.page).filter({ hasText: "Hello Bob, lunch at noon?" })).toBeVisible();
  await expect(fromAlice.getByTestId("unread-badge")).toHaveCount(0);
  await expect(b.page).not.toHaveTitle(/^\(/);

  // Alice's message shows as read once Bob has it open.
  await expect(first).toHaveAttribute("data-state", "read");

  await send(b.page, "Sure, see you there");
  await expect(messages(a.page).filter({ hasText: "Sure, see you there" })).toBeVisible();
  await send(a.page, "**Great**, and here is the plan:\n\n- noodles\n- tea");
  await expect(messages(b.page).filter({ hasText: "noodles" }).locator("strong")).toHaveText("Great");
  await shot(a.page, "chat-direct");

  // Three more while Bob looks elsewhere: his badge counts them.
  await b.page.getByRole("button", { name: "Contacts" }).click();
  for (const text of ["one", "two", "three"]) await send(a.page, text);
  await b.page.getByRole("button", { name: "Chats" }).click();
  await expect(conversation(b.page, "Alice").getByTestId("unread-badge")).toHaveText("3");
  await conversation(b.page, "Alice").click();
  await expect(messages(b.page).filter({ hasText: "three" })).toBeVisible();
  await expect(conversation(b.page, "Alice").getByTestId("unread-badge")).toHaveCount(0);
});

test("edits and recalls reach the other side", async ({ browser, server }) => {
  const { a, b } = await aliceAndBob(browser, server);

  await openChatWith(a.page, "Bob");
  await send(a.page, "Meet at 12?");
  await send(a.page, "Wrong chat, sorry");
  await conversation(b.page, "Alice").click();
  await expect(messages(b.page).filter({ hasText: "Wrong chat, sorry" })).toBeVisible();

  // Edit the first message.
  const original = messages(a.page).filter({ hasText: "Meet at 12?" });
  await original.hover();
  await original.getByRole("button", { name: "Message actions" }).click();
  await a.page.getByRole("menuitem", { name: "Edit" }).click();
  const composer = a.page.getByLabel("Message", { exact: true });
  await expect(composer).toHaveValue("Meet at 12?");
  await composer.fill("Meet at 12:30?");
  await a.page.getByRole("button", { name: "Save" }).click();
  await expect(messages(b.page).filter({ hasText: "Meet at 12:30?" })).toBeVisible();
  await expect(messages(b.page).filter({ hasText: "Meet at 12?" })).toHaveCount(0);

  // Recall the second.
  const wrong = messages(a.page).filter({ hasText: "Wrong chat, sorry" });
  await wrong.hover();
  await wrong.getByRole("button", { name: "Message actions" }).click();
  await a.page.getByRole("menuitem", { name: "Recall" }).click();
  await expect(messages(b.page).filter({ hasText: "This message was recalled" })).toHaveCount(1);
  await expect(messages(b.page).filter({ hasText: "Wrong chat, sorry" })).toHaveCount(0);
  await expect(messages(a.page).filter({ hasText: "Wrong chat, sorry" })).toHaveCount(0);
});

test("a group of three: everyone sees everything, and read receipts count readers", async ({ browser, server }) => {
  const alice = await server.addUser("alice", { displayName: "Alice" });
  const bob = await server.addUser("bob", { displayName: "Bob" });
  const carol = await server.addUser("carol", { displayName: "Carol" });
  const a = await signedIn(browser, server, alice);
  const b = await signedIn(browser, server, bob);
  const c = await signedIn(browser, server, carol);

  await a.page.getByRole("button", { name: "New group" }).click();
  await a.page.getByLabel("Group name").fill("Lunch crew");
  await a.page.getByLabel("Search people").fill("o"); // matches Bob and Carol
  await a.page.getByLabel("Bob").check();
  await a.page.getByLabel("Carol").check();
  await a.page.getByRole("button", { name: "Create group" }).click();
  await expect(a.page.getByRole("log", { name: "Messages" })).toBeVisible();

  await send(a.page, "Noodles or dumplings?");
  for (const other of [b, c]) {
    await conversation(other.page, "Lunch crew").click();
    await expect(messages(other.page).filter({ hasText: "Noodles or dumplings?" })).toBeVisible();
  }
  await send(b.page, "Noodles");
  await send(c.page, "Dumplings!");
  for (const page of [a.page, b.page, c.page]) {
    await expect(messages(page).filter({ hasText: "Noodles" }).first()).toBeVisible();
    await expect(messages(page).filter({ hasText: "Dumplings!" })).toBeVisible();
  }

  // Both others have read Alice's question.
  await a.page.getByRole("button", { name: "Group info" }).click();
  await a.page.keyboard.press("Escape");
  const question = messages(a.page).filter({ hasText: "Noodles or dumplings?" });
  await expect(question.getByRole("button", { name: "Read by 2" })).toBeVisible();
  await question.getByRole("button", { name: "Read by 2" }).click();
  await expect(a.page.getByText("Carol")).not.toHaveCount(0);
  await shot(a.page, "chat-group-receipts");
  await a.page.keyboard.press("Escape");

  await a.page.getByRole("button", { name: "Group info" }).click();
  await shot(a.page, "group-info");
});
