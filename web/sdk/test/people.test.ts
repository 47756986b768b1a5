// People against the real server: presence and typing as they are pushed, friend requests as
// account events, and profiles fetched for display.

import { afterAll, beforeAll, expect, test } from "vitest";

import type { AccountEvent, MagpieClient } from "../src/index.ts";
import { online, startServer, until, type TestServer, type User } from "./harness.ts";

let server: TestServer;
let bobUser: User;
let alice: MagpieClient;
let bob: MagpieClient;

beforeAll(async () => {
  server = await startServer();
  const [a, b] = await Promise.all([server.addUser("alice", { displayName: "Alice" }), server.addUser("bob", { displayName: "Bob" })]);
  bobUser = b;
  [alice, bob] = await Promise.all([online(server, a), online(server, b)]);
});

afterAll(async () => {
  alice?.close();
  bob?.close();
  await server?.stop();
});

test("a friend request arrives as an event, and accepting it makes contacts of both", async () => {
  const requests: [string, string | undefined][] = [];
  bob.on("friend_request", (from, message) => requests.push([from, message]));
  const events: AccountEvent[] = [];
  alice.on("account_event", (event) => events.push(event));

  expect(await alice.sendFriendRequest(bob.me.account, "hi, it's alice")).toBe("requested");
  await until(bob, () => requests.length === 1, "bob hears of the request");
  expect(requests).toEqual([[alice.me.account, "hi, it's alice"]]);
  const pending = await bob.friendRequests();
  expect(pending.incoming).toMatchObject([{ account: alice.me.account, from: alice.me.account, to: bob.me.account, message: "hi, it's alice" }]);

  await bob.acceptFriendRequest(alice.me.account);
  await until(alice, () => events.some((e) => e.event.kind === "contact_added"), "alice hears that bob accepted");
  expect((await alice.contacts()).map((p) => p.display_name)).toEqual(["Bob"]);
});

test("presence and typing reach the other side", async () => {
  await until(alice, () => alice.presence(bob.me.account)?.status === "online", "alice sees bob online");
  await bob.setPresence("busy", "in a meeting");
  await until(alice, () => alice.presence(bob.me.account)?.status === "busy", "alice sees bob busy");
  expect(alice.presence(bob.me.account)?.text).toBe("in a meeting");

  const chat = (await alice.openDirect(bob.me.account)).id;
  await until(bob, () => bob.conversations().some((c) => c.id === chat), "bob learns of the chat");
  bob.typing(chat);
  await until(alice, () => alice.view(chat)?.typing.includes(bob.me.account), "alice sees bob typing");
});

test("profiles are fetched for display, and my own changes reach my other sessions", async () => {
  expect(alice.profile("nobody@localhost")).toBeUndefined();
  await until(alice, () => alice.profile(bob.me.account)?.display_name === "Bob", "bob's profile arrives");
  const found = await alice.searchAccounts("bo");
  expect(found.map((p) => p.account)).toEqual([bob.me.account]);

  await bob.updateMe({ display_name: "Robert" });
  expect(bob.me.display_name).toBe("Robert");
  const other = await online(server, bobUser);
  await bob.updateMe({ signature: "back at 3" });
  await until(other, () => other.me.signature === "back at 3", "the other session hears of the change");
  other.close();
});
