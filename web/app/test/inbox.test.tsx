// The notification centre in the page: the rail's bell with its count, the panel with an item of
// each kind in English and Chinese (a bot's disabled event subscription too), "Mark all as read",
// the "Unread only" filter, older pages, where each item leads, the account's live events and a
// reconnect; and the announcements an administrator sends from Administration.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { render } from "preact";
import { act } from "preact/test-utils";
import type { Notification } from "@magpie/sdk";
import { ClientContext } from "../src/state/client.ts";
import { LocaleContext } from "../src/i18n/hooks.ts";
import { InboxBell } from "../src/components/Inbox.tsx";
import { AdminPage } from "../src/components/Admin.tsx";
import { Inbox, INBOX_PAGE_LEN } from "../src/state/inbox.ts";
import { FakeClient, conversation } from "./fake-client.ts";

let root: HTMLElement;
let stops: (() => void)[] = [];
beforeEach(() => {
  root = document.createElement("div");
  document.body.appendChild(root);
  history.replaceState(null, "", "/");
});
afterEach(() => {
  render(null, root);
  root.remove();
  for (const stop of stops) stop();
  stops = [];
});

function mount(client: FakeClient, node: preact.ComponentChildren, locale: "en" | "zh" = "en"): void {
  act(() => {
    render(<LocaleContext.Provider value={locale}><ClientContext.Provider value={client}>{node}</ClientContext.Provider></LocaleContext.Provider>, root);
  });
}
const text = (el: Element | null | undefined) => (el?.textContent ?? "").replace(/\s+/g, " ").trim();
/** Lets the fake's answers (given at once) reach the page. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await act(async () => { await Promise.resolve(); });
}
const bell = () => document.querySelector<HTMLButtonElement>('[data-testid="inbox-bell"]')!;
const badge = () => document.querySelector('[data-testid="inbox-badge"]');
const panel = () => document.querySelector<HTMLElement>('.inbox-panel[role="dialog"]');
const rows = () => [...document.querySelectorAll<HTMLElement>('[data-testid="inbox-item"]')];
const sentences = () => rows().map((r) => text(r.querySelector('[data-testid="inbox-sentence"]')));
const button = (name: string) => [...document.querySelectorAll<HTMLButtonElement>("button")].find((b) => text(b) === name);

const MINUTE_MS = 60_000;
/** Bob's notifications to me, one of each kind, the newest first once sorted. */
function everyKind(): Notification[] {
  const at = Date.now() - 5 * MINUTE_MS;
  const bob = { actor: "bob@x", actor_name: "Bob" };
  return [
    { id: 1, kind: "mention", at_ms: at, read: false, ...bob, conversation: 42, conversation_name: "Design", seq: 17, text: "@Me the mockups?" },
    { id: 2, kind: "mention", at_ms: at, read: true, ...bob, conversation: 7, direct: true, seq: 3, text: "@Me lunch?" },
    { id: 3, kind: "reply", at_ms: at, read: false, ...bob, conversation: 42, conversation_name: "Design", seq: 20, thread: 16, text: "Agreed" },
    { id: 4, kind: "reaction", at_ms: at, read: false, ...bob, conversation: 42, conversation_name: "Design", seq: 18, emoji: "👍", text: "Friday works" },
    { id: 5, kind: "friend_request", at_ms: at, read: false, actor: "carol@x", actor_name: "Carol", text: "We met at the fair" },
    { id: 6, kind: "application", at_ms: at, read: false, actor: "dave@x", actor_name: "Dave" },
    { id: 7, kind: "announcement", at_ms: at, read: false, ...bob, conversation: 42, conversation_name: "Design", text: "Standup moves to 10:00" },
    { id: 8, kind: "announcement", at_ms: at, read: false, actor: "root@x", actor_name: "Root", text: "The office is closed on Monday.\nSee you Tuesday." },
  ];
}

/** The bell of a started inbox, on a client holding `items`; the panel open when `open`. */
async function withBell(items: Notification[], options: { locale?: "en" | "zh"; open?: boolean; admin?: boolean } = {}) {
  const client = new FakeClient();
  if (options.admin) client.me = { ...client.me, role: "domain_admin" };
  client.inbox = items;
  client.convs = [conversation(42, { kind: "group", name: "Design" })];
  const inbox = new Inbox(client);
  stops.push(inbox.start());
  mount(client, <InboxBell inbox={inbox} />, options.locale);
  await settle();
  if (options.open !== false) {
    act(() => { bell().click(); });
    await settle();
  }
  return { client, inbox };
}

