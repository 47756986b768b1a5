//! REST request and response bodies under `/v1/`. Timestamps are Unix milliseconds (`*_ms`).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An account's role in its domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Member,
    /// Manages the accounts and settings of one domain.
    DomainAdmin,
    /// Manages every domain of the deployment.
    ServerAdmin,
}

/// Who may create an account in a domain without an administrator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RegistrationMode {
    /// Only administrators create accounts (the default).
    Closed,
    /// Anyone who can reach the server may register an account.
    Open,
    /// Anyone with an invitation code of the domain may register.
    Invitation,
    /// Anyone may apply; the account opens once a domain administrator approves it.
    Approval,
}

/// `POST /v1/auth/login`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LoginRequest {
    /// `name@domain`, e.g. `alice@localhost`. The name is case-insensitive.
    pub account: String,
    pub password: String,
    /// A label for this device shown in the session list, e.g. `Firefox on Linux`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// The `device_key` an earlier login of this account on this device returned. It makes
    /// the device a known one, which keeps its logins working while others guess the
    /// account's password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_key: Option<String>,
}

/// `POST /v1/auth/register`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct RegisterRequest {
    /// `name@domain` to create.
    pub account: String,
    pub password: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// The invitation code, where the domain's registration is by invitation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invitation: Option<String>,
    /// The registrant's email address, kept as the account's email: needed where the domain
    /// has `email_verification` or `email_domains`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The code `POST /v1/auth/email-code` mailed to `email`, where the domain has
    /// `email_verification`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_code: Option<String>,
    /// The language mail to the account is written in: `zh` or `en` (anything else is `en`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
}

/// `GET /v1/auth/domains/{domain}`: what a domain asks of people who register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SignupInfo {
    pub domain: String,
    /// `closed` also for a domain that does not exist.
    pub registration: RegistrationMode,
    /// Registrations need an email address and the code mailed to it.
    pub email_verification: bool,
    /// The email domains a registration's address may be of; empty for any.
    pub email_domains: Vec<String>,
    /// Whether this server mails password-reset codes.
    pub password_reset: bool,
    /// Whether members (not only administrators) may make invitation codes to the domain.
    pub members_invite: bool,
    /// Whether members (not only administrators) may make bots in the domain.
    pub members_make_bots: bool,
}

/// `POST /v1/auth/email-code`: mail a registration code to an address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct EmailCodeRequest {
    /// The domain to register in.
    pub domain: String,
    pub email: String,
    /// The mail's language: `zh` or `en` (anything else is `en`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
}

/// `202` to a code request: the code is on its way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CodeSent {
    /// How long the code stays good.
    pub expires_in_secs: u64,
    /// When another code to this address may be asked for.
    pub resend_after_secs: u64,
}

/// `POST /v1/auth/password-reset/code`: mail a password-reset code to an account's email.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PasswordResetCodeRequest {
    /// `name@domain`.
    pub account: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
}

/// `POST /v1/auth/password-reset`: set a new password with a mailed code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PasswordResetRequest {
    pub account: String,
    pub code: String,
    pub new_password: String,
}

/// The answer to a login or registration: a new session.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LoginResponse {
    /// The session token: send it as `Authorization: Bearer <token>`. Shown only once.
    pub token: String,
    pub session: SessionInfo,
    pub me: Me,
    /// Keep it on this device and send it with the next login of this account.
    pub device_key: String,
}

/// One session (one logged-in device) of an account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SessionInfo {
    pub id: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    pub created_at_ms: i64,
    pub last_seen_at_ms: i64,
    pub expires_at_ms: i64,
    /// True for the session that made this request.
    #[serde(default)]
    pub current: bool,
}

/// `GET /v1/sessions`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SessionList {
    pub sessions: Vec<SessionInfo>,
}

/// An account's public profile, visible to members of the same domain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Profile {
    /// `name@domain`.
    pub account: String,
    /// Free Unicode, e.g. `张三`.
    pub display_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar: Option<String>,
    /// Signature or status text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// The account is a bot (an app's): clients show a badge. Absent for people.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub bot: bool,
}

/// `GET /v1/me`: one's own profile plus what only its owner sees.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Me {
    #[serde(flatten)]
    pub profile: Profile,
    pub role: Role,
    pub created_at_ms: i64,
}

/// `PATCH /v1/me`. Absent fields stay as they are; an empty string clears an optional field.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct UpdateProfileRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// `POST /v1/me/password`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    pub new_password: String,
}

