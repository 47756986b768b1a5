// The administration of accounts against the real server (`client.admin`): a domain's accounts
// listed by login name with `q`, `after` and `limit`; an account made, edited, disabled and
// enabled; its sessions listed and ended; a password reset (given or made, answered once); an
// import from rows, all or none, checked by a dry run; and a domain's administrator kept to
// their own domain.

import { afterAll, beforeAll, expect, test } from "vitest";

import { login, MagpieError, memoryStorage, type MagpieClient, type RestClient } from "../src/index.ts";
import { online, startServer, until, type TestServer } from "./harness.ts";

const STRONG = "plum-harbour-violin-42";
let server: TestServer;
let alice: MagpieClient;
let root: MagpieClient;

beforeAll(async () => {
  server = await startServer();
  const [a, r] = await Promise.all([
    server.addUser("alice", { displayName: "Alice", admin: true }),
    server.addUser("root", { displayName: "Root", serverAdmin: true }),
  ]);
  [alice, root] = await Promise.all([online(server, a), online(server, r)]);
});

afterAll(async () => {
  for (const c of [alice, root]) c?.close();
  await server?.stop();
});

async function refusal(attempt: Promise<unknown>): Promise<MagpieError> {
  const error = await attempt.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(MagpieError);
  return error as MagpieError;
}

test("an account is made, found, edited, disabled and enabled", async () => {
  const made = await alice.admin.createAccount({ account: "bob@localhost", password: STRONG, display_name: "Bob" });
  expect(made).toMatchObject({ account: "bob@localhost", display_name: "Bob", role: "member", disabled: false });
  expect(made.created_at_ms).toBeGreaterThan(0);
  expect(await refusal(alice.admin.createAccount({ account: "bob@localhost", password: STRONG }))).toMatchObject({ code: "already_exists", status: 409 });
  expect(await refusal(alice.admin.createAccount({ account: "Bad Name@localhost", password: STRONG }))).toMatchObject({ code: "invalid_field", field: "name" });
  expect(await refusal(alice.admin.createAccount({ account: "eve@localhost", password: "short" }))).toMatchObject({ code: "invalid_field", field: "password" });
  expect(await refusal(alice.admin.createAccount({ account: "eve@localhost", password: STRONG, role: "server_admin" }))).toMatchObject({ code: "forbidden" });

  const all = await alice.admin.adminAccounts();
  expect(all.map((a) => a.account)).toEqual(["alice@localhost", "bob@localhost", "root@localhost"]);
  expect((await alice.admin.adminAccounts({ q: "BO" })).map((a) => a.account)).toEqual(["bob@localhost"]);
  const first = await alice.admin.adminAccounts({ domain: "localhost", limit: 2 });
  expect(first.map((a) => a.account)).toEqual(["alice@localhost", "bob@localhost"]);
  expect((await alice.admin.adminAccounts({ after: "bob", limit: 2 })).map((a) => a.account)).toEqual(["root@localhost"]);

  const edited = await alice.admin.updateAccount("bob@localhost", { display_name: "Robert", role: "domain_admin" });
  expect(edited).toMatchObject({ display_name: "Robert", role: "domain_admin" });
  expect(await refusal(alice.admin.updateAccount("alice@localhost", { role: "member" }))).toMatchObject({ code: "forbidden" });
  expect(await refusal(alice.admin.updateAccount("root@localhost", { display_name: "R" }))).toMatchObject({ code: "forbidden" });
  expect(await alice.admin.updateAccount("bob@localhost", { role: "member" })).toMatchObject({ role: "member" });

  expect(await alice.admin.disableAccount("bob@localhost")).toMatchObject({ disabled: true });
  expect(await refusal(login(server.url, "bob@localhost", STRONG, { storage: memoryStorage() }))).toMatchObject({ code: "account_disabled" });
  expect(await alice.admin.enableAccount("bob@localhost")).toMatchObject({ disabled: false });
  expect(await refusal(alice.admin.disableAccount("alice@localhost"))).toMatchObject({ code: "forbidden" });
});

