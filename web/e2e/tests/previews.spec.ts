// Link previews in the chat (issue 23): a card under a message with a link shows the page's
// title, site, description and image as the server fetched them (protocol §7.10). Only the
// first link, only once on screen, asked once per page load, nothing when the page has no
// preview or previews are off; the card opens the link in a new tab, also from the keyboard.
// In English and Chinese, on a desktop and a phone.

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { startServer, type TestServer } from "@magpie/testkit";
import { test, expect, signedIn, shot, api, messages, expectAccessible, VIEWPORTS, LOCALES } from "../fixtures.ts";
import { gradientPng } from "../png.ts";

/** A web site on loopback that the test server is allowed to fetch previews from. */
class Site {
  /** The server's fetches, by path. */
  readonly hits = new Map<string, number>();
  private constructor(private readonly http: Server, readonly origin: string) {}

  static async start(title: string, description: string): Promise<Site> {
    const image = gradientPng(320, 160);
    const page = (t: string) => `<!doctype html><html><head><title>${t}</title>
<meta property="og:title" content="${t}"><meta property="og:description" content="${description}">
<meta property="og:site_name" content="Canteen"><meta property="og:image" content="/img.png"></head><body><p>${t}</p></body></html>`;
    let site: Site | undefined;
    const http = createServer((req, res) => {
      const path = new URL(req.url ?? "/", "http://x").pathname;
      // Fetches by the magpie server, not the browser's when it opens a link.
      if ((req.headers["user-agent"] ?? "").includes("link preview")) site?.hits.set(path, (site.hits.get(path) ?? 0) + 1);
      if (path === "/img.png") { res.writeHead(200, { "content-type": "image/png" }).end(image); return; }
      if (path.startsWith("/menu")) { res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(page(title)); return; }
      if (path === "/later") { res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(page(`${title} 2`)); return; }
      res.writeHead(404).end();
    });
    await new Promise<void>((done) => http.listen(0, "127.0.0.1", done));
    site = new Site(http, `http://127.0.0.1:${(http.address() as AddressInfo).port}`);
    return site;
  }

  get port(): number { return Number(new URL(this.origin).port); }
  stop(): Promise<void> { return new Promise((done) => this.http.close(() => done())); }
}

/** A magpie server that may fetch previews from `site` (and nothing else private). */
function serverFor(site: Site, env: Record<string, string> = {}): Promise<TestServer> {
  return startServer({ env: { MAGPIE_LINK_PREVIEW_PRIVATE_RANGES_ALLOWED: "127.0.0.1/32", MAGPIE_LINK_PREVIEW_PORTS_ALLOWED: `80,443,${site.port}`, ...env } });
}

