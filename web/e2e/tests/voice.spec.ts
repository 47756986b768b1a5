// Voice messages (issue 23), recorded for real: Chromium's fake microphone (a tone that beeps)
// stands in for a person. Hold the button and release to send, or press it, then send or cancel;
// Escape cancels. The message is a `voice` message with its duration and waveform; the other
// side plays it, seeks in it and changes its speed. In English and Chinese, desktop and phone.

import config from "../playwright.config.ts";
import { test, expect, signedIn, shot, api, messages, words, expectAccessible, VIEWPORTS, LOCALES } from "../fixtures.ts";

const launch = config.use?.launchOptions ?? {};
test.use({
  launchOptions: {
    ...launch,
    args: [...(launch.args ?? []), "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream", "--autoplay-policy=no-user-gesture-required"],
  },
});

interface Entry { seq: number; kind: string; body: { file?: string; duration_ms?: number; waveform?: number[] } | null }

for (const [device, viewport] of Object.entries(VIEWPORTS)) {
  for (const [lang, locale] of Object.entries(LOCALES)) {
    test(`a voice message is recorded, sent and played (${lang}, ${device})`, async ({ browser, server }) => {
      const zh = lang === "zh";
      const alice = await server.addUser("alice", { displayName: zh ? "李娜" : "Alice" });
      const bob = await server.addUser("bob", { displayName: zh ? "王伟" : "Bob" });
      const aliceApi = await api(server, alice);
      const chat = await aliceApi.direct(bob.account);
      const voices = async () =>
        (await aliceApi.request<{ entries: Entry[] }>("GET", `/v1/conversations/${chat}/messages`)).entries.filter((e) => e.kind === "voice");

      const a = await signedIn(browser, server, alice, { locale, viewport });
      const w = await words(a.page);
      await a.page.getByRole("button", { name: new RegExp(`^${zh ? "王伟" : "Bob"}`) }).click();
      const mic = a.page.getByTestId("mic-button");
      const panel = a.page.getByRole("group", { name: w["voice.recording"] });
      const timer = panel.getByRole("timer");
      const sent = messages(a.page).and(a.page.locator('[data-kind="voice"]'));
      await expect(mic).toHaveAccessibleName(w["voice.record"]);

      // Held: recording while the button is down, sent when it is released.
      await mic.hover();
      await a.page.mouse.down();
      await expect(panel).toBeVisible();
      await expect(panel).toContainText(w["voice.releaseToSend"]);
      await expect(timer).toHaveText("0:01");
      await a.page.mouse.up();
      await expect(panel).toHaveCount(0);
      await expect(sent).toHaveCount(1);
      await expect(sent.first()).toHaveAttribute("data-state", /sent|delivered|read/);

      // Pressed once: it records until sent or cancelled.
      await mic.click();
      await expect(timer).toHaveText("0:01");
      await expect(mic).toHaveAccessibleName(w["voice.send"]);
      await expect(panel).toContainText(w["voice.tapHint"]);
      await shot(a.page, `voice-recording-${lang}-${device}`);
      await a.page.getByRole("button", { name: w["voice.cancel"] }).click();
      await expect(panel).toHaveCount(0);
      await expect(a.page.getByLabel(w["composer.message"], { exact: true })).toBeFocused();
      await mic.click();
      await expect(timer).toHaveText("0:02");
      await mic.click();
      await expect(panel).toHaveCount(0);
      await expect(sent).toHaveCount(2);

      // From the keyboard: Enter starts, Escape throws it away.
      await mic.focus();
      await a.page.keyboard.press("Enter");
      await expect(timer).toHaveText("0:01");
      await a.page.keyboard.press("Escape");
      await expect(panel).toHaveCount(0);
      await expect(sent).toHaveCount(2);

      // Stored as voice messages with their duration and a waveform of the recording.
      await expect.poll(async () => (await voices()).length).toBe(2);
      const stored = await voices();
      for (const [i, entry] of stored.entries()) {
        expect(entry.body!.file).toMatch(/^f/);
        expect(entry.body!.duration_ms).toBeGreaterThanOrEqual(i === 0 ? 1000 : 2000);
        expect(entry.body!.duration_ms).toBeLessThan(20_000);
        const waveform = entry.body!.waveform!;
        expect(waveform).toHaveLength(48);
        expect(waveform.every((v) => Number.isInteger(v) && v >= 0 && v <= 100)).toBe(true);
        expect(Math.max(...waveform)).toBe(100);
      }

      // The other side plays it.
      const b = await signedIn(browser, server, bob, { locale, viewport, colorScheme: device === "phone" ? "dark" : "light" });
      await b.page.getByRole("button", { name: new RegExp(`^${zh ? "李娜" : "Alice"}`) }).click();
      const player = b.page.getByRole("log").getByTestId("voice").last();
      await expect(player).toBeVisible();
      const play = player.getByRole("button", { name: w["msg.playVoice"] });
      const slider = player.getByRole("slider", { name: w["voice.position"] });
      const speed = player.getByRole("button", { name: /^(Playback speed|播放速度)/ });
      await expect(speed).toHaveText("1×");
      await expect(slider).toHaveAttribute("aria-valuemax", String(Math.round(stored[1]!.body!.duration_ms! / 1000)));
      // Its bars are the stored waveform's (drawn, not the flat line of an unknown one).
      const heights = await slider.locator("span").evaluateAll((spans) => spans.map((s) => (s as HTMLElement).style.height));
      expect(new Set(heights).size).toBeGreaterThan(1);
      await shot(b.page, `voice-${lang}-${device}`);
      await expectAccessible(b.page, "a chat with voice messages");

      // 1.5×, then play: it plays at that speed to the end, and shows its progress.
      await speed.click();
      await expect(speed).toHaveText("1.5×");
      await expect(speed).toHaveAccessibleName(w["voice.speed"].replace("{rate}", "1.5×"));
      await play.click();
      await expect(player.getByRole("button", { name: w["voice.pause"] })).toBeVisible();
      expect(await player.locator("audio").evaluate((el) => (el as HTMLAudioElement).playbackRate)).toBe(1.5);
      await expect(player.locator(".voice-wave span.played").first()).toBeVisible();
      await expect(play).toBeVisible({ timeout: 20_000 });
      await speed.click();
      await expect(speed).toHaveText("2×");
      await speed.click();
      await expect(speed).toHaveText("1×");

      // The slider seeks from the keyboard.
      await slider.focus();
      await expect(slider).toBeFocused();
      await b.page.keyboard.press("End");
      await expect(slider).toHaveAttribute("aria-valuenow", String(Math.round(stored[1]!.body!.duration_ms! / 1000)));
    });
  }
}