/// `GET /v1/accounts`: a page of the caller's domain directory.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AccountList {
    pub accounts: Vec<Profile>,
}

/// `POST /v1/admin/accounts`: an administrator creates an account.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreateAccountRequest {
    /// `name@domain`; a domain admin may only name their own domain.
    pub account: String,
    pub password: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Defaults to `member`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
}

/// `PATCH /v1/admin/accounts/{account}`: what to change; what is absent stays.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UpdateAccountRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Not above the caller's own role, and not the caller's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
}

/// `POST /v1/admin/accounts/{account}/password`: the new password, or none for the server to
/// make one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ResetPasswordRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

/// The answer to a password reset.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PasswordReset {
    /// The password the server made, if the request gave none: shown only now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

/// One account of an import.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ImportAccountRow {
    /// A login name, or `name@domain` of the import's domain.
    pub account: String,
    /// The login name if absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// `member` if absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// Made by the server, and answered once, if absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

/// `POST /v1/admin/accounts/import`: many accounts at once, all or none.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ImportAccountsRequest {
    /// The domain to make them in; the caller's own if absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// 1 to 1,000 rows.
    pub rows: Vec<ImportAccountRow>,
    /// Only check the rows: nothing is made.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dry_run: bool,
}

/// What is wrong with one row of an import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ImportRowError {
    /// The row's place in `rows`, from 0.
    pub row: u32,
    /// `account`, `display_name`, `role` or `password`.
    pub field: String,
    pub message: String,
}

/// An account an import made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ImportedAccount {
    pub account: AdminAccount,
    /// The password the server made for it, if its row gave none: shown only now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

/// The answer to an import: with `errors`, nothing was made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ImportAccountsReport {
    pub dry_run: bool,
    /// Every row's errors; the import made nothing if there is any.
    pub errors: Vec<ImportRowError>,
    /// The accounts made, in the order of the rows (none for a dry run or with errors).
    pub created: Vec<ImportedAccount>,
}

/// An account as an administrator sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AdminAccount {
    #[serde(flatten)]
    pub profile: Profile,
    pub role: Role,
    pub disabled: bool,
    pub created_at_ms: i64,
}

/// `GET /v1/admin/accounts`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AdminAccountList {
    pub accounts: Vec<AdminAccount>,
}

/// A domain (tenant).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DomainInfo {
    pub name: String,
    pub registration: RegistrationMode,
    /// Direct messages need friendship (default `false`: any member may message any other).
    #[serde(default)]
    pub direct_requires_friendship: bool,
    /// Registrations need an email address proven by a mailed code.
    #[serde(default)]
    pub email_verification: bool,
    /// The email domains a registration's address may be of; empty for any.
    #[serde(default)]
    pub email_domains: Vec<String>,
    /// Members, not only administrators, may make invitation codes (`POST /v1/invitations`).
    #[serde(default)]
    pub members_invite: bool,
    /// Members, not only administrators, may make bots (`POST /v1/bots`).
    #[serde(default)]
    pub members_make_bots: bool,
    pub created_at_ms: i64,
}

/// `GET /v1/admin/domains`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DomainList {
    pub domains: Vec<DomainInfo>,
}

/// `POST /v1/admin/domains`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreateDomainRequest {
    pub name: String,
}

/// `PATCH /v1/admin/domains/{domain}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct UpdateDomainRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration: Option<RegistrationMode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direct_requires_friendship: Option<bool>,
    /// Registrations need an email address proven by a mailed code (needs a mail server).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_verification: Option<bool>,
    /// The email domains a registration's address may be of (`[]` for any), at most 32.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_domains: Option<Vec<String>>,
    /// Members (not only administrators) may make invitation codes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub members_invite: Option<bool>,
    /// Members (not only administrators) may make bots, at most 10 each.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub members_make_bots: Option<bool>,
}

/// `GET /healthz` and `GET /readyz`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HealthResponse {
    /// `ok`; from `/readyz`, `unavailable` while the server starts or stops or cannot reach
    /// its database, and `degraded` while it serves without a dependency it can do without
    /// (a cluster node that lost the bus keeps committing; its live delivery waits).
    pub status: String,
    pub version: String,
    /// From `/readyz` in cluster mode: each dependency (`database`, `bus`) and whether it
    /// answers, `ok` or `down`. Absent for the embedded defaults.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub dependencies: std::collections::BTreeMap<String, String>,
}

