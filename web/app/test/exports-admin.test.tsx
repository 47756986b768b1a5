// Compliance exports (Administration → Exports) against a fake server: the tab is every
// administrator's; an export is started for an account or a conversation with the form's dates,
// and what is wrong with the form is said on its field before the server is asked, and the
// server's refusals after; the list follows a running export every few seconds until it is done
// (and not while the page is hidden), shows a failed one's error, and Download saves the archive
// under its name; a server administrator sees every domain's, or the page's.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { render } from "preact";
import { act } from "preact/test-utils";
import { MagpieError, type ExportInfo, type NewExport } from "@magpie/sdk";
import { ClientContext } from "../src/state/client.ts";
import { LocaleContext } from "../src/i18n/hooks.ts";
import { AdminPage } from "../src/components/Admin.tsx";
import { EXPORT_REFRESH_MS } from "../src/lib/exports.ts";
import type { AdminTab } from "../src/state/router.ts";
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
  vi.useRealTimers();
  Object.defineProperty(document, "visibilityState", { value: "visible", configurable: true });
});

function mount(client: FakeClient, tab: AdminTab = "exports", locale: "en" | "zh" = "en"): void {
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
async function settle(): Promise<void> {
  for (let i = 0; i < 50; i++) {
    await act(async () => { await Promise.resolve(); });
    if (root.querySelector('[aria-busy="true"]') === null) return;
  }
  throw new Error("still loading");
}
/** Lets the fake's answers (given at once) through, busy or not. */
async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await act(async () => { await Promise.resolve(); });
}
function change(el: HTMLInputElement | HTMLSelectElement, value: string) {
  act(() => { el.value = value; el.dispatchEvent(new Event(el instanceof HTMLSelectElement ? "change" : "input", { bubbles: true })); });
}
async function submit(): Promise<void> {
  act(() => { button(root, "Start export").click(); });
  await flush();
}

const NOW = Date.UTC(2026, 0, 2, 12);
const info = (id: number, extra: Partial<ExportInfo> = {}): ExportInfo => ({
  id, domain: "x", requested_by: "root@x", conversation: 12, target: "conversation 12 (Team)", state: "done",
  conversations_total: 1, conversations_done: 1, messages: 3, files: 1, bytes: 2048, created_at_ms: NOW - 60_000, finished_at_ms: NOW - 50_000,
  expires_at_ms: NOW + 7 * 86_400_000, ...extra,
});

/** A fake server's exports: its answers and what it was asked. */
function withExports(role: "domain_admin" | "server_admin" = "domain_admin") {
  const client = new FakeClient();
  client.me = { ...client.me, account: "root@x", display_name: "Root", role };
  const calls: [string, ...unknown[]][] = [];
  const state = {
    exports: [info(1, { domain: "x" }), info(2, { domain: "y.example", target: "carol@y.example", account: "carol@y.example", conversation: undefined })] as ExportInfo[],
    refusal: null as MagpieError | null,
    next: 10,
  };
  client.admin = {
    adminExports: async (domain?: string) => {
      calls.push(["list", domain]);
      return state.exports.filter((e) => (role === "domain_admin" ? e.domain === "x" : !domain || e.domain === domain)).map((e) => ({ ...e }));
    },
    adminStartExport: async (request: NewExport) => {
      calls.push(["start", request]);
      if (state.refusal) throw state.refusal;
      const made = info(state.next++, {
        ...request, target: request.account ?? `conversation ${request.conversation}`, state: "running", conversations_total: 2, conversations_done: 0,
        messages: 0, files: 0, bytes: 0, created_at_ms: NOW, finished_at_ms: undefined, expires_at_ms: undefined,
      });
      state.exports.unshift(made);
      return { ...made };
    },
    adminExportArchive: async (id: number) => {
      calls.push(["archive", id]);
      if (id === 404) throw new MagpieError("not_found", "gone", { status: 404 });
      return new Blob([new Uint8Array([0x50, 0x4b, 3, 4])], { type: "application/zip" });
    },
    domains: async () => [{ name: "x" }, { name: "y.example" }],
    departmentTree: async () => [],
  } as unknown as typeof client.admin;
  return { client, calls, state };
}

