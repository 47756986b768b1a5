// The workbench (工作台) and its OAuth 2.0 consent, with an app that the test serves itself on
// loopback: an H5 page that loads the server's bridge script (/v1/apps/bridge.js), its icon, and
// an app server that signs people in with OAuth 2.0 and PKCE.
//
// First: in Administration → Apps, Alice (the domain's administrator) adds the app with its icon;
// its client ID and secret show once. Bob opens the workbench: the app's tile with its icon, which
// the Magpie server fetched (the browser never asks the icon's site), then the app inside Magpie,
// whose page asks the bridge who he is and shows his account. Its "sign in" button asks the bridge
// to authorize it: Magpie asks Bob in a dialog; he denies it and the app is told so; he allows it
// and the app gets a code, which it exchanges; the next time it goes through at once. Its "open
// chat" button opens his direct chat with Carol in Magpie. Back in the app, its "send card" button
// asks him first (the card and the chat it goes to): he cancels, and the app is told so; he asks
// again and sends, and the card is in the chat, as his.
//
// Second: Bob, signed out, goes to the app's site, which sends his browser to Magpie's consent
// page with a PKCE challenge. He signs in and is back on the consent page, which says what the app
// asks in plain words; he allows it, the app gets a code, exchanges it (with the secret and the
// verifier) at /oauth/token, and shows who he is from /v1/me. A second sign-in goes through at
// once. In Settings → Connected apps he revokes the app: its token stops working, and the next
// sign-in asks him again; he denies it, and the app is told `access_denied`.
//
// Deterministic: the test waits on the pages and on the app's own requests, never on the clock.

import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Page } from "@playwright/test";
import { startServer } from "@magpie/testkit";
import { test, expect, api, conversation, expectAccessible, messages, newContext, shot, signedIn, words } from "../fixtures.ts";
import { gradientPng } from "../png.ts";
import { fill } from "../../app/src/i18n/index.ts";

const APP_NAME = "Leave";
const APP_DESCRIPTION = "Ask for days off";
const CARD_TITLE = "Leave request";

/** What the app's token endpoint answered, and what /v1/me said with the token. */
interface Exchange { status: number; token?: Record<string, unknown>; me?: { account: string }; error?: string }

const base64url = (bytes: Buffer) => bytes.toString("base64url");
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The app: its H5 page (`/h5`), its icon (`/icon.png`) and an OAuth 2.0 client (`/start`,
 * `/callback`, `/me`) on loopback. Every request it finished wakes `until`. */
class AppSite {
  clientId = "";
  clientSecret = "";
  readonly exchanges: Exchange[] = [];
  readonly denied: string[] = [];
  /** The User-Agent of each request for the icon. */
  readonly iconFetchedBy: string[] = [];
  /** The last access token it was given. */
  accessToken = "";
  /** The Magpie server's origin, once it runs. */
  magpie = "";
  private readonly flows = new Map<string, string>();
  private readonly woken = new Set<() => void>();

  private constructor(private readonly server: Server, readonly url: string) {}

