// Pinned and saved messages in the app's pure parts: the notices' sentences, and the routes of
// the Saved page and of a link to one message.
import { describe, expect, it } from "vitest";
import { translator } from "../src/i18n/index.ts";
import { systemText } from "../src/lib/system.ts";
import { parseRoute, routePath } from "../src/state/router.ts";

const nameOf = (a: string) => ({ "alice@x": "Alice", "bob@x": "李雷" })[a] ?? a;

describe("pin notices", () => {
  it("say who pinned or unpinned a message, in both languages", () => {
    expect(systemText({ event: "message_pinned", by: "alice@x", seq: 4 }, translator("en"), nameOf, "en")).toBe("Alice pinned a message");
    expect(systemText({ event: "message_unpinned", by: "bob@x", seq: 4 }, translator("en"), nameOf, "en")).toBe("李雷 unpinned a message");
    expect(systemText({ event: "message_pinned", by: "bob@x", seq: 4 }, translator("zh"), nameOf, "zh")).toBe("李雷 置顶了一条消息");
    expect(systemText({ event: "message_unpinned", by: "alice@x", seq: 4 }, translator("zh"), nameOf, "zh")).toBe("Alice 取消置顶了一条消息");
  });
});

describe("retention notices", () => {
  it("say up to when messages were deleted, in both languages", () => {
    const body = { event: "history_pruned", through_seq: 40, before_ms: Date.UTC(2026, 0, 2, 3, 4) };
    expect(systemText(body, translator("en"), nameOf, "en")).toMatch(/^Messages before .*2026.* were deleted by the retention policy$/);
    expect(systemText(body, translator("zh"), nameOf, "zh")).toMatch(/^.*2026.* 之前的消息已按保留策略删除$/);
    expect(systemText({ event: "history_pruned" }, translator("en"), nameOf, "en")).toBe(systemText({}, translator("en"), nameOf, "en"));
  });
});

describe("routes", () => {
  it("read and write the Saved page and a conversation at one of its messages", () => {
    expect(parseRoute("/saved")).toEqual({ page: "saved" });
    expect(routePath({ page: "saved" })).toBe("/saved");
    expect(parseRoute("/c/12/m/5")).toEqual({ page: "chats", conversation: 12, seq: 5 });
    expect(routePath({ page: "chats", conversation: 12, seq: 5 })).toBe("/c/12/m/5");
    expect(parseRoute("/c/12")).toEqual({ page: "chats", conversation: 12 });
    expect(routePath({ page: "chats", conversation: 12 })).toBe("/c/12");
    expect(parseRoute("/c/12/m/")).toEqual({ page: "chats" });
  });
});
