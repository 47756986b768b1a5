// The workbench in RestClient and MagpieClient: the requests that a domain's administrators make
// for its apps (listed, made, changed, deleted, put in order, their secrets rotated) and that a
// member makes (the apps they may open, an OAuth 2.0 authorization asked about and granted, their
// grants listed and withdrawn), each to its path with its body, and the answers unwrapped where a
// list comes in an object. Against a stubbed fetch: the server's side is being built alongside.
//
// It sits beside the sources rather than in test/ because it was written while test/ was another
// engineer's to change; move it there with the real-server cases once the server has the endpoints.

import { afterEach, describe, expect, test, vi } from "vitest";

import { MagpieError, RestClient } from "./index.ts";
import type { App, AppGrant, AuthorizeInfo, AuthorizeRequest, WorkbenchApp } from "./index.ts";

const LEAVE: WorkbenchApp = { id: 3, name: "请假", description: "Leave requests", icon: "https://apps.example.com/leave.png", url: "https://apps.example.com/leave/" };
const LEAVE_ADMIN: App = {
  ...LEAVE, client_id: "app_3f9", redirect_uris: ["https://apps.example.com/leave/callback"], scopes: ["profile", "messages:write"],
  position: 0, created_at_ms: 1_795_465_400_000,
};
const REQUEST: AuthorizeRequest = {
  response_type: "code", client_id: "app_3f9", redirect_uri: "https://apps.example.com/leave/callback", scope: "profile messages:write",
  state: "x y&z", code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", code_challenge_method: "S256",
};

afterEach(() => { vi.unstubAllGlobals(); });

/** fetch answers `answers` in turn (status and JSON body, or 204 with none), recording the calls. */
function stubFetch(...answers: [number, unknown?][]) {
  const calls: { url: string; init: RequestInit }[] = [];
  vi.stubGlobal("fetch", async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    const [status, body] = answers.shift() ?? [500, { error: { code: "internal", message: "no answer left" } }];
    return status === 204 ? new Response(null, { status }) : new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
  });
  return calls;
}
const sent = (c: { init: RequestInit }) => (c.init.body === undefined ? undefined : JSON.parse(String(c.init.body)) as unknown);
const asked = (calls: { url: string; init: RequestInit }[]) => calls.map((c) => [c.init.method, c.url, sent(c)]);

describe("RestClient: a domain's apps, for its administrators", () => {
  test("lists, makes, changes, orders, rotates and deletes them at their paths", async () => {
    const made = { app: LEAVE_ADMIN, client_secret: "mgs_secret" };
    const calls = stubFetch(
      [200, { apps: [LEAVE_ADMIN] }], [201, made], [200, { ...LEAVE_ADMIN, icon: null }], [200, { apps: [LEAVE_ADMIN] }],
      [200, { client_secret: "mgs_new" }], [204],
    );
    const rest = new RestClient("https://chat.example.com", "tok");
    expect(await rest.apps("example.com")).toEqual([LEAVE_ADMIN]);
    expect(await rest.createApp("example.com", {
      name: "请假", url: LEAVE.url, redirect_uris: LEAVE_ADMIN.redirect_uris, scopes: LEAVE_ADMIN.scopes, departments: [4, 7],
    })).toEqual(made);
    expect(await rest.updateApp(3, { icon: null, departments: null })).toEqual({ ...LEAVE_ADMIN, icon: null });
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
