// The console's screens (Administration → Dashboard, Connections, Backups, Moderation), their
// pure parts: how the dashboard writes its numbers, the charts' data from the server's samples,
// and a domain's forbidden words as the form holds them and as the server will keep them.

import type { DashboardSample } from "@magpie/sdk";
import type { Locale } from "../i18n/index.ts";
import { formatClock } from "./format.ts";

const bcp47 = (locale: Locale) => (locale === "zh" ? "zh-CN" : "en-US");

/** Number formats are costly to make and the dashboard writes dozens of numbers every 10 s. */
const numberFormats = new Map<string, Intl.NumberFormat>();
function numberFormat(locale: Locale, fractionDigits: number): Intl.NumberFormat {
  const key = `${locale}:${fractionDigits}`;
  let f = numberFormats.get(key);
  if (!f) {
    f = new Intl.NumberFormat(bcp47(locale), { maximumFractionDigits: fractionDigits, minimumFractionDigits: 0 });
    numberFormats.set(key, f);
  }
  return f;
}

/** Digits after the point a measure shows: one for small values, where it says something
 * ("0.5 a minute"), none from 100 on, where it would only flicker. */
function fractionDigitsFor(value: number): number {
  return Math.abs(value) < 100 ? 1 : 0;
}

/** "1,234": a count (connections, accounts, commits). */
export function formatCount(value: number, locale: Locale): string {
  return numberFormat(locale, 0).format(value);
}

/** "12.5", "1,204": a rate or a measure, with a point only while it is small. */
export function formatMeasure(value: number, locale: Locale): string {
  if (!Number.isFinite(value)) return "—";
  return numberFormat(locale, fractionDigitsFor(value)).format(value);
}

/** "12.5%": of one core, so past 100% on a busy machine with many cores. */
export function formatPercent(value: number, locale: Locale): string {
  return `${formatMeasure(value, locale)}%`;
}

/** "0.8 ms", "35 ms", "1.2 s". */
export function formatLatency(ms: number, locale: Locale): string {
  if (!Number.isFinite(ms)) return "—";
  if (ms >= 1000) return `${numberFormat(locale, 1).format(ms / 1000)} s`;
  return `${formatMeasure(ms, locale)} ms`;
}

/** The figures of a sample the charts draw. */
export type ChartMetric = Exclude<{ [K in keyof DashboardSample]-?: DashboardSample[K] extends number | undefined ? K : never }[keyof DashboardSample], "at_ms">;

/** The range the charts show: the hour's samples (every `sample_secs`) or the day's (a minute apart). */
export type ChartRange = "hour" | "day";

/** Milliseconds between two samples of a range, as the server takes them. */
export function rangeStepMs(range: ChartRange, sampleSecs: number): number {
  return range === "hour" ? Math.max(1, sampleSecs) * 1000 : 60_000;
}

/** The labels of a time axis's ticks (seconds since the epoch): the clock, with seconds where
 * the ticks are less than a minute apart (a chart of a server that started moments ago), so that
 * no two ticks read the same. */
export function timeTicks(splitsSecs: readonly number[], locale: Locale): string[] {
  const step = splitsSecs.length > 1 ? Math.abs(splitsSecs[1]! - splitsSecs[0]!) : Infinity;
  return splitsSecs.map((s) => formatClock(s * 1000, locale, step < 60));
}

/** A chart's data as uPlot takes it: the times in seconds, then one column per metric. A value
 * the server left out (sizes it cannot measure) is null, a gap in the line. */
export interface ChartData { xs: number[]; columns: (number | null)[][] }

/** The columns of `metrics` over `samples` (oldest first). Where two samples are further apart
 * than two steps (the server was stopped meanwhile), a point of nulls goes between them, so that
 * the line breaks there rather than joining across the time nothing was measured. */
export function chartData(samples: readonly DashboardSample[], metrics: readonly ChartMetric[], stepMs: number): ChartData {
  const xs: number[] = [];
  const columns: (number | null)[][] = metrics.map(() => []);
  let previous: number | undefined;
  for (const sample of samples) {
    if (previous !== undefined && sample.at_ms - previous > 2 * stepMs) {
      xs.push((previous + stepMs) / 1000);
      for (const column of columns) column.push(null);
    }
    xs.push(sample.at_ms / 1000);
    metrics.forEach((metric, i) => {
      const value = sample[metric];
      columns[i]!.push(typeof value === "number" && Number.isFinite(value) ? value : null);
    });
    previous = sample.at_ms;
  }
  return { xs, columns };
}

/** A column's last, lowest and highest values, for the words that stand for a chart; null when
 * it has none. */
export function columnSummary(column: readonly (number | null)[]): { last: number; min: number; max: number } | null {
  let last: number | undefined;
  let min = Infinity;
  let max = -Infinity;
  for (const value of column) {
    if (value === null) continue;
    last = value;
    if (value < min) min = value;
    if (value > max) max = value;
  }
  return last === undefined ? null : { last, min, max };
}

// ---- Forbidden words -----------------------------------------------------------------------

/** Words one domain may list, and characters of one word (the server's bounds). */
export const MODERATION_WORDS_MAX = 2_000;
export const MODERATION_WORD_CHARS_MAX = 32;

/** Characters as the server counts them: Unicode scalar values. */
export function charCount(word: string): number {
  return Array.from(word).length;
}

/** Lower-cases ASCII letters only, as the server compares words. */
function asciiLower(word: string): string {
  return word.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/** The words of the textarea, one a line: trimmed, blank lines dropped. What is sent; the server
 * drops the repeats itself, and answers what it kept. */
export function linesOf(text: string): string[] {
  return text.split(/\r?\n/).map((line) => line.trim()).filter(Boolean);
}

/** The words the server will keep of these: each once, the first of those that differ only in
 * the case of ASCII letters, as the server compares them. */
export function distinctWords(words: readonly string[]): string[] {
  const seen = new Set<string>();
  return words.filter((word) => {
    const key = asciiLower(word);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** What the server would refuse in a list of words, checked before it is sent: the first word
 * that is too long, else more distinct words than a domain may list. */
export type WordsProblem = { kind: "too_long"; word: string; max: number } | { kind: "too_many"; count: number; max: number };

export function wordsProblem(words: readonly string[]): WordsProblem | null {
  const long = words.find((w) => charCount(w) > MODERATION_WORD_CHARS_MAX);
  if (long !== undefined) return { kind: "too_long", word: long, max: MODERATION_WORD_CHARS_MAX };
  const count = distinctWords(words).length;
  if (count > MODERATION_WORDS_MAX) return { kind: "too_many", count, max: MODERATION_WORDS_MAX };
  return null;
}
