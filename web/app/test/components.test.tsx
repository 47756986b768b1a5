// The accessible names and structure that the end-to-end tests (and screen readers) rely on,
// checked on the real components with a fake client.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { options, render } from "preact";
import { act } from "preact/test-utils";
import type { MessageView } from "@magpie/sdk";
import { ClientContext } from "../src/state/client.ts";
import { LocaleContext } from "../src/i18n/hooks.ts";
import { ConversationList } from "../src/components/ConversationList.tsx";
import { ChatView } from "../src/components/ChatView.tsx";
import { AuthScreen } from "../src/components/Auth.tsx";
import { FakeClient, conversation } from "./fake-client.ts";

let root: HTMLElement;
beforeEach(() => { root = document.createElement("div"); document.body.appendChild(root); });
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

function message(seq: number, sender: string, body: Record<string, unknown> | null, extra: Partial<MessageView> = {}, entry: object = {}): MessageView {
  return { key: String(seq), mine: sender === "me@x", entry: { conversation: 1, seq, id: seq, sender, kind: "text", body, at_ms: Date.now() - 1000, ...entry }, ...extra };
}

describe("conversation list", () => {
  it("lists conversations with badges whose names tests can find", () => {
    const client = new FakeClient();
    client.profiles.set("bob@x", { account: "bob@x", display_name: "Bob" });
    client.convs = [
      conversation(1, { peer: "bob@x", unread: 3, mentions: 1, last_message: { conversation: 1, seq: 3, id: 3, sender: "bob@x", kind: "image", body: { file: "f" }, at_ms: Date.now() } }),
      conversation(2, { kind: "group", name: "Lunch", unread: 0 }, { muted: true, pinned: true }),
    ];
    mount(client, <ConversationList activeId={undefined} />);
    const list = $('[role="list"][aria-label="Conversations"]');
    expect(list).not.toBeNull();
    const items = $$('[aria-label="Conversations"] > li > button.conv-main');
    expect(items.map((b) => text(b.querySelector(".conv-title")))).toEqual(["Bob", "Lunch"]);
    // The button's content starts with the title: nothing before it speaks.
    expect(text(items[0]!)).toMatch(/^Bob/);
    const badge = items[0]!.querySelector('[data-testid="unread-badge"]');
    expect(badge?.getAttribute("aria-label")).toBe("3 unread");
    expect(text(badge)).toBe("3");
    expect(items[0]!.querySelector('[aria-label="mentioned"]')).not.toBeNull();
    expect(text(items[0]!.querySelector(".conv-preview"))).toBe("[Image]");
    expect(items[1]!.querySelector('[data-testid="unread-badge"]')).toBeNull();
    expect(items[1]!.querySelector('[aria-label="Muted"]')).not.toBeNull();
    expect(items[1]!.querySelector('[aria-label="Pinned"]')).not.toBeNull();
    expect(byLabel("Filter conversations")?.tagName).toBe("INPUT");
    expect(byLabel("New chat")?.tagName).toBe("BUTTON");
    expect(byLabel("New group")?.tagName).toBe("BUTTON");
  });

  it("filters as you type", () => {
    const client = new FakeClient();
    client.convs = [conversation(1, { kind: "group", name: "Design" }), conversation(2, { kind: "group", name: "Lunch" })];
    mount(client, <ConversationList activeId={undefined} />);
    const input = byLabel("Filter conversations") as HTMLInputElement;
    act(() => { input.value = "lun"; input.dispatchEvent(new Event("input", { bubbles: true })); });
    expect($$(".conv-title").map(text)).toEqual(["Lunch"]);
  });

  it("speaks Chinese when asked", () => {
    const client = new FakeClient();
    client.convs = [conversation(1, { kind: "group", name: "午饭", unread: 2 })];
    mount(client, <ConversationList activeId={undefined} />, "zh");
    expect($('[role="list"][aria-label="会话列表"]')).not.toBeNull();
    expect($('[data-testid="unread-badge"]')?.getAttribute("aria-label")).toBe("2 条未读");
  });
});

