// Threads in the app (issue 23, protocol §7.12), on the real components with a fake client:
// the route of a thread, the reply count under a root that opens it, "Reply in thread" in a
// message's actions, a broadcast reply's link to its thread, the thread panel with its root,
// replies, follow button and composer ("also send to the group"), and the header's badge.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { render } from "preact";
import { act } from "preact/test-utils";
import type { Entry, MessageView, ThreadView } from "@magpie/sdk";
import { ClientContext } from "../src/state/client.ts";
import { LocaleContext } from "../src/i18n/hooks.ts";
import { ChatView } from "../src/components/ChatView.tsx";
import { parseRoute, routePath } from "../src/state/router.ts";
import { FakeClient, conversation } from "./fake-client.ts";

let root: HTMLElement;
beforeEach(() => { root = document.createElement("div"); document.body.appendChild(root); history.replaceState(null, "", "/"); });
afterEach(() => { render(null, root); root.remove(); });

function mount(client: FakeClient, node: preact.ComponentChildren, locale: "en" | "zh" = "en"): void {
  act(() => {
    render(<LocaleContext.Provider value={locale}><ClientContext.Provider value={client}>{node}</ClientContext.Provider></LocaleContext.Provider>, root);
  });
}
const $ = (sel: string) => root.querySelector<HTMLElement>(sel);
const $$ = (sel: string) => [...root.querySelectorAll<HTMLElement>(sel)];
const byLabel = (label: string) => $(`[aria-label="${label}"]`);
const text = (el: Element | null | undefined) => (el?.textContent ?? "").replace(/\s+/g, " ").trim();

function entry(seq: number, sender: string, words: string, extra: Partial<Entry> = {}): Entry {
  return { conversation: 1, seq, id: seq, sender, kind: "text", body: { text: words }, at_ms: Date.now() - 60_000 + seq, ...extra };
}
function message(e: Entry, extra: Partial<MessageView> = {}): MessageView {
  return { key: String(e.seq), mine: e.sender === "me@x", entry: e, ...extra };
}

function setUp(kind: "group" | "direct" = "group") {
  const client = new FakeClient();
  client.profiles.set("bob@x", { account: "bob@x", display_name: "Bob" });
  client.convs = [kind === "group" ? conversation(1, { kind: "group", name: "Team", member_count: 3 }) : conversation(1, { peer: "bob@x" })];
  const rootEntry = entry(1, "me@x", "Noodles at 12?", { thread_summary: { replies: 2, last_seq: 4, last_at_ms: Date.now() - 1000 } });
  client.messages.set(1, [message(rootEntry), message(entry(3, "bob@x", "12:30 is better", { thread: 1, broadcast: true }))]);
  const thread: ThreadView = {
    conversation: client.convs[0]!, root: message(rootEntry),
    replies: [message(entry(2, "bob@x", "Sure")), message(entry(3, "bob@x", "12:30 is better", { thread: 1, broadcast: true })), message(entry(4, "bob@x", "or 1?", { thread: 1 }))],
    atStart: true, following: true, readSeq: 2, unread: 2,
  };
  client.threadViews.set("1:1", thread);
  client.threadLists.set(1, [{ conversation: 1, root: rootEntry, following: true, read_seq: 2, unread: 2 }]);
  return client;
}

describe("thread routes", () => {
  it("read and write a conversation with a thread open beside it", () => {
    expect(parseRoute("/c/12/thread/5")).toEqual({ page: "chats", conversation: 12, thread: 5 });
    expect(routePath({ page: "chats", conversation: 12, thread: 5 })).toBe("/c/12/thread/5");
    expect(parseRoute("/c/12/thread/")).toEqual({ page: "chats" });
  });
});

