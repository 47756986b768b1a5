//! Domain types: what the core reasons about. Neither wire bodies nor database rows.

use crate::names::{AccountAddr, DomainName, LoginName};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);
    };
}

id_type!(
    /// A domain's internal id.
    DomainId
);
id_type!(
    /// An account's internal id; stable for the account's life, never reused.
    AccountId
);
id_type!(
    /// A session's id, shown in the session list so that its owner can revoke it.
    SessionId
);
id_type!(
    /// A conversation's id (direct chat, group or channel).
    ConversationId
);
id_type!(
    /// The server's id of a conversation entry: unique across the deployment.
    EntryId
);
id_type!(
    /// A conversation's activity stamp: a deployment-wide counter that every append and every
    /// new conversation moves on, in commit order. Unique, so it pages without ties.
    Activity
);
id_type!(
    /// An entry's place in its conversation: dense, from 1, strictly increasing.
    Seq
);
id_type!(
    /// An event's place in its account's event log: dense, from 1, strictly increasing.
    EventSeq
);
id_type!(
    /// A saved message's id: unique across the deployment, larger for a later save.
    SavedId
);
id_type!(
    /// A scheduled message's id: unique across the deployment, never reused.
    ScheduledId
);

/// A place in the deployment's commit order, as the store adapter defines it: later commits
/// have greater cursors, and an adapter turns it into text for clients and back. The core only
/// compares, stores and hands them back; SQLite uses its activity clock.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LogCursor(pub u128);

impl LogCursor {
    /// Before every commit.
    pub const START: LogCursor = LogCursor(0);

    /// How far ahead of `behind` this cursor is, in the adapter's units (for SQLite, commits),
    /// saturating at 0: a consumer's lag.
    pub fn distance_from(self, behind: LogCursor) -> u128 {
        self.0.saturating_sub(behind.0)
    }
}

impl std::fmt::Display for LogCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl std::str::FromStr for LogCursor {
    type Err = std::num::ParseIntError;

    fn from_str(s: &str) -> Result<LogCursor, Self::Err> {
        s.parse().map(LogCursor)
    }
}

/// An account's role in its domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Member,
    DomainAdmin,
    ServerAdmin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Member => "member",
            Role::DomainAdmin => "domain_admin",
            Role::ServerAdmin => "server_admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "member" => Some(Role::Member),
            "domain_admin" => Some(Role::DomainAdmin),
            "server_admin" => Some(Role::ServerAdmin),
            _ => None,
        }
    }
}

/// Who may create an account in a domain without an administrator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistrationMode {
    /// Accounts come from administrators (and the CLI) only.
    Closed,
    /// Anyone may register.
    Open,
    /// Anyone with an invitation code of the domain may register.
    Invitation,
    /// Anyone may apply; the account opens when a domain administrator approves it.
    Approval,
}

impl RegistrationMode {
    pub fn as_str(self) -> &'static str {
        match self {
            RegistrationMode::Closed => "closed",
            RegistrationMode::Open => "open",
            RegistrationMode::Invitation => "invitation",
            RegistrationMode::Approval => "approval",
        }
    }

    pub fn parse(s: &str) -> Option<RegistrationMode> {
        match s {
            "closed" => Some(RegistrationMode::Closed),
            "open" => Some(RegistrationMode::Open),
            "invitation" => Some(RegistrationMode::Invitation),
            "approval" => Some(RegistrationMode::Approval),
            _ => None,
        }
    }
}

id_type!(
    /// An invitation's id, shown to the administrators who list and revoke them.
    InvitationId
);

/// A code that lets people register in a domain whose registration is by invitation. The
/// code itself is shown once, when it is made; the store keeps its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    pub id: InvitationId,
    pub domain_id: DomainId,
    /// Who made it; `None` for the operator's CLI.
    pub created_by: Option<AccountId>,
    pub note: Option<String>,
    pub uses: u32,
    pub uses_max: u32,
    pub expires_at_ms: i64,
    pub created_at_ms: i64,
}

