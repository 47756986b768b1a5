import { describe, expect, it } from "vitest";
import type { Entry } from "@magpie/sdk";
import { translator } from "../src/i18n/index.ts";
import { previewText, oneLine, stripMarkdown } from "../src/lib/preview.ts";

const names: Record<string, string> = { "alice@x": "Alice", "bob@x": "Bob", "carol@x": "Carol" };
const nameOf = (a: string) => names[a] ?? a;
const en = { t: translator("en"), locale: "en" as const, nameOf };
const zh = { t: translator("zh"), locale: "zh" as const, nameOf };
const e = (kind: string, body: Record<string, unknown> | null, extra: Partial<Entry> = {}) => ({ kind, body, ...extra });

describe("previewText", () => {
  it("shows text and Markdown as one plain line", () => {
    expect(previewText(e("text", { text: "Hello\n\n  world" }), en)).toBe("Hello world");
    expect(previewText(e("markdown", { text: "# Title\n- **bold** item\n[link](https://x.y)" }), en)).toBe("Title bold item link");
    expect(previewText(e("markdown", { text: "| a | b |\n|---|---|\n| 1 | 2 |" }), en)).toBe("a b 1 2");
  });

  it("names the kind of media messages", () => {
    expect(previewText(e("image", { file: "f1" }), en)).toBe("[Image]");
    expect(previewText(e("image", { file: "f1" }), zh)).toBe("[图片]");
    expect(previewText(e("file", { file: "f1", name: "report.pdf" }), en)).toBe("[File] report.pdf");
    expect(previewText(e("voice", { file: "f1", duration_ms: 65_000 }), en)).toBe("[Voice] 1:05");
    expect(previewText(e("video", { file: "f1", duration_ms: 1 }), en)).toBe("[Video]");
    expect(previewText(e("sticker", { pack: "p1", sticker: "s" }), zh)).toBe("[表情]");
    expect(previewText(e("location", { latitude: 1, longitude: 2, name: "天安门" }), en)).toBe("[Location] 天安门");
  });

  it("describes cards, money and calls", () => {
    expect(previewText(e("card", { card: "link", url: "https://x.y", title: "Menu" }), en)).toBe("[Link] Menu");
    expect(previewText(e("card", { card: "contact", account: "bob@x" }), en)).toBe("[Contact] Bob");
    expect(previewText(e("red_packet", { total_cents: 100, count: 1, split: "equal", greeting: "恭喜发财" }), zh)).toBe("[红包] 恭喜发财");
    expect(previewText(e("payment_request", { amount_cents: 2500, currency: "CNY" }), zh)).toBe("[收款] ¥25.00");
    expect(previewText(e("call", { call: "c", media: "video", outcome: "missed" }), en)).toBe("[Video call]");
    expect(previewText(e("encrypted", { algorithm: "x", ciphertext: "y" }), en)).toBe("[Encrypted message]");
    expect(previewText(e("code", { code: "\n  fn main() {}\n}" }), en)).toBe("[Code] fn main() {}");
    expect(previewText(e("forward", { conversation: 1, messages: [{}, {}] }), en)).toBe("[Chat history] 2 messages");
  });

  it("says when a message was recalled or deleted", () => {
    expect(previewText(e("text", null, { recalled_at_ms: 5 }), en)).toBe("Message recalled");
    expect(previewText(e("text", null, { recalled_at_ms: 5 }), zh)).toBe("消息已撤回");
    expect(previewText(e("text", null, { hidden: true }), en)).toBe("Message deleted");
  });

  it("flags kinds it does not know", () => {
    expect(previewText(e("x.poll", { question: "Lunch?" }), en)).toBe("[Unsupported message]");
  });

  it("turns system entries into sentences", () => {
    expect(previewText(e("system", { event: "members_added", by: "alice@x", members: ["bob@x", "carol@x"] }), en)).toBe("Alice added Bob and Carol");
    expect(previewText(e("system", { event: "member_left", member: "bob@x" }), zh)).toBe("Bob 退出了群聊");
    expect(previewText(e("system", { event: "info_changed", by: "alice@x", name: "Lunch" }), en)).toBe("Alice renamed the group to “Lunch”");
    expect(previewText(e("system", { event: "role_changed", by: "alice@x", member: "bob@x", role: "admin" }), en)).toBe("Alice made Bob an admin");
    expect(previewText(e("system", { event: "owner_changed", from: "alice@x", to: "bob@x" }), en)).toBe("Alice made Bob the owner");
    expect(previewText(e("system", { event: "mute_all", by: "alice@x", on: true }), en)).toBe("Alice turned on mute-all");
    expect(previewText(e("system", { event: "created", by: "alice@x", kind: "group", name: "Lunch", members: [] }), en)).toBe("Alice created the group “Lunch”");
    expect(previewText(e("system", { event: "something_new", by: "alice@x" }), en)).toBe("The group was updated");
  });

  it("shortens long lines with an ellipsis, by characters", () => {
    expect(oneLine("a".repeat(200), 10)).toBe("aaaaaaaaa…");
    expect(Array.from(oneLine("😀".repeat(20), 5))).toHaveLength(5);
    expect(stripMarkdown("`code` and ~~gone~~")).toBe("code and gone");
  });
});