describe("the bell", () => {
  it("shows the unread count, hidden at 0 and 99+ beyond 99, in its name too", async () => {
    await withBell([], { open: false });
    expect(badge()).toBeNull();
    expect(bell().getAttribute("aria-label")).toBe("Activity");
    render(null, root);

    await withBell(everyKind(), { open: false });
    expect(text(badge())).toBe("7");
    expect(bell().getAttribute("aria-label")).toBe("Activity 7 unread");
    expect(bell().getAttribute("aria-haspopup")).toBe("dialog");
    expect(bell().getAttribute("aria-expanded")).toBe("false");
    render(null, root);

    const many = Array.from({ length: 150 }, (_, i): Notification => ({ id: i + 1, kind: "mention", at_ms: Date.now(), read: false }));
    await withBell(many, { open: false, locale: "zh" });
    expect(text(badge())).toBe("99+");
    expect(bell().getAttribute("aria-label")).toBe("通知 99+ 条未读");
  });
});

describe("the panel", () => {
  it("lists one of each kind, newest first, with icons, previews and unread dots (en)", async () => {
    await withBell(everyKind());
    expect(bell().getAttribute("aria-expanded")).toBe("true");
    expect(panel()?.getAttribute("aria-label")).toBe("Activity");
    const list = panel()!.querySelector('ul[aria-label="Notifications"]');
    expect(list).not.toBeNull();
    expect(sentences()).toEqual([
      "Announcement from the administrator",
      "Bob posted an announcement in Design",
      "Dave applied for an account",
      "Carol wants to add you as a contact",
      "Bob reacted 👍 to your message in Design",
      "Bob replied to your message in Design",
      "Bob mentioned you",
      "Bob mentioned you in Design",
    ]);
    expect(rows().map((r) => r.dataset.kind)).toEqual(["announcement", "announcement", "application", "friend_request", "reaction", "reply", "mention", "mention"]);
    // The actor's name is set apart; each kind has its icon; the preview is the second line.
    expect(text(rows()[7]!.querySelector("strong"))).toBe("Bob");
    expect(rows().every((r) => r.querySelector(`.inbox-icon-${r.dataset.kind} svg`))).toBe(true);
    expect(text(rows()[7]!.querySelector('[data-testid="inbox-preview"]'))).toBe("@Me the mockups?");
    expect(rows()[2]!.querySelector('[data-testid="inbox-preview"]')).toBeNull();
    // Unread ones have a dot, named; the read one has none.
    expect(rows().map((r) => r.querySelector('[data-testid="inbox-unread"]')?.getAttribute("aria-label") ?? null))
      .toEqual(["Unread", "Unread", "Unread", "Unread", "Unread", "Unread", null, "Unread"]);
    expect(rows().every((r) => r.querySelector("time"))).toBe(true);
  });

  it("says it in Chinese", async () => {
    await withBell(everyKind(), { locale: "zh" });
    expect(panel()?.getAttribute("aria-label")).toBe("通知");
    expect(sentences()).toEqual([
      "管理员发布的公告",
      "Bob 在 Design 中发布了公告",
      "Dave 申请注册账号",
      "Carol 请求添加你为联系人",
      "Bob 在 Design 中对你的消息回应了 👍",
      "Bob 在 Design 中回复了你的消息",
      "Bob 提到了你",
      "Bob 在 Design 中提到了你",
    ]);
    expect(button("全部标为已读")).toBeDefined();
    expect(text(panel()!.querySelector(".inbox-filter"))).toBe("仅看未读");
    expect(rows()[0]!.querySelector('[data-testid="inbox-unread"]')?.getAttribute("aria-label")).toBe("未读");
  });

  it("marks all as read up to the newest shown", async () => {
    const { client } = await withBell(everyKind());
    act(() => { button("Mark all as read")!.click(); });
    await settle();
    expect(client.inboxReads).toEqual([{ upTo: 8 }]);
    expect(badge()).toBeNull();
    expect(document.querySelectorAll('[data-testid="inbox-unread"]')).toHaveLength(0);
    expect(button("Mark all as read")!.disabled).toBe(true);
  });

  it("opens the message of a mention and marks it read", async () => {
    const { client } = await withBell(everyKind());
    act(() => { rows()[7]!.querySelector("button")!.click(); });
    await settle();
    expect(location.pathname).toBe("/c/42/m/17");
    expect(client.inboxReads).toEqual([{ ids: [1] }]);
    expect(panel()).toBeNull();
    expect(text(badge())).toBe("6");
  });

  it("leads each kind where it belongs; a domain's announcement only expands", async () => {
    const open = async (index: number, admin = true) => {
      await withBell(everyKind(), { admin });
      act(() => { rows()[index]!.querySelector("button")!.click(); });
      await settle();
      const path = location.pathname;
      history.replaceState(null, "", "/");
      return path;
    };
    expect(await open(5)).toBe("/c/42/thread/16"); // A reply in a thread: the thread.
    expect(await open(4)).toBe("/c/42/m/18"); // The reaction: my message.
    expect(await open(3)).toBe("/contacts");
    expect(await open(2)).toBe("/admin/applications");
    expect(await open(1)).toBe("/c/42");

    await withBell(everyKind());
    const announcement = rows()[0]!.querySelector("button")!;
    expect(announcement.getAttribute("aria-expanded")).toBe("false");
    act(() => { announcement.click(); });
    await settle();
    expect(location.pathname).toBe("/");
    expect(panel()).not.toBeNull();
    expect(announcement.getAttribute("aria-expanded")).toBe("true");
    expect(announcement.classList.contains("expanded")).toBe(true);
    expect(rows()[0]!.querySelector('[data-testid="inbox-unread"]')).toBeNull();
  });

  it("tells a bot's managers that its event subscription was disabled, with the URL and error, and leads to the bot", async () => {
    const disabled: Notification = {
      id: 9, kind: "app_disabled", at_ms: Date.now() - MINUTE_MS, read: false, actor: "approvals@x", actor_name: "Approvals",
      text: "https://leave.example.com/events — answered 500 Internal Server Error: down",
    };
    await withBell([disabled], { admin: true });
    expect(sentences()).toEqual(["Approvals's event subscription was disabled after repeated failures"]);
    expect(text(rows()[0]!.querySelector("strong"))).toBe("Approvals");
    expect(rows()[0]!.querySelector(".inbox-icon-app_disabled svg")).not.toBeNull();
    expect(text(rows()[0]!.querySelector('[data-testid="inbox-preview"]'))).toBe("https://leave.example.com/events — answered 500 Internal Server Error: down");
    act(() => { rows()[0]!.querySelector("button")!.click(); });
    await settle();
    expect(location.pathname).toBe("/admin/bots");
    history.replaceState(null, "", "/");
    render(null, root);

    // The member who made the bot manages it in Settings → My bots.
    await withBell([disabled], { locale: "zh" });
    expect(sentences()).toEqual(["Approvals 的事件订阅因连续失败已被停用"]);
    act(() => { rows()[0]!.querySelector("button")!.click(); });
    await settle();
    expect(location.pathname).toBe("/settings");
  });

  it("filters to the unread ones", async () => {
    const { client } = await withBell(everyKind());
    const filter = panel()!.querySelector<HTMLInputElement>('.inbox-filter input[role="switch"]')!;
    act(() => { filter.click(); });
    await settle();
    expect(client.inboxQueries.at(-1)).toEqual({ limit: INBOX_PAGE_LEN, unreadOnly: true });
    expect(rows()).toHaveLength(7);
    expect(sentences()).not.toContain("Bob mentioned you");

    client.inbox = client.inbox.map((x) => ({ ...x, read: true }));
    act(() => { filter.click(); });
    await settle();
    act(() => { filter.click(); });
    await settle();
    expect(text(panel()!.querySelector(".inbox-empty"))).toBe("No unread notifications.");
  });

  it("loads older notifications as it scrolls", async () => {
    const many = Array.from({ length: 40 }, (_, i): Notification => ({ id: i + 1, kind: "mention", at_ms: Date.now(), read: true, actor_name: "Bob", conversation: 7, direct: true }));
    const { client } = await withBell(many);
    expect(rows()).toHaveLength(INBOX_PAGE_LEN);
    const scroll = panel()!.querySelector<HTMLElement>(".inbox-scroll")!;
    act(() => { scroll.dispatchEvent(new Event("scroll")); });
    await settle();
    expect(client.inboxQueries.at(-1)).toEqual({ before: 40 - INBOX_PAGE_LEN + 1, limit: INBOX_PAGE_LEN, unreadOnly: false });
    expect(rows()).toHaveLength(40);
    expect(button("Show older")).toBeUndefined();
  });

  it("moves between the items with the arrow keys", async () => {
    await withBell(everyKind());
    const items = rows().map((r) => r.querySelector("button")!);
    items[0]!.focus();
    const list = panel()!.querySelector("ul")!;
    act(() => { list.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowDown", bubbles: true })); });
    expect(document.activeElement).toBe(items[1]);
    act(() => { list.dispatchEvent(new KeyboardEvent("keydown", { key: "End", bubbles: true })); });
    expect(document.activeElement).toBe(items[7]);
    act(() => { list.dispatchEvent(new KeyboardEvent("keydown", { key: "Home", bubbles: true })); });
    expect(document.activeElement).toBe(items[0]);
  });
});

describe("live", () => {
  it("adds, reads and removes as the account's events say", async () => {
    const { client } = await withBell(everyKind());
    expect(text(badge())).toBe("7");

    act(() => {
      client.emit("notification_added", { id: 9, kind: "mention", at_ms: Date.now(), read: false, actor_name: "Erin", conversation: 42, conversation_name: "Design", seq: 30 });
    });
    expect(sentences()[0]).toBe("Erin mentioned you in Design");
    expect(text(badge())).toBe("8");

    // Read on another device: these two, then everything up to 4.
    act(() => { client.emit("notifications_read", { ids: [9, 8], up_to: null }); });
    expect(text(badge())).toBe("6");
    expect(rows()[0]!.querySelector('[data-testid="inbox-unread"]')).toBeNull();
    act(() => { client.emit("notifications_read", { ids: [], up_to: 4 }); });
    expect(text(badge())).toBe("3");

    act(() => { client.emit("notifications_removed", [7, 3]); });
    expect(rows().map((r) => r.dataset.kind)).not.toContain("reply");
    expect(rows()).toHaveLength(7);
    expect(text(badge())).toBe("2");
  });

  it("loads the first page again after a reconnect", async () => {
    const { client } = await withBell(everyKind(), { open: false });
    expect(client.inboxQueries).toHaveLength(1);
    client.inbox = [...client.inbox, { id: 10, kind: "mention", at_ms: Date.now(), read: false }];
    act(() => { client.status = "connecting"; client.emit("status", "connecting"); });
    act(() => { client.status = "online"; client.emit("status", "online"); });
    await settle();
    expect(client.inboxQueries).toHaveLength(2);
    expect(text(badge())).toBe("8");
  });

  it("offers to try again when the first page fails", async () => {
    const client = new FakeClient();
    client.inboxFailure = new Error("down");
    const inbox = new Inbox(client);
    stops.push(inbox.start());
    mount(client, <InboxBell inbox={inbox} />);
    await settle();
    act(() => { bell().click(); });
    expect(text(panel()!.querySelector('[role="alert"]'))).toBe("Couldn't load your notifications.");
    client.inboxFailure = undefined;
    client.inbox = everyKind();
    act(() => { button("Try again")!.click(); });
    await settle();
    expect(rows()).toHaveLength(8);
  });
});

describe("announcements, for administrators", () => {
  for (const [locale, sentText] of [["en", "Sent to 3 people"], ["zh", "已发送给 3 人"]] as const) {
    it(`are sent to the domain and say to how many people (${locale})`, async () => {
      const client = new FakeClient();
      client.me = { ...client.me, role: "domain_admin" };
      const asked: unknown[] = [];
      client.admin = {
        announce: async (request: unknown) => { asked.push(request); return { notified: 3 }; },
      } as unknown as typeof client.admin;
      mount(client, <AdminPage tab="announcements" />, locale);
      const tab = document.querySelector('[role="tab"][aria-selected="true"]');
      expect(text(tab)).toBe(locale === "en" ? "Announcements" : "公告");
      const area = document.querySelector<HTMLTextAreaElement>("#adm-announce-text")!;
      expect(area.maxLength).toBe(2000);
      const send = document.querySelector<HTMLButtonElement>('button[type="submit"]')!;
      expect(send.disabled).toBe(true);
      act(() => {
        area.value = "  The office is closed on Monday.  ";
        area.dispatchEvent(new Event("input", { bubbles: true }));
      });
      expect(text(document.querySelector("#adm-announce-count"))).toBe(locale === "en" ? "35 of 2000 characters" : "35 / 2000 字");
      await act(async () => { send.click(); });
      await settle();
      expect(asked).toEqual([{ text: "The office is closed on Monday." }]);
      expect(text(document.querySelector('[data-testid="announce-sent"]'))).toBe(sentText);
      expect(document.querySelector('[data-testid="announce-sent"]')?.getAttribute("role")).toBe("status");
      expect(area.value).toBe("");
    });
  }
});
