// The workbench with a fake client: the tiles (the icon the server fetched, or the initial where
// there is none or it cannot be had; name, description) and the empty state; an app opened in its
// panel (its sandboxed frame at the app's URL, "open in new tab", close), whose bridge answers
// only its frame, at its origin, asks the person before it sends a card (cancelled: the app is
// told so; sent: as the person, with its seq) and before it signs them in to the app (OAuth 2.0:
// the code, or cancelled; at once where granted before; never for another app); the consent page (the scopes in words, Allow and
// Deny, at once where granted before, a refusal said and nowhere gone); Settings → Connected apps
// with Revoke; and Administration → Apps (a new app's secret shown once, a new secret after
// confirming, problems at their fields, moved up and down). The pure parts of lib/apps.ts too.

import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { render } from "preact";
import { act } from "preact/test-utils";
import { MagpieError, type App, type AuthorizeInfo, type AuthorizeRequest, type CreateAppRequest, type WorkbenchApp } from "@magpie/sdk";
import { FakeClient, conversation } from "./fake-client.ts";
import { LocaleContext } from "../src/i18n/hooks.ts";
import { ClientContext } from "../src/state/client.ts";
import { dismissToast } from "../src/state/toast.ts";
import { ADMIN_TABS, adminTabsFor, parseAuthorize, parseRoute, routePath } from "../src/state/router.ts";
import { appChangeOf, appProblem, appRefusal, appRequestOf, formOf, movedOrder, NEW_APP_FORM } from "../src/lib/apps.ts";
import { AdminPage } from "../src/components/Admin.tsx";
import { ConsentPage } from "../src/components/Consent.tsx";
import { ConnectedAppsSection, WorkbenchPage } from "../src/components/Workbench.tsx";

const APP_ORIGIN = "https://apps.example.com";
const LEAVE: WorkbenchApp = { id: 3, name: "Leave", description: "Ask for days off", url: `${APP_ORIGIN}/leave/` };
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
/** Waits until the button is enabled (a button that lets an app act for the person is disabled
 * for a moment after it shows), saying so when it was disabled at first. */
async function armed(el: HTMLButtonElement | undefined): Promise<void> {
  expect(el).toBeTruthy();
  expect(el!.disabled).toBe(true);
  await vi.waitFor(() => expect(el!.disabled).toBe(false), { timeout: 5000, interval: 50 });
}
async function type(el: HTMLInputElement | HTMLTextAreaElement | null, value: string): Promise<void> {
  expect(el).toBeTruthy();
  await act(async () => {
    el!.value = value;
    el!.dispatchEvent(new Event("input", { bubbles: true }));
  });
}

/** A fake client whose workbench has these apps. */
function withWorkbench(apps: WorkbenchApp[] = [LEAVE, EXPENSES]): FakeClient {
  const client = new FakeClient();
  client.apps = apps;
  return client;
}

function mount(client: FakeClient, node: preact.ComponentChildren, locale: "en" | "zh" = "en") {
  act(() => {
    render(<LocaleContext.Provider value={locale}><ClientContext.Provider value={client}>{node}</ClientContext.Provider></LocaleContext.Provider>, root);
  });
}

describe("the workbench's routes and tabs", () => {
  it("routes the workbench and an app open in it, and offers every administrator the apps tab after Bots", () => {
    expect(parseRoute("/workbench")).toEqual({ page: "workbench" });
    expect(parseRoute("/workbench/3")).toEqual({ page: "workbench", app: 3 });
    expect(routePath({ page: "workbench", app: 3 })).toBe("/workbench/3");
    expect(routePath({ page: "workbench" })).toBe("/workbench");
    expect(parseRoute("/admin/apps")).toEqual({ page: "admin", tab: "apps" });
    expect(routePath({ page: "admin", tab: "apps" })).toBe("/admin/apps");
    expect(ADMIN_TABS[ADMIN_TABS.indexOf("bots") + 1]).toBe("apps");
    for (const role of ["domain_admin", "server_admin"] as const) {
      const tabs = adminTabsFor(role);
      expect(tabs[tabs.indexOf("bots") + 1]).toBe("apps");
    }
  });

  it("reads an authorization request from the consent page's URL", () => {
    expect(parseAuthorize("/oauth/authorize", "?response_type=code&client_id=a&redirect_uri=https%3A%2F%2Fx%2Fcb&scope=profile+messages%3Aread&code_challenge=c&code_challenge_method=S256"))
      .toEqual({ response_type: "code", client_id: "a", redirect_uri: "https://x/cb", scope: "profile messages:read", code_challenge: "c", code_challenge_method: "S256" });
    expect(parseAuthorize("/oauth/authorize/", "?state=s")).toMatchObject({ state: "s", client_id: "" });
    expect(parseAuthorize("/c/3", "?client_id=a")).toBeNull();
  });
});

