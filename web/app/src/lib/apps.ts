// The workbench's apps, their pure parts: the scopes an app may ask for and the words that say
// them, the administrators' form of an app (what is wrong with it before the server is asked,
// the request or the change it makes, what the server's refusal means), and an app moved in the
// domain's order.

import type { App, CreateAppRequest, UpdateAppRequest } from "@magpie/sdk";
import type { MessageKey } from "../i18n/index.ts";
import { charCount } from "./bots.ts";

/** The scopes an app may ask for, in the order they are shown. */
export const APP_SCOPES = ["profile", "contacts:read", "messages:read", "messages:write"] as const;
export type AppScope = (typeof APP_SCOPES)[number];

/** What each scope lets an app do, in plain words, and its short name. */
const SCOPE_WORDS: Record<AppScope, { text: MessageKey; name: MessageKey }> = {
  profile: { text: "apps.scopeProfile", name: "apps.scopeProfileName" },
  "contacts:read": { text: "apps.scopeContactsRead", name: "apps.scopeContactsReadName" },
  "messages:read": { text: "apps.scopeMessagesRead", name: "apps.scopeMessagesReadName" },
  "messages:write": { text: "apps.scopeMessagesWrite", name: "apps.scopeMessagesWriteName" },
};

export function isAppScope(scope: string): scope is AppScope {
  return (APP_SCOPES as readonly string[]).includes(scope);
}

/** The sentence that says what a scope lets an app do; null for one this client does not know. */
export function scopeText(scope: string): MessageKey | null {
  return isAppScope(scope) ? SCOPE_WORDS[scope].text : null;
}

/** The short name of a scope (for lists); null for one this client does not know. */
export function scopeName(scope: string): MessageKey | null {
  return isAppScope(scope) ? SCOPE_WORDS[scope].name : null;
}

/** Longest name of an app, and of its description, in characters. */
export const APP_NAME_CHARS_MAX = 64;
export const APP_DESCRIPTION_CHARS_MAX = 512;
/** Longest URL (the page, the icon, each redirect URI), in bytes. */
export const APP_URL_BYTES_MAX = 2048;
/** Most redirect URIs of one app. */
export const APP_REDIRECT_URIS_MAX = 10;

/** The administrators' form of an app. `redirects`: one URI a line. */
export interface AppForm {
  name: string; description: string; url: string; icon: string; redirects: string; scopes: AppScope[];
  everyone: boolean; departments: number[];
}

export const NEW_APP_FORM: AppForm = {
  name: "", description: "", url: "", icon: "", redirects: "", scopes: ["profile"], everyone: true, departments: [],
};

/** The form of an app that is kept. */
export function formOf(app: App): AppForm {
  return {
    name: app.name, description: app.description, url: app.url, icon: app.icon ?? "", redirects: app.redirect_uris.join("\n"),
    scopes: APP_SCOPES.filter((s) => app.scopes.includes(s)), everyone: app.departments === undefined, departments: app.departments ?? [],
  };
}

export type AppField = "name" | "description" | "url" | "icon" | "redirect_uris" | "scopes" | "departments";
/** A field of the form and what is wrong with it; `line` counts the redirect URIs from 1. */
export type AppProblem =
  | { field: "name"; kind: "required" }
  | { field: "name"; kind: "too_long"; max: number }
  | { field: "description"; kind: "too_long"; max: number }
  | { field: "url" | "icon"; kind: "required" | "bad" | "too_long" }
  | { field: "redirect_uris"; kind: "bad"; line: number }
  | { field: "redirect_uris"; kind: "too_many"; max: number }
  | { field: "departments"; kind: "none" }
  | { field: AppField; kind: "refused"; message: string };

/** The URIs of the redirect field: one a line, blank lines left out. */
export function parseRedirects(text: string): string[] {
  return text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
}

/** An absolute http(s) URL without credentials (the server says which it takes). */
function isWebUrl(text: string): boolean {
  try {
    const u = new URL(text);
    return (u.protocol === "https:" || u.protocol === "http:") && u.host !== "" && u.username === "" && u.password === "";
  } catch {
    return false;
  }
}

const tooLong = (text: string) => new TextEncoder().encode(text).length > APP_URL_BYTES_MAX;

