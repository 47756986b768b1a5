// The colour theme: the user's choice in Settings (system, light or dark), kept in
// localStorage, and applied as `data-theme` on <html>, which the stylesheet's variables follow.
// public/theme.js applies the same rule before the first paint; this module keeps it current,
// also when the system switches while the choice is "system".

import { useEffect, useState } from "preact/hooks";

export type ThemeChoice = "system" | "light" | "dark";
export type Theme = "light" | "dark";

const KEY = "magpie.theme";
const listeners = new Set<(choice: ThemeChoice) => void>();

export function themeChoice(): ThemeChoice {
  let stored: string | null = null;
  try { stored = globalThis.localStorage?.getItem(KEY) ?? null; } catch { /* private mode */ }
  return stored === "light" || stored === "dark" ? stored : "system";
}

function systemDark(): boolean {
  return typeof matchMedia === "function" && matchMedia("(prefers-color-scheme: dark)").matches;
}

/** The theme a choice means now. */
export function resolveTheme(choice: ThemeChoice, dark: boolean = systemDark()): Theme {
  return choice === "system" ? (dark ? "dark" : "light") : choice;
}

export function applyTheme(choice: ThemeChoice = themeChoice()): void {
  if (typeof document !== "undefined") document.documentElement.dataset.theme = resolveTheme(choice);
}

export function setThemeChoice(choice: ThemeChoice): void {
  try {
    if (choice === "system") globalThis.localStorage?.removeItem(KEY);
    else globalThis.localStorage?.setItem(KEY, choice);
  } catch { /* private mode: for this page only */ }
  applyTheme(choice);
  for (const l of listeners) l(choice);
}

/** Follows the system's setting while the choice is "system". Returns the unsubscribe. */
export function followSystemTheme(): () => void {
  if (typeof matchMedia !== "function") return () => {};
  const query = matchMedia("(prefers-color-scheme: dark)");
  const onChange = () => { if (themeChoice() === "system") applyTheme("system"); };
  query.addEventListener("change", onChange);
  return () => query.removeEventListener("change", onChange);
}

export function useThemeChoice(): [ThemeChoice, (choice: ThemeChoice) => void] {
  const [choice, setChoice] = useState(themeChoice);
  useEffect(() => {
    listeners.add(setChoice);
    return () => { listeners.delete(setChoice); };
  }, []);
  return [choice, setThemeChoice];
}
