// Search in the web client (issue 16): the quick switcher grows into a search of messages,
// people, groups and files; filters are chips; a result opens its message in its conversation,
// scrolled to and highlighted, also one far older than what the chat has loaded; "search in this
// chat" from the header or Ctrl+F. In Chinese and English.

import { test, expect, signedIn, api, messages, conversation, words, expectAccessible, shot, type Api } from "../fixtures.ts";
import { fill } from "../../app/src/i18n/index.ts";

/** Waits until the server's index finds `q` as often as expected (it follows the log a moment
 * behind each ack), so that what the page shows next is the settled answer. */
async function indexed(who: Api, q: string, total: number): Promise<void> {
  await expect.poll(async () => (await who.request<{ total: number }>("GET", `/v1/search/messages?q=${encodeURIComponent(q)}`)).total,
    { message: `the index finds "${q}" ${total} times` }).toBe(total);
}

test("a Chinese word inside a sentence is found from Ctrl+K, and opens its old message in context, highlighted (zh)", async ({ browser, server }) => {
  const alice = await server.addUser("alice", { displayName: "李娜" });
  const bob = await server.addUser("bob", { displayName: "王伟" });
  const bobApi = await api(server, bob);
  const group = await bobApi.group("项目组", [alice.account]);
  const wanted = "下周一之前请把项目进度表发给我，谢谢";
  const seq = await bobApi.send(group, wanted);
  // Three pages of newer messages: the chat opens far below the one searched for.
  let last = seq;
  for (let i = 1; i <= 130; i += 1) last = await bobApi.send(group, `例行消息 ${i}`);
  await indexed(bobApi, "进度", 1);
  // Read on another device: the chat opens at its end, not at its first unread message.
  await (await api(server, alice)).request("POST", `/v1/conversations/${group}/read`, { seq: last });

  const a = await signedIn(browser, server, alice, { locale: "zh-CN" });
  const w = await words(a.page);
  await conversation(a.page, "项目组").click();
  await expect(messages(a.page).filter({ hasText: "例行消息 130" })).toBeVisible();
  await expect(a.page.locator(`[data-testid="message"][data-seq="${seq}"]`)).toHaveCount(0);

  // Ctrl+K, a word that names no conversation: its one option searches the messages for it.
  await a.page.keyboard.press("Control+k");
  const switcher = a.page.getByRole("dialog", { name: w["switcher.title"] });
  await expect(switcher.getByRole("combobox")).toBeFocused();
  await a.page.keyboard.type("进度");
  await expect(switcher.getByRole("option", { name: fill(w["switcher.searchFor"], { q: "进度" }) })).toHaveAttribute("aria-selected", "true");
  await a.page.keyboard.press("Enter");

  const search = a.page.getByRole("dialog", { name: w["search.title"] });
  await expect(search.getByRole("searchbox", { name: w["search.input"], exact: true })).toHaveValue("进度");
  const results = search.getByTestId("search-result");
  await expect(results).toHaveCount(1);
  await expect(search.getByRole("status")).toHaveText(w["search.countOne"]);
  await expect(results.first().locator("mark")).toHaveText("进度");
  await expect(results.first()).toContainText(wanted);
  await expect(results.first()).toContainText(fill(w["search.senderIn"], { name: "王伟", conversation: "项目组" }));
  await shot(a.page, "search-zh");
  await expectAccessible(a.page, "the search dialog");

  // From the box, ↓ reaches the result and Enter opens it: the older pages load until the
  // message is there, and it is scrolled to and highlighted.
  await search.getByRole("searchbox", { name: w["search.input"], exact: true }).press("ArrowDown");
  await expect(results.first().getByRole("button").first()).toBeFocused();
  await a.page.keyboard.press("Enter");
  await expect(search).toHaveCount(0);
  const row = a.page.locator(`[data-testid="message"][data-seq="${seq}"]`);
  await expect(row).toHaveClass(/\bflash\b/);
  await expect(row).toBeInViewport();
  await expect(row).toContainText(wanted);
});