/** What is wrong with the form, before the server is asked; none: `null`. */
export function appProblem(form: AppForm): AppProblem | null {
  const name = form.name.trim();
  if (!name) return { field: "name", kind: "required" };
  if (charCount(name) > APP_NAME_CHARS_MAX) return { field: "name", kind: "too_long", max: APP_NAME_CHARS_MAX };
  const url = form.url.trim();
  if (!url) return { field: "url", kind: "required" };
  if (tooLong(url)) return { field: "url", kind: "too_long" };
  if (!isWebUrl(url)) return { field: "url", kind: "bad" };
  const icon = form.icon.trim();
  if (icon && tooLong(icon)) return { field: "icon", kind: "too_long" };
  if (icon && !isWebUrl(icon)) return { field: "icon", kind: "bad" };
  if (charCount(form.description.trim()) > APP_DESCRIPTION_CHARS_MAX) return { field: "description", kind: "too_long", max: APP_DESCRIPTION_CHARS_MAX };
  const redirects = parseRedirects(form.redirects);
  if (redirects.length > APP_REDIRECT_URIS_MAX) return { field: "redirect_uris", kind: "too_many", max: APP_REDIRECT_URIS_MAX };
  const bad = redirects.findIndex((r) => tooLong(r) || !isWebUrl(r));
  if (bad >= 0) return { field: "redirect_uris", kind: "bad", line: bad + 1 };
  if (!form.everyone && form.departments.length === 0) return { field: "departments", kind: "none" };
  return null;
}

/** The new app's request, or what is wrong with the form. */
export function appRequestOf(form: AppForm): { request: CreateAppRequest } | { problem: AppProblem } {
  const problem = appProblem(form);
  if (problem) return { problem };
  const icon = form.icon.trim();
  const description = form.description.trim();
  return {
    request: {
      name: form.name.trim(), ...(description ? { description } : {}), ...(icon ? { icon } : {}), url: form.url.trim(),
      redirect_uris: parseRedirects(form.redirects), scopes: APP_SCOPES.filter((s) => form.scopes.includes(s)),
      ...(form.everyone ? {} : { departments: [...form.departments] }),
    },
  };
}

const sameList = <T>(a: readonly T[], b: readonly T[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** The change the form makes to a kept app (only the fields that differ; empty: nothing to save),
 * or what is wrong with the form. `icon: null` clears the icon, `departments: null` shows the app
 * to everyone. */
export function appChangeOf(app: App, form: AppForm): { change: UpdateAppRequest } | { problem: AppProblem } {
  const problem = appProblem(form);
  if (problem) return { problem };
  const change: UpdateAppRequest = {};
  const name = form.name.trim();
  const description = form.description.trim();
  const url = form.url.trim();
  const icon = form.icon.trim() || null;
  const redirects = parseRedirects(form.redirects);
  const scopes = APP_SCOPES.filter((s) => form.scopes.includes(s));
  const departments = form.everyone ? null : [...form.departments].sort((a, b) => a - b);
  if (name !== app.name) change.name = name;
  if (description !== app.description) change.description = description;
  if (url !== app.url) change.url = url;
  if (icon !== (app.icon ?? null)) change.icon = icon;
  if (!sameList(redirects, app.redirect_uris)) change.redirect_uris = redirects;
  if (!sameList(scopes, app.scopes)) change.scopes = scopes;
  const kept = app.departments === undefined ? null : [...app.departments].sort((a, b) => a - b);
  if (departments === null ? kept !== null : kept === null || !sameList(departments, kept)) change.departments = departments;
  return { change };
}

/** The form's field a refusal names (`redirect_uris[2]`, `departments[0]`: the list's). */
function fieldOfRefusal(field: string): AppField | null {
  const base = field.replace(/\[\d+\]$/, "").replace(/^body\./, "");
  return (["name", "description", "url", "icon", "redirect_uris", "scopes", "departments"] as const).find((f) => f === base) ?? null;
}

/** The server's refusal of the form at the field it names; null for any other error. */
export function appRefusal(e: unknown): AppProblem | null {
  if (typeof e !== "object" || e === null) return null;
  const { code, field, message } = e as { code?: unknown; field?: unknown; message?: unknown };
  if (code !== "invalid_field" || typeof field !== "string") return null;
  const at = fieldOfRefusal(field);
  return at ? { field: at, kind: "refused", message: typeof message === "string" ? message : "" } : null;
}

/** The ids of the apps with the one at `index` moved by `by` (−1 up, +1 down); null when it
 * cannot move that way. */
export function movedOrder(apps: readonly Pick<App, "id">[], index: number, by: -1 | 1): number[] | null {
  const to = index + by;
  if (index < 0 || index >= apps.length || to < 0 || to >= apps.length) return null;
  const ids = apps.map((a) => a.id);
  [ids[index], ids[to]] = [ids[to]!, ids[index]!];
  return ids;
}

/** The letter of an app's tile where it has no icon: the first character of its name. */
export function appInitial(name: string): string {
  return (Array.from(name.trim())[0] ?? "?").toUpperCase();
}
