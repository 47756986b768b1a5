// "While you were away": the dialog's totals and rows in both languages, opening a conversation
// from it, and the mark of when this browser last had the account connected, which decides
// whether it shows. The clock is Vitest's fake one.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { render } from "preact";
import { act } from "preact/test-utils";
import { ClientContext } from "../src/state/client.ts";
import { LocaleContext } from "../src/i18n/hooks.ts";
import { OfflineSummary } from "../src/components/OfflineSummary.tsx";
import { SUMMARY_ITEMS_MAX, summarize, type AwaySummary } from "../src/lib/offlineSummary.ts";
import { followConnection, lastConnectedKey, readLastConnected } from "../src/state/away.ts";
import { FakeClient, conversation } from "./fake-client.ts";

const NOW = new Date(2025, 5, 10, 9, 30);
const NOW_MS = NOW.getTime();
const MINUTE_MS = 60_000;

let root: HTMLElement;
beforeEach(() => {
  vi.useFakeTimers({ now: NOW });
  root = document.createElement("div");
  document.body.appendChild(root);
  localStorage.clear();
  history.replaceState(null, "", "/");
});
afterEach(() => {
  render(null, root);
  root.remove();
  vi.useRealTimers();
});

function mount(client: FakeClient, node: preact.ComponentChildren, locale: "en" | "zh" = "en"): void {
  act(() => {
    render(<LocaleContext.Provider value={locale}><ClientContext.Provider value={client}>{node}</ClientContext.Provider></LocaleContext.Provider>, root);
  });
}
const text = (el: Element | null | undefined) => (el?.textContent ?? "").replace(/\s+/g, " ").trim();
const dialog = () => document.querySelector<HTMLElement>('[role="dialog"]');
/** A row's accessible name as a screen reader reads it: its text, with each badge read by its label. */
function nameOf(row: HTMLElement): string {
  const parts: string[] = [];
  const walk = (node: Node) => {
    if (node instanceof HTMLElement && node.getAttribute("aria-hidden") === "true") return;
    if (node instanceof HTMLElement && node.getAttribute("role") === "img") { parts.push(node.getAttribute("aria-label") ?? ""); return; }
    if (node.nodeType === Node.TEXT_NODE) { parts.push(node.textContent ?? ""); return; }
    node.childNodes.forEach(walk);
  };
  walk(row);
  return parts.map((p) => p.trim()).filter(Boolean).join(" ");
}
const rows = (list: Element | null | undefined) => [...(list?.querySelectorAll<HTMLElement>("button.away-item") ?? [])];

/** Alice (a direct chat, the latest), the launch group that mentions me twice, the design group
 * that mentions me once, and a muted channel. */
function missed(client: FakeClient): AwaySummary {
  client.profiles.set("alice@x", { account: "alice@x", display_name: "Alice", created_at_ms: 0 });
  client.convs = [
    conversation(1, { peer: "alice@x", unread: 4, last_activity_ms: NOW_MS - MINUTE_MS }),
    conversation(2, { kind: "group", name: "Launch", unread: 5, mentions: 2, last_activity_ms: NOW_MS - 40 * MINUTE_MS }),
    conversation(3, { kind: "group", name: "Design", unread: 3, mentions: 1, last_activity_ms: NOW_MS - 20 * MINUTE_MS }),
    conversation(4, { kind: "channel", name: "News", unread: 120, last_activity_ms: NOW_MS }, { muted: true }),
    conversation(5, { peer: "bob@x", unread: 0 }),
  ];
  return summarize(client.convs, NOW_MS)!;
}

