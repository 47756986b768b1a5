// The console (Administration → Dashboard, Connections, Backups, Moderation, Domains) against a
// fake server: which sections each role sees; the dashboard's tiles, its charts' data (uPlot is
// replaced by a recorder) and its refresh every 10 s while the page is shown; the connections
// with Disconnect; a backup made with its progress and the refusal while another runs; the
// forbidden words as the server kept them; and domains listed, made and picked for the page.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { render } from "preact";
import { act } from "preact/test-utils";
import {
  MagpieError, type BackupInfo, type ConnectionInfo, type ConnectionsQuery, type Dashboard, type DashboardSample, type DomainInfo, type ModerationRules,
} from "@magpie/sdk";
import { ClientContext } from "../src/state/client.ts";
import { LocaleContext } from "../src/i18n/hooks.ts";
import { AdminPage } from "../src/components/Admin.tsx";
import { DASHBOARD_REFRESH_SECS } from "../src/components/AdminConsole.tsx";
import type { AdminTab } from "../src/state/router.ts";
import { FakeClient } from "./fake-client.ts";

/** What the charts were given: uPlot itself needs a canvas, which jsdom has not. */
const plots = vi.hoisted(() => [] as { title: string; data: unknown[]; updates: unknown[][]; destroyed: boolean }[]);
vi.mock("uplot", () => ({
  default: class {
    private readonly record: (typeof plots)[number];
    constructor(options: { series: { label?: string }[] }, data: unknown[], el: HTMLElement) {
      this.record = { title: el.getAttribute("aria-label") ?? "", data, updates: [], destroyed: false };
      plots.push(this.record);
      void options;
    }
    setData(data: unknown[]) { this.record.updates.push(data); }
    setSize() {}
    destroy() { this.record.destroyed = true; }
  },
}));

let root: HTMLElement;
beforeEach(() => {
  root = document.createElement("div");
  document.body.appendChild(root);
  plots.length = 0;
  history.replaceState(null, "", "/");
});
afterEach(() => {
  render(null, root);
  root.remove();
  vi.restoreAllMocks();
  vi.useRealTimers();
  Object.defineProperty(document, "visibilityState", { value: "visible", configurable: true });
});

function mount(client: FakeClient, tab: AdminTab, locale: "en" | "zh" = "en"): void {
  act(() => {
    render(<LocaleContext.Provider value={locale}><ClientContext.Provider value={client}><AdminPage tab={tab} /></ClientContext.Provider></LocaleContext.Provider>, root);
  });
}
const text = (el: Element | null | undefined) => (el?.textContent ?? "").replace(/\s+/g, " ").trim();
const tabs = () => [...root.querySelectorAll('[role="tab"]')].map(text);
const buttonIn = (scope: ParentNode, name: string) =>
  [...scope.querySelectorAll("button")].find((b) => text(b) === name || b.getAttribute("aria-label") === name);
const button = (scope: ParentNode, name: string) => {
  const found = buttonIn(scope, name);
  if (!found) throw new Error(`no button ${name}`);
  return found;
};
const dialog = (name: string) =>
  [...root.querySelectorAll<HTMLElement>('[role="dialog"], [role="alertdialog"]')].find((d) => text(d.querySelector("h2")) === name);
/** Lets the page take the fake's answers (given at once) until nothing is loading. */
async function settle(): Promise<void> {
  for (let i = 0; i < 50; i++) {
    await act(async () => { await Promise.resolve(); });
    if (root.querySelector('[aria-busy="true"]') === null) return;
  }
  throw new Error("still loading");
}
async function click(el: HTMLElement | undefined): Promise<void> {
  if (!el) throw new Error("nothing to click");
  act(() => { el.click(); });
  await settle();
}
function change(el: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement, value: string) {
  act(() => { el.value = value; el.dispatchEvent(new Event(el instanceof HTMLSelectElement ? "change" : "input", { bubbles: true })); });
}

const NOW = Date.UTC(2026, 0, 2, 12);
const sample = (at_ms: number, extra: Partial<DashboardSample> = {}): DashboardSample => ({
  at_ms, connections: 3, accounts_online: 2, entries_per_min: 12.34, requests_per_min: 240, errors_per_min: 0.5, latency_ms_mean: 3.21,
  latency_ms_p99: 16, cpu_percent: 4.56, memory_bytes: 48 * 1024 * 1024, database_bytes: 5 * 1024 * 1024, follower_lag_max: 0, ...extra,
});

