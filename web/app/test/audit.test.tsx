// The audit log (Administration → Audit log): the records newest first with their actor's role,
// each action by its name in the viewer's language, the changed fields before → after, filters
// that make the server's query, paging with next_before, the export, and the empty and error
// states; and the pure parts in lib/audit.ts.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { render } from "preact";
import { act } from "preact/test-utils";
import { MagpieError, type AuditExportQuery, type AuditQuery, type AuditRecordInfo, type AuditRecordList } from "@magpie/sdk";
import { ClientContext } from "../src/state/client.ts";
import { LocaleContext } from "../src/i18n/hooks.ts";
import { AdminPage } from "../src/components/Admin.tsx";
import { AUDIT_ACTIONS, AUDIT_AREAS, auditChanges, auditQueryOf, badRange, dayStartMs, NO_FILTERS } from "../src/lib/audit.ts";
import { en } from "../src/i18n/en.ts";
import { zh } from "../src/i18n/zh.ts";
import { ADMIN_TABS, parseRoute, routePath } from "../src/state/router.ts";
import { FakeClient } from "./fake-client.ts";

let root: HTMLElement;
beforeEach(() => { root = document.createElement("div"); document.body.appendChild(root); });
afterEach(() => { render(null, root); root.remove(); vi.restoreAllMocks(); });

function mount(client: FakeClient, locale: "en" | "zh" = "en"): void {
  act(() => {
    render(<LocaleContext.Provider value={locale}><ClientContext.Provider value={client}><AdminPage tab="audit" /></ClientContext.Provider></LocaleContext.Provider>, root);
  });
}
const text = (el: Element | null | undefined) => (el?.textContent ?? "").replace(/\s+/g, " ").trim();
const section = () => root.querySelector<HTMLElement>('section[aria-labelledby="adm-audit"]')!;
const rows = () => [...section().querySelectorAll<HTMLElement>('[data-testid="audit-record"]')];
const button = (name: string) => [...section().querySelectorAll("button")].find((b) => text(b) === name || b.getAttribute("aria-label") === name)!;
/** Lets the page take the fake's answers (given at once) until it is no longer loading. */
async function settle(): Promise<void> {
  for (let i = 0; i < 50; i++) {
    await act(async () => { await Promise.resolve(); });
    if (section()?.getAttribute("aria-busy") === "false") return;
  }
  throw new Error("the section is still loading");
}
function change(el: HTMLInputElement | HTMLSelectElement, value: string, event: "input" | "change" = el instanceof HTMLSelectElement ? "change" : "input") {
  act(() => { el.value = value; el.dispatchEvent(new Event(event, { bubbles: true })); });
}

const AT_MS = Date.UTC(2026, 0, 2, 3, 4);
const rec = (id: number, action: string, extra: Partial<AuditRecordInfo> = {}): AuditRecordInfo => ({
  id, at_ms: AT_MS - id * 60_000, domain: "x", actor: { name: "alice@x", role: "domain_admin", session: 7 }, ip: "203.0.113.9",
  action, target: "x", ...extra,
});

/** A client whose audit log answers `pages` in turn (the last repeated); what it was asked. */
function withAudit(pages: (AuditRecordList | Error)[], role: "domain_admin" | "server_admin" = "domain_admin") {
  const client = new FakeClient();
  client.me = { ...client.me, role };
  const asked: AuditQuery[] = [];
  const exported: AuditExportQuery[] = [];
  client.admin = {
    auditLog: async (query: AuditQuery = {}) => {
      asked.push(query);
      const page = pages.length > 1 ? pages.shift()! : pages[0]!;
      if (page instanceof Error) throw page;
      return page;
    },
    exportAudit: async (query: AuditExportQuery = {}) => {
      exported.push(query);
      return new Blob(['{"id":1}\n'], { type: "application/x-ndjson" });
    },
    domains: async () => [],
  } as unknown as typeof client.admin;
  return { client, asked, exported };
}

