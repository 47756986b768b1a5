// The search view (issue 16) on the real component with a fake client: highlights from the
// server's offsets, the chips' query, pages by `next`, and a failure that says what happened.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { render } from "preact";
import { act } from "preact/test-utils";
import { MagpieError, type SearchMessagesPage, type SearchResult } from "@magpie/sdk";
import { ClientContext } from "../src/state/client.ts";
import { LocaleContext } from "../src/i18n/hooks.ts";
import { SearchDialog } from "../src/components/Search.tsx";
import type { SearchStart } from "../src/state/search.ts";
import { FakeClient, conversation } from "./fake-client.ts";

let root: HTMLElement;
beforeEach(() => { root = document.createElement("div"); document.body.appendChild(root); });
afterEach(() => { render(null, root); root.remove(); });

const $$ = (sel: string) => [...root.querySelectorAll<HTMLElement>(sel)];
const text = (el: Element | null | undefined) => (el?.textContent ?? "").replace(/\s+/g, " ").trim();

function result(seq: number, snippet: string, highlights: number[][]): SearchResult {
  const entry = { conversation: 1, seq, id: seq, sender: "bob@x", kind: "text", body: { text: snippet }, at_ms: Date.now() - 60_000 };
  return { conversation: 1, seq, sender: "bob@x", at_ms: entry.at_ms, entry, snippet: { text: snippet, highlights, cut_start: false, cut_end: seq > 1 } };
}

/** Lets the fake's promises settle and Preact render what they set. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await act(async () => { await Promise.resolve(); });
}

async function mount(client: FakeClient, start: SearchStart, locale: "en" | "zh" = "en"): Promise<void> {
  act(() => {
    render(<LocaleContext.Provider value={locale}><ClientContext.Provider value={client}>
      <SearchDialog start={start} onClose={() => {}} />
    </ClientContext.Provider></LocaleContext.Provider>, root);
  });
  await settle();
}

function fakeClient(): FakeClient {
  const client = new FakeClient();
  client.profiles.set("bob@x", { account: "bob@x", display_name: "王伟" });
  client.convs = [conversation(1, { kind: "group", name: "项目组" })];
  return client;
}

describe("search", () => {
  it("marks what matched, counting characters as the server does, and pages by next", async () => {
    const client = fakeClient();
    const first: SearchMessagesPage = { results: [result(1, "本周😀的项目进度如何", [[6, 8]])], total: 2, next: "p2" };
    client.searchAnswers = [first, { results: [result(2, "进度 again", [[0, 2]]), result(1, "dup", [])], total: 2 }];
    await mount(client, { q: "进度" }, "zh");
    expect(client.searchQueries).toEqual([{ q: "进度", limit: 20 }]);
    const rows = $$('[data-testid="search-result"]');
    expect(rows).toHaveLength(1);
    expect(text(rows[0]!.querySelector("mark"))).toBe("进度");
    expect(text(rows[0]!.querySelector(".search-snippet"))).toBe("本周😀的项目进度如何");
    expect(text(rows[0]!.querySelector(".search-result-who"))).toBe("王伟（项目组）");
    expect(text(root.querySelector('[role="status"]'))).toBe("2 条结果");

    const more = $$("button").find((b) => text(b) === "更多结果")!;
    act(() => more.click());
    await settle();
    expect(client.searchQueries[1]).toEqual({ q: "进度", limit: 20, cursor: "p2" });
    // The repeated result is shown once.
    expect($$('[data-testid="search-result"]').map((r) => r.dataset.seq)).toEqual(["1", "2"]);
    expect($$("button").some((b) => text(b) === "更多结果")).toBe(false);
  });

  it("asks with the chips' filters", async () => {
    const client = fakeClient();
    await mount(client, { q: "release", filters: { conversation: 1 } });
    const pressed = $$("button.chip-toggle").find((b) => text(b) === "Has a link")!;
    act(() => pressed.click());
    await settle();
    expect(pressed.getAttribute("aria-pressed")).toBe("true");
    expect(client.searchQueries.at(-1)).toEqual({ q: "release", conversation: 1, has: "link", limit: 20 });
    expect(text(root.querySelector('[data-testid="search-empty"]'))).toBe("Nothing found for “release” with these filters.");
  });

  it("says when searching is rate limited, and tries again", async () => {
    const client = fakeClient();
    client.searchAnswers = [new MagpieError("rate_limited", "slow down", { status: 429, retryAfterSecs: 7 })];
    await mount(client, { q: "release" });
    const alert = root.querySelector('[role="alert"]');
    expect(text(alert)).toContain("Too many searches at once. Try again in 7 s.");
    client.searchAnswers = [{ results: [result(1, "release notes", [[0, 7]])], total: 1 }];
    act(() => [...alert!.querySelectorAll("button")].find((b) => text(b) === "Try again")!.click());
    await settle();
    expect(root.querySelector('[role="alert"]')).toBeNull();
    expect($$('[data-testid="search-result"]')).toHaveLength(1);
  });

  it("says when the server's search is off", async () => {
    const client = fakeClient();
    client.searchAnswers = [new MagpieError("unavailable", "search is off", { status: 503 })];
    await mount(client, { q: "进度" }, "zh");
    expect(text(root.querySelector('[role="alert"]'))).toContain("此服务器暂时无法搜索。");
    expect(text(root.querySelector('[role="status"]'))).toBe("");
  });

  it("searches as one types, once the typing pauses", async () => {
    vi.useFakeTimers();
    try {
      const client = fakeClient();
      await mount(client, { q: "" });
      expect(client.searchQueries).toEqual([]);
      const input = root.querySelector<HTMLInputElement>('input[type="search"]')!;
      act(() => { input.value = "周五"; input.dispatchEvent(new Event("input", { bubbles: true })); });
      expect(client.searchQueries).toEqual([]);
      await act(async () => { vi.advanceTimersByTime(300); });
      expect(client.searchQueries).toEqual([{ q: "周五", limit: 20 }]);
    } finally {
      vi.useRealTimers();
    }
  });
});