test("an English search narrowed by a chip opens the message in its chat (en)", async ({ browser, server }) => {
  const alice = await server.addUser("alice", { displayName: "Alice" });
  const bob = await server.addUser("bob", { displayName: "Bob" });
  const bobApi = await api(server, bob);
  const direct = await bobApi.direct(alice.account);
  const group = await bobApi.group("Launch", [alice.account]);
  await bobApi.send(direct, "The Meetings about the release moved to Friday");
  const linked = await bobApi.send(group, "Release checklist: https://example.com/checklist");
  await bobApi.send(group, "Who owns the release notes?");
  await indexed(bobApi, "release", 3);

  const a = await signedIn(browser, server, alice);
  const w = await words(a.page);
  // The list's search button opens the search; "meeting" finds "Meetings" (stemmed, any case).
  await a.page.getByRole("button", { name: w["search.open"], exact: true }).click();
  const search = a.page.getByRole("dialog", { name: w["search.title"] });
  const box = search.getByRole("searchbox", { name: w["search.input"], exact: true });
  await expect(box).toBeFocused();
  await box.fill("meeting");
  await expect(search.getByTestId("search-result")).toHaveCount(1);
  await expect(search.getByTestId("search-result").locator("mark")).toHaveText("Meetings");

  await box.fill("release");
  await expect(search.getByTestId("search-result")).toHaveCount(3);
  const chip = search.getByRole("button", { name: w["search.hasLink"] });
  await chip.click();
  await expect(chip).toHaveAttribute("aria-pressed", "true");
  await expect(search.getByTestId("search-result")).toHaveCount(1);
  await expect(search.getByRole("status")).toHaveText(w["search.countOne"]);
  await expect(search.getByTestId("search-result")).toContainText("Bob in Launch");
  // Another chip: from Alice herself, nothing; the state says so.
  await search.getByLabel(w["search.from"]).selectOption({ label: w["search.fromMe"] });
  await expect(search.getByTestId("search-empty")).toHaveText(fill(w["search.noneFiltered"], { q: "release" }));
  await search.getByLabel(w["search.from"]).selectOption({ label: w["search.fromAnyone"] });
  await expect(search.getByTestId("search-result")).toHaveCount(1);
  await expectAccessible(a.page, "the search dialog with a chip on");

  await search.getByTestId("search-result").getByRole("button").first().click();
  await expect(search).toHaveCount(0);
  await expect(a.page.getByRole("region", { name: "Launch" })).toBeVisible();
  const row = a.page.locator(`[data-testid="message"][data-seq="${linked}"]`);
  await expect(row).toHaveClass(/\bflash\b/);
  await expect(row).toContainText("Release checklist");

  // People and groups are found by name from the same search.
  await a.page.keyboard.press("Control+k");
  await expect(a.page.getByRole("dialog", { name: w["switcher.title"] }).getByRole("combobox")).toBeFocused();
  await a.page.keyboard.type("Lau");
  await a.page.getByRole("option", { name: fill(w["switcher.searchFor"], { q: "Lau" }) }).click();
  await a.page.getByRole("tab", { name: w["search.tabGroups"] }).click();
  await a.page.getByTestId("search-group").getByRole("button", { name: /^Launch/ }).click();
  await expect(a.page.getByRole("dialog")).toHaveCount(0);
  await expect(messages(a.page).filter({ hasText: "Who owns the release notes?" })).toBeVisible();
});

for (const lang of ["en", "zh"] as const) {
  test(`search in this chat finds only this chat's messages, and jumps with the pane open (${lang})`, async ({ browser, server }) => {
    const zh = lang === "zh";
    const alice = await server.addUser("alice", { displayName: zh ? "李娜" : "Alice" });
    const bob = await server.addUser("bob", { displayName: zh ? "王伟" : "Bob" });
    const bobApi = await api(server, bob);
    const direct = await bobApi.direct(alice.account);
    const group = await bobApi.group(zh ? "周会" : "Weekly", [alice.account]);
    const word = zh ? "开会" : "standup";
    const here = zh ? "明天上午十点开会，别迟到" : "The standup is at ten tomorrow";
    const there = zh ? "群里也说开会的事" : "The group talks of the standup too";
    const seq = await bobApi.send(direct, here);
    let last = seq;
    for (let i = 1; i <= 60; i += 1) last = await bobApi.send(direct, zh ? `闲聊 ${i}` : `chatter ${i}`);
    await bobApi.send(group, there);
    await indexed(bobApi, word, 2);
    await (await api(server, alice)).request("POST", `/v1/conversations/${direct}/read`, { seq: last });

    const a = await signedIn(browser, server, alice, { locale: zh ? "zh-CN" : "en-US" });
    const w = await words(a.page);
    await conversation(a.page, zh ? "王伟" : "Bob").click();
    await expect(messages(a.page).filter({ hasText: zh ? "闲聊 60" : "chatter 60" })).toBeVisible();

    // Ctrl+F in a chat: the pane with this chat's chip set.
    await a.page.keyboard.press("Control+f");
    const pane = a.page.getByRole("complementary", { name: w["search.inChat"] });
    const box = pane.getByRole("searchbox", { name: w["search.input"], exact: true });
    await expect(box).toBeFocused();
    await expect(pane.getByLabel(w["search.in"])).toHaveValue(String(direct));
    await box.fill(word);
    await box.press("Enter");
    await expect(pane.getByTestId("search-result")).toHaveCount(1);
    await expect(pane.getByTestId("search-result").locator("mark")).toHaveText(word);
    await expectAccessible(a.page, "search in this chat");

    await pane.getByTestId("search-result").getByRole("button").first().click();
    const row = a.page.locator(`[data-testid="message"][data-seq="${seq}"]`);
    await expect(row).toHaveClass(/\bflash\b/);
    await expect(row).toBeInViewport();
    await expect(pane).toBeVisible();

    // Without the chip, the group's message is found too; Escape closes the pane, and the
    // header's button opens it again.
    await pane.getByLabel(w["search.in"]).selectOption("");
    await expect(pane.getByTestId("search-result")).toHaveCount(2);
    await box.press("Escape");
    await expect(pane).toHaveCount(0);
    await expect(a.page.getByRole("button", { name: w["search.inChat"] })).toBeFocused();
    await a.page.getByRole("button", { name: w["search.inChat"] }).click();
    await expect(a.page.getByRole("complementary", { name: w["search.inChat"] })).toBeVisible();
  });
}