/** A fake server's console: its answers and what it was asked. */
function withConsole(role: "domain_admin" | "server_admin" = "server_admin") {
  const client = new FakeClient();
  client.me = { ...client.me, account: "root@x", display_name: "Root", role };
  client.session = { ...client.session, id: 1 };
  const calls: [string, ...unknown[]][] = [];
  const state = {
    dashboards: [] as (Dashboard | Error)[],
    connections: [
      { account: "bob@x", session: 7, device: "Firefox on Linux", ip: "203.0.113.5", connected_at_ms: NOW - 60_000 },
      { account: "root@x", session: 1, device: "Chrome on Linux", ip: "127.0.0.1", connected_at_ms: NOW - 120_000 },
      { account: "carol@y.example", session: 9, connected_at_ms: NOW - 180_000 },
    ] as ConnectionInfo[],
    backups: [
      { name: "magpie-20260101T000000Z", created_at_ms: NOW - 86_400_000, finished: true, database_bytes: 2 * 1024 * 1024, files: 12, files_bytes: 3 * 1024 * 1024, missing: 0 },
      { name: "magpie-20251231T000000Z", created_at_ms: NOW - 2 * 86_400_000, finished: false, database_bytes: 1024, files: 0, files_bytes: 0, missing: 2 },
    ] as BackupInfo[],
    making: null as null | { resolve: (b: BackupInfo) => void; reject: (e: Error) => void },
    rules: { action: "block", words: ["plum"] } as ModerationRules,
    domains: [{ name: "x", registration: "open", created_at_ms: NOW, email_verification: false, members_invite: true, direct_requires_friendship: false }] as DomainInfo[],
  };
  client.admin = {
    dashboard: async () => {
      calls.push(["dashboard"]);
      const next = state.dashboards.length > 1 ? state.dashboards.shift()! : state.dashboards[0]!;
      if (next instanceof Error) throw next;
      return next;
    },
    connections: async (query: ConnectionsQuery = {}) => {
      calls.push(["connections", query]);
      const list = state.connections.filter((c) => !query.domain || c.account.endsWith(`@${query.domain}`));
      return { total: list.length, connections: list };
    },
    revokeAccountSession: async (account: string, session: number) => { calls.push(["revoke", account, session]); },
    backups: async () => { calls.push(["backups"]); return [...state.backups]; },
    makeBackup: () => {
      calls.push(["make"]);
      return new Promise<BackupInfo>((resolve, reject) => { state.making = { resolve, reject }; });
    },
    moderation: async (domain: string) => { calls.push(["moderation", domain]); return state.rules; },
    setModeration: async (domain: string, rules: ModerationRules) => {
      calls.push(["set moderation", domain, rules]);
      const seen = new Set<string>();
      state.rules = { action: rules.action, words: rules.words.map((w) => w.trim()).filter((w) => w && !seen.has(w.toLowerCase()) && !!seen.add(w.toLowerCase())) };
      return state.rules;
    },
    domains: async () => { calls.push(["domains"]); return [...state.domains]; },
    createDomain: async ({ name }: { name: string }) => {
      calls.push(["create domain", name]);
      if (state.domains.some((d) => d.name === name)) throw new MagpieError("already_exists", "domain exists", { status: 409 });
      const made: DomainInfo = { name, registration: "closed", created_at_ms: NOW, email_verification: false, members_invite: false, direct_requires_friendship: false };
      state.domains.push(made);
      return made;
    },
    departmentTree: async () => [],
  } as unknown as typeof client.admin;
  return { client, calls, state };
}

describe("the console's sections", () => {
  it("shows the dashboard, backups and domains to server administrators only", async () => {
    const server = withConsole("server_admin");
    mount(server.client, "departments");
    await settle();
    expect(tabs()).toEqual([
      "Departments", "Accounts", "Groups", "Stickers", "Bots", "Apps", "Registration", "Invitations", "Applications", "Announcements", "Moderation", "LDAP sync", "Push delivery", "Audit log",
      "Exports", "Retention", "Connections", "Dashboard", "Logs", "Backups", "Domains",
    ]);
    render(null, root);

    const domain = withConsole("domain_admin");
    mount(domain.client, "dashboard");
    await settle();
    expect(tabs()).not.toContain("Dashboard");
    expect(tabs()).not.toContain("Logs");
    expect(tabs()).toContain("Connections");
    expect(tabs()).toContain("Moderation");
    // An old link to a server's section opens the first section instead.
    expect(text(root.querySelector('[role="tab"][aria-selected="true"]'))).toBe("Departments");
    expect(location.pathname).toBe("/admin/departments");
    expect(domain.calls.map(([c]) => c)).not.toContain("dashboard");
  });
});

