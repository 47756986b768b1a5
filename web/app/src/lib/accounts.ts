// The accounts' screen (Administration → Accounts), its pure parts: roles and who may hand out
// which, and the import from CSV: a sheet with a header row read into the server's import rows,
// each with the line it came from, what the app can tell is wrong with it before the server
// sees it, and the server's per-row errors mapped back onto those lines.

import type { AccountRole, AdminAccount, ImportAccountRow, ImportedAccount, ImportRowError } from "@magpie/sdk";
import { CsvError, isBlankRecord, parseCsv, toCsv, type CsvSyntax } from "./csv.ts";

/** The roles, lowest first. */
export const ACCOUNT_ROLES: readonly AccountRole[] = ["member", "domain_admin", "server_admin"];

function rank(role: AccountRole): number {
  return ACCOUNT_ROLES.indexOf(role);
}

/** The roles someone of role `own` may hand out: their own and those below it. */
export function assignableRoles(own: AccountRole): AccountRole[] {
  return ACCOUNT_ROLES.filter((r) => rank(r) <= rank(own));
}

/** What an administrator may do to an account, as the server decides it (it checks again):
 * nothing to an account of a higher role; to their own, no role change, no disabling and no
 * password reset (theirs is changed in Settings). */
export interface AccountPowers { edit: boolean; role: boolean; disable: boolean; password: boolean; sessions: boolean }

export function powersOver(me: { account: string; role: AccountRole }, target: Pick<AdminAccount, "account" | "role">): AccountPowers {
  if (rank(target.role) > rank(me.role)) return { edit: false, role: false, disable: false, password: false, sessions: false };
  const self = sameAccount(me.account, target.account);
  return { edit: true, role: !self, disable: !self, password: !self, sessions: true };
}

