// The summary after a long absence (issue 17), in English and Chinese: Bob's browser last had
// him connected two hours ago; meanwhile Alice wrote to him and mentioned him in a group. The
// app resumes his session and, once caught up, says what he missed: the group that mentions him
// first, though the direct chat is newer. Choosing it opens it.

import { test, expect, api, expectAccessible, shot, signedIn, words, LOCALES } from "../fixtures.ts";
import { fill } from "../../app/src/i18n/index.ts";
import { lastConnectedKey } from "../../app/src/state/away.ts";

const NAMES = {
  en: { alice: "Alice", bob: "Bob", carol: "Carol", group: "Launch", mention: "@Bob can you check the release notes?", direct: ["lunch?", "at noon"] },
  zh: { alice: "李娜", bob: "王伟", carol: "张敏", group: "发布组", mention: "@王伟 请看一下发布说明", direct: ["中午一起吃饭吗？", "十二点"] },
} as const;

const HOUR_MS = 3_600_000;

for (const [lang, locale] of Object.entries(LOCALES) as [keyof typeof NAMES, string][]) {
  const n = NAMES[lang];

  test(`after two hours away, the summary lists the mention first and opens it (${lang})`, async ({ browser, server }) => {
    const alice = await server.addUser("alice", { displayName: n.alice });
    const bob = await server.addUser("bob", { displayName: n.bob });
    const carol = await server.addUser("carol", { displayName: n.carol });
    const aliceApi = await api(server, alice);
    const group = await aliceApi.group(n.group, [bob.account, carol.account]);
    const direct = await aliceApi.direct(bob.account);

    // Bob signs in here once, so that the browser keeps his session; then he goes away.
    const { context, page } = await signedIn(browser, server, bob, { locale });
    await page.close();
    await aliceApi.send(group, n.mention, { mentions: [bob.account] });
    for (const text of n.direct) await aliceApi.send(direct, text);
    // His browser last had him connected two hours ago.
    await context.addInitScript(({ key, ms }) => localStorage.setItem(key, String(ms)), {
      key: lastConnectedKey(bob.account), ms: Date.now() - 2 * HOUR_MS,
    });

    const back = await context.newPage();
    await back.goto("/");
    const w = await words(back);
    const summary = back.getByRole("dialog", { name: w["away.title"] });
    await expect(summary).toBeVisible();
    await expect(summary.getByTestId("away-total")).toHaveText(fill(w["away.totalMentions"], {
      unread: 3, conversations: fill(w["away.conversationsMany"], { count: 2 }), mentions: w["away.mentionsOne"],
    }));
    const rows = summary.getByRole("list", { name: w["away.listLabel"] }).getByRole("button");
    await expect(rows).toHaveCount(2);
    await expect(rows.nth(0)).toHaveAccessibleName(`${n.group} ${w["away.mentionsOne"]} ${fill(w["list.unread"], { count: 1 })}`);
    await expect(rows.nth(1)).toHaveAccessibleName(`${n.alice} ${fill(w["list.unread"], { count: 2 })}`);
    // The first conversation has the focus: Enter opens it, Escape closes the summary.
    await expect(rows.nth(0)).toBeFocused();
    await expectAccessible(back, `offline summary (${lang})`);
    await shot(back, `offline-summary-${lang}`);

    await rows.nth(0).click();
    await expect(summary).toBeHidden();
    await expect(back).toHaveURL(new RegExp(`/c/${group}$`));
    await expect(back.getByRole("log").getByText(n.mention)).toBeVisible();
  });
}

test("a short absence, or a first visit, shows no summary", async ({ browser, server }) => {
  const alice = await server.addUser("alice", { displayName: "Alice" });
  const bob = await server.addUser("bob", { displayName: "Bob" });
  const aliceApi = await api(server, alice);
  const direct = await aliceApi.direct(bob.account);
  await aliceApi.send(direct, "before you sign in");
  // A first sign-in in this browser: nothing says when he was last here.
  const { context, page } = await signedIn(browser, server, bob);
  await expect(page.getByRole("list", { name: "Conversations" }).getByTestId("unread-badge")).toHaveText("1");
  await expect.poll(() => page.evaluate((key) => localStorage.getItem(key), lastConnectedKey(bob.account))).not.toBeNull();
  await page.close();
  await aliceApi.send(direct, "while you were out for coffee");
  // Back ten minutes later.
  const seenMs = Date.now() - 10 * 60_000;
  await context.addInitScript(({ key, ms }) => localStorage.setItem(key, String(ms)), { key: lastConnectedKey(bob.account), ms: seenMs });
  const back = await context.newPage();
  await back.goto("/");
  await expect(back.getByRole("list", { name: "Conversations" }).getByTestId("unread-badge")).toHaveText("2");
  // Caught up: the app moved the mark on as it got online, which is when a summary would come.
  await expect.poll(() => back.evaluate((key) => Number(localStorage.getItem(key)), lastConnectedKey(bob.account))).toBeGreaterThan(seenMs);
  await expect(back.getByRole("dialog")).toHaveCount(0);
});