describe("the summary after a long absence", () => {
  it("lists what was missed, mentions first, muted last, with the totals, and focuses the first", () => {
    const client = new FakeClient();
    mount(client, <OfflineSummary summary={missed(client)} sinceMs={NOW_MS - 2 * 60 * MINUTE_MS} onClose={() => {}} />);
    const d = dialog()!;
    expect(d.getAttribute("aria-modal")).toBe("true");
    expect(text(d.querySelector("h2"))).toBe("While you were away");
    expect(text(d.querySelector('[data-testid="away-total"]'))).toBe("12 unread in 3 conversations, 3 mentions");
    const list = d.querySelector('ul[aria-label="Conversations with unread messages"]');
    expect(rows(list).map(nameOf)).toEqual([
      "Design 1 mention 3 unread",
      "Launch 2 mentions 5 unread",
      "Alice 4 unread",
    ]);
    expect(document.activeElement).toBe(rows(list)[0]);
    // The muted channel: under its own heading, its count grey, not in the totals above.
    const heading = d.querySelector("h3")!;
    expect(text(heading)).toBe("Muted");
    const muted = d.querySelector(`ul[aria-labelledby="${heading.id}"]`);
    expect(rows(muted).map(nameOf)).toEqual(["News Muted 120 unread"]);
    expect(text(muted?.querySelector('[data-testid="away-unread"]'))).toBe("99+");
    expect(muted?.querySelector('[data-testid="away-unread"]')?.classList.contains("badge-muted")).toBe(true);
    expect(text(d.querySelector('[data-testid="away-muted-total"]'))).toBe("120 unread in 1 conversation");
  });

  it("says it in Chinese", () => {
    const client = new FakeClient();
    mount(client, <OfflineSummary summary={missed(client)} sinceMs={NOW_MS - 2 * 60 * MINUTE_MS} onClose={() => {}} />, "zh");
    const d = dialog()!;
    expect(text(d.querySelector("h2"))).toBe("你离开期间");
    expect(text(d.querySelector('[data-testid="away-total"]'))).toBe("3 个会话中有 12 条未读，3 条@我");
    expect(rows(d.querySelector('ul[aria-label="有未读消息的会话"]')).map(nameOf)).toEqual(["Design 1 条@我 3 条未读", "Launch 2 条@我 5 条未读", "Alice 4 条未读"]);
    expect(text(d.querySelector("h3"))).toBe("消息免打扰");
    expect([...d.querySelectorAll(".dialog-footer button")].map(text)).toEqual(["知道了"]);
  });

  it("opens a conversation and closes; Escape and the button close it too", () => {
    const client = new FakeClient();
    let closed = 0;
    mount(client, <OfflineSummary summary={missed(client)} sinceMs={NOW_MS - 2 * 60 * MINUTE_MS} onClose={() => { closed += 1; }} />);
    act(() => { rows(dialog())[1]!.click(); });
    expect(location.pathname).toBe("/c/2");
    expect(closed).toBe(1);
    act(() => { dialog()!.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true })); });
    expect(closed).toBe(2);
    act(() => { [...dialog()!.querySelectorAll<HTMLElement>(".dialog-footer button")].find((b) => text(b) === "Got it")!.click(); });
    expect(closed).toBe(3);
  });

  it("says one conversation and one mention in the singular, and how many more it does not list", () => {
    const client = new FakeClient();
    const one = summarize([conversation(1, { kind: "group", name: "Ops", unread: 1, mentions: 1 })], NOW_MS)!;
    mount(client, <OfflineSummary summary={one} sinceMs={NOW_MS - 60 * MINUTE_MS} onClose={() => {}} />);
    expect(text(dialog()!.querySelector('[data-testid="away-total"]'))).toBe("1 unread in 1 conversation, 1 mention");
    expect(dialog()!.querySelector("h3")).toBeNull();

    const many = summarize(Array.from({ length: SUMMARY_ITEMS_MAX + 5 }, (_, i) => conversation(i + 1, { kind: "group", name: `G${i + 1}`, unread: 1 })), NOW_MS)!;
    mount(client, <OfflineSummary summary={many} sinceMs={NOW_MS - 60 * MINUTE_MS} onClose={() => {}} />);
    expect(rows(dialog())).toHaveLength(SUMMARY_ITEMS_MAX);
    expect(text(dialog()!.querySelector('[data-testid="away-total"]'))).toBe(`${SUMMARY_ITEMS_MAX + 5} unread in ${SUMMARY_ITEMS_MAX + 5} conversations`);
    expect([...dialog()!.querySelectorAll("p.muted")].map(text)).toContain("and 5 more");
  });
});

describe("when this browser last had the account connected", () => {
  it("is read when the client gets online, then kept current every minute while it stays online", () => {
    const client = new FakeClient();
    client.status = "connecting";
    localStorage.setItem(lastConnectedKey("Me@X"), String(NOW_MS - 2 * 60 * MINUTE_MS));
    const calls: [number | null, number][] = [];
    const stop = followConnection(client, (last, now) => calls.push([last, now]));
    expect(calls).toEqual([]);

    client.status = "syncing";
    client.emit("status", "syncing");
    expect(calls).toEqual([]);
    client.status = "online";
    client.emit("status", "online");
    expect(calls).toEqual([[NOW_MS - 2 * 60 * MINUTE_MS, NOW_MS]]);
    expect(readLastConnected("me@x")).toBe(NOW_MS);
    vi.advanceTimersByTime(MINUTE_MS);
    expect(readLastConnected("me@x")).toBe(NOW_MS + MINUTE_MS);

    // Offline, the mark stays where the connection was last seen, also when the page is left.
    client.status = "offline";
    client.emit("status", "offline");
    vi.advanceTimersByTime(45 * MINUTE_MS);
    dispatchEvent(new Event("pagehide"));
    expect(readLastConnected("me@x")).toBe(NOW_MS + MINUTE_MS);
    client.status = "online";
    client.emit("status", "online");
    expect(calls[1]).toEqual([NOW_MS + MINUTE_MS, NOW_MS + 46 * MINUTE_MS]);

    // Leaving the page while online marks it.
    vi.setSystemTime(NOW_MS + 46 * MINUTE_MS + 20_000);
    dispatchEvent(new Event("pagehide"));
    expect(readLastConnected("me@x")).toBe(NOW_MS + 46 * MINUTE_MS + 20_000);
    stop();
  });

  it("does not count a tick long overdue (the machine slept) as time connected", () => {
    const client = new FakeClient();
    const stop = followConnection(client, () => {});
    expect(readLastConnected("me@x")).toBe(NOW_MS);
    // The clock jumps an hour with no timer run, as after a sleep; the next tick is late.
    vi.setSystemTime(NOW_MS + 60 * MINUTE_MS);
    vi.advanceTimersByTime(MINUTE_MS);
    expect(readLastConnected("me@x")).toBe(NOW_MS);
    // The one after is on time again.
    vi.advanceTimersByTime(MINUTE_MS);
    expect(readLastConnected("me@x")).toBe(NOW_MS + 62 * MINUTE_MS);
    stop();
  });

  it("answers at once for a client that was online before it was followed, and never for a first visit", () => {
    const client = new FakeClient();
    const calls: (number | null)[] = [];
    const stop = followConnection(client, (last) => calls.push(last));
    expect(calls).toEqual([null]);
    stop();
    // Stopped: the mark no longer moves.
    vi.advanceTimersByTime(5 * MINUTE_MS);
    expect(readLastConnected("me@x")).toBe(NOW_MS);
  });
});
