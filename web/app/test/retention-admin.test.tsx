// Administration → Retention against a fake server: the tab is every administrator's, in both
// languages; the domain's policy, the conversations with their own and the runs are shown; a
// policy is saved (one that deletes more than before after a confirmation), and what is wrong
// with its days said on the field before the server is asked; a group found by name gets its own
// policy, and one is let follow the domain again (confirmed); Run now starts a run that the list
// follows with the long poll until it is done; a purge of everything before a time is confirmed
// first, and a time to come is refused; the server's refusals are said.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { render } from "preact";
import { act } from "preact/test-utils";
import { MagpieError, type AdminGroupInfo, type AdminGroupQuery, type ConversationRetention, type RetentionRun } from "@magpie/sdk";
import { ClientContext } from "../src/state/client.ts";
import { LocaleContext } from "../src/i18n/hooks.ts";
import { AdminPage } from "../src/components/Admin.tsx";
import { formatFull } from "../src/lib/format.ts";
import { RUN_WAIT_SECS } from "../src/lib/retention.ts";
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

function mount(client: FakeClient, tab: AdminTab = "retention", locale: "en" | "zh" = "en"): void {
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
const dialog = () => root.querySelector<HTMLElement>('[role="alertdialog"]');
/** Lets the fake's answers (given at once) through. */
async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await act(async () => { await Promise.resolve(); });
}
async function click(el: HTMLElement): Promise<void> {
  act(() => { el.click(); });
  await flush();
}
function change(el: HTMLInputElement | HTMLSelectElement, value: string) {
  act(() => { el.value = value; el.dispatchEvent(new Event(el instanceof HTMLSelectElement ? "change" : "input", { bubbles: true })); });
}
async function submit(form: HTMLFormElement): Promise<void> {
  act(() => { form.requestSubmit(); });
  await flush();
}
const input = (id: string) => root.querySelector<HTMLInputElement>(`#${id}`)!;
const section = (heading: string) => root.querySelector<HTMLElement>(`section[aria-labelledby="${heading}"]`)!;
const form = (heading: string) => section(heading).querySelector("form")!;
const radio = (name: string, value: string) => root.querySelector<HTMLInputElement>(`input[name="${name}"][value="${value}"]`)!;
async function choose(name: string, value: string): Promise<void> {
  act(() => { radio(name, value).click(); });
  await flush();
  // The days field takes the focus once it is enabled, the next frame.
  await act(() => new Promise<void>((resolve) => requestAnimationFrame(() => resolve())));
}

const NOW = Date.UTC(2026, 0, 2, 12);
const run = (id: number, extra: Partial<RetentionRun> = {}): RetentionRun => ({
  id, state: "done", started_by: "schedule", conversations: 2, entries: 1234, files: 3, started_at_ms: NOW - 3_600_000,
  updated_at_ms: NOW - 3_590_000, finished_at_ms: NOW - 3_590_000, ...extra,
});
const group = (id: number, name: string, kind: "group" | "channel" = "group"): AdminGroupInfo => ({
  id, kind, name, owner: "bob@x", member_count: 3, created_at_ms: NOW, last_activity_ms: NOW, dissolved: false,
});

/** A fake server's retention of domain `x`: its answers, what it was asked, and the long polls
 * waiting for a run to change (the test answers them). */
