// Wire types that the contract does not need but the lower layers (REST, socket, sync) do.
// Like the contract's, they mirror docs/protocol.md (and crates/magpie-wire) field by field.

import type { AccountEvent, Conversation, Entry, FileType, Me, Session } from "./contract.ts";
import type { WireError } from "./errors.ts";

/** The language of the mail the server sends: `zh…` is Chinese, anything else English (§3). */
export type MailLanguage = "zh" | "en";
/** `POST /v1/auth/register` (§5): `invitation` where registration is by invitation; `email`
 * where the domain asks for one, with `email_code` where it verifies it. */
export interface RegisterRequest {
  account: string; password: string; display_name?: string; device?: string; invitation?: string; email?: string;
  email_code?: string; lang?: MailLanguage;
}
/** `POST /v1/auth/email-code` (§5): a registration code for `email`, to register in `domain`. */
export interface EmailCodeRequest { domain: string; email: string; lang?: MailLanguage }
/** `POST /v1/auth/password-reset/code` (§5). */
export interface PasswordResetCodeRequest { account: string; lang?: MailLanguage }
/** `POST /v1/auth/password-reset` (§5). */
export interface PasswordResetRequest { account: string; code: string; new_password: string }

/** `get_messages` / `GET /v1/conversations/{id}/messages` (§7.8): `after` pages forwards,
 * `before` backwards, neither gives the newest page; entries come oldest first either way. */
export interface HistoryQuery { after?: number; before?: number; limit?: number }
export interface EntryPage { entries: Entry[]; last_seq: number }

/** `sync` / `GET /v1/sync` (§7.8). */
export interface SyncRequest { events_after: number; conversations_after: number; limit?: number }
export interface SyncResponse {
  events: AccountEvent[]; events_head: number; conversations: Conversation[];
  conversations_cursor: number; more: boolean;
}

/** `send` / `POST /v1/conversations/{id}/messages` (§7.5). */
export interface SendRequest {
  client_msg_id: string; kind: string; body: Record<string, unknown>;
  mentions?: string[]; mention_all?: boolean; reply_to?: number;
  /** A thread reply: its root's seq; `broadcast` also sends it to the chat (§7.12). */
  thread?: number; broadcast?: boolean;
}

/** `PATCH /v1/conversations/{id}/threads/{root}`, `update_thread` (§7.12). */
export interface ThreadChange { following?: boolean; read_seq?: number }
/** `GET /v1/threads`, `list_threads` (§7.12). */
export interface ThreadsQuery { conversation?: number; limit?: number }
/** `GET /v1/search/messages`, `search_messages` (§7.14). */
export interface SearchMessagesQuery {
  q: string; conversation?: number; sender?: string; after_ms?: number; before_ms?: number;
  has?: "image" | "file" | "link"; mentions_me?: boolean; kind?: string; order?: "relevance" | "newest";
  limit?: number; cursor?: string;
}
/** `GET /v1/search/files`, `search_files` (§7.14): `q` may be empty when a filter narrows it. */
export interface SearchFilesQuery {
  q?: string; type?: FileType; conversation?: number; sender?: string; after_ms?: number; before_ms?: number;
  order?: "relevance" | "newest"; limit?: number; cursor?: string;
}
/** `schedule_message` / `POST /v1/conversations/{id}/scheduled` (§7.12): a send's fields
 * without `client_msg_id`, and when to send it. */
export interface ScheduleRequest {
  kind: string; body: Record<string, unknown>; mentions?: string[]; mention_all?: boolean; reply_to?: number;
  send_at_ms: number;
}

/** `list_notifications` (the notification centre): the newest page without `before`, else the
 * page older than that id; `limit` 1 to 100. */
export interface NotificationsQuery { before?: number; limit?: number; unread_only?: boolean }
/** `read_notifications`: these ids (1 to 500), or every notification with an id up to `up_to`. */
export type ReadNotificationsRequest = { ids: number[] } | { up_to: number };

export type CreateConversationRequest =
  | { kind: "direct"; peer: string }
  | { kind: "group" | "channel"; name: string; description?: string; avatar?: string; announcement?: string; members?: string[] };

export interface GroupChange { name?: string; description?: string; announcement?: string; avatar?: string; mute_all?: boolean }
/** A member's level for one conversation: `default` follows the account's. */
export type NotifyLevelChoice = "default" | "all" | "mentions" | "nothing";
/** `PATCH /v1/conversations/{id}/settings`: `unmute_at_ms` goes with `muted: true`. */
export interface SettingsChange {
  pinned?: boolean; muted?: boolean; unmute_at_ms?: number; notify_level?: NotifyLevelChoice; draft?: string;
  marked_unread?: boolean;
}
export interface ProfileChange { display_name?: string; avatar?: string; signature?: string; email?: string; phone?: string }

