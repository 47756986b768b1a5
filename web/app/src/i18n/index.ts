// The app's strings in Chinese and English. Every string the UI shows goes through `t` with a
// key of `MessageKey`: the keys are those of the English dictionary, and the Chinese one is
// typed `Record<MessageKey, string>`, so TypeScript refuses a key missing from either.
// Placeholders are written `{name}` and filled from `params`.

import { en } from "./en.ts";
import { zh } from "./zh.ts";

export type Locale = "en" | "zh";
export type MessageKey = keyof typeof en;
export type Params = Record<string, string | number>;
export type Translate = (key: MessageKey, params?: Params) => string;

export const dictionaries: Record<Locale, Record<MessageKey, string>> = { en, zh };
export const locales: { id: Locale; label: string }[] = [
  { id: "zh", label: "中文" },
  { id: "en", label: "English" },
];

const STORAGE_KEY = "magpie.locale";

/** The stored choice, else Chinese for any zh* browser language, else English. */
export function detectLocale(stored: string | null, navigatorLanguage: string | undefined): Locale {
  if (stored === "en" || stored === "zh") return stored;
  return (navigatorLanguage ?? "").toLowerCase().startsWith("zh") ? "zh" : "en";
}

/** Fills `{name}` placeholders; unknown ones are left as they are, so a bug shows. */
export function fill(template: string, params?: Params): string {
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const v = params[name];
    return v === undefined ? whole : String(v);
  });
}

export function translator(locale: Locale): Translate {
  const dict = dictionaries[locale];
  return (key, params) => fill(dict[key] ?? en[key], params);
}

function readStored(): string | null {
  try { return globalThis.localStorage?.getItem(STORAGE_KEY) ?? null; } catch { return null; }
}

let current: Locale = detectLocale(readStored(), globalThis.navigator?.language);
let currentT: Translate = translator(current);
const listeners = new Set<(l: Locale) => void>();

export function getLocale(): Locale { return current; }

/** The translation function of the current locale. Components read it through `useT()` so
 * that they re-render when the language changes. */
export const t: Translate = (key, params) => currentT(key, params);

export function setLocale(locale: Locale): void {
  if (locale === current) return;
  current = locale;
  currentT = translator(locale);
  try { globalThis.localStorage?.setItem(STORAGE_KEY, locale); } catch { /* private mode */ }
  applyDocumentLang();
  for (const l of listeners) l(locale);
}

export function onLocaleChange(listener: (l: Locale) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function applyDocumentLang(): void {
  if (typeof document !== "undefined") document.documentElement.lang = current === "zh" ? "zh-CN" : "en";
}

/** "Alice, Bob and Carol" / "Alice、Bob和Carol". */
export function joinNames(names: string[], locale: Locale = current): string {
  try {
    return new Intl.ListFormat(locale === "zh" ? "zh-CN" : "en", { style: "long", type: "conjunction" }).format(names);
  } catch {
    return names.join(", ");
  }
}
