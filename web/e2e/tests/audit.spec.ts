// The audit log (Administration → Audit log), in Chinese and in English: a domain's
// administrator does three administrative things in the app (a department, an invitation, the
// registration mode) and finds each in the audit log as one record, with who did it, from where,
// the action by its name and the fields before → after; filters by action; and exports the
// filtered records as JSON Lines. A member has no audit log, in the app or over the API.

import { readFileSync } from "node:fs";
import type { Locator, Page } from "@playwright/test";
import { test, expect, api, expectAccessible, shot, signedIn, words, LOCALES } from "../fixtures.ts";

const NAMES = {
  en: { admin: "Alice", bob: "Bob", dept: "Sales", note: "For the new hires" },
  zh: { admin: "李娜", bob: "王伟", dept: "销售部", note: "新同事的邀请" },
} as const;

/** A record as the server sends it (the SDK's AuditRecordInfo). */
interface AuditRecord {
  id: number; at_ms: number; domain?: string; actor: { name: string; role: string; session?: number }; ip?: string;
  action: string; target: string; before?: Record<string, unknown>; after?: Record<string, unknown>;
}

const fill = (template: string, params: Record<string, string | number>) =>
  template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));

/** The rows of the records shown, of one action or of all. */
const records = (page: Page, action?: string): Locator =>
  page.locator(action ? `[data-testid="audit-record"][data-action="${action}"]` : '[data-testid="audit-record"]');
const shownActions = (page: Page) => records(page).evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.action));
const shownIds = (page: Page) => records(page).evaluateAll((rows) => rows.map((r) => Number((r as HTMLElement).dataset.id)));

/** Opens a record's fields; answers them, each by its name. */
async function openChanges(page: Page, row: Locator): Promise<(field: string) => Locator> {
  const w = await words(page);
  const toggle = row.getByRole("button", { name: w["admin.auditDetails"] });
  await toggle.click();
  await expect(toggle).toHaveAttribute("aria-expanded", "true");
  const detail = page.locator(`#${await toggle.getAttribute("aria-controls")}`);
  await expect(detail.getByTestId("audit-diff")).toBeVisible();
  return (field) => detail.locator(`[data-testid="audit-field"][data-field="${field}"]`);
}

