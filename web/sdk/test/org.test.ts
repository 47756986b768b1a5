// The organisation and onboarding against the real server (§5 "Invitations and applications",
// §11): an administrator builds the tree and people see it, with `directory_changed` telling
// open clients; invitations let people register; applications wait for approval.

import { afterAll, beforeAll, expect, test } from "vitest";

import { MagpieError, login, memoryStorage, signUp, type MagpieClient } from "../src/index.ts";
import { online, startServer, until, type TestServer } from "./harness.ts";

let server: TestServer;
let admin: MagpieClient;
let bob: MagpieClient;

beforeAll(async () => {
  server = await startServer();
  const [a, b] = await Promise.all([
    server.addUser("alice", { displayName: "Alice", admin: true }),
    server.addUser("bob", { displayName: "张三" }),
  ]);
  [admin, bob] = await Promise.all([online(server, a), online(server, b)]);
});

afterAll(async () => {
  admin?.close();
  bob?.close();
  await server?.stop();
});

async function refusal(attempt: Promise<unknown>): Promise<MagpieError> {
  const error = await attempt.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(MagpieError);
  return error as MagpieError;
}

test("departments an administrator makes are read by members, and open clients hear of each change", async () => {
  let heard = 0;
  bob.on("directory_changed", () => (heard += 1));
  const top = await admin.admin.createDepartment("localhost", { name: "总部" });
  const rd = await admin.admin.createDepartment("localhost", { name: "研发部", parent: top.id });
  await admin.admin.setDepartmentMember(rd.id, bob.me.account, "前端工程师");
  await admin.admin.updateDepartment(rd.id, { manager: admin.me.account });
  // Four changes, four events; they are ephemeral, so wait for them rather than count on order.
  await new Promise<void>((done) => {
    const check = () => (heard >= 4 ? done() : undefined);
    check();
    bob.on("directory_changed", check);
  });

  const tree = await bob.departments();
  expect(tree).toEqual([
    { id: top.id, name: "总部", position: 0, member_count: 0, total_count: 1 },
    { id: rd.id, parent: top.id, name: "研发部", position: 0, manager: admin.me.account, member_count: 1, total_count: 1 },
  ]);
  const members = await bob.departmentMembers(rd.id);
  expect(members).toEqual([{ profile: { account: bob.me.account, display_name: "张三" }, title: "前端工程师" }]);
  // The members' profiles are cached as profile() gives them.
  expect(admin.profile(bob.me.account, { fetch: false })).toBeUndefined();
  await admin.departmentMembers(rd.id);
  expect(admin.profile(bob.me.account, { fetch: false })?.display_name).toBe("张三");

  expect(await admin.placements(bob.me.account)).toEqual({
    departments: [
      { department: rd.id, path: [{ id: top.id, name: "总部" }, { id: rd.id, name: "研发部" }], title: "前端工程师", manager: admin.me.account },
    ],
  });
  expect((await bob.searchDepartments("yfb")).map((d) => d.department)).toEqual([rd.id]);

  // A move to the top, a rename, and the person taken out; then the department goes.
  expect(await admin.admin.updateDepartment(rd.id, { parent: null, name: "研发中心", manager: null })).toMatchObject({ name: "研发中心" });
  expect((await admin.admin.departmentTree("localhost")).find((d) => d.id === rd.id)).toEqual(
    { id: rd.id, name: "研发中心", position: 0, member_count: 1, total_count: 1 },
  );
  await admin.admin.removeDepartmentMember(rd.id, bob.me.account);
  expect(await bob.placements(bob.me.account)).toEqual({ departments: [] });
  await admin.admin.deleteDepartment(rd.id);
  expect((await bob.departments()).map((d) => d.name)).toEqual(["总部"]);

  // Members do not administer: the admin endpoints are not found for them.
  expect((await refusal(bob.admin.createDepartment("localhost", { name: "X" }))).code).toBe("not_found");
});