function withRetention(role: "domain_admin" | "server_admin" = "domain_admin") {
  const client = new FakeClient();
  client.me = { ...client.me, account: "root@x", display_name: "Root", role };
  const calls: [string, ...unknown[]][] = [];
  const state = {
    days: 90 as number | undefined,
    conversations: [
      { conversation: 7, kind: "group", name: "Legal hold", days: 0 },
      { conversation: 9, kind: "channel", name: "News", days: 30 },
      { conversation: 12, kind: "direct", days: 365 },
    ] as ConversationRetention[],
    runs: [
      run(3, { state: "failed", started_by: "root@x", before_ms: NOW - 86_400_000, conversations: 1, entries: 10, files: 0, error: "the disk is full" }),
      run(2),
    ] as RetentionRun[],
    groups: [group(7, "Legal hold"), group(11, "Launch crew"), group(13, "Lunch", "channel")],
    refusal: null as MagpieError | null,
    next: 5,
    polls: [] as { id: number; answer: (run: RetentionRun) => void }[],
  };
  const overview = () => ({ domain: "x", ...(state.days === undefined ? {} : { days: state.days }), conversations: state.conversations.map((c) => ({ ...c })), runs: state.runs.map((r) => ({ ...r })) });
  client.admin = {
    adminRetention: async (domain: string) => {
      calls.push(["get", domain]);
      if (domain !== "x") throw new MagpieError("not_found", "no such domain", { status: 404 });
      return overview();
    },
    setAdminRetention: async (domain: string, days: number | null) => {
      calls.push(["set", domain, days]);
      if (state.refusal) throw state.refusal;
      state.days = days ?? undefined;
      return overview();
    },
    setConversationRetention: async (id: number, days: number | null) => {
      calls.push(["conversation", id, days]);
      if (state.refusal) throw state.refusal;
      const g = state.groups.find((x) => x.id === id);
      state.conversations = state.conversations.filter((c) => c.conversation !== id);
      if (days !== null) state.conversations.push({ conversation: id, kind: g?.kind ?? "group", name: g?.name, days });
    },
    startRetentionRun: async (domain: string, beforeMs?: number) => {
      calls.push(["start", domain, beforeMs]);
      if (state.refusal) throw state.refusal;
      const made = run(state.next++, {
        state: "running", started_by: "root@x", conversations: 0, entries: 0, files: 0, started_at_ms: NOW, updated_at_ms: NOW, finished_at_ms: undefined,
        ...(beforeMs === undefined ? {} : { before_ms: beforeMs }),
      });
      state.runs.unshift(made);
      return { ...made };
    },
    retentionRun: (id: number, query: { wait_secs?: number } = {}) => {
      calls.push(["run", id, query.wait_secs]);
      return new Promise<RetentionRun>((resolve) => state.polls.push({ id, answer: resolve }));
    },
    adminGroups: async (domain: string, query: AdminGroupQuery = {}) => {
      calls.push(["groups", domain, query.q]);
      return { groups: state.groups.filter((g) => !query.q || g.name.toLowerCase().includes(query.q.toLowerCase())).map((g) => ({ ...g })) };
    },
    domains: async () => [{ name: "x" }, { name: "y.example" }],
    departmentTree: async () => [],
  } as unknown as typeof client.admin;
  /** Answers the oldest long poll waiting with the run as it is now. */
  const progress = async (change: Partial<RetentionRun>) => {
    const poll = state.polls.shift();
    if (!poll) throw new Error("nobody is waiting for the run");
    const now = { ...state.runs.find((r) => r.id === poll.id)!, ...change };
    state.runs = state.runs.map((r) => (r.id === now.id ? now : r));
    await act(async () => { poll.answer({ ...now }); });
    await flush();
  };
  return { client, calls, state, progress };
}

const runRow = (id: number) => root.querySelector<HTMLElement>(`[data-testid="retention-run"][data-id="${id}"]`)!;
const cell = (r: HTMLElement, id: string) => text(r.querySelector(`[data-testid="${id}"]`));
const conversations = () => [...root.querySelectorAll<HTMLElement>('[data-testid="retention-conversation"]')]
  .map((r) => [r.dataset.id, cell(r, "retention-conversation-name"), cell(r, "retention-conversation-keeps")]);

