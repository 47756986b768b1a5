// Regression tests for the minor bugs of issue 23 (bug 7), one test each.

import { test, expect, newContext, signIn, signedIn, openChatWith, send, messages, conversation, aliceAndBob, api } from "../fixtures.ts";

test("initials leave out what is in brackets (bug 7)", async ({ browser, server }) => {
  const alice = await server.addUser("alice", { displayName: "Alice" });
  const lina = await server.addUser("lina", { displayName: "李娜（产品）" });
  const wang = await server.addUser("wang", { displayName: "Wang Wei (PM)" });
  const aliceApi = await api(server, alice);
  await aliceApi.send(await aliceApi.direct(lina.account), "hi");
  await aliceApi.send(await aliceApi.direct(wang.account), "hi");
  const a = await signedIn(browser, server, alice);
  await expect(conversation(a.page, "李娜（产品）").locator("xpath=..").locator(".avatar")).toHaveAttribute("data-initials", "李娜");
  await expect(conversation(a.page, "Wang Wei \\(PM\\)").locator("xpath=..").locator(".avatar")).toHaveAttribute("data-initials", "WW");
});

test("a long title on a phone ends in an ellipsis, not cut through a character (bug 7)", async ({ browser, server }) => {
  const alice = await server.addUser("alice", { displayName: "Alice" });
  const bob = await server.addUser("bob", { displayName: "Bob" });
  const title = "二〇二五年第四季度华东区大客户续约与新品推广联合项目组";
  const aliceApi = await api(server, alice);
  await aliceApi.group(title, [bob.account]);
  const a = await signedIn(browser, server, alice, { viewport: { width: 390, height: 844 } });
  await conversation(a.page, title).click();
  const heading = a.page.getByRole("heading", { name: title, level: 2 });
  await expect(heading).toBeVisible();
  // The element holding the text is clipped with an ellipsis (text-overflow only works on a
  // block that holds the text itself, not on a flex container).
  const clipped = await heading.evaluate((h) => {
    const walker = document.createTreeWalker(h, NodeFilter.SHOW_TEXT);
    const holder = walker.nextNode()!.parentElement!;
    const style = getComputedStyle(holder);
    return { ellipsis: style.textOverflow, display: style.display, overflows: holder.scrollWidth > holder.clientWidth };
  });
  expect(clipped.ellipsis).toBe("ellipsis");
  expect(clipped.display).not.toMatch(/flex/);
  expect(clipped.overflows).toBe(true);
});

test("Escape in a member's menu closes the menu only, and gives the focus back to its button (bug 7)", async ({ browser, server }) => {
  const { a } = await aliceAndBob(browser, server);
  await a.page.getByRole("button", { name: "New group" }).click();
  await a.page.getByLabel("Group name").fill("Project X");
  await a.page.getByLabel("Search people").fill("Bob");
  await a.page.getByLabel("Bob").check();
  await a.page.getByRole("button", { name: "Create group" }).click();
  await a.page.getByRole("button", { name: "Group info" }).click();
  const panel = a.page.getByRole("complementary", { name: "Group info" });
  const actions = panel.getByRole("button", { name: "Actions for Bob" });
  await actions.click();
  await expect(a.page.getByRole("menu")).toBeVisible();
  // The menu has the focus as soon as it shows (a keyboard user goes on at once).
  expect(await a.page.evaluate(() => document.activeElement?.getAttribute("role"))).toBe("menuitem");
  await a.page.keyboard.press("Escape");
  await expect(a.page.getByRole("menu")).toHaveCount(0);
  await expect(panel).toBeVisible();
  await expect(actions).toBeFocused();
  // A second Escape closes the panel.
  await a.page.keyboard.press("Escape");
  await expect(panel).toHaveCount(0);
});

test("English shows every time of day on the 24-hour clock (bug 7)", async ({ browser, server }) => {
  const { a } = await aliceAndBob(browser, server);
  await openChatWith(a.page, "Bob");
  await send(a.page, "what time is it");
  const time = messages(a.page).filter({ hasText: "what time is it" }).locator("time");
  await expect(time).toHaveText(/^\d\d:\d\d$/);
  await expect(time).toHaveAttribute("title", /\d\d:\d\d/);
  await expect(time).not.toHaveAttribute("title", /AM|PM/);
  await a.page.getByRole("button", { name: "Settings", exact: true }).click();
  const sessions = a.page.getByRole("list", { name: "Sessions" });
  await expect(sessions).toContainText("last active");
  await expect(sessions).not.toContainText(/AM|PM/);
});