describe("threads in the chat", () => {
  it("shows the reply count under a root, which opens the thread's route", () => {
    const client = setUp();
    mount(client, <ChatView id={1} />);
    const summary = $('[data-testid="thread-summary"]')!;
    expect(text(summary)).toMatch(/^2 replies/);
    act(() => { summary.click(); });
    expect(location.pathname).toBe("/c/1/thread/1");
  });

  it("says in the chat which thread a broadcast reply answers", () => {
    const client = setUp();
    mount(client, <ChatView id={1} />);
    const reply = $$('[data-testid="message"]').find((r) => r.dataset.seq === "3")!;
    expect(text(reply.querySelector(".thread-origin"))).toBe("Replied to a thread: Noodles at 12?");
  });

  it("offers Reply in thread among a message's actions", () => {
    const client = setUp();
    mount(client, <ChatView id={1} />);
    act(() => { byLabel("Message actions")!.click(); });
    const items = [...document.querySelectorAll('[role="menu"] [role="menuitem"]')];
    const item = items.find((i) => text(i) === "Reply in thread") as HTMLElement;
    expect(item).toBeDefined();
    act(() => { item.click(); });
    expect(location.pathname).toBe("/c/1/thread/1");
  });

  it("counts the unread replies of followed threads on the header's Threads button", () => {
    const client = setUp();
    mount(client, <ChatView id={1} />);
    expect(byLabel("Threads 2 unread")).not.toBeNull();
    expect(text($('[data-testid="threads-badge"]'))).toBe("2");
  });
});

describe("the thread panel", () => {
  it("shows the root, the replies, a follow button and a composer that also sends to the group", () => {
    const client = setUp();
    mount(client, <ChatView id={1} thread={1} />);
    const panel = $('[data-testid="thread-panel"]')!;
    expect(panel.getAttribute("aria-label")).toBe("Thread");
    expect(document.activeElement?.textContent).toBe("Thread");
    const rows = [...panel.querySelectorAll<HTMLElement>('[data-testid="message"]')];
    expect(rows.map((r) => r.dataset.seq)).toEqual(["1", "2", "3", "4"]);
    expect(text(panel.querySelector('[role="log"]'))).toContain("Also sent to the chat");
    expect(text(panel.querySelector('[data-testid="thread-follow"]'))).toBe("Unfollow");
    // Selecting many and replying in a thread are the chat's.
    act(() => { panel.querySelector<HTMLElement>('[aria-label="Message actions"]')!.click(); });
    const items = [...document.querySelectorAll('[role="menu"] [role="menuitem"]')].map(text);
    expect(items).toContain("Reply");
    expect(items).not.toContain("Reply in thread");
    expect(items).not.toContain("Select");

    const box = panel.querySelector<HTMLTextAreaElement>('[aria-label="Reply in this thread"]')!;
    const also = [...panel.querySelectorAll("label.also-send")].find((l) => text(l) === "Also send to group")!.querySelector("input")!;
    act(() => { box.value = "see you there"; box.dispatchEvent(new Event("input", { bubbles: true })); });
    act(() => { box.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true })); });
    act(() => { also.click(); });
    act(() => { box.value = "everyone: 12:30"; box.dispatchEvent(new Event("input", { bubbles: true })); });
    act(() => { box.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true })); });
    expect(client.sent.map((s) => [s.body, s.options])).toEqual([
      [{ text: "see you there" }, { thread: 1 }],
      [{ text: "everyone: 12:30" }, { thread: 1, broadcast: true }],
    ]);
    // The box is unchecked again after a reply: "also send" is for one reply at a time.
    expect(also.checked).toBe(false);
  });

  it("says 'also send to chat' in a direct chat, and speaks Chinese", () => {
    const client = setUp("direct");
    mount(client, <ChatView id={1} thread={1} />, "zh");
    const panel = $('[data-testid="thread-panel"]')!;
    expect(panel.getAttribute("aria-label")).toBe("话题");
    expect(text(panel.querySelector("label.also-send"))).toBe("同时发送到聊天");
    expect(text(panel.querySelector('[data-testid="thread-follow"]'))).toBe("取消关注");
  });

  it("unfollows with its button, and closes on Escape back to the chat's route", () => {
    const client = setUp();
    history.replaceState(null, "", "/c/1/thread/1");
    mount(client, <ChatView id={1} thread={1} />);
    act(() => { $('[data-testid="thread-follow"]')!.click(); });
    expect(client.threadChanges).toEqual([{ conversation: 1, root: 1, change: { following: false } }]);
    act(() => { $('[data-testid="thread-panel"] h2')!.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true })); });
    expect(location.pathname).toBe("/c/1");
  });
});
