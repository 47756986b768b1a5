// The console against the real server (`client.admin`): the dashboard for server administrators
// only; the live connections, each domain's administrators seeing their own domain's, and one
// disconnected by ending its session; a backup made and listed; a domain's forbidden words set,
// trimmed and without repeats, and refused when too long; and domains listed, read and made.

import { afterAll, beforeAll, expect, test } from "vitest";

import { MagpieError, type MagpieClient } from "../src/index.ts";
import { online, startServer, until, type TestServer, type User } from "./harness.ts";

const OTHER = "acme.example";
const STRONG = "plum-harbour-violin-42";
let server: TestServer;
let alice: MagpieClient;
let bob: MagpieClient;
let root: MagpieClient;
let bobUser: User;

beforeAll(async () => {
  server = await startServer();
  const [a, b, r] = await Promise.all([
    server.addUser("alice", { displayName: "Alice", admin: true }),
    server.addUser("bob", { displayName: "Bob" }),
    server.addUser("root", { displayName: "Root", serverAdmin: true }),
  ]);
  bobUser = b;
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

test("the dashboard is the server administrators': now, and the samples of the hour and the day", async () => {
  const dashboard = await root.admin.dashboard();
  expect(dashboard.sample_secs).toBe(10);
  // The gauges of now are read afresh: the three clients of this test are connected.
  expect(dashboard.now.connections).toBeGreaterThanOrEqual(3);
  expect(dashboard.now.accounts_online).toBeGreaterThanOrEqual(3);
  expect(dashboard.now.memory_bytes).toBeGreaterThan(0);
  expect(dashboard.now.at_ms).toBeGreaterThan(0);
  expect(Array.isArray(dashboard.hour) && Array.isArray(dashboard.day)).toBe(true);
  expect(await refusal(alice.admin.dashboard())).toMatchObject({ code: "forbidden", status: 403 });
  expect(await refusal(bob.admin.dashboard())).toMatchObject({ code: "forbidden" });
});

test("the live connections: a domain's administrators see their domain's, and ending a session disconnects it", async () => {
  await root.admin.createDomain({ name: OTHER });
  await root.admin.createAccount({ account: `carol@${OTHER}`, password: STRONG, display_name: "Carol" });
  const carol = await online(server, { account: `carol@${OTHER}`, name: "carol", password: STRONG, displayName: "Carol" });
  // Bob on a second device, which is disconnected below.
  const bobAgain = await online(server, bobUser);
  try {
    const all = await root.admin.connections();
    expect(all.total).toBe(all.connections.length);
    expect(new Set(all.connections.map((c) => c.account))).toEqual(new Set(["alice@localhost", "bob@localhost", "root@localhost", `carol@${OTHER}`]));
    // Newest first.
    const times = all.connections.map((c) => c.connected_at_ms);
    expect([...times].sort((x, y) => y - x)).toEqual(times);
    const bobs = all.connections.filter((c) => c.account === "bob@localhost");
    expect(bobs.map((c) => c.session).sort()).toEqual([bob.session.id, bobAgain.session.id].sort());
    const second = bobs.find((c) => c.session === bobAgain.session.id)!;
    expect(second).toMatchObject({ device: "vitest", ip: "127.0.0.1" });

    expect((await root.admin.connections({ domain: OTHER })).connections.map((c) => c.account)).toEqual([`carol@${OTHER}`]);
    const limited = await root.admin.connections({ limit: 1 });
    expect(limited.connections).toHaveLength(1);
    expect(limited.total).toBe(all.total);
    // Alice administers localhost: she sees its connections only, whatever she asks.
    expect(new Set((await alice.admin.connections()).connections.map((c) => c.account))).toEqual(new Set(["alice@localhost", "bob@localhost", "root@localhost"]));
    expect(await refusal(alice.admin.connections({ domain: OTHER }))).toMatchObject({ code: "not_found" });

    await alice.admin.revokeAccountSession(second.account, second.session);
    await until(bobAgain, () => bobAgain.status !== "online", "bob's second device disconnected");
    // The other device stays connected. (The closed connection leaves the list once its task on
    // the server has ended, which the client cannot see.)
    expect(bob.status).toBe("online");
    expect((await alice.admin.connections()).connections.map((c) => c.session)).toContain(bob.session.id);
  } finally {
    carol.close();
    bobAgain.close();
  }
});

test("a backup is made, answered once finished, and listed newest first", async () => {
  expect(await root.admin.backups()).toEqual([]);
  const made = await root.admin.makeBackup();
  expect(made).toMatchObject({ finished: true, missing: 0 });
  expect(made.name).toMatch(/^magpie-/);
  expect(made.database_bytes).toBeGreaterThan(0);
  const second = await root.admin.makeBackup();
  expect((await root.admin.backups()).map((b) => b.name)).toEqual([second.name, made.name]);
  expect(await refusal(alice.admin.backups())).toMatchObject({ code: "forbidden" });
  expect(await refusal(alice.admin.makeBackup())).toMatchObject({ code: "forbidden" });
});

test("a domain's forbidden words: trimmed and without repeats, refused when too long", async () => {
  expect(await alice.admin.moderation("localhost")).toEqual({ action: "block", words: [] });
  const kept = await alice.admin.setModeration("localhost", { action: "mask", words: ["  plum ", "PLUM", "", "坏词", "plum"] });
  expect(kept).toEqual({ action: "mask", words: ["plum", "坏词"] });
  expect(await alice.admin.moderation("localhost")).toEqual(kept);
  expect(await refusal(alice.admin.setModeration("localhost", { action: "mask", words: ["x".repeat(33)] }))).toMatchObject({
    code: "invalid_field", field: "words", status: 422,
  });
  expect(await refusal(alice.admin.moderation(OTHER))).toMatchObject({ code: "not_found" });
  expect(await refusal(bob.admin.moderation("localhost"))).toMatchObject({ code: "not_found" });
  await alice.admin.setModeration("localhost", { action: "block", words: [] });
});

test("domains are the server administrators' to list, read and make", async () => {
  const made = await root.admin.createDomain({ name: "beta.example" });
  expect(made).toMatchObject({ name: "beta.example", registration: "closed" });
  expect(await root.admin.domain("beta.example")).toEqual(made);
  expect((await root.admin.domains()).map((d) => d.name)).toContain("beta.example");
  expect(await refusal(root.admin.createDomain({ name: "beta.example" }))).toMatchObject({ code: "already_exists", status: 409 });
  expect(await refusal(alice.admin.createDomain({ name: "gamma.example" }))).toMatchObject({ code: "forbidden" });
  expect(await alice.admin.domain("localhost")).toMatchObject({ name: "localhost" });
});
