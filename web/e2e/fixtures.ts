// Fixtures for the browser tests: a real magpie server per test (from @magpie/testkit), and
// helpers that act as a person would, through the page's accessible names.

import AxeBuilder from "@axe-core/playwright";
import { test as base, expect, type Browser, type BrowserContext, type Page } from "@playwright/test";
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, statSync } from "node:fs";
import { dirname, join, normalize, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startServer, type TestServer, type User } from "@magpie/testkit";
import { en } from "../app/src/i18n/en.ts";
import { zh } from "../app/src/i18n/zh.ts";

const here = dirname(fileURLToPath(import.meta.url));

/** Where the suite writes its screenshots of the main screens. */
export const SCREENSHOTS = join(here, "screenshots");
mkdirSync(SCREENSHOTS, { recursive: true });

/** The built web client of this working tree (`scripts/web-build`), which `scripts/web-build
 * --check` keeps equal to the sources. The browser loads the app from here and talks to the
 * real server for everything under /v1, so the suite tests the client as it is in the tree
 * also when the server binary was built from an older one (the binary embeds the bundle it
 * was compiled with). `MAGPIE_WEB_CLIENT=embedded` loads the binary's own bundle instead, and
 * `MAGPIE_WEB_DIST=<folder>` another build (`npx vite build --outDir <folder>` in web/app: the
 * sources as they are, before their bundle is committed). */
const DIST = resolve(process.env.MAGPIE_WEB_DIST ?? resolve(here, "../../crates/magpie-web/dist"));

async function serveClient(context: BrowserContext, server: TestServer): Promise<void> {
  if (process.env.MAGPIE_WEB_CLIENT === "embedded") return;
  const origin = new URL(server.url).origin;
  await context.route(
    (url) => url.origin === origin && url.pathname !== "/v1" && !url.pathname.startsWith("/v1/"),
    async (route) => {
      const path = normalize(decodeURIComponent(new URL(route.request().url()).pathname));
      const file = join(DIST, path);
      const isFile = file.startsWith(DIST + "/") && existsSync(file) && statSync(file).isFile();
      // Like the server: a built file, or index.html for every client-side route.
      await route.fulfill({ path: isFile ? file : join(DIST, "index.html") });
    },
  );
}

/** A browser context (its own storage: another person, or another device) on the test server. */
export async function newContext(
  browser: Browser,
  server: TestServer,
  options: { locale?: string; viewport?: { width: number; height: number }; colorScheme?: "light" | "dark" } = {},
): Promise<BrowserContext> {
  const context = await browser.newContext({
    baseURL: server.url,
    locale: options.locale ?? "en-US",
    viewport: options.viewport ?? { width: 1280, height: 800 },
    colorScheme: options.colorScheme ?? "light",
  });
  await serveClient(context, server);
  return context;
}

export const test = base.extend<{ server: TestServer; serverEnv: Record<string, string>; closeContexts: void }>({
  // More environment for the test's server, e.g. `test.use({ serverEnv: mailServerEnv() })`
  // (mail.ts) for a server that mails through the test SMTP server.
  serverEnv: [{}, { option: true }],
  // Closes the contexts a test opened with newContext() or signedIn(). Playwright does not, and
  // a worker's tests share its browser: every page of every earlier test stayed open, each a
  // renderer process of over 100 MB with its app retrying its stopped server: hundreds of them
  // by the end of a run. Pages first: Playwright screenshots the pages of a context that closes
  // (for `screenshot: "only-on-failure"`), and a failed test's pages are taken already.
  closeContexts: [
    async ({ browser }, use) => {
      await use();
      for (const context of browser.contexts()) {
        await Promise.all(context.pages().map((page) => page.close()));
        await context.close();
      }
    },
    { auto: true },
  ],
  server: async ({ serverEnv }, use) => {
    const server = await startServer({ env: serverEnv });
    await use(server);
    await server.stop();
  },
});

export { expect };

/** A browser context (its own storage: another person, or another device) signed in as `user`. */
export async function signedIn(
  browser: Browser,
  server: TestServer,
  user: User,
  options: { locale?: string; viewport?: { width: number; height: number }; colorScheme?: "light" | "dark" } = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await newContext(browser, server, options);
  const page = await context.newPage();
  await page.goto("/");
  await signIn(page, user);
  return { context, page };
}