describe("the dashboard", () => {
  const dashboard = (now: DashboardSample, hour: DashboardSample[], day: DashboardSample[] = []): Dashboard => ({ sample_secs: 10, now, hour, day });

  it("shows now in tiles and the hour in charts, and the day when asked", async () => {
    const { client, state } = withConsole();
    const hour = [sample(NOW - 20_000, { connections: 1 }), sample(NOW - 10_000, { connections: 5 }), sample(NOW, { connections: 3 })];
    const day = [sample(NOW - 120_000, { connections: 9 }), sample(NOW - 60_000, { connections: 8 })];
    state.dashboards = [dashboard(sample(NOW, { files_bytes: undefined }), hour, day)];
    mount(client, "dashboard");
    await settle();
    const section = root.querySelector<HTMLElement>('section[aria-labelledby="adm-dash"]')!;
    const tile = (id: string) => text(section.querySelector(`[data-testid="dash-${id}"] dd`));
    expect(tile("connections")).toBe("3");
    expect(tile("accounts")).toBe("2");
    expect(tile("entries")).toBe("12.3");
    expect(tile("requests")).toBe("240");
    expect(tile("errors")).toBe("0.5");
    expect(tile("latency-mean")).toBe("3.2 ms");
    expect(tile("latency-p99")).toBe("16 ms");
    expect(tile("cpu")).toBe("4.6%");
    expect(tile("memory")).toBe("48 MB");
    expect(tile("database")).toBe("5 MB");
    // A size the server cannot measure.
    expect(tile("files")).toBe("—");
    expect(text(section.querySelector('[data-testid="dash-lag"] dt'))).toBe("Follower lag (commits)");

    await vi.waitFor(() => expect(plots).toHaveLength(6));
    const connections = plots[0]!;
    expect(connections.data).toEqual([[(NOW - 20_000) / 1000, (NOW - 10_000) / 1000, NOW / 1000], [1, 5, 3], [2, 2, 2]]);
    // The canvas stands for itself in words.
    expect(connections.title).toBe("Connections and accounts online: Connections now 3, lowest 1, highest 5; Accounts online now 2, lowest 2, highest 2");
    const figure = section.querySelector('[data-testid="chart-dash-chart-connections"]')!;
    expect(text(figure.querySelector("h3"))).toBe("Connections and accounts online");
    expect([...figure.querySelectorAll('[data-testid="chart-value"]')].map(text)).toEqual(["3", "2"]);
    expect(text(section.querySelector('[data-testid="chart-dash-chart-memory"] [data-testid="chart-value"]'))).toBe("48 MB");

    const hourButton = button(section, "Last hour");
    expect(hourButton.getAttribute("aria-pressed")).toBe("true");
    await click(button(section, "Last day"));
    expect(button(section, "Last day").getAttribute("aria-pressed")).toBe("true");
    expect(text(section.querySelector("#adm-dash-charts"))).toBe("The last day");
    expect(plots[0]!.updates.at(-1)).toEqual([[(NOW - 120_000) / 1000, (NOW - 60_000) / 1000], [9, 8], [2, 2]]);
  });

  it("asks again every 10 s while the page is shown, and not while it is hidden", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"] });
    vi.setSystemTime(NOW);
    const { client, state, calls } = withConsole();
    state.dashboards = [dashboard(sample(NOW, { connections: 1 }), []), dashboard(sample(NOW + 10_000, { connections: 2 }), []), dashboard(sample(NOW + 20_000, { connections: 4 }), [])];
    mount(client, "dashboard");
    await settle();
    const value = () => text(root.querySelector('[data-testid="dash-connections"] dd'));
    expect(value()).toBe("1");
    // No samples yet: each chart says so instead.
    expect(text(root.querySelector('[data-testid="chart-dash-chart-cpu"] .chart-empty'))).toBe("Not enough samples yet: the server takes one every 10 seconds.");
    await act(async () => { vi.advanceTimersByTime(DASHBOARD_REFRESH_SECS * 1000 - 1); });
    expect(calls.filter(([c]) => c === "dashboard")).toHaveLength(1);
    await act(async () => { vi.advanceTimersByTime(1); });
    await settle();
    expect(value()).toBe("2");

    Object.defineProperty(document, "visibilityState", { value: "hidden", configurable: true });
    act(() => { document.dispatchEvent(new Event("visibilitychange")); });
    await act(async () => { vi.advanceTimersByTime(60_000); });
    expect(calls.filter(([c]) => c === "dashboard")).toHaveLength(2);
    // Shown again: asked at once.
    Object.defineProperty(document, "visibilityState", { value: "visible", configurable: true });
    act(() => { document.dispatchEvent(new Event("visibilitychange")); });
    await settle();
    expect(calls.filter(([c]) => c === "dashboard")).toHaveLength(3);
    expect(value()).toBe("4");
  });

  it("shows the TLS certificate of a node that terminates TLS, with a warning near expiry and the last failure", async () => {
    const { client, state } = withConsole();
    const day = 86_400_000;
    state.dashboards = [
      { ...dashboard(sample(NOW), []), tls: { source: "files", names: ["chat.example.com", "im.example.com"], expires_at_ms: NOW + 90 * day + 1000 } },
    ];
    mount(client, "dashboard");
    await settle();
    const card = root.querySelector<HTMLElement>('[data-testid="dash-tls"]')!;
    expect(card.getAttribute("role")).toBe("group");
    expect(text(card.querySelector("h3"))).toBe("TLS certificate");
    expect(text(card.querySelector('[data-testid="tls-source"]'))).toBe("The configured certificate files (read again when they change)");
    expect(text(card.querySelector('[data-testid="tls-names"]'))).toBe("chat.example.com, im.example.com");
    expect(text(card.querySelector('[data-testid="tls-expires"]'))).toMatch(/, in 90 days$/);
    expect(card.classList.contains("warn")).toBe(false);
    expect(card.querySelector('[data-testid="tls-error"]')).toBeNull();
    render(null, root);

    // From ACME, ten days left, and the last renewal failed: both said, in Chinese too.
    const zh = withConsole();
    zh.state.dashboards = [{
      ...dashboard(sample(NOW), []),
      tls: { source: "acme", names: ["chat.example.com"], expires_at_ms: NOW + 10 * day + 1000, error: "ACME validation: connection refused", error_at_ms: NOW - 60_000 },
    }];
    mount(zh.client, "dashboard", "zh");
    await settle();
    const warned = root.querySelector<HTMLElement>('[data-testid="dash-tls"]')!;
    expect(warned.classList.contains("warn")).toBe(true);
    expect(text(warned.querySelector('[data-testid="tls-source"]'))).toBe("ACME（由服务器自动申请与续期）");
    expect(text(warned.querySelector('[data-testid="tls-expires"]'))).toMatch(/还有 10 天：请尽快续期$/);
    const error = warned.querySelector('[data-testid="tls-error"]')!;
    expect(error.getAttribute("role")).toBe("alert");
    expect(text(error)).toContain("ACME validation: connection refused");
    render(null, root);

    // A node that serves plain HTTP shows no card.
    const plain = withConsole();
    plain.state.dashboards = [dashboard(sample(NOW), [])];
    mount(plain.client, "dashboard");
    await settle();
    expect(root.querySelector('[data-testid="dash-tls"]')).toBeNull();
  });

  it("says when it is not the caller's to see, in Chinese too", async () => {
    const { client, state } = withConsole();
    state.dashboards = [new MagpieError("forbidden", "server administrators only", { status: 403 })];
    mount(client, "dashboard");
    await settle();
    expect(text(root.querySelector('[data-testid="dash-error"]'))).toBe("Only server administrators can see the dashboard.");
    render(null, root);
    const zh = withConsole();
    zh.state.dashboards = [dashboard(sample(NOW), [sample(NOW - 10_000), sample(NOW)])];
    mount(zh.client, "dashboard", "zh");
    await settle();
    expect(text(root.querySelector('[role="tab"][aria-selected="true"]'))).toBe("仪表盘");
    expect(text(root.querySelector('[data-testid="dash-accounts"] dt'))).toBe("在线账号");
    expect(text(root.querySelector('[data-testid="chart-dash-chart-requests"] h3'))).toBe("每分钟请求与错误");
  });
});