export function sameAccount(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** The login name of an address: the part before `@`. */
export function loginName(account: string): string {
  const at = account.lastIndexOf("@");
  return at < 0 ? account : account.slice(0, at);
}

/** Whether a login name is one the server takes: 1 to 64 of a-z, 0-9, `.`, `_`, `-`, starting
 * and ending with a letter or digit (it lower-cases it first). */
export function isLoginName(name: string): boolean {
  const n = name.trim().toLowerCase();
  return n.length >= 1 && n.length <= 64 && /^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$/.test(n);
}

// ---- Import from CSV ------------------------------------------------------------------------

/** Rows one import holds at most (the server's bound). */
export const IMPORT_ROWS_MAX = 1_000;
/** The largest file the app reads for an import: a thousand rows fit well within it, and the
 * server takes no larger a request. */
export const IMPORT_FILE_BYTES_MAX = 1024 * 1024;

/** The columns of an import's header row, in the order the template writes them; only
 * `account` is needed, and they may come in any order. */
export const IMPORT_COLUMNS = ["account", "display_name", "role", "password"] as const;
export type ImportColumn = (typeof IMPORT_COLUMNS)[number];

/** What the app finds wrong with a row before the server sees it. */
export type RowProblem =
  /** The role is none of the three (the server would refuse the whole request). */
  | { kind: "bad_role"; value: string }
  /** The row has more fields than the header names. */
  | { kind: "extra_fields"; count: number; columns: number };

/** One row of a sheet: the line it starts on, the row as it is sent, and its problems. */
export interface SheetRow { line: number; row: ImportAccountRow; problems: RowProblem[] }

export interface Sheet {
  /** The columns, as the header names them. */
  columns: ImportColumn[];
  rows: SheetRow[];
}

/** Why a text is no sheet at all. */
export type SheetError =
  | { kind: "syntax"; reason: CsvSyntax; line: number }
  | { kind: "empty" }
  | { kind: "no_account_column" }
  | { kind: "unknown_column"; column: string; position: number }
  | { kind: "duplicate_column"; column: string }
  | { kind: "no_rows" }
  | { kind: "too_many_rows"; count: number; max: number };

export type SheetResult = { ok: true; sheet: Sheet } | { ok: false; error: SheetError };

/** Reads an import sheet: a header row naming the columns (any case, any order; only
 * `account` needed), then one account a line. Blank lines are skipped; empty cells are left
 * out of the row (the server fills them in); a role is any case of the three. Refuses more
 * than IMPORT_ROWS_MAX rows. */
export function readSheet(text: string): SheetResult {
  let records;
  try {
    records = parseCsv(text).filter((r) => !isBlankRecord(r));
  } catch (e) {
    if (e instanceof CsvError) return { ok: false, error: { kind: "syntax", reason: e.reason, line: e.line } };
    throw e;
  }
  const [header, ...body] = records;
  if (!header) return { ok: false, error: { kind: "empty" } };
  const columns: ImportColumn[] = [];
  for (const [i, raw] of header.fields.entries()) {
    const name = raw.trim().toLowerCase();
    if (!(IMPORT_COLUMNS as readonly string[]).includes(name)) return { ok: false, error: { kind: "unknown_column", column: raw.trim(), position: i + 1 } };
    if (columns.includes(name as ImportColumn)) return { ok: false, error: { kind: "duplicate_column", column: name } };
    columns.push(name as ImportColumn);
  }
  if (!columns.includes("account")) return { ok: false, error: { kind: "no_account_column" } };
  if (body.length === 0) return { ok: false, error: { kind: "no_rows" } };
  if (body.length > IMPORT_ROWS_MAX) return { ok: false, error: { kind: "too_many_rows", count: body.length, max: IMPORT_ROWS_MAX } };
  const rows = body.map((record): SheetRow => {
    const problems: RowProblem[] = [];
    const cell = (column: ImportColumn): string | undefined => {
      const i = columns.indexOf(column);
      return i < 0 ? undefined : record.fields[i];
    };
    const row: ImportAccountRow = { account: (cell("account") ?? "").trim() };
    const display = cell("display_name")?.trim();
    if (display) row.display_name = display;
    // A password is taken as it is, spaces and all: they may be meant.
    const password = cell("password");
    if (password !== undefined && password !== "") row.password = password;
    const role = cell("role")?.trim();
    if (role) {
      const known = ACCOUNT_ROLES.find((r) => r === role.toLowerCase());
      if (known) row.role = known;
      else problems.push({ kind: "bad_role", value: role });
    }
    if (record.fields.length > columns.length) problems.push({ kind: "extra_fields", count: record.fields.length, columns: columns.length });
    return { line: record.line, row, problems };
  });
  return { ok: true, sheet: { columns, rows } };
}

/** The server's errors by the row they are about (its place in the sheet's rows). */
export function errorsByRow(errors: readonly ImportRowError[]): Map<number, ImportRowError[]> {
  const byRow = new Map<number, ImportRowError[]>();
  for (const e of errors) byRow.set(e.row, [...(byRow.get(e.row) ?? []), e]);
  return byRow;
}

/** What the server said of a row's field, in words the app has for it; `undefined` for a
 * message it does not know (shown as the server wrote it). `lineOf` is the line of a row by
 * its place, for "is on row N already" (the server counts rows from 1). */
export type ImportMessage =
  | { key: "duplicate"; line: number }
  | { key: "exists" }
  | { key: "role_above" }
  | { key: "other_domain"; domain: string }
  | { key: "password_short"; min: number }
  | { key: "password_weak" }
  | { key: "bad_name" }
  | { key: "too_long"; max: number }
  | { key: "empty" };

export function importMessage(error: Pick<ImportRowError, "field" | "message">, lineOf: (row: number) => number | undefined): ImportMessage | undefined {
  const m = error.message;
  let match: RegExpExecArray | null;
  if ((match = / is on row (\d+) already$/.exec(m))) {
    const line = lineOf(Number(match[1]) - 1);
    return line === undefined ? undefined : { key: "duplicate", line };
  }
  if (/ exists already$/.test(m)) return { key: "exists" };
  if (/ is above your own role$/.test(m)) return { key: "role_above" };
  if ((match = /^is not of the domain (.+)$/.exec(m))) return { key: "other_domain", domain: match[1]! };
  if ((match = / is larger than (\d+) /.exec(m))) return { key: "too_long", max: Number(match[1]) };
  if (/must not be empty$/.test(m)) return { key: "empty" };
  if (error.field === "password" && (match = /must be at least (\d+) characters/.exec(m))) return { key: "password_short", min: Number(match[1]) };
  if (error.field === "password" && /too easy to guess/.test(m)) return { key: "password_weak" };
  if ((error.field === "account" || error.field === "name") && /^name: /.test(m)) return { key: "bad_name" };
  return undefined;
}

/** The accounts an import made with their passwords, as CSV (`account,password`): the password
 * the server made, or else the one the sheet gave (found by login name). */
export function passwordsCsv(created: readonly ImportedAccount[], sheet: Pick<Sheet, "rows"> | null): string {
  const given = new Map<string, string>();
  for (const { row } of sheet?.rows ?? []) {
    if (row.password !== undefined) given.set(loginName(row.account.trim()).toLowerCase(), row.password);
  }
  const lines = created.map((c) => [c.account.account, c.password ?? given.get(loginName(c.account.account).toLowerCase()) ?? ""]);
  return toCsv([["account", "password"], ...lines]);
}

/** A sheet to start from: the header and one example row. */
export function templateCsv(domain: string): string {
  return toCsv([[...IMPORT_COLUMNS], ["wang.wei", "王伟", "member", ""], [`li.na@${domain}`, "Li Na", "domain_admin", ""]]);
}