describe("chat view", () => {
  function chat(messages: MessageView[]) {
    const client = new FakeClient();
    client.profiles.set("bob@x", { account: "bob@x", display_name: "Bob" });
    client.convs = [conversation(1, { kind: "group", name: "Team", member_count: 3 }, { role: "member" })];
    client.messages.set(1, messages);
    mount(client, <ChatView id={1} />);
    return client;
  }

  it("renders a message log with states, separators and the composer", () => {
    chat([
      message(1, "bob@x", { text: "hello" }),
      message(2, "me@x", { text: "mine" }, { state: "read", readBy: 2 }),
      message(3, "me@x", null, {}, { recalled_at_ms: Date.now() }),
      { key: "out:c1", mine: true, state: "failed", entry: { conversation: 1, seq: 0, id: 0, sender: "me@x", kind: "text", body: { text: "oops" }, at_ms: Date.now() } },
      message(4, "bob@x", { q: 1 }, {}, { kind: "x.poll" }),
    ]);
    expect($('[role="log"][aria-label="Messages"]')).not.toBeNull();
    expect($$('[role="separator"]').length).toBe(1);
    const rows = $$('[data-testid="message"]');
    expect(rows.map((r) => r.dataset.state ?? "")).toEqual(["", "read", "", "failed", ""]);
    expect(rows[0]!.dataset.seq).toBe("1");
    expect(text(rows[1])).toContain("Read by 2");
    expect(text(rows[2])).toContain("This message was recalled");
    expect(rows[3]!.querySelector("button")?.textContent).toBeDefined();
    expect([...rows[3]!.querySelectorAll("button")].map(text)).toContain("Retry");
    expect(text(rows[4])).toContain("This message needs a newer app");
    expect(rows.every((r) => r.querySelector('[aria-label="Message actions"]'))).toBe(true);
    expect(byLabel("Message")?.tagName).toBe("TEXTAREA");
    expect(byLabel("Group info")).not.toBeNull();
    expect((byLabel("Choose file") as HTMLInputElement).type).toBe("file");
    expect(byLabel("Attach file")?.tagName).toBe("BUTTON");
  });

  it("opens the message actions menu with the contract's items", () => {
    chat([message(1, "me@x", { text: "mine" }, { state: "sent" })]);
    const button = byLabel("Message actions")!;
    act(() => { button.click(); });
    const items = [...document.querySelectorAll('[role="menu"] [role="menuitem"]')].map(text);
    expect(items).toEqual(expect.arrayContaining(["Reply", "Edit", "Recall", "Forward", "React", "Copy"]));
  });

  it("sends on Enter, with mentions, and keeps Shift+Enter for new lines", () => {
    const client = chat([]);
    const view = client.view(1)!;
    view.members = [];
    const box = byLabel("Message") as HTMLTextAreaElement;
    act(() => { box.value = "**hi** all"; box.dispatchEvent(new Event("input", { bubbles: true })); });
    act(() => { box.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", shiftKey: true, bubbles: true })); });
    expect(client.sent).toHaveLength(0);
    act(() => { box.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true })); });
    expect(client.sent).toEqual([{ conversation: 1, kind: "markdown", body: { text: "**hi** all" }, options: {} }]);
    expect(box.value).toBe("");
  });
});

describe("scheduled messages", () => {
  const scheduled = (id: number, extra: object = {}) => ({
    id, conversation: 1, kind: "text", body: { text: `later ${id}` }, send_at_ms: Date.now() + 3_600_000,
    created_at_ms: 0, updated_at_ms: 0, state: "pending" as const, ...extra,
  });

  it("are counted above the composer, failed ones too, and listed with why they failed", () => {
    const client = new FakeClient();
    client.convs = [conversation(1, { peer: "bob@x" })];
    client.messages.set(1, []);
    client.scheduledList = [
      scheduled(1),
      scheduled(2, { state: "failed", failure: { code: "forbidden", message: "not allowed", at_ms: 1 } }),
      { ...scheduled(3), conversation: 2 },
    ];
    mount(client, <ChatView id={1} />);
    expect(byLabel("Schedule message")?.hasAttribute("disabled")).toBe(true);
    const bar = $('[role="region"][aria-label="Scheduled messages"]');
    expect(text(bar)).toBe("2 scheduled messages1 not sent");
    act(() => { bar!.querySelector("button")!.click(); });
    const list = document.querySelector('[role="dialog"] [role="list"][aria-label="Scheduled messages in this chat"]');
    const items = [...(list?.querySelectorAll('[data-testid="scheduled-item"]') ?? [])];
    expect(items.map((i) => text(i.querySelector(".scheduled-text")))).toEqual(["later 1", "later 2"]);
    expect(text(items[1]!.querySelector('[role="note"]'))).toBe("Not sent: you can no longer post in this chat");
    expect(items[0]!.querySelector('[aria-label="Send now: later 1"]')?.tagName).toBe("BUTTON");
    expect(items[0]!.querySelector('[aria-label="Cancel sending: later 1"]')?.tagName).toBe("BUTTON");
  });

  it("show no bar while there are none", () => {
    const client = new FakeClient();
    client.convs = [conversation(1, { peer: "bob@x" })];
    client.messages.set(1, []);
    mount(client, <ChatView id={1} />, "zh");
    expect($('[data-testid="scheduled-bar"]')).toBeNull();
    expect(byLabel("定时发送")?.tagName).toBe("BUTTON");
  });
});

