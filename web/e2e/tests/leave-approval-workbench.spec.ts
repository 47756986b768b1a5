// The example OA app (examples/leave-approval, issue 18) as a workbench app: its H5 form, in
// Magpie's workbench, in Chinese and in English. The domain's administrator sets the app up as its
// README says: its bot (a token, a subscription to `card_action`), Mark as Ann's manager, and the
// app installed in the workbench (`POST /v1/admin/domains/{domain}/apps`, its page and its OAuth
// redirect URI), whose client ID and secret the app is given.
//
// Inside the workbench: Ann opens the workbench and the app; its page, in Magpie's frame, signs her
// in with OAuth 2.0 and PKCE through the bridge (`magpie.authorize`): Magpie asks her consent the
// first time and she allows it. She fills the form (a number of days out of bounds is refused with
// the field named, then the right one) and submits: the page says it went to Mark and lists her
// request as pending. Mark finds the approval card in his chat with the bot and approves; Ann is
// told by the bot, and the app's page, opened again, lists her request as approved.
//
// Outside it: the app's page opened in a tab of its own sends Ann to Magpie's consent page, and
// back, signed in; she applies from there. The app believes only its session (a request without
// it, or from another site with her cookie, is refused). Mark denies the app and is told so by
// it; he allows it after all, and the form says he has no manager to ask.
//
// Deterministic: the tests wait on the pages and on the app's state, never on the clock.

import type { FrameLocator, Page } from "@playwright/test";
import type { TestServer } from "@magpie/testkit";
import { startLeaveApp, type LeaveApp } from "../../../examples/leave-approval/src/app.ts";
import { fill } from "../../app/src/i18n/index.ts";
import { test, expect, api, conversation, expectAccessible, shot, signedIn, words, LOCALES } from "../fixtures.ts";
import type { en } from "../../app/src/i18n/en.ts";

const NAMES = {
  en: { admin: "Alice", ann: "Ann", mark: "Mark", bot: "Leave", app: "Time off" },
  zh: { admin: "李娜", ann: "王芳", mark: "张伟", bot: "请假助手", app: "请假审批" },
} as const;
type Names = (typeof NAMES)[keyof typeof NAMES];

/** The app's words (examples/leave-approval/public), the same in every language. */
const APP = {
  from: "开始日期 Start date",
  days: "天数 Days",
  reason: "事由 Reason",
  submit: "提交 Submit",
  pending: "待审批 Pending",
  approved: "已同意 Approved",
} as const;
const CARD_TITLE = "请假申请 Leave request";

test.use({ serverEnv: { MAGPIE_WEBHOOKS_PRIVATE_RANGES_ALLOWED: "127.0.0.1" } });

/** What the administrator set up, and the running app. */
interface SetUp {
  app: LeaveApp;
  ann: Awaited<ReturnType<TestServer["addUser"]>>;
  mark: Awaited<ReturnType<TestServer["addUser"]>>;
}

/** The administrator sets the app up, as its README says; `started` has the app as soon as it runs
 * (for the test to close it whatever happens next). */
async function setUp(server: TestServer, n: Names, started: (app: LeaveApp) => void): Promise<SetUp> {
  const alice = await server.addUser("alice", { displayName: n.admin, admin: true });
  const ann = await server.addUser("ann", { displayName: n.ann });
  const mark = await server.addUser("mark", { displayName: n.mark });
  const asAlice = await api(server, alice);

  // Its bot, which sends the cards and hears the decisions.
  const bot = "leave@localhost";
  await asAlice.request("POST", "/v1/bots", { name: "leave", display_name: n.bot });
  const { token } = await asAlice.request<{ token: string }>("POST", `/v1/bots/${bot}/tokens`, { name: "leave-approval" });
  const app = await startLeaveApp({ magpie: server.url, token, secret: "", port: 0 });
  started(app);
  const { secret } = await asAlice.request<{ secret: string }>("POST", `/v1/bots/${bot}/subscriptions`, {
    url: app.url, events: ["command", "card_action"],
  });
  app.useSecret(secret);
  await asAlice.request("PUT", `/v1/admin/people/${ann.account}/manager`, { manager: mark.account });

  // The workbench app: its page and its redirect URI, known once it listens; its client for it.
  const made = await asAlice.request<{ app: { client_id: string; url: string; redirect_uris: string[] }; client_secret: string }>(
    "POST", "/v1/admin/domains/localhost/apps",
    { name: n.app, description: "请假 Ask for days off", url: app.pageUrl, redirect_uris: [app.redirectUri], scopes: ["profile"] },
  );
  expect(made.app).toMatchObject({ url: app.pageUrl, redirect_uris: [app.redirectUri] });
  app.useClient(made.app.client_id, made.client_secret);
  return { app, ann, mark };
}

