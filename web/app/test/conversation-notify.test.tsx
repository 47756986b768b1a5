// A conversation's own notification settings: a mute for a while (the dialog from the list's
// menu, the chat's header and the info pane's switch), the flag that says until when, the end
// of a timed mute with no event, the level in the info pane, and the page's notifications that
// follow both. The clock is Vitest's fake one.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { render } from "preact";
import { act } from "preact/test-utils";
import { MagpieError, type Conversation, type Entry } from "@magpie/sdk";
import { ClientContext } from "../src/state/client.ts";
import { LocaleContext } from "../src/i18n/hooks.ts";
import { ConversationList } from "../src/components/ConversationList.tsx";
import { ChatView } from "../src/components/ChatView.tsx";
import { GroupInfo } from "../src/components/GroupInfo.tsx";
import { muteChange, nextMuteEnd } from "../src/lib/conversationNotify.ts";
import { conversationLets, shouldNotify, type NotifyContext } from "../src/state/notify.ts";
import { FakeClient, conversation } from "./fake-client.ts";

const HOUR_MS = 3_600_000;
/** 09:30 local time: a mute for an hour ends the same day, at 10:30. */
const NOW = new Date(2025, 5, 10, 9, 30);
const NOW_MS = NOW.getTime();

let root: HTMLElement;
beforeEach(() => {
  vi.useFakeTimers({ now: NOW });
  root = document.createElement("div");
  document.body.appendChild(root);
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
const byLabel = (label: string) => document.querySelector<HTMLElement>(`[aria-label="${label}"]`);
const menuItem = (name: string) => [...document.querySelectorAll<HTMLElement>('[role="menu"] [role="menuitem"]')].find((i) => text(i) === name);
const dialog = () => document.querySelector<HTMLElement>('[role="dialog"]');
/** The radio or switch whose label reads `name` (the label wraps it). */
function control(name: string, within: ParentNode = document): HTMLInputElement {
  const label = [...within.querySelectorAll("label")].find((l) => text(l).startsWith(name));
  const input = label?.querySelector("input");
  if (!input) throw new Error(`no control named ${name}`);
  return input;
}
/** Chooses `choice` in the open mute dialog and confirms it. */
async function muteFor(choice: string): Promise<void> {
  const open = dialog();
  expect(text(open?.querySelector("h2"))).toBe("Mute notifications");
  act(() => { control(choice, open!).click(); });
  const confirm = [...open!.querySelectorAll("button")].find((b) => text(b) === "Mute")!;
  await act(async () => { confirm.click(); });
}
/** What the server would answer: the conversation with the change applied, as the SDK merges it. */
function applied(client: FakeClient, id: number, me: Partial<Conversation["me"]>): void {
  act(() => {
    client.convs = client.convs.map((c) => (c.id === id ? { ...c, me: { ...c.me, ...me } } : c));
    client.emit("change");
  });
}

describe("muting for a while", () => {
  it("sends the mute's end from now for each choice, and none until I unmute", () => {
    expect(muteChange("hour", NOW_MS)).toEqual({ muted: true, unmute_at_ms: NOW_MS + HOUR_MS });
    expect(muteChange("hours8", NOW_MS)).toEqual({ muted: true, unmute_at_ms: NOW_MS + 8 * HOUR_MS });
    expect(muteChange("day", NOW_MS)).toEqual({ muted: true, unmute_at_ms: NOW_MS + 24 * HOUR_MS });
    expect(muteChange("week", NOW_MS)).toEqual({ muted: true, unmute_at_ms: NOW_MS + 7 * 24 * HOUR_MS });
    expect(muteChange("forever", NOW_MS)).toEqual({ muted: true });
  });

  it("knows the next timed mute to end, leaving out those that ended and those for good", () => {
    const list = [
      conversation(1, {}, { muted: true }),
      conversation(2, {}, { muted: true, unmute_at_ms: NOW_MS + 8 * HOUR_MS }),
      conversation(3, {}, { muted: true, unmute_at_ms: NOW_MS + HOUR_MS }),
      conversation(4, {}, { muted: true, unmute_at_ms: NOW_MS - 1 }),
      conversation(5),
    ];
    expect(nextMuteEnd(list, NOW_MS)).toBe(NOW_MS + HOUR_MS);
    expect(nextMuteEnd(list, NOW_MS + HOUR_MS)).toBe(NOW_MS + 8 * HOUR_MS);
    expect(nextMuteEnd(list, NOW_MS + 8 * HOUR_MS)).toBeUndefined();
  });

  it("from the list's menu: 1 hour, then the flag says until when, and goes when the hour is up", async () => {
    const client = new FakeClient();
    client.convs = [conversation(1, { kind: "group", name: "Ops" })];
    mount(client, <ConversationList activeId={undefined} />);
    // Half a minute later (off the list's minute clock, so that the end is seen when it comes).
    act(() => { vi.advanceTimersByTime(30_000); });
    const mutedAtMs = NOW_MS + 30_000;
    act(() => { byLabel("Conversation options")!.click(); });
    expect(menuItem("Mute notifications…")!.getAttribute("aria-haspopup")).toBe("dialog");
    act(() => { menuItem("Mute notifications…")!.click(); });
    // The dialog starts on "until I unmute", as Mute did before it could end by itself.
    expect(control("Until I unmute", dialog()!).checked).toBe(true);
    await muteFor("1 hour");
    expect(client.settings).toEqual([{ conversation: 1, settings: { muted: true, unmute_at_ms: mutedAtMs + HOUR_MS } }]);
    expect(dialog()).toBeNull();
    // The focus is back on the button the menu was opened from.
    expect(document.activeElement).toBe(byLabel("Conversation options"));

    applied(client, 1, { muted: true, unmute_at_ms: mutedAtMs + HOUR_MS });
    const flag = () => root.querySelector('[data-testid="muted-flag"]');
    expect(flag()?.getAttribute("aria-label")).toBe("Muted until 10:30");
    expect(flag()?.getAttribute("title")).toBe("Muted until 10:30");
    act(() => { byLabel("Conversation options")!.click(); });
    expect(menuItem("Unmute notifications")).toBeDefined();
    act(() => { document.querySelector('[role="menu"]')!.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true })); });
    expect(document.querySelector('[role="menu"]')).toBeNull();

    // No event comes when the mute ends: the item reads the time itself, then.
    act(() => { vi.advanceTimersByTime(HOUR_MS - 1); });
    expect(flag()).not.toBeNull();
    act(() => { vi.advanceTimersByTime(1); });
    expect(flag()).toBeNull();
    act(() => { byLabel("Conversation options")!.click(); });
    expect(menuItem("Mute notifications…")).toBeDefined();
  });

  it("unmutes from the list's menu in one step, and names a mute for good just Muted", () => {
    const client = new FakeClient();
    client.convs = [conversation(1, { kind: "group", name: "Ops" }, { muted: true })];
    mount(client, <ConversationList activeId={undefined} />, "zh");
    expect(root.querySelector('[data-testid="muted-flag"]')?.getAttribute("aria-label")).toBe("消息免打扰");
    act(() => { byLabel("会话选项")!.click(); });
    act(() => { menuItem("取消免打扰")!.click(); });
    expect(client.settings).toEqual([{ conversation: 1, settings: { muted: false } }]);
    expect(dialog()).toBeNull();
  });

  it("says until when in Chinese, with the date when it is not today", () => {
    const client = new FakeClient();
    client.convs = [conversation(1, { kind: "group", name: "Ops" }, { muted: true, unmute_at_ms: new Date(2025, 5, 11, 9, 30).getTime() })];
    mount(client, <ConversationList activeId={undefined} />, "zh");
    expect(root.querySelector('[data-testid="muted-flag"]')?.getAttribute("aria-label")).toBe("免打扰至 2025年6月11日 09:30");
  });

  it("from the chat's header: the title's flag says until when, and the menu mutes for a week", async () => {
    const client = new FakeClient();
    client.convs = [conversation(1, { kind: "group", name: "Ops", member_count: 3 })];
    mount(client, <ChatView id={1} />);
    act(() => { byLabel("Conversation options")!.click(); });
    act(() => { menuItem("Mute notifications…")!.click(); });
    await muteFor("1 week");
    expect(client.settings).toEqual([{ conversation: 1, settings: { muted: true, unmute_at_ms: NOW_MS + 7 * 24 * HOUR_MS } }]);
    applied(client, 1, { muted: true, unmute_at_ms: NOW_MS + 2 * HOUR_MS });
    const flag = () => root.querySelector(".chat-header .title-flag");
    expect(flag()?.getAttribute("aria-label")).toBe("Muted until 11:30");
    act(() => { vi.advanceTimersByTime(2 * HOUR_MS); });
    expect(flag()).toBeNull();
  });

  it("keeps the dialog open with the reason when the server refuses", async () => {
    const client = new FakeClient();
    client.convs = [conversation(1, { kind: "group", name: "Ops" })];
    client.updateSettings = async () => { throw new MagpieError("invalid_field", "unmute_at_ms", { field: "unmute_at_ms" }); };
    mount(client, <ConversationList activeId={undefined} />);
    act(() => { byLabel("Conversation options")!.click(); });
    act(() => { menuItem("Mute notifications…")!.click(); });
    await muteFor("8 hours");
    expect(dialog()?.querySelector('[role="alert"]')).not.toBeNull();
  });
});

