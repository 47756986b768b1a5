// The public surface of @magpie/sdk that the web app (web/app) is written against.
//
// This file is the agreement between the SDK and the app: the SDK implements it (index.ts
// re-exports the real classes, which must satisfy these interfaces), and the app imports only
// what is exported from "@magpie/sdk". Wire types mirror docs/protocol.md exactly (snake_case
// field names, as on the wire); everything the SDK adds on top is camelCase.

import type {
  App, AppGrant, AppSecret, AuthorizeInfo, AuthorizeRedirect, AuthorizeRequest, CreateAppRequest, CreatedApp, SearchFilesQuery,
  SearchMessagesQuery, SettingsChange, UpdateAppRequest, WorkbenchApp,
} from "./wire.ts";

// ---- Wire types (docs/protocol.md §5, §7.2, §9, §10) ------------------------------------

export type ErrorCode =
  | "malformed_request" | "invalid_field" | "unauthenticated" | "invalid_credentials"
  | "account_disabled" | "forbidden" | "not_found" | "method_not_allowed" | "already_exists"
  | "conflict" | "checksum_mismatch" | "rate_limited" | "registration_closed" | "approval_pending" | "registration_rejected" | "too_large"
  | "limit_exceeded" | "malformed_frame" | "unknown_frame_type" | "unavailable" | "internal" | "app_failed";

export interface Me {
  account: string; display_name: string; signature?: string; avatar?: string; email?: string; phone?: string;
  /** A bot's own account (its token's `GET /v1/me`); absent for people. */
  bot?: boolean;
  role: "member" | "domain_admin" | "server_admin"; created_at_ms: number;
}
export interface Profile {
  account: string; display_name: string; signature?: string; avatar?: string; email?: string; phone?: string;
  /** The account is a bot (an app's, §5 "Bots"): show a badge by its name. Absent for people. */
  bot?: boolean;
}
export interface Session {
  id: number; device?: string; ip?: string; created_at_ms: number; last_seen_at_ms: number;
  expires_at_ms: number; current: boolean;
}
export interface LoginResponse { token: string; session: Session; me: Me; device_key: string }

export type ConversationKind = "direct" | "group" | "channel";
export type Role = "owner" | "admin" | "member";
export interface Conversation {
  id: number; kind: ConversationKind; peer?: string; name?: string; description?: string;
  avatar?: string; announcement?: string; mute_all: boolean; member_count: number;
  last_seq: number; activity: number; last_activity_ms: number; created_at_ms: number;
  /** Retention deleted the entries up to this seq (absent: none); a device drops what it holds of them. */
  pruned_through?: number;
  me: {
    role: Role; joined_seq: number; read_seq: number; delivered_seq: number; pinned: boolean;
    muted: boolean; draft?: string; muted_until_ms?: number; marked_unread?: boolean;
    /** When a timed mute of the caller's ends by itself (absent: muted for good, or not muted). */
    unmute_at_ms?: number;
    /** The caller's notification level here; absent: the account's. */
    notify_level?: NotifyLevel;
  };
  last_message?: Entry; unread: number; mentions: number;
}
export interface Member {
  account: string; role: Role; joined_seq: number; read_seq: number; delivered_seq: number;
  muted_until_ms?: number;
}
/** The `marks` event (§6.6): members' marks that passed my messages in a group, as they now are. */
export interface MemberMarks { account: string; read_seq: number; delivered_seq: number }
export interface Marks { conversation: number; members: MemberMarks[] }
export interface Reaction { emoji: string; accounts: string[] }
export interface Entry {
  conversation: number; seq: number; id: number; sender: string; client_msg_id?: string;
  kind: string; body: Record<string, unknown> | null; target?: number; mentions?: string[];
  mention_all?: boolean; reply_to?: number;
  /** A thread reply: its root's seq, and whether it was also sent to the chat (§7.12). */
  thread?: number; broadcast?: boolean;
  /** On a root, in fetched history: its replies so far. */
  thread_summary?: ThreadSummary;
  forwarded_from?: { conversation: number; seq: number; sender: string; at_ms: number };
  at_ms: number; edited_at_ms?: number; recalled_at_ms?: number; reactions?: Reaction[];
  hidden?: boolean;
}
export interface ThreadSummary { replies: number; last_seq: number; last_at_ms: number }
export interface Ack { conversation: number; seq: number; id: number; at_ms: number; duplicate: boolean }
/** A pinned message (§7.5 "Pinning"): the message as it is now, who pinned it and when. */
export interface Pin { entry: Entry; pinned_by: string; pinned_at_ms: number }
/** A saved message (§7.11): a copy of the message as it was when saved; `body` is null once
 * the message was recalled (`recalled_at_ms`). */
export interface SavedItem {
  id: number; conversation: number; conversation_kind: ConversationKind; conversation_name?: string; peer?: string;
  seq: number; sender: string; kind: string; body: Record<string, unknown> | null; at_ms: number; note?: string;
  saved_at_ms: number; recalled_at_ms?: number;
}
export interface SavedPage { items: SavedItem[]; more: boolean }
/** A followed thread as the list gives it (§7.12): its root as it is now, with its summary, and
 * the caller's follow, read mark and unread replies in it. */
export interface Thread { conversation: number; root: Entry; following: boolean; read_seq: number; unread: number }
/** A page of one thread (§7.12): the root and replies as they are now, oldest first, and the
 * caller's follow and read mark. */
export interface ThreadPage { root: Entry; entries: Entry[]; following: boolean; read_seq: number }
/** A message the account scheduled (§7.12), which the server sends at `send_at_ms` as from the
 * device that scheduled it, with `client_msg_id` `scheduled:<id>`. `failed` when its send was
 * refused at its time (`failure` says why); once sent it is no longer scheduled. */
export interface ScheduledMessage {
  id: number; conversation: number; kind: string; body: Record<string, unknown>; mentions?: string[];
  mention_all?: boolean; reply_to?: number; send_at_ms: number; created_at_ms: number; updated_at_ms: number;
  state: "pending" | "failed"; failure?: ScheduledFailure;
}
/** Why a scheduled message's send failed: the error the send got (`unknown` for a code this SDK
 * does not know, as in MagpieError). */
export interface ScheduledFailure { code: ErrorCode | "unknown"; message: string; at_ms: number }
/** A change to a scheduled message (§7.12 `PATCH /v1/scheduled/{id}`); at least one field. */
export interface ScheduledChange { send_at_ms?: number; body?: Record<string, unknown>; mentions?: string[]; mention_all?: boolean }
/** How much an account wants to be told (§5 `GET /v1/me/notifications`): every message, only
 * direct messages, mentions, `@all` and keywords, or nothing. */
export type NotifyLevel = "all" | "mentions" | "nothing";
/** Do-not-disturb hours in the account's time zone, as minutes after midnight (0–1439); across
 * midnight when `from_min` is greater than `to_min`; the two differ. */
export interface QuietHours { from_min: number; to_min: number }
/** The account's notification preferences, the same on all its devices (§5
 * `GET`/`PUT /v1/me/notifications`). A `PUT` sets them whole; `quiet` is left out when there
 * are no quiet hours. */
export interface NotificationPrefs {
  level: NotifyLevel; quiet?: QuietHours; time_zone: string; keywords: string[]; preview: boolean;
  email_digest: boolean; digest_after_mins: number;
  /** The language mail to the account is written in (`zh…` Chinese, else English); `""`: the
   * one it registered with. */
  language: string;
}
/** How this server pushes to devices whose sockets are closed (§5 "Push", `GET /v1/push/config`):
 * the kinds of target it takes, the VAPID key a browser subscribes with (absent when Web Push
 * is off) and its push gateways' names. */
export interface PushConfig { kinds: string[]; vapid_public_key?: string; gateways: string[] }
/** A browser's subscription keys, as `PushSubscription.toJSON()` gives them (base64url). */
export interface WebPushKeys { p256dh: string; auth: string }
/** `POST /v1/me/push-targets`: this device, registered under the calling session. */
export type PushTargetRequest =
  | { kind: "web_push"; endpoint: string; keys: WebPushKeys }
  | { kind: "gateway"; gateway: string; app_id: string; pushkey: string }
  | { kind: "apns"; token: string }
  | { kind: "fcm"; token: string };
/** A device registered for pushes; `label` tells devices apart (tokens are never echoed),
 * `current` marks the calling session's. */
export interface PushTargetInfo { id: number; kind: string; label: string; current: boolean; created_at_ms: number }
/** A push given up, or a device dropped because its push service said it is gone. */
export interface PushFailureInfo {
  id: number; at_ms: number; account: string; kind: string; target_dropped: boolean; error: string; attempts: number;
}
export interface PushFailureList { failures: PushFailureInfo[]; outbox_len: number }
export interface AccountEvent { seq: number; at_ms: number; event: { kind: string; [field: string]: unknown } }
/** What an in-app notification is about (the notification centre): someone mentioned the account
 * (or `@all`), replied to its message, reacted to its message, asked to become its contact, applied
 * for an account in a domain it administers, or an announcement (a group's, or an administrator's
 * to the whole domain). */
export type NotificationKind = "mention" | "reply" | "reaction" | "friend_request" | "application" | "announcement" | "app_disabled";
/** One item of the account's notification centre, the same on all its devices; ids increase, the
 * newest first in lists. `actor`/`actor_name`: who did it and their name at the time;
 * `conversation` (mention, reply, reaction, a group's announcement) with its name for groups and
 * channels, `direct` for a direct chat; `seq`: the new message (mention, reply) or the account's
 * own message that was reacted to; `emoji` (reaction); `text`: a one-line preview. */
export interface Notification {
  id: number; kind: NotificationKind; at_ms: number; read: boolean; actor?: string; actor_name?: string;
  conversation?: number; conversation_name?: string; direct?: boolean; seq?: number;
  /** The root of the thread the message is a reply in: open the thread there. */
  thread?: number; emoji?: string; text?: string;
}
/** A page of notifications, newest first; `more` while older ones remain; `unread`: how many of
 * all the account's notifications are unread (the badge), whatever the page holds. */
export interface NotificationPage { items: Notification[]; more: boolean; unread: number }
/** How many of the account's notifications are unread, after marking some read. */
export interface NotificationsUnread { unread: number }
/** `POST /v1/admin/announcements`: an administrator's announcement to every member of a domain
 * (the caller's own when `domain` is left out), 1 to 2,000 characters. */
export interface AnnouncementRequest { text: string; domain?: string }
/** How many people an announcement reached. */
export interface AnnouncementSent { notified: number }
/** The account events of the notification centre (§6.6), as the server sends them: an item was
 * added; items were read on one of the account's devices (those in `ids`, and every item up to
 * `up_to` when it is not null); items were removed (their message was recalled). */
export type NotificationEvent =
  | { kind: "notification_added"; notification: Notification }
  | { kind: "notifications_read"; ids: number[]; up_to: number | null }
  | { kind: "notifications_removed"; ids: number[] };
