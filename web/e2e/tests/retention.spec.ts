// Message retention, in Chinese and in English. A member has a group open with some old messages
// when the domain's administrator purges everything before a newer one (over the REST API, so
// that the cutoff is exact): the old messages leave the open chat at once, the retention notice
// takes their place at the end, the newer message stays, the history starts where they were, and
// a reload shows the same. An administrator sets the domain's policy in Administration →
// Retention (confirmed, as it deletes more than for ever did), sees it kept after a reload, gives
// a group its own policy, runs the retention now and purges everything before a time (confirmed),
// and sees each run listed as done with its counts, as the server has them. A member has no
// Retention tab, and the server refuses them retention.

import type { Page } from "@playwright/test";
import { test, expect, api, conversation, expectAccessible, messages, shot, signedIn, words, LOCALES } from "../fixtures.ts";
import { fill } from "../../app/src/i18n/index.ts";
import { localTimeValue } from "../../app/src/lib/retention.ts";

const NAMES = {
  en: {
    admin: "Alice", bob: "Bob", carol: "Carol", group: "Launch crew",
    old: ["The old plan: ship in March", "Budget draft v1", "Who has the keys?"], fresh: "New plan: ship in May",
  },
  zh: {
    admin: "李娜", bob: "王伟", carol: "张敏", group: "发布小组",
    old: ["旧计划：三月上线", "预算草稿第一版", "谁有钥匙？"], fresh: "新计划：五月上线",
  },
} as const;

/** A run as the server sends it (the SDK's RetentionRun). */
interface Run { id: number; state: string; before_ms?: number; conversations: number; entries: number; files: number }
interface Entry { seq: number; at_ms: number }

/** A sentence of the app's with one placeholder left to match anything (a time in the page's
 * own format), as the whole of a text or, not `whole`, a part of it. */
const matching = (template: string, open: string, whole = true) => {
  const body = template.split(`{${open}}`).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join(".+");
  return new RegExp(whole ? `^${body}$` : body);
};

const runRow = (page: Page, id: number) => page.locator(`[data-testid="retention-run"][data-id="${id}"]`);

/** How many entries of a conversation a purge before `cutoff` deletes: the oldest ones, up to the
 * first that is not older (a run deletes a beginning of the log, never a middle). */
function deletedBefore(entries: Entry[], cutoff: number): number {
  const sorted = [...entries].sort((a, b) => a.seq - b.seq);
  const kept = sorted.findIndex((e) => e.at_ms >= cutoff);
  return kept === -1 ? sorted.length : kept;
}