describe("the info pane", () => {
  const group = (me: Partial<Conversation["me"]> = {}) => conversation(1, { kind: "group", name: "Ops", member_count: 3 }, me);

  it("asks for how long when the switch is turned on, and stays off until that is chosen", async () => {
    const client = new FakeClient();
    client.convs = [group()];
    mount(client, <GroupInfo conversation={client.convs[0]!} members={[]} onClose={() => {}} />);
    const mute = control("Mute notifications");
    expect(mute.getAttribute("role")).toBe("switch");
    act(() => { mute.click(); });
    expect(mute.checked).toBe(false);
    await muteFor("8 hours");
    expect(client.settings).toEqual([{ conversation: 1, settings: { muted: true, unmute_at_ms: NOW_MS + 8 * HOUR_MS } }]);
  });

  it("shows until when it is muted, and turning the switch off unmutes at once", () => {
    const client = new FakeClient();
    client.convs = [group({ muted: true, unmute_at_ms: NOW_MS + HOUR_MS })];
    mount(client, <GroupInfo conversation={client.convs[0]!} members={[]} onClose={() => {}} />, "zh");
    const mute = control("消息免打扰");
    expect(mute.checked).toBe(true);
    expect(text(root.querySelector('[data-testid="muted-until"]'))).toBe("免打扰至 10:30");
    act(() => { mute.click(); });
    expect(client.settings).toEqual([{ conversation: 1, settings: { muted: false } }]);
    expect(dialog()).toBeNull();
  });

  it("shows the conversation's level and writes the one chosen, default to follow the account's", async () => {
    const client = new FakeClient();
    client.convs = [group({ notify_level: "mentions" })];
    mount(client, <GroupInfo conversation={client.convs[0]!} members={[]} onClose={() => {}} />);
    const legend = [...root.querySelectorAll("fieldset legend")].find((l) => text(l) === "Notifications");
    const field = legend!.closest("fieldset")!;
    const radios = [...field.querySelectorAll<HTMLInputElement>('input[type="radio"]')];
    expect(radios.map((r) => text(r.closest("label")))).toEqual(["Default (follows your settings)", "All messages", "Mentions only", "Nothing"]);
    expect(radios.map((r) => r.checked)).toEqual([false, false, true, false]);
    await act(async () => { control("Nothing", field).click(); });
    await act(async () => { control("Default (follows your settings)", field).click(); });
    expect(client.settings).toEqual([
      { conversation: 1, settings: { notify_level: "nothing" } },
      { conversation: 1, settings: { notify_level: "default" } },
    ]);
  });

  it("reads no level as the default, and puts the radios back when the server refuses", async () => {
    const client = new FakeClient();
    client.convs = [group()];
    client.updateSettings = async () => { throw new MagpieError("network", "offline"); };
    mount(client, <GroupInfo conversation={client.convs[0]!} members={[]} onClose={() => {}} />, "zh");
    expect(control("跟随通用设置").checked).toBe(true);
    act(() => { control("不通知").click(); });
    await vi.waitFor(() => expect(control("不通知").checked).toBe(false));
    expect(control("跟随通用设置").checked).toBe(true);
  });
});

