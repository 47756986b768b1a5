// Retention in the app: the pure parts of the administration's tab (lib/retention.ts), and the
// chat's panels that hold messages of their own (the shared items, search results), which drop
// those that retention deleted since they were read, at once, while open.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { render } from "preact";
import { act } from "preact/test-utils";
import type { Entry, RetentionRun, SearchResult } from "@magpie/sdk";
import { ClientContext } from "../src/state/client.ts";
import { LocaleContext } from "../src/i18n/hooks.ts";
import { SearchDialog } from "../src/components/Search.tsx";
import { SharedPanel } from "../src/components/SharedPanel.tsx";
import {
  daysForm, daysOf, deletesMore, localTimeMs, localTimeValue, notPruned, RETENTION_DAYS_MAX, runningRun, withRun,
} from "../src/lib/retention.ts";
import { FakeClient, conversation } from "./fake-client.ts";

const run = (id: number, state: RetentionRun["state"] = "done"): RetentionRun => ({
  id, state, started_by: "schedule", conversations: 0, entries: 0, files: 0, started_at_ms: 0, updated_at_ms: 0,
});

describe("the retention tab's pure parts", () => {
  it("reads the days of a policy's form, or says what is wrong with them", () => {
    expect(daysOf({ forever: true, days: "nonsense" })).toEqual({ days: null });
    expect(daysOf({ forever: false, days: " 90 " })).toEqual({ days: 90 });
    expect(daysOf({ forever: false, days: "1" })).toEqual({ days: 1 });
    expect(daysOf({ forever: false, days: String(RETENTION_DAYS_MAX) })).toEqual({ days: 36_500 });
    expect(daysOf({ forever: false, days: "" })).toEqual({ problem: "required" });
    for (const days of ["1.5", "-3", "90 days", "1e3"]) expect(daysOf({ forever: false, days })).toEqual({ problem: "not_number" });
    for (const days of ["0", "36501", "99999999"]) expect(daysOf({ forever: false, days })).toEqual({ problem: "range" });
  });

  it("shows a policy in the form: for ever when there are no days (or 0, a conversation's for ever)", () => {
    expect(daysForm(undefined)).toEqual({ forever: true, days: "" });
    expect(daysForm(0, "30")).toEqual({ forever: true, days: "30" });
    expect(daysForm(45)).toEqual({ forever: false, days: "45" });
  });

  it("tells a change that deletes more than the policy before it", () => {
    expect(deletesMore(undefined, 30)).toBe(true);
    expect(deletesMore(null, 30)).toBe(true);
    expect(deletesMore(90, 30)).toBe(true);
    expect(deletesMore(30, 30)).toBe(false);
    expect(deletesMore(30, 90)).toBe(false);
    expect(deletesMore(30, null)).toBe(false);
  });

  it("reads a date and time field in the viewer's time zone, and writes one to the minute", () => {
    expect(localTimeMs("2026-01-02T03:04")).toBe(new Date(2026, 0, 2, 3, 4).getTime());
    expect(localTimeMs("2026-01-02T03:04:05")).toBe(new Date(2026, 0, 2, 3, 4, 5).getTime());
    for (const value of ["", "2026-01-02", "yesterday"]) expect(localTimeMs(value)).toBeUndefined();
    expect(localTimeValue(new Date(2026, 11, 31, 23, 59, 42).getTime())).toBe("2026-12-31T23:59");
    expect(localTimeMs(localTimeValue(new Date(2026, 4, 6, 7, 8).getTime()))).toBe(new Date(2026, 4, 6, 7, 8).getTime());
  });

  it("puts a run in the list, newest first, and finds the one running", () => {
    const list = [run(3), run(2, "failed")];
    expect(withRun(list, run(4, "running")).map((r) => r.id)).toEqual([4, 3, 2]);
    const changed = { ...run(3), entries: 9 };
    expect(withRun(list, changed)).toEqual([changed, run(2, "failed")]);
    expect(runningRun(list)).toBeUndefined();
    expect(runningRun([run(5, "running"), ...list])?.id).toBe(5);
  });

  it("leaves out what retention deleted of each conversation, and keeps the same list when nothing was", () => {
    const items = [{ conversation: 1, seq: 3 }, { conversation: 1, seq: 8 }, { conversation: 2, seq: 3 }];
    const marks = new Map([[1, 5]]);
    expect(notPruned(items, (id) => marks.get(id))).toEqual([{ conversation: 1, seq: 8 }, { conversation: 2, seq: 3 }]);
    expect(notPruned(items, () => 2)).toBe(items);
    expect(notPruned(items, () => undefined)).toBe(items);
  });
});

