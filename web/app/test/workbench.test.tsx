// The workbench with a fake client: the tiles (an icon or the initial, name, description) and the
// empty state; an app opened in its panel (its sandboxed frame at the app's URL, "open in new tab",
// close), whose bridge answers only its frame, at its origin, and asks the person before it sends a
// card (cancelled: the app is told so; sent: as the person, with its seq); the consent page (the
// scopes in words, Allow and Deny, at once where granted before, a refusal said and nowhere gone);
// Settings → Connected apps with Revoke; and Administration → Apps (a new app's secret shown once,
// problems at their fields, moved up and down).
//
// It sits beside the components rather than in test/ because it was written while test/ was
// another engineer's to change; it reuses test/'s fake client as it is.

import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { render } from "preact";
import { act } from "preact/test-utils";
import { MagpieError, type App, type AppGrant, type AuthorizeInfo, type AuthorizeRequest, type CreateAppRequest, type WorkbenchApp } from "@magpie/sdk";
import { FakeClient, conversation } from "../../test/fake-client.ts";
import { LocaleContext } from "../i18n/hooks.ts";
import { ClientContext } from "../state/client.ts";
import { dismissToast } from "../state/toast.ts";
import { adminTabsFor, parseAuthorize, parseRoute, routePath } from "../state/router.ts";
import { workbenchOf } from "../state/workbench.ts";
import { appChangeOf, appProblem, appRefusal, appRequestOf, formOf, movedOrder, NEW_APP_FORM } from "../lib/apps.ts";
import { AdminPage } from "./Admin.tsx";
import { ConsentPage } from "./Consent.tsx";
import { ConnectedAppsSection, WorkbenchPage } from "./Workbench.tsx";

const APP_ORIGIN = "https://apps.example.com";
const LEAVE: WorkbenchApp = { id: 3, name: "Leave", description: "Ask for days off", icon: null, url: `${APP_ORIGIN}/leave/` };
const EXPENSES: WorkbenchApp = { id: 4, name: "报销", description: "", icon: "https://apps.example.com/e.png", url: `${APP_ORIGIN}/expenses/` };

let root: HTMLElement;
beforeEach(() => {
  root = document.createElement("div");
  document.body.appendChild(root);
  history.replaceState(null, "", "/");
});
afterEach(() => {
  render(null, root);
  root.remove();
  vi.unstubAllGlobals();
  act(() => { for (const id of [...Array(200).keys()]) dismissToast(id); });
});

const text = (el: Element | null | undefined) => (el?.textContent ?? "").replace(/\s+/g, " ").trim();
const $ = <T extends HTMLElement = HTMLElement>(sel: string) => root.querySelector<T>(sel);
const $$ = (sel: string) => [...root.querySelectorAll<HTMLElement>(sel)];
const button = (name: string) => [...document.querySelectorAll<HTMLButtonElement>("button")].find((b) => text(b) === name || b.getAttribute("aria-label") === name);
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await act(async () => { await new Promise((r) => setTimeout(r, 0)); });
}
async function click(el: HTMLElement | null | undefined): Promise<void> {
  expect(el).toBeTruthy();
  await act(async () => { el!.click(); });
  await settle();
}
async function type(el: HTMLInputElement | HTMLTextAreaElement | null, value: string): Promise<void> {
  expect(el).toBeTruthy();
  await act(async () => {
    el!.value = value;
    el!.dispatchEvent(new Event("input", { bubbles: true }));
  });
}

/** A fake client with the workbench: its apps, grants and what it was asked. */
function withWorkbench(apps: WorkbenchApp[] = [LEAVE, EXPENSES]) {
  const client = new FakeClient();
  const calls: unknown[][] = [];
  const state = { apps, grants: [] as AppGrant[], info: null as AuthorizeInfo | null, refusal: null as Error | null };
  Object.assign(client, {
    workbenchApps: async () => state.apps,
    authorizeInfo: async (request: AuthorizeRequest) => { calls.push(["info", request]); if (state.refusal) throw state.refusal; return state.info; },
    authorize: async (request: AuthorizeRequest) => { calls.push(["authorize", request]); return { redirect: `${request.redirect_uri}?code=c0de&state=${request.state}` }; },
    appGrants: async () => state.grants,
    revokeAppGrant: async (id: number) => { calls.push(["revoke", id]); state.grants = state.grants.filter((g) => g.app.id !== id); },
  });
  return { client, calls, state };
}

