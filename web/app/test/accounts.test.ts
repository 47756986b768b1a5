// The accounts screen's pure parts (lib/accounts.ts): which roles an administrator hands out and
// what they may do to whom, reading an import sheet (its header, its rows with their lines,
// what the app refuses before the server sees it, the bound), the server's row errors in the
// app's words, and the CSV of passwords.
import { describe, expect, it } from "vitest";
import type { AdminAccount, ImportedAccount } from "@magpie/sdk";
import {
  assignableRoles, errorsByRow, IMPORT_ROWS_MAX, importMessage, isLoginName, loginName, passwordsCsv, powersOver, readSheet, templateCsv,
  type Sheet, type SheetResult,
} from "../src/lib/accounts.ts";
import { parseCsv } from "../src/lib/csv.ts";

const sheetOf = (result: SheetResult): Sheet => {
  if (!result.ok) throw new Error(`not a sheet: ${JSON.stringify(result.error)}`);
  return result.sheet;
};
const account = (address: string, extra: Partial<AdminAccount> = {}): AdminAccount => ({
  account: address, display_name: loginName(address), role: "member", disabled: false, created_at_ms: 0, ...extra,
});

describe("roles and powers", () => {
  it("hands out one's own role and those below it", () => {
    expect(assignableRoles("member")).toEqual(["member"]);
    expect(assignableRoles("domain_admin")).toEqual(["member", "domain_admin"]);
    expect(assignableRoles("server_admin")).toEqual(["member", "domain_admin", "server_admin"]);
  });

  it("reaches accounts of one's role and below; never one's own role, password or disabling", () => {
    const me = { account: "Alice@x", role: "domain_admin" as const };
    expect(powersOver(me, account("bob@x"))).toEqual({ edit: true, role: true, disable: true, password: true, sessions: true });
    expect(powersOver(me, account("carol@x", { role: "domain_admin" }))).toEqual({ edit: true, role: true, disable: true, password: true, sessions: true });
    expect(powersOver(me, account("root@x", { role: "server_admin" }))).toEqual({ edit: false, role: false, disable: false, password: false, sessions: false });
    expect(powersOver(me, account("alice@x", { role: "domain_admin" }))).toEqual({ edit: true, role: false, disable: false, password: false, sessions: true });
  });

  it("knows a login name as the server does", () => {
    for (const good of ["a", "wang.wei", "Li_Na-2", "x".repeat(64)]) expect(isLoginName(good), good).toBe(true);
    for (const bad of ["", "-a", "a-", "a b", "王伟", "a@b", "x".repeat(65)]) expect(isLoginName(bad), bad).toBe(false);
    expect(loginName("wang.wei@acme.example")).toBe("wang.wei");
    expect(loginName("wang.wei")).toBe("wang.wei");
  });
});

describe("readSheet", () => {
  it("reads the columns in any order and any case, and each row with its line", () => {
    const text = "\uFEFFPassword, Role ,account,display_name\r\n,,alice,Alice\r\n\r\nhorse-battery-staple-9,DOMAIN_ADMIN,bob@x,\"Wang, \"\"Bob\"\"\"\r\n,member,carol,\r\n";
    const sheet = sheetOf(readSheet(text));
    expect(sheet.columns).toEqual(["password", "role", "account", "display_name"]);
    expect(sheet.rows).toEqual([
      { line: 2, row: { account: "alice", display_name: "Alice" }, problems: [] },
      { line: 4, row: { account: "bob@x", display_name: 'Wang, "Bob"', password: "horse-battery-staple-9", role: "domain_admin" }, problems: [] },
      { line: 5, row: { account: "carol", role: "member" }, problems: [] },
    ]);
  });

  it("needs only the account column; missing cells are left out", () => {
    const sheet = sheetOf(readSheet("account\nalice\n  bob  \n"));
    expect(sheet.rows.map((r) => r.row)).toEqual([{ account: "alice" }, { account: "bob" }]);
    const short = sheetOf(readSheet("account,display_name,role,password\nalice\n"));
    expect(short.rows[0]!.row).toEqual({ account: "alice" });
  });

  it("counts lines across quoted line breaks, so that a row is told by where it is in the file", () => {
    const sheet = sheetOf(readSheet('account,display_name\na,"two\nlines"\nb,B\n'));
    expect(sheet.rows.map((r) => r.line)).toEqual([2, 4]);
  });

  it("keeps a password as it is, spaces and all", () => {
    expect(sheetOf(readSheet("account,password\na, two words \n")).rows[0]!.row.password).toBe(" two words ");
  });

  it("marks a role that is none of the three, and fields beyond the header, without refusing the sheet", () => {
    const sheet = sheetOf(readSheet("account,role\nalice,boss\nbob,member,extra\n"));
    expect(sheet.rows[0]).toEqual({ line: 2, row: { account: "alice" }, problems: [{ kind: "bad_role", value: "boss" }] });
    expect(sheet.rows[1]!.problems).toEqual([{ kind: "extra_fields", count: 3, columns: 2 }]);
    expect(sheet.rows[1]!.row).toEqual({ account: "bob", role: "member" });
  });

  it("refuses what is no sheet: not CSV, empty, no account column, unknown or repeated columns, no rows", () => {
    expect(readSheet('account\n"alice\n')).toEqual({ ok: false, error: { kind: "syntax", reason: "unclosed_quote", line: 2 } });
    expect(readSheet("")).toEqual({ ok: false, error: { kind: "empty" } });
    expect(readSheet("\uFEFF\r\n\r\n")).toEqual({ ok: false, error: { kind: "empty" } });
    expect(readSheet("display_name,role\nAlice,member\n")).toEqual({ ok: false, error: { kind: "no_account_column" } });
    expect(readSheet("account,email\nalice,a@b\n")).toEqual({ ok: false, error: { kind: "unknown_column", column: "email", position: 2 } });
    expect(readSheet("account,Account\nalice,alice\n")).toEqual({ ok: false, error: { kind: "duplicate_column", column: "account" } });
    expect(readSheet("account\n\n")).toEqual({ ok: false, error: { kind: "no_rows" } });
  });

  it("takes 1,000 rows and refuses more", () => {
    const rows = (count: number) => ["account", ...Array.from({ length: count }, (_, i) => `user${i}`)].join("\n");
    expect(sheetOf(readSheet(rows(IMPORT_ROWS_MAX))).rows).toHaveLength(1000);
    expect(readSheet(rows(IMPORT_ROWS_MAX + 1))).toEqual({ ok: false, error: { kind: "too_many_rows", count: 1001, max: 1000 } });
  });
});

