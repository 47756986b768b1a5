// Organisation and onboarding (issue 15), in Chinese and in English: browsing the org chart
// and a person's card, registering from an invitation link an administrator made in the app,
// and an applicant who waits for an administrator's approval.

import {
  test, expect, api, expectAccessible, newContext, shot, signedIn, words, LOCALES,
} from "../fixtures.ts";

const NAMES = {
  en: { admin: "Alice", bob: "Bob", carol: "Carol", dave: "Dave", erin: "Erin", hq: "Head office", eng: "Engineering", web: "Web", design: "Design", cto: "CTO", fe: "Web engineer" },
  zh: { admin: "李娜", bob: "王伟", carol: "张敏", dave: "刘洋", erin: "陈静", hq: "总部", eng: "研发部", web: "前端组", design: "设计部", cto: "技术总监", fe: "前端工程师" },
} as const;

for (const [lang, locale] of Object.entries(LOCALES) as [keyof typeof NAMES, string][]) {
  const n = NAMES[lang];

  test.describe(`in ${lang}`, () => {
    test("a member browses the org chart, opens a person's card and messages them; changes show live", async ({ browser, server }) => {
      const alice = await server.addUser("alice", { displayName: n.admin, admin: true });
      const bob = await server.addUser("bob", { displayName: n.bob });
      const carol = await server.addUser("carol", { displayName: n.carol });
      const admin = await api(server, alice);
      const dept = (name: string, parent?: number) =>
        admin.request<{ id: number }>("POST", "/v1/admin/domains/localhost/departments", { name, ...(parent ? { parent } : {}) }).then((d) => d.id);
      const hq = await dept(n.hq);
      const eng = await dept(n.eng, hq);
      const web = await dept(n.web, eng);
      await admin.request("PUT", `/v1/admin/departments/${eng}/members/${carol.account}`, { title: n.cto });
      await admin.request("PUT", `/v1/admin/departments/${web}/members/${bob.account}`, { title: n.fe });
      await admin.request("PATCH", `/v1/admin/departments/${web}`, { manager: carol.account });

      const { page } = await signedIn(browser, server, bob, { locale });
      const w = await words(page);
      await page.getByRole("button", { name: w["nav.directory"], exact: true }).click();
      const tree = page.getByRole("navigation", { name: w["dir.departments"] });
      // Each department shows how many people are in it and below it.
      await expect(tree.getByRole("button", { name: `${n.hq} ${w["dir.peopleCount"].replace("{count}", "2")}` })).toBeVisible();
      await tree.getByRole("button", { name: w["dir.expand"].replace("{name}", n.hq) }).click();
      await tree.getByRole("button", { name: new RegExp(`^${n.eng}`) }).click();
      await expect(page.getByRole("heading", { name: n.eng, exact: true })).toBeVisible();
      const people = page.getByRole("list", { name: w["dir.peopleIn"].replace("{name}", n.eng) });
      await expect(people.getByRole("button", { name: new RegExp(n.carol) })).toContainText(n.cto);
      await expectAccessible(page, `directory (${lang})`);
      await shot(page, `directory-${lang}`);

      // The department below, from the department's own list; its manager is named.
      await page.getByRole("main").getByRole("button", { name: new RegExp(`^${n.web}`) }).click();
      await expect(page.getByRole("heading", { name: n.web, exact: true })).toBeVisible();
      await expect(page.getByText(w["dir.counts"].replace("{direct}", "1").replace("{total}", "1"))).toBeVisible();

      // Carol's card: where she sits, with her title, and a way to message her.
      await page.getByRole("button", { name: n.carol, exact: true }).click();
      const card = page.getByRole("dialog", { name: w["card.title"].replace("{name}", n.carol) });
      await expect(card.getByRole("button", { name: `${n.hq} / ${n.eng}` })).toBeVisible();
      await expect(card.getByText(n.cto)).toBeVisible();
      await expectAccessible(page, `person card (${lang})`);
      await shot(page, `person-card-${lang}`);
      await card.getByRole("button", { name: w["card.sendMessage"] }).click();
      await expect(card).toHaveCount(0);
      await expect(page.getByRole("log", { name: w["chat.messages"] })).toBeVisible();
      // The direct chat's header opens the same card.
      await page.getByRole("button", { name: w["chat.personCard"] }).click();
      await expect(card).toBeVisible();
      await page.keyboard.press("Escape");
      await expect(card).toHaveCount(0);

      // An administrator's change reaches the open directory without a reload.
      await page.getByRole("button", { name: w["nav.directory"], exact: true }).click();
      await expect(tree.getByRole("button", { name: new RegExp(`^${n.hq}`) })).toBeVisible();
      await dept(n.design);
      await expect(tree.getByRole("button", { name: new RegExp(`^${n.design}`) })).toBeVisible();

      // Search finds departments by name and people by name.
      const search = page.getByRole("searchbox", { name: w["dir.search"] });
      await search.fill(n.web);
      await page.getByRole("list", { name: w["dir.departmentResults"] }).getByRole("button", { name: new RegExp(n.web) }).click();
      await expect(page.getByRole("heading", { name: n.web, exact: true })).toBeVisible();
      await search.fill(n.carol);
      await page.getByRole("list", { name: w["dir.peopleResults"] }).getByRole("button", { name: new RegExp(n.carol) }).click();
      await expect(page.getByRole("dialog", { name: w["card.title"].replace("{name}", n.carol) })).toBeVisible();
    });

    test("an administrator makes an invitation in the app, and someone registers from its link", async ({ browser, server }) => {
      const alice = await server.addUser("alice", { displayName: n.admin, admin: true });
      const { page } = await signedIn(browser, server, alice, { locale });
      const w = await words(page);

      await page.getByRole("button", { name: w["nav.admin"], exact: true }).click();
      await page.getByRole("tab", { name: w["admin.tabRegistration"] }).click();
      await page.getByRole("radio", { name: new RegExp(`^${w["admin.mode.invitation"]}`) }).check();
      await page.getByRole("button", { name: w["admin.saveRegistration"] }).click();
      await expect(page.getByText(w["common.saved"], { exact: true })).toBeVisible();

      await page.getByRole("tab", { name: w["admin.tabInvitations"] }).click();
      await page.getByLabel(w["admin.note"]).fill(n.dave);
      await page.getByRole("button", { name: w["admin.createInvitation"] }).click();
      const link = await page.getByTestId("invitation-link").textContent();
      expect(link).toMatch(new RegExp(`^${server.url}/invite/localhost/inv_`));
      await expect(page.getByRole("list", { name: w["admin.tabInvitations"] }).getByText(n.dave)).toBeVisible();
      await expectAccessible(page, `invitations (${lang})`);
      await shot(page, `admin-invitations-${lang}`);

      // Someone else, in a browser of their own, opens the link.
      const context = await newContext(browser, server, { locale });
      const guest = await context.newPage();
      await guest.goto(new URL(link!).pathname);
      await expect(guest.getByRole("heading", { name: w["auth.inviteTitle"] })).toBeVisible();
      await expect(guest.getByLabel(w["auth.invitation"], { exact: true })).toHaveValue(/^inv_/);
      await expectAccessible(guest, `invitation registration (${lang})`);
      await shot(guest, `register-invitation-${lang}`);
      // A bare name is in the invitation's domain.
      await guest.getByLabel(w["auth.account"]).fill("dave");
      await guest.getByLabel(w["auth.displayName"]).fill(n.dave);
      await guest.getByLabel(w["auth.password"], { exact: true }).fill("plum lantern orbit dave");
      await guest.getByRole("button", { name: w["auth.register"], exact: true }).click();
      await expect(guest.getByRole("list", { name: w["list.label"] })).toBeVisible();
      expect(new URL(guest.url()).pathname).toBe("/");
      await guest.getByRole("button", { name: w["nav.settings"], exact: true }).click();
      await expect(guest.getByText("dave@localhost", { exact: true })).toBeVisible();

      // The invitation was for one person: it is used up.
      await page.getByRole("tab", { name: w["admin.tabRegistration"] }).click();
      await page.getByRole("tab", { name: w["admin.tabInvitations"] }).click();
      await expect(page.getByRole("list", { name: w["admin.tabInvitations"] }).getByText(w["admin.usedUp"])).toBeVisible();
      await context.close();
    });

    test("an applicant waits for approval, an administrator approves in the app, and the applicant signs in", async ({ browser, server }) => {
      const alice = await server.addUser("alice", { displayName: n.admin, admin: true });
      await (await api(server, alice)).request("PATCH", "/v1/admin/domains/localhost", { registration: "approval" });

      const context = await newContext(browser, server, { locale });
      const applicant = await context.newPage();
      await applicant.goto("/");
      const w = await words(applicant);
      await applicant.getByRole("button", { name: w["auth.createAccount"] }).click();
      await applicant.getByLabel(w["auth.account"]).fill("erin@localhost");
      await applicant.getByLabel(w["auth.displayName"]).fill(n.erin);
      await applicant.getByLabel(w["auth.password"], { exact: true }).fill("violet anchor erin 25");
      await applicant.getByRole("button", { name: new RegExp(`^(${w["auth.register"]}|${w["auth.apply"]})$`) }).click();
      await expect(applicant.getByRole("heading", { name: w["auth.pendingTitle"] })).toBeVisible();
      await expect(applicant.getByTestId("approval-pending")).toContainText("erin@localhost");
      await expectAccessible(applicant, `waiting for approval (${lang})`);
      await shot(applicant, `approval-pending-${lang}`);

      // Signing in before a decision shows the same screen.
      await applicant.getByRole("button", { name: w["auth.returnToSignIn"] }).click();
      await applicant.getByLabel(w["auth.account"]).fill("erin@localhost");
      await applicant.getByLabel(w["auth.password"], { exact: true }).fill("violet anchor erin 25");
      await applicant.getByRole("button", { name: w["auth.signIn"], exact: true }).click();
      await expect(applicant.getByRole("heading", { name: w["auth.pendingTitle"] })).toBeVisible();

      // The administrator approves the application in the app.
      const { page } = await signedIn(browser, server, alice, { locale });
      await page.getByRole("button", { name: w["nav.admin"], exact: true }).click();
      await page.getByRole("tab", { name: w["admin.tabApplications"] }).click();
      const pending = page.getByRole("list", { name: w["admin.tabApplications"] });
      await expect(pending.getByText(n.erin, { exact: true })).toBeVisible();
      await expectAccessible(page, `applications (${lang})`);
      await shot(page, `admin-applications-${lang}`);
      await pending.getByRole("button", { name: w["admin.approveNamed"].replace("{name}", n.erin) }).click();
      await expect(page.getByText(w["admin.noApplications"])).toBeVisible();

      // Now the applicant signs in.
      await applicant.getByRole("button", { name: w["auth.returnToSignIn"] }).click();
      await applicant.getByLabel(w["auth.account"]).fill("erin@localhost");
      await applicant.getByLabel(w["auth.password"], { exact: true }).fill("violet anchor erin 25");
      await applicant.getByRole("button", { name: w["auth.signIn"], exact: true }).click();
      await expect(applicant.getByRole("list", { name: w["list.label"] })).toBeVisible();
      await context.close();
    });
    test("an administrator builds departments in the app: adds, places people with titles, sets a manager, renames, reorders, deletes", async ({ browser, server }) => {
      const alice = await server.addUser("alice", { displayName: n.admin, admin: true });
      await server.addUser("bob", { displayName: n.bob });
      const { page } = await signedIn(browser, server, alice, { locale });
      const w = await words(page);
      await page.getByRole("button", { name: w["nav.admin"], exact: true }).click();
      await expect(page.getByRole("tab", { name: w["admin.tabDepartments"] })).toHaveAttribute("aria-selected", "true");

      const tree = page.getByRole("list", { name: w["admin.deptTree"] });
      const add = async (name: string) => {
        await page.getByLabel(w["admin.deptName"], { exact: true }).first().fill(name);
        await page.getByRole("button", { name: w["admin.addDepartment"] }).click();
        await expect(tree.getByRole("button", { name: new RegExp(`^${name}`) })).toHaveAttribute("aria-current", "true");
      };
      await add(n.eng);
      // A new department goes under the chosen one.
      await page.getByLabel(w["admin.deptName"], { exact: true }).first().fill(n.web);
      await page.getByRole("button", { name: w["admin.addDepartment"] }).click();
      await expect(page.getByRole("heading", { name: `${n.eng} / ${n.web}` })).toBeVisible();

      // Bob joins it with a title; he becomes its manager.
      await page.getByLabel(w["admin.person"], { exact: true }).fill(n.bob);
      await page.getByRole("list", { name: w["admin.matches"] }).getByRole("button", { name: new RegExp(n.bob) }).click();
      await page.getByLabel(w["admin.title_"], { exact: true }).fill(n.fe);
      await page.getByRole("button", { name: w["admin.addToDepartment"] }).click();
      await expect(page.getByLabel(w["admin.titleOf"].replace("{name}", n.bob))).toHaveValue(n.fe);
      await page.getByLabel(w["admin.deptManager"], { exact: true }).fill("bob@localhost");
      await page.getByRole("button", { name: w["admin.saveDepartment"] }).click();
      await expect(page.getByText(w["common.saved"], { exact: true }).first()).toBeVisible();
      await expectAccessible(page, `departments admin (${lang})`);
      await shot(page, `admin-departments-${lang}`);

      // Renamed and moved to the top, then placed before the first one.
      await page.getByLabel(w["admin.deptName"], { exact: true }).last().fill(n.design);
      await page.getByLabel(w["admin.deptParent"], { exact: true }).last().selectOption({ label: w["admin.topLevel"] });
      await page.getByRole("button", { name: w["admin.saveDepartment"] }).click();
      await expect(page.getByRole("heading", { name: n.design, exact: true })).toBeVisible();
      // Siblings of equal position sort by name: move it to the other end from where it is.
      const top = tree.getByRole("button");
      await expect(top).toHaveCount(2);
      const first = (await top.first().textContent())!.startsWith(n.design);
      await page.getByRole("button", { name: first ? w["admin.moveDown"] : w["admin.moveUp"] }).click();
      await expect(first ? top.last() : top.first()).toHaveAccessibleName(new RegExp(`^${n.design}`));

      // What members see follows: bob's card says where he sits.
      const member = await api(server, { account: "bob@localhost", name: "bob", password: "correct-horse-battery", displayName: n.bob });
      const placed = await member.request<{ departments: { path: { name: string }[]; title?: string; manager?: string }[] }>("GET", "/v1/org/people/bob@localhost");
      expect(placed.departments).toEqual([{ department: expect.any(Number), path: [{ id: expect.any(Number), name: n.design }], title: n.fe, manager: "bob@localhost" }]);

      // Deleting it takes its people out; the accounts stay.
      await page.getByRole("button", { name: w["admin.deleteDepartment"] }).click();
      await page.getByRole("alertdialog").getByRole("button", { name: w["admin.deleteDepartment"] }).click();
      await expect(tree.getByRole("button", { name: new RegExp(`^${n.design}`) })).toHaveCount(0);
      await expect(tree.getByRole("button", { name: new RegExp(`^${n.eng}`) })).toBeVisible();
    });
    test("the directory and the administration page pass axe-core in the dark theme, on a phone too", async ({ browser, server }) => {
      const alice = await server.addUser("alice", { displayName: n.admin, admin: true });
      const admin = await api(server, alice);
      const hq = await admin.request<{ id: number }>("POST", "/v1/admin/domains/localhost/departments", { name: n.hq });
      await admin.request("PUT", `/v1/admin/departments/${hq.id}/members/${alice.account}`, { title: n.cto });
      for (const viewport of [{ width: 1280, height: 800 }, { width: 390, height: 844 }]) {
        const { page, context } = await signedIn(browser, server, alice, { locale, colorScheme: "dark", viewport });
        const w = await words(page);
        await page.goto(`/directory/${hq.id}`);
        await expect(page.getByRole("heading", { name: n.hq, exact: true })).toBeVisible();
        await expect(page.getByRole("list", { name: w["dir.peopleIn"].replace("{name}", n.hq) })).toContainText(n.cto);
        await expectAccessible(page, `directory, dark, ${viewport.width} (${lang})`);
        for (const tab of ["registration", "ldap"] as const) {
          await page.goto(`/admin/${tab}`);
          await expect(page.getByRole("tab", { name: w[tab === "ldap" ? "admin.tabLdap" : "admin.tabRegistration"] })).toHaveAttribute("aria-selected", "true");
          await expect(page.getByRole("button", { name: w[tab === "ldap" ? "admin.ldapSave" : "admin.saveRegistration"] })).toBeVisible();
          await expectAccessible(page, `admin ${tab}, dark, ${viewport.width} (${lang})`);
        }
        if (viewport.width < 500) await shot(page, `admin-ldap-phone-dark-${lang}`);
        await context.close();
      }
    });
  });
}

test("a server administrator picks another domain on the administration page and opens its registration", async ({ browser, server }) => {
  const root = await server.addUser("root", { displayName: "Root", serverAdmin: true });
  const rootApi = await api(server, root);
  await rootApi.request("POST", "/v1/admin/domains", { name: "acme.example" });
  const { page } = await signedIn(browser, server, root);
  await page.getByRole("button", { name: "Admin", exact: true }).click();
  await page.getByRole("combobox", { name: "Domain" }).selectOption("acme.example");
  await page.getByRole("tab", { name: "Registration" }).click();
  await expect(page.getByRole("radio", { name: /^Closed/ })).toBeChecked();
  await page.getByRole("radio", { name: /^Open/ }).check();
  await page.getByRole("button", { name: "Save registration" }).click();
  await expect(page.getByText("Saved", { exact: true })).toBeVisible();
  const { domains } = await rootApi.request<{ domains: { name: string; registration: string }[] }>("GET", "/v1/admin/domains");
  expect(domains.map((d) => [d.name, d.registration])).toEqual([["acme.example", "open"], ["localhost", "closed"]]);
});