test("an account's sessions are listed and ended, and a password reset is answered once", async () => {
  await alice.admin.createAccount({ account: "carol@localhost", password: STRONG, display_name: "Carol" });
  const laptop = await online(server, { account: "carol@localhost", name: "carol", password: STRONG, displayName: "Carol" });
  const phone = await online(server, { account: "carol@localhost", name: "carol", password: STRONG, displayName: "Carol" });
  const sessions = await alice.admin.accountSessions("carol@localhost");
  expect(sessions.map((s) => s.id).sort()).toEqual([laptop.session.id, phone.session.id].sort());
  expect(sessions.every((s) => !s.current && s.device === "vitest")).toBe(true);

  await alice.admin.revokeAccountSession("carol@localhost", laptop.session.id);
  expect((await alice.admin.accountSessions("carol@localhost")).map((s) => s.id)).toEqual([phone.session.id]);
  expect(await refusal(alice.admin.revokeAccountSession("carol@localhost", laptop.session.id))).toMatchObject({ code: "not_found" });
  await alice.admin.revokeAccountSessions("carol@localhost");
  expect(await alice.admin.accountSessions("carol@localhost")).toEqual([]);
  await until(phone, () => phone.status === "signed_out", "carol's phone signed out");
  laptop.close();
  phone.close();

  // A password given is not answered; one made is, once, and signs in.
  expect(await alice.admin.resetAccountPassword("carol@localhost", "another-strong-horse-7")).toEqual({});
  const { password } = await alice.admin.resetAccountPassword("carol@localhost");
  expect(password).toMatch(/^[a-km-zA-HJ-NP-Z2-9]{16}$/);
  const carol = await login(server.url, "carol@localhost", password!, { storage: memoryStorage() });
  carol.close();
  expect(await refusal(alice.admin.resetAccountPassword("alice@localhost"))).toMatchObject({ code: "forbidden" });
});

test("an import checks every row and makes all or none", async () => {
  const rows = [
    { account: "dan" }, { account: "erin@localhost", display_name: "Erin", role: "domain_admin" as const, password: STRONG },
    { account: "bad name" }, { account: "dan" }, { account: "fay", password: "short" },
  ];
  const dry = await alice.admin.importAccounts({ rows, dry_run: true });
  expect(dry.dry_run).toBe(true);
  expect(dry.created).toEqual([]);
  expect(dry.errors.map((e) => [e.row, e.field])).toEqual([[2, "account"], [3, "account"], [4, "password"]]);
  expect(dry.errors[1]!.message).toBe("dan is on row 1 already");
  // Not a dry run, with errors: the same report, nothing made.
  const refused = await alice.admin.importAccounts({ rows });
  expect(refused).toEqual({ ...dry, dry_run: false });
  expect(await alice.admin.adminAccounts({ q: "dan" })).toEqual([]);

  const good = rows.slice(0, 2);
  expect(await alice.admin.importAccounts({ domain: "localhost", rows: good, dry_run: true })).toEqual({ dry_run: true, errors: [], created: [] });
  const report = await alice.admin.importAccounts({ domain: "localhost", rows: good });
  expect(report.errors).toEqual([]);
  expect(report.created.map((c) => [c.account.account, c.account.role, c.password === undefined])).toEqual([
    ["dan@localhost", "member", false], ["erin@localhost", "domain_admin", true],
  ]);
  const dan = await login(server.url, "dan@localhost", report.created[0]!.password!, { storage: memoryStorage() });
  dan.close();
  expect(await refusal(alice.admin.importAccounts({ rows: [] }))).toMatchObject({ code: "invalid_field", field: "rows" });
});

test("a domain's administrator reaches their own domain only; a server administrator any", async () => {
  // The SDK has no call that makes a domain (a later console's): its RestClient's request does.
  await (root.admin as RestClient).request("POST", "/v1/admin/domains", { body: { name: "acme.example" } });
  await root.admin.createAccount({ account: "gus@acme.example", password: STRONG });
  expect((await root.admin.adminAccounts({ domain: "acme.example" })).map((a) => a.account)).toEqual(["gus@acme.example"]);
  expect(await refusal(alice.admin.adminAccounts({ domain: "acme.example" }))).toMatchObject({ code: "not_found" });
  expect(await refusal(alice.admin.disableAccount("gus@acme.example"))).toMatchObject({ code: "not_found" });
  expect(await refusal(alice.admin.accountSessions("gus@acme.example"))).toMatchObject({ code: "not_found" });
  expect(await refusal(alice.admin.createAccount({ account: "hal@acme.example", password: STRONG }))).toMatchObject({ code: "not_found" });
  expect(await refusal(alice.admin.importAccounts({ domain: "acme.example", rows: [{ account: "hal" }], dry_run: true }))).toMatchObject({ code: "not_found" });
});