function mount(client: FakeClient, node: preact.ComponentChildren, locale: "en" | "zh" = "en") {
  act(() => {
    render(<LocaleContext.Provider value={locale}><ClientContext.Provider value={client}>{node}</ClientContext.Provider></LocaleContext.Provider>, root);
  });
}

describe("the workbench's routes and tabs", () => {
  it("routes the workbench and an app open in it, and offers the apps tab after Bots where the client has the workbench", () => {
    expect(parseRoute("/workbench")).toEqual({ page: "workbench" });
    expect(parseRoute("/workbench/3")).toEqual({ page: "workbench", app: 3 });
    expect(routePath({ page: "workbench", app: 3 })).toBe("/workbench/3");
    expect(parseRoute("/admin/apps")).toEqual({ page: "admin", tab: "apps" });
    const tabs = adminTabsFor("domain_admin", { apps: true });
    expect(tabs[tabs.indexOf("bots") + 1]).toBe("apps");
    expect(adminTabsFor("domain_admin")).not.toContain("apps");
    expect(workbenchOf(new FakeClient())).toBeNull();
    expect(workbenchOf(withWorkbench().client)).not.toBeNull();
  });

  it("reads an authorization request from the consent page's URL", () => {
    expect(parseAuthorize("/oauth/authorize", "?response_type=code&client_id=a&redirect_uri=https%3A%2F%2Fx%2Fcb&scope=profile+messages%3Aread&code_challenge=c&code_challenge_method=S256"))
      .toEqual({ response_type: "code", client_id: "a", redirect_uri: "https://x/cb", scope: "profile messages:read", code_challenge: "c", code_challenge_method: "S256" });
    expect(parseAuthorize("/oauth/authorize/", "?state=s")).toMatchObject({ state: "s", client_id: "" });
    expect(parseAuthorize("/c/3", "?client_id=a")).toBeNull();
  });
});

describe("the workbench page", () => {
  it("shows the apps as tiles, an icon or the initial, and says when there are none", async () => {
    const { client, state } = withWorkbench();
    mount(client, <WorkbenchPage />);
    await settle();
    const tiles = $$('[data-testid="app-tile"]');
    expect(tiles.map(text)).toEqual(["Leave Ask for days off", "报销"]);
    expect(tiles[0]!.querySelector(".app-icon")!.getAttribute("data-initial")).toBe("L");
    expect(tiles[1]!.querySelector(".app-icon img")!.getAttribute("src")).toBe(EXPENSES.icon);
    render(null, root);
    state.apps = [];
    mount(client, <WorkbenchPage />, "zh");
    await settle();
    expect(text($('[data-testid="workbench-none"]'))).toContain("这里还没有应用。");
  });

  it("opens an app in a sandboxed frame at its URL, with its name, a link to open it in a tab, and close", async () => {
    const { client } = withWorkbench();
    mount(client, <WorkbenchPage />);
    await settle();
    await click($('[data-testid="app-tile"][data-app="3"]'));
    expect(location.pathname).toBe("/workbench/3");
    render(null, root);
    mount(client, <WorkbenchPage app={3} />);
    await settle();
    const frame = $<HTMLIFrameElement>(".app-frame")!;
    expect(frame.getAttribute("src")).toBe(LEAVE.url);
    expect(frame.getAttribute("sandbox")).toBe("allow-scripts allow-forms allow-same-origin allow-popups");
    expect(frame.getAttribute("referrerpolicy")).toBe("origin");
    expect(frame.getAttribute("title")).toBe("Leave");
    expect(text($("#app-panel-title"))).toBe("Leave");
    const tab = $<HTMLAnchorElement>('[data-testid="app-panel"] a')!;
    expect([tab.getAttribute("href"), tab.getAttribute("target"), tab.getAttribute("rel"), text(tab)]).toEqual([LEAVE.url, "_blank", "noopener noreferrer", "Open in new tab"]);
    await click(button("Close the app"));
    expect(location.pathname).toBe("/workbench");
  });

  it("does not frame an app of the client's own origin", async () => {
    const { client } = withWorkbench([{ ...LEAVE, url: `${location.origin}/evil` }]);
    mount(client, <WorkbenchPage app={3} />);
    await settle();
    expect($(".app-frame")).toBeNull();
    expect(text($('[data-testid="app-panel"] [role="alert"]'))).toContain("can't be opened inside Magpie");
  });
});

