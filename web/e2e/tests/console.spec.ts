// The console (Administration → Dashboard, Connections, Backups, Moderation, Domains), in Chinese
// and in English: the dashboard shows the connection a second browser opens (the figures are
// read again every 10 s: each expectation waits for the value, never for the clock), and draws
// its charts once the server has samples; the connections list that person, and Disconnect signs
// them out in their browser; a backup is made and listed; a domain is made in the Domains tab and
// picked for the page; a domain's administrator sets forbidden words to be masked, and a member's
// message in a group shows masked, with both in the audit log; and the server's sections are not
// a domain administrator's to see.

import type { Locator, Page } from "@playwright/test";
import { test, expect, api, conversation, expectAccessible, messages, send, shot, signedIn, words, LOCALES, VIEWPORTS } from "../fixtures.ts";

const NAMES = {
  en: { root: "Root", admin: "Alice", bob: "Bob", group: "Pastry club", word: "plum", text: "Who brought the plum pie?", masked: "Who brought the **** pie?" },
  zh: { root: "超级管理员", admin: "李娜", bob: "王伟", group: "点心群", word: "坏词", text: "这是坏词测试", masked: "这是**测试" },
} as const;

const OTHER = "acme.example";

/** Two refreshes of the dashboard (every 10 s) and some room: how long a change may take to show. */
const REFRESHED_MS = 25_000;
/** The server samples every 10 s and a chart needs two samples: about 20 s after it started. */
const CHARTED_MS = 45_000;

const fill = (template: string, params: Record<string, string | number>) =>
  template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));

async function openTab(page: Page, tab: "admin.tabDashboard" | "admin.tabConnections" | "admin.tabBackups" | "admin.tabModeration" | "admin.tabDomains" | "admin.tabAudit"): Promise<void> {
  const w = await words(page);
  if (!new URL(page.url()).pathname.startsWith("/admin")) await page.getByRole("button", { name: w["nav.admin"], exact: true }).click();
  await page.getByRole("tab", { name: w[tab] }).click();
  await expect(page.getByRole("tab", { name: w[tab] })).toHaveAttribute("aria-selected", "true");
}

/** A tile of the dashboard's now, by its test id. */
const tile = (page: Page, id: string): Locator => page.getByTestId(`dash-${id}`).getByTestId("dash-value");

