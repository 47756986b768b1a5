// Administration → Groups against a fake server: the tab is every administrator's, in both
// languages; a domain's groups and channels newest first with their kind, owner, members and
// last activity, searched by name, the dissolved ones shown on demand (marked), a page at a time;
// a group picked shows its members owner first with their roles, is handed to another member
// (confirmed; the members then show the new owner) or dissolved (confirmed, in the danger style;
// then listed only with the dissolved ones); the server's refusals are said; a server
// administrator manages the domain picked for the page.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { render } from "preact";
import { act } from "preact/test-utils";
import { MagpieError, type AdminGroupInfo, type AdminGroupQuery, type Member } from "@magpie/sdk";
import { ClientContext } from "../src/state/client.ts";
import { LocaleContext } from "../src/i18n/hooks.ts";
import { AdminPage } from "../src/components/Admin.tsx";
import { GROUPS_PAGE_LEN } from "../src/lib/groups.ts";
import { ADMIN_TABS, parseRoute, routePath, type AdminTab } from "../src/state/router.ts";
import { FakeClient } from "./fake-client.ts";

let root: HTMLElement;
beforeEach(() => {
  root = document.createElement("div");
  document.body.appendChild(root);
  history.replaceState(null, "", "/");
});
afterEach(() => {
  render(null, root);
  root.remove();
  vi.restoreAllMocks();
});

function mount(client: FakeClient, tab: AdminTab = "groups", locale: "en" | "zh" = "en"): void {
  act(() => {
    render(<LocaleContext.Provider value={locale}><ClientContext.Provider value={client}><AdminPage tab={tab} /></ClientContext.Provider></LocaleContext.Provider>, root);
  });
}
const text = (el: Element | null | undefined) => (el?.textContent ?? "").replace(/\s+/g, " ").trim();
const tabs = () => [...root.querySelectorAll('[role="tab"]')].map(text);
const button = (scope: ParentNode, name: string) => {
  const found = [...scope.querySelectorAll("button")].find((b) => text(b) === name || b.getAttribute("aria-label") === name);
  if (!found) throw new Error(`no button ${name}`);
  return found;
};
const dialog = (name: string) =>
  [...root.querySelectorAll<HTMLElement>('[role="dialog"], [role="alertdialog"]')].find((d) => text(d.querySelector("h2")) === name);
async function settle(): Promise<void> {
  for (let i = 0; i < 50; i++) {
    await act(async () => { await Promise.resolve(); });
    if (root.querySelector('[aria-busy="true"]') === null) return;
  }
  throw new Error("still loading");
}
async function click(el: HTMLElement): Promise<void> {
  act(() => { el.click(); });
  await settle();
}
function change(el: HTMLInputElement | HTMLSelectElement, value: string) {
  act(() => { el.value = value; el.dispatchEvent(new Event(el instanceof HTMLSelectElement ? "change" : "input", { bubbles: true })); });
}
async function search(q: string): Promise<void> {
  change(root.querySelector<HTMLInputElement>("#adm-groups-q")!, q);
  act(() => { root.querySelector<HTMLFormElement>('form[role="search"]')!.requestSubmit(); });
  await settle();
}

const NOW = Date.UTC(2026, 0, 2, 12);
const member = (account: string, role: Member["role"]): Member => ({ account, role, joined_seq: 1, read_seq: 1, delivered_seq: 1 });

