// Regression tests for the bugs of issue 23 that broke people's trust in the client: a banner
// that said "Connecting…" while connected, history that stopped loading, drafts that vanished.

import { test, expect, signedIn, openChatWith, send, messages, conversation, aliceAndBob, api } from "../fixtures.ts";

test("after a reload the connection banner goes away once connected, even if the page was slow to start (bug 1)", async ({
  browser,
  server,
}) => {
  const { a, b } = await aliceAndBob(browser, server);
  await openChatWith(a.page, "Bob");
  await send(a.page, "before the reload");
  await expect(messages(a.page).filter({ hasText: "before the reload" })).toHaveAttribute("data-state", /sent|delivered|read/);

  // A busy or backgrounded tab runs the page's effects late. Model that: once the reloaded
  // page has asked the server who is signed in (resuming the session), hold the page's timers,
  // and with them Preact's effects, until the client is connected.
  await a.page.clock.install();
  let asked!: () => void;
  const resuming = new Promise<void>((resolve) => { asked = resolve; });
  let answer!: () => void;
  const answered = new Promise<void>((resolve) => { answer = resolve; });
  await a.page.route("**/v1/me", async (route) => {
    asked();
    await answered;
    await route.continue();
  });
  const online = new Promise<void>((resolve) => {
    a.page.on("websocket", (ws) =>
      // Once caught up, the client asks for the presence of the people it shows: it is online.
      ws.on("framesent", (frame) => { if (String(frame.payload).includes('"get_presence"')) resolve(); }),
    );
  });
  await a.page.reload({ waitUntil: "commit" });
  await resuming;
  await a.page.clock.pauseAt(Date.now() + 60_000);
  answer();
  await online;
  // Now the effects run, and the banner's grace period of a second and a half passes.
  await a.page.clock.runFor(2000);
  await a.page.clock.resume();

  await expect(a.page.getByRole("status")).toBeHidden();
  await expect(a.page.getByRole("status").filter({ hasText: /Connecting|Reconnecting/ })).toHaveCount(0);
  // And it is connected indeed: a message goes out and arrives.
  await send(a.page, "after the reload");
  await conversation(b.page, "Alice").click();
  await expect(messages(b.page).filter({ hasText: "after the reload" })).toBeVisible();
  await expect(a.page.getByRole("status")).toBeHidden();
});

test("scrolling back through 200 messages reaches the first one (bug 2)", async ({ browser, server }) => {
  const alice = await server.addUser("alice", { displayName: "Alice" });
  const bob = await server.addUser("bob", { displayName: "Bob" });
  const aliceApi = await api(server, alice);
  const chat = await aliceApi.direct(bob.account);
  for (let i = 1; i <= 200; i += 1) await aliceApi.send(chat, `history ${i}`);
  // Bob has read them all on another device: the chat opens at its end.
  await (await api(server, bob)).request("POST", `/v1/conversations/${chat}/read`, { seq: 200 });

  const b = await signedIn(browser, server, bob);
  await conversation(b.page, "Alice").click();
  const log = b.page.getByRole("log", { name: "Messages" });
  await expect(log.getByText("history 200", { exact: true })).toBeVisible();

  // The oldest message shown (the list renders only the rows near the viewport).
  const oldestShown = async () =>
    Math.min(...(await messages(b.page).evaluateAll((rows) => rows.map((r) => Number(r.getAttribute("data-seq"))))));
  const beginning = log.getByText("This is the beginning of the conversation.");
  const box = (await log.boundingBox())!;
  await b.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  const loadingOlder = log.getByRole("img", { name: "Loading earlier messages…" });
  // Scroll to the top, wait for older messages to show and for their page to finish loading
  // (a wheel at the very top while a page loads scrolls nothing and asks for nothing), and
  // again: four pages of 50.
  for (let round = 0; round < 8 && !(await beginning.isVisible()); round += 1) {
    const before = await oldestShown();
    await b.page.mouse.wheel(0, -100_000);
    await expect.poll(oldestShown).toBeLessThan(before);
    await expect(loadingOlder).toHaveCount(0);
  }
  await expect(beginning).toBeVisible();
  await expect(log.getByText("history 1", { exact: true })).toBeVisible();
});

test("a draft survives leaving the conversation and coming back, also after a reload (bug 3)", async ({
  browser,
  server,
}) => {
  const { a } = await aliceAndBob(browser, server);
  await openChatWith(a.page, "Bob");
  await send(a.page, "hello");
  const composer = a.page.getByLabel("Message", { exact: true });
  await composer.fill("half a thought about lunch");

  await a.page.getByRole("button", { name: "Contacts" }).click();
  await a.page.getByRole("button", { name: "Chats" }).click();
  await expect(conversation(a.page, "Bob")).toContainText("half a thought about lunch");
  await conversation(a.page, "Bob").click();
  await expect(composer).toHaveValue("half a thought about lunch");

  // Once more: it is still there, and still the draft in the list.
  await a.page.getByRole("button", { name: "Contacts" }).click();
  await a.page.getByRole("button", { name: "Chats" }).click();
  await expect(conversation(a.page, "Bob")).toContainText("half a thought about lunch");
  await conversation(a.page, "Bob").click();
  await expect(composer).toHaveValue("half a thought about lunch");

  // After a reload it comes from the server.
  await a.page.getByRole("button", { name: "Contacts" }).click();
  await expect(conversation(a.page, "Bob")).toHaveCount(0);
  await a.page.reload();
  await a.page.getByRole("button", { name: "Chats" }).click();
  await expect(conversation(a.page, "Bob")).toContainText("half a thought about lunch");
  await conversation(a.page, "Bob").click();
  await expect(composer).toHaveValue("half a thought about lunch");
});