export interface Receipts { read: string[]; delivered: string[]; unread: string[] }
export type PresenceStatus = "online" | "away" | "busy" | "offline";
export interface Presence { account: string; status: PresenceStatus; text?: string; last_seen_ms?: number }
/** A pending friend request as the server sends it (`from`, `to`, `message`, `at_ms`), plus
 * `account`, added by the SDK: the other side (`from` for incoming, `to` for outgoing). */
export interface PendingFriendRequest { account: string; from: string; to: string; message?: string; at_ms: number }
export interface FriendRequests { incoming: PendingFriendRequest[]; outgoing: PendingFriendRequest[] }
/** What a conversation shares, as its "files" tab lists it (§7.10). */
export type SharedKind = "image" | "file" | "link";
/** A page of shared items, newest first; `next_before` while more may follow. */
export interface SharedPage { entries: Entry[]; next_before?: number }
/** Where a search matched in a message's text (§7.14): `highlights` are `[start, end]` pairs,
 * end excluded, of offsets in characters of `text` (as `Array.from(text)` counts them). */
export interface Snippet { text: string; highlights: number[][]; cut_start: boolean; cut_end: boolean }
/** A message found by a search, with the message as it is now (§7.14). */
export interface SearchResult {
  conversation: number; seq: number; sender: string; at_ms: number; snippet: Snippet; entry: Entry;
  /** The type of the message's first file (or of the type a files search asked for), §7.16. */
  file_type?: FileType;
}
/** What a file is, by its message's kind or its name's extension (§7.16). */
export type FileType = "image" | "video" | "audio" | "document" | "spreadsheet" | "presentation" | "archive" | "other";
/** A page of search results; `next` while more may follow, `total` over every page. */
export interface SearchMessagesPage { results: SearchResult[]; total: number; next?: string }
/** A page of files found (§7.16): the messages that share them, each result with its `file_type`. */
export type SearchFilesPage = SearchMessagesPage;
/** How a person or a group was found: by its name, the pinyin of its name (`zhangsan`), its
 * initials (`zs`), or (people) its login name, email or phone. */
export type SearchMatch = "name" | "login" | "pinyin" | "initials" | "email" | "phone";
/** A person of the caller's domain found by search_people, best match first. */
export interface PersonMatch { profile: Profile; matched: SearchMatch }
/** A group or channel of the caller's found by search_groups, best match first (`kind` is
 * `group` or `channel`; `matched` is `name`, `pinyin` or `initials`). */
export interface GroupMatch { conversation: number; kind: ConversationKind; title: string; matched: SearchMatch }
/** What a web page says of itself, fetched by the server (§7.10). */
export interface LinkPreview {
  url: string; title?: string; description?: string; site_name?: string;
  image?: { width: number; height: number; blurhash?: string };
  fetched_at_ms: number;
}

// ---- Organisation, registration and administration (§4, §5, §11) ------------------------

/** Who may register in a domain (§5 `POST /v1/auth/register`). */
export type RegistrationMode = "closed" | "open" | "invitation" | "approval";
/** A domain as its administrators see it. */
export interface DomainInfo {
  name: string; registration: RegistrationMode; direct_requires_friendship?: boolean; created_at_ms: number;
  email_verification?: boolean; email_domains?: string[]; members_invite?: boolean;
  /** Members, not only administrators, may make bots (at most 10 each); absent from servers
   * that predate bots. */
  members_make_bots?: boolean;
}
/** A change to a domain's settings (`PATCH /v1/admin/domains/{domain}`); absent fields stay. */
export interface DomainChange {
  registration?: RegistrationMode; direct_requires_friendship?: boolean;
  email_verification?: boolean; email_domains?: string[]; members_invite?: boolean; members_make_bots?: boolean;
}
/** What registering in a domain takes, asked before signing up (`GET /v1/auth/domains/{domain}`,
 * no token). A domain that does not exist reads as `closed`. `password_reset`: whether this
 * server mails password-reset codes; `members_invite` and `members_make_bots`: whether the
 * domain's members (not only its administrators) may make invitation codes, and bots. */
export interface SignupInfo {
  domain: string; registration: RegistrationMode; email_verification: boolean; email_domains: string[]; password_reset: boolean;
  members_invite: boolean; members_make_bots: boolean;
}
/** `POST /v1/auth/email-code` and `POST /v1/auth/password-reset/code`: a code is on its way (or,
 * for a reset, would be: the answer is the same whether or not the account has an email). It
 * stays good for `expires_in_secs`; another may be asked for after `resend_after_secs`. */
export interface CodeSent { expires_in_secs: number; resend_after_secs: number }
/** `POST /v1/auth/register` in a domain whose registration needs approval (`202`). */
export interface ApplicationPending { account: string }

/** A department of the caller's domain (§11). `member_count`: people in it; `total_count`: in it
 * and in every department below it. */
export interface Department {
  id: number; parent?: number; name: string; position: number; manager?: string; member_count: number; total_count: number;
  /** Its chat, if it has one: a group whose members follow the department's people (§11 "Department chats"). */
  chat?: number;
}
/** One step of a department's path from the top of the tree. */
export interface PathStep { id: number; name: string }
export interface DepartmentMember { profile: Profile; title?: string }
/** A department a person is in, with the path to it, their title there and its manager. */
export interface Placement { department: number; path: PathStep[]; title?: string; manager?: string }
/** Where a person sits (`GET /v1/org/people/{account}`): each department they are in, and their
 * own manager (from the directory, or set by an administrator), which may be none of the
 * departments' managers. */
export interface Placements { departments: Placement[]; manager?: string }
/** A department found by name, its pinyin or initials. */
export interface DepartmentMatch { department: number; path: PathStep[]; matched: SearchMatch }
export interface NewDepartment { name: string; parent?: number; position?: number; manager?: string }
/** `parent: null` moves it to the top of the tree, `manager: null` clears its manager; `chat`
 * `true` makes its chat (with everyone in it), `false` dissolves it. */
export interface DepartmentChange { name?: string; parent?: number | null; position?: number; manager?: string | null; chat?: boolean }

/** An account as its administrators see it. */
export interface AdminAccount extends Profile { role: Me["role"]; disabled: boolean; created_at_ms: number }
/** A live invitation to register (the code itself is shown only when it is made). */
export interface Invitation {
  id: number; note?: string; uses: number; uses_max: number; expires_at_ms: number; created_at_ms: number; created_by?: string;
}
export interface NewInvitation { uses_max?: number; ttl_secs?: number; note?: string }
export interface CreatedInvitation { invitation: Invitation; code: string }
/** An account waiting for an administrator's approval. */
export interface Application { account: AdminAccount; applied_at_ms: number }

/** Which directory attribute holds what (§11.4). */
export interface LdapAttributes {
  login: string; display_name: string; email: string; phone: string; title: string; manager: string; department?: string;
}
/** One change of a directory sync. `op` is one of those §11.4 lists (a newer server may send
 * others); `group` names a group (for `rename_group` the new name, `from` the old one);
 * `manager` is `set_manager`'s new manager, absent when cleared. */
export interface LdapChange {
  op: string; account?: string; department?: string; display_name?: string; dn?: string; fields?: string[]; reason?: string; title?: string;
  group?: string; from?: string; manager?: string;
}
/** What a sync did (or, dry, would do). The group and manager counts and `incremental` are left
 * out by servers that predate directory groups, and so by a report such a server kept. */
export interface LdapSyncReport {
  dry_run: boolean; people_seen: number; accounts_created: number; accounts_updated: number; accounts_disabled: number;
  accounts_enabled: number; departments_created: number; memberships_set: number; memberships_removed: number; skipped: number;
  changes: LdapChange[];
  incremental?: boolean; managers_set?: number; groups_seen?: number; groups_created?: number; groups_renamed?: number;
  groups_dissolved?: number; group_members_added?: number; group_members_removed?: number;
}
/** The last real (not dry) sync of a domain: when it ended, whether it was incremental, and the
 * report it answered or the error it failed with. */
export interface LdapLastSync { at_ms: number; incremental: boolean; error?: string; report?: LdapSyncReport }
/** Which directory groups a source follows, each as a Magpie group (§11.4): where they are
 * searched (the source's `base_dns` when empty), the filter, the attributes that list members
 * and the one that names a group. `{}` follows groups with all the defaults. */
export interface LdapGroupMap { base_dns?: string[]; filter?: string; member_attributes?: string[]; name?: string }
/** A domain's directory source, without its password. */
export interface LdapSource {
  url: string; starttls: boolean; bind_dn: string; bind_password_set: boolean; base_dns: string[]; people_filter: string;
  disabled_filter?: string; attributes: LdapAttributes; login_enabled: boolean; sync_interval_secs: number;
  groups?: LdapGroupMap; last_sync?: LdapLastSync;
}
/** `PUT /v1/admin/domains/{domain}/ldap`: a missing `bind_password` keeps the stored one; a
 * missing `groups` follows no groups. */
export interface LdapSourceChange {
  url: string; starttls?: boolean; bind_dn?: string; bind_password?: string; base_dns: string[]; people_filter?: string;
  disabled_filter?: string; attributes?: LdapAttributes; login_enabled?: boolean; sync_interval_secs?: number; groups?: LdapGroupMap;
}
export interface LdapTestResult { people: number }

/** Who did an administrative action, as the audit log kept it at that moment: the account's
 * address (for `operator`, the operating-system user that ran `magpie admin` on the server), its
 * role then, and the session the request came with (none from the command line). */
export interface AuditActorInfo { name: string; role: AuditRole; session?: number }
/** `operator`: the server's command line (`magpie admin`). */
export type AuditRole = "server_admin" | "domain_admin" | "member" | "operator";
/** One record of the audit log: an administrative action that was done. `action` is a stable
 * `<area>.<verb>` name (`account.create`, `domain.registration`, `department.update`, …; a newer
 * server may add others); `target` names what was acted on, for people (an address, a domain,
 * `department 7 (Sales)`); `before` and `after` hold the fields the action changed, as they were
 * (absent when the thing did not exist) and as they are after it (absent when it is gone).
 * `domain` is absent for deployment-wide actions (a new domain). */
export interface AuditRecordInfo {
  id: number; at_ms: number; domain?: string; actor: AuditActorInfo; ip?: string; action: string; target: string;
  before?: Record<string, unknown>; after?: Record<string, unknown>;
}
/** A page of the audit log, newest first; `next_before` (the `before` of the next, older page)
 * while more may follow. */
export interface AuditRecordList { records: AuditRecordInfo[]; next_before?: number }
/** Which records to read (`GET /v1/admin/audit`); every field narrows. `domain`: a domain's
 * records (a domain administrator always reads only their own domain's, and naming another is
 * `not_found`); `deployment_only`: only the records of no domain (server administrators);
 * `actor` and `target`: a case-insensitive part of the actor's name or of the target; `action`:
 * an action, or an area (`account` matches `account.*`); `since` (included) and `until`
 * (excluded): ms since the epoch; `before`: the `next_before` of the page before; `limit`: 1 to
 * 200 (the server's default 50). */
