// Fixtures for the browser tests: a real magpie server per test (from @magpie/testkit), and
// helpers that act as a person would, through the page's accessible names.

import { test as base, expect, type Browser, type BrowserContext, type Page } from "@playwright/test";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startServer, type TestServer, type User } from "@magpie/testkit";

/** Where the suite writes its screenshots of the main screens. */
export const SCREENSHOTS = join(dirname(fileURLToPath(import.meta.url)), "screenshots");
mkdirSync(SCREENSHOTS, { recursive: true });

export const test = base.extend<{ server: TestServer }>({
  // eslint-disable-next-line no-empty-pattern
  server: async ({}, use) => {
    const server = await startServer();
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
  options: { locale?: string; viewport?: { width: number; height: number } } = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    baseURL: server.url,
    locale: options.locale ?? "en-US",
    viewport: options.viewport ?? { width: 1280, height: 800 },
  });
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

export async function signIn(page: Page, user: User): Promise<void> {
  await page.getByLabel("Account").fill(user.account);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("list", { name: "Conversations" })).toBeVisible();
}

/** Opens (or creates) the direct chat with the person shown as `name`, from "New chat". */
export async function openChatWith(page: Page, name: string): Promise<void> {
  await page.getByRole("button", { name: "New chat" }).click();
  await page.getByLabel("Search people").fill(name);
  await page.getByRole("button", { name, exact: true }).click();
  await expect(page.getByRole("log", { name: "Messages" })).toBeVisible();
}

/** Types `text` into the composer and presses Enter. */
export async function send(page: Page, text: string): Promise<void> {
  const composer = page.getByLabel("Message", { exact: true });
  await composer.fill(text);
  await composer.press("Enter");
}

/** The message rows of the open conversation. */
export function messages(page: Page) {
  return page.getByRole("log", { name: "Messages" }).getByTestId("message");
}

/** The conversation list's entry whose title starts with `title`. */
export function conversation(page: Page, title: string) {
  return page.getByRole("list", { name: "Conversations" }).getByRole("button", { name: new RegExp(`^${title}`) });
}

export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: false });
}
