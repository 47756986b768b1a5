// What the composer sends for the text the user typed.
//
// The rule (documented in web/app/README.md):
// - A message that is one fenced block, ```lang … ```, is sent as a `code` message with that
//   language (the fence's info string, lower-cased; none when empty).
// - Text with Markdown syntax (headings, lists, quotes, emphasis, inline code, links, tables,
//   fenced blocks among other text) is sent as `markdown`.
// - Anything else is plain `text`, so "2*3*4" or "snake_case_name" stay as typed.
// - Mentions: every `@Name` (a member's display name, or the part of its address before `@`)
//   becomes a mention of that member; `@all` / `@所有人` mentions everyone when allowed.

export type ComposedKind = "text" | "markdown" | "code";

export interface Composed {
  kind: ComposedKind;
  body: Record<string, unknown>;
  mentions: string[];
  mentionAll: boolean;
}

export interface MentionCandidate {
  account: string;
  name: string;
}

/** The words that mention everyone, in both languages. */
export const MENTION_ALL_WORDS = ["all", "所有人", "everyone"];

const FENCE = /^```[ \t]*([\w+#.-]*)[ \t]*\r?\n([\s\S]*?)\r?\n?```[ \t]*$/;

/** `{code, language}` when the whole text is a single fenced code block. */
export function parseCodeFence(text: string): { code: string; language?: string } | null {
  const m = FENCE.exec(text.trim());
  if (!m) return null;
  const code = m[2] ?? "";
  // A fence inside the block means there were several blocks: that is Markdown.
  if (code.includes("\n```")) return null;
  if (code.trim() === "") return null;
  const language = (m[1] ?? "").toLowerCase();
  return language ? { code, language } : { code };
}

const MARKDOWN_PATTERNS: RegExp[] = [
  /^\s{0,3}#{1,6}\s+\S/m, // heading
  /^\s{0,3}>\s?\S/m, // block quote
  /^\s{0,3}[-*+]\s+\S/m, // bullet list
  /^\s{0,3}\d+[.)]\s+\S/m, // numbered list
  /\*\*[^*\n]+\*\*/, // bold
  /__[^_\n]+__/, // bold
  /~~[^~\n]+~~/, // strikethrough
  /(^|[\s(])\*[^*\s][^*\n]*\*(?=$|[\s).,!?:;])/m, // *emphasis*
  /`[^`\n]+`/, // inline code
  /\[[^\]\n]+\]\((?:https?:\/\/|mailto:|\/)[^)\s]+\)/, // link
  /^```/m, // fenced block among other text
  /^\s*\|.+\|\s*$\n^\s*\|?\s*:?-{3,}/m, // table
];

export function hasMarkdownSyntax(text: string): boolean {
  return MARKDOWN_PATTERNS.some((re) => re.test(text));
}

const ASCII_WORD = /[A-Za-z0-9_.-]/;

/** Finds the mentions in `text`: at each `@`, the longest candidate name (or address local
 * part) that follows. An ASCII name must end at a word boundary, so `@bobby` is not `@bob`. */
export function findMentions(text: string, candidates: MentionCandidate[], allowAll: boolean): { mentions: string[]; mentionAll: boolean } {
  const keys: { key: string; account: string | null }[] = [];
  for (const c of candidates) {
    if (c.name) keys.push({ key: c.name.toLowerCase(), account: c.account });
    const local = c.account.split("@")[0];
    if (local) keys.push({ key: local.toLowerCase(), account: c.account });
  }
  if (allowAll) for (const w of MENTION_ALL_WORDS) keys.push({ key: w, account: null });
  keys.sort((a, b) => b.key.length - a.key.length);

  const lower = text.toLowerCase();
  const found: string[] = [];
  let mentionAll = false;
  for (let i = lower.indexOf("@"); i !== -1; i = lower.indexOf("@", i + 1)) {
    // An @ inside a word is an email address, not a mention.
    if (i > 0 && ASCII_WORD.test(lower[i - 1] ?? "")) continue;
    for (const { key, account } of keys) {
      if (!lower.startsWith(key, i + 1)) continue;
      const next = lower[i + 1 + key.length];
      const last = key[key.length - 1] ?? "";
      if (next !== undefined && ASCII_WORD.test(last) && ASCII_WORD.test(next)) continue;
      if (account === null) mentionAll = true;
      else if (!found.includes(account)) found.push(account);
      break;
    }
  }
  return { mentions: found, mentionAll };
}

/** What to send for the composer's text; null when there is nothing to send. */
export function parseComposer(text: string, candidates: MentionCandidate[] = [], options: { allowMentionAll?: boolean } = {}): Composed | null {
  if (text.trim() === "") return null;
  const fence = parseCodeFence(text);
  if (fence) return { kind: "code", body: { ...fence }, mentions: [], mentionAll: false };
  // Trailing blank lines never mean anything; leading spaces may (indented code), so keep them.
  const clean = text.replace(/\s+$/, "");
  const { mentions, mentionAll } = findMentions(clean, candidates, options.allowMentionAll ?? false);
  const kind: ComposedKind = hasMarkdownSyntax(clean) ? "markdown" : "text";
  return { kind, body: { text: clean }, mentions, mentionAll };
}

/** The text to prefill the composer with when editing a message of `kind`. */
export function editableText(kind: string, body: Record<string, unknown> | null): string {
  if (!body) return "";
  if (kind === "code") {
    const code = typeof body.code === "string" ? body.code : "";
    const lang = typeof body.language === "string" ? body.language : "";
    return "```" + lang + "\n" + code + "\n```";
  }
  return typeof body.text === "string" ? body.text : "";
}

/** The new body of an edit: an edit must keep the message's kind (protocol §7.5). */
export function editBody(kind: string, text: string): Record<string, unknown> | null {
  if (text.trim() === "") return null;
  if (kind === "code") {
    const fence = parseCodeFence(text);
    return fence ?? { code: text };
  }
  return { text: text.replace(/\s+$/, "") };
}

/** The `@query` being typed just before the caret, for autocomplete. */
export function mentionQueryAt(text: string, caret: number): { start: number; query: string } | null {
  const before = text.slice(0, caret);
  const m = /(^|[\s(（，,。])@([^\s@]{0,32})$/u.exec(before);
  if (!m) return null;
  const query = m[2] ?? "";
  return { start: caret - query.length - 1, query };
}

/** Candidates whose name or address starts with (then contains) the query. */
export function rankCandidates<T extends MentionCandidate>(candidates: T[], query: string, max = 8): T[] {
  const q = query.toLowerCase();
  const score = (c: T): number => {
    const name = c.name.toLowerCase();
    const local = c.account.toLowerCase();
    if (q === "") return 1;
    if (name.startsWith(q) || local.startsWith(q)) return 0;
    if (name.includes(q) || local.includes(q)) return 1;
    return -1;
  };
  return candidates
    .map((c) => ({ c, s: score(c) }))
    .filter((x) => x.s >= 0)
    .sort((a, b) => a.s - b.s || a.c.name.localeCompare(b.c.name))
    .slice(0, max)
    .map((x) => x.c);
}