/// `POST /v1/auth/register` in a domain whose registration needs approval (`202`): the
/// account applied, and may log in once a domain administrator approves it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ApplicationPending {
    pub account: String,
}

/// An invitation to register in a domain, as its administrators see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct InvitationInfo {
    pub id: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Registrations it let in so far.
    pub uses: u32,
    pub uses_max: u32,
    pub expires_at_ms: i64,
    pub created_at_ms: i64,
    /// Who made it; absent for the operator's CLI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
}

/// `POST /v1/admin/domains/{domain}/invitations`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CreateInvitationRequest {
    /// Registrations it lets in: 1 to 10,000 (1 by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uses_max: Option<u32>,
    /// How long it lives, in seconds: 1 to a year (7 days by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_secs: Option<u64>,
    /// For the administrators: whom it is for (at most 256 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A new invitation with its code, which is shown only now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CreatedInvitation {
    pub invitation: InvitationInfo,
    pub code: String,
}

/// `GET /v1/admin/domains/{domain}/invitations`: live ones, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct InvitationList {
    pub invitations: Vec<InvitationInfo>,
}

/// An account waiting for approval.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ApplicationInfo {
    pub account: AdminAccount,
    pub applied_at_ms: i64,
}

/// `GET /v1/admin/domains/{domain}/applications`: pending ones, oldest first.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ApplicationList {
    pub applications: Vec<ApplicationInfo>,
}

/// How much an account (or one of its conversations) wants to be told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NotifyLevel {
    /// Every message.
    #[default]
    All,
    /// Direct messages, mentions (`@all` too) and keywords.
    Mentions,
    /// Nothing.
    Nothing,
}

/// A member's level for one conversation: `default` follows the account's level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NotifyLevelChoice {
    /// Follow the account's level.
    Default,
    All,
    Mentions,
    Nothing,
}

/// Do-not-disturb hours in the account's time zone, as minutes after midnight (0–1439);
/// across midnight when `from_min` is greater than `to_min`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct QuietHours {
    pub from_min: u16,
    pub to_min: u16,
}

/// `GET` and `PUT /v1/me/notifications`: the account's notification preferences, the same on
/// all its devices. A `PUT` sets them whole: a field left out takes its default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct NotificationPrefs {
    pub level: NotifyLevel,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quiet: Option<QuietHours>,
    /// An IANA time zone such as `Asia/Shanghai`, for the quiet hours.
    pub time_zone: String,
    /// Words that count as a mention (at most 20, each 1–32 characters; case is ignored).
    pub keywords: Vec<String>,
    /// Whether pushes show the message's text.
    pub preview: bool,
    /// Whether unread mentions and direct messages are mailed after `digest_after_mins` away.
    pub email_digest: bool,
    /// 15 to 10080 (the server's `mail.digest_after_mins_min` may allow less).
    pub digest_after_mins: u32,
    /// The language mail to the account is written in (`zh…` Chinese, else English); a
    /// client sends its own. Empty: the language the account registered with.
    #[serde(default)]
    pub language: String,
}

/// `GET /v1/push/config`: how this server pushes to devices whose sockets are closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PushConfig {
    /// The kinds of target this server pushes to (`web_push`, `gateway`, `apns`, `fcm`); empty
    /// when it pushes nowhere.
    pub kinds: Vec<String>,
    /// The VAPID public key (base64url) a browser subscribes with (`applicationServerKey`),
    /// when Web Push is on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vapid_public_key: Option<String>,
    /// The push gateways' names a `gateway` target may name.
    pub gateways: Vec<String>,
}

/// A browser's push subscription keys, as `PushSubscription.toJSON()` gives them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct WebPushKeys {
    /// The browser's P-256 public key, base64url (65 bytes uncompressed).
    pub p256dh: String,
    /// The browser's 16-byte authentication secret, base64url.
    pub auth: String,
}

/// `POST /v1/me/push-targets`: registers this device (under the calling session) for pushes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PushTargetRequest {
    /// A browser: `PushSubscription.toJSON()` with `kind` added.
    WebPush { endpoint: String, keys: WebPushKeys },
    /// A phone reached through one of the server's push gateways (see `PushConfig.gateways`).
    Gateway { gateway: String, app_id: String, pushkey: String },
    /// An iOS device token (hex).
    Apns { token: String },
    /// An FCM registration token.
    Fcm { token: String },
}