for (const [lang, locale] of Object.entries(LOCALES) as [keyof typeof NAMES, string][]) {
  const n = NAMES[lang];

  test.describe(`in ${lang}`, () => {
    test("an administrator finds what they did in the audit log, filters it by action and exports it", async ({ browser, server }) => {
      const alice = await server.addUser("alice", { displayName: n.admin, admin: true });
      await server.addUser("bob", { displayName: n.bob });
      const admin = await api(server, alice);
      // A PATCH with no field answers the domain as it is, and changes (and records) nothing.
      const domainBefore = await admin.request<{ registration: string }>("PATCH", "/v1/admin/domains/localhost", {});
      expect(domainBefore.registration).not.toBe("invitation");

      const { page } = await signedIn(browser, server, alice, { locale });
      const w = await words(page);
      await page.getByRole("button", { name: w["nav.admin"], exact: true }).click();

      // Three administrative actions, through the app.
      await page.getByRole("tab", { name: w["admin.tabDepartments"] }).click();
      await page.getByLabel(w["admin.deptName"]).fill(n.dept);
      await page.getByRole("button", { name: w["admin.addDepartment"] }).click();
      await expect(page.getByRole("list", { name: w["admin.deptTree"] }).getByRole("button", { name: new RegExp(`^${n.dept}`) })).toBeVisible();

      await page.getByRole("tab", { name: w["admin.tabInvitations"] }).click();
      await page.getByLabel(w["admin.note"]).fill(n.note);
      await page.getByRole("button", { name: w["admin.createInvitation"] }).click();
      await expect(page.getByTestId("invitation-link")).toBeVisible();

      await page.getByRole("tab", { name: w["admin.tabRegistration"] }).click();
      await page.getByRole("radio", { name: new RegExp(`^${w["admin.mode.invitation"]}`) }).check();
      await page.getByRole("button", { name: w["admin.saveRegistration"] }).click();
      await expect(page.getByText(w["common.saved"], { exact: true })).toBeVisible();

      // The audit log: its tab, its heading, its route.
      await page.getByRole("tab", { name: w["admin.tabAudit"] }).click();
      await expect(page.getByRole("tab", { name: w["admin.tabAudit"] })).toHaveAttribute("aria-selected", "true");
      await expect(page.getByRole("heading", { name: w["admin.auditTitle"], level: 2 })).toBeVisible();
      expect(new URL(page.url()).pathname).toBe("/admin/audit");
      const table = page.getByRole("table", { name: w["admin.auditRecords"] });
      await expect(table).toBeVisible();
      for (const column of ["admin.auditTime", "admin.auditActor", "admin.auditIp", "admin.auditAction", "admin.auditTarget", "admin.auditChanges"] as const) {
        await expect(table.getByRole("columnheader", { name: w[column], exact: true })).toBeVisible();
      }

      // Each action is one record, newest first, by Alice as the domain's administrator, from
      // this machine, named in the page's language.
      const mine = ["domain.registration", "invitation.create", "department.create"] as const;
      for (const action of mine) {
        const row = records(page, action);
        await expect(row).toHaveCount(1);
        await expect(row.getByTestId("audit-action")).toHaveText(w[`admin.auditAction.${action}`]);
        await expect(row.locator(".audit-actor-name")).toHaveText(alice.account);
        await expect(row.getByTestId("audit-role")).toHaveText(w["admin.auditRole.domain_admin"]);
        await expect(row.locator(".audit-ip")).toHaveText("127.0.0.1");
      }
      const order = await shownActions(page);
      expect(mine.map((a) => order.indexOf(a))).toEqual([...mine.map((a) => order.indexOf(a))].sort((x, y) => x - y));
      // The accounts made at the server's command line are recorded as the operator's.
      await expect(records(page, "account.create")).toHaveCount(2);
      await expect(records(page, "account.create").first().getByTestId("audit-role")).toHaveText(w["admin.auditRole.operator"]);
      await expect(records(page, "department.create").locator(".audit-target")).toHaveText(new RegExp(`^department \\d+ \\(${n.dept}\\)$`));
      await expect(records(page, "domain.registration").locator(".audit-target")).toHaveText("localhost");

      // Before → after: the department came to be, with its name; the mode changed.
      const department = await openChanges(page, records(page, "department.create"));
      await expect(department("name")).toHaveAttribute("data-changed", "true");
      await expect(department("name").getByTestId("audit-before")).toHaveText(w["admin.auditNotSet"]);
      await expect(department("name").getByTestId("audit-after")).toContainText(n.dept);
      await expect(department("name")).toContainText(w["admin.auditChanged"]);
      const registration = await openChanges(page, records(page, "domain.registration"));
      await expect(registration("registration")).toHaveAttribute("data-changed", "true");
      await expect(registration("registration").getByTestId("audit-before")).toHaveText(domainBefore.registration);
      await expect(registration("registration").getByTestId("audit-after")).toContainText("invitation");
      const invitation = await openChanges(page, records(page, "invitation.create"));
      await expect(invitation("note").getByTestId("audit-after")).toContainText(n.note);
      await expect(invitation("uses_max").getByTestId("audit-after")).toContainText("1");
      await expectAccessible(page, `the audit log with records open (${lang})`);
      await shot(page, `admin-audit-${lang}`);

      // Filtered by one action: only its record.
      const actionFilter = page.getByLabel(w["admin.auditAction"], { exact: true });
      await actionFilter.selectOption({ label: w["admin.auditAction.invitation.create"] });
      await page.getByRole("button", { name: w["admin.auditApply"], exact: true }).click();
      await expect(records(page)).toHaveCount(1);
      expect(await shownActions(page)).toEqual(["invitation.create"]);

      // By an area: its actions only (saving the registration form sets its other settings too).
      await actionFilter.selectOption({ label: fill(w["admin.auditAllInArea"], { area: w["admin.auditArea.domain"] }) });
      await page.getByRole("button", { name: w["admin.auditApply"], exact: true }).click();
      await expect(records(page, "invitation.create")).toHaveCount(0);
      await expect(records(page, "domain.registration")).toHaveCount(1);
      const domainActions = await shownActions(page);
      expect(domainActions.every((a) => a?.startsWith("domain."))).toBe(true);
      const ids = await shownIds(page);

      // The export has the same records, oldest first, one JSON object a line, as the API's.
      const download = page.waitForEvent("download");
      await page.getByRole("button", { name: w["admin.auditExport"], exact: true }).click();
      const file = await download;
      expect(file.suggestedFilename()).toBe("magpie-audit.jsonl");
      const text = readFileSync((await file.path())!, "utf8");
      expect(text.endsWith("\n")).toBe(true);
      const lines = text.split("\n").filter((line) => line !== "").map((line) => JSON.parse(line) as AuditRecord);
      expect(lines.map((r) => r.id)).toEqual([...ids].reverse());
      expect(lines.map((r) => r.action)).toEqual([...domainActions].reverse());
      const page1 = await admin.request<{ records: AuditRecord[] }>("GET", "/v1/admin/audit?action=domain");
      expect(lines).toEqual([...page1.records].reverse());
      const changed = lines.find((r) => r.action === "domain.registration")!;
      expect(changed).toMatchObject({
        domain: "localhost", actor: { name: alice.account, role: "domain_admin" }, ip: "127.0.0.1", target: "localhost",
        before: { registration: domainBefore.registration }, after: { registration: "invitation" },
      });

      // Clearing the filters shows everything again.
      await page.getByRole("button", { name: w["admin.auditClear"], exact: true }).click();
      await expect(records(page, "invitation.create")).toHaveCount(1);
      await expect(records(page, "department.create")).toHaveCount(1);
    });

    test("a member has no audit log", async ({ browser, server }) => {
      await server.addUser("alice", { displayName: n.admin, admin: true });
      const bob = await server.addUser("bob", { displayName: n.bob });
      const { page } = await signedIn(browser, server, bob, { locale });
      const w = await words(page);
      await expect(page.getByRole("button", { name: w["nav.admin"], exact: true })).toHaveCount(0);
      // Not even by its address.
      await page.goto("/admin/audit");
      await expect(page.getByText(w["error.forbidden"])).toBeVisible();
      await expect(page.getByRole("tab", { name: w["admin.tabAudit"] })).toHaveCount(0);
      await expect(page.getByTestId("audit-record")).toHaveCount(0);
      // And the server refuses it.
      const bobApi = await api(server, bob);
      await expect(bobApi.request("GET", "/v1/admin/audit")).rejects.toThrow(/^GET \/v1\/admin\/audit: 403 .*forbidden/);
      await expect(bobApi.request("GET", "/v1/admin/audit/export")).rejects.toThrow(/: 403 /);
    });
  });
}