describe("the bridge in the app panel", () => {
  /** The panel of Leave, open, with its frame's postMessage recorded. */
  async function openPanel() {
    const setup = withWorkbench();
    setup.client.convs = [conversation(12, { kind: "group", name: "Team", member_count: 3 })];
    mount(setup.client, <WorkbenchPage app={3} />);
    await settle();
    const frameWindow = $<HTMLIFrameElement>(".app-frame")!.contentWindow!;
    const posted: { message: unknown; origin: string }[] = [];
    (frameWindow as unknown as { postMessage: unknown }).postMessage = (message: unknown, origin: string) => { posted.push({ message, origin }); };
    const deliver = async (data: unknown, options: { origin?: string; source?: Window | null } = {}) => {
      await act(async () => {
        window.dispatchEvent(new MessageEvent("message", { data, origin: options.origin ?? APP_ORIGIN, source: options.source === undefined ? frameWindow : options.source }));
      });
      await settle();
    };
    return { ...setup, posted, deliver };
  }
  const card = { title: "Leave request", blocks: [{ type: "text", text: "**3** days" }] };

  it("tells the app who the person is, and ignores another origin or window", async () => {
    const { posted, deliver } = await openPanel();
    await deliver({ magpie: "request", id: 1, method: "getUser", params: {} }, { origin: "https://evil.example.com" });
    await deliver({ magpie: "request", id: 2, method: "getUser", params: {} }, { source: window });
    expect(posted).toEqual([]);
    await deliver({ magpie: "request", id: 3, method: "getUser", params: {} });
    expect(posted).toEqual([{ message: { magpie: "response", id: 3, result: { account: "me@x", name: "Me", avatar: null } }, origin: APP_ORIGIN }]);
  });

  it("asks the person before sending a card: cancelled, the app is told so; sent, as the person, with its seq", async () => {
    const { posted, deliver } = await openPanel();
    const sends: { url: string; body: unknown }[] = [];
    vi.stubGlobal("fetch", async (url: string, init: RequestInit) => {
      sends.push({ url, body: JSON.parse(String(init.body)) });
      return new Response(JSON.stringify({ conversation: 12, seq: 41, id: 90, at_ms: 1, duplicate: false }), { status: 200, headers: { "Content-Type": "application/json" } });
    });
    await deliver({ magpie: "request", id: 5, method: "sendCard", params: { conversation: 12, card } });
    const dialog = document.querySelector<HTMLElement>('[role="alertdialog"]')!;
    expect(text(dialog.querySelector("h2"))).toBe("Send this card?");
    expect(text(dialog.querySelector('[data-testid="app-card-to"]'))).toBe("Leave wants to send this card as you to “Team”.");
    expect(text(dialog.querySelector('[data-testid="app-card"]'))).toContain("Leave request");
    await click(button("Cancel"));
    expect(document.querySelector('[role="alertdialog"]')).toBeNull();
    expect(posted.map((p) => p.message)).toEqual([{ magpie: "response", id: 5, error: { code: "cancelled", message: expect.any(String) } }]);
    expect(sends).toEqual([]);

    await deliver({ magpie: "request", id: 6, method: "sendCard", params: { conversation: 12, card } });
    await click(button("Send"));
    expect(sends).toHaveLength(1);
    expect(sends[0]!.url).toBe("/v1/conversations/12/messages");
    expect(sends[0]!.body).toMatchObject({ kind: "card", body: { ...card, card: "interactive" }, client_msg_id: expect.any(String) });
    expect(posted[1]).toEqual({ message: { magpie: "response", id: 6, result: { seq: 41 } }, origin: APP_ORIGIN });
  });

  it("answers unknown_method and invalid_params without asking the person", async () => {
    const { posted, deliver } = await openPanel();
    await deliver({ magpie: "request", id: 7, method: "readMyMail", params: {} });
    await deliver({ magpie: "request", id: 8, method: "openChat", params: { account: 12 } });
    expect(posted.map((p) => (p.message as { error: { code: string } }).error.code)).toEqual(["unknown_method", "invalid_params"]);
    expect(document.querySelector('[role="alertdialog"], [role="dialog"]')).toBeNull();
  });

  it("lets the person pick people, at most as many as the app asked for", async () => {
    const { client, posted, deliver } = await openPanel();
    client.profiles.set("bob@x", { account: "bob@x", display_name: "Bob" });
    client.profiles.set("carol@x", { account: "carol@x", display_name: "Carol" });
    await deliver({ magpie: "request", id: 9, method: "pickPeople", params: { max: 1, title: "Approver" } });
    const dialog = document.querySelector<HTMLElement>('[role="dialog"]')!;
    expect(text(dialog.querySelector("h2"))).toBe("Approver");
    const boxes = [...dialog.querySelectorAll<HTMLInputElement>('input[type="checkbox"]')];
    await click(boxes.find((b) => b.getAttribute("aria-label") === "Carol"));
    await click(boxes.find((b) => b.getAttribute("aria-label") === "Bob"));
    expect(text(dialog.querySelector('[data-testid="app-pick-note"]'))).toContain("as many as the app asked for (1)");
    await click(button("Choose (1)"));
    expect(posted.map((p) => p.message)).toEqual([{ magpie: "response", id: 9, result: [{ account: "carol@x", name: "Carol" }] }]);
  });
});

