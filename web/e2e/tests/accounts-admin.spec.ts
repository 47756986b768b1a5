// Accounts (Administration → Accounts), in Chinese and in English: a server administrator imports
// 200 accounts into another domain from a CSV file, where two bad rows are told by their line
// numbers and nothing is made until they are fixed, and a password the import made signs in;
// disabling an account closes its open socket at once; a domain's administrator sees and reaches
// their own domain's accounts only; and an administrator makes an account, edits a display name
// and a role, ends a session, and resets a password that is shown once.

import { readFileSync, writeFileSync } from "node:fs";
import type { Locator, Page } from "@playwright/test";
import type { User } from "@magpie/testkit";
import { test, expect, api, expectAccessible, shot, signIn, signedIn, words, LOCALES, VIEWPORTS } from "../fixtures.ts";

const NAMES = {
  en: { root: "Root", admin: "Alice", bob: "Bob", robert: "Robert Brown", boss: "Boss", carol: "Carol", dave: "Dave", person: "Person" },
  zh: { root: "超级管理员", admin: "李娜", bob: "王伟", robert: "王伟强", boss: "赵总", carol: "陈静", dave: "刘洋", person: "员工" },
} as const;

/** A password strong enough for the server's check. */
const STRONG = "plum-harbour-violin-42";
const OTHER = "acme.example";

const fill = (template: string, params: Record<string, string | number>) =>
  template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));

const accountRow = (page: Page, account: string): Locator => page.locator(`[data-testid="account-row"][data-account="${account}"]`);
const accountRows = (page: Page): Locator => page.getByTestId("account-row");

async function openAccounts(page: Page): Promise<void> {
  const w = await words(page);
  await page.getByRole("button", { name: w["nav.admin"], exact: true }).click();
  await page.getByRole("tab", { name: w["admin.tabAccounts"] }).click();
  await expect(page.getByRole("tab", { name: w["admin.tabAccounts"] })).toHaveAttribute("aria-selected", "true");
  await expect(page.getByRole("heading", { name: w["admin.accTitle"], level: 2 })).toBeVisible();
  expect(new URL(page.url()).pathname).toBe("/admin/accounts");
}

/** Types a search. The list asks once typing pauses: what follows waits for its answer (each
 * expectation names what only that answer shows). */
async function search(page: Page, q: string): Promise<void> {
  const w = await words(page);
  await page.getByRole("searchbox", { name: w["admin.accSearch"] }).fill(q);
}

/** The import sheet: 200 accounts, its columns in another order than the template's, a byte
 * order mark, display names with commas and quotes, some rows with the domain in the address,
 * a role in capitals, some with their own password. With `bad`, row 50 (line 51: the header is
 * line 1) has an account name with spaces and row 120 (line 121) a password too short. */
function sheet(person: string, bad: boolean): string {
  const quoted = (s: string) => `"${s.replace(/"/g, '""')}"`;
  const lines = ["\uFEFFdisplay_name,password,account,role"];
  for (let i = 1; i <= 200; i++) {
    const name = `user${String(i).padStart(3, "0")}`;
    const display = i % 2 ? quoted(`${person} ${i}, "${name}"`) : `${person} ${i}`;
    let password = i % 10 === 0 ? STRONG : "";
    let account = i % 3 === 0 ? `${name}@${OTHER}` : name;
    const role = i === 7 ? "domain_admin" : i % 5 === 0 ? "MEMBER" : "";
    if (bad && i === 50) account = "bad name 50";
    if (bad && i === 120) password = "short";
    lines.push([display, password, account, role].join(","));
  }
  return lines.join("\r\n") + "\r\n";
}

