// Snappy at scale (issue 23): a big group receiving messages as fast as the server takes them
// while its members read and write. Every message arrives, in order, the list keeps its order
// and counts, and the composer keeps working. The page measures its frames and long tasks
// (PerformanceObserver) and the test reports them as annotations; speed is reported, never
// asserted (DESIGN §8). MAGPIE_BUSY_MEMBERS and MAGPIE_BUSY_MESSAGES make it the benchmark of
// BENCHMARKS.md (10,000 members).

import type { Page } from "@playwright/test";
import { test, expect, signedIn, messages, conversation, shot, api, words, VIEWPORTS, LOCALES, type Api } from "../fixtures.ts";

const MEMBERS = Number(process.env.MAGPIE_BUSY_MEMBERS ?? 300);
const FLOOD = Number(process.env.MAGPIE_BUSY_MESSAGES ?? 200);
/** Accounts created at once through the admin API, and named per membership change. */
const CREATE_CONCURRENCY = 8;
const MEMBERS_PER_CHANGE = 500;

/** Starts recording frame gaps and long tasks in the page. */
async function startMeasuring(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __perf: { frames: number[]; long: number[]; stop: boolean } };
    w.__perf = { frames: [], long: [], stop: false };
    new PerformanceObserver((list) => { for (const e of list.getEntries()) w.__perf.long.push(e.duration); }).observe({ type: "longtask" });
    let last = performance.now();
    const tick = (now: number) => {
      w.__perf.frames.push(now - last);
      last = now;
      if (!w.__perf.stop) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
}

async function stopMeasuring(page: Page): Promise<string> {
  const { frames, long } = await page.evaluate(() => {
    const w = window as unknown as { __perf: { frames: number[]; long: number[]; stop: boolean } };
    w.__perf.stop = true;
    return w.__perf;
  });
  const sorted = [...frames].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  const total = long.reduce((a, b) => a + b, 0);
  return `${frames.length} frames, median ${at(0.5).toFixed(1)} ms, p95 ${at(0.95).toFixed(1)} ms, max ${at(1).toFixed(1)} ms; ` +
    `${long.length} long tasks, ${total.toFixed(0)} ms in all, longest ${Math.max(0, ...long).toFixed(0)} ms`;
}

/** A group of `size` members (the admin, the sender and the reader among them). */
async function bigGroup(admin: Api, name: string, others: string[], size: number): Promise<number> {
  const names = Array.from({ length: Math.max(0, size - 1 - others.length) }, (_, i) => `member${i + 1}`);
  for (let i = 0; i < names.length; i += CREATE_CONCURRENCY) {
    await Promise.all(names.slice(i, i + CREATE_CONCURRENCY).map((n) =>
      admin.request("POST", "/v1/admin/accounts", { account: `${n}@localhost`, password: "member-password-1", display_name: n })));
  }
  const everyone = [...others, ...names.map((n) => `${n}@localhost`)];
  const group = await admin.group(name, everyone.slice(0, MEMBERS_PER_CHANGE - 1));
  for (let i = MEMBERS_PER_CHANGE - 1; i < everyone.length; i += MEMBERS_PER_CHANGE) {
    await admin.request("POST", `/v1/conversations/${group}/members`, { members: everyone.slice(i, i + MEMBERS_PER_CHANGE) });
  }
  return group;
}