describe("the audit log, for administrators", () => {
  it("is a tab of its own, with its route", () => {
    expect(ADMIN_TABS).toContain("audit");
    expect(parseRoute("/admin/audit")).toEqual({ page: "admin", tab: "audit" });
    expect(routePath({ page: "admin", tab: "audit" })).toBe("/admin/audit");
  });

  it("shows the records newest first, each action by its name, and a record's fields before → after", async () => {
    const { client, asked } = withAudit([{
      records: [
        rec(3, "domain.registration", { before: { registration: "closed" }, after: { registration: "invitation" } }),
        rec(2, "department.create", { target: "department 4 (Sales)", after: { name: "Sales", parent: null, manager: null } }),
        rec(1, "account.create", { actor: { name: "root", role: "operator" }, ip: undefined, target: "<b>bob@x</b>", after: { display_name: "Bob", role: "member" } }),
        rec(0, "robots.dance", { actor: { name: "eve@x", role: "auditor" as never }, target: "x" }),
      ],
    }]);
    mount(client);
    await settle();
    expect(text(root.querySelector('[role="tab"][aria-selected="true"]'))).toBe("Audit log");
    expect(text(section().querySelector("h2"))).toBe("Audit log");
    // A domain's administrator reads their own domain: no domain asked for, no domain column.
    expect(asked).toEqual([{ limit: 50 }]);
    const table = section().querySelector("table")!;
    expect(text(table.querySelector("caption"))).toBe("Audit records");
    expect([...table.querySelectorAll(":scope > thead th")].map(text)).toEqual(["Time", "Actor", "IP address", "Action", "Target", "Changes"]);
    const cells = rows().map((tr) => [...tr.querySelectorAll(":scope > td")].map(text).slice(1, 5));
    expect(cells).toEqual([
      ["alice@x Domain admin", "203.0.113.9", "Changed who may register domain.registration", "x"],
      ["alice@x Domain admin", "203.0.113.9", "Created a department department.create", "department 4 (Sales)"],
      ["root Command line", "—", "Created an account account.create", "<b>bob@x</b>"],
      // What this app does not know, as the server spells it.
      ["eve@x auditor", "203.0.113.9", "robots.dance", "x"],
    ]);
    expect(table.querySelector("b")).toBeNull();
    const time = rows()[0]!.querySelector("time")!;
    expect(time.getAttribute("datetime")).toBe(new Date(AT_MS - 3 * 60_000).toISOString());
    expect(text(section().querySelector('[role="status"]'))).toBe("4 records shown");

    // Open the registration change: the field, before → after, marked changed.
    const toggle = button("Details: Changed who may register, x");
    expect(toggle.getAttribute("aria-expanded")).toBe("false");
    act(() => { toggle.click(); });
    expect(toggle.getAttribute("aria-expanded")).toBe("true");
    const detail = document.getElementById(toggle.getAttribute("aria-controls")!)!;
    expect(text(detail.querySelector("caption"))).toBe("Changes: Changed who may register, x");
    const fields = () => [...detail.querySelectorAll('[data-testid="audit-field"]')].map((tr) => [...tr.children].map(text));
    expect(fields()).toEqual([["registration changed", "closed", "→ invitation"]]);
    expect(text(detail.querySelector(".audit-session"))).toBe("Session 7");

    // A creation: every field is new.
    act(() => { button("Details: Created a department, department 4 (Sales)").click(); });
    const created = document.getElementById("audit-detail-2")!;
    expect([...created.querySelectorAll('[data-testid="audit-field"]')].map((tr) => [...tr.children].map(text))).toEqual([
      ["name changed", "not set", "→ Sales"], ["parent changed", "not set", "→ none"], ["manager changed", "not set", "→ none"],
    ]);
    // Closing one leaves the other open.
    act(() => { toggle.click(); });
    expect(document.getElementById("audit-detail-3")).toBeNull();
    expect(document.getElementById("audit-detail-2")).not.toBeNull();
    // A record with no fields says so.
    act(() => { button("Details: robots.dance, x").click(); });
    expect(text(document.getElementById("audit-detail-0"))).toBe("No fields were recorded for this action.");
  });

  it("filters by actor, action, target and dates, pages with next_before, and clears", async () => {
    const page1 = { records: [rec(9, "department.create"), rec(8, "department.update")], next_before: 8 };
    const page2 = { records: [rec(7, "department.delete")] };
    const { client, asked } = withAudit([{ records: [] }, page1, page2, { records: [] }]);
    mount(client);
    await settle();
    expect(text(section().querySelector('[data-testid="audit-empty"]'))).toBe("No administrative actions have been recorded yet.");
    expect(section().querySelector("table")).toBeNull();

    // Every area and action is offered, each by its name, and each area as a whole.
    const action = section().querySelector<HTMLSelectElement>("#adm-audit-action")!;
    expect([...action.querySelectorAll("optgroup")].map((g) => g.label)).toEqual(Object.keys(AUDIT_AREAS).map((a) => en[`admin.auditArea.${a}` as keyof typeof en]));
    expect([...action.options].map((o) => o.value)).toEqual(["", ...Object.entries(AUDIT_AREAS).flatMap(([area, actions]) => [area, ...actions])]);
    expect(text(action.querySelector('option[value="department"]'))).toBe("Departments: all");

    change(section().querySelector<HTMLInputElement>("#adm-audit-actor")!, "  Alice ");
    change(action, "department");
    change(section().querySelector<HTMLInputElement>("#adm-audit-target")!, "Sales");
    change(section().querySelector<HTMLInputElement>("#adm-audit-from")!, "2026-01-02");
    change(section().querySelector<HTMLInputElement>("#adm-audit-to")!, "2026-01-03");
    // Nothing is asked until the filters are applied.
    expect(asked).toHaveLength(1);
    act(() => { button("Apply filters").click(); });
    await settle();
    expect(asked[1]).toEqual({
      actor: "Alice", action: "department", target: "Sales", since: new Date(2026, 0, 2).getTime(), until: new Date(2026, 0, 4).getTime(), limit: 50,
    });
    expect(rows().map((r) => r.dataset.action)).toEqual(["department.create", "department.update"]);

    act(() => { button("Load more").click(); });
    await settle();
    expect(asked[2]).toEqual({ ...asked[1], before: 8 });
    expect(rows().map((r) => r.dataset.action)).toEqual(["department.create", "department.update", "department.delete"]);
    expect(text(section().querySelector('[role="status"]'))).toBe("3 records shown");
    // The last page: no more to load.
    expect([...section().querySelectorAll("button")].some((b) => text(b) === "Load more")).toBe(false);

    act(() => { button("Clear filters").click(); });
    await settle();
    expect(asked[3]).toEqual({ limit: 50 });
    expect(section().querySelector<HTMLInputElement>("#adm-audit-actor")!.value).toBe("");
    expect(text(section().querySelector('[data-testid="audit-empty"]'))).toBe("No administrative actions have been recorded yet.");
  });

  it("refuses an end date before the start date", async () => {
    const { client, asked } = withAudit([{ records: [] }]);
    mount(client);
    await settle();
    change(section().querySelector<HTMLInputElement>("#adm-audit-from")!, "2026-03-05");
    change(section().querySelector<HTMLInputElement>("#adm-audit-to")!, "2026-03-04");
    act(() => { button("Apply filters").click(); });
    await settle();
    expect(text(section().querySelector('[role="alert"]'))).toBe("The end date is before the start date.");
    expect(asked).toHaveLength(1);
  });

  it("says when nothing matches the filters", async () => {
    const { client } = withAudit([{ records: [rec(1, "ldap.sync")] }, { records: [] }]);
    mount(client);
    await settle();
    change(section().querySelector<HTMLSelectElement>("#adm-audit-action")!, "stickers.add");
    act(() => { button("Apply filters").click(); });
    await settle();
    expect(text(section().querySelector('[data-testid="audit-empty"]'))).toBe("No records match these filters.");
  });

  it("exports the records of the filters applied as a file", async () => {
    const { client, exported } = withAudit([{ records: [rec(1, "invitation.create")] }]);
    const clicked: { href: string; download: string }[] = [];
    vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(function (this: HTMLAnchorElement) { clicked.push({ href: this.href, download: this.download }); });
    const made = vi.fn(() => "blob:audit");
    Object.assign(URL, { createObjectURL: made, revokeObjectURL: vi.fn() });
    mount(client);
    await settle();
    change(section().querySelector<HTMLSelectElement>("#adm-audit-action")!, "invitation");
    act(() => { button("Apply filters").click(); });
    await settle();
    // A filter typed but not applied is not the list's, and not the export's.
    change(section().querySelector<HTMLInputElement>("#adm-audit-target")!, "typed only");
    act(() => { button("Export (JSON Lines)").click(); });
    await vi.waitFor(() => expect(clicked).toHaveLength(1));
    expect(exported).toEqual([{ action: "invitation" }]);
    expect(clicked[0]).toEqual({ href: "blob:audit", download: "magpie-audit.jsonl" });
    expect(made).toHaveBeenCalledWith(expect.any(Blob));
  });

  it("says when an export fails, and keeps the records shown", async () => {
    const { client } = withAudit([{ records: [rec(1, "invitation.create")] }]);
    client.admin.exportAudit = async () => { throw new MagpieError("network", "offline"); };
    mount(client);
    await settle();
    act(() => { button("Export (JSON Lines)").click(); });
    await vi.waitFor(() => expect(text(section().querySelector('[data-testid="audit-export-error"]'))).toBe("Can't reach the server."));
    expect(rows()).toHaveLength(1);
    expect(section().querySelector('[data-testid="audit-error"]')).toBeNull();
  });

  it("lets a server administrator read every domain, one domain, or the deployment's records, with a domain column", async () => {
    const { client, asked } = withAudit([
      { records: [rec(2, "domain.create", { domain: undefined, target: "y", after: { name: "y" } }), rec(1, "ldap.sync")] },
    ], "server_admin");
    mount(client);
    await settle();
    expect(asked[0]).toEqual({ limit: 50 });
    expect([...section().querySelectorAll(":scope table > thead th")].map(text)).toContain("Domain");
    expect(rows().map((r) => text(r.querySelectorAll("td")[5]))).toEqual(["Deployment-wide", "x"]);
    const scope = section().querySelector<HTMLSelectElement>("#adm-audit-scope")!;
    expect([...scope.options].map(text)).toEqual(["All domains", "x only", "Deployment-wide only"]);
    change(scope, "domain");
    act(() => { button("Apply filters").click(); });
    await settle();
    expect(asked[1]).toEqual({ domain: "x", limit: 50 });
    change(scope, "deployment");
    act(() => { button("Apply filters").click(); });
    await settle();
    expect(asked[2]).toEqual({ deployment_only: true, limit: 50 });
  });

  it("says what went wrong: a member's refusal, a server without the log, anything else", async () => {
    for (const [error, says] of [
      [new MagpieError("forbidden", "no", { status: 403 }), "Only administrators can read the audit log."],
      [new MagpieError("not_found", "no route", { status: 404 }), "This server doesn't keep an audit log."],
      [new MagpieError("network", "offline"), "Can't reach the server."],
    ] as const) {
      const { client } = withAudit([error]);
      mount(client);
      await settle();
      expect(text(section().querySelector('[data-testid="audit-error"]'))).toBe(says);
      expect(section().querySelector("table")).toBeNull();
      render(null, root);
    }
  });

  it("says it in Chinese", async () => {
    const { client } = withAudit([{
      records: [rec(1, "department.update", {
        target: "department 4 (销售部)", before: { name: "销售部", manager: null, chat: false }, after: { name: "销售一部", manager: null, chat: true },
      })],
    }]);
    mount(client, "zh");
    await settle();
    expect(text(root.querySelector('[role="tab"][aria-selected="true"]'))).toBe("审计日志");
    expect(text(section().querySelector("h2"))).toBe("审计日志");
    expect([...section().querySelectorAll(":scope table > thead th")].map(text)).toEqual(["时间", "操作人", "IP 地址", "操作", "操作对象", "变更"]);
    expect(text(rows()[0]!.querySelector('[data-testid="audit-role"]'))).toBe("域管理员");
    expect(text(rows()[0]!.querySelector('[data-testid="audit-action"]'))).toBe("修改部门");
    act(() => { button("详情：修改部门，department 4 (销售部)").click(); });
    expect([...document.querySelectorAll('#audit-detail-1 [data-testid="audit-field"]')].map((tr) => [...tr.children].map(text))).toEqual([
      ["name 已变更", "销售部", "→ 销售一部"], ["manager", "无", "→ 无"], ["chat 已变更", "否", "→ 是"],
    ]);
    expect(document.querySelector('#audit-detail-1 [data-field="manager"]')!.getAttribute("data-changed")).toBe("false");
  });
});