/// A device registered for pushes. Tokens and keys are not echoed: `label` tells the devices
/// apart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PushTargetInfo {
    pub id: i64,
    /// `web_push`, `gateway`, `apns` or `fcm`.
    pub kind: String,
    /// The push service's host for a browser, `gateway/app id` for a gateway, the token's last
    /// characters for APNs and FCM.
    pub label: String,
    /// Registered under the calling session.
    pub current: bool,
    pub created_at_ms: i64,
}

/// `GET /v1/me/push-targets`: the caller's devices registered for pushes, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PushTargetList {
    pub targets: Vec<PushTargetInfo>,
}

/// A push given up, or a device dropped because its push service said it is gone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PushFailureInfo {
    pub id: i64,
    pub at_ms: i64,
    /// The account the push was for, `name@domain`.
    pub account: String,
    pub kind: String,
    /// The device was dropped (its service said it is gone).
    pub target_dropped: bool,
    /// What the service answered.
    pub error: String,
    pub attempts: u32,
}

/// `GET /v1/admin/domains/{domain}/push-failures`: newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PushFailureList {
    pub failures: Vec<PushFailureInfo>,
    /// Pushes waiting in the outbox now (the whole server's).
    pub outbox_len: u64,
}

impl Default for NotificationPrefs {
    fn default() -> Self {
        NotificationPrefs {
            level: NotifyLevel::All,
            quiet: None,
            time_zone: "UTC".into(),
            keywords: Vec::new(),
            preview: true,
            email_digest: false,
            digest_after_mins: 60,
            language: String::new(),
        }
    }
}

/// Who did an administrative action, as the audit log keeps it (at that moment).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AuditActorInfo {
    /// The account's address, or for `operator` the operating-system user that ran
    /// `magpie admin`.
    pub name: String,
    /// `server_admin`, `domain_admin`, `member` or `operator` (the server's command line).
    pub role: String,
    /// The session the request came with (none for the command line).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<i64>,
}

/// One record of the audit log: an administrative action that was done.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AuditRecordInfo {
    /// Increases with each record: the log's order.
    pub id: i64,
    pub at_ms: i64,
    /// The domain the action was in; absent for deployment-wide actions (a new domain).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    pub actor: AuditActorInfo,
    /// The address the request came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// A stable name, `<area>.<verb>`: `account.create`, `account.disable`, `domain.registration`,
    /// `department.update`, `ldap.sync`, `announcement.send`, … (see protocol.md).
    pub action: String,
    /// What was acted on, for people: an address, a domain, `department 7 (Sales)`.
    pub target: String,
    /// The fields the action changed, as they were; absent when the thing did not exist.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    /// The fields the action changed, as they are after it; absent when the thing is gone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
}

/// Which of a domain's groups and channels to list (`GET /v1/admin/domains/{domain}/groups`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AdminGroupQuery {
    /// Only those whose name contains this, ignoring case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    /// Also those that were dissolved.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dissolved: bool,
    /// Those older than this id: the previous page's `next_before`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<i64>,
    /// Groups per page, 1 to 200 (50 by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
}

/// A group or channel as a domain's administrators see it in the console.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AdminGroupInfo {
    pub id: i64,
    /// `group` or `channel`.
    pub kind: String,
    pub name: String,
    /// The owner's address; left out once dissolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    pub member_count: u32,
    pub created_at_ms: i64,
    pub last_activity_ms: i64,
    pub dissolved: bool,
}

/// `GET /v1/admin/domains/{domain}/groups`: newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AdminGroupList {
    pub groups: Vec<AdminGroupInfo>,
    /// Send as `before` for the next page; left out on the last.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_before: Option<i64>,
}

/// `POST /v1/admin/exports`: what to export. Exactly one of `account` and `conversation`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewExportRequest {
    /// Everything this account could read while a member: what it sent and received.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// Everything in this conversation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation: Option<i64>,
    /// Only entries stored at or after this moment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_ms: Option<i64>,
    /// Only entries stored before this moment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until_ms: Option<i64>,
}

/// A compliance export and how far it has got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ExportInfo {
    pub id: i64,
    pub domain: String,
    /// The account or operator that started it.
    pub requested_by: String,
    /// The account exported, for an account's export.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// The conversation exported, for a conversation's export.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation: Option<i64>,
    /// What it covers, for people: the account's address, or the conversation's id and name.
    pub target: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until_ms: Option<i64>,
    /// `running`, `done` or `failed`.
    pub state: String,
    pub conversations_total: u64,
    pub conversations_done: u64,
    /// Entries and files written so far.
    pub messages: u64,
    pub files: u64,
    /// The archive's size, once done.
    pub bytes: u64,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub created_at_ms: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at_ms: Option<i64>,
    /// When the archive is deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at_ms: Option<i64>,
}