describe("the workbench page", () => {
  it("shows the apps as tiles, the icon the server fetched or the initial, and says when there are none", async () => {
    const broken: WorkbenchApp = { id: 5, name: "trips", description: "", icon: "https://apps.example.com/gone.png", url: `${APP_ORIGIN}/trips/` };
    const client = withWorkbench([LEAVE, EXPENSES, broken]);
    client.brokenIcons.add(broken.icon!);
    mount(client, <WorkbenchPage />);
    await settle();
    const tiles = $$('[data-testid="app-tile"]');
    expect(tiles.map(text)).toEqual(["Leave Ask for days off", "报销", "trips"]);
    // No icon: the initial, and nothing asked of the server.
    expect(tiles[0]!.querySelector(".app-icon")!.getAttribute("data-initial")).toBe("L");
    expect(tiles[0]!.querySelector("img")).toBeNull();
    // The icon from the server (never the icon's own URL, which the page's CSP refuses).
    expect(tiles[1]!.querySelector(".app-icon img")!.getAttribute("src")).toBe("blob:app-icon-4");
    expect(tiles[1]!.querySelector(".app-icon")!.hasAttribute("data-initial")).toBe(false);
    // One the server could not have: the initial.
    expect(tiles[2]!.querySelector(".app-icon")!.getAttribute("data-initial")).toBe("T");
    expect(tiles[2]!.querySelector("img")).toBeNull();
    expect(client.appIcons.sort()).toEqual([4, 5]);
    expect($$("img").map((img) => img.getAttribute("src"))).not.toContain(EXPENSES.icon);
    render(null, root);
    client.apps = [];
    mount(client, <WorkbenchPage />, "zh");
    await settle();
    expect(text($('[data-testid="workbench-none"]'))).toContain("这里还没有应用。");
  });

  it("opens an app in a sandboxed frame at its URL, with its name, a link to open it in a tab, and close", async () => {
    const client = withWorkbench();
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
    const client = withWorkbench([{ ...LEAVE, url: `${location.origin}/evil` }]);
    mount(client, <WorkbenchPage app={3} />);
    await settle();
    expect($(".app-frame")).toBeNull();
    expect(text($('[data-testid="app-panel"] [role="alert"]'))).toContain("can't be opened inside Magpie");
  });
});