describe("the connections", () => {
  it("lists who is connected, and disconnects one after asking; never the caller's own", async () => {
    const { client, calls } = withConsole();
    mount(client, "connections");
    await settle();
    const section = root.querySelector<HTMLElement>('section[aria-labelledby="adm-conn"]')!;
    const rows = () => [...section.querySelectorAll<HTMLElement>('[data-testid="connection"]')];
    expect(calls[0]).toEqual(["connections", { limit: 500 }]);
    expect(rows().map((r) => [...r.querySelectorAll("td")].slice(0, 3).map(text))).toEqual([
      ["bob@x", "Firefox on Linux", "203.0.113.5"], ["root@x", "Chrome on LinuxThis browser", "127.0.0.1"], ["carol@y.example", "Unknown device", "—"],
    ]);
    expect(rows()[1]!.querySelector("button")).toBeNull();
    expect(text(section.querySelector('[data-testid="connections-count"]'))).toMatch(/^3 connections · as of \d\d:\d\d$/);

    await click(button(rows()[0]!, "Disconnect Firefox on Linux of bob@x"));
    const confirm = dialog("Disconnect")!;
    expect(text(confirm.querySelector("p"))).toBe("Disconnect Firefox on Linux of bob@x? That session ends: the device is signed out and can sign in again.");
    expect(calls.filter(([c]) => c === "revoke")).toEqual([]);
    await click(button(confirm, "Disconnect"));
    expect(calls.filter(([c]) => c === "revoke")).toEqual([["revoke", "bob@x", 7]]);
    // The fake server still lists it (its socket closes in a moment): it is gone all the same.
    expect(rows().map((r) => r.dataset.account)).toEqual(["root@x", "carol@y.example"]);
    expect(text(section.querySelector('[data-testid="connections-count"]'))).toMatch(/^2 connections/);
  });

  it("shows a server administrator every domain's, or the page's domain's", async () => {
    const { client, calls } = withConsole();
    mount(client, "connections");
    await settle();
    const scope = root.querySelector<HTMLSelectElement>("#adm-conn-scope")!;
    expect(text(root.querySelector(`label[for="${scope.id}"]`))).toBe("Connections of");
    change(scope, "domain");
    await settle();
    expect(calls.at(-1)).toEqual(["connections", { limit: 500, domain: "x" }]);
    expect([...root.querySelectorAll<HTMLElement>('[data-testid="connection"]')].map((r) => r.dataset.account)).toEqual(["bob@x", "root@x"]);
  });
});

