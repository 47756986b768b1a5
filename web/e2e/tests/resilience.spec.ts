// The server goes away and comes back: the client reconnects, shows no gap and no duplicate,
// and sends what was written while it was offline, once.

import { test, expect, signedIn, shot, openChatWith, send, messages, conversation, aliceAndBob } from "../fixtures.ts";

test("a crash and restart of the server leaves no gap, and what was written meanwhile goes out once", async ({
  browser,
  server,
}) => {
  const { a, b } = await aliceAndBob(browser, server);

  await openChatWith(a.page, "Bob");
  await send(a.page, "before 1");
  await conversation(b.page, "Alice").click();
  await expect(messages(b.page).filter({ hasText: "before 1" })).toBeVisible();

  // Bob's network drops, so that he misses whatever is stored next and must catch up.
  await b.context.setOffline(true);
  // The server is killed; Alice writes while it is down.
  await server.down();
  await expect(a.page.getByRole("status").filter({ hasText: /Offline|Reconnecting/ })).toBeVisible();
  for (let i = 1; i <= 3; i += 1) await send(a.page, `during ${i}`);
  await expect(messages(a.page).filter({ hasText: "during 3" })).toHaveAttribute("data-state", /sending/);
  await server.up();
  // Alice reconnects by herself, sends her outbox, and goes on writing.
  await expect(messages(a.page).filter({ hasText: "during 3" })).toHaveAttribute("data-state", /sent|delivered/, {
    timeout: 45_000,
  });
  await send(a.page, "after 1");
  await send(a.page, "after 2");
  await expect(messages(a.page).filter({ hasText: "after 2" })).toHaveAttribute("data-state", /sent|delivered/);

  // Bob comes back and catches up: everything once, in order.
  await b.context.setOffline(false);
  await expect(messages(b.page).filter({ hasText: "after 2" })).toBeVisible({ timeout: 45_000 });
  const want = ["before 1", "during 1", "during 2", "during 3", "after 1", "after 2"];
  const seen = (await messages(b.page).allInnerTexts()).map((t) => /before 1|during \d|after \d/.exec(t)?.[0]);
  expect(seen.filter(Boolean)).toEqual(want);
  const mine = (await messages(a.page).allInnerTexts()).map((t) => /before 1|during \d|after \d/.exec(t)?.[0]);
  expect(mine.filter(Boolean)).toEqual(want);
});

test("messages written while offline wait, show as sending, and are sent on reconnect", async ({ browser, server }) => {
  const { a, b } = await aliceAndBob(browser, server);

  await openChatWith(a.page, "Bob");
  await send(a.page, "online hello");
  await conversation(b.page, "Alice").click();
  await expect(messages(b.page).filter({ hasText: "online hello" })).toBeVisible();

  // The browser goes offline: the banner shows and new messages wait in the outbox.
  await a.context.setOffline(true);
  await expect(a.page.getByRole("status").filter({ hasText: /Offline|Reconnecting/ })).toBeVisible();
  await send(a.page, "written offline 1");
  await send(a.page, "written offline 2");
  await expect(messages(a.page).filter({ hasText: "written offline 2" })).toHaveAttribute("data-state", "sending");
  await shot(a.page, "chat-offline");

  // Bob keeps talking meanwhile.
  await send(b.page, "are you there?");

  await a.context.setOffline(false);
  await expect(messages(b.page).filter({ hasText: "written offline 2" })).toBeVisible({ timeout: 45_000 });
  await expect(messages(a.page).filter({ hasText: "are you there?" })).toHaveCount(1);
  for (const text of ["written offline 1", "written offline 2"]) {
    await expect(messages(b.page).filter({ hasText: text })).toHaveCount(1);
    await expect(messages(a.page).filter({ hasText: text })).toHaveAttribute("data-state", /sent|delivered|read/);
  }
  await expect(a.page.getByRole("status").filter({ hasText: /Offline|Reconnecting/ })).toHaveCount(0);
});
