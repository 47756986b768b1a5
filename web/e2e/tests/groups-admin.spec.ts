// A domain's groups (Administration → Groups), in Chinese and in English: a domain's
// administrator who is no member of it finds a group that a member made over the REST API with
// another member, searched by name; sees its members with their roles; hands it to the other
// member (the members then show the new owner, and the old one an admin); dissolves it (then it
// is listed only with "show dissolved", marked dissolved); both are in the audit log. A member
// has no Groups tab, and the server refuses them the groups.

import type { Page } from "@playwright/test";
import { test, expect, api, expectAccessible, shot, signedIn, words, LOCALES } from "../fixtures.ts";

const NAMES = {
  en: { admin: "Alice", bob: "Bob", carol: "Carol", group: "Quarterly numbers", other: "Lunch plans", search: "quarterly" },
  zh: { admin: "李娜", bob: "王伟", carol: "张敏", group: "季度数据", other: "午饭安排", search: "季度" },
} as const;

const fill = (template: string, params: Record<string, string | number>) =>
  template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));

const groupRow = (page: Page, id: number) => page.locator(`[data-testid="admin-group"][data-id="${id}"]`);
const memberRow = (page: Page, account: string) => page.locator(`[data-testid="group-member"][data-account="${account}"]`);

for (const [lang, locale] of Object.entries(LOCALES) as [keyof typeof NAMES, string][]) {
  const n = NAMES[lang];

  test.describe(`in ${lang}`, () => {
    test("a domain's administrator finds a group, sees its members, hands it over and dissolves it", async ({ browser, server }) => {
      const alice = await server.addUser("alice", { displayName: n.admin, admin: true });
      const bob = await server.addUser("bob", { displayName: n.bob });
      const carol = await server.addUser("carol", { displayName: n.carol });
      // Bob's group with Carol, and another, made over the API: Alice is in neither.
      const bobApi = await api(server, bob);
      const group = await bobApi.group(n.group, [carol.account]);
      const other = await bobApi.group(n.other, [carol.account]);
      await bobApi.send(group, "hello");

      const { page } = await signedIn(browser, server, alice, { locale });
      const w = await words(page);
      await page.getByRole("button", { name: w["nav.admin"], exact: true }).click();
      await page.getByRole("tab", { name: w["admin.tabGroups"] }).click();
      await expect(page.getByRole("tab", { name: w["admin.tabGroups"] })).toHaveAttribute("aria-selected", "true");
      expect(new URL(page.url()).pathname).toBe("/admin/groups");
      await expect(page.getByRole("heading", { name: w["admin.groupsTitle"], level: 2 })).toBeVisible();
      // Both, newest first.
      await expect(page.getByTestId("admin-group")).toHaveCount(2);
      await expect(page.getByTestId("admin-group").first()).toHaveAttribute("data-id", String(other));

      // Found by a part of its name.
      await page.getByRole("searchbox", { name: w["admin.groupsSearch"] }).fill(n.search);
      await expect(page.getByTestId("admin-group")).toHaveCount(1);
      const row = groupRow(page, group);
      await expect(row.getByTestId("admin-group-name")).toHaveText(n.group);
      await expect(row.getByTestId("admin-group-kind")).toHaveText(w["group.kindGroup"]);
      await expect(row.getByTestId("admin-group-owner")).toHaveText(bob.account);
      await expect(row.getByTestId("admin-group-members")).toHaveText("2");
      await expect(row.getByTestId("admin-group-dissolved")).toHaveCount(0);
      await expect(page.getByTestId("groups-count")).toHaveText(w["admin.groupShownOne"]);

      // Its members, the owner first.
      await row.getByRole("button", { name: fill(w["admin.groupViewNamed"], { name: n.group }), exact: true }).click();
      await expect(page.getByRole("heading", { name: fill(w["admin.groupMembersTitle"], { name: n.group }), level: 2 })).toBeVisible();
      await expect(page.getByTestId("group-member")).toHaveCount(2);
      await expect(page.getByTestId("group-member").first()).toHaveAttribute("data-account", bob.account);
      await expect(memberRow(page, bob.account).getByTestId("group-member-role")).toHaveText(w["group.roleOwner"]);
      await expect(memberRow(page, carol.account).getByTestId("group-member-role")).toHaveText(w["group.roleMember"]);
      await expectAccessible(page, `the groups tab with a group's members (${lang})`);
      await shot(page, `admin-groups-${lang}`);

      // Handed to Carol, confirmed first.
      await page.getByLabel(w["admin.groupNewOwner"], { exact: true }).selectOption(carol.account);
      await page.getByRole("button", { name: w["admin.groupTransfer"], exact: true }).click();
      const confirm = page.getByRole("alertdialog", { name: w["admin.groupTransfer"] });
      await expect(confirm).toContainText(fill(w["admin.groupConfirmTransfer"], { member: carol.account, name: n.group, owner: bob.account }));
      await confirm.getByRole("button", { name: w["admin.groupTransfer"], exact: true }).click();
      await expect(confirm).toHaveCount(0);
      await expect(page.getByText(fill(w["admin.groupTransferred"], { member: carol.account, name: n.group }))).toBeVisible();
      await expect(memberRow(page, carol.account).getByTestId("group-member-role")).toHaveText(w["group.roleOwner"]);
      await expect(memberRow(page, bob.account).getByTestId("group-member-role")).toHaveText(w["group.roleAdmin"]);
      await expect(page.getByTestId("group-member").first()).toHaveAttribute("data-account", carol.account);
      await expect(row.getByTestId("admin-group-owner")).toHaveText(carol.account);
      // The server agrees, as its members see it.
      const seen = await bobApi.request<{ members: { account: string; role: string }[] }>("GET", `/v1/conversations/${group}/members`);
      expect(Object.fromEntries(seen.members.map((m) => [m.account, m.role]))).toEqual({ [carol.account]: "owner", [bob.account]: "admin" });

      // Dissolved, confirmed first in the danger style.
      await page.getByRole("button", { name: fill(w["admin.groupDissolveNamed"], { name: n.group }), exact: true }).click();
      const dissolve = page.getByRole("alertdialog", { name: fill(w["admin.groupDissolveNamed"], { name: n.group }) });
      await expect(dissolve).toContainText(fill(w["admin.groupConfirmDissolve"], { name: n.group, count: 2 }));
      const go = dissolve.getByRole("button", { name: w["admin.groupDissolve"], exact: true });
      await expect(go).toHaveClass(/btn-danger/);
      await go.click();
      await expect(dissolve).toHaveCount(0);
      await expect(page.getByText(fill(w["admin.groupDissolvedDone"], { name: n.group }))).toBeVisible();
      // Listed only with the dissolved ones, marked.
      await expect(page.getByTestId("admin-group")).toHaveCount(0);
      await expect(page.getByTestId("groups-empty")).toHaveText(fill(w["admin.groupsNoMatch"], { q: n.search }));
      await page.getByRole("button", { name: w["admin.refresh"], exact: true }).click();
      await expect(page.getByTestId("groups-empty")).toBeVisible();
      await page.getByLabel(w["admin.groupsShowDissolved"], { exact: true }).check();
      await expect(page.getByTestId("admin-group")).toHaveCount(1);
      await expect(row).toHaveAttribute("data-dissolved", "true");
      await expect(row.getByTestId("admin-group-dissolved")).toHaveText(w["admin.groupDissolved"]);
      // Without the search, the other group is there too, and not dissolved.
      await page.getByRole("searchbox", { name: w["admin.groupsSearch"] }).fill("");
      await expect(page.getByTestId("admin-group")).toHaveCount(2);
      await expect(groupRow(page, other)).toHaveAttribute("data-dissolved", "false");
      await page.getByLabel(w["admin.groupsShowDissolved"], { exact: true }).uncheck();
      await expect(page.getByTestId("admin-group")).toHaveCount(1);
      await expect(groupRow(page, other)).toBeVisible();
      // Its members can send to it no more.
      await expect(bobApi.send(group, "still here?")).rejects.toThrow(/: 4\d\d /);

      // Both are in the audit log.
      const aliceApi = await api(server, alice);
      const audit = await aliceApi.request<{ records: { action: string; actor: { name: string } }[] }>("GET", "/v1/admin/audit?action=group");
      expect(audit.records.map((r) => r.action)).toEqual(["group.dissolve", "group.transfer"]);
      expect(audit.records.every((r) => r.actor.name === alice.account)).toBe(true);
      await page.getByRole("tab", { name: w["admin.tabAudit"] }).click();
      await expect(page.locator('[data-testid="audit-record"][data-action="group.transfer"]').getByTestId("audit-action")).toHaveText(w["admin.auditAction.group.transfer"]);
      await expect(page.locator('[data-testid="audit-record"][data-action="group.dissolve"]').getByTestId("audit-action")).toHaveText(w["admin.auditAction.group.dissolve"]);
    });

    test("a member has no Groups tab", async ({ browser, server }) => {
      await server.addUser("alice", { displayName: n.admin, admin: true });
      const bob = await server.addUser("bob", { displayName: n.bob });
      const carol = await server.addUser("carol", { displayName: n.carol });
      const bobApi = await api(server, bob);
      const group = await bobApi.group(n.group, [carol.account]);
      const { page } = await signedIn(browser, server, bob, { locale });
      const w = await words(page);
      await expect(page.getByRole("button", { name: w["nav.admin"], exact: true })).toHaveCount(0);
      // Not even by its address.
      await page.goto("/admin/groups");
      await expect(page.getByText(w["error.forbidden"])).toBeVisible();
      await expect(page.getByRole("tab", { name: w["admin.tabGroups"] })).toHaveCount(0);
      await expect(page.getByRole("heading", { name: w["admin.groupsTitle"] })).toHaveCount(0);
      // And the server refuses them the list; a group, even their own, is none of theirs to
      // manage here (as for one that does not exist).
      await expect(bobApi.request("GET", "/v1/admin/domains/localhost/groups")).rejects.toThrow(/: 403 .*forbidden/);
      await expect(bobApi.request("GET", `/v1/admin/groups/${group}/members`)).rejects.toThrow(/: 404 .*not_found/);
      await expect(bobApi.request("POST", `/v1/admin/groups/${group}/dissolve`)).rejects.toThrow(/: 404 .*not_found/);
      // Their group lives on.
      await bobApi.send(group, "still here");
    });
  });
}