for (const [lang, locale] of Object.entries(LOCALES) as [keyof typeof NAMES, string][]) {
  const n = NAMES[lang];

  test.describe(`in ${lang}`, () => {
    test("a server administrator imports 200 accounts from CSV: bad rows by line and nothing made, then all made, and a made password signs in", async ({ browser, server }, testInfo) => {
      const root = await server.addUser("root", { displayName: n.root, serverAdmin: true });
      const rootApi = await api(server, root);
      // The page has no domains' console yet: the domain is made over the API.
      await rootApi.request("POST", "/v1/admin/domains", { name: OTHER });

      const { page } = await signedIn(browser, server, root, { locale });
      const w = await words(page);
      await openAccounts(page);
      // A server administrator picks the domain.
      await page.getByRole("combobox", { name: w["admin.domain"] }).selectOption(OTHER);
      await expect(page.getByTestId("accounts-empty")).toHaveText(w["admin.accNone"]);

      await page.getByRole("button", { name: w["admin.accImport"] }).click();
      const importSection = page.locator('section[aria-labelledby="adm-acc-import"]');
      await expect(importSection.getByRole("heading", { name: w["admin.accImportTitle"] })).toBeVisible();
      const badFile = testInfo.outputPath("accounts.csv");
      writeFileSync(badFile, sheet(n.person, true));
      await importSection.getByLabel(w["admin.accImportFile"]).setInputFiles(badFile);

      // The dry run ran by itself: two bad rows, each by its line, nothing to import.
      const summary = importSection.getByTestId("import-summary");
      await expect(summary).toHaveText(fill(w["admin.accImportBad"], { source: "accounts.csv", bad: 2, count: 200 }));
      const problems = importSection.getByRole("list", { name: w["admin.accImportProblems"] }).getByRole("listitem");
      await expect(problems).toHaveCount(2);
      const problem = (field: string, text: string) => fill(w["admin.accFieldProblem"], { field, problem: text });
      await expect(problems.nth(0)).toHaveText(fill(w["admin.accImportLine"], { line: 51, problems: problem(w["admin.accFieldAccount"], w["admin.accProblemBadName"]) }));
      // The server's rule, 12 characters at least (its default), in the page's words.
      await expect(problems.nth(1)).toHaveText(fill(w["admin.accImportLine"], {
        line: 121, problems: problem(w["admin.accPassword"], fill(w["admin.accProblemPasswordShort"], { min: 12 })),
      }));
      // The table shows the bad rows only, each marked with its error, until asked for all.
      const rows = importSection.getByTestId("import-row");
      await expect(rows).toHaveCount(2);
      await expect(importSection.locator('[data-testid="import-row"][data-line="51"]')).toHaveAttribute("data-ok", "false");
      await expect(importSection.locator('[data-testid="import-row"][data-line="51"] [data-testid="import-row-check"]')).toContainText(w["admin.accProblemBadName"]);
      await expect(importSection.locator('[data-testid="import-row"][data-line="121"]')).toHaveAttribute("data-ok", "false");
      const importButton = importSection.getByRole("button", { name: fill(w["admin.accImportCount"], { count: 200 }) });
      await expect(importButton).toBeDisabled();
      await importSection.getByLabel(w["admin.accImportOnlyBad"]).uncheck();
      await expect(rows).toHaveCount(200);
      // Quoted fields with commas and quotes, the domain in an address, a role in capitals.
      const line4 = importSection.locator('[data-testid="import-row"][data-line="4"]');
      await expect(line4.locator("td").nth(1)).toHaveText(`user003@${OTHER}`);
      const line2 = importSection.locator('[data-testid="import-row"][data-line="2"]');
      await expect(line2.locator("td").nth(2)).toHaveText(`${n.person} 1, "user001"`);
      await expect(importSection.locator('[data-testid="import-row"][data-line="6"] td').nth(3)).toHaveText(w["admin.accRole.member"]);
      await expect(importSection.locator('[data-testid="import-row"][data-line="8"] td').nth(3)).toHaveText(w["admin.accRole.domain_admin"]);
      await expect(line2).toHaveAttribute("data-ok", "true");
      await expectAccessible(page, `the import's dry run with bad rows (${lang})`);
      await shot(page, `admin-accounts-import-bad-${lang}`);

      // Nothing was made: neither the API nor the search finds any of them.
      expect((await rootApi.request<{ accounts: unknown[] }>("GET", `/v1/admin/accounts?domain=${OTHER}`)).accounts).toEqual([]);
      await search(page, "user");
      await expect(page.getByTestId("accounts-empty")).toHaveText(fill(w["admin.accNoMatch"], { q: "user" }));

      // Fixed, and chosen again: every row is good, and the import makes them all.
      writeFileSync(badFile, sheet(n.person, false));
      await importSection.getByLabel(w["admin.accImportFile"]).setInputFiles(badFile);
      await expect(summary).toHaveText(fill(w["admin.accImportClean"], { source: "accounts.csv", count: 200 }));
      await expect(importSection.getByTestId("import-problems")).toHaveCount(0);
      await expect(importButton).toBeEnabled();
      await importButton.click();
      const made = importSection.getByTestId("import-made");
      await expect(made.getByRole("heading", { name: fill(w["admin.accImported"], { count: 200 }) })).toBeVisible();
      await expect(made.getByTestId("imported-account")).toHaveCount(200);
      // A password for each row that had none (every tenth had its own).
      await expect(made.getByTestId("imported-password")).toHaveCount(180);
      await expect(made.locator(`[data-testid="imported-account"][data-account="user010@${OTHER}"]`)).toContainText(w["admin.accImportPasswordFromFile"]);
      const password1 = (await made.locator(`[data-testid="imported-account"][data-account="user001@${OTHER}"] [data-testid="imported-password"]`).textContent())!;
      expect(password1).toMatch(/^[A-Za-z2-9]{16}$/);
      await expectAccessible(page, `the accounts an import made (${lang})`);

      // The passwords as CSV: account,password, the made ones and those the file gave.
      const download = page.waitForEvent("download");
      await made.getByRole("button", { name: w["admin.accImportDownload"] }).click();
      const file = await download;
      expect(file.suggestedFilename()).toBe(`magpie-passwords-${OTHER}.csv`);
      const csv = readFileSync((await file.path())!, "utf8").trimEnd().split("\r\n");
      expect(csv).toHaveLength(201);
      expect(csv[0]).toBe("account,password");
      expect(csv[1]).toBe(`user001@${OTHER},${password1}`);
      expect(csv[10]).toBe(`user010@${OTHER},${STRONG}`);

      // The list (still searching for "user") has them now, by login name, 50 at a time.
      await expect(accountRows(page)).toHaveCount(50);
      await expect(accountRows(page).first()).toHaveAttribute("data-account", `user001@${OTHER}`);
      await expect(accountRow(page, `user007@${OTHER}`).getByTestId("account-role")).toHaveText(w["admin.accRole.domain_admin"]);
      await expect(accountRow(page, `user002@${OTHER}`).getByTestId("account-name")).toHaveText(`${n.person} 2`);
      await page.getByRole("button", { name: w["admin.accMore"] }).click();
      await expect(accountRows(page)).toHaveCount(100);
      await expect(accountRows(page).nth(50)).toHaveAttribute("data-account", `user051@${OTHER}`);
      await search(page, "USER19");
      await expect(accountRows(page)).toHaveCount(10);
      await expect(page.getByRole("button", { name: w["admin.accMore"] })).toHaveCount(0);

      // A made password signs in, and a password the file gave too.
      const made1: User = { account: `user001@${OTHER}`, name: "user001", password: password1, displayName: `${n.person} 1` };
      const { context } = await signedIn(browser, server, made1, { locale });
      await context.close();
      await api(server, { account: `user010@${OTHER}`, name: "user010", password: STRONG, displayName: `${n.person} 10` });
    });

    test("disabling an account closes its open socket: the person is signed out at once", async ({ browser, server }) => {
      const alice = await server.addUser("alice", { displayName: n.admin, admin: true });
      const bob = await server.addUser("bob", { displayName: n.bob });
      const bobs = await signedIn(browser, server, bob, { locale });
      const wb = await words(bobs.page);
      const { page } = await signedIn(browser, server, alice, { locale });
      const w = await words(page);
      await openAccounts(page);

      const row = accountRow(page, bob.account);
      await expect(row.getByTestId("account-disabled")).toHaveCount(0);
      await row.getByRole("button", { name: fill(w["admin.accDisableNamed"], { name: n.bob }) }).click();
      const confirm = page.getByRole("alertdialog", { name: w["admin.accDisable"] });
      await expect(confirm).toContainText(bob.account);
      await confirm.getByRole("button", { name: w["admin.accDisable"] }).click();
      await expect(row.getByTestId("account-disabled")).toHaveText(w["admin.accDisabled"]);

      // Bob's open page did nothing: its socket was closed, and it says why.
      await expect(bobs.page.getByRole("button", { name: wb["auth.signIn"] })).toBeVisible();
      await expect(bobs.page.getByText(wb["auth.accountDisabled"])).toBeVisible();

      // Enabled again, he signs in again.
      await row.getByRole("button", { name: fill(w["admin.accEnableNamed"], { name: n.bob }) }).click();
      await page.getByRole("alertdialog").getByRole("button", { name: w["admin.accEnable"] }).click();
      await expect(row.getByTestId("account-disabled")).toHaveCount(0);
      await signIn(bobs.page, bob);
    });

    test("a domain's administrator sees and reaches only their own domain's accounts", async ({ browser, server }) => {
      const root = await server.addUser("root", { displayName: n.root, serverAdmin: true });
      const rootApi = await api(server, root);
      await rootApi.request("POST", "/v1/admin/domains", { name: OTHER });
      const boss: User = { account: `boss@${OTHER}`, name: "boss", password: STRONG, displayName: n.boss };
      await rootApi.request("POST", "/v1/admin/accounts", { account: boss.account, password: STRONG, display_name: n.boss, role: "domain_admin" });
      await rootApi.request("POST", "/v1/admin/accounts", { account: `carol@${OTHER}`, password: STRONG, display_name: n.carol });
      const alice = await server.addUser("alice", { displayName: n.admin, admin: true });
      await server.addUser("bob", { displayName: n.bob });

      const { page, context } = await signedIn(browser, server, alice, { locale });
      const w = await words(page);
      await openAccounts(page);
      await expect(accountRow(page, "bob@localhost")).toBeVisible();
      await expect(accountRows(page)).toHaveCount(3);
      await expect(accountRow(page, `carol@${OTHER}`)).toHaveCount(0);
      // Her own domain only: no domain to pick.
      await expect(page.getByRole("combobox", { name: w["admin.domain"] })).toHaveCount(0);
      await expect(page.locator(".admin-domain")).toHaveText("localhost");
      // Her own row: no disabling herself; the server administrator's: out of her reach.
      const own = accountRow(page, alice.account);
      await expect(own.getByRole("button", { name: fill(w["admin.accEditNamed"], { name: n.admin }) })).toBeVisible();
      await expect(own.getByRole("button", { name: fill(w["admin.accDisableNamed"], { name: n.admin }) })).toHaveCount(0);
      await expect(own.getByRole("button", { name: fill(w["admin.accResetPasswordNamed"], { name: n.admin }) })).toHaveCount(0);
      const rootRow = accountRow(page, root.account);
      await expect(rootRow.getByTestId("account-role")).toHaveText(w["admin.accRole.server_admin"]);
      await expect(rootRow.getByRole("button")).toHaveCount(0);
      await expect(rootRow).toContainText(w["admin.accOutOfReach"]);
      await search(page, "carol");
      await expect(page.getByTestId("accounts-empty")).toHaveText(fill(w["admin.accNoMatch"], { q: "carol" }));
      await expectAccessible(page, `the accounts of a domain's administrator (${lang})`);
      await context.close();

      // Nor does the server answer for the other domain: it does not exist, as far as she knows.
      const aliceApi = await api(server, alice);
      await expect(aliceApi.request("GET", `/v1/admin/accounts?domain=${OTHER}`)).rejects.toThrow(/: 404 .*not_found/);
      await expect(aliceApi.request("GET", `/v1/admin/accounts/carol@${OTHER}`)).rejects.toThrow(/: 404 .*not_found/);
      await expect(aliceApi.request("POST", `/v1/admin/accounts/carol@${OTHER}/disable`)).rejects.toThrow(/: 404 .*not_found/);
      await expect(aliceApi.request("POST", "/v1/admin/accounts/import", { domain: OTHER, rows: [{ account: "eve" }], dry_run: true })).rejects.toThrow(/: 404 .*not_found/);

      // The other domain's administrator, the other way round.
      const bosses = await signedIn(browser, server, boss, { locale });
      await openAccounts(bosses.page);
      await expect(bosses.page.locator(".admin-domain")).toHaveText(OTHER);
      await expect(accountRow(bosses.page, `carol@${OTHER}`)).toBeVisible();
      await expect(accountRows(bosses.page)).toHaveCount(2);
      await expect(accountRow(bosses.page, "bob@localhost")).toHaveCount(0);
      await expect(bosses.page.getByRole("combobox", { name: w["admin.domain"] })).toHaveCount(0);
      const bossApi = await api(server, boss);
      await expect(bossApi.request("GET", "/v1/admin/accounts?domain=localhost")).rejects.toThrow(/: 404 .*not_found/);
    });

    test("an administrator makes an account, edits a name and a role, ends a session, and resets a password shown once", async ({ browser, server }) => {
      const alice = await server.addUser("alice", { displayName: n.admin, admin: true });
      const bob = await server.addUser("bob", { displayName: n.bob });
      const bobs = await signedIn(browser, server, bob, { locale });
      const wb = await words(bobs.page);
      const { page } = await signedIn(browser, server, alice, { locale });
      const w = await words(page);
      await openAccounts(page);

      // A new account: the server's refusals on their fields, then made.
      await page.getByRole("button", { name: w["admin.accNew"] }).click();
      const form = page.locator('section[aria-labelledby="adm-acc-new"]');
      const login = form.getByLabel(w["admin.accLoginName"]);
      const password = form.getByLabel(w["admin.accPassword"], { exact: true });
      await login.fill("bob");
      await form.getByLabel(w["admin.accDisplayNameOptional"]).fill(n.dave);
      await password.fill(STRONG);
      await form.getByRole("button", { name: w["admin.accCreate"] }).click();
      await expect(login).toHaveAttribute("aria-invalid", "true");
      await expect(form.locator("#acc-new-name-error")).toHaveText(w["admin.accProblemExists"]);
      await login.fill("dave");
      await password.fill("short");
      await form.getByRole("button", { name: w["admin.accCreate"] }).click();
      await expect(password).toHaveAttribute("aria-invalid", "true");
      await expect(form.locator("#acc-new-password-error")).toContainText(/\d/);
      await expect(login).toHaveAttribute("aria-invalid", "false");
      // Server administrator is above a domain's administrator: not offered.
      await expect(form.getByLabel(w["admin.accRole"]).locator("option")).toHaveText([w["admin.accRole.member"], w["admin.accRole.domain_admin"]]);
      await form.getByRole("button", { name: w["admin.accMakePassword"] }).click();
      await expect(password).toHaveAttribute("type", "text");
      await expect(password).toHaveValue(/^[A-Za-z2-9]{16}$/);
      await expectAccessible(page, `the new-account form with an error (${lang})`);
      await form.getByRole("button", { name: w["admin.accCreate"] }).click();
      await expect(accountRow(page, "dave@localhost").getByTestId("account-name")).toHaveText(n.dave);
      await expect(login).toHaveValue("");

      // Bob's display name and role.
      const row = accountRow(page, bob.account);
      await row.getByRole("button", { name: fill(w["admin.accEditNamed"], { name: n.bob }) }).click();
      const edit = page.getByRole("dialog", { name: fill(w["admin.accEditTitle"], { name: n.bob }) });
      await expect(edit.getByLabel(w["admin.accRole"]).locator("option")).toHaveText([w["admin.accRole.member"], w["admin.accRole.domain_admin"]]);
      await edit.getByLabel(w["admin.accDisplayName"]).fill(n.robert);
      await edit.getByLabel(w["admin.accRole"]).selectOption("domain_admin");
      await expectAccessible(page, `the account editor (${lang})`);
      await edit.getByRole("button", { name: w["common.save"] }).click();
      await expect(edit).toHaveCount(0);
      await expect(row.getByTestId("account-name")).toHaveText(n.robert);
      await expect(row.getByTestId("account-role")).toHaveText(w["admin.accRole.domain_admin"]);
      const bobNow = await (await api(server, alice)).request<{ display_name: string; role: string }>("GET", `/v1/admin/accounts/${bob.account}`);
      expect(bobNow).toMatchObject({ display_name: n.robert, role: "domain_admin" });

      // Her own role is not hers to change.
      await accountRow(page, alice.account).getByRole("button", { name: fill(w["admin.accEditNamed"], { name: n.admin }) }).click();
      const own = page.getByRole("dialog", { name: fill(w["admin.accEditTitle"], { name: n.admin }) });
      await expect(own.getByLabel(w["admin.accRole"])).toBeDisabled();
      await expect(own).toContainText(w["admin.accOwnRole"]);
      await own.getByRole("button", { name: w["common.cancel"] }).click();
      await expect(own).toHaveCount(0);

      // Bob's sessions: his browser, from this machine; ended, his page is signed out.
      await row.getByRole("button", { name: fill(w["admin.accSessionsNamed"], { name: n.robert }) }).click();
      const sessions = page.getByRole("dialog", { name: fill(w["admin.accSessionsTitle"], { name: n.robert }) });
      const session = sessions.getByTestId("account-session");
      await expect(session).toHaveCount(1);
      await expect(session.getByTestId("account-session-detail")).toContainText("127.0.0.1");
      await expectAccessible(page, `an account's sessions (${lang})`);
      await session.getByRole("button", { name: w["admin.accEndSession"] }).click();
      await page.getByRole("alertdialog").getByRole("button", { name: w["admin.accEndSession"] }).click();
      await expect(sessions.getByTestId("sessions-empty")).toHaveText(w["admin.accNoSessions"]);
      await expect(bobs.page.getByText(wb["auth.signedOutRevoked"])).toBeVisible();
      await sessions.getByRole("button", { name: w["common.close"] }).last().click();
      await expect(sessions).toHaveCount(0);
      await signIn(bobs.page, bob);

      // A password reset: asked first, then the new password once, and Bob is signed out.
      await row.getByRole("button", { name: fill(w["admin.accResetPasswordNamed"], { name: n.robert }) }).click();
      await page.getByRole("alertdialog").getByRole("button", { name: w["admin.accResetPassword"] }).click();
      const shown = page.getByRole("dialog", { name: fill(w["admin.accMadePasswordTitle"], { name: n.robert }) });
      await expect(shown).toContainText(w["admin.accPasswordOnce"]);
      const made = (await shown.getByTestId("made-password").textContent())!;
      expect(made).toMatch(/^[A-Za-z2-9]{16}$/);
      await expect(shown.getByRole("button", { name: w["admin.accCopyPassword"] })).toBeVisible();
      await expectAccessible(page, `a password shown once (${lang})`);
      await shot(page, `admin-accounts-password-${lang}`);
      await shown.getByRole("button", { name: w["admin.done"] }).click();
      await expect(shown).toHaveCount(0);
      await expect(page.getByText(made)).toHaveCount(0);
      await expect(bobs.page.getByText(wb["auth.signedOutPassword"])).toBeVisible();
      await expect(api(server, bob)).rejects.toThrow(/: 401 /);
      await signIn(bobs.page, { ...bob, password: made });
      await expectAccessible(page, `the accounts (${lang})`);
      await shot(page, `admin-accounts-${lang}`);
    });
  });
}

