// Signing in against the real server: the device key a login stores lets the account's owner
// sign in from this device while someone else guesses its password (§5 "Login rate limits").

import { afterAll, beforeAll, expect, test } from "vitest";

import { MagpieError, login, memoryStorage } from "../src/index.ts";
import { startServer, type TestServer, type User } from "./harness.ts";

let server: TestServer;
let alice: User;

beforeAll(async () => {
  // Three failures from one address lock that address out of the account.
  server = await startServer({ env: { MAGPIE_LOGIN_FAILURES_PER_ACCOUNT_PER_IP_PER_HOUR_MAX: "3" } });
  alice = await server.addUser("alice");
});

afterAll(async () => {
  await server?.stop();
});

async function refusal(attempt: Promise<unknown>): Promise<MagpieError> {
  const error = await attempt.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MagpieError);
  return error as MagpieError;
}

test("a device that signed in before still signs in while its address is locked out of the account", async () => {
  const phone = memoryStorage();
  (await login(server.url, alice.account, alice.password, { storage: phone })).close();

  // Someone on the same address guesses until the address is locked out of the account.
  for (let i = 0; i < 3; i++) {
    expect((await refusal(login(server.url, alice.account, "wrong-guess-" + i, { storage: memoryStorage() }))).code).toBe(
      "invalid_credentials",
    );
  }
  const stranger = await refusal(login(server.url, alice.account, alice.password, { storage: memoryStorage() }));
  expect(stranger.code).toBe("rate_limited");
  expect(stranger.retryAfterSecs).toBeGreaterThan(0);

  // The phone sends the key its last login stored, also typed with other case, and gets in.
  const again = await login(server.url, alice.account.toUpperCase(), alice.password, { storage: phone });
  expect(again.me.account).toBe(alice.account);
  again.close();
  // Each login stores the newest key, which goes on working.
  (await login(server.url, alice.account, alice.password, { storage: phone })).close();
});