describe("the backups", () => {
  it("lists them, and makes one with its progress shown until the server answers", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval", "Date"] });
    vi.setSystemTime(NOW);
    const { client, state } = withConsole();
    mount(client, "backups");
    await settle();
    const section = root.querySelector<HTMLElement>('section[aria-labelledby="adm-backups"]')!;
    const rows = () => [...section.querySelectorAll<HTMLElement>('[data-testid="backup"]')];
    expect(rows().map((r) => [...r.querySelectorAll("td")].map(text).slice(2))).toEqual([
      ["Finished", "2 MB", "12", "3 MB", "0"], ["Broke off", "1 KB", "0", "0 B", "2"],
    ]);

    await click(button(section, "Back up now"));
    const now = button(section, "Backing up…");
    expect(now.disabled).toBe(true);
    await act(async () => { vi.advanceTimersByTime(3000); });
    expect(text(section.querySelector('[data-testid="backup-progress"] [role="status"]'))).toBe("Making a backup… This page can stay open; the list updates when it's done.");
    expect(text(section.querySelector('[data-testid="backup-elapsed"]'))).toBe("0:03");
    const made: BackupInfo = { name: "magpie-20260102T120000Z", created_at_ms: NOW, finished: true, database_bytes: 3 * 1024 * 1024, files: 13, files_bytes: 3 * 1024 * 1024, missing: 0 };
    state.backups.unshift(made);
    await act(async () => { state.making!.resolve(made); });
    await settle();
    expect(rows()[0]!.dataset.name).toBe(made.name);
    expect(text(rows()[0]!.querySelector(".backup-name"))).toBe("magpie-20260102T120000ZNew");
    expect(text(section.querySelector('[data-testid="backup-progress"]'))).toBe("");
    expect(button(section, "Back up now").disabled).toBe(false);
  });

  it("says when another backup is being made", async () => {
    const { client, state } = withConsole();
    mount(client, "backups");
    await settle();
    const section = root.querySelector<HTMLElement>('section[aria-labelledby="adm-backups"]')!;
    await click(button(section, "Back up now"));
    await act(async () => { state.making!.reject(new MagpieError("conflict", "a backup is being made", { status: 409 })); });
    await settle();
    expect(text(section.querySelector('[data-testid="backup-error"]'))).toBe("Another backup is being made. Try again when it has finished.");
    expect(section.querySelectorAll('[data-testid="backup"]')).toHaveLength(2);
  });
});