export interface AuditQuery {
  domain?: string; actor?: string; action?: string; target?: string; since?: number; until?: number; deployment_only?: boolean;
  before?: number; limit?: number;
}
/** The filters of an export (`GET /v1/admin/audit/export`): a query without paging. */
export type AuditExportQuery = Omit<AuditQuery, "before" | "limit">;

/** An account's role in its domain, lowest first: `member`, `domain_admin`, `server_admin`. */
export type AccountRole = Me["role"];
/** Which accounts to list (`GET /v1/admin/accounts`), by login name: `domain` (the caller's own
 * if absent; a domain administrator has only their own, and naming another is `not_found`);
 * `q`, a part of the login or display name in any case (at most 64 characters); `after`, the
 * login name (without `@domain`) of the previous page's last; `limit`, 1 to 100 (the server's
 * default 50). A page shorter than `limit` is the last. */
export interface AdminAccountQuery { domain?: string; q?: string; after?: string; limit?: number }
/** `POST /v1/admin/accounts`: `account` is `name@domain`; `display_name` is the login name if
 * absent; `role` is `member` if absent, and not above the caller's own. */
export interface NewAccount { account: string; password: string; display_name?: string; role?: AccountRole }
/** `PATCH /v1/admin/accounts/{account}`: absent fields stay. Nobody changes their own role or
 * hands out one above their own. */
export interface AccountChange { display_name?: string; role?: AccountRole }
/** The answer to `POST /v1/admin/accounts/{account}/password`: the password the server made when
 * the request gave none, shown only this once. */
export interface PasswordReset { password?: string }
/** One account of an import: `account` is a login name or `name@domain` of the import's domain;
 * the rest as for NewAccount, and a password the server makes (and answers once) if absent. */
export interface ImportAccountRow { account: string; display_name?: string; role?: AccountRole; password?: string }
/** `POST /v1/admin/accounts/import`: 1 to 1,000 rows, made all or none, in `domain` (the
 * caller's own if absent); with `dry_run` only checked. */
export interface ImportAccountsRequest { domain?: string; rows: ImportAccountRow[]; dry_run?: boolean }
/** What is wrong with one row of an import: `row` is its place in `rows`, from 0; `field` is
 * `account`, `display_name`, `role` or `password`; `message` is the server's (English) detail. */
export interface ImportRowError { row: number; field: string; message: string }
/** An account an import made, with the password the server made for it if its row had none
 * (shown only now). */
export interface ImportedAccount { account: AdminAccount; password?: string }
/** What an import did: with any `errors` nothing was made; otherwise (not a dry run) `created`
 * holds every account, in the order of the rows. */
export interface ImportAccountsReport { dry_run: boolean; errors: ImportRowError[]; created: ImportedAccount[] }

/** `POST /v1/admin/domains`: a new domain, by its name (server administrators). */
export interface NewDomain { name: string }

/** One sample of a node for the console's dashboard: gauges as they were at `at_ms`
 * (`connections`: open WebSockets to this node; `accounts_online`: accounts with at least one;
 * `memory_bytes`: the process's resident memory; `cpu_percent`: of one core; `database_bytes`
 * and `files_bytes` where this node can measure them, the embedded deployment;
 * `follower_lag_max`: the largest lag of this node's followers of the log, in commits), and
 * rates over the time since the sample before (`entries_per_min`: the whole deployment's
 * messages and their operations; `requests_per_min` and `errors_per_min`: this node's REST
 * answers; `latency_ms_mean` and `latency_ms_p99`, the latter to a power of two). */
export interface DashboardSample {
  at_ms: number; connections: number; accounts_online: number; entries_per_min: number; requests_per_min: number; errors_per_min: number;
  latency_ms_mean: number; latency_ms_p99: number; cpu_percent: number; memory_bytes: number; database_bytes?: number; files_bytes?: number;
  follower_lag_max: number;
}
/** `GET /v1/admin/dashboard`: this node now (its gauges read afresh, with the last sample's
 * rates), a sample every `sample_secs` over the last hour (`hour`, oldest first, up to 360) and
 * one a minute over the last day (`day`, oldest first). Kept in memory: a restart starts afresh. */
export interface Dashboard { sample_secs: number; now: DashboardSample; hour: DashboardSample[]; day: DashboardSample[]; tls?: TlsStatus }
/** The certificate of a node that terminates TLS itself: from the configured `files` or from
 * `acme`, its names (none while an ACME order is under way) and expiry, and the last failure to
 * reload or obtain one (`error`, `error_at_ms`) while the one before stays in service. */
export interface TlsStatus { source: string; names: string[]; expires_at_ms?: number; error?: string; error_at_ms?: number }
/** A live WebSocket connection to this node: the session it came with (ending it disconnects
 * it, and signs that device out), the device it named and the address it came from. */
export interface ConnectionInfo { account: string; session: number; device?: string; ip?: string; connected_at_ms: number }
/** `GET /v1/admin/connections`: newest first, at most `limit`; `total` counts them all. */
export interface ConnectionList { total: number; connections: ConnectionInfo[] }
/** Whose connections (`domain`: one domain's, a server administrator's choice; a domain's
 * administrators always get their own domain's) and how many at most (1 to 500, 500 by default). */
export interface ConnectionsQuery { domain?: string; limit?: number }
/** One line of the server's log (`level` `TRACE` … `ERROR`; `at` as RFC 3339; `fields` the
 * event's other fields). `id` increases with each line the process writes. */
export interface LogLine { id: number; at: string; level: string; target: string; message: string; fields: Record<string, unknown> }
/** `GET /v1/admin/logs`: oldest first; `last` is what to pass as `after` next. */
export interface LogLines { lines: LogLine[]; last: number }
/** Which lines: at least `level`, `target` a prefix, `q` in the message or fields (ignoring
 * case), after line `after`, at most `limit` (1 to 500); `wait_secs` (at most 25) waits for a
 * line when there is none yet. */
export interface LogQuery { level?: string; target?: string; q?: string; after?: number; limit?: number; wait_secs?: number }
/** A backup made from the console, in the server's backups directory: `name` is its directory's
 * (`magpie-<UTC time it began>`); `finished` false for one that broke off (it will not restore);
 * `files` and `files_bytes` the stored files copied (0 where files live in a bucket); `missing`
 * the files the database named that were already gone when copied. */
export interface BackupInfo {
  name: string; created_at_ms: number; finished: boolean; database_bytes: number; files: number; files_bytes: number; missing: number;
}
/** How far a compliance export has got: `running` until its archive is written, then `done`
 * (the archive can be downloaded until `expires_at_ms`) or `failed` (`error` says why). */
export type ExportState = "running" | "done" | "failed";
/** A compliance export: an account's messages (`account`: everything it could read while a
 * member, what it sent and received) or a conversation's (`conversation`), stored at or after
 * `from_ms` and before `until_ms` when given, as a ZIP of JSON Lines, the files and a readable
 * HTML page. `target` names what it covers, for people (the address, or the conversation's id
 * and name); `requested_by` the account (or operator) that started it. The progress so far:
 * conversations gone through of `conversations_total`, the `messages` (entries) and `files`
 * written; `bytes` is the archive's size once done. */
export interface ExportInfo {
  id: number; domain: string; requested_by: string; account?: string; conversation?: number; target: string;
  from_ms?: number; until_ms?: number; state: ExportState; conversations_total: number; conversations_done: number;
  messages: number; files: number; bytes: number; error?: string; created_at_ms: number; finished_at_ms?: number; expires_at_ms?: number;
}
/** A group or channel as its domain's administrators see it in the console (Administration →
 * Groups), members or not: `owner` is the owner's address, left out once `dissolved`;
 * `last_activity_ms` when something last happened in it. */
export interface AdminGroupInfo {
  id: number; kind: AdminGroupKind; name: string; owner?: string; member_count: number; created_at_ms: number; last_activity_ms: number;
  dissolved: boolean;
}
/** What the console lists: groups and channels, never direct chats. */
export type AdminGroupKind = "group" | "channel";
/** `GET /v1/admin/domains/{domain}/groups`: a page, newest first; `next_before` (left out on the
 * last page) is what to pass as `before` for the next. */
export interface AdminGroupList { groups: AdminGroupInfo[]; next_before?: number }
/** Which of a domain's groups: `q` in the name (ignoring case), the `dissolved` ones too, those
 * older than `before` (a page's `next_before`), at most `limit` (1 to 200, 50 by default). */
export interface AdminGroupQuery { q?: string; dissolved?: boolean; before?: number; limit?: number }
/** `POST /v1/admin/exports`: what to export, exactly one of `account` (an address) and
 * `conversation` (an id); only what was stored at or after `from_ms` and before `until_ms`
 * (excluded), when given. */
export interface NewExport { account?: string; conversation?: number; from_ms?: number; until_ms?: number }
/** What a message with a forbidden word becomes: refused (`block`, `invalid_field` on
 * `body.text`) or sent with each such word masked, a `*` for each of its characters (`mask`). */
export type ModerationAction = "block" | "mask";
/** A domain's forbidden words (at most 2,000 of at most 32 characters; matched anywhere in a
 * message's text, ignoring the case of ASCII letters; none: no moderation). The server trims
 * them and drops empty ones and repeats, and answers what it kept. */
export interface ModerationRules { action: ModerationAction; words: string[] }
/** How far a run of a domain's retention has got: `running`, then `done` or `failed` (`error`
 * says why; a run cut off by a stopped server ends failed, and the next run goes on from it). */
export type RetentionRunState = "running" | "done" | "failed";
/** One run of a domain's retention: `started_by` is `schedule` for the server's hourly run, else
 * the account (or operator) that started it; `before_ms` the cutoff of a one-off purge (absent:
 * each conversation as its policy says). The counts so far (recorded after each batch): the
 * conversations it pruned, the entries it deleted and the files it removed. */
export interface RetentionRun {
  id: number; state: RetentionRunState; started_by: string; before_ms?: number; conversations: number; entries: number; files: number;
  error?: string; started_at_ms: number; updated_at_ms: number; finished_at_ms?: number;
}
/** A conversation that keeps its entries for another time than its domain: `days`, or 0 for ever. */
export interface ConversationRetention { conversation: number; kind: ConversationKind; name?: string; days: number }
/** A domain's retention: how many days it keeps its conversations' entries (absent: for ever), the
 * conversations that keep theirs for another time, and its 20 latest runs, newest first. */
export interface Retention { domain: string; days?: number; conversations: ConversationRetention[]; runs: RetentionRun[] }

/** A line of a wallet's bill history (§5 "Wallets"), newest first; amounts are whole fen. `kind`
 * says what moved the money (`credit`: an administrator's). */
