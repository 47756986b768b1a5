// The workbench (工作台) in RestClient and MagpieClient. Against a stubbed fetch: the requests that
// a domain's administrators make for its apps (listed, made, changed, deleted, put in order, their
// secrets rotated) and that a member makes (the apps they may open, an app's icon, an OAuth 2.0
// authorization asked about and granted, their grants listed and withdrawn), each to its path with
// its body, and the answers unwrapped where a list comes in an object. Against the real server: an
// administrator installs an app with an icon on loopback and one without; a member sees both (the
// empty fields left out), gets the first's icon as a JPEG the server made and a 404 for the
// other's, allows the first, exchanges the code at /oauth/token, lists the grant and withdraws it.

import { createHash, randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from "vitest";

import { MagpieError, RestClient, type MagpieClient } from "../src/index.ts";
import type { App, AppGrant, AuthorizeInfo, AuthorizeRequest, WorkbenchApp } from "../src/index.ts";
import { online, png, startServer, type TestServer } from "./harness.ts";

const LEAVE: WorkbenchApp = { id: 3, name: "请假", description: "Leave requests", icon: "https://apps.example.com/leave.png", url: "https://apps.example.com/leave/" };
const LEAVE_ADMIN: App = {
  ...LEAVE, client_id: "app_3f9", redirect_uris: ["https://apps.example.com/leave/callback"], scopes: ["profile", "messages:write"],
  position: 0, created_at_ms: 1_795_465_400_000,
};
const REQUEST: AuthorizeRequest = {
  response_type: "code", client_id: "app_3f9", redirect_uri: "https://apps.example.com/leave/callback", scope: "profile messages:write",
  state: "x y&z", code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", code_challenge_method: "S256",
};

describe("against a stubbed fetch", () => {
  afterEach(() => { vi.unstubAllGlobals(); });

  /** fetch answers `answers` in turn (status and JSON body, a Blob, or 204 with none), recording the calls. */
  function stubFetch(...answers: [number, unknown?][]) {
    const calls: { url: string; init: RequestInit }[] = [];
    vi.stubGlobal("fetch", async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      const [status, body] = answers.shift() ?? [500, { error: { code: "internal", message: "no answer left" } }];
      if (status === 204) return new Response(null, { status });
      if (body instanceof Blob) return new Response(body, { status, headers: { "Content-Type": body.type } });
      return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
    });
    return calls;
  }
  const sent = (c: { init: RequestInit }) => (c.init.body === undefined ? undefined : JSON.parse(String(c.init.body)) as unknown);
  const asked = (calls: { url: string; init: RequestInit }[]) => calls.map((c) => [c.init.method ?? "GET", c.url, sent(c)]);

  describe("RestClient: a domain's apps, for its administrators", () => {
    test("lists, makes, changes, orders, rotates and deletes them at their paths", async () => {
      const made = { app: LEAVE_ADMIN, client_secret: "mgs_secret" };
      const { icon: _icon, ...withoutIcon } = LEAVE_ADMIN;
      const calls = stubFetch(
        [200, { apps: [LEAVE_ADMIN] }], [201, made], [200, withoutIcon], [200, { apps: [LEAVE_ADMIN] }],
        [200, { client_secret: "mgs_new" }], [204],
      );
      const rest = new RestClient("https://chat.example.com", "tok");
      expect(await rest.apps("example.com")).toEqual([LEAVE_ADMIN]);
      expect(await rest.createApp("example.com", {
        name: "请假", url: LEAVE.url, redirect_uris: LEAVE_ADMIN.redirect_uris, scopes: LEAVE_ADMIN.scopes, departments: [4, 7],
      })).toEqual(made);
      expect(await rest.updateApp(3, { icon: null, departments: null })).toEqual(withoutIcon);
      expect(await rest.orderApps("example.com", [3])).toEqual([LEAVE_ADMIN]);
      expect(await rest.rotateAppSecret(3)).toEqual({ client_secret: "mgs_new" });
      expect(await rest.deleteApp(3)).toBeUndefined();
      expect(asked(calls)).toEqual([
        ["GET", "https://chat.example.com/v1/admin/domains/example.com/apps", undefined],
        ["POST", "https://chat.example.com/v1/admin/domains/example.com/apps", {
          name: "请假", url: LEAVE.url, redirect_uris: LEAVE_ADMIN.redirect_uris, scopes: LEAVE_ADMIN.scopes, departments: [4, 7],
        }],
        // null is sent as null: it clears the icon and opens the app to everyone.
        ["PATCH", "https://chat.example.com/v1/admin/apps/3", { icon: null, departments: null }],
        ["PUT", "https://chat.example.com/v1/admin/domains/example.com/apps/order", { apps: [3] }],
        ["POST", "https://chat.example.com/v1/admin/apps/3/secret", undefined],
        ["DELETE", "https://chat.example.com/v1/admin/apps/3", undefined],
      ]);
      expect(calls[1]!.init.headers).toMatchObject({ "Content-Type": "application/json", Authorization: "Bearer tok" });
    });

    test("rejects with the server's refusal at its field", async () => {
      stubFetch([422, { error: { code: "invalid_field", message: "not an https URL", field: "redirect_uris[0]" } }]);
      const error = await new RestClient("", "tok").createApp("x", { name: "a", url: "https://a", redirect_uris: ["ftp://a"], scopes: [] })
        .then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(MagpieError);
      expect(error).toMatchObject({ code: "invalid_field", field: "redirect_uris[0]", status: 422 });
    });
  });

  describe("RestClient: the workbench, for a member", () => {
    test("lists the apps the member may open, and their grants, and withdraws one", async () => {
      const grant: AppGrant = { app: LEAVE, scopes: ["profile"], granted_at_ms: 1_795_465_400_000 };
      const calls = stubFetch([200, { apps: [LEAVE] }], [200, { grants: [grant] }], [204]);
      const rest = new RestClient("", "tok");
      expect(await rest.workbenchApps()).toEqual([LEAVE]);
      expect(await rest.appGrants()).toEqual([grant]);
      expect(await rest.revokeAppGrant(3)).toBeUndefined();
      expect(asked(calls)).toEqual([["GET", "/v1/apps", undefined], ["GET", "/v1/apps/grants", undefined], ["DELETE", "/v1/apps/3/grant", undefined]]);
    });

    test("fetches an app's icon from the server with the session, never from the icon's site", async () => {
      const calls = stubFetch([200, new Blob([new Uint8Array([0xff, 0xd8, 0xff])], { type: "image/jpeg" })], [404, { error: { code: "not_found", message: "no icon" } }]);
      const rest = new RestClient("https://chat.example.com", "tok");
      const icon = await rest.appIcon(3);
      expect(icon.type).toBe("image/jpeg");
      expect(new Uint8Array(await icon.arrayBuffer())).toEqual(new Uint8Array([0xff, 0xd8, 0xff]));
      await expect(rest.appIcon(4)).rejects.toMatchObject({ code: "not_found", status: 404 });
      expect(calls.map((c) => c.url)).toEqual(["https://chat.example.com/v1/apps/3/icon", "https://chat.example.com/v1/apps/4/icon"]);
      expect(calls[0]!.init.headers).toMatchObject({ Authorization: "Bearer tok" });
    });

    test("asks about an authorization with its parameters as the query, and grants it with them as the body", async () => {
      const info: AuthorizeInfo = { app: LEAVE, scopes: ["profile", "messages:write"], granted: false, deny_redirect: `${REQUEST.redirect_uri}?error=access_denied&state=x+y%26z` };
      const calls = stubFetch([200, info], [200, { redirect: `${REQUEST.redirect_uri}?code=c0de&state=x+y%26z` }]);
      const rest = new RestClient("", "tok");
      expect(await rest.authorizeInfo(REQUEST)).toEqual(info);
      expect(await rest.authorize(REQUEST)).toEqual({ redirect: `${REQUEST.redirect_uri}?code=c0de&state=x+y%26z` });
      expect(calls[0]!.init.method).toBe("GET");
      const url = new URL(calls[0]!.url, "https://chat.example.com");
      expect(url.pathname).toBe("/v1/oauth/authorize");
      expect(Object.fromEntries(url.searchParams)).toEqual(REQUEST);
      expect(asked(calls.slice(1))).toEqual([["POST", "/v1/oauth/authorize", REQUEST]]);
    });

    test("rejects an authorization the server refuses, with its code", async () => {
      stubFetch([403, { error: { code: "forbidden", message: "the app is not for your departments" } }]);
      const error = await new RestClient("", "tok").authorizeInfo(REQUEST).then(() => undefined, (e: unknown) => e);
      expect(error).toMatchObject({ code: "forbidden", status: 403 });
    });
  });
});