/// An invitation to create.
#[derive(Debug, Clone)]
pub struct NewInvitation {
    pub domain_id: DomainId,
    pub code_hash: [u8; 32],
    pub created_by: Option<AccountId>,
    pub note: Option<String>,
    pub uses_max: u32,
    pub expires_at_ms: i64,
    pub created_at_ms: i64,
}

/// Where an application to join a domain whose registration needs approval stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplicationState {
    Pending,
    Rejected,
}

/// An account that applied and waits for a domain administrator's decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Application {
    pub account: Account,
    pub state: ApplicationState,
    pub applied_at_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Domain {
    pub id: DomainId,
    pub name: DomainName,
    pub registration: RegistrationMode,
    /// Direct messages need friendship; otherwise (the enterprise default) any member of the
    /// domain may message any other.
    pub direct_requires_friendship: bool,
    /// Registrations need an email address, proven by a code mailed to it.
    pub email_verification: bool,
    /// The email domains a registration's address may be of (lower case); empty for any.
    pub email_domains: Vec<String>,
    /// Members, not only administrators, may make invitation codes to the domain.
    pub members_invite: bool,
    /// Members, not only administrators, may make bots (see [`crate::bots`]).
    pub members_make_bots: bool,
    pub created_at_ms: i64,
}

/// What other members of the domain may see of an account.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProfileFields {
    pub display_name: String,
    pub avatar: Option<String>,
    pub signature: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: AccountId,
    pub domain_id: DomainId,
    pub addr: AccountAddr,
    pub role: Role,
    pub disabled: bool,
    /// The Argon2id PHC string; `None` for accounts that cannot log in with a password.
    pub password_hash: Option<String>,
    pub profile: ProfileFields,
    /// A bot: an account of an app, acting only with tokens (no password, no login).
    pub bot: bool,
    pub created_at_ms: i64,
}

/// An account to be created; the store assigns the id.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub domain_id: DomainId,
    pub domain: DomainName,
    pub name: LoginName,
    pub role: Role,
    pub password_hash: Option<String>,
    pub display_name: String,
    /// The keys its name is found by ([`crate::directory::NameMatcher::keys`]), if the core
    /// has a matcher.
    pub name_keys: Option<String>,
    /// The account applied in a domain whose registration needs approval: it is created
    /// disabled, with a pending application, in the same write.
    pub pending_approval: bool,
    /// The account is a bot, made by `owner`: its `bots` row is written with it.
    pub bot: Option<NewBot>,
    pub created_at_ms: i64,
}

/// What a new bot account is written with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBot {
    /// None for the operator's (made with the CLI).
    pub owner: Option<AccountId>,
    pub description: String,
}

/// A validated change to a profile: `None` leaves a field alone, `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfilePatch {
    pub display_name: Option<String>,
    pub avatar: Option<Option<String>>,
    pub signature: Option<Option<String>>,
    pub email: Option<Option<String>>,
    pub phone: Option<Option<String>>,
}

/// One logged-in device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: SessionId,
    pub account_id: AccountId,
    pub device: Option<String>,
    pub ip: Option<String>,
    pub created_at_ms: i64,
    pub last_seen_at_ms: i64,
    pub expires_at_ms: i64,
    /// What the session may do, if less than everything its account may: a bot's token.
    pub scope: Option<TokenScope>,
}

/// What a bot's token may do (see [`crate::bots`]). A session without one (a login) may do
/// whatever its account may.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TokenScope {
    /// Only these of the bot's conversations; `None`: all of them, and those it joins later.
    pub conversations: Option<Vec<ConversationId>>,
    /// Read messages, members and accounts.
    pub read: bool,
    /// Send, edit, recall and react.
    pub send: bool,
    /// An incoming webhook's token: good only for posting to its one conversation through
    /// `POST /v1/hooks/{token}`, never as a bearer token.
    #[serde(default)]
    pub hook: bool,
    /// A workbench app's token (see [`crate::apps`]): it acts for its account within these
    /// scopes only, on the routes they open; `read`, `send` and `conversations` do not apply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<AppAccess>,
}