test("on a phone, in the dark: the accounts, a pasted sheet with a role there is not, and an account's sessions", async ({ browser, server }) => {
  const alice = await server.addUser("alice", { displayName: "Alice", admin: true });
  const bob = await server.addUser("bob", { displayName: "Bob" });
  await signedIn(browser, server, bob);
  const { page } = await signedIn(browser, server, alice, { colorScheme: "dark", viewport: VIEWPORTS.phone });
  const w = await words(page);
  await page.goto("/admin/accounts");
  await expect(accountRow(page, bob.account).getByTestId("account-role")).toHaveText(w["admin.accRole.member"]);
  await expectAccessible(page, "the accounts on a phone, dark");
  await shot(page, "admin-accounts-phone-dark");

  // Pasted text; the role the app does not know is its own finding, on its line.
  await page.getByRole("button", { name: w["admin.accImport"] }).click();
  const importSection = page.locator('section[aria-labelledby="adm-acc-import"]');
  await importSection.getByLabel(w["admin.accImportPaste"]).fill("account,role\nerin,boss\nfrank,member\n");
  await importSection.getByRole("button", { name: w["admin.accImportReadPasted"] }).click();
  await expect(importSection.getByTestId("import-summary")).toHaveText(fill(w["admin.accImportBad"], { source: w["admin.accImportPasted"], bad: 1, count: 2 }));
  await expect(importSection.getByTestId("import-problems").getByRole("listitem")).toHaveText([
    fill(w["admin.accImportLine"], { line: 2, problems: fill(w["admin.accFieldProblem"], { field: w["admin.accRole"], problem: fill(w["admin.accProblemBadRole"], { value: "boss" }) }) }),
  ]);
  await expect(importSection.getByRole("button", { name: fill(w["admin.accImportCount"], { count: 2 }) })).toBeDisabled();
  await expectAccessible(page, "an import's problems on a phone, dark");
  await importSection.getByTestId("import-problems").scrollIntoViewIfNeeded();
  await shot(page, "admin-accounts-import-phone-dark");

  await accountRow(page, bob.account).getByRole("button", { name: fill(w["admin.accSessionsNamed"], { name: "Bob" }) }).click();
  const sessions = page.getByRole("dialog", { name: fill(w["admin.accSessionsTitle"], { name: "Bob" }) });
  await expect(sessions.getByTestId("account-session")).toHaveCount(1);
  await expectAccessible(page, "an account's sessions on a phone, dark");
});