/** A fake server's groups of domain `x` (and one of `y.example`): its answers and what it was asked. */
function withGroups(role: "domain_admin" | "server_admin" = "domain_admin") {
  const client = new FakeClient();
  client.me = { ...client.me, account: "root@x", display_name: "Root", role };
  const calls: [string, ...unknown[]][] = [];
  const state = {
    groups: [
      { id: 7, domain: "x", kind: "group", name: "Quarterly numbers", owner: "bob@x", member_count: 3, created_at_ms: NOW - 86_400_000, last_activity_ms: NOW - 60_000, dissolved: false },
      { id: 5, domain: "x", kind: "channel", name: "News", owner: "carol@x", member_count: 12, created_at_ms: NOW - 2 * 86_400_000, last_activity_ms: NOW - 120_000, dissolved: false },
      { id: 4, domain: "x", kind: "group", name: "Old team", member_count: 0, created_at_ms: NOW - 3 * 86_400_000, last_activity_ms: NOW - 3 * 86_400_000, dissolved: true },
      { id: 3, domain: "y.example", kind: "group", name: "Elsewhere", owner: "eve@y.example", member_count: 2, created_at_ms: NOW, last_activity_ms: NOW, dissolved: false },
    ] as (AdminGroupInfo & { domain: string })[],
    members: new Map<number, Member[]>([[7, [member("dave@x", "member"), member("bob@x", "owner"), member("carol@x", "admin")]]]),
    refusal: null as MagpieError | null,
  };
  client.admin = {
    adminGroups: async (domain: string, query: AdminGroupQuery = {}) => {
      calls.push(["list", domain, query]);
      if (domain === "nowhere") throw new MagpieError("not_found", "no such domain", { status: 404 });
      const limit = query.limit ?? 50;
      const matching = state.groups
        .filter((g) => g.domain === domain && (query.dissolved || !g.dissolved) && (!query.q || g.name.toLowerCase().includes(query.q.toLowerCase())))
        .filter((g) => query.before === undefined || g.id < query.before)
        .sort((a, b) => b.id - a.id);
      const page = matching.slice(0, limit).map(({ domain: _d, ...g }) => ({ ...g }));
      return { groups: page, ...(matching.length > limit ? { next_before: page.at(-1)!.id } : {}) };
    },
    adminGroupMembers: async (id: number) => {
      calls.push(["members", id]);
      return (state.members.get(id) ?? []).map((m) => ({ ...m }));
    },
    adminTransferGroup: async (id: number, to: string) => {
      calls.push(["transfer", id, to]);
      if (state.refusal) throw state.refusal;
      const members = state.members.get(id)!;
      state.members.set(id, members.map((m) => (m.account === to ? { ...m, role: "owner" } : m.role === "owner" ? { ...m, role: "admin" } : m)));
      state.groups = state.groups.map((g) => (g.id === id ? { ...g, owner: to } : g));
      return { conversation: id, seq: 9, id: 90, at_ms: NOW, duplicate: false };
    },
    adminDissolveGroup: async (id: number) => {
      calls.push(["dissolve", id]);
      if (state.refusal) throw state.refusal;
      state.groups = state.groups.map((g) => (g.id === id ? { ...g, dissolved: true, owner: undefined } : g));
      return { conversation: id, seq: 10, id: 91, at_ms: NOW, duplicate: false };
    },
    domains: async () => [{ name: "x" }, { name: "y.example" }],
    departmentTree: async () => [],
  } as unknown as typeof client.admin;
  return { client, calls, state };
}

const rows = () => [...root.querySelectorAll<HTMLElement>('[data-testid="admin-group"]')];
const row = (id: number) => root.querySelector<HTMLElement>(`[data-testid="admin-group"][data-id="${id}"]`)!;
const cell = (r: HTMLElement, id: string) => text(r.querySelector(`[data-testid="${id}"]`));
const members = () => [...root.querySelectorAll<HTMLElement>('[data-testid="group-member"]')].map((m) => [m.dataset.account, cell(m, "group-member-role")]);

