// The audit log against the real server: what administrators do is read back page by page with
// filters (`client.admin.auditLog`) and exported as JSON Lines (`client.admin.exportAudit`); a
// domain's administrator reads their own domain's records only, a server administrator the
// deployment's too, and a member nothing.

import { afterAll, beforeAll, expect, test } from "vitest";

import { MagpieError, type AuditRecordInfo, type MagpieClient } from "../src/index.ts";
import { online, startServer, type TestServer } from "./harness.ts";

let server: TestServer;
let alice: MagpieClient;
let bob: MagpieClient;
let root: MagpieClient;

beforeAll(async () => {
  server = await startServer();
  const [a, b, r] = await Promise.all([
    server.addUser("alice", { displayName: "Alice", admin: true }),
    server.addUser("bob", { displayName: "Bob" }),
    server.addUser("root", { displayName: "Root", serverAdmin: true }),
  ]);
  [alice, bob, root] = await Promise.all([online(server, a), online(server, b), online(server, r)]);
});

afterAll(async () => {
  for (const c of [alice, bob, root]) c?.close();
  await server?.stop();
});

async function refusal(attempt: Promise<unknown>): Promise<MagpieError> {
  const error = await attempt.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(MagpieError);
  return error as MagpieError;
}

const lines = async (blob: Blob): Promise<AuditRecordInfo[]> =>
  (await blob.text()).split("\n").filter((line) => line !== "").map((line) => JSON.parse(line) as AuditRecordInfo);

test("an administrator's actions are read back newest first, filtered, paged and exported", async () => {
  const sales = await alice.admin.createDepartment("localhost", { name: "Sales" });
  await alice.admin.updateDepartment(sales.id, { name: "Sales & Marketing" });
  await alice.admin.updateDomain("localhost", { registration: "invitation" });

  const departments = await alice.admin.auditLog({ action: "department" });
  expect(departments.next_before).toBeUndefined();
  expect(departments.records.map((r) => r.action)).toEqual(["department.update", "department.create"]);
  const [update, create] = departments.records as [AuditRecordInfo, AuditRecordInfo];
  expect(update.id).toBeGreaterThan(create.id);
  expect(update).toMatchObject({
    domain: "localhost", actor: { name: alice.me.account, role: "domain_admin", session: alice.session.id },
    target: `department ${sales.id} (Sales & Marketing)`, before: { name: "Sales" }, after: { name: "Sales & Marketing" },
  });
  expect(create.before).toBeUndefined();
  expect(create.after).toMatchObject({ name: "Sales" });

  // Filters: an exact action, the actor's and the target's text in any case, the time.
  expect((await alice.admin.auditLog({ action: "domain.registration" })).records).toEqual([
    expect.objectContaining({ action: "domain.registration", before: { registration: "closed" }, after: { registration: "invitation" } }),
  ]);
  expect((await alice.admin.auditLog({ actor: "ALICE", target: "marketing" })).records.map((r) => r.id)).toEqual([update.id]);
  expect((await alice.admin.auditLog({ action: "department", since: update.at_ms + 1 })).records).toEqual([]);
  expect((await alice.admin.auditLog({ action: "department", until: update.at_ms + 1, since: create.at_ms })).records.map((r) => r.id))
    .toEqual([update.id, create.id]);

  // Pages: next_before while more may follow.
  const first = await alice.admin.auditLog({ action: "department", limit: 1 });
  expect(first.records.map((r) => r.id)).toEqual([update.id]);
  expect(first.next_before).toBe(update.id);
  const second = await alice.admin.auditLog({ action: "department", limit: 1, before: first.next_before });
  expect(second.records.map((r) => r.id)).toEqual([create.id]);

  // The export: the same records, oldest first, whatever the paging says.
  expect(await lines(await alice.admin.exportAudit({ action: "department" }))).toEqual([create, update]);
  const all = await alice.admin.auditLog({ limit: 200 });
  expect(await lines(await alice.admin.exportAudit())).toEqual([...all.records].reverse());
});

test("a domain's administrator reads their own domain only, a server administrator the deployment's too, a member nothing", async () => {
  await root.admin.updateDomain("localhost", { members_invite: true });
  const acme = "audit-acme.example";
  await root.rest.request("POST", "/v1/admin/domains", { body: { name: acme } });
  await root.admin.updateDomain(acme, { registration: "open" });

  // Alice's view is localhost's: the server administrator's change there, not the new domain.
  const seen = await alice.admin.auditLog({ limit: 200 });
  expect(seen.records.every((r) => r.domain === "localhost")).toBe(true);
  expect(seen.records[0]).toMatchObject({ action: "domain.members_invite", actor: { name: root.me.account, role: "server_admin" } });
  expect((await refusal(alice.admin.auditLog({ domain: acme }))).code).toBe("not_found");

  const deployment = await root.admin.auditLog({ deployment_only: true });
  expect(deployment.records).toEqual([expect.objectContaining({ action: "domain.create", target: acme, after: { name: acme } })]);
  expect(deployment.records[0]!.domain).toBeUndefined();
  expect((await root.admin.auditLog({ domain: acme })).records.map((r) => r.action)).toEqual(["domain.registration"]);
  expect(await lines(await root.admin.exportAudit({ deployment_only: true }))).toEqual(deployment.records);

  expect((await refusal(bob.admin.auditLog())).code).toBe("forbidden");
  expect((await refusal(bob.admin.exportAudit())).code).toBe("forbidden");
});
