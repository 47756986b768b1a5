// Search through the SDK against the real server (§7.14): a Chinese word inside a sentence, its
// snippet's offsets in Unicode scalar values, filters, and pages by cursor.

import { afterAll, beforeAll, expect, test, vi } from "vitest";

import { closePair, directPair, until, type DirectPair } from "./harness.ts";

let pair: DirectPair;

beforeAll(async () => {
  pair = await directPair();
  const { alice, chat } = pair;
  for (const text of ["😀 本周项目进度如何？", "进度表发我一下", "lunch at noon"]) alice.sendText(chat, text);
  await until(alice, () => (alice.view(chat)?.messages ?? []).filter((m) => m.state !== "sending").length === 3, "the three sent");
  // The index follows the log a moment behind each ack.
  await vi.waitFor(async () => expect((await pair.bob.searchMessages({ q: "进度" })).total).toBe(2), { timeout: 10_000, interval: 100 });
});

afterAll(() => closePair(pair ?? {}));

test("a word inside a sentence is found, and its highlight counts characters as Array.from does", async () => {
  const page = await pair.bob.searchMessages({ q: "进度", order: "newest" });
  expect(page.results.map((r) => r.entry.body?.text)).toEqual(["进度表发我一下", "😀 本周项目进度如何？"]);
  for (const r of page.results) {
    const chars = Array.from(r.snippet.text);
    expect(r.snippet.highlights.map(([start, end]) => chars.slice(start, end).join(""))).toContain("进度");
    expect(r.conversation).toBe(pair.chat);
    expect(r.sender).toBe(pair.alice.me.account);
  }
});

test("filters narrow the search, and pages follow the cursor", async () => {
  const { bob, chat } = pair;
  expect((await bob.searchMessages({ q: "进度", sender: bob.me.account })).total).toBe(0);
  expect((await bob.searchMessages({ q: "进度", conversation: chat, mentions_me: false })).total).toBe(2);
  expect((await bob.searchMessages({ q: "进度", mentions_me: true })).total).toBe(0);
  const first = await bob.searchMessages({ q: "进度", limit: 1 });
  expect(first.results).toHaveLength(1);
  expect(first.next).toBeDefined();
  const second = await bob.searchMessages({ q: "进度", limit: 1, cursor: first.next! });
  expect(second.results).toHaveLength(1);
  expect(second.results[0]!.seq).not.toBe(first.results[0]!.seq);
  expect(second.next).toBeUndefined();
});

test("people are found by name or login, and groups by their pinyin initials (§7.15)", async () => {
  const { alice, bob } = pair;
  const people = await bob.searchPeople("alice");
  expect(people.map((p) => p.profile.account)).toContain(alice.me.account);
  // The profiles found are cached as profile() gives them.
  expect(bob.profile(alice.me.account, { fetch: false })?.account).toBe(alice.me.account);
  const group = await alice.createGroup("group", "项目组", [bob.me.account]);
  const found = await bob.searchGroups("xmz");
  expect(found).toEqual([{ conversation: group.id, kind: "group", title: "项目组", matched: "initials" }]);
});

test("files are found by a word of their name, and listed by type without words (§7.16)", async () => {
  const { alice, bob, chat } = pair;
  const sheet = Object.assign(new Blob(["q3\n"], { type: "text/csv" }), { name: "第三季度预算.xlsx" });
  const id = alice.sendFile(chat, sheet);
  await until(bob, () => bob.view(chat)?.messages.find((m) => m.entry.client_msg_id === id), "bob gets the file");
  await vi.waitFor(async () => expect((await bob.searchFiles({ q: "预算" })).total).toBe(1), { timeout: 10_000, interval: 100 });
  const [found] = (await bob.searchFiles({ q: "预算" })).results;
  expect(found).toMatchObject({ conversation: chat, sender: alice.me.account, file_type: "spreadsheet" });
  const chars = Array.from(found!.snippet.text);
  expect(found!.snippet.highlights.map(([start, end]) => chars.slice(start, end).join(""))).toEqual(["预算"]);
  expect((await bob.searchFiles({ type: "spreadsheet" })).results.map((r) => r.seq)).toEqual([found!.seq]);
  expect((await bob.searchFiles({ type: "image" })).total).toBe(0);
});
