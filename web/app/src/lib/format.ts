// Locale-aware formatting of times, sizes, durations and money. Pure functions of their
// arguments (the clock is passed in), so that tests pin them down.

import type { Locale } from "../i18n/index.ts";

const bcp47 = (locale: Locale) => (locale === "zh" ? "zh-CN" : "en-US");

/** Formatters are costly to make (a message row formats two times): one per locale and kind. */
const formatters = new Map<string, Intl.DateTimeFormat>();
function dateFormat(locale: Locale, kind: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale}:${kind}`;
  let f = formatters.get(key);
  if (!f) { f = new Intl.DateTimeFormat(bcp47(locale), options); formatters.set(key, f); }
  return f;
}

/** The calendar day of a timestamp in local time, as "YYYY-MM-DD" (sortable, a stable key). */
export function dayKey(ms: number): string {
  const d = new Date(ms);
  const m = String(d.getMonth() + 1).padStart(2, "0");
  const day = String(d.getDate()).padStart(2, "0");
  return `${d.getFullYear()}-${m}-${day}`;
}

/** Whole local days between two timestamps: 0 for the same day, 1 for yesterday. */
export function daysBetween(earlier: number, later: number): number {
  const a = new Date(earlier);
  const b = new Date(later);
  const da = Date.UTC(a.getFullYear(), a.getMonth(), a.getDate());
  const db = Date.UTC(b.getFullYear(), b.getMonth(), b.getDate());
  return Math.round((db - da) / 86_400_000);
}

/** "14:05": the time of day, 24-hour in both languages; with `seconds`, "14:05:30". */
export function formatClock(ms: number, locale: Locale, seconds = false): string {
  return seconds
    ? dateFormat(locale, "clockSeconds", { hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" }).format(ms)
    : dateFormat(locale, "clock", { hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(ms);
}

/** Full date and time, for tooltips: the time on the 24-hour clock, as everywhere else. */
export function formatFull(ms: number, locale: Locale): string {
  return dateFormat(locale, "full", { dateStyle: "medium", timeStyle: "short", hourCycle: "h23" }).format(ms);
}

/** A date without its time ("Jan 2, 2026", "2026年1月2日"): when an account was made. */
export function formatDate(ms: number, locale: Locale): string {
  return dateFormat(locale, "dateMedium", { dateStyle: "medium" }).format(ms);
}

/** When something ends ("muted until …"): the clock today, else the full date and time. */
export function formatUntil(ms: number, now: number, locale: Locale): string {
  return daysBetween(now, ms) === 0 ? formatClock(ms, locale) : formatFull(ms, locale);
}

/** The time shown in the conversation list: the clock today, "Yesterday", the weekday within a
 * week, else the date. `yesterday` is the translated word. */
export function formatListTime(ms: number, now: number, locale: Locale, yesterday: string): string {
  const days = daysBetween(ms, now);
  if (days <= 0) return formatClock(ms, locale);
  if (days === 1) return yesterday;
  if (days < 7) return dateFormat(locale, "weekday", { weekday: "short" }).format(ms);
  const sameYear = new Date(ms).getFullYear() === new Date(now).getFullYear();
  return sameYear
    ? dateFormat(locale, "monthDay", { month: "numeric", day: "numeric" }).format(ms)
    : dateFormat(locale, "date", { year: "numeric", month: "numeric", day: "numeric" }).format(ms);
}

/** The label of a day separator: "Today", "Yesterday", or a long date. */
export function formatDay(ms: number, now: number, locale: Locale, today: string, yesterday: string): string {
  const days = daysBetween(ms, now);
  if (days === 0) return today;
  if (days === 1) return yesterday;
  const sameYear = new Date(ms).getFullYear() === new Date(now).getFullYear();
  return sameYear
    ? dateFormat(locale, "dayLong", { weekday: "long", month: "long", day: "numeric" }).format(ms)
    : dateFormat(locale, "dateLong", { year: "numeric", month: "long", day: "numeric" }).format(ms);
}

/** "1.5 MB": sizes in binary units with at most one decimal. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return "";
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let v = bytes / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${v >= 10 ? Math.round(v) : Math.round(v * 10) / 10} ${units[i]}`;
}

/** "1:05" or "1:02:03" from milliseconds. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

/** "¥25.00" from an amount in cents and an ISO 4217 currency. */
export function formatMoney(cents: number, currency: string, locale: Locale): string {
  try {
    return new Intl.NumberFormat(bcp47(locale), { style: "currency", currency }).format(cents / 100);
  } catch {
    return `${(cents / 100).toFixed(2)} ${currency}`;
  }
}
