// The notification centre's rules (lib/inbox.ts): the bell's badge, and how pages and the
// account's events change the list and the count, also when they cross a page on its way.
import { describe, expect, it } from "vitest";
import type { Notification } from "@magpie/sdk";
import { EMPTY_INBOX, applyEvent, badgeText, iconOf, sentenceOf, sentenceParts, withFirstPage, withOlderPage, type InboxState } from "../src/lib/inbox.ts";
import { translator } from "../src/i18n/index.ts";
import { parseRoute, routePath } from "../src/state/router.ts";

const n = (id: number, extra: Partial<Notification> = {}): Notification => ({ id, kind: "mention", at_ms: id * 1000, read: false, ...extra });
const ids = (state: InboxState) => state.items.map((i) => i.id);
const loaded = (items: Notification[], extra: Partial<InboxState> = {}): InboxState => ({
  ...EMPTY_INBOX, items, unread: items.filter((i) => !i.read).length, loaded: true, ...extra,
});

describe("the badge", () => {
  it("is hidden at 0, the count up to 99, then 99+", () => {
    expect(badgeText(0)).toBeNull();
    expect(badgeText(1)).toBe("1");
    expect(badgeText(99)).toBe("99");
    expect(badgeText(100)).toBe("99+");
    expect(badgeText(2500)).toBe("99+");
  });
});

describe("events", () => {
  it("add a notification on top once, counting it when unread", () => {
    const state = loaded([n(3), n(1, { read: true })]);
    const added = applyEvent(state, { kind: "added", notification: n(5) });
    expect(ids(added.state)).toEqual([5, 3, 1]);
    expect(added.state.unread).toBe(2);
    expect(added.exact).toBe(true);
    // Replayed by a catch-up: nothing changes.
    expect(applyEvent(added.state, { kind: "added", notification: n(5) }).state).toBe(added.state);
  });

  it("read by ids or up to an id, counting only what turns read", () => {
    const state = loaded([n(4), n(3, { read: true }), n(2), n(1)]);
    const byIds = applyEvent(state, { kind: "read", ids: [3, 2], upTo: null });
    expect(byIds.state.unread).toBe(2);
    expect(byIds.state.items.map((i) => i.read)).toEqual([false, true, true, false]);
    expect(byIds.exact).toBe(true);
    const upTo = applyEvent(byIds.state, { kind: "read", ids: [], upTo: 4 });
    expect(upTo.state.unread).toBe(0);
    expect(upTo.state.items.every((i) => i.read)).toBe(true);
    // The same read again (this device's own, heard back): nothing changes.
    expect(applyEvent(upTo.state, { kind: "read", ids: [], upTo: 4 }).state).toBe(upTo.state);
  });

  it("are not exact where they reach notifications not loaded", () => {
    const partial = loaded([n(9), n(8)], { more: true, unread: 5 });
    expect(applyEvent(partial, { kind: "read", ids: [], upTo: 9 }).exact).toBe(false);
    expect(applyEvent(partial, { kind: "read", ids: [9, 2], upTo: null }).exact).toBe(false);
    expect(applyEvent(partial, { kind: "read", ids: [9], upTo: null })).toMatchObject({ exact: true, state: { unread: 4 } });
    expect(applyEvent(partial, { kind: "removed", ids: [2] }).exact).toBe(false);
    // Everything loaded: an id not held is nobody's unread notification.
    expect(applyEvent(loaded([n(9)]), { kind: "read", ids: [7], upTo: 20 }).exact).toBe(true);
  });

  it("remove notifications, and the count of those unread", () => {
    const state = loaded([n(3), n(2, { read: true }), n(1)]);
    const removed = applyEvent(state, { kind: "removed", ids: [3, 2] });
    expect(ids(removed.state)).toEqual([1]);
    expect(removed.state.unread).toBe(1);
  });
});

describe("pages", () => {
  it("take the first page, with what came while it was on its way applied once", () => {
    const page = { items: [n(6), n(5), n(4)], more: true, unread: 7 };
    // 6 came live and the page has it (counted); 8 came after the server answered (not); 5 was
    // read meanwhile on another device; 4 was removed.
    const during = [
      { kind: "added" as const, notification: n(6) },
      { kind: "added" as const, notification: n(8) },
      { kind: "read" as const, ids: [5], upTo: null },
      { kind: "removed" as const, ids: [4] },
    ];
    const { state, exact } = withFirstPage(page, false, during);
    expect(ids(state)).toEqual([8, 6, 5]);
    expect(state.unread).toBe(7 + 1 - 1 - 1);
    expect(state.loaded).toBe(true);
    expect(exact).toBe(true);
  });

  it("append an older page, leaving the count to the events", () => {
    const state = loaded([n(9), n(8)], { more: true, unread: 4 });
    const older = withOlderPage(state, { items: [n(8), n(7), n(6, { read: true })], more: false }, [{ kind: "read", ids: [7], upTo: null }]);
    expect(ids(older)).toEqual([9, 8, 7, 6]);
    expect(older.items[2]!.read).toBe(true);
    expect(older.unread).toBe(4);
    expect(older.more).toBe(false);
  });
});

describe("sentences", () => {
  const en = translator("en");
  const zh = translator("zh");
  const names = { actor: "Bob", conversation: "Design" };
  const say = (t: typeof en, x: Notification) => { const { key, params } = sentenceOf(x, names); return t(key, params); };

  it("say what happened, in a group or a direct chat, in both languages", () => {
    expect(say(en, n(1, { conversation: 4 }))).toBe("Bob mentioned you in Design");
    expect(say(zh, n(1, { conversation: 4 }))).toBe("Bob 在 Design 中提到了你");
    expect(say(en, n(1, { conversation: 4, direct: true }))).toBe("Bob mentioned you");
    expect(say(en, n(1, { kind: "reaction", conversation: 4, direct: true, emoji: "👍" }))).toBe("Bob reacted 👍 to your message");
    expect(say(zh, n(1, { kind: "reaction", conversation: 4, emoji: "👍" }))).toBe("Bob 在 Design 中对你的消息回应了 👍");
    expect(say(en, n(1, { kind: "announcement" }))).toBe("Announcement from the administrator");
    expect(say(en, n(1, { kind: "something_new" as Notification["kind"] }))).toBe("Bob sent you a notification");
    expect(say(en, n(1, { kind: "app_disabled", text: "https://x.example/ — answered 500" }))).toBe("Bob's event subscription was disabled after repeated failures");
    expect(say(zh, n(1, { kind: "app_disabled" }))).toBe("Bob 的事件订阅因连续失败已被停用");
    expect(iconOf(n(1, { kind: "app_disabled" }))).toBe("alert");
  });

  it("split where the name goes, reading the same", () => {
    const parts = sentenceParts("inbox.mention", { name: "Bob", conversation: "Design" }, zh);
    expect(parts).toEqual([{ text: "Bob", name: true }, { text: " 在 Design 中提到了你", name: false }]);
  });
});

describe("the administration's route", () => {
  it("has an announcements tab", () => {
    expect(parseRoute("/admin/announcements")).toEqual({ page: "admin", tab: "announcements" });
    expect(routePath({ page: "admin", tab: "announcements" })).toBe("/admin/announcements");
  });
});