for (const [lang, locale] of Object.entries(LOCALES) as [keyof typeof NAMES, string][]) {
  const n = NAMES[lang];

  test.describe(`in ${lang}`, () => {
    test("a purge takes the old messages out of a member's open chat at once, and for good", async ({ browser, server }) => {
      const alice = await server.addUser("alice", { displayName: n.admin, admin: true });
      const bob = await server.addUser("bob", { displayName: n.bob });
      const carol = await server.addUser("carol", { displayName: n.carol });
      const carolApi = await api(server, carol);
      const group = await carolApi.group(n.group, [bob.account]);
      for (const text of n.old) await carolApi.send(group, text);

      // Bob has the group open, with its old messages.
      const { page } = await signedIn(browser, server, bob, { locale });
      const w = await words(page);
      await conversation(page, n.group).click();
      for (const text of n.old) await expect(messages(page).filter({ hasText: text })).toBeVisible();

      // A newer message comes while he reads; the purge is of everything before it.
      const freshSeq = await carolApi.send(group, n.fresh);
      await expect(messages(page).filter({ hasText: n.fresh })).toBeVisible();
      const history = await carolApi.request<{ entries: Entry[] }>("GET", `/v1/conversations/${group}/messages?limit=100`);
      const fresh = history.entries.find((e) => e.seq === freshSeq)!;
      const older = history.entries.filter((e) => e.seq < freshSeq);
      // Sent before Bob signed in: older to the millisecond.
      expect(older.every((e) => e.at_ms < fresh.at_ms)).toBe(true);
      const aliceApi = await api(server, alice);
      const run = await aliceApi.request<Run>("POST", "/v1/admin/domains/localhost/retention/runs", { before_ms: fresh.at_ms });
      expect(run).toMatchObject({ state: "running", before_ms: fresh.at_ms });

      // At once, in the open chat: the old messages go, the notice says why, the newer one stays.
      const notice = page.getByTestId("system-notice").filter({ hasText: matching(w["sys.historyPruned"], "time") });
      await expect(notice).toBeVisible();
      for (const text of n.old) await expect(messages(page).filter({ hasText: text })).toHaveCount(0);
      await expect(messages(page).filter({ hasText: n.fresh })).toBeVisible();
      // Nothing is left before it: the history starts here.
      await expect(page.getByRole("log").getByText(w["chat.beginning"])).toBeVisible();
      // The list shows the notice as the group's latest news.
      await expect(conversation(page, n.group)).toContainText(matching(w["sys.historyPruned"], "time", false));
      await shot(page, `retention-chat-${lang}`);

      // The server agrees: only the newer message and the notice are left.
      await expect.poll(async () => (await carolApi.request<{ entries: Entry[] }>("GET", `/v1/conversations/${group}/messages?limit=100`)).entries.map((e) => e.seq))
        .toEqual([freshSeq, freshSeq + 1]);

      // And after a reload, they are still gone.
      await page.reload();
      await expect(messages(page).filter({ hasText: n.fresh })).toBeVisible();
      await expect(notice).toBeVisible();
      await expect(page.getByRole("log").getByText(w["chat.beginning"])).toBeVisible();
      for (const text of n.old) await expect(messages(page).filter({ hasText: text })).toHaveCount(0);
      // The group's opening notice went with them: the newer message and the retention notice are all.
      await expect(messages(page)).toHaveCount(1);
      await expect(page.getByRole("log").getByTestId("system-notice")).toHaveCount(1);
    });

    test("an administrator sets the domain's policy, gives a group its own, runs the retention and purges", async ({ browser, server }) => {
      const alice = await server.addUser("alice", { displayName: n.admin, admin: true });
      const bob = await server.addUser("bob", { displayName: n.bob });
      const bobApi = await api(server, bob);
      const group = await bobApi.group(n.group, [alice.account]);
      for (const text of n.old) await bobApi.send(group, text);
      const aliceApi = await api(server, alice);

      const { page } = await signedIn(browser, server, alice, { locale });
      const w = await words(page);
      await page.getByRole("button", { name: w["nav.admin"], exact: true }).click();
      await page.getByRole("tab", { name: w["admin.tabRetention"] }).click();
      await expect(page.getByRole("tab", { name: w["admin.tabRetention"] })).toHaveAttribute("aria-selected", "true");
      expect(new URL(page.url()).pathname).toBe("/admin/retention");
      await expect(page.getByRole("heading", { name: w["admin.retTitle"], level: 2 })).toBeVisible();
      // Kept for ever so far; nothing run yet.
      const policy = page.locator('section[aria-labelledby="adm-retention"]');
      await expect(policy.getByRole("radio", { name: new RegExp(`^${w["admin.retForever"]}`) })).toBeChecked();
      await expect(policy.getByLabel(w["admin.retDays"], { exact: true })).toBeDisabled();
      await expect(page.getByTestId("retention-runs-empty")).toHaveText(w["admin.retRunsNone"]);
      await expect(page.getByTestId("retention-conversations-empty")).toHaveText(w["admin.retConvNone"]);

      // 30 days: it deletes what for ever kept, so it is confirmed first.
      await policy.getByRole("radio", { name: new RegExp(`^${w["admin.retForDays"]}`) }).check();
      await policy.getByLabel(w["admin.retDays"], { exact: true }).fill("30");
      await policy.getByRole("button", { name: w["admin.retSave"] }).click();
      const confirm = page.getByRole("alertdialog", { name: w["admin.retConfirmTitle"] });
      await expect(confirm).toContainText(fill(w["admin.retConfirmDomain"], { domain: "localhost", days: 30 }));
      await confirm.getByRole("button", { name: w["admin.retConfirmApply"] }).click();
      await expect(page.getByTestId("retention-saved")).toHaveText(fill(w["admin.retSavedDays"], { days: 30 }));
      expect((await aliceApi.request<{ days?: number }>("GET", "/v1/admin/domains/localhost/retention")).days).toBe(30);

      // Kept after a reload.
      await page.reload();
      await expect(page.getByRole("tab", { name: w["admin.tabRetention"] })).toHaveAttribute("aria-selected", "true");
      await expect(policy.getByLabel(w["admin.retDays"], { exact: true })).toHaveValue("30");
      await expect(policy.getByRole("radio", { name: new RegExp(`^${w["admin.retForDays"]}`) })).toBeChecked();

      // The group keeps its messages for ever: found by name, and listed.
      const own = page.locator('section[aria-labelledby="adm-ret-conversations"]');
      await own.getByLabel(w["admin.retConvFind"]).fill(n.group.slice(0, 2));
      await own.getByLabel(w["admin.retConvGroup"], { exact: true }).selectOption({ label: `${n.group} · ${w["group.kindGroup"]}` });
      await own.getByRole("button", { name: w["admin.retConvSet"] }).click();
      const row = own.locator(`[data-testid="retention-conversation"][data-id="${group}"]`);
      await expect(row.getByTestId("retention-conversation-name")).toHaveText(n.group);
      await expect(row.getByTestId("retention-conversation-keeps")).toHaveText(w["admin.retKeepsForever"]);
      expect((await aliceApi.request<{ conversations: unknown[] }>("GET", "/v1/admin/domains/localhost/retention")).conversations)
        .toEqual([{ conversation: group, kind: "group", name: n.group, days: 0 }]);

      // Run now: listed at once, and followed until it is done. Nothing is older than 30 days.
      const runs = page.locator('section[aria-labelledby="adm-ret-runs"]');
      await runs.getByRole("button", { name: w["admin.retRunNow"] }).click();
      const first = runs.getByTestId("retention-run");
      await expect(first).toHaveCount(1);
      const firstId = Number(await first.getAttribute("data-id"));
      await expect(first).toHaveAttribute("data-state", "done");
      await expect(first.getByTestId("retention-run-state")).toHaveText(w["admin.retRunState.done"]);
      await expect(first.getByTestId("retention-run-by")).toHaveText(alice.account);
      await expect(first.getByTestId("retention-run-scope")).toHaveText(w["admin.retRunScopePolicy"]);
      await expect(first.getByTestId("retention-run-conversations")).toHaveText(fill(w["admin.retRunConversations"], { count: 0 }));
      await expect(first.getByTestId("retention-run-entries")).toHaveText(fill(w["admin.retRunEntries"], { count: 0 }));
      await expect(first.getByTestId("retention-run-files")).toHaveText(fill(w["admin.retRunFiles"], { count: 0 }));
      await expect(runs.getByRole("button", { name: w["admin.retRunNow"] })).toBeEnabled();

      // A purge of everything before this minute, whatever the policies: confirmed first. It
      // deletes what was sent before that minute began, as many entries as the server holds of it.
      const cutoff = Math.floor(Date.now() / 60_000) * 60_000;
      const history = await bobApi.request<{ entries: Entry[] }>("GET", `/v1/conversations/${group}/messages?limit=100`);
      const deleted = deletedBefore(history.entries, cutoff);
      await runs.getByLabel(w["admin.retPurgeBefore"]).fill(localTimeValue(cutoff));
      await runs.getByRole("button", { name: w["admin.retPurge"], exact: true }).click();
      const purge = page.getByRole("alertdialog", { name: matching(w["admin.retPurgeConfirmTitle"], "time") });
      await expect(purge.locator("p")).toHaveText(matching(fill(w["admin.retPurgeConfirm"], { domain: "localhost" }), "time"));
      await purge.getByRole("button", { name: w["admin.retPurge"], exact: true }).click();
      await expect(runs.getByTestId("retention-run")).toHaveCount(2);
      const second = runs.getByTestId("retention-run").first();
      const secondId = Number(await second.getAttribute("data-id"));
      expect(secondId).toBeGreaterThan(firstId);
      await expect(second).toHaveAttribute("data-state", "done");
      await expect(second.getByTestId("retention-run-scope")).toHaveText(matching(w["admin.retRunScopeBefore"], "time"));
      await expect(second.getByTestId("retention-run-conversations")).toHaveText(fill(w["admin.retRunConversations"], { count: deleted > 0 ? 1 : 0 }));
      await expect(second.getByTestId("retention-run-entries")).toHaveText(fill(w["admin.retRunEntries"], { count: deleted }));
      await expect(runs.getByTestId("retention-runs-count")).toHaveText(fill(w["admin.retRunCount"], { count: 2 }));
      // The server has them so.
      const listed = (await aliceApi.request<{ runs: Run[] }>("GET", "/v1/admin/domains/localhost/retention")).runs;
      expect(listed.map((r) => [r.id, r.state, r.before_ms, r.entries])).toEqual([[secondId, "done", cutoff, deleted], [firstId, "done", undefined, 0]]);
      await expectAccessible(page, `the retention tab (${lang})`);
      await shot(page, `admin-retention-${lang}`);

      // Changing the policies and running are in the audit log (a run's once it has ended).
      await expect.poll(async () => (await aliceApi.request<{ records: { action: string }[] }>("GET", "/v1/admin/audit?action=retention")).records.map((r) => r.action).sort())
        .toEqual(["retention.run", "retention.run", "retention.set", "retention.set"]);
    });

    test("a member has no Retention tab", async ({ browser, server }) => {
      await server.addUser("alice", { displayName: n.admin, admin: true });
      const bob = await server.addUser("bob", { displayName: n.bob });
      const { page } = await signedIn(browser, server, bob, { locale });
      const w = await words(page);
      await expect(page.getByRole("button", { name: w["nav.admin"], exact: true })).toHaveCount(0);
      await page.goto("/admin/retention");
      await expect(page.getByText(w["error.forbidden"])).toBeVisible();
      await expect(page.getByRole("tab", { name: w["admin.tabRetention"] })).toHaveCount(0);
      // And the server does not know the domain for them.
      const bobApi = await api(server, bob);
      await expect(bobApi.request("GET", "/v1/admin/domains/localhost/retention")).rejects.toThrow(/: 404 .*not_found/);
      await expect(bobApi.request("POST", "/v1/admin/domains/localhost/retention/runs", {})).rejects.toThrow(/: 404 .*not_found/);
    });
  });
}
