// Search's pure parts (issue 16, protocol §7.14): a snippet cut into marked and plain runs, the
// filters a search view holds and the query they make, date ranges, and what a failed search
// tells the user.

import type { FileType, SearchFilesQuery, SearchMessagesQuery, Snippet } from "@magpie/sdk";

/** A run of a snippet's text: `mark` where the query matched. */
export interface SnippetPart { text: string; mark: boolean }

/** The snippet's text cut at its highlights. The offsets count Unicode scalar values (as
 * `Array.from` does), not UTF-16 units: `"😀进度"` has its `进` at 1, not 2. Out-of-range,
 * empty, overlapping or unsorted ranges are clamped and merged, so that a server's mistake
 * never loses text. An ellipsis stands where the text was cut. */
export function snippetParts(snippet: Pick<Snippet, "text" | "highlights" | "cut_start" | "cut_end">): SnippetPart[] {
  const chars = Array.from(snippet.text);
  const ranges = snippet.highlights
    .map(([start = 0, end = 0]) => [Math.max(0, Math.min(start, chars.length)), Math.max(0, Math.min(end, chars.length))] as const)
    .filter(([start, end]) => end > start)
    .sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const [start, end] of ranges) {
    const last = merged[merged.length - 1];
    if (last && start <= last[1]) last[1] = Math.max(last[1], end);
    else merged.push([start, end]);
  }
  const parts: SnippetPart[] = [];
  const push = (text: string, mark: boolean) => { if (text) parts.push({ text, mark }); };
  let at = 0;
  for (const [start, end] of merged) {
    push(chars.slice(at, start).join(""), false);
    push(chars.slice(start, end).join(""), true);
    at = end;
  }
  push(chars.slice(at).join(""), false);
  if (snippet.cut_start) parts.unshift({ text: "…", mark: false });
  if (snippet.cut_end) parts.push({ text: "…", mark: false });
  return parts;
}

export type DateRange = "any" | "day" | "week" | "month" | "year" | "custom";
export type Has = "file" | "image" | "link";
export type Order = "relevance" | "newest";

/** What a search view's chips hold. `from`/`to` are the custom range's days (`yyyy-mm-dd`,
 * local time, both included). */
export interface SearchFilters {
  conversation?: number | undefined;
  sender?: string | undefined;
  range: DateRange;
  from?: string | undefined;
  to?: string | undefined;
  has?: Has | undefined;
  mentionsMe: boolean;
  fileType?: FileType | undefined;
  order: Order;
}

export const NO_FILTERS: SearchFilters = { range: "any", mentionsMe: false, order: "relevance" };

/** Whether a filter other than the order narrows the search. */
export function narrowed(f: SearchFilters, tab: "messages" | "files"): boolean {
  return f.conversation !== undefined || f.sender !== undefined || f.range !== "any"
    || (tab === "messages" ? f.has !== undefined || f.mentionsMe : f.fileType !== undefined);
}

const DAY_MS = 86_400_000;

/** Local midnight of a `yyyy-mm-dd` day, or undefined when it is not one. */
function dayStart(day: string | undefined): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day ?? "");
  if (!m) return undefined;
  return new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3])).getTime();
}

/** The `after_ms`/`before_ms` of a date range as of `now`. */
export function rangeBounds(f: Pick<SearchFilters, "range" | "from" | "to">, now: number): { after_ms?: number; before_ms?: number } {
  switch (f.range) {
    case "any": return {};
    case "day": return { after_ms: now - DAY_MS };
    case "week": return { after_ms: now - 7 * DAY_MS };
    case "month": return { after_ms: now - 30 * DAY_MS };
    case "year": return { after_ms: now - 365 * DAY_MS };
    case "custom": {
      const after = dayStart(f.from);
      const to = dayStart(f.to);
      // The end day is included: up to the next midnight (a day of 23 or 25 hours too).
      const before = to === undefined ? undefined : new Date(new Date(to).setDate(new Date(to).getDate() + 1)).getTime();
      return { ...(after === undefined ? {} : { after_ms: after }), ...(before === undefined ? {} : { before_ms: before }) };
    }
  }
}

/** The search_messages query of a search box's text and its chips. */
export function messagesQuery(q: string, f: SearchFilters, now: number, cursor?: string, limit?: number): SearchMessagesQuery {
  return {
    q: q.trim(),
    ...(f.conversation === undefined ? {} : { conversation: f.conversation }),
    ...(f.sender === undefined ? {} : { sender: f.sender }),
    ...rangeBounds(f, now),
    ...(f.has === undefined ? {} : { has: f.has }),
    ...(f.mentionsMe ? { mentions_me: true } : {}),
    ...(f.order === "relevance" ? {} : { order: f.order }),
    ...(limit === undefined ? {} : { limit }),
    ...(cursor === undefined ? {} : { cursor }),
  };
}

/** The search_files query of a search box's text and its chips; with no text, the newest first. */
export function filesQuery(q: string, f: SearchFilters, now: number, cursor?: string, limit?: number): SearchFilesQuery {
  const text = q.trim();
  return {
    ...(text ? { q: text } : {}),
    ...(f.fileType === undefined ? {} : { type: f.fileType }),
    ...(f.conversation === undefined ? {} : { conversation: f.conversation }),
    ...(f.sender === undefined ? {} : { sender: f.sender }),
    ...rangeBounds(f, now),
    ...(f.order === "relevance" && text ? {} : { order: "newest" as const }),
    ...(limit === undefined ? {} : { limit }),
    ...(cursor === undefined ? {} : { cursor }),
  };
}

/** Whether a search with this text (and filters) can be asked at all: search_messages needs a
 * word, search_files a word or a filter. */
export function searchable(tab: "messages" | "people" | "groups" | "files", q: string, f: SearchFilters): boolean {
  if (tab === "files") return q.trim() !== "" || narrowed(f, "files");
  return q.trim() !== "";
}

/** Moves a roving focus among `count` items by a key: the new index, or undefined for a key
 * that is not a move. */
export function moveIndex(key: string, index: number, count: number): number | undefined {
  if (count === 0) return undefined;
  switch (key) {
    case "ArrowDown": return Math.min(index + 1, count - 1);
    case "ArrowUp": return Math.max(index - 1, 0);
    case "Home": return 0;
    case "End": return count - 1;
    default: return undefined;
  }
}
