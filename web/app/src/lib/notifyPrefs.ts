// The notification preferences form (Settings → Notifications): the account's preferences as
// the server keeps them (docs/protocol.md §5 `GET`/`PUT /v1/me/notifications`), turned into what
// the form edits (times as HH:MM, quiet hours on or off) and back into the whole object a PUT sets.

import type { NotificationPrefs, NotifyLevel } from "@magpie/sdk";

/** The server's limits on keywords. */
export const KEYWORDS_MAX = 20;
export const KEYWORD_LEN_MAX = 32;
/** What the "after" select offers for the email digest, in minutes (15 min to 1 day). */
export const DIGEST_CHOICES = [15, 30, 60, 120, 240, 1440] as const;
export const LEVELS: readonly NotifyLevel[] = ["all", "mentions", "nothing"];

/** The server's defaults (a PUT's left-out fields take them). */
export const DEFAULT_PREFS: NotificationPrefs = {
  level: "all", time_zone: "UTC", keywords: [], preview: true, email_digest: false, digest_after_mins: 60, language: "",
};

export interface NotifyForm {
  level: NotifyLevel;
  quietOn: boolean;
  /** "HH:MM", as an `<input type="time">` gives it. */
  quietFrom: string;
  quietTo: string;
  timeZone: string;
  keywords: string[];
  preview: boolean;
  emailDigest: boolean;
  digestAfterMins: number;
}

/** Minutes after midnight (0–1439) as "HH:MM". */
export function minutesToTime(minutes: number): string {
  const m = ((Math.floor(minutes) % 1440) + 1440) % 1440;
  return `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
}

/** "HH:MM" (or "HH:MM:SS", seconds dropped) as minutes after midnight; null for anything else. */
export function timeToMinutes(time: string): number | null {
  const match = /^(\d{1,2}):(\d{2})(?::\d{2}(?:\.\d+)?)?$/.exec(time.trim());
  if (!match) return null;
  const hours = Number(match[1]);
  const minutes = Number(match[2]);
  if (hours > 23 || minutes > 59) return null;
  return hours * 60 + minutes;
}

/** The browser's time zone, or UTC when it does not say. */
export function browserTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

/** The time zones the select offers: the browser's list where it has one, always with UTC and
 * the zones given (the kept one, the browser's), sorted. */
export function timeZoneChoices(...include: string[]): string[] {
  const intl = Intl as { supportedValuesOf?: (key: "timeZone") => string[] };
  let zones: string[] = [];
  try {
    zones = intl.supportedValuesOf?.("timeZone") ?? [];
  } catch {
    zones = [];
  }
  return [...new Set([...zones, "UTC", ...include.filter(Boolean)])].sort();
}

export type KeywordProblem = "long" | "many";

/** Adds what was typed (one keyword, or several split by commas) to the list: trimmed, empty
 * ones and duplicates (ignoring case, as the server does) dropped. A keyword over the length
 * limit, or one past the count limit, is not added and named as the problem. */
export function addKeywords(list: readonly string[], typed: string): { keywords: string[]; problem: KeywordProblem | null } {
  const keywords = [...list];
  let problem: KeywordProblem | null = null;
  for (const raw of typed.split(/[,，、\n]/)) {
    const word = raw.trim();
    if (!word) continue;
    if (keywords.some((k) => k.toLowerCase() === word.toLowerCase())) continue;
    if ([...word].length > KEYWORD_LEN_MAX) { problem = "long"; continue; }
    if (keywords.length >= KEYWORDS_MAX) { problem = "many"; continue; }
    keywords.push(word);
  }
  return { keywords, problem };
}

/** Whether the preferences are still the server's defaults (never set, most likely). */
export function isDefault(prefs: NotificationPrefs): boolean {
  return prefs.level === DEFAULT_PREFS.level && prefs.quiet === undefined && prefs.time_zone === DEFAULT_PREFS.time_zone &&
    prefs.keywords.length === 0 && prefs.preview === DEFAULT_PREFS.preview && prefs.email_digest === DEFAULT_PREFS.email_digest &&
    prefs.digest_after_mins === DEFAULT_PREFS.digest_after_mins;
}

/** The form for the kept preferences. Preferences that were never set start in the browser's
 * time zone rather than UTC; quiet hours that are off start at 22:00–08:00 for when they are
 * turned on. */
export function formFromPrefs(prefs: NotificationPrefs, localZone: string = browserTimeZone()): NotifyForm {
  return {
    level: prefs.level,
    quietOn: prefs.quiet !== undefined,
    quietFrom: minutesToTime(prefs.quiet?.from_min ?? 22 * 60),
    quietTo: minutesToTime(prefs.quiet?.to_min ?? 8 * 60),
    timeZone: isDefault(prefs) ? localZone : prefs.time_zone,
    keywords: [...prefs.keywords],
    preview: prefs.preview,
    emailDigest: prefs.email_digest,
    digestAfterMins: prefs.digest_after_mins,
  };
}

/** The whole object a PUT sets; `quiet` is left out when the quiet hours are off. A time that
 * is not HH:MM is sent as -1, which the server refuses naming `quiet`. */
export function prefsFromForm(form: NotifyForm, language: string): NotificationPrefs {
  const prefs: NotificationPrefs = {
    level: form.level,
    time_zone: form.timeZone,
    keywords: [...form.keywords],
    preview: form.preview,
    email_digest: form.emailDigest,
    digest_after_mins: form.digestAfterMins,
    // Mail to the account (the email digest) is written in the language it reads the app in.
    language,
  };
  if (form.quietOn) prefs.quiet = { from_min: timeToMinutes(form.quietFrom) ?? -1, to_min: timeToMinutes(form.quietTo) ?? -1 };
  return prefs;
}

/** Whether the quiet hours, when on, are two different HH:MM times (the server's rule). */
export function quietHoursValid(form: NotifyForm): boolean {
  if (!form.quietOn) return true;
  const from = timeToMinutes(form.quietFrom);
  const to = timeToMinutes(form.quietTo);
  return from !== null && to !== null && from !== to;
}

/** The form field that a refusal's `field` names (`quiet.from_min` → `quiet`). */
export function refusedField(field: string | undefined): keyof NotificationPrefs | null {
  const head = field?.split(/[.[]/)[0];
  const known: (keyof NotificationPrefs)[] = ["level", "quiet", "time_zone", "keywords", "preview", "email_digest", "digest_after_mins"];
  return known.find((k) => k === head) ?? null;
}