export interface WalletLine { movement: number; kind: string; amount_fen: number; balance_after_fen: number; at_ms: number }
/** `GET /v1/wallet`: the caller's balance and a page of its bill history. */
export interface Wallet { balance_fen: number; lines: WalletLine[]; more: boolean }
/** `POST /v1/admin/accounts/{account}/wallet/credits`: `key` makes the credit happen once. */
export interface CreditRequest { amount_fen: number; key: string; reason?: string }
/** A credit's answer: `moved` false when its key had moved the money before. */
export interface Credited { moved: boolean; balance_fen: number }
/** `GET /v1/admin/domains/{domain}/ledger`: the domain's reconciliation. */
export interface Reconciliation { domain: string; held_fen: number; net_in_fen: number; balanced: boolean }

/** A bot (§5 "Bots"): the account of an app, `name@domain`, with no password. It acts with the
 * tokens that the people who manage it make: the domain's administrators, and its `owner` (the
 * member who made it; absent for a bot the operator made with the CLI). `disabled`: turned off,
 * its tokens and webhooks revoked. */
export interface Bot {
  account: string; display_name: string; avatar?: string; description: string; owner?: string; disabled: boolean; created_at_ms: number;
}
/** `GET /v1/bots`: the bots the caller manages. */
export interface BotList { bots: Bot[] }
/** `POST /v1/bots`: a bot by its login name (`approvals`), in the caller's domain or, for a
 * server administrator, `domain`; `display_name` is the login name if absent; `description`
 * says what it is for (at most 512 characters). */
export interface CreateBotRequest { name: string; domain?: string; display_name?: string; description?: string }
/** `PATCH /v1/bots/{account}`: absent fields stay. `avatar` is an uploaded image's file id or a
 * URL (`""` clears it); `disabled: true` revokes every token and webhook of the bot at once. */
export interface UpdateBotRequest { display_name?: string; description?: string; avatar?: string; disabled?: boolean }
/** What a bot's token may do: `conversations`, only these of the bot's conversations (absent:
 * every conversation it is in, now and later; a token kept to some reaches no sync, search or
 * WebSocket); `read` messages, members and the directory; `send`, edit, react and upload. */
export interface TokenScope { conversations?: number[]; read: boolean; send: boolean }
/** One of a bot's live tokens, without its secret. `last_used_at_ms` is within a minute;
 * `expires_at_ms` is absent for a token that lives until it is revoked. */
export interface BotToken {
  id: number; name: string; scope: TokenScope; created_at_ms: number; last_used_at_ms: number; expires_at_ms?: number;
}
/** `POST /v1/bots/{account}/tokens`: what the token is for (`ci`, at most 64 characters), its
 * conversations (at most 100; absent for all), `read` and `send` (each `true` if absent; not
 * both `false`), and the days it lives (1 to 3,653; absent: until revoked). */
export interface CreateBotTokenRequest { name: string; conversations?: number[]; read?: boolean; send?: boolean; ttl_days?: number }
/** A token just made or rotated, with its secret `token`: shown now and never again. A bot
 * uses it as `Authorization: Bearer <token>`. */
export interface IssuedBotToken extends BotToken { token: string }
/** One of a bot's incoming webhooks: a secret URL that posts to one conversation as the bot. */
export interface IncomingWebhook { id: number; name: string; conversation: number; created_at_ms: number; last_used_at_ms: number }
/** `POST /v1/bots/{account}/webhooks`: a name, and a conversation the bot is a member of. */
export interface CreateWebhookRequest { name: string; conversation: number }
/** A webhook just made or rotated, with its `path` (`/v1/hooks/<secret>`; the server's origin
 * goes before it): shown now and never again. Anyone who has it may post there (Slack's
 * `{"text": "…"}`, whose mrkdwn becomes a `markdown` message). */
export interface CreatedWebhook extends IncomingWebhook { path: string }

/** The kinds of events an app subscribes its bot to (docs/protocol.md "Outgoing webhooks"):
 * `message`, every new message in the bot's conversations (never the bot's own); `mention`, new
 * messages that mention the bot or `@all` (a subscription to `message` gets them as `message`);
 * `member`, the system notices of members joining or leaving; `update`, edits, recalls and
 * reactions; `card_action`, presses of the buttons of the bot's interactive cards, each sent at
 * once on its own (a `CardActionEvent`, not in a delivery) and waiting for the app's answer;
 * `command`, the bot's slash commands as members invoke them, likewise (a `CommandEvent`). */
export type WebhookEventKind = "message" | "mention" | "member" | "update" | "card_action" | "command";
/** One of a bot's event subscriptions (outgoing webhooks): the server POSTs the events of the
 * bot's conversations to `url`, signed with the subscription's secret. `events` names kinds
 * (`WebhookEventKind`; a newer server may name others); `enabled` is false when a person turned
 * it off, or its failures did (then `disabled_at_ms` says when); `failures` counts requests that
 * failed in a row, `last_error` says why the last one did; `pending` events wait, `dropped` were
 * not kept because 100,000 waited. */
export interface EventSubscription {
  id: number; url: string; events: string[]; enabled: boolean; failures: number; last_error?: string; last_success_ms?: number;
  disabled_at_ms?: number; pending: number; dropped: number; created_at_ms: number;
}
/** `GET /v1/bots/{account}/subscriptions`: oldest first. */
export interface EventSubscriptionList { subscriptions: EventSubscription[] }
/** `POST /v1/bots/{account}/subscriptions`: the app's URL (`http://` or `https://`, at most 2,048
 * bytes, no user name or password in it, at a public address unless the server allows others)
 * and at least one kind of event. */
export interface CreateEventSubscriptionRequest { url: string; events: WebhookEventKind[] }
/** `PATCH /v1/bots/{account}/subscriptions/{id}`: absent fields stay. Enabling one that its
 * failures disabled clears them and delivers what waited, in order. */
export interface UpdateEventSubscriptionRequest { url?: string; events?: WebhookEventKind[]; enabled?: boolean }
/** A subscription just made, or its secret rotated, with its `secret` (`whsec_…`): shown now and
 * never again. It signs every request (`X-Magpie-Signature`; see `verifyWebhook`). */
export interface IssuedEventSubscription extends EventSubscription { secret: string }
/** One event of a `WebhookDelivery`: `id` (`"{subscription}.{conversation}.{seq}"`) is the same on
 * every retry, so an app skips one it handled; `type` is its kind (`WebhookEventKind`; a newer
 * server may send others); `entry` the entry as the bot sees it when the request is made (absent
 * once retention removed it). */
export interface WebhookEvent { id: string; type: string; conversation: number; seq: number; entry?: Entry }
/** The body of one request to an app: at most 50 events of one conversation, in seq order. */
export interface WebhookDelivery { subscription: number; bot: string; events: WebhookEvent[] }

// ---- Interactive cards (issue 18) ---------------------------------------------------------
// A `card` message whose body is `{"card": "interactive", …}`: a layout of blocks and rows of
// elements that only a bot may send with buttons or inputs. A member presses a button
// (`cardAction`); the server asks the bot's app (a `CardActionEvent`) and appends its answer, a
// new card stamped with `acted`, as an edit by the bot. Version 1 of the layout; a client skips
// blocks and elements of types it does not know.

/** A text block: Markdown (at most 4,000 characters), rendered as safely as a `markdown` message. */
export interface CardTextBlock { type: "text"; text: string }
/** A label and its value (each at most 256 characters), shown side by side. */
export interface CardField { label: string; value: string }
/** Up to 20 fields, in a grid. */
export interface CardFieldsBlock { type: "fields"; fields: CardField[] }
/** An image from an `https://` URL, with its text alternative. */
/** An image the server fetches from `url` and serves (`cardImageUrl`). `index` is the block's
 * place in the card's `blocks` as sent, which the image is asked for by: `readInteractiveCard`
 * sets it (it leaves out blocks it cannot read, so places in what it answers may differ). */
export interface CardImageBlock { type: "image"; url: string; alt?: string; index?: number }
/** A line between blocks. */
export interface CardDividerBlock { type: "divider" }
/** A small print line (at most 256 characters, plain text). */
export interface CardNoteBlock { type: "note"; text: string }
/** A row of buttons, selects, date pickers and text inputs (a card has at most 25 in all). */
export interface CardActionsBlock { type: "actions"; elements: CardElement[] }
export type CardBlock = CardTextBlock | CardFieldsBlock | CardImageBlock | CardDividerBlock | CardNoteBlock | CardActionsBlock;

/** How a button looks: `primary` (the card's main answer) or `danger` (a destructive one). */
export type CardButtonStyle = "default" | "primary" | "danger";
/** A button: pressing it sends its `id` with the card's inputs to the app. `id` is 1 to 64 bytes
 * of `A-Z a-z 0-9 _ - .`, unique in the card; `label` at most 40 characters; `value` is the app's
 * own reference, sent back with the action; with `confirm`, the person is asked that first. */
export interface CardButton { type: "button"; id: string; label: string; style?: CardButtonStyle; value?: string; confirm?: string }
export interface CardOption { label: string; value: string }
/** One of up to 100 options (`initial`: the value chosen to begin with). */
export interface CardSelect { type: "select"; id: string; label?: string; placeholder?: string; options: CardOption[]; initial?: string }
/** A day, `YYYY-MM-DD`. */
export interface CardDate { type: "date"; id: string; label?: string; initial?: string }
/** A text input of at most `max_chars` characters (1 to 2,000; 500 if absent), one line or several. */
export interface CardInput { type: "input"; id: string; label: string; placeholder?: string; multiline?: boolean; max_chars?: number }
export type CardElement = CardButton | CardSelect | CardDate | CardInput;

/** Who last acted on a card, written by the server on the card the app answered with: the
 * person's address and display name, the button's id and label, and when. */
export interface CardActed { by: string; name: string; action: string; label: string; at_ms: number }
/** An interactive card's body. `acted` is the server's to write (a card sent with it is refused). */
export interface InteractiveCard { card: "interactive"; title?: string; blocks: CardBlock[]; acted?: CardActed }

/** `POST /v1/conversations/{id}/messages/{seq}/actions`: the button pressed, and what was chosen
 * and typed in the card's selects, date pickers and inputs by their ids (those left alone are
 * left out). */
export interface CardActionRequest { action: string; inputs?: Record<string, string> }
/** What came of a card's action: `updated_seq`, the seq of the bot's edit that updated the card
 * (every member's devices get it as any edit), when the app answered with a new card; `toast`, a
 * short text (at most 256 characters) from the app for the person who acted only. */
export interface CardActionResult { updated_seq?: number; toast?: string }
/** Who pressed a card's button: their address and display name. */
export interface CardActionUser { account: string; name: string }
/** The button pressed, as the card had it. */
export interface CardActionButton { id: string; label: string; value?: string }
/** What an app is sent when a member presses a button of one of its bot's interactive cards (to
 * the bot's subscription that takes `card_action`), signed as deliveries are; read it with
 * `verifyRequest`. `id` is unique per action; `card` is the card's body when the button was
 * pressed. The app answers within 5 s: `200` with nothing, or with a `CardActionAnswer`. */
export interface CardActionEvent {
  type: "card_action"; id: string; subscription: number; bot: string; conversation: number; seq: number;
  user: CardActionUser; action: CardActionButton; inputs: Record<string, string>; card: InteractiveCard; at_ms: number;
}
/** A card an app answers with: `"card": "interactive"` may be left out, and `acted` is the
 * server's to add. */
