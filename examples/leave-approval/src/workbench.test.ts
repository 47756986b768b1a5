// The workbench page's checks that need no server: `npm test` here (Node 22.6 or newer), or
// `npm run test:examples` in web/ (bundled with esbuild for the Node 20 the test run has).

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { test } from "node:test";
import { cookiesOf, DAYS_MAX, Expiring, isDate, pkce, readLeave } from "./workbench.ts";

test("the form is checked field by field, and nothing but its fields is read", () => {
  assert.deepEqual(readLeave({ from: "2026-12-10", days: 2, reason: "  family\n trip " }), { from: "2026-12-10", days: 2, reason: "family trip" });
  assert.deepEqual(readLeave({ from: "2026-12-10", days: 1 }), { from: "2026-12-10", days: 1, reason: "" });
  // Who applies is the session's: an applicant in the body is not even read.
  assert.deepEqual(readLeave({ from: "2026-12-10", days: 1, applicant: "boss@localhost" }), { from: "2026-12-10", days: 1, reason: "" });
  const field = (body: unknown) => {
    const read = readLeave(body);
    return "field" in read ? read.field : null;
  };
  assert.equal(field({ from: "2026-02-30", days: 1 }), "from");
  assert.equal(field({ from: "10/12/2026", days: 1 }), "from");
  assert.equal(field({ days: 1 }), "from");
  assert.equal(field({ from: "2026-12-10", days: 0 }), "days");
  assert.equal(field({ from: "2026-12-10", days: DAYS_MAX + 1 }), "days");
  assert.equal(field({ from: "2026-12-10", days: 1.5 }), "days");
  assert.equal(field({ from: "2026-12-10", days: "2" }), "days");
  assert.equal(field({ from: "2026-12-10", days: 2, reason: 7 }), "reason");
  assert.equal(field({ from: "2026-12-10", days: 2, reason: "x".repeat(201) }), "reason");
  assert.equal(field({ from: "2026-12-10", days: 2, reason: "evil\u202etxt" }), "reason");
  assert.equal(field({ from: "2026-12-10", days: 2, reason: "家人 👨‍👩‍👧 trip" }), null);
  assert.equal(field([]), "");
});

test("a date is a day of the calendar", () => {
  assert.ok(isDate("2028-02-29"));
  assert.ok(!isDate("2026-02-29"));
  assert.ok(!isDate("2026-13-01"));
  assert.ok(!isDate("2026-1-01"));
});

test("PKCE: the challenge is the verifier's S256", () => {
  const { verifier, challenge } = pkce();
  assert.equal(verifier.length, 43);
  assert.equal(challenge, createHash("sha256").update(verifier).digest("base64url"));
  assert.notEqual(pkce().verifier, verifier);
});

test("kept things expire, are taken once, and are bounded with the oldest going first", () => {
  let now = 0;
  const kept = new Expiring<number>(2, 10, () => now);
  kept.put("a", 1);
  kept.put("b", 2);
  kept.put("c", 3);
  assert.equal(kept.get("a"), undefined, "the oldest went");
  assert.equal(kept.size, 2);
  assert.equal(kept.take("b"), 2);
  assert.equal(kept.take("b"), undefined, "taken once");
  now = 10_000;
  assert.equal(kept.get("c"), undefined, "expired");
  kept.put("d", 4);
  assert.equal(kept.size, 1, "the expired went as a new one came");
});

test("cookies are read by name", () => {
  const req = { headers: { cookie: "a=1; leave_session=abc=; a=2" } } as unknown as IncomingMessage;
  const cookies = cookiesOf(req);
  assert.equal(cookies.get("a"), "1");
  assert.equal(cookies.get("leave_session"), "abc=");
});
