import { createContext } from "preact";
import { useContext } from "preact/hooks";
import { type Locale, type Translate, getLocale, translator } from "./index.ts";

export const LocaleContext = createContext<Locale>(getLocale());

const cache = new Map<Locale, Translate>();

/** The translation function and locale; re-renders the caller when the language changes. */
export function useT(): { t: Translate; locale: Locale } {
  const locale = useContext(LocaleContext);
  let t = cache.get(locale);
  if (!t) { t = translator(locale); cache.set(locale, t); }
  return { t, locale };
}