test("a server administrator reads every domain's records, and the deployment's alone; in the dark and on a phone too", async ({ browser, server }) => {
  const root = await server.addUser("root", { displayName: "Root", serverAdmin: true });
  const rootApi = await api(server, root);
  await rootApi.request("POST", "/v1/admin/domains", { name: "acme.example" });
  await rootApi.request("PATCH", "/v1/admin/domains/acme.example", { registration: "open" });
  for (const viewport of [{ width: 1280, height: 800 }, { width: 390, height: 844 }]) {
    const { page, context } = await signedIn(browser, server, root, { colorScheme: "dark", viewport });
    const w = await words(page);
    await page.goto("/admin/audit");
    const table = page.getByRole("table", { name: w["admin.auditRecords"] });
    await expect(table.getByRole("columnheader", { name: w["admin.auditDomain"], exact: true })).toBeVisible();
    // The new domain is the deployment's; its registration is the domain's; root's account, localhost's.
    await expect(records(page, "domain.create").locator("td").nth(5)).toHaveText(w["admin.auditDeployment"]);
    await expect(records(page, "domain.create").getByTestId("audit-role")).toHaveText(w["admin.auditRole.server_admin"]);
    await expect(records(page, "domain.registration").locator("td").nth(5)).toHaveText("acme.example");
    await expect(records(page, "account.create").locator("td").nth(5)).toHaveText("localhost");
    await openChanges(page, records(page, "domain.registration"));
    await expectAccessible(page, `the audit log of a server administrator, dark, ${viewport.width}`);

    await page.getByLabel(w["admin.auditScope"]).selectOption({ label: w["admin.auditScopeDeployment"] });
    await page.getByRole("button", { name: w["admin.auditApply"], exact: true }).click();
    await expect(records(page, "account.create")).toHaveCount(0);
    expect(await shownActions(page)).toEqual(["domain.create"]);
    // A domain's records: the one the page shows.
    await page.getByLabel(w["admin.auditScope"]).selectOption({ label: fill(w["admin.auditScopeDomain"], { domain: "localhost" }) });
    await page.getByRole("button", { name: w["admin.auditApply"], exact: true }).click();
    await expect(records(page, "domain.create")).toHaveCount(0);
    expect(await shownActions(page)).toEqual(["account.create"]);
    if (viewport.width < 500) await shot(page, "admin-audit-phone-dark");
    await context.close();
  }
});