const rows = () => [...root.querySelectorAll<HTMLElement>('[data-testid="export"]')];
const row = (id: number) => root.querySelector<HTMLElement>(`[data-testid="export"][data-id="${id}"]`)!;
const cell = (r: HTMLElement, id: string) => text(r.querySelector(`[data-testid="${id}"]`));

describe("the exports tab", () => {
  it("is every administrator's, in both languages", async () => {
    for (const role of ["domain_admin", "server_admin"] as const) {
      mount(withExports(role).client, "departments");
      await settle();
      expect(tabs()).toContain("Exports");
      render(null, root);
    }
    mount(withExports().client, "exports", "zh");
    await settle();
    expect(tabs()).toContain("导出");
    expect(text(root.querySelector('[role="tab"][aria-selected="true"]'))).toBe("导出");
    expect(text(root.querySelector("#adm-export-new"))).toBe("新建导出");
  });

  it("lists a domain's exports with their state, progress and size", async () => {
    const { client, calls, state } = withExports();
    state.exports.push(info(3, { state: "failed", error: "the disk is full", bytes: 0, expires_at_ms: undefined, from_ms: new Date(2026, 0, 1).getTime(), until_ms: new Date(2026, 0, 2).getTime() }));
    mount(client);
    await settle();
    // A domain's administrator asks for no domain: the server answers theirs.
    expect(calls).toEqual([["list", undefined]]);
    expect(rows().map((r) => r.dataset.id)).toEqual(["1", "3"]);
    const done = row(1);
    expect(done.dataset.state).toBe("done");
    expect(cell(done, "export-state")).toBe("Done");
    expect(cell(done, "export-target")).toBe("conversation 12 (Team)");
    expect(cell(done, "export-conversations")).toBe("Conversations: 1 of 1");
    expect(cell(done, "export-messages")).toBe("Messages: 3");
    expect(cell(done, "export-files")).toBe("Files: 1");
    expect(cell(done, "export-size")).toBe("2 KB");
    expect(text(done)).toContain("All time");
    button(done, "Download export 1");
    const failed = row(3);
    expect(cell(failed, "export-state")).toBe("Failedthe disk is full");
    expect(cell(failed, "export-error")).toBe("the disk is full");
    expect(cell(failed, "export-size")).toBe("—");
    expect(failed.querySelector("button")).toBeNull();
    expect(text(failed)).toContain("Jan 1, 2026 – Jan 1, 2026");
    expect(text(root.querySelector('[data-testid="exports-count"]'))).toBe("2 exports");
    // No domain column for a domain's administrator.
    expect([...root.querySelectorAll(".exports-table th")].map(text)).not.toContain("Domain");
  });

  it("starts an export of a conversation and follows it until it is done", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    vi.setSystemTime(NOW);
    const { client, calls, state } = withExports();
    state.exports = [];
    mount(client);
    await settle();
    expect(text(root.querySelector('[data-testid="exports-empty"]'))).toBe("No exports yet.");
    act(() => { root.querySelector<HTMLInputElement>('input[name="export-kind"][value="conversation"]')!.click(); });
    // A field of its own, which takes typing (not the account's, with its length left at 0).
    expect(root.querySelector("#adm-export-account")).toBeNull();
    expect(root.querySelector<HTMLInputElement>("#adm-export-conversation")!.maxLength).toBe(20);
    change(root.querySelector<HTMLInputElement>("#adm-export-conversation")!, "12");
    change(root.querySelector<HTMLInputElement>("#adm-export-from")!, "2026-01-01");
    change(root.querySelector<HTMLInputElement>("#adm-export-to")!, "2026-01-31");
    await submit();
    expect(calls.find(([c]) => c === "start")).toEqual(["start", {
      conversation: 12, from_ms: new Date(2026, 0, 1).getTime(), until_ms: new Date(2026, 1, 1).getTime(),
    }]);
    const started = row(10);
    expect(started.dataset.state).toBe("running");
    expect(cell(started, "export-state")).toBe("Running");
    expect(text(started.querySelector(".export-which"))).toContain("#10New");
    expect(started.querySelector("progress")!.getAttribute("aria-label")).toBe("Progress of export 10");
    expect(started.querySelector("button")).toBeNull();
    expect(text(root.querySelector('[data-testid="exports-count"]'))).toBe("1 export · following the running exports");
    // The form is cleared for the next export, of the same kind.
    expect(root.querySelector<HTMLInputElement>("#adm-export-conversation")!.value).toBe("");

    // Asked again every few seconds while it runs.
    const lists = () => calls.filter(([c]) => c === "list").length;
    const before = lists();
    state.exports[0] = { ...state.exports[0]!, conversations_done: 1, messages: 40 };
    await act(async () => { vi.advanceTimersByTime(EXPORT_REFRESH_MS); });
    await flush();
    expect(lists()).toBe(before + 1);
    expect(cell(row(10), "export-conversations")).toBe("Conversations: 1 of 2");
    expect(cell(row(10), "export-messages")).toBe("Messages: 40");

    // Not while the page is hidden; at once when shown again.
    Object.defineProperty(document, "visibilityState", { value: "hidden", configurable: true });
    act(() => { document.dispatchEvent(new Event("visibilitychange")); });
    await act(async () => { vi.advanceTimersByTime(EXPORT_REFRESH_MS); });
    await flush();
    expect(lists()).toBe(before + 2);
    await act(async () => { vi.advanceTimersByTime(EXPORT_REFRESH_MS * 10); });
    await flush();
    expect(lists()).toBe(before + 2);
    state.exports[0] = { ...state.exports[0]!, state: "done", conversations_done: 2, messages: 80, bytes: 5 * 1024 * 1024, finished_at_ms: NOW };
    Object.defineProperty(document, "visibilityState", { value: "visible", configurable: true });
    act(() => { document.dispatchEvent(new Event("visibilitychange")); });
    await flush();
    expect(lists()).toBe(before + 3);
    expect(row(10).dataset.state).toBe("done");
    expect(cell(row(10), "export-size")).toBe("5 MB");
    expect(text(root.querySelector('[data-testid="exports-count"]'))).toBe("1 export");
    // Done: no more asking.
    await act(async () => { vi.advanceTimersByTime(EXPORT_REFRESH_MS * 10); });
    await flush();
    expect(lists()).toBe(before + 3);
  });

  it("downloads a done export's archive under its name, and says when it has expired", async () => {
    const { client, calls, state } = withExports();
    state.exports.push(info(404));
    const clicked: { href: string; download: string }[] = [];
    vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(function (this: HTMLAnchorElement) { clicked.push({ href: this.href, download: this.download }); });
    const made = vi.fn(() => "blob:export");
    Object.assign(URL, { createObjectURL: made, revokeObjectURL: vi.fn() });
    mount(client);
    await settle();
    act(() => { button(row(1), "Download export 1").click(); });
    await vi.waitFor(() => expect(clicked).toHaveLength(1));
    expect(calls).toContainEqual(["archive", 1]);
    expect(clicked[0]).toEqual({ href: "blob:export", download: "magpie-export-1.zip" });
    expect(made).toHaveBeenCalledWith(expect.any(Blob));

    act(() => { button(row(404), "Download export 404").click(); });
    await vi.waitFor(() => expect(root.querySelector('[data-testid="export-download-error"]')).not.toBeNull());
    expect(text(root.querySelector('[data-testid="export-download-error"]'))).toBe("The archive of export 404 isn't there any more: it has expired.");
    expect(clicked).toHaveLength(1);
  });

  it("says what is wrong with the form on its field before asking the server", async () => {
    const { client, calls } = withExports();
    mount(client);
    await settle();
    const account = () => root.querySelector<HTMLInputElement>("#adm-export-account")!;
    const errorOf = (input: HTMLInputElement) => text(root.querySelector(`#${input.id}-error`));
    await submit();
    expect(errorOf(account())).toBe("Enter an account's login name or address.");
    expect(account().getAttribute("aria-invalid")).toBe("true");
    expect(account().getAttribute("aria-describedby")).toBe("adm-export-account-hint adm-export-account-error");
    expect(document.activeElement).toBe(account());
    change(account(), "carol@y.example");
    expect(root.querySelector("#adm-export-account-error")).toBeNull();
    await submit();
    expect(errorOf(account())).toBe("You can export accounts of x only.");
    change(account(), "bob");
    change(root.querySelector<HTMLInputElement>("#adm-export-from")!, "2026-02-01");
    change(root.querySelector<HTMLInputElement>("#adm-export-to")!, "2026-01-01");
    await submit();
    expect(errorOf(root.querySelector<HTMLInputElement>("#adm-export-to")!)).toBe("The end date is before the start date.");
    act(() => { root.querySelector<HTMLInputElement>('input[name="export-kind"][value="conversation"]')!.click(); });
    change(root.querySelector<HTMLInputElement>("#adm-export-conversation")!, "twelve");
    await submit();
    expect(errorOf(root.querySelector<HTMLInputElement>("#adm-export-conversation")!)).toBe("A conversation's ID is a whole number, like 12.");
    expect(calls.filter(([c]) => c === "start")).toEqual([]);
  });

  it("says why the server refused an export", async () => {
    const { client, calls, state } = withExports();
    mount(client);
    await settle();
    change(root.querySelector<HTMLInputElement>("#adm-export-account")!, "nobody");
    state.refusal = new MagpieError("not_found", "no such account", { status: 404 });
    await submit();
    expect(calls.find(([c]) => c === "start")).toEqual(["start", { account: "nobody@x" }]);
    expect(text(root.querySelector("#adm-export-account-error"))).toBe("There is no account nobody@x in a domain you administer.");
    state.refusal = new MagpieError("conflict", "too many", { status: 409 });
    await submit();
    expect(text(root.querySelector('[data-testid="export-start-error"]'))).toBe("Too many exports are running. Try again when one has finished.");
    act(() => { root.querySelector<HTMLInputElement>('input[name="export-kind"][value="conversation"]')!.click(); });
    change(root.querySelector<HTMLInputElement>("#adm-export-conversation")!, "99");
    state.refusal = new MagpieError("not_found", "no such conversation", { status: 404 });
    await submit();
    expect(text(root.querySelector("#adm-export-conversation-error"))).toBe("There is no conversation 99 in a domain you administer.");
  });

  it("shows a server administrator every domain's exports, or the page's", async () => {
    const { client, calls } = withExports("server_admin");
    mount(client);
    await settle();
    expect(calls).toEqual([["list", undefined]]);
    expect(rows().map((r) => r.dataset.id)).toEqual(["1", "2"]);
    expect([...root.querySelectorAll(".exports-table th")].map(text)).toContain("Domain");
    // A server administrator exports any domain's accounts.
    expect(text(root.querySelector("#adm-export-account-hint"))).toBe("A login name of x, or an address of any domain.");
    change(root.querySelector<HTMLSelectElement>("#adm-export-scope")!, "domain");
    await settle();
    expect(calls.at(-1)).toEqual(["list", "x"]);
    expect(rows().map((r) => r.dataset.id)).toEqual(["1"]);
    expect([...root.querySelectorAll(".exports-table th")].map(text)).not.toContain("Domain");
  });
});