for (const [lang, locale] of Object.entries(LOCALES) as [keyof typeof NAMES, string][]) {
  const n = NAMES[lang];

  test.describe(`in ${lang}`, () => {
    test("the dashboard shows the connection a second browser opens, and Disconnect in the connections signs it out", async ({ browser, server }) => {
      const root = await server.addUser("root", { displayName: n.root, serverAdmin: true });
      const bob = await server.addUser("bob", { displayName: n.bob });
      const { page } = await signedIn(browser, server, root, { locale });
      const w = await words(page);
      await openTab(page, "admin.tabDashboard");
      expect(new URL(page.url()).pathname).toBe("/admin/dashboard");
      await expect(page.getByRole("heading", { name: w["admin.dashTitle"], level: 2 })).toBeVisible();
      // The administrator's own browser is the one connection.
      await expect(tile(page, "connections")).toHaveText("1", { timeout: REFRESHED_MS });
      await expect(tile(page, "accounts")).toHaveText("1");

      // Bob opens the web client in another browser: the dashboard counts him at its next read.
      const bobs = await signedIn(browser, server, bob, { locale });
      const wb = await words(bobs.page);
      await expect(tile(page, "connections")).toHaveText("2", { timeout: REFRESHED_MS });
      await expect(tile(page, "accounts")).toHaveText("2");
      await expect(tile(page, "memory")).toHaveText(/\d.* (KB|MB|GB)$/);

      // The charts, once the server has two samples: uPlot's canvas, named in words.
      const chart = page.getByTestId("chart-dash-chart-connections");
      await expect(chart.locator("canvas").first()).toBeVisible({ timeout: CHARTED_MS });
      await expect(chart.getByRole("img")).toHaveAttribute("aria-label", new RegExp(`^${w["admin.dashChartConnections"]}: ${w["admin.dashConnections"]}`));
      await expect(chart.getByTestId("chart-value").first()).toHaveText(/^\d+$/);
      await expectAccessible(page, `the dashboard (${lang})`);
      await shot(page, `admin-dashboard-${lang}`);
      await page.getByRole("button", { name: w["admin.dashDay"] }).click();
      await expect(page.getByRole("button", { name: w["admin.dashDay"] })).toHaveAttribute("aria-pressed", "true");
      await expect(page.getByRole("heading", { name: w["admin.dashLastDay"], level: 3 })).toBeVisible();

      // The connections: Bob's browser, from this machine; disconnected, his page is signed out.
      await openTab(page, "admin.tabConnections");
      const row = page.locator(`[data-testid="connection"][data-account="${bob.account}"]`);
      await expect(row).toHaveCount(1);
      await expect(row).toContainText("127.0.0.1");
      await expect(page.locator(`[data-testid="connection"][data-account="${root.account}"]`)).toContainText(w["admin.connThisBrowser"]);
      await expectAccessible(page, `the connections (${lang})`);
      await shot(page, `admin-connections-${lang}`);
      await row.getByRole("button", { name: w["admin.connDisconnect"] }).click();
      const confirm = page.getByRole("alertdialog", { name: w["admin.connDisconnect"] });
      await expect(confirm).toContainText(bob.account);
      await confirm.getByRole("button", { name: w["admin.connDisconnect"] }).click();
      await expect(row).toHaveCount(0);
      await expect(bobs.page.getByText(wb["auth.signedOutRevoked"])).toBeVisible();
      await expect(bobs.page.getByRole("button", { name: wb["auth.signIn"] })).toBeVisible();
    });

    test("a server administrator makes a backup, and a domain that the page then administers", async ({ browser, server }) => {
      const root = await server.addUser("root", { displayName: n.root, serverAdmin: true });
      const { page } = await signedIn(browser, server, root, { locale });
      const w = await words(page);

      await openTab(page, "admin.tabBackups");
      await expect(page.getByTestId("backups-empty")).toHaveText(w["admin.backupNone"]);
      await page.getByRole("button", { name: w["admin.backupNow"] }).click();
      const backup = page.getByTestId("backup");
      await expect(backup).toHaveCount(1);
      await expect(backup).toHaveAttribute("data-finished", "true");
      await expect(backup).toHaveAttribute("data-name", /^magpie-/);
      await expect(backup).toContainText(w["admin.backupFinished"]);
      await expect(backup).toContainText(w["admin.backupJustMade"]);
      await expect(page.getByRole("button", { name: w["admin.backupNow"] })).toBeEnabled();
      const listed = await (await api(server, root)).request<{ backups: { name: string; finished: boolean }[] }>("GET", "/v1/admin/backups");
      expect(listed.backups).toEqual([expect.objectContaining({ name: await backup.getAttribute("data-name"), finished: true })]);
      await expectAccessible(page, `the backups (${lang})`);
      await shot(page, `admin-backups-${lang}`);

      await openTab(page, "admin.tabDomains");
      const domains = page.getByTestId("domain");
      await expect(domains).toHaveCount(1);
      await expect(page.locator('[data-testid="domain"][data-domain="localhost"]')).toContainText(w["admin.domainShown"]);
      // One domain: nothing to pick.
      await expect(page.getByRole("combobox", { name: w["admin.domain"], exact: true })).toHaveCount(0);
      const name = page.getByLabel(w["admin.domainName"], { exact: true });
      await name.fill("localhost");
      await page.getByRole("button", { name: w["admin.domainCreate"] }).click();
      await expect(name).toHaveAttribute("aria-invalid", "true");
      await expect(page.locator("#adm-domain-name-error")).toHaveText(w["admin.domainExists"]);
      await name.fill(OTHER);
      await page.getByRole("button", { name: w["admin.domainCreate"] }).click();
      const made = page.locator(`[data-testid="domain"][data-domain="${OTHER}"]`);
      await expect(made).toContainText(w["admin.mode.closed"]);
      await expect(name).toHaveValue("");
      await expectAccessible(page, `the domains (${lang})`);
      await shot(page, `admin-domains-${lang}`);

      // The page's picker has it now, and Manage opens its registration.
      const picker = page.getByRole("combobox", { name: w["admin.domain"], exact: true });
      await expect(picker.locator("option")).toHaveText([OTHER, "localhost"]);
      await made.getByRole("button", { name: fill(w["admin.domainManageNamed"], { domain: OTHER }) }).click();
      await expect(page.getByRole("tab", { name: w["admin.tabRegistration"] })).toHaveAttribute("aria-selected", "true");
      await expect(picker).toHaveValue(OTHER);
      await expect(page.getByRole("radio", { name: new RegExp(`^${w["admin.mode.closed"]}`) })).toBeChecked();
    });

    test("a domain's administrator masks forbidden words, and a member's message in a group shows masked; the server's sections are not theirs", async ({ browser, server }) => {
      const alice = await server.addUser("alice", { displayName: n.admin, admin: true });
      const bob = await server.addUser("bob", { displayName: n.bob });
      const aliceApi = await api(server, alice);
      await aliceApi.group(n.group, [bob.account]);
      const { page } = await signedIn(browser, server, alice, { locale });
      const w = await words(page);
      await page.getByRole("button", { name: w["nav.admin"], exact: true }).click();

      // No dashboard, backups or domains; a link to one opens the first section.
      const tabs = page.getByRole("tablist", { name: w["admin.title"] }).getByRole("tab");
      await expect(tabs.filter({ hasText: w["admin.tabModeration"] })).toHaveCount(1);
      await expect(tabs.filter({ hasText: w["admin.tabConnections"] })).toHaveCount(1);
      for (const key of ["admin.tabDashboard", "admin.tabBackups", "admin.tabDomains"] as const) {
        await expect(tabs.filter({ hasText: w[key] })).toHaveCount(0);
      }
      await page.goto("/admin/dashboard");
      await expect(page.getByRole("tab", { name: w["admin.tabDepartments"] })).toHaveAttribute("aria-selected", "true");
      await expect(page).toHaveURL(/\/admin\/departments$/);
      await expect(aliceApi.request("GET", "/v1/admin/dashboard")).rejects.toThrow(/: 403 /);

      // Her domain's connections: her own browser.
      await openTab(page, "admin.tabConnections");
      await expect(page.locator(`[data-testid="connection"][data-account="${alice.account}"]`)).toContainText(w["admin.connThisBrowser"]);
      await expect(page.getByRole("combobox", { name: w["admin.connScope"] })).toHaveCount(0);
      await expectAccessible(page, `a domain administrator's connections (${lang})`);

      // The words, one a line, with a repeat and blank lines; masked.
      await openTab(page, "admin.tabModeration");
      const field = page.getByLabel(w["admin.modWords"]);
      await expect(field).toHaveValue("");
      await field.fill(`  ${n.word}\n\n${n.word.toUpperCase()}\nzzz-forbidden\n`);
      await page.getByRole("radio", { name: new RegExp(`^${w["admin.modAction.mask"]}`) }).check();
      await page.getByRole("button", { name: w["admin.modSave"] }).click();
      // What the server kept: trimmed, each once (the second line repeats the first, in capitals
      // where it has letters).
      const kept = [n.word, "zzz-forbidden"];
      await expect(field).toHaveValue(kept.join("\n"));
      await expect(page.getByTestId("moderation-saved").locator("span")).toHaveText([fill(w["admin.modSaved"], { count: 2 }), w["admin.modDroppedOne"]]);
      expect(await aliceApi.request("GET", "/v1/admin/domains/localhost/moderation")).toEqual({ action: "mask", words: kept });
      await expectAccessible(page, `the forbidden words (${lang})`);
      await shot(page, `admin-moderation-${lang}`);

      // Bob writes the word in the group: it is sent masked, and everyone sees it so.
      const bobs = await signedIn(browser, server, bob, { locale });
      await conversation(bobs.page, n.group).click();
      await send(bobs.page, n.text);
      await expect(messages(bobs.page).filter({ hasText: n.masked })).toHaveCount(1);
      await expect(messages(bobs.page).filter({ hasText: n.text })).toHaveCount(0);
      await page.goto("/");
      await conversation(page, n.group).click();
      await expect(messages(page).filter({ hasText: n.masked })).toHaveCount(1);
      await expect(messages(page).filter({ hasText: n.text })).toHaveCount(0);

      // Both in the audit log, by their names.
      await openTab(page, "admin.tabAudit");
      await expect(page.locator('[data-testid="audit-record"][data-action="moderation.set"] [data-testid="audit-action"]')).toHaveText(w["admin.auditAction.moderation.set"]);
      await expect(page.locator('[data-testid="audit-record"][data-action="moderation.mask"] [data-testid="audit-action"]')).toHaveText(w["admin.auditAction.moderation.mask"]);
    });
  });
}