/// `GET /v1/admin/exports`: newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ExportList {
    pub exports: Vec<ExportInfo>,
}

/// Which exports to list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// One domain's exports. A domain administrator lists only their own domain's, whether or
    /// not they name it; naming another is `not_found`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
}

/// How to read one export or one retention run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportWaitQuery {
    /// While it runs, wait up to this many seconds (at most 25; less than 0 counts as 0) for it
    /// to change (progress, or its end) before answering.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait_secs: Option<i64>,
}

/// Which records of the audit log to read (`GET /v1/admin/audit` and its export); every
/// parameter narrows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// The domain whose records to read. A domain administrator reads only their own domain's
    /// records, whether or not they name it; naming another is `not_found`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// Only records with no domain (deployment-wide actions such as a new domain); for server
    /// administrators (a domain administrator's read stays their domain's).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deployment_only: bool,
    /// Records of actors whose name contains this, ignoring case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// Records of this action, or of this area (`account` reads `account.*`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// Records whose target contains this, ignoring case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// At or after this moment (ms since the epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<i64>,
    /// Before this moment (ms since the epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<i64>,
    /// Records older than this one (the previous page's `next_before`). Not for exports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<i64>,
    /// Records a page holds, 1 to 200 (default 50; others are brought into that range). Not
    /// for exports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
}

/// `GET /v1/admin/audit`: records newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AuditRecordList {
    pub records: Vec<AuditRecordInfo>,
    /// Pass as `before` for the next (older) page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_before: Option<i64>,
}

/// A backup made from the console, in the server's backups directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BackupInfo {
    /// Its directory's name, `magpie-<UTC time it began>`.
    pub name: String,
    pub created_at_ms: i64,
    /// `false` for a backup that broke off: it will not restore.
    pub finished: bool,
    pub database_bytes: u64,
    /// Stored files and unfinished uploads copied (0 where files live in a bucket).
    pub files: u64,
    pub files_bytes: u64,
    /// File contents the database named that were already gone when copied (only known just
    /// after the backup).
    pub missing: u64,
}

/// `GET /v1/admin/backups`: newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BackupList {
    pub backups: Vec<BackupInfo>,
}

/// One sample of a node for the console's dashboard: gauges as they were at `at_ms`, and rates
/// over the time since the sample before.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DashboardSample {
    pub at_ms: i64,
    /// Open WebSocket connections to this node.
    pub connections: u64,
    /// Accounts with at least one of them.
    pub accounts_online: u64,
    /// Entries of the log (messages and their operations) per minute, the whole deployment's.
    pub entries_per_min: f64,
    /// REST requests this node answered per minute.
    pub requests_per_min: f64,
    /// Errors this node sent to clients per minute.
    pub errors_per_min: f64,
    /// The mean REST latency, and (to a power of two) its 99th percentile, in ms.
    pub latency_ms_mean: f64,
    pub latency_ms_p99: f64,
    /// This process's CPU use, in percent of one core.
    pub cpu_percent: f64,
    /// This process's resident memory.
    pub memory_bytes: u64,
    /// The database's and the stored files' bytes, where this node can measure them (the
    /// embedded deployment).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_bytes: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files_bytes: Option<u64>,
    /// The largest lag of this node's followers of the log, in commits.
    pub follower_lag_max: u64,
}

/// `GET /v1/admin/dashboard`: this node now and over the last hour and day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Dashboard {
    /// Seconds between the hour's samples (the day's are a minute apart).
    pub sample_secs: u64,
    /// The gauges read now, with the last sample's rates.
    pub now: DashboardSample,
    /// Oldest first.
    pub hour: Vec<DashboardSample>,
    pub day: Vec<DashboardSample>,
    /// The TLS certificate this node presents, when it terminates TLS itself (`[tls]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsStatus>,
}

/// The certificate a node that terminates TLS presents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TlsStatus {
    /// `files` (the configured certificate files, read again when they change) or `acme`.
    pub source: String,
    /// Its DNS names; empty while there is none yet (an ACME order under way).
    pub names: Vec<String>,
    /// When it expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at_ms: Option<i64>,
    /// The last failure to reload the files or to obtain a certificate, while the one before
    /// stays in service; gone once one succeeds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_at_ms: Option<i64>,
}

