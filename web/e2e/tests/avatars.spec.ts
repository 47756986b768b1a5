// Avatars (issue 23): pick an image, crop it square (keys, drag, zoom), and it becomes one's
// profile photo or, for a group's owner or admin, the group's; colleagues see it. In English
// and Chinese, on a desktop and a phone.

import type { Locator, Page } from "@playwright/test";
import { test, expect, signedIn, shot, api, words, expectAccessible, VIEWPORTS, LOCALES } from "../fixtures.ts";
import { pixelsPng } from "../png.ts";

/** 600×400: red on the left half, blue on the right. */
const HALVES = pixelsPng(600, 400, (x) => (x < 300 ? [220, 30, 30] : [30, 60, 220]));

/** The colour an avatar's picture shows at a fraction of its width, halfway down: "red" or "blue". */
async function colourAt(avatar: Locator, across: number): Promise<string> {
  const img = avatar.locator("img");
  await expect(img).toHaveJSProperty("complete", true);
  return img.evaluate((el: HTMLImageElement, at: number) => {
    const canvas = document.createElement("canvas");
    canvas.width = el.naturalWidth;
    canvas.height = el.naturalHeight;
    const ctx = canvas.getContext("2d")!;
    ctx.drawImage(el, 0, 0);
    const [r, , b] = ctx.getImageData(Math.floor(el.naturalWidth * at), Math.floor(el.naturalHeight / 2), 1, 1).data;
    return r! > b! ? "red" : "blue";
  }, across);
}

async function cropAndSave(page: Page, title: string, w: Awaited<ReturnType<typeof words>>, act: (stage: Locator) => Promise<void>, screenshot?: string): Promise<void> {
  const dialog = page.getByRole("dialog", { name: title });
  await expect(dialog).toBeVisible();
  const stage = dialog.getByRole("group", { name: w["avatar.stage"] });
  await expect(stage).toBeFocused();
  await act(stage);
  if (screenshot) {
    await shot(page, screenshot);
    await expectAccessible(page, "the crop dialog");
  }
  await dialog.getByRole("button", { name: w["avatar.save"] }).click();
  await expect(dialog).toHaveCount(0);
}