export type CardUpdate = Omit<InteractiveCard, "card" | "acted"> & { card?: "interactive" };
/** An app's answer to a `CardActionEvent` (both fields may be left out): a new body for the card
 * (`update`), appended as an edit by the bot for every member, and a `toast` (1 to 256
 * characters) for the person who acted only. Any other status than 200, an answer later than
 * 5 s, or an update that is not a valid card leave the card as it was and give the person
 * `app_failed`. */
export interface CardActionAnswer { update?: CardUpdate; toast?: string }

// ---- Slash commands (issue 18) ------------------------------------------------------------
// A bot's managers give it `/command`s (`setBotCommands`); in a conversation the bot is a member
// of, a client offers them as a member types `/` (`offeredCommands`), and an invocation
// (`invokeCommand`) goes to the bot's app at once (a `CommandEvent`, signed, to its subscription
// that takes `command`). The app's answer is shown to the member who invoked it only
// (`ephemeral`, the default: the server keeps it nowhere) or posted by the bot (`in_channel`).

/** One slash command of a bot, as the server sends it. `name` is without its `/`: 1 to 32 bytes of
 * `a-z 0-9 _ -`, starting with a letter, unique in the domain; `description` 1 to 100 characters;
 * `hint` says what its arguments are (`[days] [reason]`), up to 100 characters, `""` for none. */
export interface BotCommand { name: string; description: string; hint: string }
/** A command as `setBotCommands` gives it: the hint may be left out (none). */
export type NewBotCommand = Omit<BotCommand, "hint"> & { hint?: string };
/** A command offered in a conversation: one of a member bot's, with the bot's address and
 * display name. */
export interface OfferedCommand { name: string; description: string; hint: string; bot: string; bot_name: string }
/** `POST /v1/conversations/{id}/commands`: the command's name (with or without its `/`) and what
 * follows it, up to 2,000 characters. */
export interface InvokeCommandRequest { command: string; text?: string }
/** Where an app's answer to a command goes: to the member who invoked it only, or posted by the
 * bot in the conversation. */
export type CommandResponseType = "ephemeral" | "in_channel";
/** What came of an invocation: the app's answer as a message (`kind` and `body`, a text answer
 * being `markdown`), if it answered one; `seq` where the bot posted it, when `in_channel` (it
 * reaches every member's devices as any message does). An `ephemeral` answer is this client's
 * to show, to this person only; the server keeps it nowhere. */
export interface CommandResult { response_type: CommandResponseType; kind?: string; body?: Record<string, unknown>; seq?: number }
/** What an app is sent when a member invokes one of its bot's commands (to the bot's
 * subscription that takes `command`), signed as deliveries are; read it with `verifyRequest`.
 * `id` is unique per invocation; `command` is the name with its `/` (`/leave`), `text` what
 * followed it. The app answers within 5 s: `200` with nothing, or with a `CommandAnswer`. */
export interface CommandEvent {
  type: "command"; id: string; subscription: number; bot: string; conversation: number; command: string; text: string;
  user: CardActionUser; at_ms: number;
}
/** An app's answer to a `CommandEvent`: a `text` (Markdown), or a message `kind` with its `body`
 * (an interactive card, say), for the member who invoked it only (`ephemeral`, the default) or
 * posted by the bot (`in_channel`). Any other status than 200, an answer later than 5 s, or a
 * message that may not be sent give the member `app_failed`. */
export interface CommandAnswer { response_type?: CommandResponseType; text?: string; kind?: string; body?: Record<string, unknown> }

/** What a domain's administrators do (§4, §5 "Invitations and applications", §11, §11.4): each
 * call is one REST request with the session's token. A caller who does not administer the
 * domain gets `not_found`, exactly as for a domain that does not exist. */