describe("against the real server", () => {
  let server: TestServer;
  let site: Server;
  let siteUrl = "";
  let alice: MagpieClient;
  let bob: MagpieClient;
  /** The icon's requests that reached the site (the server's, never a client's). */
  let iconFetches = 0;

  beforeAll(async () => {
    const image = png(48, 48);
    site = createServer((req, res) => {
      if (req.url === "/icon.png") {
        iconFetches++;
        res.writeHead(200, { "Content-Type": "image/png", "Content-Length": image.length }).end(Buffer.from(image));
        return;
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((done) => site.listen(0, "127.0.0.1", done));
    const port = (site.address() as AddressInfo).port;
    siteUrl = `http://127.0.0.1:${port}`;
    // The server fetches an app's icon as it fetches a card's image: here from loopback.
    server = await startServer({ env: { MAGPIE_LINK_PREVIEW_PRIVATE_RANGES_ALLOWED: "127.0.0.1/32", MAGPIE_LINK_PREVIEW_PORTS_ALLOWED: `80,443,${port}` } });
    const [a, b] = await Promise.all([server.addUser("alice", { displayName: "Alice", admin: true }), server.addUser("bob", { displayName: "Bob" })]);
    [alice, bob] = await Promise.all([online(server, a), online(server, b)]);
  });

  afterAll(async () => {
    for (const client of [alice, bob]) client?.close();
    await new Promise((done) => (site ? site.close(done) : done(undefined)));
    await server?.stop();
  });

  test("an app installed, seen by a member with its icon, allowed, its code exchanged, and its grant withdrawn", async () => {
    const made = await alice.admin.createApp("localhost", {
      name: "Leave", description: "Ask for days off", icon: `${siteUrl}/icon.png`, url: `${siteUrl}/h5`, redirect_uris: [`${siteUrl}/cb`], scopes: ["profile"],
    });
    expect(made.client_secret).toEqual(expect.any(String));
    expect(made.app).toMatchObject({ name: "Leave", icon: `${siteUrl}/icon.png`, scopes: ["profile"], redirect_uris: [`${siteUrl}/cb`] });
    // Everyone sees it: `departments` is left out.
    expect(made.app).not.toHaveProperty("departments");
    const plain = await alice.admin.createApp("localhost", { name: "Trips", url: `${siteUrl}/trips`, redirect_uris: [`${siteUrl}/cb`], scopes: ["profile"] });
    expect(plain.app).not.toHaveProperty("icon");
    expect((await alice.admin.apps("localhost")).map((a) => a.name)).toEqual(["Leave", "Trips"]);

    // Bob's workbench: both, in order, without the admin's fields; Trips without an icon.
    const apps = await bob.workbenchApps();
    expect(apps).toEqual([
      { id: made.app.id, name: "Leave", description: "Ask for days off", icon: `${siteUrl}/icon.png`, url: `${siteUrl}/h5` },
      { id: plain.app.id, name: "Trips", description: "", url: `${siteUrl}/trips` },
    ]);

    // The icon, as a JPEG the server made from the PNG; none for Trips.
    const icon = await bob.rest.appIcon(made.app.id);
    expect(icon.type).toBe("image/jpeg");
    expect([...new Uint8Array(await icon.arrayBuffer()).subarray(0, 2)]).toEqual([0xff, 0xd8]);
    const url = await bob.appIconUrl(made.app.id, `${siteUrl}/icon.png`);
    expect(url).toMatch(/^(blob|data):/);
    expect(await bob.appIconUrl(made.app.id, `${siteUrl}/icon.png`)).toBe(url);
    expect(iconFetches).toBe(1);
    await expect(bob.appIconUrl(plain.app.id, "")).rejects.toMatchObject({ code: "not_found" });

    // He allows Leave: the code it gets is exchanged with the secret and the PKCE verifier.
    const verifier = randomBytes(32).toString("base64url");
    const request: AuthorizeRequest = {
      response_type: "code", client_id: made.app.client_id, redirect_uri: `${siteUrl}/cb`, scope: "profile", state: "s 1",
      code_challenge: createHash("sha256").update(verifier).digest("base64url"), code_challenge_method: "S256",
    };
    const info = await bob.authorizeInfo(request);
    expect(info).toMatchObject({ app: apps[0], scopes: ["profile"], granted: false });
    expect(new URL(info.deny_redirect).searchParams.get("error")).toBe("access_denied");
    const { redirect } = await bob.authorize(request);
    const back = new URL(redirect);
    expect(`${back.origin}${back.pathname}`).toBe(`${siteUrl}/cb`);
    expect(back.searchParams.get("state")).toBe("s 1");
    const answer = await fetch(`${server.url}/oauth/token`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "authorization_code", code: back.searchParams.get("code") ?? "", redirect_uri: `${siteUrl}/cb`, code_verifier: verifier,
        client_id: made.app.client_id, client_secret: made.client_secret,
      }),
    });
    expect(answer.status).toBe(200);
    const token = (await answer.json()) as { access_token: string; account: string; scope: string };
    expect(token).toMatchObject({ account: bob.me.account, scope: "profile" });
    expect((await new RestClient(server.url, token.access_token).me()).account).toBe(bob.me.account);
    expect((await bob.authorizeInfo(request)).granted).toBe(true);

    // His grant, and withdrawn: the app's token stops at once.
    const grants = await bob.appGrants();
    expect(grants).toEqual([{ app: apps[0], scopes: ["profile"], granted_at_ms: expect.any(Number) }]);
    await bob.revokeAppGrant(made.app.id);
    expect(await bob.appGrants()).toEqual([]);
    await expect(new RestClient(server.url, token.access_token).me()).rejects.toMatchObject({ status: 401 });
  });
});