describe("the page's notifications", () => {
  const ME = "me@x";
  const hidden: NotifyContext = { me: ME, nowMs: NOW_MS, visibility: "hidden", wanted: true, perm: "granted" };
  const plain: Pick<Entry, "mentions" | "mention_all"> = {};
  const mentioned = { mentions: ["bob@x", ME] };
  const group = (me: Partial<Conversation["me"]> = {}) => conversation(1, { kind: "group" }, me);

  it("follow the conversation's level where it has one, else let every message through", () => {
    expect(conversationLets(group(), plain, ME, NOW_MS)).toBe(true);
    expect(conversationLets(group({ notify_level: "all" }), plain, ME, NOW_MS)).toBe(true);
    for (const entry of [plain, mentioned, { mention_all: true }]) {
      expect(conversationLets(group({ notify_level: "nothing" }), entry, ME, NOW_MS)).toBe(false);
      expect(conversationLets(conversation(1, {}, { notify_level: "nothing" }), entry, ME, NOW_MS)).toBe(false);
    }
    const mentions = group({ notify_level: "mentions" });
    expect(conversationLets(mentions, plain, ME, NOW_MS)).toBe(false);
    expect(conversationLets(mentions, { mentions: ["bob@x"] }, ME, NOW_MS)).toBe(false);
    expect(conversationLets(mentions, mentioned, ME, NOW_MS)).toBe(true);
    expect(conversationLets(mentions, { mention_all: true }, ME, NOW_MS)).toBe(true);
    // In a direct chat every message is for me.
    expect(conversationLets(conversation(1, {}, { notify_level: "mentions" }), plain, ME, NOW_MS)).toBe(true);
  });

  it("stay quiet while muted, and come again once a timed mute has ended", () => {
    expect(conversationLets(group({ muted: true }), mentioned, ME, NOW_MS)).toBe(false);
    const timed = group({ muted: true, unmute_at_ms: NOW_MS + HOUR_MS });
    expect(shouldNotify(timed, plain, hidden)).toBe(false);
    expect(shouldNotify(timed, plain, { ...hidden, nowMs: NOW_MS + HOUR_MS })).toBe(true);
  });

  it("need a hidden tab, the user's wish and the browser's permission", () => {
    expect(shouldNotify(group(), plain, hidden)).toBe(true);
    expect(shouldNotify(group(), plain, { ...hidden, visibility: "visible" })).toBe(false);
    expect(shouldNotify(group(), plain, { ...hidden, wanted: false })).toBe(false);
    expect(shouldNotify(group(), plain, { ...hidden, perm: "denied" })).toBe(false);
  });
});
