// What comes before a session (docs/protocol.md §5): what registering in a domain takes, email
// verification codes, and resetting a forgotten password. None of these needs a token.
//
// These endpoints are newer than some servers: `domainRegistration` answers null where the
// server does not know the endpoint, so that a sign-up form can fall back to asking for what
// any mode might need. The others report such a server's answer as it is (`not_found`).

import type { CodeSent, SignupInfo } from "./contract.ts";
import { MagpieError } from "./errors.ts";
import { RestClient } from "./rest.ts";
import type { MailLanguage } from "./wire.ts";

export type { MailLanguage };

/** Whether an error says that the server has no such endpoint (an older server). */
export function isMissingEndpoint(error: unknown): boolean {
  return error instanceof MagpieError && (error.code === "not_found" || error.code === "method_not_allowed");
}

/** `GET /v1/auth/domains/{domain}`: who may register in `domain` and what it takes; a domain
 * that does not exist reads as `closed`. Null when the server cannot say (it predates the
 * endpoint). A field that a server of the endpoint's first versions leaves out
 * (`members_invite`, `members_make_bots`) reads as off. */
export async function domainRegistration(baseUrl: string, domain: string): Promise<SignupInfo | null> {
  try {
    const answer: Partial<SignupInfo> = await new RestClient(baseUrl).signupInfo(domain);
    return {
      domain: answer.domain ?? domain,
      registration: answer.registration ?? "closed",
      email_verification: answer.email_verification ?? false,
      email_domains: answer.email_domains ?? [],
      password_reset: answer.password_reset ?? false,
      members_invite: answer.members_invite ?? false,
      members_make_bots: answer.members_make_bots ?? false,
    };
  } catch (error) {
    if (isMissingEndpoint(error)) return null;
    throw error;
  }
}

/** `POST /v1/auth/email-code`: mails a code for registering in `domain` with `email`. Fails with
 * `registration_closed`, `invalid_field` (field `email`, also for an address whose domain the
 * domain does not allow), `rate_limited` (`retryAfterSecs`) or `unavailable`. */
export function requestEmailCode(baseUrl: string, domain: string, email: string, lang?: MailLanguage): Promise<CodeSent> {
  return new RestClient(baseUrl).requestEmailCode({ domain, email, lang });
}

/** `POST /v1/auth/password-reset/code`: asks for a reset code to be mailed to the account's
 * email. The answer is the same whether or not the account exists or has an email. */
export function requestPasswordReset(baseUrl: string, account: string, lang?: MailLanguage): Promise<CodeSent> {
  return new RestClient(baseUrl).requestPasswordReset({ account, lang });
}

/** `POST /v1/auth/password-reset`: sets a new password with the mailed code; every session of
 * the account is revoked. A wrong, expired or used code is `invalid_field` (field `code`); a
 * password too weak, `invalid_field` (field `password`). */
export function resetPassword(baseUrl: string, account: string, code: string, newPassword: string): Promise<void> {
  return new RestClient(baseUrl).resetPassword({ account, code, new_password: newPassword });
}
