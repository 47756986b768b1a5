// Group management by its owner as the others see it, the quick switcher, and revoking a
// session from another device.

import { test, expect, signedIn, openChatWith, send, conversation, aliceAndBob } from "../fixtures.ts";

test("the owner renames, promotes, posts an announcement and dissolves; members see each step", async ({
  browser,
  server,
}) => {
  const { a, b } = await aliceAndBob(browser, server);

  await a.page.getByRole("button", { name: "New group" }).click();
  await a.page.getByLabel("Group name").fill("Project X");
  await a.page.getByLabel("Search people").fill("Bob");
  await a.page.getByLabel("Bob").check();
  await a.page.getByRole("button", { name: "Create group" }).click();
  await expect(conversation(b.page, "Project X")).toBeVisible();

  // Rename and announce.
  await a.page.getByRole("button", { name: "Group info" }).click();
  await a.page.getByRole("button", { name: "Edit details" }).click();
  await a.page.getByLabel("Name", { exact: true }).fill("Project Y");
  await a.page.getByLabel("Announcement").fill("Kick-off on Monday");
  await a.page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(conversation(b.page, "Project Y")).toBeVisible();
  await conversation(b.page, "Project Y").click();
  await expect(b.page.getByTestId("system-notice").filter({ hasText: "Project Y" })).toBeVisible();

  // Make Bob an admin: his view of the group shows it.
  await a.page.getByRole("button", { name: "Actions for Bob" }).click();
  await a.page.getByRole("menuitem", { name: "Make admin" }).click();
  await b.page.getByRole("button", { name: "Group info" }).click();
  await expect(b.page.getByRole("list", { name: "Members" }).getByText("Admin")).toBeVisible();
  await b.page.keyboard.press("Escape");

  // Dissolve: the group is gone from Bob's list.
  await a.page.getByRole("button", { name: "Dissolve group" }).click();
  await a.page.getByRole("alertdialog").getByRole("button", { name: "Dissolve group" }).click();
  await expect(conversation(a.page, "Project Y")).toHaveCount(0);
  await expect(conversation(b.page, "Project Y")).toHaveCount(0);
});

test("Ctrl+K jumps to a conversation, and a session revoked elsewhere is signed out", async ({
  browser,
  server,
}) => {
  const alice = await server.addUser("alice", { displayName: "Alice" });
  await server.addUser("bob", { displayName: "Bob" });
  await server.addUser("carol", { displayName: "Carol" });
  const laptop = await signedIn(browser, server, alice);
  for (const name of ["Bob", "Carol"]) {
    await openChatWith(laptop.page, name);
    await send(laptop.page, `hello ${name}`);
  }

  // The quick switcher: Ctrl+K, type, Enter.
  await laptop.page.keyboard.press("Control+k");
  const dialog = laptop.page.getByRole("dialog", { name: "Jump to conversation" });
  await expect(dialog).toBeVisible();
  // The dialog focuses its search box once it has rendered: type when it has (as a person
  // would), not into whatever had the focus before.
  await expect(dialog.getByRole("combobox")).toBeFocused();
  await laptop.page.keyboard.type("Bob");
  await laptop.page.keyboard.press("Enter");
  await expect(dialog).toHaveCount(0);
  await expect(laptop.page.getByRole("log", { name: "Messages" }).getByText("hello Bob")).toBeVisible();

  // Alice signs in on a phone and revokes the laptop's session from there.
  const phone = await signedIn(browser, server, alice, { viewport: { width: 375, height: 740 } });
  await phone.page.getByRole("button", { name: "Settings", exact: true }).click();
  await phone.page.getByRole("button", { name: /^Revoke / }).first().click();
  await phone.page.getByRole("alertdialog").getByRole("button", { name: "Revoke" }).click();
  await expect(laptop.page.getByRole("button", { name: "Sign in" })).toBeVisible();
  // The phone's own session goes on.
  await phone.page.getByRole("button", { name: "Chats" }).click();
  await expect(conversation(phone.page, "Bob")).toBeVisible();
});