for (const [device, viewport] of Object.entries(VIEWPORTS)) {
  for (const [lang, locale] of Object.entries(LOCALES)) {
    test(`a busy group of ${MEMBERS} stays usable while messages pour in (${lang}, ${device})`, async ({ browser, server }) => {
      test.setTimeout(Math.max(90_000, MEMBERS * 40 + FLOOD * 60));
      const zh = lang === "zh";
      const owner = await server.addUser("owner", { displayName: zh ? "管理员" : "Admin", admin: true });
      const alice = await server.addUser("alice", { displayName: zh ? "李娜" : "Alice" });
      const bob = await server.addUser("bob", { displayName: zh ? "王伟" : "Bob" });
      const ownerApi = await api(server, owner);
      const groupName = zh ? "全员群" : "Everyone";
      const group = await bigGroup(ownerApi, groupName, [alice.account, bob.account], MEMBERS);
      const bobApi = await api(server, bob);
      await bobApi.send(await bobApi.direct(alice.account), zh ? "午饭吃什么？" : "Lunch?");
      await ownerApi.send(group, zh ? "欢迎大家" : "Welcome, everyone");

      const a = await signedIn(browser, server, alice, { locale, viewport });
      const w = await words(a.page);
      await expect(conversation(a.page, groupName)).toBeVisible();

      // 1. Alice is in her direct chat while the group pours in: the list keeps count.
      await conversation(a.page, zh ? "王伟" : "Bob").click();
      await expect(messages(a.page).filter({ hasText: zh ? "午饭" : "Lunch" })).toBeVisible();
      await startMeasuring(a.page);
      const text = (i: number) => (zh ? `通知 ${i}` : `notice ${i}`);
      const started = Date.now();
      const flood = (async () => { for (let i = 1; i <= FLOOD; i += 1) await ownerApi.send(group, text(i)); return Date.now() - started; })();
      // She writes meanwhile, and her message goes out.
      const composer = a.page.getByLabel(w["composer.message"], { exact: true });
      await composer.fill(zh ? "我想吃面" : "Noodles?");
      await composer.press("Enter");
      await expect(messages(a.page).filter({ hasText: zh ? "我想吃面" : "Noodles?" })).toHaveAttribute("data-state", /sent|delivered|read/);
      const floodMs = await flood;
      if (device === "phone") await a.page.getByRole("button", { name: w["nav.back"] }).click();
      await expect(conversation(a.page, groupName).getByTestId("unread-badge")).toHaveText(FLOOD + 1 > 99 ? "99+" : String(FLOOD + 1));
      await expect(conversation(a.page, groupName)).toContainText(text(FLOOD));
      const listWhileBusy = await stopMeasuring(a.page);
      const rate = `${(FLOOD / (floodMs / 1000)).toFixed(0)} messages/s`;
      test.info().annotations.push({ type: "perf", description: `reading another chat during ${FLOOD} messages (${rate}) to ${MEMBERS} members: ${listWhileBusy}` });
      await shot(a.page, `busy-list-${lang}-${device}`);

      // 2. With the group open, the next wave shows as it comes, in order, and is read.
      await conversation(a.page, groupName).click();
      await expect(a.page.getByRole("separator", { name: w["chat.unreadDivider"] })).toBeVisible();
      await a.page.getByRole("button", { name: new RegExp(`^${w["chat.jumpLatest"]}`) }).click();
      await expect(a.page.getByRole("log").getByText(text(FLOOD), { exact: true })).toBeVisible();
      await startMeasuring(a.page);
      const waveStarted = Date.now();
      for (let i = FLOOD + 1; i <= 2 * FLOOD; i += 1) await ownerApi.send(group, text(i));
      const waveRate = `${(FLOOD / ((Date.now() - waveStarted) / 1000)).toFixed(0)} messages/s`;
      await expect(a.page.getByRole("log").getByText(text(2 * FLOOD), { exact: true })).toBeVisible();
      const chatWhileBusy = await stopMeasuring(a.page);
      test.info().annotations.push({ type: "perf", description: `the group open during ${FLOOD} messages (${waveRate}) to ${MEMBERS} members: ${chatWhileBusy}` });
      const shown = await messages(a.page).evaluateAll((rows) => rows.map((r) => Number(r.getAttribute("data-seq"))));
      expect(shown).toEqual([...shown].sort((x, y) => x - y));
      const readMark = async () => (await (await api(server, alice)).request<{ me: { read_seq: number }; last_seq: number }>("GET", `/v1/conversations/${group}`));
      await expect.poll(async () => { const c = await readMark(); return c.me.read_seq === c.last_seq; }).toBe(true);
      await shot(a.page, `busy-chat-${lang}-${device}`);
      console.log(`busy group of ${MEMBERS} (${lang}, ${device}):\n  another chat open, ${rate}: ${listWhileBusy}\n  the group open, ${waveRate}: ${chatWhileBusy}`);
    });
  }
}