describe("the chat's panels", () => {
  let root: HTMLElement;
  beforeEach(() => { root = document.createElement("div"); document.body.appendChild(root); });
  afterEach(() => { render(null, root); root.remove(); });
  const text = (el: Element | null | undefined) => (el?.textContent ?? "").replace(/\s+/g, " ").trim();
  async function settle(): Promise<void> {
    for (let i = 0; i < 10; i++) await act(async () => { await Promise.resolve(); });
  }
  /** Retention deleted conversation 1 up to `through`: its summary says so, as the SDK's does. */
  async function prune(client: FakeClient, through: number): Promise<void> {
    client.convs = client.convs.map((c) => (c.id === 1 ? { ...c, pruned_through: through } : c));
    await act(async () => { client.emit("change"); });
    await settle();
  }
  const file = (seq: number, name: string): Entry => ({
    conversation: 1, seq, id: seq, sender: "bob@x", kind: "file", body: { file: `f${seq}`, name, size: 1000 }, at_ms: Date.now() - seq,
  });

  it("the shared files drop those whose messages retention deleted", async () => {
    const client = new FakeClient();
    client.convs = [conversation(1, { kind: "group", name: "Launch", last_seq: 30 })];
    client.shared = async () => ({ entries: [file(20, "plan.pdf"), file(12, "budget.xlsx"), file(4, "old.doc")] });
    act(() => {
      render(<LocaleContext.Provider value="en"><ClientContext.Provider value={client}>
        <SharedPanel conversation={1} onClose={() => {}} onOpenImage={() => {}} />
      </ClientContext.Provider></LocaleContext.Provider>, root);
    });
    await settle();
    act(() => { root.querySelector<HTMLButtonElement>("#shared-tab-file")!.click(); });
    await settle();
    const names = () => [...root.querySelectorAll('[data-testid="shared-file"] .shared-name')].map(text);
    expect(names()).toEqual(["plan.pdf", "budget.xlsx", "old.doc"]);
    await prune(client, 12);
    expect(names()).toEqual(["plan.pdf"]);
    await prune(client, 30);
    expect(text(root.querySelector(".shared-empty"))).toBe("Nothing shared here yet");
  });

  it("search results drop those whose messages retention deleted, and the count with them", async () => {
    const client = new FakeClient();
    client.convs = [conversation(1, { kind: "group", name: "Launch", last_seq: 30 }), conversation(2, { kind: "group", name: "Other", last_seq: 9 })];
    const found = (c: number, seq: number): SearchResult => {
      const entry: Entry = { conversation: c, seq, id: seq, sender: "bob@x", kind: "text", body: { text: `plan ${seq}` }, at_ms: Date.now() - 60_000 };
      return { conversation: c, seq, sender: "bob@x", at_ms: entry.at_ms, entry, snippet: { text: `plan ${seq}`, highlights: [[0, 4]], cut_start: false, cut_end: false } };
    };
    client.searchAnswers = [{ results: [found(1, 20), found(1, 6), found(2, 3)], total: 3 }];
    act(() => {
      render(<LocaleContext.Provider value="en"><ClientContext.Provider value={client}>
        <SearchDialog start={{ q: "plan" }} onClose={() => {}} />
      </ClientContext.Provider></LocaleContext.Provider>, root);
    });
    await settle();
    const shown = () => [...root.querySelectorAll<HTMLElement>('[data-testid="search-result"]')].map((r) => text(r.querySelector(".search-snippet")));
    expect(shown()).toEqual(["plan 20", "plan 6", "plan 3"]);
    expect(text(root.querySelector(".search-count"))).toBe("3 results");
    await prune(client, 10);
    expect(shown()).toEqual(["plan 20", "plan 3"]);
    expect(text(root.querySelector(".search-count"))).toBe("2 results");
  });
});
