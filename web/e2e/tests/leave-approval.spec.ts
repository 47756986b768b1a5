// The example OA app (examples/leave-approval, issue 18) end to end, in Chinese and in English:
// the app, written only against the public API, runs beside the server, its bot set up by the
// domain's administrator (a token, the `/leave` command, a subscription to `command` and
// `card_action`), and Mark set as Ann's manager. Ann applies in the web client with `/leave` in
// a group where the bot is: the composer offers the command, and the app's answer, for her only,
// says it went to her manager. Mark, signed in on a laptop and a phone, finds the approval card
// in his chat with the bot on both; on the laptop he writes a note and approves. The card is
// decided on both devices (who decided, the note, no buttons left) and Ann is told, by the bot,
// in her own chat with it. Deterministic: the test waits on the page and on the app's state as
// the page shows it, never on the clock.

import type { Page } from "@playwright/test";
import { startLeaveApp, type LeaveApp } from "../../../examples/leave-approval/src/app.ts";
import { test, expect, api, conversation, expectAccessible, shot, signedIn, words, LOCALES, VIEWPORTS } from "../fixtures.ts";

const NAMES = {
  en: { admin: "Alice", ann: "Ann", mark: "Mark", group: "Design team", bot: "Leave" },
  zh: { admin: "李娜", ann: "王芳", mark: "张伟", group: "设计组", bot: "请假助手" },
} as const;

/** The app's card, as examples/leave-approval writes it (the same in every language). */
const CARD_TITLE = "请假申请 Leave request";

test.use({ serverEnv: { MAGPIE_WEBHOOKS_PRIVATE_RANGES_ALLOWED: "127.0.0.1" } });

for (const [lang, locale] of Object.entries(LOCALES) as [keyof typeof NAMES, string][]) {
  const n = NAMES[lang];

  test.describe(`in ${lang}`, () => {
    test("the leave-approval app: Ann applies with /leave, her manager approves on the card on one device, every device shows it, and Ann is told", async ({ browser, server }) => {
      let app: LeaveApp | undefined;
      try {
        const alice = await server.addUser("alice", { displayName: n.admin, admin: true });
        const ann = await server.addUser("ann", { displayName: n.ann });
        const mark = await server.addUser("mark", { displayName: n.mark });
        const asAlice = await api(server, alice);

        // The administrator sets the app up, as its README says.
        const bot = "leave@localhost";
        await asAlice.request("POST", "/v1/bots", { name: "leave", display_name: n.bot });
        const { token } = await asAlice.request<{ token: string }>("POST", `/v1/bots/${bot}/tokens`, { name: "leave-approval" });
        app = await startLeaveApp({ magpie: server.url, token, secret: "", port: 0 });
        await asAlice.request("PUT", `/v1/bots/${bot}/commands`, {
          commands: [{ name: "leave", description: "Ask for leave", hint: "YYYY-MM-DD days [reason]" }],
        });
        const { secret } = await asAlice.request<{ secret: string }>("POST", `/v1/bots/${bot}/subscriptions`, {
          url: app.url, events: ["command", "card_action"],
        });
        app.useSecret(secret);
        await asAlice.request("PUT", `/v1/admin/people/${ann.account}/manager`, { manager: mark.account });
        const asAnn = await api(server, ann);
        await asAnn.group(n.group, [bot]);

        // Ann applies.
        const applicant = await signedIn(browser, server, ann, { locale });
        const w = await words(applicant.page);
        await conversation(applicant.page, n.group).click();
        const composer = applicant.page.getByLabel(w["composer.message"], { exact: true });
        await composer.pressSequentially("/le");
        const options = applicant.page.getByRole("listbox", { name: w["commands.suggestions"] }).getByRole("option");
        await expect(options).toHaveCount(1);
        await expect(options.first()).toContainText("/leave");
        await composer.press("Enter");
        await expect(composer).toHaveValue("/leave ");
        await composer.pressSequentially("2026-12-10 2 family trip");
        await composer.press("Enter");
        const sentWord = applicant.page.getByRole("log").getByTestId("command-answer");
        await expect(sentWord).toContainText("Sent to your manager for approval");
        await expect(sentWord.getByTestId("command-answer-only")).toHaveText(w["commands.onlyYou"]);
        expect([...app.requests.values()].map((r) => [r.applicant.account, r.manager, r.from, r.days, r.reason]))
          .toEqual([[ann.account, mark.account, "2026-12-10", 2, "family trip"]]);
        await expectAccessible(applicant.page, `the app's answer to /leave (${lang})`);

        // Mark has the card on his laptop and his phone.
        const laptop = await signedIn(browser, server, mark, { locale });
        const phone = await signedIn(browser, server, mark, { locale, viewport: VIEWPORTS.phone });
        const cardOn = (page: Page) => page.getByRole("log").getByRole("group", { name: CARD_TITLE, exact: true });
        for (const { page } of [laptop, phone]) {
          await conversation(page, n.bot).click();
          await expect(cardOn(page).getByRole("button", { name: "同意 Approve" })).toBeVisible();
          await expect(cardOn(page).getByRole("definition")).toHaveText(["2026-12-10", "2", "family trip"]);
        }
        await expectAccessible(laptop.page, `the approval card (${lang})`);
        await shot(laptop.page, `leave-approval-card-${lang}`);

        // He approves on the laptop, with a note.
        const card = cardOn(laptop.page);
        await card.getByLabel("备注 Note", { exact: true }).fill("Enjoy the trip");
        await card.getByRole("button", { name: "同意 Approve" }).click();
        await expect(laptop.page.getByText("已同意 Approved", { exact: true })).toBeVisible();
        for (const { page } of [laptop, phone]) {
          const decided = cardOn(page);
          await expect(decided.getByRole("definition")).toHaveText(["2026-12-10", "2", "family trip", `已同意 Approved — ${n.mark}`, "Enjoy the trip"]);
          await expect(decided.getByRole("button")).toHaveCount(0);
          await expect(decided.getByTestId("app-card-acted")).toContainText(n.mark);
        }
        await shot(phone.page, `leave-approval-decided-${lang}`);

        // Ann hears it from the bot, in her chat with it.
        await conversation(applicant.page, n.bot).click();
        await expect(applicant.page.getByRole("log")).toContainText(`approved by ${n.mark}`);
        await expect(applicant.page.getByRole("log")).toContainText("Enjoy the trip");
        expect([...app.requests.values()][0]?.decision).toMatchObject({ approved: true, by: { account: mark.account }, note: "Enjoy the trip" });
        await expectAccessible(applicant.page, `the applicant told (${lang})`);
      } finally {
        await app?.close();
      }
    });
  });
}