describe("a push re-renders only what changed", () => {
  /** Counts the renders of components by name while `run` runs. */
  function renders(run: () => void): Map<string, number> {
    const counts = new Map<string, number>();
    const hooks = options as unknown as { __r?: (vnode: { type: unknown }) => void };
    const before = hooks.__r;
    hooks.__r = (vnode) => {
      const type = vnode.type as { name?: string };
      // Bundlers may rename a memoised function ("MessageRow2"): count by the name it was given.
      const name = type.name?.replace(/\d+$/, "");
      if (typeof vnode.type === "function" && name) counts.set(name, (counts.get(name) ?? 0) + 1);
      before?.(vnode);
    };
    try { run(); } finally { hooks.__r = before; }
    return counts;
  }

  it("a new message in one conversation re-renders its list item, not the others", () => {
    const client = new FakeClient();
    client.convs = Array.from({ length: 30 }, (_, i) => conversation(i + 1, { kind: "group", name: `Group ${i + 1}` }));
    mount(client, <ConversationList activeId={undefined} />);
    const counts = renders(() => act(() => {
      client.convs = client.convs.map((c) => (c.id === 7 ? { ...c, unread: 1, last_message: message(1, "bob@x", { text: "hi" }).entry } : c));
      client.emit("change");
    }));
    expect(counts.get("ConversationItem")).toBe(1);
    expect(text($$(".conv-item")[6])).toContain("hi");
  });

  it("a change elsewhere re-renders no list item at all", () => {
    const client = new FakeClient();
    client.convs = Array.from({ length: 30 }, (_, i) => conversation(i + 1, { kind: "group", name: `Group ${i + 1}` }));
    mount(client, <ConversationList activeId={undefined} />);
    const counts = renders(() => act(() => { client.emit("change"); }));
    expect(counts.get("ConversationItem") ?? 0).toBe(0);
    expect(counts.get("ConversationList") ?? 0).toBe(0);
  });

  it("a new message in the open chat renders that message's row only", () => {
    const client = new FakeClient();
    client.profiles.set("bob@x", { account: "bob@x", display_name: "Bob" });
    client.convs = [conversation(1, { kind: "group", name: "Team", member_count: 3 })];
    const history = Array.from({ length: 40 }, (_, i) => message(i + 1, i % 2 ? "bob@x" : "me@x", { text: `m${i + 1}` }, i % 2 ? {} : { state: "read" }));
    client.messages.set(1, history);
    mount(client, <ChatView id={1} />);
    expect($$('[data-testid="message"]').length).toBeGreaterThan(0);
    // A new message: its own row at most (jsdom has no layout, so the list shows its top rows).
    const counts = renders(() => act(() => {
      client.messages.set(1, [...history, message(41, "bob@x", { text: "m41" })]);
      client.emit("change");
    }));
    expect(counts.get("MessageRow") ?? 0).toBeLessThanOrEqual(1);
    expect(counts.get("MessageList")).toBe(1);
    // A reaction on a shown message: that row, and no other.
    const again = renders(() => act(() => {
      client.messages.set(1, client.messages.get(1)!.map((m) =>
        m.key === "3" ? { ...m, entry: { ...m.entry, reactions: [{ emoji: "👍", accounts: ["bob@x"] }] } } : m));
      client.emit("change");
    }));
    expect(again.get("MessageRow")).toBe(1);
    expect($('[data-seq="3"]')?.querySelector('[aria-label^="👍"]')).not.toBeNull();
  });
});

describe("sign-in", () => {
  it("labels its fields and toggles to the register form", () => {
    mount(new FakeClient(), <AuthScreen onSignedIn={() => {}} />);
    const label = (name: string) => $$("label").find((l) => text(l) === name);
    expect(label("Account")?.getAttribute("for")).toBe("auth-account");
    expect(label("Password")).toBeDefined();
    expect($$("button").map(text)).toContain("Sign in");
    const toggle = $$("button").find((b) => text(b) === "Create an account")!;
    act(() => { toggle.click(); });
    expect(label("Display name")).toBeDefined();
    expect($$("button").map(text)).toContain("Register");
  });

  it("shows why the session ended", () => {
    mount(new FakeClient(), <AuthScreen reason="password_changed" onSignedIn={() => {}} />);
    expect(text($('[role="status"]'))).toBe("Your password was changed. Sign in again.");
  });
});