test("a voice message that came without a waveform gets one from its audio on play", async ({ browser, server }) => {
  const alice = await server.addUser("alice", { displayName: "Alice" });
  const bob = await server.addUser("bob", { displayName: "Bob" });
  const aliceApi = await api(server, alice);
  const chat = await aliceApi.direct(bob.account);
  const a = await signedIn(browser, server, alice);
  await a.page.getByRole("button", { name: /^Bob/ }).click();
  const mic = a.page.getByTestId("mic-button");
  await mic.click();
  await expect(a.page.getByRole("timer")).toHaveText("0:02");
  await mic.click();
  await expect(a.page.locator('[data-testid="message"][data-kind="voice"]')).toHaveAttribute("data-state", /sent|delivered|read/);
  // What another app would send: the same file, no waveform.
  const [recorded] = (await aliceApi.request<{ entries: Entry[] }>("GET", `/v1/conversations/${chat}/messages`)).entries.filter((e) => e.kind === "voice");
  await aliceApi.request("POST", `/v1/conversations/${chat}/messages`, {
    client_msg_id: "bare-voice", kind: "voice", body: { file: recorded!.body!.file, duration_ms: recorded!.body!.duration_ms },
  });

  const b = await signedIn(browser, server, bob);
  await b.page.getByRole("button", { name: /^Alice/ }).click();
  // Both voice messages are painted before the last one is looked at.
  await expect(b.page.getByRole("log").getByTestId("voice")).toHaveCount(2);
  const player = b.page.getByRole("log").getByTestId("voice").last();
  await expect(player.getByRole("slider").locator("span").first()).toBeVisible();
  const bars = () => player.getByRole("slider").locator("span").evaluateAll((spans) => new Set(spans.map((s) => (s as HTMLElement).style.height)).size);
  expect(await bars()).toBe(1);
  await player.getByRole("button", { name: "Play voice message" }).click();
  await expect.poll(bars).toBeGreaterThan(1);
});
