// Message retention: the administration's screen (Administration → Retention), its pure parts
// (a days field read, a purge's time read, a run put in the list, whether a policy deletes more
// than the one before), and what the chat's panels keep of a conversation that retention pruned.

import type { RetentionRun } from "@magpie/sdk";

/** The most days a policy keeps messages (the server's bound: a hundred years). */
export const RETENTION_DAYS_MAX = 36_500;
/** How long one ask for a running run's progress waits at the server (at most 25). */
export const RUN_WAIT_SECS = 20;

/** What a policy's form holds: keep for ever, or for the days typed. */
export interface DaysForm { forever: boolean; days: string }

/** What is wrong with the days typed: nothing typed, not a whole number, or out of 1 … 36,500. */
export type DaysProblem = "required" | "not_number" | "range";

/** The days a form means (`null`: for ever), or what is wrong with it. */
export function daysOf(form: DaysForm): { days: number | null } | { problem: DaysProblem } {
  if (form.forever) return { days: null };
  const text = form.days.trim();
  if (!text) return { problem: "required" };
  if (!/^\d+$/.test(text)) return { problem: "not_number" };
  const days = Number(text);
  return days >= 1 && days <= RETENTION_DAYS_MAX ? { days } : { problem: "range" };
}

/** The form that shows a policy (`undefined` or 0: for ever); for ever keeps the days typed. */
export function daysForm(days: number | undefined, typed = ""): DaysForm {
  return days === undefined || days === 0 ? { forever: true, days: typed } : { forever: false, days: String(days) };
}

/** Whether going from one policy to another deletes messages the first kept (`undefined` or
 * `null`: for ever): then the change is confirmed first. */
export function deletesMore(before: number | null | undefined, after: number | null): boolean {
  if (after === null) return false;
  return before === undefined || before === null || after < before;
}

/** The time a `<input type="datetime-local">` value names (`YYYY-MM-DDTHH:MM`, seconds optional,
 * in the viewer's time zone), in ms; undefined for anything else (an empty field). */
export function localTimeMs(value: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value);
  if (!m) return undefined;
  const at = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0));
  return Number.isNaN(at.getTime()) ? undefined : at.getTime();
}

/** A time as a `<input type="datetime-local">` value, to the minute, in the viewer's time zone. */
export function localTimeValue(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}T${two(d.getHours())}:${two(d.getMinutes())}`;
}

/** A run put into a list newest first: in place of the same run, else at the top. */
export function withRun(runs: readonly RetentionRun[], run: RetentionRun): RetentionRun[] {
  return runs.some((r) => r.id === run.id) ? runs.map((r) => (r.id === run.id ? run : r)) : [run, ...runs];
}

/** The newest run still running, whose progress the list follows. */
export function runningRun(runs: readonly RetentionRun[]): RetentionRun | undefined {
  return runs.find((r) => r.state === "running");
}

/** What a panel holds of conversations' messages (shared items, search results) less those
 * retention deleted since it was read: up to each conversation's `pruned_through`, as
 * `prunedThrough` gives it. The same array when none was. */
export function notPruned<T extends { conversation: number; seq: number }>(items: T[], prunedThrough: (conversation: number) => number | undefined): T[] {
  const gone = (item: T) => item.seq <= (prunedThrough(item.conversation) ?? 0);
  return items.some(gone) ? items.filter((item) => !gone(item)) : items;
}
