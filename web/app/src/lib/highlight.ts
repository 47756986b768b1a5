// Syntax highlighting for code messages and fenced blocks in Markdown, loaded lazily.
import type { HLJSApi } from "highlight.js";

let loading: Promise<HLJSApi> | null = null;

export function loadHighlighter(): Promise<HLJSApi> {
  loading ??= import("./hljs.ts").then((m) => m.hljs);
  return loading;
}

/** Highlighted HTML (highlight.js escapes the code), or null when the language is unknown
 * and detection is not confident. */
export function highlightWith(hljs: HLJSApi, code: string, language?: string): { html: string; language: string } | null {
  if (language && hljs.getLanguage(language)) {
    return { html: hljs.highlight(code, { language, ignoreIllegals: true }).value, language };
  }
  if (code.length > 20_000) return null;
  const auto = hljs.highlightAuto(code);
  if (!auto.language || auto.relevance < 5) return null;
  return { html: auto.value, language: auto.language };
}