/** A pending friend request exactly as the server sends it (§9.1). */
export interface WirePendingRequest { from: string; to: string; message?: string; at_ms: number }

/** `POST /v1/files/{id}/link` (§10.5): a path that works without a session until it expires. */
export interface FileLink { url: string; expires_at_ms: number }

/** The first frame on every connection (§6.5). */
export interface Hello {
  session: Session; me: Me; heartbeat_interval_secs: number; idle_timeout_secs: number; frame_bytes_max: number;
}

/** Frames from the server (§6.5). */
export type ServerFrame =
  | ({ type: "hello" } & Hello)
  | { type: "reply"; id: number; data: unknown }
  | { type: "error"; id: number | null; error: WireError }
  | { type: "event"; event: string; data: unknown };

/** Why a session ended (§6.6 `session_revoked`). */
export type RevokeReason = "logout" | "revoked" | "password_changed" | "account_disabled" | "expired";

// ---- The workbench (工作台): a domain's H5 apps, and OAuth 2.0 grants to them ------------------
// A domain's administrators add apps (an H5 page, shown in the client inside a frame, and an OAuth
// 2.0 client with its redirect URIs and scopes); its members open them from the workbench and
// allow them to act for them.

/** An app of the caller's domain as its members see it. `icon` is an `http(s)://` URL if it has
 * one; `url` is the app's H5 page. */
export interface WorkbenchApp { id: number; name: string; description: string; icon?: string; url: string }
/** `GET /v1/apps`: the apps the caller may open, in the administrators' order. */
export interface WorkbenchAppList { apps: WorkbenchApp[] }

/** An app as its domain's administrators see it: the OAuth 2.0 client too (every app is a
 * confidential client: its server keeps the secret). `departments` absent: for everyone of the
 * domain; else for the people of those departments and of the departments below them. */
export interface App extends WorkbenchApp {
  client_id: string; redirect_uris: string[]; scopes: string[]; departments?: number[];
  position: number; created_at_ms: number;
}
/** `GET /v1/admin/domains/{domain}/apps`, `PUT …/apps/order`: the domain's apps, in order. */
export interface AppList { apps: App[] }
/** `POST /v1/admin/domains/{domain}/apps`. */
export interface CreateAppRequest {
  name: string; description?: string; icon?: string | null; url: string; redirect_uris: string[]; scopes: string[];
  departments?: number[] | null;
}
/** The app made, and its secret: shown this once. */
export interface CreatedApp { app: App; client_secret: string }
/** `PATCH /v1/admin/apps/{id}`: the fields to change; `icon: null` clears it, `departments: null`
 * opens it to everyone. */
export interface UpdateAppRequest {
  name?: string; description?: string; icon?: string | null; url?: string; redirect_uris?: string[]; scopes?: string[];
  departments?: number[] | null;
}
/** `PUT /v1/admin/domains/{domain}/apps/order`: every app of the domain, in the new order. */
export interface AppOrderRequest { apps: number[] }
/** `POST /v1/admin/apps/{id}/secret`: the new secret (the old one stops working). */
export interface AppSecret { client_secret: string }

/** An OAuth 2.0 authorization request (with PKCE) as an app sends the browser to
 * `/oauth/authorize`: `GET /v1/oauth/authorize` asks about it (as its query), `POST` grants it
 * (as its body). `scope` is space-separated (absent: the server's default, `profile`); `state`
 * goes back to the app as it came. */
export interface AuthorizeRequest {
  response_type: string; client_id: string; redirect_uri: string; scope?: string; state?: string;
  code_challenge: string; code_challenge_method: string;
}
/** `GET /v1/oauth/authorize`: the app, the scopes it asks for, whether the caller granted them all
 * before, and where to send the browser when the caller refuses (the redirect URI with
 * `error=access_denied`). */
export interface AuthorizeInfo { app: WorkbenchApp; scopes: string[]; granted: boolean; deny_redirect: string }
/** `POST /v1/oauth/authorize`: the redirect URI with the code and the state. */
export interface AuthorizeRedirect { redirect: string }
/** An app the caller allowed, with what and when. */
export interface AppGrant { app: WorkbenchApp; scopes: string[]; granted_at_ms: number }
/** `GET /v1/apps/grants`. */
export interface AppGrantList { grants: AppGrant[] }
