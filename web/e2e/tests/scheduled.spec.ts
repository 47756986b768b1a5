// Scheduled messages (定时发送, issue 23): written in the composer and scheduled from its clock
// button (a quick choice, or a date and time); the bar above the composer counts them and opens
// their list, where the text and the time are changed and one is cancelled; at its time the
// server sends it, and it reaches the other person while the bar goes. In English and Chinese,
// on a desktop and a phone (the phone in the dark theme, so that axe checks both).

import { test, expect, signedIn, shot, api, messages, conversation, words, expectAccessible, VIEWPORTS, LOCALES } from "../fixtures.ts";
import { fill } from "../../app/src/i18n/index.ts";
import { toLocalInput } from "../../app/src/lib/schedule.ts";

/** How far ahead the near-future time is: room for the clicks in between, short enough to wait. */
const SOON_MS = 6_000;

for (const [device, viewport] of Object.entries(VIEWPORTS)) {
  for (const [lang, locale] of Object.entries(LOCALES)) {
    test(`a scheduled message is listed, edited and sent at its time (${lang}, ${device})`, async ({ browser, server }) => {
      const zh = lang === "zh";
      const alice = await server.addUser("alice", { displayName: zh ? "李娜" : "Alice" });
      const bob = await server.addUser("bob", { displayName: zh ? "王伟" : "Bob" });
      const bobApi = await api(server, bob);
      const chat = await bobApi.direct(alice.account);
      const hello = zh ? "周五上线" : "Shipping on Friday";
      await bobApi.send(chat, hello);

      const a = await signedIn(browser, server, alice, { locale, viewport, colorScheme: device === "phone" ? "dark" : "light" });
      const b = await signedIn(browser, server, bob, { locale, viewport });
      const w = await words(a.page);
      await conversation(a.page, zh ? "王伟" : "Bob").click();
      await conversation(b.page, zh ? "李娜" : "Alice").click();
      await expect(messages(a.page).filter({ hasText: hello })).toBeVisible();
      const composer = a.page.getByLabel(w["composer.message"], { exact: true });
      const scheduleButton = a.page.getByRole("button", { name: w["scheduled.schedule"] });
      await expect(scheduleButton).toBeDisabled();

      // Written, then scheduled for tomorrow morning with a quick choice.
      const draft = zh ? "别忘了明早的站会" : "Don't forget the standup tomorrow";
      await composer.fill(draft);
      await scheduleButton.click();
      const dialog = a.page.getByRole("dialog", { name: w["scheduled.title"] });
      await expect(dialog).toContainText(draft);
      await dialog.getByRole("button", { name: w["scheduled.tomorrowMorning"] }).click();
      await expect(dialog.getByRole("button", { name: w["scheduled.tomorrowMorning"] })).toHaveAttribute("aria-pressed", "true");
      await shot(a.page, `scheduled-pick-${lang}-${device}`);
      await expectAccessible(a.page, "the dialog that schedules a message");
      await dialog.getByRole("button", { name: w["scheduled.confirm"] }).click();
      await expect(dialog).toHaveCount(0);
      await expect(composer).toHaveValue("");
      const bar = a.page.getByRole("region", { name: w["scheduled.listTitle"] });
      await expect(bar).toContainText(w["scheduled.barOne"]);

      // A second one, with a time of its own, which is then cancelled.
      const spare = zh ? "这条会取消" : "This one gets cancelled";
      await composer.fill(spare);
      await scheduleButton.click();
      const later = Date.now() + 3 * 24 * 3600 * 1000;
      await dialog.getByLabel(w["scheduled.when"]).fill(toLocalInput(later - (later % 60_000)));
      await dialog.getByRole("button", { name: w["scheduled.confirm"] }).click();
      await expect(bar).toContainText(fill(w["scheduled.barMany"], { count: 2 }));

      // The list: both, the earliest first; the text of the first is edited.
      await bar.getByRole("button").click();
      const list = a.page.getByRole("dialog", { name: w["scheduled.listTitle"] });
      const items = list.getByRole("list", { name: w["scheduled.list"] }).getByTestId("scheduled-item");
      await expect(items).toHaveCount(2);
      await expect(items.first()).toContainText(draft);
      await expect(items.first()).toContainText(w["scheduled.pending"]);
      await expect(items.nth(1)).toContainText(spare);
      await items.nth(1).getByRole("button", { name: fill(w["scheduled.cancelNamed"], { text: spare }) }).click();
      await expect(items).toHaveCount(1);
      const edited = zh ? "别忘了明早十点的站会" : "Don't forget the standup at ten";
      await items.first().getByRole("button", { name: fill(w["scheduled.editTextNamed"], { text: draft }) }).click();
      await list.getByLabel(w["scheduled.text"]).fill(edited);
      await list.getByRole("button", { name: w["scheduled.save"] }).click();
      await expect(items.first()).toContainText(edited);
      await shot(a.page, `scheduled-list-${lang}-${device}`);
      await expectAccessible(a.page, "the list of scheduled messages");

      // Its time is brought forward to a moment from now: the server sends it then, bob gets it,
      // and alice's bar goes.
      await items.first().getByRole("button", { name: fill(w["scheduled.editTimeNamed"], { text: edited }) }).click();
      const timeDialog = a.page.getByRole("dialog", { name: w["scheduled.editTimeTitle"] });
      const soon = Math.ceil((Date.now() + SOON_MS) / 1000) * 1000;
      await timeDialog.getByLabel(w["scheduled.when"]).fill(toLocalInput(soon));
      await timeDialog.getByRole("button", { name: w["scheduled.save"] }).click();
      await expect(timeDialog).toHaveCount(0);
      await expect(messages(b.page).filter({ hasText: edited })).toBeVisible({ timeout: SOON_MS + 20_000 });
      await expect(messages(a.page).filter({ hasText: edited })).toBeVisible();
      await expect(bar).toHaveCount(0);
      await expect(list).toHaveCount(0);
      expect((await (await api(server, alice)).request<{ scheduled: unknown[] }>("GET", "/v1/scheduled")).scheduled).toEqual([]);
      await shot(b.page, `scheduled-arrived-${lang}-${device}`);
    });
  }
}
