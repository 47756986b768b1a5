// Times for scheduled messages (protocol §7.12): the quick choices, and the value of an
// <input type="datetime-local">, which is local time without a zone. Pure functions of their
// arguments (the clock is passed in), so that tests pin them down.

/** How far ahead a message may be scheduled: the server's default (`scheduled.ahead_secs_max`). */
export const SCHEDULE_AHEAD_MS_MAX = 366 * 24 * 3600 * 1000;
/** The hour of "tomorrow morning". */
export const MORNING_HOUR = 9;

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** "2026-12-05T14:30" in local time, with ":SS" when the seconds are not zero. */
export function toLocalInput(ms: number): string {
  const d = new Date(ms);
  const base = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return d.getSeconds() === 0 ? base : `${base}:${pad(d.getSeconds())}`;
}

/** The moment a datetime-local value names, in local time; null when it names none. */
export function fromLocalInput(value: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$/.exec(value.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s] = m;
  const date = new Date(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? 0));
  // 2026-02-30 rolls over to March: a value the calendar does not have names nothing.
  if (date.getMonth() !== Number(mo) - 1 || date.getDate() !== Number(d)) return null;
  return date.getTime();
}

/** An hour from now, to the next whole minute. */
export function inOneHour(now: number): number {
  const at = new Date(now + 3600_000);
  if (at.getSeconds() !== 0 || at.getMilliseconds() !== 0) at.setMinutes(at.getMinutes() + 1, 0, 0);
  return at.getTime();
}

/** Tomorrow at `hour`:00, local time. */
export function tomorrowAt(now: number, hour = MORNING_HOUR): number {
  const d = new Date(now);
  return new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1, hour, 0, 0, 0).getTime();
}

/** What is wrong with a time to send at, if anything: it has passed, or it lies too far ahead. */
export function timeProblem(ms: number, now: number): "past" | "far" | null {
  if (ms <= now) return "past";
  if (ms > now + SCHEDULE_AHEAD_MS_MAX) return "far";
  return null;
}