for (const [device, viewport] of Object.entries(VIEWPORTS)) {
  for (const [lang, locale] of Object.entries(LOCALES)) {
    test(`a profile and a group get a cropped photo (${lang}, ${device})`, async ({ browser, server }) => {
      const zh = lang === "zh";
      const alice = await server.addUser("alice", { displayName: zh ? "李娜" : "Alice" });
      const bob = await server.addUser("bob", { displayName: zh ? "王伟" : "Bob" });
      const aliceApi = await api(server, alice);
      const team = await aliceApi.group(zh ? "设计组" : "Design", [bob.account]);
      await aliceApi.send(team, zh ? "大家好" : "Hello all");
      const me = () => aliceApi.request<{ avatar?: string }>("GET", "/v1/me");

      const a = await signedIn(browser, server, alice, { locale, viewport });
      const w = await words(a.page);
      await a.page.getByRole("button", { name: w["nav.settings"], exact: true }).click();
      const profileAvatar = a.page.locator(".profile-card .profile-head .avatar");

      // Escape leaves the crop without changing anything.
      await a.page.getByLabel(w["avatar.choose"]).setInputFiles({ name: "halves.png", mimeType: "image/png", buffer: HALVES });
      await expect(a.page.getByRole("dialog", { name: w["avatar.cropTitle"] })).toBeVisible();
      await a.page.keyboard.press("Escape");
      await expect(a.page.getByRole("dialog")).toHaveCount(0);
      expect((await me()).avatar).toBeUndefined();

      // The photo moved all the way right with the keys shows the image's left part: at 60%
      // across, what was at 240 of 600 pixels (red), not the middle's 340 (blue).
      await a.page.getByLabel(w["avatar.choose"]).setInputFiles({ name: "halves.png", mimeType: "image/png", buffer: HALVES });
      await cropAndSave(a.page, w["avatar.cropTitle"], w, async (stage) => {
        for (let i = 0; i < 12; i++) await stage.press("ArrowRight");
      }, `avatar-crop-${lang}-${device}`);
      await expect(a.page.getByText(w["avatar.updated"])).toBeVisible();
      const avatar = (await me()).avatar!;
      expect(avatar).toMatch(/^f[A-Za-z0-9_-]{22}$/);
      const info = await aliceApi.request<{ media_type: string; width: number; height: number }>("GET", `/v1/files/${avatar}/info`);
      expect(info).toMatchObject({ media_type: "image/jpeg", width: 400, height: 400 });
      await expect(profileAvatar.locator("img")).toHaveAttribute("src", /^blob:/);
      expect(await colourAt(profileAvatar, 0.6)).toBe("red");
      expect(await colourAt(profileAvatar, 0.9)).toBe("blue");

      // A colleague sees it.
      const b = await signedIn(browser, server, bob, { locale, viewport });
      await b.page.getByRole("button", { name: new RegExp(`^${zh ? "设计组" : "Design"}`) }).click();
      const row = b.page.getByRole("log").getByTestId("message").filter({ hasText: zh ? "大家好" : "Hello all" });
      await expect(row.locator(".avatar img")).toHaveAttribute("src", /^blob:/);
      expect(await colourAt(row.locator(".avatar"), 0.6)).toBe("red");
      // A member may not change the group's photo.
      await b.page.getByRole("button", { name: w["chat.groupInfo"] }).click();
      await expect(b.page.getByRole("complementary", { name: w["group.info"] })).toBeVisible();
      await expect(b.page.getByRole("button", { name: w["avatar.changeGroup"] })).toHaveCount(0);

      // The owner sets the group's, zoomed in with the slider and dragged.
      await a.page.getByRole("button", { name: w["nav.chats"], exact: true }).click();
      await a.page.getByRole("button", { name: new RegExp(`^${zh ? "设计组" : "Design"}`) }).click();
      await a.page.getByRole("button", { name: w["chat.groupInfo"] }).click();
      const pane = a.page.getByRole("complementary", { name: w["group.info"] });
      await expect(pane.getByRole("button", { name: w["avatar.changeGroup"] })).toBeVisible();
      await pane.getByLabel(w["avatar.choose"]).setInputFiles({ name: "halves.png", mimeType: "image/png", buffer: HALVES });
      await cropAndSave(a.page, w["avatar.cropGroupTitle"], w, async (stage) => {
        await a.page.getByRole("dialog").getByRole("slider", { name: w["avatar.zoom"] }).fill("2");
        // Dragged to the left: the photo's right part, all blue, fills the window.
        const box = (await stage.boundingBox())!;
        await a.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
        await a.page.mouse.down();
        await a.page.mouse.move(box.x - box.width, box.y + box.height / 2, { steps: 5 });
        await a.page.mouse.up();
      });
      const groupAvatar = pane.locator(".info-hero .avatar");
      await expect(groupAvatar.locator("img")).toHaveAttribute("src", /^blob:/);
      expect(await colourAt(groupAvatar, 0.1)).toBe("blue");
      const group = await aliceApi.request<{ avatar?: string }>("GET", `/v1/conversations/${team}`);
      const logo = await aliceApi.request<{ width: number; height: number }>("GET", `/v1/files/${group.avatar}/info`);
      expect(logo).toMatchObject({ width: 200, height: 200 });
      await shot(a.page, `avatar-group-${lang}-${device}`);

      // The colleague's list shows the group's new photo.
      await b.page.getByRole("complementary", { name: w["group.info"] }).getByRole("button", { name: w["common.close"] }).click();
      if (device === "phone") await b.page.getByRole("button", { name: w["nav.back"] }).click();
      const item = b.page.getByRole("list", { name: w["list.label"] }).getByRole("listitem").filter({ hasText: zh ? "设计组" : "Design" });
      await expect(item.locator(".avatar img")).toHaveAttribute("src", /^blob:/);

      // Removed, the initials come back.
      await pane.getByRole("button", { name: w["common.close"] }).click();
      if (device === "phone") await a.page.getByRole("button", { name: w["nav.back"] }).click();
      await a.page.getByRole("button", { name: w["nav.settings"], exact: true }).click();
      await a.page.getByRole("button", { name: w["avatar.remove"] }).click();
      await expect(profileAvatar.locator("img")).toHaveCount(0);
      await expect.poll(async () => (await me()).avatar).toBeUndefined();
    });
  }
}