test("on a phone, in the dark: the dashboard's tiles and charts, and the connections", async ({ browser, server }) => {
  const root = await server.addUser("root", { displayName: "Root", serverAdmin: true });
  const { page } = await signedIn(browser, server, root, { colorScheme: "dark", viewport: VIEWPORTS.phone });
  const w = await words(page);
  await page.goto("/admin/dashboard");
  await expect(tile(page, "connections")).toHaveText("1", { timeout: REFRESHED_MS });
  const chart = page.getByTestId("chart-dash-chart-memory");
  await expect(chart.locator("canvas").first()).toBeVisible({ timeout: CHARTED_MS });
  // The chart fits the phone's width.
  const box = (await chart.boundingBox())!;
  expect(box.x + box.width).toBeLessThanOrEqual(VIEWPORTS.phone.width);
  await expect(chart.getByTestId("chart-value")).toHaveText(/ (KB|MB|GB)$/);
  await expectAccessible(page, "the dashboard on a phone, dark");
  await page.getByTestId("chart-dash-chart-connections").scrollIntoViewIfNeeded();
  await shot(page, "admin-dashboard-phone-dark");
  await page.getByRole("tab", { name: w["admin.tabConnections"] }).click();
  await expect(page.locator(`[data-testid="connection"][data-account="${root.account}"]`)).toBeVisible();
  await expectAccessible(page, "the connections on a phone, dark");
});
