// The accessible names and structure that the end-to-end tests (and screen readers) rely on,
// checked on the real components with a fake client.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { render } from "preact";
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
