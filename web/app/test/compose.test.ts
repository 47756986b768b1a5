import { describe, expect, it } from "vitest";
import { editBody, editableText, findMentions, hasMarkdownSyntax, mentionQueryAt, parseCodeFence, parseComposer, rankCandidates } from "../src/lib/compose.ts";

const people = [
  { account: "bob@acme.example", name: "Bob" },
  { account: "bobby@acme.example", name: "Bobby Tables" },
  { account: "zs@acme.example", name: "张三" },
  { account: "zsf@acme.example", name: "张三丰" },
  { account: "carol@acme.example", name: "Carol Chen" },
];

describe("parseComposer", () => {
  it("sends nothing for blank text", () => {
    expect(parseComposer("")).toBeNull();
    expect(parseComposer("  \n\t ")).toBeNull();
  });

  it("sends plain text as text, trimming trailing blank lines only", () => {
    expect(parseComposer("hello\n\n")).toEqual({ kind: "text", body: { text: "hello" }, mentions: [], mentionAll: false });
    expect(parseComposer("  indented")?.body).toEqual({ text: "  indented" });
  });

  it("does not mistake everyday text for Markdown", () => {
    for (const text of ["2*3*4 = 24", "rename snake_case_name please", "a - b", "price: $5 * 2", "see you at 3pm :)", "C# and F#", "1.5 million", "#hashtag", "-1 is fine"]) {
      expect(parseComposer(text)?.kind, text).toBe("text");
    }
  });

  it("detects Markdown syntax", () => {
    for (const text of ["**bold** move", "# Title", "- one\n- two", "1. first\n2. second", "> quoted", "use `npm ci`", "[docs](https://example.com)", "~~old~~ new", "an *important* point", "| a | b |\n|---|---|\n| 1 | 2 |", "intro\n```\ncode\n```"]) {
      expect(parseComposer(text)?.kind, text).toBe("markdown");
    }
  });

  it("sends a single fenced block as a code message with its language", () => {
    expect(parseComposer("```rust\nfn main() {}\n```")).toEqual({ kind: "code", body: { code: "fn main() {}", language: "rust" }, mentions: [], mentionAll: false });
    expect(parseComposer("```\nplain\nlines\n```")?.body).toEqual({ code: "plain\nlines" });
    expect(parseComposer("```TypeScript\nlet x = 1\n```")?.body).toEqual({ code: "let x = 1", language: "typescript" });
  });

  it("treats several fenced blocks as Markdown, not one code message", () => {
    expect(parseComposer("```\na\n```\n```\nb\n```")?.kind).toBe("markdown");
    expect(parseCodeFence("```\n\n```")).toBeNull();
  });

  it("collects mentions of members, by display name or address", () => {
    const r = parseComposer("@Carol Chen and @bob please look", people);
    expect(r?.mentions).toEqual(["carol@acme.example", "bob@acme.example"]);
    expect(r?.kind).toBe("text");
  });
});

describe("findMentions", () => {
  it("prefers the longest name and respects ASCII word boundaries", () => {
    expect(findMentions("@Bobby Tables hi", people, false).mentions).toEqual(["bobby@acme.example"]);
    expect(findMentions("@bobby hi", people, false).mentions).toEqual(["bobby@acme.example"]);
    expect(findMentions("@bobcat", people, false).mentions).toEqual([]);
    expect(findMentions("@Bob, hi", people, false).mentions).toEqual(["bob@acme.example"]);
  });

  it("matches Chinese names without a following space, longest first", () => {
    expect(findMentions("@张三你好", people, false).mentions).toEqual(["zs@acme.example"]);
    expect(findMentions("@张三丰 在吗", people, false).mentions).toEqual(["zsf@acme.example"]);
  });

  it("ignores e-mail addresses and counts each member once", () => {
    expect(findMentions("mail bob@acme.example", people, false).mentions).toEqual([]);
    expect(findMentions("@bob @Bob @BOB", people, false).mentions).toEqual(["bob@acme.example"]);
  });

  it("mentions everyone only when allowed", () => {
    expect(findMentions("@all meeting now", people, true)).toEqual({ mentions: [], mentionAll: true });
    expect(findMentions("@所有人 开会", people, true).mentionAll).toBe(true);
    expect(findMentions("@all meeting now", people, false).mentionAll).toBe(false);
    expect(findMentions("@allison", people, true).mentionAll).toBe(false);
  });
});

describe("composer helpers", () => {
  it("finds the @query being typed at the caret", () => {
    expect(mentionQueryAt("hi @ca", 6)).toEqual({ start: 3, query: "ca" });
    expect(mentionQueryAt("@", 1)).toEqual({ start: 0, query: "" });
    expect(mentionQueryAt("mail a@b", 8)).toBeNull();
    expect(mentionQueryAt("hi @ca done", 11)).toBeNull();
    expect(mentionQueryAt("你好，@张", 5)).toEqual({ start: 3, query: "张" });
  });

  it("ranks prefix matches before substring matches", () => {
    expect(rankCandidates(people, "ch").map((p) => p.name)).toEqual(["Carol Chen"]);
    expect(rankCandidates(people, "b").map((p) => p.name)).toEqual(["Bob", "Bobby Tables"]);
    expect(rankCandidates(people, "").length).toBe(5);
    expect(rankCandidates(people, "zzz")).toEqual([]);
  });

  it("round-trips an edit without changing the kind", () => {
    const code = { code: "x = 1", language: "python" };
    expect(editBody("code", editableText("code", code))).toEqual(code);
    expect(editBody("code", "y = 2")).toEqual({ code: "y = 2" });
    expect(editBody("text", "**now bold**")).toEqual({ text: "**now bold**" });
    expect(editBody("markdown", "  ")).toBeNull();
    expect(editableText("text", { text: "hi" })).toBe("hi");
    expect(hasMarkdownSyntax("plain")).toBe(false);
  });
});