export interface DomainAdmin {
  /** Every domain of the server, by name: for `server_admin`s only (`forbidden` for others). */
  domains(): Promise<DomainInfo[]>;
  updateDomain(domain: string, change: DomainChange): Promise<DomainInfo>;
  adminAccount(account: string): Promise<AdminAccount>;
  departmentTree(domain: string): Promise<Department[]>;
  createDepartment(domain: string, department: NewDepartment): Promise<Department>;
  updateDepartment(id: number, change: DepartmentChange): Promise<Department>;
  deleteDepartment(id: number): Promise<void>;
  /** Puts a person in a department, or changes their title there. */
  setDepartmentMember(id: number, account: string, title?: string): Promise<void>;
  removeDepartmentMember(id: number, account: string): Promise<void>;
  /** Sets a person's own manager (an address of their domain), or with `null` clears it. A person
   * from the directory gets the directory's manager again at the next sync. */
  setManager(account: string, manager: string | null): Promise<void>;
  invitations(domain: string): Promise<Invitation[]>;
  createInvitation(domain: string, invitation: NewInvitation): Promise<CreatedInvitation>;
  revokeInvitation(domain: string, id: number): Promise<void>;
  applications(domain: string): Promise<Application[]>;
  approve(account: string): Promise<AdminAccount>;
  reject(account: string): Promise<AdminAccount>;
  /** The domain's directory source; `not_found` when it has none. */
  ldapSource(domain: string): Promise<LdapSource>;
  setLdapSource(domain: string, source: LdapSourceChange): Promise<LdapSource>;
  deleteLdapSource(domain: string): Promise<void>;
  testLdapSource(domain: string): Promise<LdapTestResult>;
  /** A full sync, or with `incremental` one of only what changed since the last (§11.4). */
  syncLdap(domain: string, dryRun: boolean, options?: { incremental?: boolean }): Promise<LdapSyncReport>;
  /** The last pushes given up and devices dropped for the domain's accounts, newest first, and
   * how many pushes wait to be sent now (§5 "Push"). */
  pushFailures(domain: string): Promise<PushFailureList>;
  /** Sends an announcement to every member of a domain (the caller's own when `domain` is left
   * out): each gets an `announcement` notification. Answers how many were notified. */
  announce(request: AnnouncementRequest): Promise<AnnouncementSent>;
  /** A page of the audit log, newest first: the administrative actions done in the caller's
   * domain (a server administrator's: in any domain, or with `deployment_only` the
   * deployment-wide ones). The next page with `before: page.next_before`. Members get
   * `forbidden`. */
  auditLog(query?: AuditQuery): Promise<AuditRecordList>;
  /** Every record the filters select, as JSON Lines (`application/x-ndjson`, one
   * AuditRecordInfo a line, oldest first), for saving as a file (`magpie-audit.jsonl`). */
  exportAudit(query?: AuditExportQuery): Promise<Blob>;
  /** A page of a domain's accounts (disabled ones too), by login name. */
  adminAccounts(query?: AdminAccountQuery): Promise<AdminAccount[]>;
  /** Makes an account with a password (`already_exists` when the name is taken; `invalid_field`
   * naming `name`, `display_name` or `password`; `forbidden` for a role above the caller's). */
  createAccount(account: NewAccount): Promise<AdminAccount>;
  /** Changes an account's display name or role (`forbidden` for the caller's own role, a role
   * above their own, or an account of a higher role). */
  updateAccount(account: string, change: AccountChange): Promise<AdminAccount>;
  /** Disables an account: its sessions end and its open sockets close at once. Not oneself's,
   * nor a higher role's. */
  disableAccount(account: string): Promise<AdminAccount>;
  /** Lets a disabled account sign in again. */
  enableAccount(account: string): Promise<AdminAccount>;
  /** Sets an account's password, or with none makes one (answered once), and signs the account
   * out everywhere. Not oneself's. */
  resetAccountPassword(account: string, password?: string): Promise<PasswordReset>;
  /** An account's live sessions (`current` marks the caller's own, when they list their own). */
  accountSessions(account: string): Promise<Session[]>;
  /** Ends one session of an account (`not_found` when it is not live). */
  revokeAccountSession(account: string, id: number): Promise<void>;
  /** Signs an account out everywhere. */
  revokeAccountSessions(account: string): Promise<void>;
  /** Makes many accounts at once, all or none; see ImportAccountsRequest and ImportAccountsReport. */
  importAccounts(request: ImportAccountsRequest): Promise<ImportAccountsReport>;
  /** A domain's settings (its administrators and the server's). */
  domain(domain: string): Promise<DomainInfo>;
  /** Makes a domain (server administrators; `already_exists` when there is one of that name,
   * `invalid_field` naming `name` for a name that is no domain name). */
  createDomain(domain: NewDomain): Promise<DomainInfo>;
  /** What this node is doing now and over the last hour and day (server administrators;
   * `forbidden` for others). */
  dashboard(): Promise<Dashboard>;
  /** Who is connected to this node, newest first: a server administrator's choice of all or one
   * domain, a domain administrator's own domain. `revokeAccountSession(account, session)`
   * disconnects one. */
  connections(query?: ConnectionsQuery): Promise<ConnectionList>;
  /** The server's recent log lines at `info` and above, oldest first (server administrators).
   * With `wait_secs`, it waits for the next line that matches: ask again with `after: last`. */
  logs(query?: LogQuery): Promise<LogLines>;
  /** The backups in the server's backups directory, newest first (server administrators). */
  backups(): Promise<BackupInfo[]>;
  /** Makes a backup now, and resolves when it is finished, which can take a while (server
   * administrators of the embedded deployment: `invalid_field` naming `backup` in a cluster,
   * `conflict` while another is being made). */
  makeBackup(): Promise<BackupInfo>;
  /** Compliance exports, newest first: a server administrator's of every domain, or of
   * `domain`; a domain administrator's of their own domain (another is `not_found`). Members
   * get `forbidden`. */
  adminExports(domain?: string): Promise<ExportInfo[]>;
  /** Starts an export, which runs in the background: answers it `running` (`202`). A domain's
   * administrators export their own domain's accounts and conversations only (another's, or one
   * that does not exist, is `not_found`); `invalid_field` names the field that is wrong
   * (`account` and `conversation` both or neither, a range that ends before it starts);
   * `conflict` while too many exports run. */
  adminStartExport(request: NewExport): Promise<ExportInfo>;
  /** One export as it is now (ask again to follow a running one). */
  adminExport(id: number): Promise<ExportInfo>;
  /** A done export's archive, a ZIP (`application/zip`), for saving as
   * `magpie-export-{id}.zip`; `not_found` until it is done, and once it has expired. */
  adminExportArchive(id: number): Promise<Blob>;
  /** A page of a domain's groups and channels, newest first, which its administrators see
   * without being members (another domain, or one that does not exist, is `not_found`; members
   * get `forbidden`). The next page with `before: page.next_before`. */
  adminGroups(domain: string, query?: AdminGroupQuery): Promise<AdminGroupList>;
  /** A group's members, as its members see them (`not_found` for another domain's group). */
  adminGroupMembers(id: number): Promise<Member[]>;
  /** Hands a group to one of its members; the old owner becomes an admin (`invalid_field` naming
   * `member` for the owner already, `not_found` for someone who is no member). */
  adminTransferGroup(id: number, member: string): Promise<Ack>;
  /** Ends a group for everyone (`not_found` once it is dissolved). */
  adminDissolveGroup(id: number): Promise<Ack>;
  /** A new, empty sticker pack in the caller's own domain (not a domain named here: domain
   * administrators, and server administrators for their own domain; `forbidden` for others;
   * `invalid_field` naming `name` for an empty or longer than 64 characters; `limit_exceeded`
   * past 100 packs). The packs are listed with `ChatClient.stickers()`. */
  createStickerPack(name: string): Promise<StickerPack>;
  /** Adds an image file the caller uploaded (`ChatClient.upload`) to a pack of its own domain,
   * and answers the pack (`invalid_field` naming `file` for a file that is not the caller's or
   * not an image, naming `emoji` for a longer emoji than 16 characters; `not_found` for another
   * domain's pack; `limit_exceeded` past 200 stickers). */
  addSticker(pack: string, sticker: NewSticker): Promise<StickerPack>;
  /** A domain's forbidden words and what they do. */
  moderation(domain: string): Promise<ModerationRules>;
  /** Replaces a domain's forbidden words, and answers what the server kept (`invalid_field`
   * naming `words` for too many or too long a word). */
  setModeration(domain: string, rules: ModerationRules): Promise<ModerationRules>;
  /** A domain's retention: how long it keeps messages, the conversations that keep theirs for
   * another time, and its latest runs. */
  adminRetention(domain: string): Promise<Retention>;
  /** Sets how many days (1 to 36,500) a domain keeps its conversations' entries, or with `null`
   * keeps them for ever, and answers the domain's retention (`invalid_field` naming `days` out
   * of range). Entries older than that are deleted for everyone by the next run. */
  setAdminRetention(domain: string, days: number | null): Promise<Retention>;
  /** Sets how many days (0 to 36,500; 0: for ever) one conversation keeps its entries, or with
   * `null` lets it follow its domain again (`not_found` for a conversation of another domain). */
  setConversationRetention(id: number, days: number | null): Promise<void>;
  /** Starts a run of a domain's retention, which goes on in the background: answers it
   * `running` (`202`). With `beforeMs`, every conversation of the domain loses its entries older
   * than that, whatever its policy (a one-off purge; `invalid_field` naming `before_ms` for a
   * time in the future). `conflict` while another run of the domain is under way. */
  startRetentionRun(domain: string, beforeMs?: number): Promise<RetentionRun>;
  /** One run as it is now; with `wait_secs` (at most 25), as soon as a running run changes (its
   * progress, or its end) or after that many seconds: ask again to follow it. */
  retentionRun(id: number, query?: { wait_secs?: number }): Promise<RetentionRun>;
  /** The bots the caller manages, by name: all of a domain's for its administrators (the
   * caller's own domain, or for a server administrator `domain`), a member's own otherwise. The
   * bot methods below are also a member's, for the bots they made. */
  bots(domain?: string): Promise<Bot[]>;
  /** Makes a bot, owned by the caller (`forbidden` for a member where the domain's
   * `members_make_bots` is off, `already_exists` for a taken name, `invalid_field` naming
   * `name`, `display_name` or `description`, `limit_exceeded` past a member's 10). */
  createBot(request: CreateBotRequest): Promise<Bot>;
  /** One bot, for those who manage it (`not_found` for anyone else). */
  bot(account: string): Promise<Bot>;
  /** Changes a bot's display name, description or avatar, or turns it off or on again (off
   * revokes its tokens and webhooks; on again, they stay revoked: make new ones). */
  updateBot(account: string, change: UpdateBotRequest): Promise<Bot>;
  /** A bot's live tokens, newest first (not their secrets). */
  botTokens(account: string): Promise<BotToken[]>;
  /** Makes a token for a bot, with its secret (shown this once; `invalid_field` naming `name`,
   * `scope`, `conversations` or `ttl_days`; `limit_exceeded` past 50 tokens and webhooks;
   * `account_disabled` for a bot turned off). */
  createBotToken(account: string, request: CreateBotTokenRequest): Promise<IssuedBotToken>;
  /** Revokes a token: it stops at once, everywhere, and its WebSockets close. */
  revokeBotToken(account: string, id: number): Promise<void>;
  /** A new secret for a token, of the same name, scope and lifetime; the old one stops at once. */
  rotateBotToken(account: string, id: number): Promise<IssuedBotToken>;
  /** A bot's incoming webhooks, newest first (not their URLs). */
  botWebhooks(account: string): Promise<IncomingWebhook[]>;
  /** Makes an incoming webhook to a conversation the bot is a member of (`not_found` for any
   * other), with its path (shown this once). */
  createWebhook(account: string, request: CreateWebhookRequest): Promise<CreatedWebhook>;
  /** Deletes a webhook: its URL stops at once. */
  deleteWebhook(account: string, id: number): Promise<void>;
  /** A new URL for a webhook; the old one stops at once. */
  rotateWebhook(account: string, id: number): Promise<CreatedWebhook>;
  /** A bot's event subscriptions (outgoing webhooks), oldest first (not their secrets). */
  botSubscriptions(account: string): Promise<EventSubscription[]>;
  /** Subscribes a bot's app to events, with the secret that signs them (shown this once;
   * `invalid_field` naming `url` or `events`, `limit_exceeded` past 10 subscriptions,
   * `unavailable` where the server sends no webhooks). */
  createSubscription(account: string, request: CreateEventSubscriptionRequest): Promise<IssuedEventSubscription>;
  /** Changes a subscription's URL or events, or enables or disables it. */
  updateSubscription(account: string, id: number, change: UpdateEventSubscriptionRequest): Promise<EventSubscription>;
  /** Ends a subscription; the events waiting for it are dropped. */
  deleteSubscription(account: string, id: number): Promise<void>;
  /** A new secret for a subscription; the old one stops signing at once. */
  rotateSubscription(account: string, id: number): Promise<IssuedEventSubscription>;
  /** A bot's slash commands, in its order. */
  botCommands(account: string): Promise<BotCommand[]>;
  /** Replaces a bot's slash commands (at most 25; none: it has none), in this order; resolves
   * with them as kept. `invalid_field` naming `commands` (more than 25) or the field of one,
   * `commands[i].name` (its rule, named twice, or another bot's of this domain),
   * `commands[i].description` or `commands[i].hint`. */
  setBotCommands(account: string, commands: NewBotCommand[]): Promise<BotCommand[]>;
  /** The domain's workbench apps, in their order, with their OAuth 2.0 clients (not secrets). */
  apps(domain: string): Promise<App[]>;
  /** Adds an app at the end of the domain's list, with its client secret (shown this once: every
   * app is a confidential client, whose server keeps the secret). `invalid_field` naming the
   * field. */
  createApp(domain: string, request: CreateAppRequest): Promise<CreatedApp>;
  /** Changes an app's fields (those given). */
  updateApp(id: number, change: UpdateAppRequest): Promise<App>;
  /** Deletes an app: every token it was given stops working at once. */
  deleteApp(id: number): Promise<void>;
  /** Puts the domain's apps in this order (every one of them, by id); resolves with them so. */
  orderApps(domain: string, ids: number[]): Promise<App[]>;
  /** A new client secret for an app; the old one stops working at once. */
  rotateAppSecret(id: number): Promise<AppSecret>;
}

/** The workbench (工作台): the apps of the caller's domain that the caller may open, the OAuth 2.0
 * consent to an app that asks to act for the caller, and the grants the caller gave. Each call is
 * one REST request with the session's token. A ChatClient has them all (and RestClient too). */
export interface Workbench {
  /** The apps the caller may open (an app for some departments only to their people), in the
   * administrators' order. */
  workbenchApps(): Promise<WorkbenchApp[]>;
  /** What an app's authorization request asks (the consent page shows it). `invalid_field` naming
   * the parameter that is wrong, `not_found` for an unknown app, `forbidden` where the app is not
   * for the caller: never send the browser anywhere then. */
  authorizeInfo(request: AuthorizeRequest): Promise<AuthorizeInfo>;
  /** Grants the request: resolves with where to send the browser (the redirect URI, its code and
   * state). */
  authorize(request: AuthorizeRequest): Promise<AuthorizeRedirect>;
  /** The apps the caller allowed, with their scopes. */
  appGrants(): Promise<AppGrant[]>;
  /** Withdraws the caller's grant to an app: its tokens for the caller stop working. */
  revokeAppGrant(app: number): Promise<void>;
}

export interface FileInfo {
  id: string; size: number; media_type: string; name?: string; sha256: string; created_at_ms: number;
  width?: number; height?: number; blurhash?: string; duration_ms?: number;
  thumbnails?: { side: number; width: number; height: number }[];
}
export interface StickerPack { id: string; name: string; stickers: { id: string; emoji?: string; width?: number; height?: number }[] }
/** `POST /v1/admin/stickers/{pack}/stickers`: an uploaded image file of the caller's, and the
 * emoji it stands for, if any. */
export interface NewSticker { file: string; emoji?: string }

/** Every failure the SDK reports: a typed server error, or a transport failure. */
export interface MagpieErrorShape extends Error {
  /** The server's code, or "network" when no answer came (timeout, closed socket, offline), or
   * "unknown" for a code that a newer server sent and this SDK does not know (§2). */
  code: ErrorCode | "network" | "unknown";
  status?: number; field?: string; retryAfterSecs?: number;
}

// ---- Connection ---------------------------------------------------------------------------

/** `connecting` before the first hello and while reconnecting with backoff; `syncing` between
 * hello and the end of catch-up (§8.3); `online` after it; `offline` when the browser says so or
 * after a failed attempt; `signed_out` after a 4001/4003 close or logout (the token is dead). */
export type ConnectionStatus = "connecting" | "syncing" | "online" | "offline" | "signed_out";

/** Where the SDK keeps what must survive a page reload: the token and the outbox. The browser
 * build uses localStorage; tests use memoryStorage(). */
export interface KeyValueStorage {
  get(key: string): string | null; set(key: string, value: string): void; remove(key: string): void;
}

// ---- The chat state the UI renders ------------------------------------------------------

/** How one of our own messages is doing (§8.7). Others' messages have no state. */
export type SendState = "sending" | "failed" | "sent" | "delivered" | "read";

/** A message as the UI shows it: a stored entry, or one of ours still in the outbox. */
export interface MessageView {
  /** `seq` for stored entries, `"out:" + client_msg_id` for outbox items: stable React/Preact keys. */
  key: string;
  entry: Entry; // for outbox items: seq 0, id 0, at_ms the local time it was written
  mine: boolean;
  state?: SendState;
  /** Set on a failed send: the server's refusal, to show to the user. */
  error?: MagpieErrorShape;
  /** Groups: members other than the sender whose read mark is at or past this seq, as far as
   * the client knows (from list_members when the conversation was opened or refreshed). */
  readBy?: number;
  /** Outbox file messages: how much of the file is uploaded, until the upload is done. */
  progress?: UploadProgress;
}

