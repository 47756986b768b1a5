// What arrives by mail (protocol §3 "Email codes and password resets"), with a real SMTP server
// (scripts/services' aiosmtpd) and the mail read back from its Maildir, in English and Chinese:
// registering with an emailed code where the domain verifies addresses, resetting a forgotten
// password, and a member's invitation link that a newcomer registers with.

import { test, expect, api, expectAccessible, newContext, signedIn, words, LOCALES } from "../fixtures.ts";
import { codeOf, mailServerEnv, mailTo, requireMailServer, uniqueAddress } from "../mail.ts";

test.use({ serverEnv: mailServerEnv() });
test.beforeEach(() => requireMailServer());

/** A code that is not `code`: the same six digits, the last one changed. */
const wrong = (code: string) => code.slice(0, 5) + String((Number(code[5]) + 1) % 10);

for (const [lang, locale] of Object.entries(LOCALES) as ["en" | "zh", string][]) {
  test(`registering with an emailed code, a wrong code first (${lang})`, async ({ browser, server }) => {
    const alice = await server.addUser("alice", { admin: true });
    await (await api(server, alice)).request("PATCH", "/v1/admin/domains/localhost", {
      registration: "open", email_verification: true, email_domains: ["acme.test"],
    });
    const email = uniqueAddress("gina", "acme.test");

    const context = await newContext(browser, server, { locale });
    const page = await context.newPage();
    await page.goto("/");
    const w = await words(page);
    await page.getByRole("button", { name: w["auth.createAccount"] }).click();
    await page.getByLabel(w["auth.account"]).fill("gina@localhost");
    // The form asks the server what the domain needs, and then asks for the address.
    await page.getByLabel(w["auth.email"], { exact: true }).fill(email);
    await page.getByRole("button", { name: w["auth.sendCode"] }).click();
    await expect(page.getByRole("status")).toHaveText(w["auth.codeSent"].replace("{email}", email));
    const mail = await mailTo(email);
    const code = codeOf(mail);
    // The mail is in the page's language, and says what the code is for.
    expect(mail.text).toContain(code);
    expect(mail.subject).toContain(lang === "zh" ? "注册的验证码" : code);

    await page.getByLabel(w["auth.password"], { exact: true }).fill("plum lantern orbit gina");
    await page.getByLabel(w["auth.emailCode"]).fill(wrong(code));
    await page.getByRole("button", { name: w["auth.register"], exact: true }).click();
    await expect(page.getByRole("alert")).toHaveText(w["auth.badEmailCode"]);

    await page.getByLabel(w["auth.emailCode"]).fill(code);
    await page.getByRole("button", { name: w["auth.register"], exact: true }).click();
    await expect(page.getByRole("list", { name: w["list.label"] })).toBeVisible();
    // The address is the account's email now.
    const gina = await api(server, { account: "gina@localhost", name: "gina", password: "plum lantern orbit gina", displayName: "gina" });
    expect((await gina.request<{ email?: string }>("GET", "/v1/me")).email).toBe(email);
    await context.close();
  });

  test(`resetting a forgotten password with a mailed code (${lang})`, async ({ browser, server }) => {
    const bob = await server.addUser("bob", { displayName: "Bob" });
    const email = uniqueAddress("bob", "example.test");
    await (await api(server, bob)).request("PATCH", "/v1/me", { email });

    const context = await newContext(browser, server, { locale });
    const page = await context.newPage();
    await page.goto("/");
    const w = await words(page);
    await page.getByRole("button", { name: w["auth.forgot"] }).click();
    await page.getByLabel(w["auth.account"]).fill(bob.account);
    await page.getByRole("button", { name: w["auth.sendResetCode"] }).click();
    await expect(page.getByRole("status")).toHaveText(w["auth.resetSent"].replace("{account}", bob.account));
    const mail = await mailTo(email);
    expect(mail.subject).toContain(lang === "zh" ? "重置密码的验证码" : codeOf(mail));

    const password = "violet anchor bob 77";
    await page.getByLabel(w["auth.resetCode"]).fill(codeOf(mail));
    await page.getByLabel(w["settings.newPassword"], { exact: true }).fill(password);
    await page.getByLabel(w["settings.confirmPassword"], { exact: true }).fill(password);
    await page.getByRole("button", { name: w["auth.setNewPassword"] }).click();
    await expect(page.getByRole("status")).toHaveText(w["auth.resetDone"]);

    // The old password no longer works; the new one does.
    await page.getByLabel(w["auth.account"]).fill(bob.account);
    await page.getByLabel(w["auth.password"], { exact: true }).fill(bob.password);
    await page.getByRole("button", { name: w["auth.signIn"] }).click();
    await expect(page.getByRole("alert")).toHaveText(w["auth.invalidCredentials"]);
    await page.getByLabel(w["auth.password"], { exact: true }).fill(password);
    await page.getByRole("button", { name: w["auth.signIn"] }).click();
    await expect(page.getByRole("list", { name: w["list.label"] })).toBeVisible();
    await context.close();
  });
}

test("a member invites a colleague from Settings, who registers with the link (en, then zh)", async ({ browser, server }) => {
  const alice = await server.addUser("alice", { admin: true });
  const bob = await server.addUser("bob", { displayName: "Bob" });
  await (await api(server, alice)).request("PATCH", "/v1/admin/domains/localhost", { registration: "invitation", members_invite: true });

  const { context, page } = await signedIn(browser, server, bob);
  const w = await words(page);
  await page.getByRole("button", { name: w["nav.settings"], exact: true }).click();
  const section = page.getByRole("region", { name: w["invite.title"] });
  await section.getByLabel(w["admin.uses"]).fill("2");
  await section.getByLabel(w["admin.note"]).fill("for Gina");
  await section.getByRole("button", { name: w["invite.create"] }).click();
  const link = await section.getByTestId("invitation-link").textContent();
  expect(link).toMatch(/\/invite\/localhost\/inv_/);
  const mine = section.getByRole("list", { name: w["invite.mine"].replace("{count}", "1") });
  await expect(mine.getByRole("listitem")).toContainText(w["admin.usesOf"].replace("{uses}", "0").replace("{max}", "2"));
  await expectAccessible(page, "invite colleagues (en)");

  // A newcomer, in Chinese, opens the link and registers with a bare name.
  const guestContext = await newContext(browser, server, { locale: LOCALES.zh });
  const guest = await guestContext.newPage();
  await guest.goto(new URL(link!).pathname);
  const z = await words(guest);
  await expect(guest.getByRole("heading", { name: z["auth.inviteTitle"] })).toBeVisible();
  await guest.getByLabel(z["auth.account"]).fill("gina");
  await guest.getByLabel(z["auth.password"], { exact: true }).fill("plum lantern orbit gina");
  await guest.getByRole("button", { name: z["auth.register"], exact: true }).click();
  await expect(guest.getByRole("list", { name: z["list.label"] })).toBeVisible();

  // Bob sees the use; then he revokes the invitation.
  await page.reload();
  await expect(mine.getByRole("listitem")).toContainText(w["admin.usesOf"].replace("{uses}", "1").replace("{max}", "2"));
  await mine.getByRole("button", { name: w["admin.revokeNamed"].replace("{name}", "for Gina") }).click();
  await page.getByRole("alertdialog").getByRole("button", { name: w["admin.revokeInvitation"] }).click();
  await expect(section.getByText(w["invite.none"])).toBeVisible();
  await guestContext.close();
  await context.close();
});