describe("the bridge in the app panel", () => {
  /** The panel of Leave, open, with its frame's postMessage recorded. */
  async function openPanel() {
    const client = withWorkbench();
    client.convs = [conversation(12, { kind: "group", name: "Team", member_count: 3 })];
    mount(client, <WorkbenchPage app={3} />);
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
    return { client, posted, deliver };
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
    // A click at once does nothing: it may have been meant for the app's page.
    await click(button("Send"));
    expect(sends).toEqual([]);
    await armed(button("Send"));
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

  it("signs the person in for the app after they consent, at once where they did before, and never for another app", async () => {
    const { client, posted, deliver } = await openPanel();
    const params = { client_id: "app_3", redirect_uri: `${APP_ORIGIN}/cb`, scope: "profile", state: "s1", code_challenge: "c".repeat(43), code_challenge_method: "S256" };
    const info = (granted: boolean, app: WorkbenchApp = LEAVE): AuthorizeInfo => ({ app, scopes: ["profile"], granted, deny_redirect: `${APP_ORIGIN}/cb?error=access_denied&state=s1` });
    client.authorizeAnswer = info(false);
    await deliver({ magpie: "request", id: 1, method: "authorize", params });
    const dialog = document.querySelector<HTMLElement>('[role="alertdialog"]')!;
    expect(text(dialog.querySelector("h2"))).toBe("Leave wants to use your Magpie account");
    expect([...dialog.querySelectorAll('[data-testid="consent-scopes"] li')].map(text)).toEqual(["Know who you are: your profile (name, account, avatar and the email and phone on it), and look up colleagues' profiles and departments"]);
    // The focus starts on Deny.
    expect(text(document.activeElement as HTMLElement)).toBe("Deny");
    await click(button("Deny"));
    expect(posted.map((p) => p.message)).toEqual([{ magpie: "response", id: 1, error: { code: "cancelled", message: expect.any(String) } }]);

    await deliver({ magpie: "request", id: 2, method: "authorize", params });
    await armed(button("Allow"));
    await click(button("Allow"));
    expect(document.querySelector('[role="alertdialog"]')).toBeNull();
    expect(posted[1]).toEqual({ message: { magpie: "response", id: 2, result: { code: "c0de", state: "s1" } }, origin: APP_ORIGIN });
    expect(client.workbenchCalls.map((c) => c[0])).toEqual(["info", "info", "authorize"]);
    expect(client.workbenchCalls[2]).toEqual(["authorize", { response_type: "code", ...params }]);

    // Granted before: no question.
    client.authorizeAnswer = info(true);
    await deliver({ magpie: "request", id: 3, method: "authorize", params });
    expect(document.querySelector('[role="alertdialog"]')).toBeNull();
    expect(posted[2]!.message).toEqual({ magpie: "response", id: 3, result: { code: "c0de", state: "s1" } });

    // Another app's client: refused, and nothing granted.
    client.authorizeAnswer = info(true, EXPENSES);
    await deliver({ magpie: "request", id: 4, method: "authorize", params });
    expect(posted[3]!.message).toMatchObject({ id: 4, error: { code: "forbidden" } });
    expect(client.workbenchCalls.filter((c) => c[0] === "authorize")).toHaveLength(2);
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
    app: EXPENSES, scopes: ["profile", "messages:write"], granted, deny_redirect: "https://apps.example.com/cb?error=access_denied&state=s1",
  });

  it("says what the app asks in plain words, with its icon, and goes back to it with a code on Allow", async () => {
    const client = withWorkbench();
    client.authorizeAnswer = info(false);
    const went: string[] = [];
    mount(client, <ConsentPage client={client} request={request} go={(url) => went.push(url)} />);
    await settle();
    expect(text($("#consent-title"))).toBe("报销 wants to use your Magpie account");
    expect($(".consent-card .app-icon img")!.getAttribute("src")).toBe("blob:app-icon-4");
    expect($$('[data-testid="consent-scopes"] li').map(text)).toEqual(["Know who you are: your profile (name, account, avatar and the email and phone on it), and look up colleagues' profiles and departments", "Send messages and files as you, and start chats and groups"]);
    expect(went).toEqual([]);
    await armed(button("Allow"));
    await click(button("Allow"));
    expect(client.workbenchCalls).toEqual([["info", request], ["authorize", request]]);
    expect(went).toEqual(["https://apps.example.com/cb?code=c0de&state=s1"]);
  });

  it("sends the browser to the app's denial on Deny, in Chinese too", async () => {
    const client = withWorkbench();
    client.authorizeAnswer = info(false);
    const went: string[] = [];
    mount(client, <ConsentPage client={client} request={request} go={(url) => went.push(url)} />, "zh");
    await settle();
    expect($$('[data-testid="consent-scopes"] li').map(text)[0]).toBe("获取你的个人资料（姓名、账号、头像及其中的邮箱和电话），并查看同事的资料和所在部门");
    await click(button("拒绝"));
    expect(went).toEqual([info(false).deny_redirect]);
    expect(client.workbenchCalls).toEqual([["info", request]]);
  });

  it("goes on at once where the person granted it all before", async () => {
    const client = withWorkbench();
    client.authorizeAnswer = info(true);
    const went: string[] = [];
    mount(client, <ConsentPage client={client} request={request} go={(url) => went.push(url)} />);
    await settle();
    expect(client.workbenchCalls.map((c) => c[0])).toEqual(["info", "authorize"]);
    expect(went).toHaveLength(1);
  });

  it("says a refused request, and sends the browser nowhere", async () => {
    for (const [refusal, said] of [
      [new MagpieError("invalid_field", "not registered", { status: 422, field: "redirect_uri" }), "The app's request isn't valid (redirect_uri)."],
      [new MagpieError("not_found", "no such app", { status: 404 }), "There's no such app in your organisation."],
      [new MagpieError("forbidden", "not for you", { status: 403 }), "your administrator made it for other departments"],
    ] as const) {
      const client = withWorkbench();
      client.authorizeAnswer = refusal;
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
    const client = withWorkbench();
    client.appGrantList = [{ app: LEAVE, scopes: ["profile", "messages:read"], granted_at_ms: Date.UTC(2026, 0, 2) }];
    mount(client, <ConnectedAppsSection />);
    await settle();
    const row = $('[data-testid="connected-app"]')!;
    expect(text(row)).toContain("Leave");
    expect(text(row)).toContain("Your profile, Read messages");
    await click(button("Revoke access of Leave"));
    await click([...document.querySelectorAll<HTMLButtonElement>('[role="alertdialog"] button')].find((b) => text(b) === "Revoke access"));
    expect(client.workbenchCalls).toEqual([["revoke", 3]]);
    expect(text($('[data-testid="connected-apps-none"]'))).toBe("You haven't allowed any app to use your account.");
  });

  it("shows nothing where the server has no workbench", async () => {
    const client = withWorkbench();
    client.appGrants = async () => { throw new MagpieError("not_found", "no route", { status: 404 }); };
    mount(client, <ConnectedAppsSection />);
    await settle();
    expect(root.innerHTML).toBe("");
  });
});

const KEPT: App = {
  ...LEAVE, client_id: "app_3", redirect_uris: ["https://apps.example.com/cb"], scopes: ["profile"], position: 0, created_at_ms: 0,
};

describe("Administration → Apps", () => {
  function withApps() {
    const client = withWorkbench();
    const calls: unknown[][] = [];
    client.me = { ...client.me, role: "domain_admin" };
    const kept: App[] = [KEPT, { ...KEPT, ...EXPENSES, client_id: "app_4", departments: [7], position: 1 }];
    const admin = {
      apps: async () => kept.slice(),
      createApp: async (domain: string, request: CreateAppRequest) => {
        calls.push(["create", domain, request]);
        if (request.name === "Taken") throw new MagpieError("invalid_field", "not an allowed redirect URI", { status: 422, field: "redirect_uris[0]" });
        const app: App = { ...KEPT, id: 9, name: request.name, url: request.url, client_id: "app_9", redirect_uris: request.redirect_uris, position: 2 };
        kept.push(app);
        return { app, client_secret: "mgs_once" };
      },
      orderApps: async (domain: string, ids: number[]) => { calls.push(["order", domain, ids]); kept.sort((a, b) => ids.indexOf(a.id) - ids.indexOf(b.id)); return kept.slice(); },
      rotateAppSecret: async (id: number) => { calls.push(["rotate", id]); return { client_secret: "mgs_again" }; },
      departmentTree: async () => [{ id: 7, name: "Sales", member_count: 2, position: 0 }],
      domains: async () => [{ name: "x" }],
    };
    client.admin = admin as unknown as typeof client.admin;
    return { client, calls };
  }

  it("lists the apps in order with who sees them, moves one, and shows a new one's secret once", async () => {
    const { client, calls } = withApps();
    mount(client, <AdminPage tab="apps" />);
    await settle();
    expect(text(root.querySelector('[role="tab"][aria-selected="true"]'))).toBe("Apps");
    expect($$('[data-testid="app-name"]').map(text)).toEqual(["Leave", "报销"]);
    expect($$('[data-testid="app-who"]').map(text)).toEqual(["Everyone", "Sales"]);
    expect($$('[data-testid="app-client-id"]').map(text)).toEqual(["app_3", "app_4"]);
    await click(button("Move 报销 up"));
    expect(calls).toContainEqual(["order", "x", [4, 3]]);
    expect($$('[data-testid="app-name"]').map(text)).toEqual(["报销", "Leave"]);

    await click(button("New app"));
    // Every app keeps a secret: nothing to choose about it.
    expect($$('#adm-app-new-panel input[type="checkbox"]').length).toBe(4);
    await type($<HTMLInputElement>("#adm-app-new-name"), "Trips");
    await type($<HTMLInputElement>("#adm-app-new-url"), "ftp://trips");
    await click(button("Add app"));
    expect($("#adm-app-new-url")!.getAttribute("aria-invalid")).toBe("true");
    expect(document.activeElement).toBe($("#adm-app-new-url"));
    await type($<HTMLInputElement>("#adm-app-new-url"), "https://apps.example.com/trips/");
    await type($<HTMLTextAreaElement>("#adm-app-new-redirect_uris"), "https://apps.example.com/trips/cb\n\n");
    await click(button("Add app"));
    expect(calls).toContainEqual(["create", "x", {
      name: "Trips", url: "https://apps.example.com/trips/", redirect_uris: ["https://apps.example.com/trips/cb"], scopes: ["profile"],
    }]);
    const dialog = document.querySelector<HTMLElement>('[role="alertdialog"]')!;
    expect(text(dialog.querySelector("h2"))).toBe("Trips added");
    expect(text(dialog.querySelector('[data-testid="app-client-id-value"]'))).toBe("app_9");
    expect(text(dialog.querySelector('[data-testid="app-secret-value"]'))).toBe("mgs_once");
  });

  it("makes a new secret for any app after asking, and shows it once", async () => {
    const { client, calls } = withApps();
    mount(client, <AdminPage tab="apps" />);
    await settle();
    expect($$('[data-testid="app-row"]').map((row) => [...row.querySelectorAll("button")].some((b) => text(b) === "New secret"))).toEqual([true, true]);
    await click(button("New secret for 报销"));
    await click([...document.querySelectorAll<HTMLButtonElement>('[role="alertdialog"] button')].find((b) => text(b) === "New secret"));
    expect(calls).toContainEqual(["rotate", 4]);
    const dialog = document.querySelector<HTMLElement>('[role="alertdialog"]')!;
    expect(text(dialog.querySelector("h2"))).toBe("New secret for 报销");
    expect(text(dialog.querySelector('[data-testid="app-secret-value"]'))).toBe("mgs_again");
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
    expect(appProblem({ ...NEW_APP_FORM, name: "a", url: "https://x/", icon: "ftp://x/i.png" })).toEqual({ field: "icon", kind: "bad" });
    // The server fetches the icon: an http one is as good as an https one.
    expect(appProblem({ ...NEW_APP_FORM, name: "a", url: "https://x/", icon: "http://x/i.png" })).toBeNull();
    expect(appProblem({ ...NEW_APP_FORM, name: "a", url: "https://x/", redirects: "https://x/cb\nnot a url" })).toEqual({ field: "redirect_uris", kind: "bad", line: 2 });
    expect(appProblem({ ...NEW_APP_FORM, name: "a", url: "https://x/", everyone: false })).toEqual({ field: "departments", kind: "none" });
    expect(appRequestOf({ ...NEW_APP_FORM, name: " a ", url: "https://x/", everyone: false, departments: [2], scopes: ["messages:read", "profile"] }))
      .toEqual({ request: { name: "a", url: "https://x/", redirect_uris: [], scopes: ["profile", "messages:read"], departments: [2] } });
    // Everyone: `departments` left out.
    expect(appRequestOf({ ...NEW_APP_FORM, name: "a", url: "https://x/", icon: " http://x/i.png ", description: " d " }))
      .toEqual({ request: { name: "a", description: "d", icon: "http://x/i.png", url: "https://x/", redirect_uris: [], scopes: ["profile"] } });
    // An app without an icon or departments (both left out on the wire) reads as none and everyone.
    expect(formOf(KEPT)).toMatchObject({ icon: "", everyone: true, departments: [] });
    expect(formOf({ ...KEPT, icon: "https://x/i.png", departments: [5] })).toMatchObject({ icon: "https://x/i.png", everyone: false, departments: [5] });
    expect(appChangeOf(KEPT, formOf(KEPT))).toEqual({ change: {} });
    expect(appChangeOf(KEPT, { ...formOf(KEPT), icon: "", everyone: false, departments: [5], name: "Leave 2" }))
      .toEqual({ change: { name: "Leave 2", departments: [5] } });
    expect(appChangeOf(KEPT, { ...formOf(KEPT), icon: "https://x/i.png" })).toEqual({ change: { icon: "https://x/i.png" } });
    expect(appChangeOf({ ...KEPT, icon: "https://x/i.png", departments: [5] }, { ...formOf(KEPT), everyone: true }))
      .toEqual({ change: { icon: null, departments: null } });
    expect(appRefusal(new MagpieError("invalid_field", "bad", { status: 422, field: "redirect_uris[1]" }))).toMatchObject({ field: "redirect_uris" });
    expect(appRefusal(new MagpieError("forbidden", "no", { status: 403 }))).toBeNull();
    expect(movedOrder([{ id: 1 }, { id: 2 }, { id: 3 }], 2, -1)).toEqual([1, 3, 2]);
    expect(movedOrder([{ id: 1 }], 0, 1)).toBeNull();
  });
});