export interface ConversationView {
  conversation: Conversation;
  /** Display title: group name, or the peer's display name (from the profile cache), or the address. */
  title: string;
  /** Loaded messages (kind not edit/recall/reaction/system... system entries are included so the
   * UI can show them as notices; entries deleted for me, and thread replies not sent to the chat
   * too, are left out), oldest first, then the outbox items of this conversation (but thread-only
   * replies). A message that did not change since the last view
   * (and a view in which nothing changed) is the same object as before. */
  messages: MessageView[];
  /** False when older history exists that is not loaded yet: call loadOlder(). */
  atStart: boolean;
  /** Accounts typing now (typing events seen in the last 5 seconds), not including me. */
  typing: string[];
  /** Direct chats: the peer's marks, for sent/delivered/read. */
  peerReadSeq?: number; peerDeliveredSeq?: number;
  members?: Member[]; // loaded by openConversation for groups/channels, refreshed by refreshMembers
  /** The membership ended (left, removed, dissolved): the history stays readable, nothing new comes. */
  left?: boolean;
}

export interface ChatEvents {
  /** Anything in the state changed; re-read what you render. Batched per microtask. */
  change: () => void;
  status: (status: ConnectionStatus) => void;
  /** A new message from someone else was applied live (not during catch-up), for notifications. */
  message: (conversation: Conversation, entry: Entry) => void;
  /** A friend request arrived. */
  friend_request: (from: string, message?: string) => void;
  /** The session ended (4001/4003, logout); `reason` from session_revoked when known. */
  signed_out: (reason?: string) => void;
  /** An account event was applied (§6.6, §9.1), live or by a catch-up after a disconnect (never
   * the log from before this client's first sync): for screens that show lists the SDK does not
   * keep (contacts, friend requests, blocks). */
  account_event: (event: AccountEvent) => void;
  /** The organisation of the account's domain changed (§6.6 `directory_changed`): a screen that
   * shows departments or people in them reads them again. Ephemeral: never replayed. */
  directory_changed: () => void;
  /** The account's notification preferences changed, on this or another device (account event
   * `notify_prefs_changed`): a screen that shows them reads them again (notificationPrefs). */
  notify_prefs_changed: () => void;
  /** A notification came to the account's notification centre (account event
   * `notification_added`), live or by a catch-up after a disconnect. */
  notification_added: (notification: Notification) => void;
  /** Notifications were read on one of the account's devices, this one included (account event
   * `notifications_read`): those in `ids`, and every one up to `up_to` when it is not null. */
  notifications_read: (read: { ids: number[]; up_to: number | null }) => void;
  /** Notifications were removed, e.g. their message was recalled (`notifications_removed`). */
  notifications_removed: (ids: number[]) => void;
}

/** The account's notification centre (`ChatClient.notifications`): the SDK keeps no list of its
 * own; a screen loads pages and follows the `notification_added`, `notifications_read` and
 * `notifications_removed` events. Both go over the WebSocket (`list_notifications`,
 * `read_notifications`): they fail with `network` while the client is not connected. */
export interface NotificationCentre {
  /** A page, newest first: the newest without `before`, else those older than the id `before`;
   * `limit` 1 to 100 (the server's default 50); `unreadOnly` leaves read ones out. The page's
   * `unread` counts all the account's unread notifications. */
  list(query?: { before?: number; limit?: number; unreadOnly?: boolean }): Promise<NotificationPage>;
  /** Marks notifications read: those with these ids (1 to 500), or every one up to `upTo`.
   * Answers how many stay unread; every device of the account hears `notifications_read`. */
  read(which: { ids: number[] } | { upTo: number }): Promise<NotificationsUnread>;
}

export interface SendOptions {
  mentions?: string[]; mentionAll?: boolean; replyTo?: number;
  /** Sends the message as a reply in the thread of this root (§7.12). */
  thread?: number;
  /** With `thread`: also send it to the chat ("also send to the group"). */
  broadcast?: boolean;
}

/** One thread as the UI shows it beside the chat (§7.12), built from what openThread loaded and
 * what came live since. */
export interface ThreadView {
  conversation: Conversation;
  /** The root as it is now; `entry.thread_summary` counts its replies, live. */
  root: MessageView;
  /** The replies loaded, oldest first, then our replies still in the outbox. */
  replies: MessageView[];
  /** False while older replies exist that are not loaded: call loadOlderReplies(). */
  atStart: boolean;
  following: boolean;
  /** The read mark in this thread: replies up to it are read. */
  readSeq: number;
  /** Loaded replies after readSeq that others sent, not recalled or deleted for me. */
  unread: number;
}

export interface UploadProgress { sent: number; total: number }

/** What a voice message says of its recording besides the file (§7.3 `voice`). */
export interface VoiceDetails {
  /** Its length as the recorder measured it; the server puts in the one the file's header
   * gives where it can read one (MP4, M4A). */
  durationMs: number;
  /** Loudness over the recording, for drawing it: an extra field of the body (`waveform`),
   * which the server keeps and relays. The app's convention: 0–100 per bar. */
  waveform?: number[];
}

/** The object the app holds for a signed-in user. One per session. With the workbench's calls
 * (Workbench). */
export interface ChatClient extends Workbench {
  readonly me: Me;
  readonly session: Session;
  readonly token: string;
  readonly status: ConnectionStatus;

  on<K extends keyof ChatEvents>(event: K, listener: ChatEvents[K]): () => void;

  /** Opens the WebSocket, catches up, and keeps reconnecting with backoff (1 s doubling to 30 s,
   * with jitter; at once when the browser comes back online) until close() or sign-out. */
  start(): void;
  /** Closes the socket and stops reconnecting; keeps the stored token and outbox. */
  close(): void;
  /** Logs out (ends the session server-side), clears the stored token and outbox. */
  logout(): Promise<void>;

  // Conversations
  /** Conversations, pinned first, then by activity, newest first. */
  conversations(): Conversation[];
  view(conversation: number): ConversationView | undefined;
  /** What a conversation list shows for it: the summary's last_message, or a newer system
   * notice ("Alice made Bob an admin") that this client has seen live or in loaded history
   * (the server's summary leaves notices out). Undefined when there is neither. */
  preview(conversation: number): Entry | undefined;
  /** Loads the newest page of history if nothing is loaded, and (groups) the members. */
  openConversation(conversation: number): Promise<void>;
  loadOlder(conversation: number): Promise<void>;
  refreshMembers(conversation: number): Promise<void>;
  openDirect(peer: string): Promise<Conversation>;
  createGroup(kind: "group" | "channel", name: string, members: string[]): Promise<Conversation>;
  addMembers(conversation: number, members: string[]): Promise<Ack>;
  removeMember(conversation: number, member: string): Promise<Ack>;
  leave(conversation: number): Promise<Ack>;
  dissolve(conversation: number): Promise<Ack>;
  updateGroup(conversation: number, change: { name?: string; description?: string; announcement?: string; avatar?: string; mute_all?: boolean }): Promise<Ack>;
  setRole(conversation: number, member: string, role: "admin" | "member"): Promise<Ack>;
  transferOwnership(conversation: number, member: string): Promise<Ack>;
  /** Stops a member from posting until `untilMs`; without it, lifts the mute. */
  muteMember(conversation: number, member: string, untilMs?: number): Promise<Ack>;
  /** Pin, mute, keep a draft, or mark as unread (§7.8): shared by the account's devices. */
  updateSettings(conversation: number, settings: SettingsChange): Promise<Conversation>;

  // Messages. Sends go through the outbox: they resolve at once with the client_msg_id, show
  // as "sending", are sent when online, retried with the same id after any non-typed failure
  // (including across reconnects and page reloads with the same session), and marked failed on
  // a typed refusal.
  send(conversation: number, kind: string, body: Record<string, unknown>, options?: SendOptions): string;
  sendText(conversation: number, text: string, options?: SendOptions): string; // markdown-free text
  /** Retries a failed outbox item with its same client_msg_id. */
  retry(conversation: number, clientMsgId: string): void;
  /** Drops a failed outbox item, or a file message whose upload is still running. */
  discard(conversation: number, clientMsgId: string): void;
  /** The outbox items (sending or failed) of one conversation or of all, oldest first: also of
   * conversations that view() does not know, e.g. a send refused as not_found. */
  outbox(conversation?: number): MessageView[];
  edit(conversation: number, seq: number, body: Record<string, unknown>): Promise<Ack>;
  recall(conversation: number, seq: number): Promise<Ack>;
  react(conversation: number, seq: number, emoji: string, on: boolean): Promise<Ack>;
  /** Presses a button of an app's interactive card (`seq`), with what was chosen and typed in
   * its inputs: the server asks the app and waits for its answer (at most 5 s). Resolves with the
   * app's `toast` for this person, and `updated_seq` when the app updated the card (the edit
   * reaches every device as any edit does). `invalid_field` naming `action`, `inputs.<id>` or
   * `seq` (not an app's interactive card); `app_failed` when the app failed, with why in its
   * message; `unavailable` when too many actions wait for their apps. */
  cardAction(conversation: number, seq: number, request: CardActionRequest): Promise<CardActionResult>;
  /** The slash commands a member may invoke in the conversation (those of its bots), by name. */
  offeredCommands(conversation: number): Promise<OfferedCommand[]>;
  /** Invokes `/command text` in the conversation: the server asks the command's app and waits
   * for its answer (at most 5 s). Resolves with the answer, to show to this person only when
   * `ephemeral`; an `in_channel` one the bot posted (at `seq`). `invalid_field` naming `command`
   * (no bot of the conversation has it) or `text` (longer than 2,000 characters); `app_failed`
   * when the app failed, has no subscription that takes commands or is turned off, with why in
   * its message; `unavailable` where the server reaches no apps. */
  invokeCommand(conversation: number, command: string, text: string): Promise<CommandResult>;
  forward(to: number, from: number, seqs: number[]): Promise<Ack>;
  hide(conversation: number, seqs: number[]): Promise<void>;
  /** Marks read up to `upTo` (the messages the user has seen), or without it up to the newest
   * loaded seq; a no-op when nothing new. Debounced internally. A mark short of the end leaves
   * the unread count to the server: the `read` event that follows refreshes it. */
  markRead(conversation: number, upTo?: number): void;
  receipts(conversation: number, seq: number): Promise<Receipts>;
  typing(conversation: number): void; // throttled to one per 2 s per conversation

  // Pinned messages (§7.5 "Pinning"): the list of a conversation is the server's. The SDK keeps
  // it for the conversations whose pins were loaded, and keeps it current: a pin or unpin
  // notice loads it again, a recall or delete-for-me takes its message out, a catch-up after a
  // reconnect loads it again.
  /** The conversation's pins, the latest first, once loaded (undefined before). */
  pins(conversation: number): Pin[] | undefined;
  loadPins(conversation: number): Promise<Pin[]>;
  /** Pins a message for every member (both members of a direct chat; owners and admins of a group). */
  pin(conversation: number, seq: number): Promise<Ack>;
  unpin(conversation: number, seq: number): Promise<Ack>;