/** Fills the app's form and submits it. */
async function apply(page: Page | FrameLocator, leave: { from: string; days: string; reason: string }): Promise<void> {
  await page.getByLabel(APP.from, { exact: true }).fill(leave.from);
  await page.getByLabel(APP.days, { exact: true }).fill(leave.days);
  await page.getByLabel(APP.reason, { exact: true }).fill(leave.reason);
  await page.getByRole("button", { name: APP.submit, exact: true }).click();
}

/** Magpie's question, in the workbench, whether the app may know who the person is (the host side
 * of `magpie.authorize`: a dialog with the consent page's words over the app): Allow. */
async function allowInWorkbench(page: Page, w: typeof en, app: string): Promise<void> {
  const ask = page.getByRole("alertdialog", { name: fill(w["consent.title"], { app }) });
  await expect(ask.getByTestId("consent-scopes").getByRole("listitem")).toHaveText([w["apps.scopeProfile"]]);
  await ask.getByRole("button", { name: w["consent.allow"], exact: true }).click();
  await expect(ask).toHaveCount(0);
}

/** Opens the app from the workbench (the rail's entry, then its tile): its page, in the frame. */
async function openApp(page: Page, w: typeof en, name: string): Promise<FrameLocator> {
  await page.getByRole("button", { name: w["nav.workbench"], exact: true }).click();
  await page.getByRole("list", { name: w["workbench.apps"] }).getByRole("button", { name }).click();
  const panel = page.getByTestId("app-panel");
  await expect(panel.getByRole("heading", { name })).toBeVisible();
  return panel.frameLocator("iframe");
}

for (const [lang, locale] of Object.entries(LOCALES) as [keyof typeof NAMES, string][]) {
  const n = NAMES[lang];

  test.describe(`in ${lang}`, () => {
    test("inside the workbench: Ann signs in to the leave app through Magpie, applies on its form, Mark approves on the card, and Ann is told and sees it", async ({ browser, server }) => {
      let app: LeaveApp | undefined;
      try {
        const set = await setUp(server, n, (a) => { app = a; });
        const { ann, mark } = set;
        app = set.app;

        // Ann opens the app in her workbench; it asks Magpie who she is, and Magpie asks her.
        const applicant = await signedIn(browser, server, ann, { locale });
        const page = applicant.page;
        const w = await words(page);
        const frame = await openApp(page, w, n.app);
        await allowInWorkbench(page, w, n.app);
        await expect(frame.getByTestId("who")).toHaveText(`已登录 Signed in: ${n.ann} (${ann.account})`);
        await expect(frame.getByTestId("no-requests")).toBeVisible();

        // Too many days: refused, the field named.
        await apply(frame, { from: "2026-12-10", days: "45", reason: "family trip" });
        await expect(frame.getByTestId("form-error")).toContainText("1 to 30");
        await expect(frame.getByLabel(APP.days, { exact: true })).toHaveAttribute("aria-invalid", "true");
        expect(app.requests.size).toBe(0);

        // Two days: it goes to her manager.
        await apply(frame, { from: "2026-12-10", days: "2", reason: "family trip" });
        await expect(frame.getByTestId("sent")).toContainText(`Sent to ${n.mark} for approval`);
        await expect(frame.getByTestId("form-error")).toBeEmpty();
        const mine = frame.getByTestId("request");
        await expect(mine).toHaveCount(1);
        await expect(mine).toHaveAttribute("data-state", "pending");
        await expect(mine.getByTestId("request-state")).toHaveText(`${APP.pending} — ${n.mark}`);
        expect([...app.requests.values()].map((r) => [r.applicant.account, r.manager, r.from, r.days, r.reason]))
          .toEqual([[ann.account, mark.account, "2026-12-10", 2, "family trip"]]);
        await expectAccessible(page, `the leave app's form in the workbench (${lang})`);
        await shot(page, `leave-approval-workbench-form-${lang}`);

        // Mark has the card in his chat with the bot, and approves.
        const manager = await signedIn(browser, server, mark, { locale });
        await conversation(manager.page, n.bot).click();
        const card = manager.page.getByRole("log").getByRole("group", { name: CARD_TITLE, exact: true });
        await expect(card.getByRole("definition")).toHaveText(["2026-12-10", "2", "family trip"]);
        await card.getByRole("button", { name: "同意 Approve" }).click();
        await expect(card.getByRole("definition")).toHaveText(["2026-12-10", "2", "family trip", `已同意 Approved — ${n.mark}`]);
        await expect(card.getByRole("button")).toHaveCount(0);

        // Ann hears it from the bot.
        await page.getByRole("button", { name: new RegExp(`^${w["nav.chats"]}`) }).click();
        await conversation(page, n.bot).click();
        await expect(page.getByRole("log")).toContainText(`approved by ${n.mark}`);
        expect([...app.requests.values()][0]?.decision).toMatchObject({ approved: true, by: { account: mark.account } });

        // The app's page, opened again, knows her (its session) and lists the request approved.
        const again = await openApp(page, w, n.app);
        await expect(again.getByTestId("who")).toHaveText(`已登录 Signed in: ${n.ann} (${ann.account})`);
        await expect(again.getByTestId("request")).toHaveAttribute("data-state", "approved");
        await expect(again.getByTestId("request-state")).toHaveText(`${APP.approved} — ${n.mark}`);
        await shot(page, `leave-approval-workbench-approved-${lang}`);
      } finally {
        await app?.close();
      }
    });
  });
}

