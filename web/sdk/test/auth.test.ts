// What comes before a session (§5): what a domain's registration takes, email codes, password
// resets and registering with an invitation or a verified email. These tests answer for the
// server with a stand-in fetch that checks each request as the protocol describes it, and play
// the servers that predate the endpoints; a code that arrives by mail is the browser suite's
// (web/e2e/tests/mail.spec.ts, against a real SMTP server), and org.test.ts covers the rest
// against the real server.

import { afterEach, expect, test, vi } from "vitest";

import {
  MagpieError, domainRegistration, memoryStorage, requestEmailCode, requestPasswordReset, resetPassword, signUp,
} from "../src/index.ts";

interface Seen { method: string; url: string; body: unknown }

/** Answers every request with `respond`, and records what was asked. */
function server(respond: (seen: Seen) => { status: number; body?: unknown }): Seen[] {
  const seen: Seen[] = [];
  vi.stubGlobal("fetch", async (url: string, init: RequestInit) => {
    const request = { method: init.method ?? "GET", url, body: init.body === undefined ? undefined : JSON.parse(String(init.body)) };
    seen.push(request);
    const { status, body } = respond(request);
    return new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
  });
  return seen;
}

const notFound = { status: 404, body: { error: { code: "not_found", message: "no such endpoint" } } };

afterEach(() => {
  vi.unstubAllGlobals();
});

test("a domain's registration is asked without a token, and a server without the endpoint answers null", async () => {
  const info = {
    domain: "acme.example", registration: "invitation", email_verification: true, email_domains: ["acme.com"], password_reset: true,
    members_invite: true, members_make_bots: true,
  };
  const seen = server(() => ({ status: 200, body: info }));
  expect(await domainRegistration("https://chat.example", "acme.example")).toEqual(info);
  expect(seen).toEqual([{ method: "GET", url: "https://chat.example/v1/auth/domains/acme.example", body: undefined }]);

  // A server from before members' invitations (or bots) leaves `members_invite` (or
  // `members_make_bots`) out: nobody but administrators invites (or makes bots) there.
  server(() => ({ status: 200, body: { ...info, members_invite: undefined, members_make_bots: undefined } }));
  expect(await domainRegistration("", "acme.example")).toEqual({ ...info, members_invite: false, members_make_bots: false });

  server(() => notFound);
  expect(await domainRegistration("", "acme.example")).toBeNull();

  // Other failures are failures.
  server(() => ({ status: 503, body: { error: { code: "unavailable", message: "busy" } } }));
  await expect(domainRegistration("", "acme.example")).rejects.toMatchObject({ code: "unavailable" });
});

test("an email code is asked for with the domain, the address and the language, and a refusal says why", async () => {
  const seen = server(() => ({ status: 202, body: { expires_in_secs: 600, resend_after_secs: 60 } }));
  expect(await requestEmailCode("", "acme.example", "ann@acme.com", "zh")).toEqual({ expires_in_secs: 600, resend_after_secs: 60 });
  expect(seen).toEqual([{ method: "POST", url: "/v1/auth/email-code", body: { domain: "acme.example", email: "ann@acme.com", lang: "zh" } }]);

  server(() => ({ status: 429, body: { error: { code: "rate_limited", message: "slow down", retry_after_secs: 42 } } }));
  const limited = await requestEmailCode("", "acme.example", "ann@acme.com").catch((e: unknown) => e);
  expect(limited).toBeInstanceOf(MagpieError);
  expect(limited).toMatchObject({ code: "rate_limited", retryAfterSecs: 42 });

  server(() => ({ status: 422, body: { error: { code: "invalid_field", message: "email: not allowed", field: "email" } } }));
  await expect(requestEmailCode("", "acme.example", "ann@gmail.com")).rejects.toMatchObject({ code: "invalid_field", field: "email" });
});

test("a password reset asks for a code (202, the same answer whether or not a mail goes), then sets the password with it", async () => {
  const sent = { expires_in_secs: 600, resend_after_secs: 60 };
  const seen = server(({ url }) => (url.endsWith("/code") ? { status: 202, body: sent } : { status: 204 }));
  expect(await requestPasswordReset("", "ann@acme.example", "en")).toEqual(sent);
  await resetPassword("", "ann@acme.example", "123456", "plum lantern orbit ann");
  expect(seen).toEqual([
    { method: "POST", url: "/v1/auth/password-reset/code", body: { account: "ann@acme.example", lang: "en" } },
    { method: "POST", url: "/v1/auth/password-reset", body: { account: "ann@acme.example", code: "123456", new_password: "plum lantern orbit ann" } },
  ]);

  server(() => ({ status: 422, body: { error: { code: "invalid_field", message: "code: wrong or expired", field: "code" } } }));
  await expect(resetPassword("", "ann@acme.example", "000000", "plum lantern orbit ann")).rejects.toMatchObject({ code: "invalid_field", field: "code" });
});

test("registering sends the invitation and the verified email, and a 202 is an application", async () => {
  const seen = server(() => ({ status: 202, body: { account: "ann@acme.example" } }));
  const result = await signUp("", "ann@acme.example", "plum lantern orbit ann", {
    displayName: "Ann", invitation: "inv_x", email: "ann@acme.com", emailCode: "123456", lang: "zh", storage: memoryStorage(),
  });
  expect(result).toEqual({ kind: "pending", account: "ann@acme.example" });
  expect(seen[0]!.body).toEqual({
    account: "ann@acme.example", password: "plum lantern orbit ann", display_name: "Ann", invitation: "inv_x",
    email: "ann@acme.com", email_code: "123456", lang: "zh",
  });

  server(() => ({ status: 422, body: { error: { code: "invalid_field", message: "email_code: wrong", field: "email_code" } } }));
  await expect(signUp("", "ann@acme.example", "plum lantern orbit ann", { storage: memoryStorage() })).rejects.toMatchObject({ field: "email_code" });
});