/// The app an app's token is for, and what its user granted it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AppAccess {
    pub app: crate::apps::AppId,
    pub scopes: Vec<crate::apps::AppScope>,
}

impl TokenScope {
    /// May a session of this scope reach `conversation` (its account being a member)?
    pub fn reaches(&self, conversation: ConversationId) -> bool {
        self.conversations.as_ref().is_none_or(|c| c.contains(&conversation))
    }
}
#[derive(Debug, Clone)]
pub struct NewSession {
    pub account_id: AccountId,
    pub token_hash: [u8; 32],
    pub device: Option<String>,
    pub ip: Option<String>,
    pub created_at_ms: i64,
    pub expires_at_ms: i64,
    /// If the account already holds this many live sessions, the oldest are revoked.
    pub sessions_per_account_max: usize,
    pub scope: Option<TokenScope>,
}

/// Why a session ended; recorded with the revocation and told to the closed connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevokeReason {
    Logout,
    Revoked,
    PasswordChanged,
    AccountDisabled,
    Expired,
}

impl RevokeReason {
    pub fn as_str(self) -> &'static str {
        match self {
            RevokeReason::Logout => "logout",
            RevokeReason::Revoked => "revoked",
            RevokeReason::PasswordChanged => "password_changed",
            RevokeReason::AccountDisabled => "account_disabled",
            RevokeReason::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<RevokeReason> {
        match s {
            "logout" => Some(RevokeReason::Logout),
            "revoked" => Some(RevokeReason::Revoked),
            "password_changed" => Some(RevokeReason::PasswordChanged),
            "account_disabled" => Some(RevokeReason::AccountDisabled),
            "expired" => Some(RevokeReason::Expired),
            _ => None,
        }
    }
}

/// An entry of the store's revocation log, which every server process tails so that a
/// revocation made anywhere (another node, the offline admin CLI) closes live connections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocation {
    pub seq: i64,
    pub session_id: SessionId,
    pub reason: RevokeReason,
}

/// Which of an account's sessions to revoke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionSelector {
    One(SessionId),
    /// Every live session, except the given one if any.
    AllExcept(Option<SessionId>),
}

/// An authenticated caller: the account and the session it presented.
#[derive(Debug, Clone)]
pub struct Principal {
    pub account: Account,
    pub session: Session,
    /// The address this request came from, where the transport knows it (for the audit log).
    pub from_ip: Option<String>,
}

impl Principal {
    /// May this caller reach `conversation` at all (given that its account is a member)? A
    /// bot's token may be kept to some of the bot's conversations.
    pub fn reaches(&self, conversation: ConversationId) -> bool {
        self.session.scope.as_ref().is_none_or(|s| s.reaches(conversation))
    }
}

/// Who asks for an administrative change.
#[derive(Debug, Clone, Copy)]
pub enum Actor<'a> {
    /// Someone with access to the data directory (the `magpie admin` CLI): may do anything.
    Operator,
    /// A logged-in account, limited by its role.
    Account(&'a Principal),
}

impl Actor<'_> {
    /// May this actor administer accounts and settings of `domain`?
    pub fn may_administer(&self, domain: DomainId) -> bool {
        match self {
            Actor::Operator => true,
            Actor::Account(p) => match p.account.role {
                Role::ServerAdmin => true,
                Role::DomainAdmin => p.account.domain_id == domain,
                Role::Member => false,
            },
        }
    }

    /// May this actor manage the deployment (add domains, make server admins)?
    pub fn is_server_admin(&self) -> bool {
        match self {
            Actor::Operator => true,
            Actor::Account(p) => p.account.role == Role::ServerAdmin,
        }
    }
}