test("outside the workbench: the leave app's page in a tab of its own signs Ann in through Magpie's consent page; it believes only its session; Mark denies it, then has no manager", async ({ browser, server }) => {
  const n = NAMES.en;
  let app: LeaveApp | undefined;
  try {
    const set = await setUp(server, n, (a) => { app = a; });
    const { ann, mark } = set;
    app = set.app;

    // Ann, signed in to Magpie, opens the app's page: Magpie asks her consent, then she is back.
    const { context, page } = await signedIn(browser, server, ann);
    const w = await words(page);
    await page.goto(app.pageUrl);
    await expect(page).toHaveURL(/\/oauth\/authorize\?.*code_challenge_method=S256/);
    await expect(page.getByRole("heading", { name: fill(w["consent.title"], { app: n.app }) })).toBeVisible();
    await page.getByRole("button", { name: w["consent.allow"], exact: true }).click();
    await expect(page.getByTestId("who")).toHaveText(`已登录 Signed in: ${n.ann} (${ann.account})`);
    await expect(page).toHaveURL(app.pageUrl);
    const session = (await context.cookies(app.pageUrl)).find((c) => c.name === "leave_session");
    expect(session).toMatchObject({ httpOnly: true, sameSite: "Lax" });

    // She applies from there.
    await apply(page, { from: "2026-12-10", days: "3", reason: "moving house" });
    await expect(page.getByTestId("sent")).toContainText(`Sent to ${n.mark} for approval`);
    await expect(page.getByTestId("request")).toHaveAttribute("data-state", "pending");
    await expectAccessible(page, "the leave app's page in a tab");
    expect([...app.requests.values()].map((r) => [r.applicant.account, r.manager, r.days])).toEqual([[ann.account, mark.account, 3]]);

    // The app believes its session only: not a body that names someone, nor another site's page.
    const leave = { from: "2026-12-11", days: 1, reason: "x", applicant: mark.account };
    const anonymous = await fetch(`${app.pageUrl}/leave`, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(leave),
    });
    expect(anonymous.status).toBe(401);
    const forged = await page.request.post(`${app.pageUrl}/leave`, { headers: { Origin: "https://evil.example" }, data: leave });
    expect(forged.status()).toBe(403);
    expect(app.requests.size).toBe(1);

    // Mark denies the app: it says he is not signed in.
    const other = await signedIn(browser, server, mark);
    await other.page.goto(app.pageUrl);
    await other.page.getByRole("button", { name: w["consent.deny"], exact: true }).click();
    await expect(other.page.getByTestId("notice")).toContainText("You did not allow the leave app to know who you are");

    // He signs in after all: he has no manager, and the form says so.
    await other.page.getByRole("link", { name: "重新登录 Sign in again" }).click();
    await other.page.getByRole("button", { name: w["consent.allow"], exact: true }).click();
    await expect(other.page.getByTestId("who")).toHaveText(`已登录 Signed in: ${n.mark} (${mark.account})`);
    await apply(other.page, { from: "2026-12-10", days: "1", reason: "" });
    await expect(other.page.getByTestId("form-error")).toContainText("You have no manager yet");
    expect(app.requests.size).toBe(1);
  } finally {
    await app?.close();
  }
});
