// Compliance exports' pure parts (lib/exports.ts): the request a filled form makes and what is
// wrong with one, whether the list is to be asked again, and the name an archive is saved under.
import { describe, expect, it } from "vitest";
import type { ExportInfo } from "@magpie/sdk";
import {
  accountAddress, anyRunning, exportArchiveName, exportFraction, exportRequestOf, NO_EXPORT_FORM, withExport, type ExportForm,
} from "../src/lib/exports.ts";

const form = (fields: Partial<ExportForm>): ExportForm => ({ ...NO_EXPORT_FORM, ...fields });
const domainAdmin = { domain: "example.org", serverAdmin: false };
const serverAdmin = { domain: "example.org", serverAdmin: true };

const info = (id: number, state: ExportInfo["state"], extra: Partial<ExportInfo> = {}): ExportInfo => ({
  id, domain: "example.org", requested_by: "alice@example.org", conversation: 12, target: "conversation 12 (Team)", state,
  conversations_total: 1, conversations_done: state === "running" ? 0 : 1, messages: 3, files: 0, bytes: 0, created_at_ms: 1, ...extra,
});

describe("the account an export names", () => {
  it("takes a login name as one of the page's domain, and an address as it is", () => {
    expect(accountAddress(" bob ", "example.org")).toBe("bob@example.org");
    expect(accountAddress("bob@Example.ORG", "x")).toBe("bob@example.org");
    expect(accountAddress("bob@other.example", "example.org")).toBe("bob@other.example");
    for (const bad of ["", "bob smith", "@example.org", "bob@", "a@b@c"]) expect(accountAddress(bad, "example.org")).toBeNull();
  });
});

describe("the request a form makes", () => {
  it("exports an account by its address, of the page's domain for a domain's administrator", () => {
    expect(exportRequestOf(form({ account: "bob" }), domainAdmin)).toEqual({ request: { account: "bob@example.org" } });
    expect(exportRequestOf(form({ account: "bob@example.org" }), domainAdmin)).toEqual({ request: { account: "bob@example.org" } });
    expect(exportRequestOf(form({ account: "carol@acme.example" }), domainAdmin)).toEqual({
      problem: { field: "account", kind: "account_elsewhere", domain: "example.org" },
    });
    // A server administrator exports any domain's accounts.
    expect(exportRequestOf(form({ account: "carol@acme.example" }), serverAdmin)).toEqual({ request: { account: "carol@acme.example" } });
    expect(exportRequestOf(form({ account: "  " }), domainAdmin)).toMatchObject({ problem: { field: "account", kind: "account_required" } });
    expect(exportRequestOf(form({ account: "bob smith" }), domainAdmin)).toMatchObject({ problem: { field: "account", kind: "account_bad" } });
  });

  it("exports a conversation by its id, and nothing of the other kind's field", () => {
    expect(exportRequestOf(form({ kind: "conversation", conversation: " 12 ", account: "bob" }), domainAdmin)).toEqual({ request: { conversation: 12 } });
    expect(exportRequestOf(form({ kind: "conversation", conversation: "#7" }), domainAdmin)).toEqual({ request: { conversation: 7 } });
    expect(exportRequestOf(form({ kind: "conversation" }), domainAdmin)).toEqual({ problem: { field: "conversation", kind: "conversation_required" } });
    for (const bad of ["0", "-3", "1.5", "twelve", "99999999999999999999"]) {
      expect(exportRequestOf(form({ kind: "conversation", conversation: bad }), domainAdmin)).toEqual({ problem: { field: "conversation", kind: "conversation_bad" } });
    }
  });

  it("covers whole days in the viewer's time zone, the end day included", () => {
    const made = exportRequestOf(form({ kind: "conversation", conversation: "12", from: "2026-03-01", to: "2026-03-31" }), domainAdmin);
    expect(made).toEqual({ request: { conversation: 12, from_ms: new Date(2026, 2, 1).getTime(), until_ms: new Date(2026, 3, 1).getTime() } });
    expect(exportRequestOf(form({ account: "bob", to: "2026-03-31" }), domainAdmin)).toEqual({
      request: { account: "bob@example.org", until_ms: new Date(2026, 3, 1).getTime() },
    });
    // One day is a range; an end before the start is not.
    expect(exportRequestOf(form({ account: "bob", from: "2026-03-02", to: "2026-03-02" }), domainAdmin)).toHaveProperty("request");
    expect(exportRequestOf(form({ account: "bob", from: "2026-03-02", to: "2026-03-01" }), domainAdmin)).toEqual({ problem: { field: "to", kind: "range" } });
  });
});

describe("the list", () => {
  it("is asked again while an export in it runs", () => {
    expect(anyRunning(null)).toBe(false);
    expect(anyRunning([info(1, "done"), info(2, "failed")])).toBe(false);
    expect(anyRunning([info(1, "done"), info(2, "running")])).toBe(true);
  });

  it("takes a new export at the top, and a known one in its place", () => {
    const list = [info(2, "running"), info(1, "done")];
    expect(withExport(list, info(3, "running")).map((e) => e.id)).toEqual([3, 2, 1]);
    const replaced = withExport(list, info(2, "done"));
    expect(replaced.map((e) => [e.id, e.state])).toEqual([[2, "done"], [1, "done"]]);
    expect(withExport(null, info(1, "running")).map((e) => e.id)).toEqual([1]);
  });

  it("says how far an export is through its conversations", () => {
    expect(exportFraction(info(1, "running", { conversations_total: 4, conversations_done: 1 }))).toBe(0.25);
    expect(exportFraction(info(1, "running", { conversations_total: 0, conversations_done: 0 }))).toBe(0);
    expect(exportFraction(info(1, "done", { conversations_total: 0, conversations_done: 0 }))).toBe(1);
  });

  it("saves an archive under the server's name for it", () => {
    expect(exportArchiveName(42)).toBe("magpie-export-42.zip");
  });
});