  /** The app's site; `magpie` is the origin of the Magpie server, if it runs already. */
  static async start(magpie?: string): Promise<AppSite> {
    let site: AppSite | undefined;
    const server = createServer((req, res) => {
      void site!.handle(req, res).catch((e: unknown) => {
        res.writeHead(500, { "Content-Type": "text/plain" }).end(String(e));
      }).finally(() => { for (const wake of site!.woken) wake(); });
    });
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
    site = new AppSite(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    if (magpie) site.magpie = new URL(magpie).origin;
    return site;
  }

  get port(): number {
    return Number(new URL(this.url).port);
  }

  get redirectUri(): string {
    return `${this.url}/callback`;
  }

  private page(res: ServerResponse, body: string): void {
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" });
    res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${APP_NAME}</title></head><body>${body}</body></html>`);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.url);
    if (url.pathname === "/h5") return this.page(res, this.h5());
    if (url.pathname === "/icon.png") {
      this.iconFetchedBy.push(req.headers["user-agent"] ?? "");
      const png = gradientPng(64, 64);
      res.writeHead(200, { "Content-Type": "image/png", "Content-Length": png.length }).end(png);
      return;
    }
    if (url.pathname === "/start") {
      const to = new URL(`${this.magpie}/oauth/authorize`);
      for (const [name, value] of Object.entries({ response_type: "code", ...this.flow() })) to.searchParams.set(name, value);
      // A page that sends the browser on (rather than a 302): Playwright serves the tree's client
      // only to requests it routes, and the target of a redirect is not routed (the server's own
      // bundle, from when the binary was built, would answer).
      return this.page(res, `<script>location.replace(${JSON.stringify(to.toString()).replace(/</g, "\\u003c")});</script>`);
    }
    if (url.pathname === "/callback") {
      const state = url.searchParams.get("state") ?? "";
      const verifier = this.flows.get(state);
      this.flows.delete(state);
      if (verifier === undefined) return this.page(res, `<p id="error">unknown state</p>`);
      const error = url.searchParams.get("error");
      if (error) {
        this.denied.push(error);
        return this.page(res, `<p id="error">${escapeHtml(error)}</p>`);
      }
      const exchange = await this.exchange(url.searchParams.get("code") ?? "", verifier);
      this.exchanges.push(exchange);
      return this.page(res, exchange.me ? `<p id="account">${escapeHtml(exchange.me.account)}</p>` : `<p id="error">${escapeHtml(exchange.error ?? "")}</p>`);
    }
    if (url.pathname === "/login/start") {
      // Inside the workbench: the page asks the bridge (`magpie.authorize`) with these.
      res.writeHead(200, { "Content-Type": "application/json", "Cache-Control": "no-store" }).end(JSON.stringify(this.flow()));
      return;
    }
    if (url.pathname === "/login/finish") {
      // The code the bridge answered, exchanged as one sent to /callback would be.
      const verifier = this.flows.get(url.searchParams.get("state") ?? "");
      this.flows.delete(url.searchParams.get("state") ?? "");
      const exchange = verifier === undefined ? { status: 400, error: "unknown state" } : await this.exchange(url.searchParams.get("code") ?? "", verifier);
      if (verifier !== undefined) this.exchanges.push(exchange);
      res.writeHead(200, { "Content-Type": "application/json", "Cache-Control": "no-store" }).end(JSON.stringify({ account: exchange.me?.account, error: exchange.error }));
      return;
    }
    if (url.pathname === "/me") {
      // The last token, asked again: whether it still works.
      const me = await fetch(`${this.magpie}/v1/me`, { headers: { Authorization: `Bearer ${this.accessToken}` } });
      return this.page(res, `<p id="status">${me.status}</p>`);
    }
    res.writeHead(404).end();
  }

  /** A new authorization request's parameters (but `response_type`): PKCE's verifier kept here
   * under the request's state, its S256 challenge sent. */
  private flow(): Record<string, string> {
    const verifier = base64url(randomBytes(32));
    const state = base64url(randomBytes(16));
    this.flows.set(state, verifier);
    const challenge = base64url(createHash("sha256").update(verifier).digest());
    return { client_id: this.clientId, redirect_uri: this.redirectUri, scope: "profile", state, code_challenge: challenge, code_challenge_method: "S256" };
  }

  /** The code for a token at /oauth/token (form-encoded, with the secret and the verifier), and
   * the token for the person at /v1/me. */
  private async exchange(code: string, verifier: string): Promise<Exchange> {
    const form = new URLSearchParams({
      grant_type: "authorization_code", code, redirect_uri: this.redirectUri, client_id: this.clientId, client_secret: this.clientSecret,
      code_verifier: verifier,
    });
    const answer = await fetch(`${this.magpie}/oauth/token`, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: form });
    const text = await answer.text();
    if (!answer.ok) return { status: answer.status, error: text };
    const token = JSON.parse(text) as Record<string, unknown>;
    this.accessToken = String(token.access_token);
    const me = await fetch(`${this.magpie}/v1/me`, { headers: { Authorization: `Bearer ${this.accessToken}` } });
    if (!me.ok) return { status: me.status, token, error: await me.text() };
    return { status: answer.status, token, me: (await me.json()) as { account: string } };
  }

  /** The H5 page: who the bridge says the person is, and buttons that open a chat, send a card
   * and sign in with OAuth 2.0 through the bridge; each outcome is written in #result. */
  private h5(): string {
    const card = { title: CARD_TITLE, blocks: [{ type: "text", text: "**3** days from Monday" }, { type: "fields", fields: [{ label: "Days", value: "3" }] }] };
    return `
      <h1>${APP_NAME}</h1>
      <p id="user">asking…</p>
      <label>Account <input id="peer"></label> <button id="open" type="button">Open chat</button>
      <label>Conversation <input id="conv"></label> <button id="card" type="button">Send card</button>
      <button id="login" type="button">Sign in</button>
      <p id="result"></p>
      <script src="${this.magpie}/v1/apps/bridge.js"></script>
      <script>
        const result = (text) => { document.getElementById("result").textContent = text; };
        const failed = (e) => result("error " + e.code);
        magpie.getUser().then((u) => { document.getElementById("user").textContent = u.account + " " + u.name; },
          (e) => { document.getElementById("user").textContent = "error " + e.code; });
        document.getElementById("open").onclick = () =>
          magpie.openChat({ account: document.getElementById("peer").value }).then(() => result("opened"), failed);
        document.getElementById("card").onclick = () => { result("asking"); magpie.sendCard(Number(document.getElementById("conv").value),
          ${JSON.stringify(card)}).then((r) => result("sent " + r.seq), failed); };
        document.getElementById("login").onclick = async () => {
          result("signing in");
          try {
            const start = await (await fetch("/login/start")).json();
            const got = await magpie.authorize(start);
            const done = await (await fetch("/login/finish?" + new URLSearchParams({ code: got.code, state: got.state }))).json();
            result(done.account ? "signed in " + done.account : "error " + done.error);
          } catch (e) {
            failed(e);
          }
        };
      </script>`;
  }

  /** Resolves with `found()` once it is something, checked now and after each request. */
  until<T>(what: string, found: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const value = found();
        if (!value) return;
        this.woken.delete(check);
        clearTimeout(timer);
        resolve(value);
      };
      const timer = setTimeout(() => { this.woken.delete(check); reject(new Error(`the app waited in vain for ${what}`)); }, timeoutMs);
      this.woken.add(check);
      check();
    });
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((done) => this.server.close(() => done()));
  }
}

/** The app's page, inside Magpie's panel. */
const appFrame = (page: Page) => page.frameLocator(`iframe[title="${APP_NAME}"]`);

test("an administrator adds an app; a member opens it in the workbench, and it learns who he is, signs him in after he allows it, opens a chat and sends a card he confirms", async ({ browser }) => {
  const site = await AppSite.start();
  // A server that may fetch the app's icon from loopback (as it fetches link previews).
  const server = await startServer({ env: { MAGPIE_LINK_PREVIEW_PRIVATE_RANGES_ALLOWED: "127.0.0.1/32", MAGPIE_LINK_PREVIEW_PORTS_ALLOWED: `80,443,${site.port}` } });
  site.magpie = new URL(server.url).origin;
  try {
    const alice = await server.addUser("alice", { displayName: "Alice", admin: true });
    const bob = await server.addUser("bob", { displayName: "Bob" });
    const carol = await server.addUser("carol", { displayName: "Carol" });
    const asCarol = await api(server, carol);

    // Alice adds the app in Administration → Apps: its client ID and secret show once.
    const { page: admin } = await signedIn(browser, server, alice);
    const w = await words(admin);
    await admin.getByRole("button", { name: w["nav.admin"], exact: true }).click();
    await admin.getByRole("tab", { name: w["admin.tabApps"], exact: true }).click();
    const section = admin.getByTestId("apps-admin");
    await expect(section.getByTestId("apps-none")).toBeVisible();
    await section.getByRole("button", { name: w["admin.appNew"], exact: true }).click();
    await section.getByLabel(w["admin.appName"], { exact: true }).fill(APP_NAME);
    await section.getByLabel(w["admin.appUrl"], { exact: true }).fill(`${site.url}/h5`);
    await section.getByLabel(w["admin.appIcon"], { exact: true }).fill(`${site.url}/icon.png`);
    await section.getByLabel(w["admin.appDescription"], { exact: true }).fill(APP_DESCRIPTION);
    await section.getByLabel(w["admin.appRedirects"], { exact: true }).fill(site.redirectUri);
    await section.getByRole("button", { name: w["admin.appCreate"], exact: true }).click();
    const made = admin.getByRole("alertdialog", { name: fill(w["admin.appMadeTitle"], { name: APP_NAME }) });
    await expect(made).toBeVisible();
    const clientId = (await made.getByTestId("app-client-id-value").textContent()) ?? "";
    expect(clientId).not.toBe("");
    await expect(made.getByTestId("app-secret-value")).not.toBeEmpty();
    site.clientId = clientId;
    site.clientSecret = (await made.getByTestId("app-secret-value").textContent()) ?? "";
    await expectAccessible(admin, "a new app's client ID and secret");
    await made.getByRole("button", { name: w["admin.done"], exact: true }).click();
    await expect(section.getByTestId("app-row")).toHaveCount(1);
    await expect(section.getByTestId("app-name")).toHaveText(APP_NAME);
    await expect(section.getByTestId("app-client-id")).toHaveText(clientId);
    await expect(section.getByTestId("app-who")).toHaveText(w["admin.appEveryone"]);

    // Bob opens the workbench and the app: its page learns from the bridge who he is.
    const { page } = await signedIn(browser, server, bob);
    await page.getByRole("button", { name: w["nav.workbench"], exact: true }).click();
    const tile = page.getByRole("list", { name: w["workbench.apps"] }).getByRole("button", { name: APP_NAME });
    await expect(tile).toContainText(APP_DESCRIPTION);
    // Its icon, from the Magpie server as an object URL: the page never contacts the icon's site.
    await expect(tile.locator(".app-icon img")).toHaveAttribute("src", /^blob:/);
    await expect.poll(() => tile.locator(".app-icon img").evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBeGreaterThan(0);
    expect(site.iconFetchedBy.length).toBeGreaterThan(0);
    for (const agent of site.iconFetchedBy) expect(agent).toMatch(/^Magpie\//);
    await expectAccessible(page, "the workbench");
    await shot(page, "workbench");
    await tile.click();
    const panel = page.getByTestId("app-panel");
    await expect(panel.getByRole("heading", { name: APP_NAME })).toBeVisible();
    await expect(panel.getByRole("link", { name: w["workbench.openInTab"] })).toHaveAttribute("href", `${site.url}/h5`);
    const iframe = panel.locator("iframe");
    await expect(iframe).toHaveAttribute("sandbox", "allow-scripts allow-forms allow-same-origin allow-popups");
    await expect(iframe).toHaveAttribute("referrerpolicy", "origin");
    const frame = appFrame(page);
    await expect(frame.locator("#user")).toHaveText(`${bob.account} Bob`);
    await shot(page, "workbench-app");

    // "Sign in": the app asks Magpie through the bridge (OAuth 2.0 with PKCE), and Magpie asks Bob
    // first, over the app, in the consent page's words.
    await frame.locator("#login").click();
    const consent = page.getByRole("alertdialog", { name: fill(w["consent.title"], { app: APP_NAME }) });
    await expect(consent).toBeVisible();
    await expect(consent.getByTestId("consent-scopes").getByRole("listitem")).toHaveText([w["apps.scopeProfile"]]);
    await expect(consent.getByRole("button", { name: w["consent.deny"], exact: true })).toBeFocused();
    await expectAccessible(page, "an app's sign-in to allow, in the workbench");
    // He denies it: the app is told so.
    await consent.getByRole("button", { name: w["consent.deny"], exact: true }).click();
    await expect(consent).toHaveCount(0);
    await expect(frame.locator("#result")).toHaveText("error cancelled");
    // He allows it: the app gets a code, exchanges it, and knows him.
    await frame.locator("#login").click();
    await consent.getByRole("button", { name: w["consent.allow"], exact: true }).click();
    await expect(consent).toHaveCount(0);
    await expect(frame.locator("#result")).toHaveText(`signed in ${bob.account}`);
    expect(site.exchanges).toHaveLength(1);
    expect(site.exchanges[0]!.token).toMatchObject({ token_type: "Bearer", scope: "profile", account: bob.account });
    // Again: granted already, so at once, without a question.
    await frame.locator("#login").click();
    await site.until("the second exchange", () => site.exchanges[1]);
    await expect(frame.locator("#result")).toHaveText(`signed in ${bob.account}`);
    await expect(consent).toHaveCount(0);

    // "Open chat": Magpie shows Bob's direct chat with Carol.
    await frame.locator("#peer").fill(carol.account);
    await frame.locator("#open").click();
    await expect(page).toHaveURL(/\/c\/\d+$/);
    await expect(page.getByRole("log", { name: w["chat.messages"] })).toBeVisible();
    await expect(page.locator(".chat-header h2")).toContainText("Carol");
    const chat = Number(/\/c\/(\d+)$/.exec(page.url())![1]);

    // Back in the app, "send card": Bob is asked first, with the card and where it goes.
    await page.getByRole("button", { name: w["nav.workbench"], exact: true }).click();
    await page.getByRole("list", { name: w["workbench.apps"] }).getByRole("button", { name: APP_NAME }).click();
    await expect(frame.locator("#user")).toHaveText(`${bob.account} Bob`);
    await frame.locator("#conv").fill(String(chat));
    await frame.locator("#card").click();
    const ask = page.getByRole("alertdialog", { name: w["workbench.cardTitle"] });
    await expect(ask).toBeVisible();
    await expect(ask.getByTestId("app-card-to")).toHaveText(fill(w["workbench.cardTo"], { app: APP_NAME, name: "Carol" }));
    await expect(ask.getByTestId("app-card")).toContainText(CARD_TITLE);
    await expectAccessible(page, "an app's card to confirm");
    await shot(page, "workbench-card-confirm");
    // He cancels: the app is told so, and nothing is sent.
    await ask.getByRole("button", { name: w["common.cancel"], exact: true }).click();
    await expect(ask).toHaveCount(0);
    await expect(frame.locator("#result")).toHaveText("error cancelled");
    // He asks again and sends.
    await frame.locator("#card").click();
    await expect(ask).toBeVisible();
    await ask.getByRole("button", { name: w["workbench.cardSend"], exact: true }).click();
    await expect(frame.locator("#result")).toHaveText(/^sent \d+$/);
    const seq = Number(((await frame.locator("#result").textContent()) ?? "").replace("sent ", ""));

    // The card is in the chat, Bob's, for both.
    await page.getByRole("button", { name: w["nav.chats"], exact: true }).click();
    await conversation(page, "Carol").click();
    await expect(messages(page).filter({ hasText: CARD_TITLE }).getByTestId("app-card")).toBeVisible();
    const stored = await asCarol.request<{ entries: { seq: number; sender: string; kind: string; body: { card?: string; title?: string } }[] }>(
      "GET", `/v1/conversations/${chat}/messages`,
    );
    expect(stored.entries.find((e) => e.seq === seq)).toMatchObject({ sender: bob.account, kind: "card", body: { card: "interactive", title: CARD_TITLE } });
    expect(stored.entries.filter((e) => e.kind === "card")).toHaveLength(1);
  } finally {
    await site.close();
    await server.stop();
  }
});

test("an app signs a member in with OAuth 2.0: consent after signing in, at once the next time, asked again after he revokes it, and denied", async ({ browser, server }) => {
  const site = await AppSite.start(server.url);
  try {
    const alice = await server.addUser("alice", { displayName: "Alice", admin: true });
    const bob = await server.addUser("bob", { displayName: "Bob" });
    const asAlice = await api(server, alice);
    const made = await asAlice.request<{ app: { id: number; client_id: string }; client_secret: string }>("POST", "/v1/admin/domains/localhost/apps", {
      name: APP_NAME, description: APP_DESCRIPTION, url: `${site.url}/h5`, redirect_uris: [site.redirectUri], scopes: ["profile"],
    });
    expect(made.client_secret).toEqual(expect.any(String));
    site.clientId = made.app.client_id;
    site.clientSecret = made.client_secret;

    // Bob, signed out, starts at the app: Magpie asks him to sign in, then for his consent.
    const context = await newContext(browser, server);
    const page = await context.newPage();
    await page.goto(`${site.url}/start`);
    await expect(page).toHaveURL(/\/oauth\/authorize\?/);
    const w = await words(page);
    await page.getByLabel(w["auth.account"]).fill(bob.account);
    await page.getByLabel(w["auth.password"]).fill(bob.password);
    await page.getByRole("button", { name: w["auth.signIn"] }).click();
    await expect(page.getByRole("heading", { name: fill(w["consent.title"], { app: APP_NAME }) })).toBeVisible();
    await expect(page).toHaveURL(/\/oauth\/authorize\?.*code_challenge_method=S256/);
    await expect(page.getByTestId("consent-description")).toHaveText(APP_DESCRIPTION);
    await expect(page.getByTestId("consent-scopes").getByRole("listitem")).toHaveText([w["apps.scopeProfile"]]);
    await expectAccessible(page, "the consent page");
    await shot(page, "oauth-consent");

    // He allows it: the app gets a code, exchanges it, and knows him.
    await page.getByRole("button", { name: w["consent.allow"], exact: true }).click();
    await site.until("the code's exchange", () => site.exchanges[0]);
    await expect(page.locator("#account")).toHaveText(bob.account);
    expect(page.url().startsWith(`${site.url}/callback?`)).toBe(true);
    expect(site.exchanges).toHaveLength(1);
    expect(site.exchanges[0]!.token).toMatchObject({ token_type: "Bearer", scope: "profile", account: bob.account });
    expect(site.exchanges[0]!.token).toMatchObject({ access_token: expect.any(String), refresh_token: expect.any(String), expires_in: expect.any(Number) });

    // The next time, granted already: straight back to the app, without a question.
    await page.goto(`${site.url}/start`);
    await expect(page.locator("#account")).toHaveText(bob.account);
    expect(site.exchanges).toHaveLength(2);

    // In Settings → Connected apps he revokes it: its token stops working.
    await page.goto("/settings");
    const connected = page.getByTestId("connected-apps");
    await expect(connected.getByTestId("connected-app")).toHaveCount(1);
    await expect(connected.getByTestId("connected-app")).toContainText(APP_NAME);
    await expectAccessible(page, "Settings → Connected apps");
    await connected.getByRole("button", { name: fill(w["settings.connectedAppRevokeNamed"], { name: APP_NAME }) }).click();
    await page.getByRole("alertdialog").getByRole("button", { name: w["settings.connectedAppRevoke"], exact: true }).click();
    await expect(connected.getByTestId("connected-apps-none")).toBeVisible();
    await page.goto(`${site.url}/me`);
    await expect(page.locator("#status")).toHaveText("401");

    // Asked again: he denies it, and the app is told so.
    await page.goto(`${site.url}/start`);
    await expect(page.getByRole("heading", { name: fill(w["consent.title"], { app: APP_NAME }) })).toBeVisible();
    await page.getByRole("button", { name: w["consent.deny"], exact: true }).click();
    await site.until("the denial", () => site.denied[0]);
    await expect(page.locator("#error")).toHaveText("access_denied");
    expect(site.denied).toEqual(["access_denied"]);
    expect(site.exchanges).toHaveLength(2);

    // A request the server refuses is said on the page, and the browser stays.
    await page.goto(`/oauth/authorize?response_type=code&client_id=${encodeURIComponent(site.clientId)}&redirect_uri=${encodeURIComponent("https://elsewhere.example/cb")}&scope=profile&state=s&code_challenge=abc&code_challenge_method=S256`);
    await expect(page.getByTestId("consent-error")).toBeVisible();
    await expect(page).toHaveURL(/\/oauth\/authorize\?/);
  } finally {
    await site.close();
  }
});