describe("the retention tab", () => {
  it("is every administrator's, with its route, in both languages", async () => {
    expect(ADMIN_TABS).toContain("retention");
    expect(parseRoute("/admin/retention")).toEqual({ page: "admin", tab: "retention" });
    expect(routePath({ page: "admin", tab: "retention" })).toBe("/admin/retention");
    for (const role of ["domain_admin", "server_admin"] as const) {
      mount(withRetention(role).client, "departments");
      await flush();
      expect(tabs()).toContain("Retention");
      render(null, root);
    }
    mount(withRetention().client, "retention", "zh");
    await flush();
    expect(text(root.querySelector('[role="tab"][aria-selected="true"]'))).toBe("保留策略");
    expect(text(root.querySelector("#adm-retention"))).toBe("消息保留");
    expect(text(root.querySelector("#adm-ret-runs"))).toBe("执行记录");
    expect(cell(runRow(2), "retention-run-by")).toBe("每小时定时");
    expect(cell(runRow(2), "retention-run-entries")).toBe("消息：1,234 条");
  });

  it("shows the domain's policy, the conversations that keep theirs for another time, and the runs", async () => {
    const { client, calls } = withRetention();
    mount(client);
    await flush();
    expect(calls[0]).toEqual(["get", "x"]);
    expect(radio("adm-ret-keep", "days").checked).toBe(true);
    expect(input("adm-ret-days").value).toBe("90");
    expect(input("adm-ret-days").disabled).toBe(false);
    expect(conversations()).toEqual([["7", "Legal hold", "For ever"], ["9", "News", "30 days"], ["12", "Conversation 12", "365 days"]]);
    const kinds = [...root.querySelectorAll('[data-testid="retention-conversation"] td:nth-child(2)')].map(text);
    expect(kinds).toEqual(["Group", "Channel", "Direct chat"]);
    // The runs, newest first: a failed purge with its error, a scheduled run done.
    expect([...root.querySelectorAll<HTMLElement>('[data-testid="retention-run"]')].map((r) => [r.dataset.id, r.dataset.state])).toEqual([["3", "failed"], ["2", "done"]]);
    const failed = runRow(3);
    expect(cell(failed, "retention-run-by")).toBe("root@x");
    expect(cell(failed, "retention-run-scope")).toBe(`Everything before ${formatFull(NOW - 86_400_000, "en")}`);
    expect(text(failed.querySelector('[data-testid="retention-run-state"] .tag'))).toBe("Failed");
    expect(cell(failed, "retention-run-error")).toBe("the disk is full");
    const done = runRow(2);
    expect(cell(done, "retention-run-by")).toBe("Every hour");
    expect(cell(done, "retention-run-scope")).toBe("As the policies say");
    expect(cell(done, "retention-run-state")).toBe("Done");
    expect([cell(done, "retention-run-conversations"), cell(done, "retention-run-entries"), cell(done, "retention-run-files")])
      .toEqual(["Conversations: 2", "Messages: 1,234", "Files: 3"]);
    expect(cell(done, "retention-run-finished")).toBe(formatFull(NOW - 3_590_000, "en"));
    expect(text(root.querySelector('[data-testid="retention-runs-count"]'))).toBe("2 runs");
    // Nothing is running: nothing is followed.
    expect(calls.filter((c) => c[0] === "run")).toEqual([]);
  });

  it("says so when the domain is not one the caller administers", async () => {
    const { client } = withRetention("server_admin");
    mount(client);
    await flush();
    change(root.querySelector<HTMLSelectElement>(".admin-domain-select")!, "y.example");
    await flush();
    expect(text(root.querySelector('[data-testid="retention-error"]'))).toBe("That domain doesn't exist, or you don't administer it.");
  });

  it("saves a policy, confirming one that deletes more first, and says what is wrong with its days", async () => {
    const { client, calls, state } = withRetention();
    mount(client);
    await flush();
    const policy = form("adm-retention");
    const saved = () => text(root.querySelector('[data-testid="retention-saved"]'));
    const error = () => text(section("adm-retention").querySelector(".field-error"));

    // Days that are no days are refused on the field; the server is not asked.
    for (const [typed, said] of [["", "Enter a number of days."], ["3 months", "Days are a whole number, like 90."], ["0", "Enter a number of days from 1 to 36,500."], ["36501", "Enter a number of days from 1 to 36,500."]]) {
      change(input("adm-ret-days"), typed!);
      await submit(policy);
      expect(error()).toBe(said);
      expect(input("adm-ret-days").getAttribute("aria-invalid")).toBe("true");
      expect(document.activeElement).toBe(input("adm-ret-days"));
    }
    expect(calls.filter((c) => c[0] === "set")).toEqual([]);

    // Longer than now deletes nothing more: saved at once.
    change(input("adm-ret-days"), "120");
    expect(error()).toBe("");
    await submit(policy);
    expect(dialog()).toBeNull();
    expect(calls.at(-1)).toEqual(["set", "x", 120]);
    expect(saved()).toBe("Saved: messages are kept for 120 days.");

    // For ever: saved at once, the days field off.
    await choose("adm-ret-keep", "forever");
    expect(input("adm-ret-days").disabled).toBe(true);
    await submit(policy);
    expect(calls.at(-1)).toEqual(["set", "x", null]);
    expect(state.days).toBeUndefined();
    expect(saved()).toBe("Saved: messages are kept for ever.");

    // From for ever to a number of days deletes what is older: confirmed first, cancelled here.
    await choose("adm-ret-keep", "days");
    change(input("adm-ret-days"), "30");
    await submit(policy);
    expect(text(dialog()!.querySelector("h2"))).toBe("Delete older messages?");
    expect(text(dialog())).toContain("Messages of x older than 30 days will be deleted for everyone within the hour, with their files.");
    await click(button(dialog()!, "Cancel"));
    expect(calls.at(-1)).toEqual(["set", "x", null]);
    await submit(policy);
    await click(button(dialog()!, "Apply policy"));
    expect(calls.at(-1)).toEqual(["set", "x", 30]);
    expect(saved()).toBe("Saved: messages are kept for 30 days.");
    expect(input("adm-ret-days").value).toBe("30");

    // The server's refusal of the days is said on the field.
    state.refusal = new MagpieError("invalid_field", "days: out of range", { status: 422, field: "days" });
    change(input("adm-ret-days"), "60");
    await submit(policy);
    expect(error()).toBe("Enter a number of days from 1 to 36,500.");
  });

  it("gives a group found by name its own policy, and lets a conversation follow the domain again", async () => {
    const { client, calls } = withRetention();
    mount(client);
    await flush();
    const own = form("adm-ret-conversations");
    // Nothing picked: said on the picker.
    await submit(own);
    expect(text(section("adm-ret-conversations").querySelector("#adm-ret-group-error"))).toBe("Choose a group.");
    expect(document.activeElement).toBe(root.querySelector("#adm-ret-group"));

    // Found by name: Enter asks at once, and does not set anything.
    change(input("adm-ret-find"), "lau");
    act(() => { input("adm-ret-find").dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true, cancelable: true })); });
    await flush();
    expect(calls.filter((c) => c[0] === "groups").at(-1)).toEqual(["groups", "x", "lau"]);
    expect(calls.filter((c) => c[0] === "conversation")).toEqual([]);
    const options = [...root.querySelectorAll<HTMLOptionElement>("#adm-ret-group option")].map((o) => [o.value, text(o)]);
    expect(options).toEqual([["", "Choose a group"], ["11", "Launch crew · Group"]]);

    // Kept for ever: set at once (0 is for ever), and listed.
    change(root.querySelector<HTMLSelectElement>("#adm-ret-group")!, "11");
    expect(radio("adm-ret-conv-keep", "forever").checked).toBe(true);
    await submit(own);
    expect(calls.filter((c) => c[0] === "conversation")).toEqual([["conversation", 11, 0]]);
    expect(conversations().find((c) => c[0] === "11")).toEqual(["11", "Launch crew", "For ever"]);
    expect(root.querySelector<HTMLSelectElement>("#adm-ret-group")!.value).toBe("");

    // Fewer days than the domain's 90 deletes more: confirmed first.
    change(root.querySelector<HTMLSelectElement>("#adm-ret-group")!, "11");
    await choose("adm-ret-conv-keep", "days");
    expect(document.activeElement).toBe(input("adm-ret-conv-days"));
    change(input("adm-ret-conv-days"), "7");
    await submit(own);
    expect(text(dialog())).toContain("Messages of Launch crew older than 7 days will be deleted for everyone within the hour");
    await click(button(dialog()!, "Apply policy"));
    expect(calls.filter((c) => c[0] === "conversation").at(-1)).toEqual(["conversation", 11, 7]);
    expect(conversations().find((c) => c[0] === "11")).toEqual(["11", "Launch crew", "7 days"]);

    // Legal hold keeps its messages for ever; following the domain deletes its older ones.
    await click(button(root, "Let Legal hold follow the domain's policy"));
    expect(text(dialog()!.querySelector("h2"))).toBe("Follow the domain's policy?");
    expect(text(dialog())).toContain("Legal hold will keep its messages as the rest of x does: 90 days.");
    expect(dialog()!.querySelector(".btn-danger")).not.toBeNull();
    await click(button(dialog()!, "Follow the domain"));
    expect(calls.filter((c) => c[0] === "conversation").at(-1)).toEqual(["conversation", 7, null]);
    expect(conversations().map((c) => c[0])).toEqual(["9", "12", "11"]);
  });

  it("runs now, and follows the run with the long poll until it is done", async () => {
    const { client, calls, progress } = withRetention();
    mount(client);
    await flush();
    const runNow = button(section("adm-ret-runs"), "Run now");
    await click(runNow);
    expect(calls.filter((c) => c[0] === "start")).toEqual([["start", "x", undefined]]);
    const row = runRow(5);
    expect(row.dataset.state).toBe("running");
    expect(cell(row, "retention-run-scope")).toBe("As the policies say");
    expect(cell(row, "retention-run-state")).toBe("Running");
    expect(cell(row, "retention-run-finished")).toBe("—");
    expect(text(root.querySelector('[data-testid="retention-runs-count"]'))).toBe("3 runs · following the running run");
    // One run at a time: no other while it runs.
    expect(runNow.disabled).toBe(true);
    // Asked with wait_secs: the server answers when the run changes.
    expect(calls.filter((c) => c[0] === "run")).toEqual([["run", 5, RUN_WAIT_SECS]]);
    await progress({ conversations: 1, entries: 500, updated_at_ms: NOW + 1000 });
    expect(cell(runRow(5), "retention-run-entries")).toBe("Messages: 500");
    expect(runRow(5).dataset.state).toBe("running");
    expect(calls.filter((c) => c[0] === "run")).toEqual([["run", 5, RUN_WAIT_SECS], ["run", 5, RUN_WAIT_SECS]]);
    await progress({ state: "done", conversations: 2, entries: 800, files: 4, finished_at_ms: NOW + 2000, updated_at_ms: NOW + 2000 });
    expect(runRow(5).dataset.state).toBe("done");
    expect([cell(runRow(5), "retention-run-conversations"), cell(runRow(5), "retention-run-entries"), cell(runRow(5), "retention-run-files")])
      .toEqual(["Conversations: 2", "Messages: 800", "Files: 4"]);
    expect(cell(runRow(5), "retention-run-finished")).toBe(formatFull(NOW + 2000, "en"));
    // Done: asked no more.
    expect(calls.filter((c) => c[0] === "run")).toHaveLength(2);
    expect(runNow.disabled).toBe(false);
    expect(text(root.querySelector('[data-testid="retention-runs-count"]'))).toBe("3 runs");
  });

  it("follows a run that was running when the tab opened, and says when another is under way", async () => {
    const { client, calls, state, progress } = withRetention();
    state.runs.unshift(run(4, { state: "running", started_by: "schedule", finished_at_ms: undefined }));
    mount(client);
    await flush();
    expect(calls.filter((c) => c[0] === "run")).toEqual([["run", 4, RUN_WAIT_SECS]]);
    await progress({ state: "done", finished_at_ms: NOW });
    expect(runRow(4).dataset.state).toBe("done");
    // Another administrator started one meanwhile: the refusal says so, and the list shows it.
    state.refusal = new MagpieError("conflict", "a run is under way", { status: 409 });
    state.runs.unshift(run(6, { state: "running", started_by: "other@x", finished_at_ms: undefined }));
    await click(button(section("adm-ret-runs"), "Run now"));
    expect(text(root.querySelector('[data-testid="retention-run-start-error"]'))).toBe("A run of x is under way. Try again when it has finished.");
    expect(runRow(6).dataset.state).toBe("running");
    expect(calls.filter((c) => c[0] === "run").at(-1)).toEqual(["run", 6, RUN_WAIT_SECS]);
  });

  it("purges everything before a time after a confirmation, and refuses a time to come", async () => {
    const { client, calls, state } = withRetention();
    mount(client);
    await flush();
    const purge = section("adm-ret-runs").querySelector("form")!;
    const problem = () => text(section("adm-ret-runs").querySelector("#adm-ret-before-error"));
    await submit(purge);
    expect(problem()).toBe("Choose a date and time.");
    change(input("adm-ret-before"), "2999-01-01T00:00");
    await submit(purge);
    expect(problem()).toBe("Choose a time that has passed.");
    expect(input("adm-ret-before").getAttribute("aria-invalid")).toBe("true");
    expect(dialog()).toBeNull();

    change(input("adm-ret-before"), "2025-06-30T18:45");
    const cutoff = new Date(2025, 5, 30, 18, 45).getTime();
    await submit(purge);
    const time = formatFull(cutoff, "en");
    expect(text(dialog()!.querySelector("h2"))).toBe(`Delete every message before ${time}?`);
    expect(text(dialog())).toContain(`Every message of x sent before ${time} will be deleted for everyone, with its files, whatever the policies.`);
    expect(dialog()!.querySelector(".btn-danger")).not.toBeNull();
    await click(button(dialog()!, "Delete messages"));
    expect(calls.filter((c) => c[0] === "start")).toEqual([["start", "x", cutoff]]);
    expect(cell(runRow(5), "retention-run-scope")).toBe(`Everything before ${time}`);
    expect(input("adm-ret-before").value).toBe("");

    // The server's clock is the judge of a time to come.
    await act(async () => { state.polls.shift()!.answer({ ...state.runs[0]!, state: "done", finished_at_ms: NOW }); });
    await flush();
    state.refusal = new MagpieError("invalid_field", "before_ms: in the future", { status: 422, field: "before_ms" });
    change(input("adm-ret-before"), "2025-07-01T08:00");
    await submit(purge);
    await click(button(dialog()!, "Delete messages"));
    expect(problem()).toBe("Choose a time that has passed.");
  });
});