test("a department's chat follows its people, and a person's own manager is theirs, not the department's", async () => {
  const dept = await admin.admin.createDepartment("localhost", { name: "设计部" });
  await admin.admin.setDepartmentMember(dept.id, bob.me.account);
  const withChat = await admin.admin.updateDepartment(dept.id, { chat: true });
  expect(withChat.chat).toEqual(expect.any(Number));
  const chat = withChat.chat!;
  // Bob is in the chat from the start (he sees it as his conversation once the join reaches him).
  await until(bob, () => bob.conversations().some((c) => c.id === chat), "bob in the department's chat");
  expect((await admin.admin.departmentTree("localhost")).find((d) => d.id === dept.id)?.chat).toBe(chat);

  await admin.admin.setManager(bob.me.account, admin.me.account);
  expect(await bob.placements(bob.me.account)).toEqual({
    departments: [{ department: dept.id, path: [{ id: dept.id, name: "设计部" }] }], manager: admin.me.account,
  });
  await admin.admin.setManager(bob.me.account, null);
  expect((await bob.placements(bob.me.account)).manager).toBeUndefined();

  expect((await admin.admin.updateDepartment(dept.id, { chat: false })).chat).toBeUndefined();
  await admin.admin.deleteDepartment(dept.id);
});

test("members invite people where the domain lets them, and only within a member's bounds", async () => {
  await admin.admin.updateDomain("localhost", { registration: "invitation", members_invite: false });
  expect((await refusal(bob.createInvitation({}))).code).toBe("forbidden");
  await admin.admin.updateDomain("localhost", { members_invite: true });
  expect((await refusal(bob.createInvitation({ uses_max: 11 }))).code).toBe("invalid_field");
  const made = await bob.createInvitation({ uses_max: 2, ttl_secs: 86_400, note: "for Gina" });
  expect(made.invitation).toMatchObject({ uses: 0, uses_max: 2, note: "for Gina", created_by: bob.me.account });
  expect((await bob.myInvitations()).map((i) => i.id)).toEqual([made.invitation.id]);
  // Administrators see members' invitations too; a member sees only their own.
  expect((await admin.admin.invitations("localhost")).map((i) => i.id)).toContain(made.invitation.id);
  expect(await admin.myInvitations()).toEqual([]);
  expect((await refusal(admin.revokeInvitation(made.invitation.id))).code).toBe("not_found");

  const gina = await signUp(server.url, "gina@localhost", "plum lantern orbit gina", { invitation: made.code, storage: memoryStorage() });
  expect(gina.kind).toBe("signed_in");
  if (gina.kind === "signed_in") gina.client.close();
  expect((await bob.myInvitations()).map((i) => i.uses)).toEqual([1]);
  await bob.revokeInvitation(made.invitation.id);
  expect(await bob.myInvitations()).toEqual([]);
  await admin.admin.updateDomain("localhost", { members_invite: false });
});

test("an invitation lets as many people register as it says, until it is revoked", async () => {
  await admin.admin.updateDomain("localhost", { registration: "invitation" });
  const made = await admin.admin.createInvitation("localhost", { uses_max: 2, ttl_secs: 3600, note: "new hires" });
  expect(made.code).toMatch(/^inv_/);
  expect(made.invitation).toMatchObject({ uses: 0, uses_max: 2, note: "new hires", created_by: admin.me.account });

  const without = await refusal(signUp(server.url, "carol@localhost", "plum lantern orbit carol", { storage: memoryStorage() }));
  expect([without.code, without.field]).toEqual(["invalid_field", "invitation"]);
  const carol = await signUp(server.url, "carol@localhost", "plum lantern orbit carol", { invitation: made.code, displayName: "Carol", storage: memoryStorage() });
  expect(carol.kind).toBe("signed_in");
  if (carol.kind === "signed_in") {
    expect(carol.client.me).toMatchObject({ account: "carol@localhost", display_name: "Carol", role: "member" });
    carol.client.close();
  }
  expect((await admin.admin.invitations("localhost")).map((i) => [i.id, i.uses])).toEqual([[made.invitation.id, 1]]);

  await admin.admin.revokeInvitation("localhost", made.invitation.id);
  expect(await admin.admin.invitations("localhost")).toEqual([]);
  const revoked = await refusal(signUp(server.url, "dave@localhost", "plum lantern orbit dave", { invitation: made.code, storage: memoryStorage() }));
  expect([revoked.code, revoked.field]).toEqual(["invalid_field", "invitation"]);
});