describe("the consent page", () => {
  const request: AuthorizeRequest = {
    response_type: "code", client_id: "app_3", redirect_uri: "https://apps.example.com/cb", scope: "profile messages:write", state: "s1",
    code_challenge: "c", code_challenge_method: "S256",
  };
  const info = (granted: boolean): AuthorizeInfo => ({
    app: LEAVE, scopes: ["profile", "messages:write"], granted, deny_redirect: "https://apps.example.com/cb?error=access_denied&state=s1",
  });

  it("says what the app asks in plain words, and goes back to it with a code on Allow", async () => {
    const { client, calls, state } = withWorkbench();
    state.info = info(false);
    const went: string[] = [];
    mount(client, <ConsentPage client={client} request={request} go={(url) => went.push(url)} />);
    await settle();
    expect(text($("#consent-title"))).toBe("Leave wants to use your Magpie account");
    expect($$('[data-testid="consent-scopes"] li').map(text)).toEqual(["Know who you are: your name, account and avatar", "Send messages as you"]);
    expect(went).toEqual([]);
    await click(button("Allow"));
    expect(calls).toEqual([["info", request], ["authorize", request]]);
    expect(went).toEqual(["https://apps.example.com/cb?code=c0de&state=s1"]);
  });

  it("sends the browser to the app's denial on Deny, in Chinese too", async () => {
    const { client, calls, state } = withWorkbench();
    state.info = info(false);
    const went: string[] = [];
    mount(client, <ConsentPage client={client} request={request} go={(url) => went.push(url)} />, "zh");
    await settle();
    expect($$('[data-testid="consent-scopes"] li').map(text)[0]).toBe("获取你的姓名、账号和头像");
    await click(button("拒绝"));
    expect(went).toEqual([info(false).deny_redirect]);
    expect(calls).toEqual([["info", request]]);
  });

  it("goes on at once where the person granted it all before", async () => {
    const { client, calls, state } = withWorkbench();
    state.info = info(true);
    const went: string[] = [];
    mount(client, <ConsentPage client={client} request={request} go={(url) => went.push(url)} />);
    await settle();
    expect(calls.map((c) => c[0])).toEqual(["info", "authorize"]);
    expect(went).toHaveLength(1);
  });

  it("says a refused request, and sends the browser nowhere", async () => {
    for (const [refusal, said] of [
      [new MagpieError("invalid_field", "not registered", { status: 422, field: "redirect_uri" }), "The app's request isn't valid (redirect_uri)."],
      [new MagpieError("not_found", "no such app", { status: 404 }), "There's no such app in your organisation."],
      [new MagpieError("forbidden", "not for you", { status: 403 }), "your administrator made it for other departments"],
    ] as const) {
      const { client, state } = withWorkbench();
      state.refusal = refusal;
      const went: string[] = [];
      mount(client, <ConsentPage client={client} request={request} go={(url) => went.push(url)} />);
      await settle();
      expect(text($('[data-testid="consent-error"]'))).toContain(said);
      expect(button("Allow")).toBeUndefined();
      expect(went).toEqual([]);
      render(null, root);
    }
  });
});