for (const [device, viewport] of Object.entries(VIEWPORTS)) {
  for (const [lang, locale] of Object.entries(LOCALES)) {
    test(`a link's preview shows under its message and opens the link (${lang}, ${device})`, async ({ browser }) => {
      const zh = lang === "zh";
      const site = await Site.start(zh ? "本周午餐菜单" : "This week's lunch menu", zh ? "食堂本周供应的菜品。" : "What the canteen serves this week.");
      const server = await serverFor(site);
      try {
        const alice = await server.addUser("alice", { displayName: zh ? "李娜" : "Alice" });
        const bob = await server.addUser("bob", { displayName: zh ? "王伟" : "Bob" });
        const aliceApi = await api(server, alice);
        const chat = await aliceApi.direct(bob.account);
        const menu = `${site.origin}/menu`;
        const later = `${site.origin}/later`;
        // Off screen at first: asked for only when scrolled to.
        await aliceApi.send(chat, zh ? `下周的在这里 ${later}` : `Next week's is at ${later}`);
        for (let i = 1; i <= 14; i++) await aliceApi.send(chat, `${i}`);
        await aliceApi.send(chat, zh ? `这个不存在 ${site.origin}/gone` : `This one is gone ${site.origin}/gone`);
        const last = await aliceApi.send(chat, zh ? `菜单：${menu} 还有 ${site.origin}/menu-2` : `Menu: ${menu} and also ${site.origin}/menu-2`);
        // Read already: the chat opens at its end.
        await (await api(server, bob)).request("POST", `/v1/conversations/${chat}/read`, { seq: last });

        // The phone in the dark theme, so that axe checks the card's colours in both.
        const b = await signedIn(browser, server, bob, { locale, viewport, colorScheme: device === "phone" ? "dark" : "light" });
        const asked: string[] = [];
        b.page.on("request", (r) => {
          const u = new URL(r.url());
          if (u.pathname === "/v1/link-preview") asked.push(u.searchParams.get("url") ?? "");
        });
        await b.page.getByRole("button", { name: new RegExp(`^${zh ? "李娜" : "Alice"}`) }).click();

        const row = messages(b.page).filter({ hasText: menu });
        const card = row.getByTestId("link-preview");
        await expect(card).toBeVisible();
        await expect(card).toContainText(zh ? "本周午餐菜单" : "This week's lunch menu");
        await expect(card).toContainText(zh ? "食堂本周供应的菜品。" : "What the canteen serves this week.");
        await expect(card).toContainText("Canteen");
        await expect(card).toHaveAttribute("href", menu);
        await expect(card).toHaveAttribute("target", "_blank");
        await expect(card).toHaveAttribute("rel", "noopener noreferrer");
        await expect(card).toHaveAccessibleName(zh ? /^Canteen 本周午餐菜单 .*（在新标签页打开）$/ : /^Canteen This week's lunch menu .*\(opens in a new tab\)$/);
        // The image is the server's thumbnail, never the site's own address.
        const image = card.locator("img");
        await expect(image).toHaveClass(/loaded/);
        expect(await image.getAttribute("src")).toMatch(/^blob:/);
        // Only the first link of a message.
        await expect(row.getByTestId("link-preview")).toHaveCount(1);
        expect(asked).not.toContain(`${site.origin}/menu-2`);

        // A page without a preview leaves nothing behind once answered.
        const gone = messages(b.page).filter({ hasText: `${site.origin}/gone` });
        await expect(gone.locator(".link-preview-place")).toHaveCount(0);
        await expect(gone.getByTestId("link-preview")).toHaveCount(0);

        // The message above, rendered but off screen, was not asked for.
        const far = messages(b.page).filter({ hasText: later });
        await expect(far).toHaveCount(1);
        await expect(far).not.toBeInViewport();
        expect(asked).not.toContain(later);
        expect(site.hits.get("/later") ?? 0).toBe(0);
        await shot(b.page, `previews-${lang}-${device}`);
        await expectAccessible(b.page, "a chat with a link preview");

        // From the keyboard: the card is in the message's Tab order and Enter opens a new tab.
        await row.focus();
        for (let i = 0; i < 4 && !(await card.evaluate((el) => el === document.activeElement)); i++) await b.page.keyboard.press("Tab");
        await expect(card).toBeFocused();
        const opened = b.context.waitForEvent("page");
        await b.page.keyboard.press("Enter");
        const tab = await opened;
        await tab.waitForLoadState();
        expect(tab.url()).toBe(menu);
        // noopener: the new tab cannot reach back to the chat.
        expect(await tab.evaluate(() => window.opener)).toBeNull();
        await tab.close();

        // Scrolled to, the far one is asked for and grows in.
        await far.scrollIntoViewIfNeeded();
        await expect(far.getByTestId("link-preview")).toContainText(zh ? "本周午餐菜单 2" : "This week's lunch menu 2");

        // Asked once per page load: the same link again shows at once, without asking.
        const before = asked.filter((u) => u === menu).length;
        expect(before).toBe(1);
        await aliceApi.send(chat, zh ? `再发一次 ${menu}` : `Once more ${menu}`);
        const again = messages(b.page).filter({ hasText: zh ? "再发一次" : "Once more" });
        await expect(again.getByTestId("link-preview")).toBeVisible();
        expect(asked.filter((u) => u === menu).length).toBe(1);
        // The server fetched the page once for all of it.
        expect(site.hits.get("/menu")).toBe(1);
        await b.context.close();
      } finally {
        await server.stop();
        await site.stop();
      }
    });
  }
}

test("no preview cards when the server's previews are off", async ({ browser }) => {
  const site = await Site.start("Lunch", "Food.");
  const server = await serverFor(site, { MAGPIE_LINK_PREVIEWS: "false" });
  try {
    const alice = await server.addUser("alice", { displayName: "Alice" });
    const bob = await server.addUser("bob", { displayName: "Bob" });
    const aliceApi = await api(server, alice);
    const chat = await aliceApi.direct(bob.account);
    await aliceApi.send(chat, `Menu: ${site.origin}/menu`);
    await aliceApi.send(chat, `Later: ${site.origin}/later`);
    const b = await signedIn(browser, server, bob);
    await b.page.getByRole("button", { name: /^Alice/ }).click();
    const log = b.page.getByRole("log");
    await expect(log.getByText("Later:")).toBeVisible();
    // Both answered (the places are gone) and neither left a card.
    await expect(log.locator(".link-preview-place")).toHaveCount(0);
    await expect(log.getByTestId("link-preview")).toHaveCount(0);
    expect(site.hits.size).toBe(0);
    await b.context.close();
  } finally {
    await server.stop();
    await site.stop();
  }
});