test("a link the client will not open does not look like a link (bug 7)", async ({ browser, server }) => {
  const { a, b } = await aliceAndBob(browser, server);
  await openChatWith(a.page, "Bob");
  await send(a.page, "**Careful**: [click me](javascript:alert(1)) and [the docs](https://example.com/docs)");
  await conversation(b.page, "Alice").click();
  const row = messages(b.page).filter({ hasText: "click me" });
  await expect(row.getByRole("link", { name: "the docs" })).toBeVisible();
  await expect(row.getByRole("link", { name: "click me" })).toHaveCount(0);
  const look = await row.getByText("click me").evaluate((el) => {
    const style = getComputedStyle(el);
    const text = getComputedStyle(el.closest(".bubble")!);
    return { underline: style.textDecorationLine.includes("underline"), sameColour: style.color === text.color, cursor: style.cursor };
  });
  expect(look).toEqual({ underline: false, sameColour: true, cursor: "auto" });
});

test("a CSV file has a CSV badge (bug 7)", async ({ browser, server }) => {
  const { a } = await aliceAndBob(browser, server);
  await openChatWith(a.page, "Bob");
  await a.page.getByLabel("Choose file").setInputFiles({ name: "q3-report.csv", mimeType: "text/csv", buffer: Buffer.from("region,total\neast,12\n") });
  const card = messages(a.page).filter({ hasText: "q3-report.csv" });
  await expect(card).toHaveAttribute("data-state", /sent|delivered|read/);
  await expect(card.getByText("CSV", { exact: true })).toBeVisible();
  await expect(card.getByText("XLS", { exact: true })).toHaveCount(0);
});

test("each colleague's profile is fetched once on load (bug 7)", async ({ browser, server }) => {
  const alice = await server.addUser("alice", { displayName: "Alice" });
  const names = ["Bob", "Carol", "Dave", "Erin"];
  const others = await Promise.all(names.map((n) => server.addUser(n.toLowerCase(), { displayName: n })));
  const aliceApi = await api(server, alice);
  for (const other of others) await aliceApi.send(await aliceApi.direct(other.account), `hello ${other.displayName}`);
  await aliceApi.send(await aliceApi.group("Everyone", others.map((o) => o.account)), "hello all");

  const context = await newContext(browser, server);
  const page = await context.newPage();
  const fetched = new Map<string, number>();
  page.on("request", (request) => {
    const m = /\/v1\/accounts\/([^/?]+)$/.exec(new URL(request.url()).pathname);
    if (m && request.method() === "GET") fetched.set(decodeURIComponent(m[1]!), (fetched.get(decodeURIComponent(m[1]!)) ?? 0) + 1);
  });
  await page.goto("/");
  await signIn(page, alice);
  const a = { page };
  for (const n of names) await expect(conversation(a.page, n)).toBeVisible();
  await conversation(a.page, "Everyone").click();
  await expect(a.page.getByTestId("system-notice")).toContainText("Bob, Carol, Dave, and Erin");
  for (const other of others) expect(fetched.get(other.account) ?? 0, other.account).toBeLessThanOrEqual(1);
});

test("a group's preview shows its newest admin event (bug 7)", async ({ browser, server }) => {
  const alice = await server.addUser("alice", { displayName: "Alice" });
  const bob = await server.addUser("bob", { displayName: "Bob" });
  const carol = await server.addUser("carol", { displayName: "Carol" });
  const aliceApi = await api(server, alice);
  const group = await aliceApi.group("Project", [bob.account, carol.account]);
  await aliceApi.send(group, "kick-off at ten");
  const b = await signedIn(browser, server, bob);
  await expect(conversation(b.page, "Project")).toContainText("Alice: kick-off at ten");
  await aliceApi.request("PUT", `/v1/conversations/${group}/members/${carol.account}/role`, { role: "admin" });
  await expect(conversation(b.page, "Project")).toContainText("Alice made Carol an admin");
  await aliceApi.request("PATCH", `/v1/conversations/${group}`, { name: "Project Y" });
  await expect(conversation(b.page, "Project Y")).toContainText("Alice renamed the group to “Project Y”");
});

test("with no conversations, the empty list says so at its top (bug 7)", async ({ browser, server }) => {
  const alice = await server.addUser("alice", { displayName: "Alice" });
  const a = await signedIn(browser, server, alice);
  const empty = a.page.getByText("No conversations yet. Start one with New chat.");
  await expect(empty).toBeVisible();
  const pane = (await a.page.getByRole("region", { name: "Chats" }).boundingBox())!;
  const text = (await empty.boundingBox())!;
  expect(text.y - pane.y).toBeLessThan(pane.height / 3);
});
