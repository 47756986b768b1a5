// A domain's sticker packs (Administration → Stickers), in Chinese and in English: a domain's
// administrator makes a pack, chooses two PNG images for it, gives each an emoji, and adds them
// (each uploaded, then added); they are listed as thumbnails with their emoji, and the audit log
// has both. Files the server refuses (a text file, an image larger than the server takes) say
// why at each file, and add nothing. A member of the domain then lists the pack and reads its
// images through the SDK (the web client has no sticker picker yet), and sees a sticker sent with
// it in a chat. A member has no Stickers tab, and the server refuses them a pack.

import { RestClient } from "@magpie/sdk";
import { test, expect, api, expectAccessible, shot, signedIn, words, LOCALES, openChatWith, messages } from "../fixtures.ts";
import { gradientPng, pixelsPng } from "../png.ts";

// Images up to 20,000 bytes: the test's two stickers are far smaller, and a noisy one is larger.
const IMAGE_BYTES_MAX = 20_000;
test.use({ serverEnv: { MAGPIE_IMAGE_BYTES_MAX: String(IMAGE_BYTES_MAX) } });

const NAMES = {
  en: { admin: "Alice", bob: "Bob", pack: "Magpies", wave: "👋", smile: "😀" },
  zh: { admin: "李娜", bob: "王伟", pack: "喜鹊", wave: "👋", smile: "😀" },
} as const;

const fill = (template: string, params: Record<string, string | number>) =>
  template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));

/** Pseudo-random pixels (xorshift32), which do not compress: a PNG of about 3 bytes a pixel. */
function noisyPng(side: number): Buffer {
  let x = 2463534242;
  const next = () => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return (x >>> 0) & 0xff; };
  const png = pixelsPng(side, side, () => [next(), next(), next()]);
  if (png.length <= IMAGE_BYTES_MAX) throw new Error(`the noisy PNG is only ${png.length} bytes`);
  return png;
}

