// Compliance exports' screen (Administration → Exports), its pure parts: the request a filled
// form makes (or what is wrong with it), whether the list should be asked again, and the name an
// archive is saved under.

import type { ExportInfo, NewExport } from "@magpie/sdk";
import { dayStartMs } from "./audit.ts";

/** How often the list is asked again while an export in it is running. */
export const EXPORT_REFRESH_MS = 2_000;

/** What an export covers: an account (by address) or a conversation (by id). */
export type ExportKind = "account" | "conversation";

/** The form as it holds its fields: text as typed, dates as `<input type="date">` gives them
 * (`YYYY-MM-DD`, a day in the viewer's time zone; `to` includes its whole day). */
export interface ExportForm { kind: ExportKind; account: string; conversation: string; from: string; to: string }

export const NO_EXPORT_FORM: ExportForm = { kind: "account", account: "", conversation: "", from: "", to: "" };

/** What is wrong with a form, and the field it is about. `account_elsewhere`: a domain's
 * administrators export their own domain's accounts only. */
export type ExportProblem =
  | { field: "account"; kind: "account_required" | "account_bad" | "account_elsewhere"; domain: string }
  | { field: "conversation"; kind: "conversation_required" | "conversation_bad" }
  | { field: "to"; kind: "range" };

/** The largest conversation id the form takes (a JavaScript number stays exact up to it). */
const ID_MAX = Number.MAX_SAFE_INTEGER;

/** The address an account field means: a login name alone is of `domain` (the page's), an
 * address is itself; trimmed, the domain in lower case. Null for anything that is no address. */
export function accountAddress(text: string, domain: string): string | null {
  const value = text.trim();
  const m = /^([^@\s]+)(?:@([^@\s]+))?$/.exec(value);
  if (!m) return null;
  return `${m[1]}@${(m[2] ?? domain).toLowerCase()}`;
}

/** The request a form makes, or its first problem. `domain` is the domain the page administers:
 * a login name without a domain is of it, and a domain's administrator (not `serverAdmin`) may
 * name no account of another. */
export function exportRequestOf(form: ExportForm, options: { domain: string; serverAdmin: boolean }): { request: NewExport } | { problem: ExportProblem } {
  const request: NewExport = {};
  if (form.kind === "account") {
    const domain = options.domain;
    if (!form.account.trim()) return { problem: { field: "account", kind: "account_required", domain } };
    const address = accountAddress(form.account, domain);
    if (!address) return { problem: { field: "account", kind: "account_bad", domain } };
    if (!options.serverAdmin && address.slice(address.lastIndexOf("@") + 1) !== domain.toLowerCase()) {
      return { problem: { field: "account", kind: "account_elsewhere", domain } };
    }
    request.account = address;
  } else {
    const text = form.conversation.trim().replace(/^#/, "");
    if (!text) return { problem: { field: "conversation", kind: "conversation_required" } };
    const id = /^\d+$/.test(text) ? Number(text) : NaN;
    if (!Number.isSafeInteger(id) || id < 1 || id > ID_MAX) return { problem: { field: "conversation", kind: "conversation_bad" } };
    request.conversation = id;
  }
  const from = dayStartMs(form.from);
  const until = dayStartMs(form.to, 1);
  if (from !== undefined && until !== undefined && until <= from) return { problem: { field: "to", kind: "range" } };
  if (from !== undefined) request.from_ms = from;
  if (until !== undefined) request.until_ms = until;
  return { request };
}

/** Whether any export of the list is still running: the list is then asked again. */
export function anyRunning(list: readonly Pick<ExportInfo, "state">[] | null): boolean {
  return !!list?.some((e) => e.state === "running");
}

/** An export put into a list newest first: in place of the same export, else at the top. */
export function withExport(list: readonly ExportInfo[] | null, item: ExportInfo): ExportInfo[] {
  const shown = list ?? [];
  return shown.some((e) => e.id === item.id) ? shown.map((e) => (e.id === item.id ? item : e)) : [item, ...shown];
}

/** The name an archive is saved under, as the server's Content-Disposition names it. */
export function exportArchiveName(id: number): string {
  return `magpie-export-${id}.zip`;
}

/** How far through its conversations an export is, 0 to 1 (an export of none is at its end). */
export function exportFraction(e: Pick<ExportInfo, "conversations_done" | "conversations_total" | "state">): number {
  if (e.state === "done") return 1;
  if (e.conversations_total <= 0) return 0;
  return Math.min(1, Math.max(0, e.conversations_done / e.conversations_total));
}
