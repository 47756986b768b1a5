// Every failure the SDK reports is a MagpieError: a typed error from the server (its stable
// `code`, docs/protocol.md §2), or `network` when no answer came at all. This module also
// holds the one split that the outbox and the reconnect loop act on (§8.7): a typed refusal
// means "this will never succeed as it is", anything else means "try again".

import type { ErrorCode, MagpieErrorShape } from "./contract.ts";

/** Every code the server may send (docs/protocol.md §2). A code outside this list comes from a
 * newer server and is reported as `unknown`, as the protocol asks of client libraries. */
const KNOWN_CODES: ReadonlySet<string> = new Set<ErrorCode>([
  "malformed_request", "invalid_field", "unauthenticated", "invalid_credentials",
  "account_disabled", "forbidden", "not_found", "method_not_allowed", "already_exists",
  "conflict", "checksum_mismatch", "rate_limited", "registration_closed", "approval_pending", "registration_rejected", "too_large",
  "limit_exceeded", "malformed_frame", "unknown_frame_type", "unavailable", "internal", "app_failed",
]);

/** Refusals after which the request was not stored and never will be (§8.7 step 4). */
const TYPED_REFUSALS: ReadonlySet<MagpieErrorShape["code"]> = new Set<MagpieErrorShape["code"]>([
  "invalid_field", "too_large", "forbidden", "not_found", "already_exists", "limit_exceeded",
  "malformed_request",
]);

/** The error object of a REST error body or a WebSocket `error` frame. */
export interface WireError {
  code: string;
  message: string;
  field?: string;
  retry_after_secs?: number;
}

export class MagpieError extends Error implements MagpieErrorShape {
  override name = "MagpieError";
  code: MagpieErrorShape["code"];
  status?: number;
  field?: string;
  retryAfterSecs?: number;

  constructor(
    code: MagpieErrorShape["code"],
    message: string,
    details: { status?: number; field?: string; retryAfterSecs?: number; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    if (details.status !== undefined) this.status = details.status;
    if (details.field !== undefined) this.field = details.field;
    if (details.retryAfterSecs !== undefined) this.retryAfterSecs = details.retryAfterSecs;
  }

  /** No answer came: the request may or may not have been carried out. */
  static network(message: string, cause?: unknown): MagpieError {
    return new MagpieError("network", message, { cause });
  }

  /** The server's error object, from a REST body (with its HTTP status) or an `error` frame. */
  static fromWire(error: WireError, status?: number): MagpieError {
    const code = KNOWN_CODES.has(error.code) ? (error.code as ErrorCode) : "unknown";
    return new MagpieError(code, error.message, {
      status,
      field: error.field,
      retryAfterSecs: error.retry_after_secs,
    });
  }

  /** The plain-data form the outbox persists; `fromJSON` restores it. */
  toJSON(): { code: string; message: string; status?: number; field?: string; retryAfterSecs?: number } {
    return { code: this.code, message: this.message, status: this.status, field: this.field, retryAfterSecs: this.retryAfterSecs };
  }

  static fromJSON(data: { code: string; message: string; status?: number; field?: string; retryAfterSecs?: number }): MagpieError {
    const code = data.code === "network" || KNOWN_CODES.has(data.code) ? (data.code as MagpieErrorShape["code"]) : "unknown";
    return new MagpieError(code, data.message, data);
  }
}

/** Whether the server refused the request for good: retrying it unchanged cannot succeed. */
export function isTypedRefusal(error: unknown): boolean {
  return error instanceof MagpieError && TYPED_REFUSALS.has(error.code);
}

/** Whether the error says that the session token is dead (logged out, revoked, expired, or
 * the account disabled): nothing more can be done with it. */
export function isSessionEnded(error: unknown): boolean {
  return error instanceof MagpieError && (error.code === "unauthenticated" || error.code === "account_disabled");
}

/** Any thrown value as a MagpieError; what is not one already is a transport failure. */
export function asMagpieError(error: unknown): MagpieError {
  if (error instanceof MagpieError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return MagpieError.network(message, error);
}