/// `GET /v1/admin/connections`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConnectionsQuery {
    /// Only this domain's; a domain administrator always sees only their own domain's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// At most this many, 1 to 500 (500 by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
}

/// A live WebSocket connection to this node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ConnectionInfo {
    pub account: String,
    /// The session it came with: `DELETE /v1/admin/accounts/{account}/sessions/{session}`
    /// disconnects it (and signs that device out).
    pub session: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    pub connected_at_ms: i64,
}

/// `GET /v1/admin/connections`: newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ConnectionList {
    /// All of them (the list stops at its limit).
    pub total: u64,
    pub connections: Vec<ConnectionInfo>,
}

/// What a message with a forbidden word becomes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ModerationAction {
    /// Refused with `invalid_field` on `body.text`.
    #[default]
    Block,
    /// Sent with each forbidden word masked, `*` for each character.
    Mask,
}

/// `GET` and `PUT /v1/admin/domains/{domain}/moderation`: the domain's forbidden words.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ModerationRules {
    pub action: ModerationAction,
    /// At most 2,000 words of at most 32 characters; matched anywhere in a message's text,
    /// ignoring the case of ASCII letters. Empty: no moderation.
    pub words: Vec<String>,
}

/// `GET /v1/admin/logs`: which lines; every parameter narrows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogQuery {
    /// At least this level: `trace`, `debug`, `info`, `warn` or `error`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    /// Targets that start with this (`magpie::security`, `magpie_http`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Lines whose message or fields contain this, ignoring case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    /// Lines after this one (the previous answer's `last`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<i64>,
    /// At most this many, 1 to 500 (500 by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    /// With no line to answer yet, wait up to this many seconds (at most 25; less than 0 counts as
    /// 0) for one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait_secs: Option<i64>,
}

/// One line of the server's log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LogLine {
    /// Increases with each line the process writes.
    pub id: u64,
    /// When, as RFC 3339.
    pub at: String,
    /// `TRACE` to `ERROR`.
    pub level: String,
    pub target: String,
    pub message: String,
    /// The event's other fields.
    #[schema(value_type = Object)]
    pub fields: serde_json::Value,
}

/// `GET /v1/admin/logs`: oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LogLines {
    pub lines: Vec<LogLine>,
    /// Pass as `after` for the lines that come next.
    pub last: u64,
}

/// `GET` and `PUT /v1/admin/domains/{domain}/retention`: how long the domain keeps its
/// conversations' entries, the conversations that keep theirs for another time, and the
/// domain's latest runs (newest first, at most 20).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Retention {
    pub domain: String,
    /// Days; absent: for ever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days: Option<u32>,
    pub conversations: Vec<ConversationRetention>,
    pub runs: Vec<RetentionRunInfo>,
}

/// A conversation that keeps its entries for another time than its domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ConversationRetention {
    pub conversation: i64,
    pub kind: crate::ConversationKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Days; 0: for ever.
    pub days: u32,
}

/// `PUT /v1/admin/domains/{domain}/retention` (days from 1 to 36,500; absent or `null`: for
/// ever) and `PUT /v1/admin/conversations/{id}/retention` (0 to 36,500, 0 for ever; absent or
/// `null`: as its domain).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RetentionPolicy {
    #[serde(default)]
    pub days: Option<u32>,
}

/// `POST /v1/admin/domains/{domain}/retention/runs`: run the domain's retention now. With
/// `before_ms`, every conversation of the domain loses its entries older than that, whatever
/// its policy (a one-off purge; not in the future); without, each keeps what its policy says.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StartRetentionRun {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_ms: Option<i64>,
}

/// One run of a domain's retention and how far it got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RetentionRunInfo {
    pub id: i64,
    /// `running`, `done` or `failed`.
    pub state: String,
    /// `schedule`, or the account or operator that started it.
    pub started_by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_ms: Option<i64>,
    /// Conversations pruned and entries deleted; `files`, the stored files' contents removed
    /// when it ended (those of files only the deleted entries used, and any an earlier prune
    /// left to remove).
    pub conversations: i64,
    pub entries: i64,
    pub files: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub started_at_ms: i64,
    pub updated_at_ms: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at_ms: Option<i64>,
}