describe("Settings → Connected apps", () => {
  it("lists the apps the person allowed, and revokes one after asking", async () => {
    const { client, calls, state } = withWorkbench();
    state.grants = [{ app: LEAVE, scopes: ["profile", "messages:read"], granted_at_ms: Date.UTC(2026, 0, 2) }];
    mount(client, <ConnectedAppsSection />);
    await settle();
    const row = $('[data-testid="connected-app"]')!;
    expect(text(row)).toContain("Leave");
    expect(text(row)).toContain("Your profile, Read messages");
    await click(button("Revoke access of Leave"));
    await click([...document.querySelectorAll<HTMLButtonElement>('[role="alertdialog"] button')].find((b) => text(b) === "Revoke access"));
    expect(calls).toEqual([["revoke", 3]]);
    expect(text($('[data-testid="connected-apps-none"]'))).toBe("You haven't allowed any app to use your account.");
  });

  it("shows nothing where the client has no workbench", async () => {
    mount(new FakeClient(), <ConnectedAppsSection />);
    await settle();
    expect(root.innerHTML).toBe("");
  });
});

const KEPT: App = {
  ...LEAVE, client_id: "app_3", confidential: true, redirect_uris: ["https://apps.example.com/cb"], scopes: ["profile"], departments: null, position: 0, created_at_ms: 0,
};

describe("Administration → Apps", () => {
  function withApps() {
    const setup = withWorkbench();
    setup.client.me = { ...setup.client.me, role: "domain_admin" };
    const kept: App[] = [KEPT, { ...KEPT, ...EXPENSES, client_id: "app_4", confidential: false, departments: [7], position: 1 }];
    const admin = {
      apps: async () => kept.slice(),
      createApp: async (domain: string, request: CreateAppRequest) => {
        setup.calls.push(["create", domain, request]);
        if (request.name === "Taken") throw new MagpieError("invalid_field", "not an allowed redirect URI", { status: 422, field: "redirect_uris[0]" });
        const app: App = { ...KEPT, id: 9, name: request.name, url: request.url, client_id: "app_9", redirect_uris: request.redirect_uris, position: 2 };
        kept.push(app);
        return { app, client_secret: "mgs_once" };
      },
      orderApps: async (domain: string, ids: number[]) => { setup.calls.push(["order", domain, ids]); kept.sort((a, b) => ids.indexOf(a.id) - ids.indexOf(b.id)); return kept.slice(); },
      departmentTree: async () => [{ id: 7, name: "Sales", member_count: 2, position: 0 }],
      domains: async () => [{ name: "x" }],
    };
    setup.client.admin = admin as unknown as typeof setup.client.admin;
    return setup;
  }

  it("lists the apps in order with who sees them, moves one, and shows a new one's secret once", async () => {
    const { client, calls } = withApps();
    mount(client, <AdminPage tab="apps" />);
    await settle();
    expect(text(root.querySelector('[role="tab"][aria-selected="true"]'))).toBe("Apps");
    expect($$('[data-testid="app-name"]').map(text)).toEqual(["Leave", "报销"]);
    expect($$('[data-testid="app-who"]').map(text)).toEqual(["Everyone", "Sales"]);
    await click(button("Move 报销 up"));
    expect(calls).toContainEqual(["order", "x", [4, 3]]);
    expect($$('[data-testid="app-name"]').map(text)).toEqual(["报销", "Leave"]);

    await click(button("New app"));
    await type($<HTMLInputElement>("#adm-app-new-name"), "Trips");
    await type($<HTMLInputElement>("#adm-app-new-url"), "ftp://trips");
    await click(button("Add app"));
    expect($("#adm-app-new-url")!.getAttribute("aria-invalid")).toBe("true");
    expect(document.activeElement).toBe($("#adm-app-new-url"));
    await type($<HTMLInputElement>("#adm-app-new-url"), "https://apps.example.com/trips/");
    await type($<HTMLTextAreaElement>("#adm-app-new-redirect_uris"), "https://apps.example.com/trips/cb\n\n");
    await click(button("Add app"));
    expect(calls).toContainEqual(["create", "x", {
      name: "Trips", url: "https://apps.example.com/trips/", redirect_uris: ["https://apps.example.com/trips/cb"], scopes: ["profile"], departments: null, confidential: true,
    }]);
    const dialog = document.querySelector<HTMLElement>('[role="alertdialog"]')!;
    expect(text(dialog.querySelector("h2"))).toBe("Trips added");
    expect(text(dialog.querySelector('[data-testid="app-client-id-value"]'))).toBe("app_9");
    expect(text(dialog.querySelector('[data-testid="app-secret-value"]'))).toBe("mgs_once");
  });

  it("says the server's refusal at its field", async () => {
    const { client } = withApps();
    mount(client, <AdminPage tab="apps" />);
    await settle();
    await click(button("New app"));
    await type($<HTMLInputElement>("#adm-app-new-name"), "Taken");
    await type($<HTMLInputElement>("#adm-app-new-url"), "https://apps.example.com/t/");
    await click(button("Add app"));
    expect($("#adm-app-new-redirect_uris")!.getAttribute("aria-invalid")).toBe("true");
    expect(text($("#adm-app-new-redirect_uris-error"))).toBe("The server refused this: not an allowed redirect URI");
  });
});

