// Compliance exports against the real server (`RestClient.adminStartExport`, `adminExport`,
// `adminExports`, `adminExportArchive`): a domain's administrator exports a conversation and an
// account of their domain, follows the export until it is done and downloads its ZIP; another
// domain's accounts are not theirs (`not_found`), a request naming both or neither target, or an
// empty period, is refused on its field, and a member may do none of it. A server administrator
// lists every domain's exports, or one domain's.

import { afterAll, beforeAll, expect, test } from "vitest";

import { MagpieError, RestClient, type ExportInfo } from "../src/index.ts";
import { startServer, type TestServer, type User } from "./harness.ts";

const OTHER = "acme.example";
const STRONG = "plum-harbour-violin-42";
let server: TestServer;
let alice: RestClient;
let bob: RestClient;
let root: RestClient;
let dave: User;

async function signIn(user: Pick<User, "account" | "password">): Promise<RestClient> {
  const rest = new RestClient(server.url);
  const { token } = await rest.login(user.account, user.password, { device: "vitest" });
  return rest.withToken(token);
}

beforeAll(async () => {
  server = await startServer();
  const [a, b, d, r] = await Promise.all([
    server.addUser("alice", { displayName: "Alice", admin: true }),
    server.addUser("bob", { displayName: "Bob" }),
    server.addUser("dave", { displayName: "Dave" }),
    server.addUser("root", { displayName: "Root", serverAdmin: true }),
  ]);
  dave = d;
  [alice, bob, root] = await Promise.all([signIn(a), signIn(b), signIn(r)]);
});

afterAll(async () => {
  await server?.stop();
});

async function refusal(attempt: Promise<unknown>): Promise<MagpieError> {
  const error = await attempt.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(MagpieError);
  return error as MagpieError;
}

/** Asks for an export until it is no longer running. */
async function finished(rest: RestClient, id: number, timeoutMs = 20_000): Promise<ExportInfo> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const info = await rest.adminExport(id);
    if (info.state !== "running") return info;
    if (Date.now() > deadline) throw new Error(`export ${id} still running after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

let message = 0;
const send = (rest: RestClient, conversation: number, text: string) =>
  rest.send(conversation, { client_msg_id: `export-test-${++message}`, kind: "text", body: { text } });

test("a domain's administrator exports a conversation, follows it until it is done and downloads its ZIP", async () => {
  const group = await bob.createConversation({ kind: "group", name: "Team", members: [dave.account] });
  await send(bob, group.id, "first");
  await send(bob, group.id, "second");
  await send(await signIn(dave), group.id, "third");

  const started = await alice.adminStartExport({ conversation: group.id });
  expect(started).toMatchObject({ domain: "localhost", requested_by: "alice@localhost", conversation: group.id, state: "running" });
  expect(started.account).toBeUndefined();
  expect(started.target).toContain("Team");
  // Not downloadable while it runs (unless it is done already).
  const early = await alice.adminExportArchive(started.id).then(() => null, (e: unknown) => e);
  if (early !== null) expect(early).toMatchObject({ code: "not_found" });

  const done = await finished(alice, started.id);
  // The group's opening notice and the three messages.
  expect(done).toMatchObject({ state: "done", conversations_total: 1, conversations_done: 1, messages: 4, files: 0 });
  expect(done.error).toBeUndefined();
  expect(done.bytes).toBeGreaterThan(0);
  expect(done.finished_at_ms).toBeGreaterThanOrEqual(done.created_at_ms);
  expect(done.expires_at_ms).toBeGreaterThan(done.finished_at_ms!);
  expect((await alice.adminExports())[0]).toEqual(done);

  const zip = await alice.adminExportArchive(done.id);
  const bytes = new Uint8Array(await zip.arrayBuffer());
  expect([...bytes.subarray(0, 4)]).toEqual([0x50, 0x4b, 0x03, 0x04]);
  expect(bytes.length).toBe(done.bytes);
  expect(zip.type).toBe("application/zip");
});

test("an account's export covers its conversations, within the period", async () => {
  const direct = await bob.createConversation({ kind: "direct", peer: dave.account });
  await send(bob, direct.id, "hello dave");
  const all = await finished(alice, (await alice.adminStartExport({ account: "bob@localhost" })).id);
  expect(all).toMatchObject({ state: "done", account: "bob@localhost", target: "bob@localhost" });
  expect(all.conversation).toBeUndefined();
  expect(all.conversations_total).toBeGreaterThanOrEqual(2);
  expect(all.conversations_done).toBe(all.conversations_total);
  expect(all.messages).toBeGreaterThanOrEqual(5);
  // A period that ended before any of it: the conversations, and no entries.
  const none = await finished(alice, (await alice.adminStartExport({ account: "bob@localhost", from_ms: 0, until_ms: 1 })).id);
  expect(none).toMatchObject({ state: "done", from_ms: 0, until_ms: 1, messages: 0 });
  expect((await alice.adminExports()).map((e) => e.id).slice(0, 2)).toEqual([none.id, all.id]);
});

test("what is not theirs, or not a request, is refused", async () => {
  await root.createDomain({ name: OTHER });
  await root.createAccount({ account: `carol@${OTHER}`, password: STRONG, display_name: "Carol" });
  // Another domain's account, or a conversation that does not exist, is not found.
  expect(await refusal(alice.adminStartExport({ account: `carol@${OTHER}` }))).toMatchObject({ code: "not_found", status: 404 });
  expect(await refusal(alice.adminStartExport({ conversation: 999_999 }))).toMatchObject({ code: "not_found" });
  expect(await refusal(alice.adminExports(OTHER))).toMatchObject({ code: "not_found" });
  expect(await refusal(alice.adminExport(999_999))).toMatchObject({ code: "not_found" });
  // Both targets or neither; a period that ends before it starts.
  expect(await refusal(alice.adminStartExport({}))).toMatchObject({ code: "invalid_field", status: 422 });
  expect(await refusal(alice.adminStartExport({ account: "bob@localhost", conversation: 1 }))).toMatchObject({ code: "invalid_field" });
  expect(await refusal(alice.adminStartExport({ account: "bob@localhost", from_ms: 10, until_ms: 10 }))).toMatchObject({
    code: "invalid_field", field: "until_ms",
  });
  // A member does none of it.
  expect(await refusal(bob.adminExports())).toMatchObject({ code: "forbidden", status: 403 });
  expect(await refusal(bob.adminStartExport({ account: "bob@localhost" }))).toMatchObject({ code: "forbidden" });

  // A server administrator exports any domain's, and lists every domain's or one's.
  const carols = await finished(root, (await root.adminStartExport({ account: `carol@${OTHER}` })).id);
  expect(carols).toMatchObject({ state: "done", domain: OTHER, requested_by: "root@localhost", conversations_total: 0, messages: 0 });
  const every = await root.adminExports();
  expect(every[0]!.id).toBe(carols.id);
  expect(new Set(every.map((e) => e.domain))).toEqual(new Set(["localhost", OTHER]));
  expect((await root.adminExports(OTHER)).map((e) => e.id)).toEqual([carols.id]);
  expect((await alice.adminExports()).every((e) => e.domain === "localhost")).toBe(true);
  expect(await refusal(alice.adminExport(carols.id))).toMatchObject({ code: "not_found" });
  expect(await refusal(alice.adminExportArchive(carols.id))).toMatchObject({ code: "not_found" });
});
