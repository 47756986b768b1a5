// Files: an image sent from one browser shows as a thumbnail in the other; a document as a
// file card with its name.

import { test, expect, signedIn, shot, openChatWith, conversation, aliceAndBob } from "../fixtures.ts";
import { gradientPng } from "../png.ts";

test("an image message shows its thumbnail on the other side, and a file its name", async ({ browser, server }) => {
  const { a, b } = await aliceAndBob(browser, server);

  await openChatWith(a.page, "Bob");

  await a.page.getByLabel("Choose file").setInputFiles({
    name: "sunset.png",
    mimeType: "image/png",
    buffer: gradientPng(1600, 900),
  });
  await a.page.getByLabel("Choose file").setInputFiles({
    name: "minutes.txt",
    mimeType: "text/plain",
    buffer: Buffer.from("Minutes of the lunch meeting\n".repeat(200)),
  });

  await conversation(b.page, "Alice").click();
  const log = b.page.getByRole("log", { name: "Messages" });
  const image = log.getByTestId("message").locator("img").first();
  await expect(image).toBeVisible({ timeout: 30_000 });
  // The thumbnail was fetched with Bob's session and decoded: a real picture, not a placeholder.
  await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBeGreaterThan(0);
  const src = await image.getAttribute("src");
  expect(src).toMatch(/^blob:/);
  const width = await image.evaluate((img: HTMLImageElement) => img.naturalWidth);
  expect(width).toBeLessThanOrEqual(1024); // a thumbnail, not the 1600 px original
  await expect(log.getByTestId("message").filter({ hasText: "minutes.txt" })).toBeVisible();
  await shot(b.page, "chat-image");
});