  // Threads (§7.12). A thread reply is an entry of its conversation: it comes live and by sync
  // like any entry. The chat's view leaves thread-only replies out and counts the replies of
  // each root it holds (`entry.thread_summary`, live); a thread's replies are loaded with
  // openThread and kept current while it is open. The followed threads of a conversation are
  // kept current once loaded: live replies, thread_changed events, reconnects.
  /** An open thread, once openThread has loaded it (undefined before, and after closeThread). */
  thread(conversation: number, root: number): ThreadView | undefined;
  /** Loads the thread's newest page of replies (again) and keeps it current until closeThread. */
  openThread(conversation: number, root: number): Promise<void>;
  closeThread(conversation: number, root: number): void;
  loadOlderReplies(conversation: number, root: number): Promise<void>;
  /** Follows or unfollows a thread, or moves its read mark (shared by the account's devices). */
  updateThread(conversation: number, root: number, change: { following?: boolean; read_seq?: number }): Promise<Thread>;
  /** Marks an open thread read up to its newest loaded reply; a no-op when nothing new. */
  markThreadRead(conversation: number, root: number): void;
  /** The threads of a conversation that the account follows, the newest reply first, once loaded. */
  threads(conversation: number): Thread[] | undefined;
  loadThreads(conversation: number): Promise<Thread[]>;

  // Saved messages (§7.11): the account's own, kept current on every device from the account's
  // event log once loaded (`saved_changed`, `saved_removed`).
  /** The saved messages loaded so far, newest first, and whether older ones remain; undefined
   * before loadSaved. */
  saved(): SavedPage | undefined;
  /** Loads the newest page again (`older`: appends the next older page). */
  loadSaved(older?: boolean): Promise<SavedPage>;
  saveMessage(conversation: number, seq: number, note?: string): Promise<SavedItem>;
  /** Sets the note; an empty one clears it. */
  updateSavedNote(id: number, note: string): Promise<SavedItem>;
  removeSaved(id: number): Promise<void>;

  // The notification centre: mentions, replies, reactions, friend requests, applications and
  // announcements, kept by the server per account (its newest 1,000), read on any device.
  readonly notifications: NotificationCentre;

  // Scheduled messages (§7.12): the account's own, kept current on every device from the
  // account's event log once loaded (`scheduled_changed`, `scheduled_removed`, `scheduled_sent`).
  /** The account's scheduled messages (of one conversation, if given), the earliest first;
   * undefined before loadScheduled. */
  scheduled(conversation?: number): ScheduledMessage[] | undefined;
  /** Loads them all (an account has at most `scheduled.per_account_max`). */
  loadScheduled(): Promise<ScheduledMessage[]>;
  /** Schedules a message, checked by the server as a send of it would be now. */
  scheduleMessage(
    conversation: number, kind: string, body: Record<string, unknown>, sendAtMs: number, options?: SendOptions,
  ): Promise<ScheduledMessage>;
  /** Changes its time, body or mentions; a failed one waits again. */
  updateScheduled(id: number, change: ScheduledChange): Promise<ScheduledMessage>;
  cancelScheduled(id: number): Promise<void>;
  /** Sends it at once; the ack of the message. */
  sendScheduledNow(id: number): Promise<Ack>;

  // Files (docs/protocol.md §10): tus upload with progress, then an image/file message.
  upload(file: Blob & { name?: string }, onProgress?: (p: UploadProgress) => void, signal?: AbortSignal): Promise<FileInfo>;
  /** Uploads and sends an `image` message (image/*) or a `file` message (anything else); the
   * message shows in the conversation as "sending" with upload progress until acked. */
  sendFile(conversation: number, file: Blob & { name?: string }, options?: Pick<SendOptions, "thread" | "broadcast">): string;
  /** Uploads a recording and sends it as a `voice` message, with upload progress like sendFile. */
  sendVoice(conversation: number, audio: Blob & { name?: string }, voice: VoiceDetails, options?: Pick<SendOptions, "thread" | "broadcast">): string;
  /** Upload progress of an outbox file message, by client_msg_id. */
  uploadProgress(clientMsgId: string): UploadProgress | undefined;
  /** An object URL for a file or its thumbnail (side 256 or 1024), fetched with the token and
   * cached; the same promise for the same arguments. */
  fileUrl(fileId: string, thumbnailSide?: 256 | 1024): Promise<string>;
  /** A page of what a conversation shares of one kind, newest first (§7.10). */
  shared(conversation: number, kind: SharedKind, before?: number, limit?: number): Promise<SharedPage>;
  /** The preview of a link, asked of the server once per link and page load; `null` when the
   * page has none (or previews are off). */
  linkPreview(url: string): Promise<LinkPreview | null>;
  /** What linkPreview() answered for `url` in this page load, if it has answered: a preview,
   * `null` for none, `undefined` while not asked, under way, or to be asked again. */
  linkPreviewKnown(url: string): LinkPreview | null | undefined;
  /** An object URL of a preview's image (fetched from the server, never the site). */
  linkPreviewImageUrl(url: string): Promise<string>;
  /** An object URL of the image of block `block` of the interactive card `seq`, which the server
   * fetched from the block's `url` (clients never contact the image's site). */
  cardImageUrl(conversation: number, seq: number, block: number, url: string): Promise<string>;
  /** An object URL of a workbench app's icon, which the server fetched from the app's `icon` URL
   * (clients never contact the icon's site); rejects (`not_found`) where it has none or it could
   * not be had: show the app's initial then. */
  appIconUrl(app: number, icon: string): Promise<string>;
  fileInfo(fileId: string): Promise<FileInfo>;
  stickers(): Promise<StickerPack[]>;

  // The organisation (§11): every member reads the domain's tree and where anyone sits.
  /** The domain's departments, parents before children, siblings in order. */
  departments(): Promise<Department[]>;
  /** A page of a department's people by login name (after `after`); fewer than `limit` on the last. */
  departmentMembers(department: number, page?: { after?: string; limit?: number }): Promise<DepartmentMember[]>;
  /** The departments a person is in, with their paths, titles and managers, and the person's own manager. */
  placements(account: string): Promise<Placements>;
  /** Departments by name, pinyin or initials, best first. */
  searchDepartments(q: string, limit?: number): Promise<DepartmentMatch[]>;
  /** Administration of a domain, for its `domain_admin`s and `server_admin`s. */
  readonly admin: DomainAdmin;

  // Invitations by members (§5 "Invitations and applications"): where the domain's
  // `members_invite` is on, any member invites people to their own domain (at most 10 uses and
  // 30 days each, 20 live at once); elsewhere `forbidden`. Administrators may too.
  /** The caller's own invitations that are not revoked, newest first. */
  myInvitations(): Promise<Invitation[]>;
  /** Makes an invitation to the caller's domain; its code is in the answer only. */
  createInvitation(invitation: NewInvitation): Promise<CreatedInvitation>;
  /** Revokes one of the caller's invitations (`not_found` for another's). */
  revokeInvitation(id: number): Promise<void>;

  // People
  /** From the cache; fetches it in the background when missing, unless `fetch` is false. */
  profile(account: string, options?: { fetch?: boolean }): Profile | undefined;
  searchAccounts(query: string): Promise<Profile[]>;

  // Search (§7.14): what the caller may read now, found by its words.
  /** A page of messages that match `q`, with filters; the next page with `cursor: page.next`. */
  searchMessages(query: SearchMessagesQuery): Promise<SearchMessagesPage>;
  /** People of the caller's domain by name, pinyin, initials, login, email or phone; their
   * profiles are cached as profile() gives them. */
  searchPeople(q: string, limit?: number): Promise<PersonMatch[]>;
  /** The caller's groups and channels by name, pinyin or initials. */
  searchGroups(q: string, limit?: number): Promise<GroupMatch[]>;
  /** A page of shared files by name and type; `q` may be empty when a filter narrows it. */
  searchFiles(query: SearchFilesQuery): Promise<SearchFilesPage>;
  /** `avatar` is a reference (§5 PATCH /v1/me): a URL, or the id of an uploaded image. */
  updateMe(change: { display_name?: string; signature?: string; avatar?: string }): Promise<Me>;
  changePassword(current: string, next: string): Promise<void>;
  /** The account's notification preferences (the defaults until they are set). */
  notificationPrefs(): Promise<NotificationPrefs>;
  /** Sets them whole and resolves with them as kept (keywords trimmed, duplicates dropped);
   * every device of the account hears `notify_prefs_changed`. */
  setNotificationPrefs(prefs: NotificationPrefs): Promise<NotificationPrefs>;
  /** What this server pushes through (§5 "Push"), with the VAPID key a browser subscribes with. */
  pushConfig(): Promise<PushConfig>;
  /** The account's devices registered for pushes (`current`: this session's). */
  pushTargets(): Promise<PushTargetInfo[]>;
  /** Registers this device (this session) for pushes; logging out ends them. */
  addPushTarget(target: PushTargetRequest): Promise<PushTargetInfo>;
  /** Stops pushes to one of the account's devices. */
  removePushTarget(id: number): Promise<void>;
  sessions(): Promise<Session[]>;
  revokeSession(id: number): Promise<void>;
  contacts(): Promise<Profile[]>;
  friendRequests(): Promise<FriendRequests>;
  sendFriendRequest(account: string, message?: string): Promise<"requested" | "added">;
  acceptFriendRequest(account: string): Promise<void>;
  rejectFriendRequest(account: string): Promise<void>;
  removeContact(account: string): Promise<void>;
  blocked(): Promise<Profile[]>;
  block(account: string): Promise<void>;
  unblock(account: string): Promise<void>;
  presence(account: string): Presence | undefined; // from pushes and get_presence
  setPresence(status: Exclude<PresenceStatus, "offline">, text?: string): Promise<void>;
}

/** Entry points (implemented in index.ts):
 *
 *   login(baseUrl, account, password, opts?: { device?, storage? }): Promise<ChatClient>
 *     (sends the device key stored by the account's last login here and stores the new one)
 *   register(baseUrl, account, password, opts?: { displayName?, device?, invitation?, email?, emailCode?, lang?, storage? }): Promise<ChatClient>
 *     (fails with approval_pending where the domain's registration needs approval)
 *   signUp(baseUrl, account, password, opts?): Promise<{ kind: "signed_in", client } | { kind: "pending", account }>
 *   domainRegistration(baseUrl, domain): Promise<SignupInfo | null>   // null: the server cannot say
 *   requestEmailCode(baseUrl, domain, email, lang?), requestPasswordReset(baseUrl, account, lang?),
 *   resetPassword(baseUrl, account, code, newPassword)
 *   resume(baseUrl, storage?): Promise<ChatClient | null>   // from a stored token; null when none or dead
 *
 * `baseUrl` is "" in the browser app (same origin); the WebSocket URL is derived from it
 * (http→ws, https→wss, "/v1/ws"). */
export {};