describe("an app's form, its pure parts", () => {
  it("says what is wrong, makes the request, and only the change", () => {
    expect(appProblem({ ...NEW_APP_FORM, name: " " })).toEqual({ field: "name", kind: "required" });
    expect(appProblem({ ...NEW_APP_FORM, name: "a", url: "https://x/", icon: "http://x/i.png" })).toEqual({ field: "icon", kind: "bad" });
    expect(appProblem({ ...NEW_APP_FORM, name: "a", url: "https://x/", redirects: "https://x/cb\nnot a url" })).toEqual({ field: "redirect_uris", kind: "bad", line: 2 });
    expect(appProblem({ ...NEW_APP_FORM, name: "a", url: "https://x/", everyone: false })).toEqual({ field: "departments", kind: "none" });
    expect(appRequestOf({ ...NEW_APP_FORM, name: " a ", url: "https://x/", everyone: false, departments: [2], confidential: false, scopes: ["messages:read", "profile"] }))
      .toEqual({ request: { name: "a", url: "https://x/", redirect_uris: [], scopes: ["profile", "messages:read"], departments: [2], confidential: false } });
    expect(appChangeOf(KEPT, formOf(KEPT))).toEqual({ change: {} });
    expect(appChangeOf(KEPT, { ...formOf(KEPT), icon: "", everyone: false, departments: [5], name: "Leave 2" }))
      .toEqual({ change: { name: "Leave 2", departments: [5] } });
    expect(appChangeOf({ ...KEPT, icon: "https://x/i.png", departments: [5] }, { ...formOf(KEPT), everyone: true }))
      .toEqual({ change: { icon: null, departments: null } });
    expect(appRefusal(new MagpieError("invalid_field", "bad", { status: 422, field: "redirect_uris[1]" }))).toMatchObject({ field: "redirect_uris" });
    expect(appRefusal(new MagpieError("forbidden", "no", { status: 403 }))).toBeNull();
    expect(movedOrder([{ id: 1 }, { id: 2 }, { id: 3 }], 2, -1)).toEqual([1, 3, 2]);
    expect(movedOrder([{ id: 1 }], 0, 1)).toBeNull();
  });
});
