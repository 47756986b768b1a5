// Administration → Logs, in Chinese and in English: a server administrator watches the server's
// log, and a failed login made meanwhile appears without a reload (the page waits at the server
// for new lines); filters narrow what shows; a domain's administrator has no Logs tab.

import { test, expect, expectAccessible, signedIn, words, LOCALES } from "../fixtures.ts";

/** One long wait at the server (20 s) and some room. */
const FOLLOWED_MS = 30_000;

for (const [lang, locale] of Object.entries(LOCALES)) {
  test(`in ${lang}: the log follows new lines live and filters them`, async ({ browser, server }) => {
    const root = await server.addUser("root", { displayName: "Root", serverAdmin: true });
    const { page } = await signedIn(browser, server, root, { locale });
    const w = await words(page);
    await page.goto("/admin/logs");
    await expect(page.getByRole("tab", { name: w["admin.tabLogs"] })).toHaveAttribute("aria-selected", "true");
    await expect(page.getByRole("heading", { name: w["admin.logsTitle"], level: 2 })).toBeVisible();
    await page.getByLabel(w["admin.logsText"]).fill("mallory");
    await expect(page.getByTestId("logs-empty")).toBeVisible();

    // A failed login, from outside the page: its line comes in while the page waits.
    const failed = await fetch(`${server.url}/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ account: "mallory@localhost", password: "not the password" }),
    });
    expect(failed.status).toBe(401);
    const line = page.getByTestId("log-line").filter({ hasText: "mallory@localhost" });
    await expect(line).toHaveCount(1, { timeout: FOLLOWED_MS });
    await expect(line.first()).toHaveAttribute("data-level", "INFO");
    await expect(line.first()).toContainText("magpie::security");
    await expectAccessible(page, `logs-${lang}`);

    // At warn and above, it is not there.
    await page.getByLabel(w["admin.logsLevel"]).selectOption("warn");
    await expect(page.getByTestId("logs-empty")).toBeVisible();
  });
}

test("a domain's administrator has no Logs tab", async ({ browser, server }) => {
  const admin = await server.addUser("boss", { displayName: "Boss", admin: true });
  const { page } = await signedIn(browser, server, admin, { locale: LOCALES.en });
  const w = await words(page);
  await page.goto("/admin/departments");
  await expect(page.getByRole("tab", { name: w["admin.tabDepartments"] })).toBeVisible();
  await expect(page.getByRole("tab", { name: w["admin.tabLogs"] })).toHaveCount(0);
});