for (const [lang, locale] of Object.entries(LOCALES) as [keyof typeof NAMES, string][]) {
  const n = NAMES[lang];

  test.describe(`in ${lang}`, () => {
    test("a domain's administrator makes a pack and adds two stickers with emoji, which a member then has", async ({ browser, server }) => {
      const alice = await server.addUser("alice", { displayName: n.admin, admin: true });
      const bob = await server.addUser("bob", { displayName: n.bob });

      const { page } = await signedIn(browser, server, alice, { locale });
      const w = await words(page);
      await page.getByRole("button", { name: w["nav.admin"], exact: true }).click();
      await page.getByRole("tab", { name: w["admin.tabStickers"] }).click();
      await expect(page.getByRole("tab", { name: w["admin.tabStickers"] })).toHaveAttribute("aria-selected", "true");
      expect(new URL(page.url()).pathname).toBe("/admin/stickers");
      await expect(page.getByRole("heading", { name: w["admin.stickersTitle"], level: 2 })).toBeVisible();
      // The caller's own domain, said so.
      await expect(page.getByText(fill(w["admin.stickersHint"], { domain: "localhost" }))).toBeVisible();
      await expect(page.getByTestId("sticker-packs-none")).toHaveText(fill(w["admin.stickerPacksNone"], { domain: "localhost" }));

      // A pack, by its name.
      await page.getByLabel(w["admin.stickerPackName"], { exact: true }).fill(n.pack);
      await page.getByRole("button", { name: w["admin.stickerCreate"], exact: true }).click();
      await expect(page.getByText(fill(w["admin.stickerCreated"], { name: n.pack }))).toBeVisible();
      const pack = page.getByTestId("sticker-pack");
      await expect(pack).toHaveCount(1);
      await expect(pack.getByTestId("sticker-pack-name")).toHaveText(n.pack);
      await expect(pack.getByTestId("sticker-pack-count")).toHaveText(w["admin.stickerPackEmpty"]);
      await expect(page.getByLabel(w["admin.stickerPackName"], { exact: true })).toHaveValue("");

      // Two PNG images, each with an emoji.
      await page.getByLabel(fill(w["admin.stickerFilesFor"], { name: n.pack })).setInputFiles([
        { name: "wave.png", mimeType: "image/png", buffer: gradientPng(96, 96) },
        { name: "smile.png", mimeType: "image/png", buffer: pixelsPng(80, 64, (x, y) => [(x * 3) % 256, 200, (y * 4) % 256]) },
      ]);
      await expect(pack.getByTestId("sticker-pending")).toHaveCount(2);
      await page.getByLabel(fill(w["admin.stickerEmojiFor"], { file: "wave.png" }), { exact: true }).fill(n.wave);
      await page.getByLabel(fill(w["admin.stickerEmojiFor"], { file: "smile.png" }), { exact: true }).fill(n.smile);
      await pack.getByRole("button", { name: fill(w["admin.stickerAdd"], { count: 2 }), exact: true }).click();
      await expect(pack.getByTestId("sticker-pack-status")).toHaveText(fill(w["admin.stickerAdded"], { count: 2, name: n.pack }));
      await expect(pack.getByTestId("sticker-pending")).toHaveCount(0);
      const tiles = pack.getByTestId("admin-sticker");
      await expect(tiles).toHaveCount(2);
      await expect(tiles.nth(0)).toHaveAttribute("data-emoji", n.wave);
      await expect(tiles.nth(1)).toHaveAttribute("data-emoji", n.smile);
      await expect(pack.getByTestId("sticker-pack-count")).toHaveText(fill(w["admin.stickerCount"], { count: 2 }));
      // Shown as the chat shows a sticker: its thumbnail, loaded.
      const first = tiles.nth(0).getByRole("img", { name: fill(w["admin.stickerAlt"], { emoji: n.wave }) });
      await expect(first).toBeVisible();
      await expect.poll(() => first.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(96);
      await expectAccessible(page, `the stickers tab with a pack (${lang})`);
      await shot(page, `admin-stickers-${lang}`);

      // Files the server refuses: each says why, and nothing is added.
      await page.getByLabel(fill(w["admin.stickerFilesFor"], { name: n.pack })).setInputFiles([
        { name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("not a picture\n") },
        { name: "noise.png", mimeType: "image/png", buffer: noisyPng(128) },
      ]);
      await pack.getByRole("button", { name: fill(w["admin.stickerAdd"], { count: 2 }), exact: true }).click();
      const notes = pack.locator('[data-testid="sticker-pending"][data-file="notes.txt"]');
      const noise = pack.locator('[data-testid="sticker-pending"][data-file="noise.png"]');
      await expect(notes).toHaveAttribute("data-state", "failed");
      await expect(noise).toHaveAttribute("data-state", "failed");
      await expect(notes.getByTestId("sticker-pending-error")).toHaveText(w["admin.stickerNotImage"]);
      await expect(noise.getByTestId("sticker-pending-error")).toHaveText(fill(w["admin.stickerTooLarge"], { size: "20 KB" }));
      await expect(tiles).toHaveCount(2);
      // Taken away again.
      await pack.getByRole("button", { name: fill(w["admin.stickerRemoveFile"], { file: "notes.txt" }), exact: true }).click();
      await pack.getByRole("button", { name: fill(w["admin.stickerRemoveFile"], { file: "noise.png" }), exact: true }).click();
      await expect(pack.getByTestId("sticker-pending")).toHaveCount(0);
      // Nothing here deletes a pack or a sticker.
      await expect(page.locator("#admin-panel").getByRole("button", { name: /delete|remove|删除|移除/i })).toHaveCount(0);

      // The pack and its stickers are what the server has, after a reload too.
      await page.reload();
      await expect(page.getByTestId("admin-sticker")).toHaveCount(2);

      // Both kinds of change are in the audit log.
      const aliceApi = await api(server, alice);
      const audit = await aliceApi.request<{ records: { action: string }[] }>("GET", "/v1/admin/audit?action=stickers");
      expect(audit.records.map((r) => r.action)).toEqual(["stickers.add", "stickers.add", "stickers.pack_create"]);

      // A member of the domain lists the pack with its stickers, and reads their images.
      const rest = new RestClient(server.url);
      const asBob = rest.withToken((await rest.login(bob.account, bob.password)).token);
      const packs = await asBob.stickers();
      expect(packs.map((p) => p.name)).toEqual([n.pack]);
      const [made] = packs;
      expect(made!.id).toMatch(/^p\d+$/);
      expect(made!.stickers.map((s) => [s.emoji, s.width, s.height])).toEqual([[n.wave, 96, 96], [n.smile, 80, 64]]);
      const thumbnail = await asBob.fileBlob(made!.stickers[0]!.id, 256);
      expect(thumbnail.size).toBeGreaterThan(0);

      // And sends one, which shows in the chat as the sticker's image.
      const chat = await asBob.createConversation({ kind: "direct", peer: alice.account });
      await asBob.send(chat.id, { client_msg_id: `sticker-${lang}`, kind: "sticker", body: { pack: made!.id, sticker: made!.stickers[1]!.id } });
      const b = await signedIn(browser, server, bob, { locale });
      await openChatWith(b.page, n.admin);
      const sticker = messages(b.page).last().locator(".sticker img");
      await expect(sticker).toHaveAttribute("alt", w["msg.sticker"]);
      await expect.poll(() => sticker.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(80);
    });

    test("a member has no Stickers tab", async ({ browser, server }) => {
      await server.addUser("alice", { displayName: n.admin, admin: true });
      const bob = await server.addUser("bob", { displayName: n.bob });
      const { page } = await signedIn(browser, server, bob, { locale });
      const w = await words(page);
      await expect(page.getByRole("button", { name: w["nav.admin"], exact: true })).toHaveCount(0);
      // Not even by its address.
      await page.goto("/admin/stickers");
      await expect(page.getByText(w["error.forbidden"])).toBeVisible();
      await expect(page.getByRole("tab", { name: w["admin.tabStickers"] })).toHaveCount(0);
      await expect(page.getByRole("heading", { name: w["admin.stickersTitle"] })).toHaveCount(0);
      // And the server refuses them a pack, through the SDK too.
      const bobApi = await api(server, bob);
      await expect(bobApi.request("POST", "/v1/admin/stickers", { name: n.pack })).rejects.toThrow(/: 403 .*forbidden/);
      const rest = new RestClient(server.url);
      const asBob = rest.withToken((await rest.login(bob.account, bob.password)).token);
      await expect(asBob.createStickerPack(n.pack)).rejects.toMatchObject({ code: "forbidden" });
      expect(await asBob.stickers()).toEqual([]);
    });
  });
}