describe("the forbidden words", () => {
  it("saves the words one a line and shows what the server kept", async () => {
    const { client, calls } = withConsole("domain_admin");
    mount(client, "moderation");
    await settle();
    const words = root.querySelector<HTMLTextAreaElement>("#adm-mod-words")!;
    expect(words.value).toBe("plum");
    expect(root.querySelector<HTMLInputElement>('input[value="block"]')!.checked).toBe(true);
    change(words, " plum \nPLUM\n\n坏词\n");
    expect(text(root.querySelector('[data-testid="moderation-count"]'))).toBe("2 of at most 2,000 words");
    act(() => { root.querySelector<HTMLInputElement>('input[value="mask"]')!.click(); });
    await click(button(root, "Save forbidden words"));
    expect(calls.at(-1)).toEqual(["set moderation", "x", { action: "mask", words: ["plum", "PLUM", "坏词"] }]);
    expect(words.value).toBe("plum\n坏词");
    expect([...root.querySelectorAll('[data-testid="moderation-saved"] span')].map(text)).toEqual(["Saved: the server kept 2 words.", "1 repeat was dropped."]);
  });

  it("refuses a word too long before asking the server, on the field", async () => {
    const { client, calls } = withConsole("domain_admin");
    mount(client, "moderation", "zh");
    await settle();
    const words = root.querySelector<HTMLTextAreaElement>("#adm-mod-words")!;
    change(words, `ok\n${"词".repeat(33)}`);
    await click(button(root, "保存敏感词"));
    expect(calls.filter(([c]) => c === "set moderation")).toEqual([]);
    expect(words.getAttribute("aria-invalid")).toBe("true");
    expect(text(document.getElementById("adm-mod-words-error"))).toBe(`“${"词".repeat(33)}”超过了 32 个字符。`);
    expect(words.getAttribute("aria-describedby")).toContain("adm-mod-words-error");
  });
});

describe("the domains", () => {
  it("lists them with their settings, makes one, and picks one for the page", async () => {
    const { client, calls } = withConsole();
    mount(client, "domains");
    await settle();
    const list = root.querySelector<HTMLElement>('section[aria-labelledby="adm-domains"]')!;
    const rows = () => [...list.querySelectorAll<HTMLElement>('[data-testid="domain"]')];
    expect(rows().map((r) => [...r.querySelectorAll("td")].slice(0, 5).map(text))).toEqual([["xShown on this page", "Open", "no", "yes", "no"]]);
    // One domain: nothing to pick yet.
    expect(root.querySelector(".admin-domain-select")).toBeNull();

    const form = root.querySelector<HTMLElement>('section[aria-labelledby="adm-domain-new"]')!;
    const name = form.querySelector<HTMLInputElement>("#adm-domain-name")!;
    await click(button(form, "Create domain"));
    expect(text(document.getElementById("adm-domain-name-error"))).toBe("Enter a domain name.");
    change(name, "X");
    await click(button(form, "Create domain"));
    expect(text(document.getElementById("adm-domain-name-error"))).toBe("A domain of this name exists already.");
    change(name, " Acme.Example ");
    await click(button(form, "Create domain"));
    expect(calls.filter(([c]) => c === "create domain").at(-1)).toEqual(["create domain", "acme.example"]);
    expect(name.value).toBe("");
    expect(rows().map((r) => r.dataset.domain)).toEqual(["x", "acme.example"]);
    expect(text(rows()[1]!.querySelectorAll("td")[1])).toBe("Closed");
    // The page's picker has it now.
    const picker = root.querySelector<HTMLSelectElement>(".admin-domain-select")!;
    expect([...picker.options].map((o) => o.value)).toEqual(["x", "acme.example"]);

    await click(button(rows()[1]!, "Manage acme.example"));
    expect(location.pathname).toBe("/admin/registration");
    expect(picker.value).toBe("acme.example");
  });
});