describe("the audit log's pure parts", () => {
  it("names every action and area in both languages", () => {
    for (const action of AUDIT_ACTIONS) {
      expect(en[`admin.auditAction.${action}`], action).toBeTruthy();
      expect(zh[`admin.auditAction.${action}`], action).toBeTruthy();
    }
    expect(AUDIT_ACTIONS).toHaveLength(49);
    for (const action of AUDIT_ACTIONS) expect(action.split(".")[0]! in AUDIT_AREAS).toBe(true);
  });

  it("compares before and after field by field, as JSON", () => {
    expect(auditChanges({})).toEqual([]);
    expect(auditChanges({ before: { a: 1, b: [1, 2], c: { x: 1, y: 2 } }, after: { c: { y: 2, x: 1 }, b: [2, 1], d: "new" } })).toEqual([
      { field: "a", before: 1, after: undefined, changed: true },
      { field: "b", before: [1, 2], after: [2, 1], changed: true },
      { field: "c", before: { x: 1, y: 2 }, after: { y: 2, x: 1 }, changed: false },
      { field: "d", before: undefined, after: "new", changed: true },
    ]);
    expect(auditChanges({ before: { manager: null }, after: { manager: null } })[0]!.changed).toBe(false);
  });

  it("makes the query of the filters: days in local time, the end day included", () => {
    expect(dayStartMs("")).toBeUndefined();
    expect(dayStartMs("2026-12-31", 1)).toBe(new Date(2027, 0, 1).getTime());
    expect(auditQueryOf({ ...NO_FILTERS, actor: " ", target: "", to: "2026-02-28" }, { serverAdmin: false, domain: "x" })).toEqual({ until: new Date(2026, 2, 1).getTime() });
    // A domain's administrator never names a domain, whatever the scope says.
    expect(auditQueryOf({ ...NO_FILTERS, scope: "domain" }, { serverAdmin: false, domain: "x" })).toEqual({});
    expect(auditQueryOf({ ...NO_FILTERS, scope: "deployment" }, { serverAdmin: false, domain: "x" })).toEqual({});
    expect(badRange({ from: "2026-01-02", to: "2026-01-02" })).toBe(false);
    expect(badRange({ from: "2026-01-02", to: "2026-01-01" })).toBe(true);
    expect(badRange({ from: "", to: "2026-01-01" })).toBe(false);
  });
});