describe("the groups tab", () => {
  it("is every administrator's, with its route, in both languages", async () => {
    expect(ADMIN_TABS).toContain("groups");
    expect(parseRoute("/admin/groups")).toEqual({ page: "admin", tab: "groups" });
    expect(routePath({ page: "admin", tab: "groups" })).toBe("/admin/groups");
    for (const role of ["domain_admin", "server_admin"] as const) {
      mount(withGroups(role).client, "departments");
      await settle();
      expect(tabs()).toContain("Groups");
      render(null, root);
    }
    mount(withGroups().client, "groups", "zh");
    await settle();
    expect(text(root.querySelector('[role="tab"][aria-selected="true"]'))).toBe("群组");
    expect(text(root.querySelector("#adm-groups"))).toBe("群组和频道");
    expect(cell(row(5), "admin-group-kind")).toBe("频道");
  });

  it("lists a domain's groups newest first with their kind, owner, members and last activity", async () => {
    const { client, calls } = withGroups();
    mount(client);
    await settle();
    expect(calls).toEqual([["list", "x", { limit: GROUPS_PAGE_LEN }]]);
    expect(rows().map((r) => r.dataset.id)).toEqual(["7", "5"]);
    const r = row(5);
    expect(cell(r, "admin-group-name")).toBe("News");
    expect(cell(r, "admin-group-kind")).toBe("Channel");
    expect(cell(r, "admin-group-owner")).toBe("carol@x");
    expect(cell(r, "admin-group-members")).toBe("12");
    expect(r.querySelector("time")!.getAttribute("datetime")).toBe(new Date(NOW - 120_000).toISOString());
    expect(r.querySelector('[data-testid="admin-group-dissolved"]')).toBeNull();
    expect([...root.querySelectorAll(".groups-table th")].map(text)).toEqual(["Name", "Kind", "Owner", "Members", "Last activity", "Actions"]);
    expect(text(root.querySelector('[data-testid="groups-count"]'))).toBe("2 groups shown");
  });

  it("searches by name, and shows the dissolved ones, marked, on demand", async () => {
    const { client, calls } = withGroups();
    mount(client);
    await settle();
    await search("quarterly");
    expect(calls.at(-1)).toEqual(["list", "x", { q: "quarterly", limit: GROUPS_PAGE_LEN }]);
    expect(rows().map((r) => r.dataset.id)).toEqual(["7"]);
    await search("nothing like it");
    expect(text(root.querySelector('[data-testid="groups-empty"]'))).toBe("No group's name contains “nothing like it”.");
    await search("");
    act(() => { root.querySelector<HTMLInputElement>("#adm-groups-dissolved")!.click(); });
    await settle();
    expect(calls.at(-1)).toEqual(["list", "x", { dissolved: true, limit: GROUPS_PAGE_LEN }]);
    expect(rows().map((r) => r.dataset.id)).toEqual(["7", "5", "4"]);
    expect(row(4).dataset.dissolved).toBe("true");
    expect(cell(row(4), "admin-group-dissolved")).toBe("Dissolved");
    expect(cell(row(4), "admin-group-owner")).toBe("—");
  });

  it("pages with `before`", async () => {
    const { client, calls, state } = withGroups();
    state.groups = Array.from({ length: GROUPS_PAGE_LEN + 10 }, (_, i) => ({
      id: 100 + i, domain: "x", kind: "group" as const, name: `Team ${i}`, owner: "bob@x", member_count: 2, created_at_ms: NOW, last_activity_ms: NOW, dissolved: false,
    }));
    mount(client);
    await settle();
    expect(rows()).toHaveLength(GROUPS_PAGE_LEN);
    const last = Number(rows().at(-1)!.dataset.id);
    await click(button(root, "Load more"));
    expect(calls.at(-1)).toEqual(["list", "x", { before: last, limit: GROUPS_PAGE_LEN }]);
    expect(rows()).toHaveLength(GROUPS_PAGE_LEN + 10);
    expect(text(root.querySelector('[data-testid="groups-count"]'))).toBe(`${GROUPS_PAGE_LEN + 10} groups shown`);
    expect([...root.querySelectorAll("button")].some((b) => text(b) === "Load more")).toBe(false);
  });

  it("shows a group's members and hands it to another member", async () => {
    const { client, calls } = withGroups();
    mount(client);
    await settle();
    await click(button(row(7), "Members of Quarterly numbers"));
    expect(calls.at(-1)).toEqual(["members", 7]);
    expect(text(root.querySelector("#adm-group-members"))).toBe("Members of Quarterly numbers");
    expect(members()).toEqual([["bob@x", "Owner"], ["carol@x", "Admin"], ["dave@x", "Member"]]);
    const select = root.querySelector<HTMLSelectElement>("#adm-group-owner")!;
    // Anyone but the owner.
    expect([...select.options].map((o) => o.value)).toEqual(["", "carol@x", "dave@x"]);
    expect(button(root, "Transfer ownership").disabled).toBe(true);
    change(select, "dave@x");
    await click(button(root, "Transfer ownership"));
    const confirm = dialog("Transfer ownership")!;
    expect(text(confirm.querySelector("p"))).toBe("Make dave@x the owner of Quarterly numbers? bob@x becomes an admin.");
    await click(button(confirm, "Transfer ownership"));
    expect(calls.filter(([c]) => c === "transfer")).toEqual([["transfer", 7, "dave@x"]]);
    await vi.waitFor(() => expect(dialog("Transfer ownership")).toBeUndefined());
    // The members as the server now has them, and the list's owner.
    expect(members()).toEqual([["dave@x", "Owner"], ["bob@x", "Admin"], ["carol@x", "Admin"]]);
    expect(cell(row(7), "admin-group-owner")).toBe("dave@x");
    expect(root.querySelector("#adm-group-owner")!.querySelectorAll("option")[1]!.value).toBe("bob@x");
  });

  it("says why the server refused a transfer", async () => {
    const { client, state } = withGroups();
    mount(client);
    await settle();
    await click(button(row(7), "Members of Quarterly numbers"));
    change(root.querySelector<HTMLSelectElement>("#adm-group-owner")!, "carol@x");
    state.refusal = new MagpieError("invalid_field", "the owner already", { status: 400, field: "member" });
    await click(button(root, "Transfer ownership"));
    await click(button(dialog("Transfer ownership")!, "Transfer ownership"));
    await vi.waitFor(() => expect(text(root.querySelector('[data-testid="group-action-error"]'))).toBe("carol@x owns Quarterly numbers already."));
    change(root.querySelector<HTMLSelectElement>("#adm-group-owner")!, "dave@x");
    expect(root.querySelector('[data-testid="group-action-error"]')).toBeNull();
    state.refusal = new MagpieError("not_found", "no member", { status: 404 });
    await click(button(root, "Transfer ownership"));
    await click(button(dialog("Transfer ownership")!, "Transfer ownership"));
    await vi.waitFor(() => expect(text(root.querySelector('[data-testid="group-action-error"]'))).toBe("dave@x isn't a member of Quarterly numbers any more."));
    state.refusal = new MagpieError("conflict", "the group changed hands meanwhile", { status: 409 });
    await click(button(root, "Transfer ownership"));
    await click(button(dialog("Transfer ownership")!, "Transfer ownership"));
    await vi.waitFor(() => expect(text(root.querySelector('[data-testid="group-action-error"]'))).toBe("Quarterly numbers changed hands meanwhile: look at its members again."));
  });

  it("dissolves a group, which is then listed only with the dissolved ones", async () => {
    const { client, calls } = withGroups();
    mount(client);
    await settle();
    await click(button(row(7), "Members of Quarterly numbers"));
    await click(button(root, "Dissolve Quarterly numbers"));
    const confirm = dialog("Dissolve Quarterly numbers")!;
    expect(confirm.getAttribute("role")).toBe("alertdialog");
    expect(text(confirm.querySelector("p"))).toBe("Dissolve Quarterly numbers? It ends for all its 3 members: nobody can send to it any more. This can't be undone.");
    const go = button(confirm, "Dissolve");
    expect(go.classList.contains("btn-danger")).toBe(true);
    await click(go);
    expect(calls.filter(([c]) => c === "dissolve")).toEqual([["dissolve", 7]]);
    expect(rows().map((r) => r.dataset.id)).toEqual(["5"]);
    expect(root.querySelector('[data-testid="group-panel"]')).toBeNull();
    act(() => { root.querySelector<HTMLInputElement>("#adm-groups-dissolved")!.click(); });
    await settle();
    expect(rows().map((r) => r.dataset.id)).toEqual(["7", "5", "4"]);
    expect(cell(row(7), "admin-group-dissolved")).toBe("Dissolved");
    // A dissolved group is not handed over or dissolved again.
    await click(button(row(7), "Members of Quarterly numbers"));
    expect(root.querySelector('[data-testid="group-is-dissolved"]')).not.toBeNull();
    expect(root.querySelector("#adm-group-owner")).toBeNull();
  });

  it("says when a group was dissolved already", async () => {
    const { client, state } = withGroups();
    mount(client);
    await settle();
    await click(button(row(5), "Members of News"));
    state.refusal = new MagpieError("not_found", "dissolved", { status: 404 });
    await click(button(root, "Dissolve News"));
    await click(button(dialog("Dissolve News")!, "Dissolve"));
    expect(text(root.querySelector('[data-testid="group-action-error"]'))).toBe("News was dissolved already, or isn't a group of a domain you administer.");
  });

  it("manages the domain a server administrator picks, and says when it is not theirs or the caller is no administrator", async () => {
    const { client, calls } = withGroups("server_admin");
    mount(client);
    await settle();
    expect(calls.at(-1)).toEqual(["list", "x", { limit: GROUPS_PAGE_LEN }]);
    change(root.querySelector<HTMLSelectElement>(".admin-domain-select")!, "y.example");
    await settle();
    expect(calls.at(-1)).toEqual(["list", "y.example", { limit: GROUPS_PAGE_LEN }]);
    expect(rows().map((r) => r.dataset.id)).toEqual(["3"]);
    expect(text(root.querySelector(".groups-section .admin-intro"))).toContain("The groups and channels of y.example");
    render(null, root);

    const other = withGroups();
    other.client.admin.adminGroups = async () => { throw new MagpieError("not_found", "no such domain", { status: 404 }); };
    mount(other.client);
    await settle();
    expect(text(root.querySelector('[data-testid="groups-error"]'))).toBe("That domain doesn't exist, or you don't administer it.");
    render(null, root);
    other.client.admin.adminGroups = async () => { throw new MagpieError("forbidden", "members may not", { status: 403 }); };
    mount(other.client);
    await settle();
    expect(text(root.querySelector('[data-testid="groups-error"]'))).toBe("Only administrators can manage groups.");
  });
});