test("people are found by pinyin and initials, in the search and in the new chat dialog (zh)", async ({ browser, server }) => {
  const alice = await server.addUser("alice", { displayName: "李娜" });
  await server.addUser("bob", { displayName: "张三" });
  const a = await signedIn(browser, server, alice, { locale: "zh-CN" });
  const w = await words(a.page);

  await a.page.keyboard.press("Control+k");
  await expect(a.page.getByRole("dialog", { name: w["switcher.title"] }).getByRole("combobox")).toBeFocused();
  await a.page.keyboard.type("zs");
  await a.page.keyboard.press("Enter");
  const search = a.page.getByRole("dialog", { name: w["search.title"] });
  await search.getByRole("tab", { name: w["search.tabPeople"] }).click();
  const person = search.getByTestId("search-person");
  await expect(person).toHaveCount(1);
  await expect(person).toContainText("张三");
  await expect(person).toContainText(w["search.matchedInitials"]);
  await expectAccessible(a.page, "people found in the search");
  await person.getByRole("button").click();
  await expect(search).toHaveCount(0);
  await expect(a.page.getByRole("region", { name: "张三" })).toBeVisible();

  await a.page.getByRole("button", { name: w["list.newChat"] }).click();
  await a.page.getByLabel(w["newChat.search"]).fill("zhangsan");
  await expect(a.page.getByRole("dialog").getByRole("button", { name: "张三", exact: true })).toBeVisible();
});

test("a file is found by a word of its name or by its type, and opens its message, with a download (zh)", async ({ browser, server }) => {
  const alice = await server.addUser("alice", { displayName: "李娜" });
  const bob = await server.addUser("bob", { displayName: "王伟" });
  const bobApi = await api(server, bob);
  const chat = await bobApi.direct(alice.account);
  await bobApi.send(chat, "预算表我发你");
  const a = await signedIn(browser, server, alice, { locale: "zh-CN" });
  const w = await words(a.page);
  await conversation(a.page, "王伟").click();
  await a.page.getByLabel(w["composer.chooseFile"]).setInputFiles({
    name: "第三季度预算.xlsx",
    mimeType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    buffer: Buffer.from("not really a spreadsheet, but named like one\n".repeat(20)),
  });
  const sent = messages(a.page).filter({ hasText: "第三季度预算.xlsx" });
  await expect(sent).toHaveAttribute("data-state", /sent|delivered|read/);
  const seq = Number(await sent.getAttribute("data-seq"));
  await expect.poll(async () => (await bobApi.request<{ total: number }>("GET", "/v1/search/files?q=%E9%A2%84%E7%AE%97")).total).toBe(1);

  await a.page.getByRole("button", { name: w["search.open"], exact: true }).click();
  const search = a.page.getByRole("dialog", { name: w["search.title"] });
  await search.getByRole("tab", { name: w["search.tabFiles"] }).click();
  // No words yet: a type is enough.
  await expect(search.getByText(w["search.hintFiles"])).toBeVisible();
  await search.getByLabel(w["search.fileType"]).selectOption("spreadsheet");
  const results = search.getByTestId("search-result");
  await expect(results).toHaveCount(1);
  await expect(results).toContainText(w["search.typeSpreadsheet"]);
  await search.getByRole("searchbox", { name: w["search.input"], exact: true }).fill("预算");
  await expect(results.locator("mark")).toHaveText("预算");
  await expect(results.getByRole("button", { name: fill(w["shared.download"], { name: "第三季度预算.xlsx" }) })).toBeVisible();
  await expectAccessible(a.page, "files found");
  await results.getByRole("button").first().click();
  await expect(search).toHaveCount(0);
  await expect(a.page.locator(`[data-testid="message"][data-seq="${seq}"]`)).toHaveClass(/\bflash\b/);
});