test("an applicant waits for approval, and an administrator approves one and rejects another", async () => {
  await admin.admin.updateDomain("localhost", { registration: "approval" });
  const erin = await signUp(server.url, "erin@localhost", "violet anchor erin 25", { storage: memoryStorage() });
  expect(erin).toEqual({ kind: "pending", account: "erin@localhost" });
  const frank = await signUp(server.url, "frank@localhost", "violet anchor frank 25", { storage: memoryStorage() });
  expect(frank.kind).toBe("pending");

  expect((await refusal(login(server.url, "erin@localhost", "violet anchor erin 25", { storage: memoryStorage() }))).code).toBe("approval_pending");
  const pending = await admin.admin.applications("localhost");
  expect(pending.map((a) => [a.account.account, a.account.disabled])).toEqual([["erin@localhost", true], ["frank@localhost", true]]);

  expect(await admin.admin.approve("erin@localhost")).toMatchObject({ account: "erin@localhost", disabled: false });
  expect(await admin.admin.reject("frank@localhost")).toMatchObject({ account: "frank@localhost", disabled: true });
  expect(await admin.admin.applications("localhost")).toEqual([]);

  const signedIn = await login(server.url, "erin@localhost", "violet anchor erin 25", { storage: memoryStorage() });
  expect(signedIn.me.account).toBe("erin@localhost");
  signedIn.close();
  expect((await refusal(login(server.url, "frank@localhost", "violet anchor frank 25", { storage: memoryStorage() }))).code).toBe("registration_rejected");
});

test("a domain without a directory source says so, and a source that cannot be reached is unavailable", async () => {
  expect((await refusal(admin.admin.ldapSource("localhost"))).code).toBe("not_found");
  const source = await admin.admin.setLdapSource("localhost", {
    url: "ldap://127.0.0.1:1", bind_dn: "cn=admin,dc=example,dc=com", bind_password: "secret", base_dns: ["ou=people,dc=example,dc=com"],
  });
  expect(source).toMatchObject({ url: "ldap://127.0.0.1:1", bind_password_set: true, people_filter: "(objectClass=inetOrgPerson)", login_enabled: false });
  expect(source.attributes.login).toBe("uid");
  expect((await refusal(admin.admin.testLdapSource("localhost"))).code).toBe("unavailable");
  expect((await refusal(admin.admin.syncLdap("localhost", true))).code).toBe("unavailable");
  // A dry run is not kept; a real sync is, also one that failed, with when and why.
  expect((await admin.admin.ldapSource("localhost")).last_sync).toBeUndefined();
  expect((await refusal(admin.admin.syncLdap("localhost", false, { incremental: true }))).code).toBe("unavailable");
  const kept = (await admin.admin.ldapSource("localhost")).last_sync;
  expect(kept).toEqual({ at_ms: expect.any(Number), incremental: expect.any(Boolean), error: expect.any(String) });
  expect(kept?.report).toBeUndefined();

  // Groups are followed with the settings given, the defaults filling the rest; left out, none.
  const withGroups = await admin.admin.setLdapSource("localhost", {
    url: "ldap://127.0.0.1:1", base_dns: ["ou=people,dc=example,dc=com"], groups: { base_dns: ["ou=groups,dc=example,dc=com"] },
  });
  expect(withGroups.groups?.base_dns).toEqual(["ou=groups,dc=example,dc=com"]);
  expect((await admin.admin.setLdapSource("localhost", { url: "ldap://127.0.0.1:1", base_dns: ["ou=people,dc=example,dc=com"] })).groups).toBeUndefined();
  await admin.admin.deleteLdapSource("localhost");
  expect((await refusal(admin.admin.ldapSource("localhost"))).code).toBe("not_found");
});

test("a server administrator lists every domain and administers another one; a domain administrator lists none", async () => {
  expect((await refusal(admin.admin.domains())).code).toBe("forbidden");
  const rootUser = await server.addUser("root", { serverAdmin: true });
  const root = await login(server.url, rootUser.account, rootUser.password, { storage: memoryStorage() });
  expect((await root.rest.request<{ name: string }>("POST", "/v1/admin/domains", { body: { name: "acme.example" } })).name).toBe("acme.example");
  expect((await root.admin.domains()).map((d) => [d.name, d.registration])).toEqual([["acme.example", "closed"], ["localhost", "approval"]]);
  expect((await root.admin.updateDomain("acme.example", { registration: "open" })).registration).toBe("open");
  // Tenancy: the other domain's administrator does not see it.
  expect((await refusal(admin.admin.updateDomain("acme.example", {}))).code).toBe("not_found");
  expect((await refusal(admin.admin.departmentTree("acme.example"))).code).toBe("not_found");
  root.close();
});

test("an administrator reads how the domain's pushes fare; a member may not", async () => {
  expect(await admin.admin.pushFailures("localhost")).toEqual({ failures: [], outbox_len: 0 });
  expect((await refusal(bob.admin.pushFailures("localhost"))).code).toBe("not_found");
});