/** Alice and Bob, made with the admin CLI, each signed in in a browser context of their own. */
export async function aliceAndBob(browser: Browser, server: TestServer) {
  const alice = await server.addUser("alice", { displayName: "Alice" });
  const bob = await server.addUser("bob", { displayName: "Bob" });
  const a = await signedIn(browser, server, alice);
  const b = await signedIn(browser, server, bob);
  return { alice, bob, a, b };
}

/** The app's own words in the page's language, for finding things by their accessible names. */
export async function words(page: Page): Promise<typeof en> {
  return (await page.evaluate(() => document.documentElement.lang)).startsWith("zh") ? zh : en;
}

export async function signIn(page: Page, user: User): Promise<void> {
  const w = await words(page);
  await page.getByLabel(w["auth.account"]).fill(user.account);
  await page.getByLabel(w["auth.password"]).fill(user.password);
  await page.getByRole("button", { name: w["auth.signIn"] }).click();
  await expect(page.getByRole("list", { name: w["list.label"] })).toBeVisible();
}

/** Opens (or creates) the direct chat with the person shown as `name`, from "New chat". */
export async function openChatWith(page: Page, name: string): Promise<void> {
  const w = await words(page);
  await page.getByRole("button", { name: w["list.newChat"] }).click();
  await page.getByLabel(w["newChat.search"]).fill(name);
  await page.getByRole("button", { name, exact: true }).click();
  await expect(page.getByRole("log", { name: w["chat.messages"] })).toBeVisible();
}

/** Types `text` into the composer and presses Enter. */
export async function send(page: Page, text: string): Promise<void> {
  const composer = page.getByLabel((await words(page))["composer.message"], { exact: true });
  await composer.fill(text);
  await composer.press("Enter");
}

/** The message rows of the open conversation (in any language: the page has one log). */
export function messages(page: Page) {
  return page.getByRole("log").getByTestId("message");
}

/** The conversation list's entry whose title starts with `title`. */
export function conversation(page: Page, title: string) {
  return page.getByRole("list", { name: new RegExp(`^(${en["list.label"]}|${zh["list.label"]})$`) }).getByRole("button", { name: new RegExp(`^${title}`) });
}

/** The WCAG 2.0, 2.1 and 2.2 A and AA rules. */
const WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];

export async function expectAccessible(page: Page, screen: string): Promise<void> {
  // What is fading in is checked once it has: halfway, its colours are not its colours.
  await page.waitForFunction(() => document.getAnimations().every((a) => a.playState !== "running" || a.effect?.getTiming().iterations === Infinity));
  const { violations } = await new AxeBuilder({ page }).withTags(WCAG_AA).analyze();
  const serious = violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}) on ${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")}: ${v.help}`);
  expect(serious, `axe on ${screen}`).toEqual([]);
}

export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: false });
}

/** A person acting through the REST API, as a bot or another device would: for setting up a
 * conversation's history without clicking through it. */
export interface Api {
  account: string;
  direct(peer: string): Promise<number>;
  group(name: string, members: string[]): Promise<number>;
  send(conversation: number, text: string, options?: { mentions?: string[]; mentionAll?: boolean }): Promise<number>;
  request<T>(method: string, path: string, body?: unknown): Promise<T>;
}

export async function api(server: TestServer, user: User): Promise<Api> {
  const call = async <T>(method: string, path: string, body?: unknown, token?: string): Promise<T> => {
    const response = await fetch(server.url + path, {
      method,
      headers: { "Content-Type": "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
  const { token } = await call<{ token: string }>("POST", "/v1/auth/login", { account: user.account, password: user.password, device: "test api" });
  const request = <T>(method: string, path: string, body?: unknown) => call<T>(method, path, body, token);
  return {
    account: user.account,
    request,
    async direct(peer) {
      return (await request<{ id: number }>("POST", "/v1/conversations", { kind: "direct", peer })).id;
    },
    async group(name, members) {
      return (await request<{ id: number }>("POST", "/v1/conversations", { kind: "group", name, members })).id;
    },
    async send(conversation, text, options = {}) {
      const ack = await request<{ seq: number }>("POST", `/v1/conversations/${conversation}/messages`, {
        client_msg_id: randomUUID(),
        kind: "text",
        body: { text },
        ...(options.mentions ? { mentions: options.mentions } : {}),
        ...(options.mentionAll ? { mention_all: true } : {}),
      });
      return ack.seq;
    },
  };
}

/** The two screens every journey is checked on: a laptop and a phone. */
export const VIEWPORTS = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } } as const;
/** The two languages, as browser locales. */
export const LOCALES = { en: "en-US", zh: "zh-CN" } as const;