describe("the server's row errors", () => {
  it("are grouped by row", () => {
    const byRow = errorsByRow([
      { row: 2, field: "account", message: "a" }, { row: 0, field: "password", message: "b" }, { row: 2, field: "role", message: "c" },
    ]);
    expect([...byRow.keys()]).toEqual([2, 0]);
    expect(byRow.get(2)!.map((e) => e.field)).toEqual(["account", "role"]);
  });

  it("are told in the app's words where it knows them, a repeated name by the line of the first", () => {
    const lineOf = (row: number) => [2, 3, 6][row];
    const said = (field: string, message: string) => importMessage({ field, message }, lineOf);
    expect(said("account", "bob is on row 3 already")).toEqual({ key: "duplicate", line: 6 });
    expect(said("account", "bob is on row 9 already")).toBeUndefined();
    expect(said("account", "bob@x exists already")).toEqual({ key: "exists" });
    expect(said("role", "server_admin is above your own role")).toEqual({ key: "role_above" });
    expect(said("account", "is not of the domain acme.example")).toEqual({ key: "other_domain", domain: "acme.example" });
    expect(said("password", "password: must be at least 12 characters")).toEqual({ key: "password_short", min: 12 });
    expect(said("password", "password: is too easy to guess (a common password, a word, a name or a pattern); a few unrelated words make a strong one"))
      .toEqual({ key: "password_weak" });
    expect(said("account", "name: only a-z, 0-9, '.', '_' and '-' are allowed")).toEqual({ key: "bad_name" });
    expect(said("name", "name: must start and end with a letter or digit")).toEqual({ key: "bad_name" });
    expect(said("account", "name: must not be empty")).toEqual({ key: "empty" });
    expect(said("display_name", "display_name is larger than 64 characters")).toEqual({ key: "too_long", max: 64 });
    expect(said("display_name", "display_name: must not contain control characters")).toBeUndefined();
  });
});

describe("the CSV of passwords", () => {
  it("lists every account made with the password the server made, or else the sheet's", () => {
    const sheet = sheetOf(readSheet("account,password\nalice,\nBob@x,own-password-1\ncarol,\n"));
    const created: ImportedAccount[] = [
      { account: account("alice@x"), password: "MadeOne234567890" },
      { account: account("bob@x") },
      { account: account("carol@x"), password: 'q,"r' },
    ];
    const csv = passwordsCsv(created, sheet);
    expect(csv).toBe('account,password\r\nalice@x,MadeOne234567890\r\nbob@x,own-password-1\r\ncarol@x,"q,""r"\r\n');
    expect(parseCsv(csv).map((r) => r.fields)).toEqual([["account", "password"], ["alice@x", "MadeOne234567890"], ["bob@x", "own-password-1"], ["carol@x", 'q,"r']]);
  });

  it("has a template that reads as a sheet", () => {
    const sheet = sheetOf(readSheet(templateCsv("acme.example")));
    expect(sheet.columns).toEqual(["account", "display_name", "role", "password"]);
    expect(sheet.rows.map((r) => r.row.account)).toEqual(["wang.wei", "li.na@acme.example"]);
  });
});
