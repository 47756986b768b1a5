//! Domains, accounts and sessions: the [`AccountStore`] and [`SessionStore`] of SQLite.

use async_trait::async_trait;
use magpie_core::model::{
    Account, AccountId, Application, ApplicationState, Domain, DomainId, Invitation, InvitationId, NewAccount,
    NewInvitation, NewSession, ProfileFields, ProfilePatch, RegistrationMode, Revocation, RevokeReason, Role, Session,
    SessionId, SessionSelector,
};
use magpie_core::names::{AccountAddr, DomainName, LoginName};
use magpie_core::ports::{AccountStore, SessionStore};
use rusqlite::types::Type;
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::{SqliteStore, StoreResult, Tx};

pub(crate) const ACCOUNT_COLUMNS: &str = "a.id, a.domain_id, d.name, a.name, a.role, a.disabled, a.password_hash, \
     a.display_name, a.avatar, a.signature, a.email, a.phone, a.created_at_ms, a.bot";
/// How many columns [`ACCOUNT_COLUMNS`] are: where a query's own columns after them start.
pub(crate) const ACCOUNT_COLUMN_COUNT: usize = 14;
/// A domain's registration mode from its two columns (see migration 0017).
const REGISTRATION: &str =
    "CASE WHEN registration = 'closed' THEN 'closed' WHEN signup = 'direct' THEN 'open' ELSE signup END";
const INVITATION_COLUMNS: &str = "id, domain_id, created_by, note, uses, uses_max, expires_at_ms, created_at_ms";
const SESSION_COLUMNS: &str =
    "s.id, s.account_id, s.device, s.ip, s.created_at_ms, s.last_seen_at_ms, s.expires_at_ms, s.scope";

/// A stored value that breaks the core's rules: the database was edited by hand or is corrupt.
fn corrupt(col: usize, what: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(col, Type::Text, format!("invalid {what} in database").into())
}

fn invitation_from_row(row: &Row<'_>) -> rusqlite::Result<Invitation> {
    Ok(Invitation {
        id: InvitationId(row.get(0)?),
        domain_id: DomainId(row.get(1)?),
        created_by: row.get::<_, Option<i64>>(2)?.map(AccountId),
        note: row.get(3)?,
        uses: row.get(4)?,
        uses_max: row.get(5)?,
        expires_at_ms: row.get(6)?,
        created_at_ms: row.get(7)?,
    })
}

fn domain_from_row(row: &Row<'_>) -> rusqlite::Result<Domain> {
    let name: String = row.get(1)?;
    let registration: String = row.get(2)?;
    Ok(Domain {
        id: DomainId(row.get(0)?),
        name: DomainName::parse(&name).map_err(|_| corrupt(1, "domain name"))?,
        registration: RegistrationMode::parse(&registration).ok_or_else(|| corrupt(2, "registration mode"))?,
        created_at_ms: row.get(3)?,
        direct_requires_friendship: row.get(4)?,
        email_verification: row.get(5)?,
        email_domains: row.get::<_, String>(6)?.lines().map(str::to_owned).collect(),
        members_invite: row.get(7)?,
        members_make_bots: row.get(8)?,
    })
}

pub(crate) fn account_from_row(row: &Row<'_>) -> rusqlite::Result<Account> {
    let domain: String = row.get(2)?;
    let name: String = row.get(3)?;
    let role: String = row.get(4)?;
    Ok(Account {
        id: AccountId(row.get(0)?),
        domain_id: DomainId(row.get(1)?),
        addr: AccountAddr {
            name: LoginName::parse(&name).map_err(|_| corrupt(3, "login name"))?,
            domain: DomainName::parse(&domain).map_err(|_| corrupt(2, "domain name"))?,
        },
        role: Role::parse(&role).ok_or_else(|| corrupt(4, "role"))?,
        disabled: row.get(5)?,
        password_hash: row.get(6)?,
        profile: ProfileFields {
            display_name: row.get(7)?,
            avatar: row.get(8)?,
            signature: row.get(9)?,
            email: row.get(10)?,
            phone: row.get(11)?,
        },
        created_at_ms: row.get(12)?,
        bot: row.get(13)?,
    })
}

fn session_from_row(row: &Row<'_>) -> rusqlite::Result<Session> {
    Ok(Session {
        id: SessionId(row.get(0)?),
        account_id: AccountId(row.get(1)?),
        device: row.get(2)?,
        ip: row.get(3)?,
        created_at_ms: row.get(4)?,
        last_seen_at_ms: row.get(5)?,
        expires_at_ms: row.get(6)?,
        scope: match row.get::<_, Option<String>>(7)? {
            Some(json) => Some(serde_json::from_str(&json).map_err(|_| corrupt(7, "token scope"))?),
            None => None,
        },
    })
}

pub(crate) fn account_by_id(conn: &Connection, id: AccountId) -> rusqlite::Result<Option<Account>> {
    conn.query_row(
        &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts a JOIN domains d ON d.id = a.domain_id WHERE a.id = ?1"),
        [id.0],
        account_from_row,
    )
    .optional()
}

/// Marks sessions revoked and appends each to the revocation log, inside the caller's
/// transaction. `filter` is a SQL condition on `sessions` with `?1` bound to the account.
fn revoke_where(
    tx: &Connection,
    account: AccountId,
    filter: &str,
    extra: Option<i64>,
    reason: RevokeReason,
    now_ms: i64,
) -> rusqlite::Result<Vec<SessionId>> {
    let sql = format!(
        "UPDATE sessions SET revoked_at_ms = ?3, revoke_reason = ?4 \
         WHERE account_id = ?1 AND revoked_at_ms IS NULL AND ({filter}) RETURNING id"
    );
    let ids = tx
        .prepare(&sql)?
        .query_map(params![account.0, extra, now_ms, reason.as_str()], |r| r.get(0).map(SessionId))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut log = tx.prepare("INSERT INTO session_revocations (session_id, reason, at_ms) VALUES (?1, ?2, ?3)")?;
    // A device's pushes end with its session; so does the refresh token of an app's session
    // (a password change, a sign-out everywhere, a disabled account end the app's access too).
    let mut unpush = tx.prepare_cached("DELETE FROM push_targets WHERE session_id = ?1")?;
    let mut unrefresh = tx.prepare_cached("DELETE FROM app_tokens WHERE session_id = ?1")?;
    for id in &ids {
        log.execute(params![id.0, reason.as_str(), now_ms])?;
        unpush.execute(params![id.0])?;
        unrefresh.execute(params![id.0])?;
    }
    Ok(ids)
}

#[async_trait]
impl AccountStore for SqliteStore {
    async fn create_domain(&self, name: &DomainName, now_ms: i64) -> StoreResult<Option<Domain>> {
        let name = name.clone();
        self.write(move |tx| {
            let inserted = tx.execute(
                "INSERT INTO domains (name, created_at_ms) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING",
                params![name.as_str(), now_ms],
            )?;
            if inserted == 0 {
                return Ok(None);
            }
            Ok(Some(Domain {
                id: DomainId(tx.last_insert_rowid()),
                name,
                registration: RegistrationMode::Closed,
                direct_requires_friendship: false,
                email_verification: false,
                email_domains: Vec::new(),
                members_invite: false,
                members_make_bots: false,
                created_at_ms: now_ms,
            }))
        })
        .await
    }

    async fn domain_by_name(&self, name: &DomainName) -> StoreResult<Option<Domain>> {
        let name = name.as_str().to_owned();
        self.read(move |c| {
            c.prepare_cached(
                &format!("SELECT id, name, {REGISTRATION}, created_at_ms, direct_requires_friendship, email_verification, email_domains, members_invite, members_make_bots FROM domains WHERE name = ?1"),
            )?
            .query_row([name], domain_from_row)
            .optional()
        })
        .await
    }

    async fn domains(&self) -> StoreResult<Vec<Domain>> {
        self.read(|c| {
            c.prepare(&format!(
                "SELECT id, name, {REGISTRATION}, created_at_ms, direct_requires_friendship, email_verification, email_domains, members_invite, members_make_bots FROM domains ORDER BY name"
            ))?
            .query_map([], domain_from_row)?
            .collect()
        })
        .await
    }

    async fn set_registration(&self, domain: DomainId, mode: RegistrationMode) -> StoreResult<()> {
        self.write(move |tx| {
            tx.execute(
                "UPDATE domains SET registration = CASE WHEN ?2 = 'closed' THEN 'closed' ELSE 'open' END, \
                   signup = CASE WHEN ?2 IN ('invitation', 'approval') THEN ?2 ELSE 'direct' END WHERE id = ?1",
                params![domain.0, mode.as_str()],
            )
            .map(drop)
        })
        .await
    }

    async fn set_members_invite(&self, domain: DomainId, on: bool) -> StoreResult<()> {
        self.write(move |tx| {
            tx.execute("UPDATE domains SET members_invite = ?2 WHERE id = ?1", params![domain.0, on]).map(drop)
        })
        .await
    }

    async fn set_members_make_bots(&self, domain: DomainId, on: bool) -> StoreResult<()> {
        self.write(move |tx| {
            tx.execute("UPDATE domains SET members_make_bots = ?2 WHERE id = ?1", params![domain.0, on]).map(drop)
        })
        .await
    }

    async fn set_direct_requires_friendship(&self, domain: DomainId, on: bool) -> StoreResult<()> {
        self.write(move |tx| {
            tx.execute("UPDATE domains SET direct_requires_friendship = ?2 WHERE id = ?1", params![domain.0, on])
                .map(drop)
        })
        .await
    }

    async fn create_account(&self, new: NewAccount) -> StoreResult<Option<Account>> {
        self.write(move |tx| insert_account(tx, new)).await
    }

    async fn create_accounts(&self, accounts: Vec<NewAccount>) -> StoreResult<Option<Vec<Account>>> {
        self.write(move |tx| {
            // The writer is the database's only one: no name can be taken between this check and
            // the inserts, which therefore all succeed.
            let mut taken = tx.prepare_cached("SELECT 1 FROM accounts WHERE domain_id = ?1 AND name = ?2")?;
            for new in &accounts {
                if taken.exists(params![new.domain_id.0, new.name.as_str()])? {
                    return Ok(None);
                }
            }
            let mut made = Vec::with_capacity(accounts.len());
            for new in accounts {
                match insert_account(tx, new)? {
                    Some(account) => made.push(account),
                    // Two of the batch with one name: the caller's to prevent; refused whole.
                    None => return Err(rusqlite::Error::StatementChangedRows(0)),
                }
            }
            Ok(Some(made))
        })
        .await
    }

    async fn account_by_name(&self, domain: DomainId, name: &LoginName) -> StoreResult<Option<Account>> {
        let name = name.as_str().to_owned();
        self.read(move |c| {
            c.query_row(
                &format!(
                    "SELECT {ACCOUNT_COLUMNS} FROM accounts a JOIN domains d ON d.id = a.domain_id \
                     WHERE a.domain_id = ?1 AND a.name = ?2"
                ),
                params![domain.0, name],
                account_from_row,
            )
            .optional()
        })
        .await
    }

    async fn account_by_id(&self, id: AccountId) -> StoreResult<Option<Account>> {
        self.read(move |c| account_by_id(c, id)).await
    }

    async fn search_accounts(
        &self,
        domain: DomainId,
        query: &str,
        after: Option<&LoginName>,
        limit: usize,
        include_disabled: bool,
    ) -> StoreResult<Vec<Account>> {
        let escaped = query.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        let pattern = format!("%{escaped}%");
        let after = after.map(|a| a.as_str().to_owned());
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(move |c| {
            c.prepare(&format!(
                "SELECT {ACCOUNT_COLUMNS} FROM accounts a JOIN domains d ON d.id = a.domain_id \
                 WHERE a.domain_id = ?1 AND (?2 OR a.disabled = 0) \
                   AND (a.name LIKE ?3 ESCAPE '\\' OR a.display_name LIKE ?3 ESCAPE '\\') \
                   AND (?4 IS NULL OR a.name > ?4) \
                 ORDER BY a.name LIMIT ?5"
            ))?
            .query_map(params![domain.0, include_disabled, pattern, after, limit], account_from_row)?
            .collect()
        })
        .await
    }

    async fn find_accounts(
        &self,
        domain: DomainId,
        folded: &str,
        raw: &str,
        limit: usize,
    ) -> StoreResult<Vec<Account>> {
        let (folded, raw) = (folded.to_owned(), raw.to_owned());
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(move |c| {
            c.prepare(&format!(
                "SELECT {ACCOUNT_COLUMNS} FROM accounts a JOIN domains d ON d.id = a.domain_id \
                 WHERE a.domain_id = ?1 AND a.disabled = 0 \
                   AND (instr(a.name_keys, ?2) > 0 \
                        OR (a.name_keys IS NULL AND (instr(lower(a.name), ?3) > 0 OR instr(lower(a.display_name), ?3) > 0))) \
                 ORDER BY instr(a.name_keys, char(10) || ?2 || char(10)) > 0 DESC, \
                          instr(a.name_keys, char(10) || ?2) > 0 DESC, \
                          length(a.display_name), a.id \
                 LIMIT ?4"
            ))?
            .query_map(params![domain.0, folded, raw, limit], account_from_row)?
            .collect()
        })
        .await
    }

    async fn accounts_without_name_keys(&self, limit: usize) -> StoreResult<Vec<Account>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(move |c| {
            c.prepare(&format!(
                "SELECT {ACCOUNT_COLUMNS} FROM accounts a JOIN domains d ON d.id = a.domain_id \
                 WHERE a.name_keys IS NULL ORDER BY a.id LIMIT ?1"
            ))?
            .query_map(params![limit], account_from_row)?
            .collect()
        })
        .await
    }

    async fn set_name_keys(&self, account: &Account, keys: &str) -> StoreResult<bool> {
        let (id, keys) = (account.id.0, keys.to_owned());
        let p = account.profile.clone();
        self.write(move |tx| {
            let changed = tx.execute(
                "UPDATE accounts SET name_keys = ?2 \
                 WHERE id = ?1 AND display_name = ?3 AND email IS ?4 AND phone IS ?5",
                params![id, keys, p.display_name, p.email, p.phone],
            )?;
            Ok(changed == 1)
        })
        .await
    }

    async fn create_invitation(&self, new: NewInvitation) -> StoreResult<Invitation> {
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO invitations (domain_id, code_hash, created_by, note, uses_max, expires_at_ms, created_at_ms) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    new.domain_id.0,
                    &new.code_hash[..],
                    new.created_by.map(|a| a.0),
                    new.note,
                    new.uses_max,
                    new.expires_at_ms,
                    new.created_at_ms
                ],
            )?;
            Ok(Invitation {
                id: InvitationId(tx.last_insert_rowid()),
                domain_id: new.domain_id,
                created_by: new.created_by,
                note: new.note,
                uses: 0,
                uses_max: new.uses_max,
                expires_at_ms: new.expires_at_ms,
                created_at_ms: new.created_at_ms,
            })
        })
        .await
    }

    async fn invitations(
        &self,
        domain: DomainId,
        created_by: Option<AccountId>,
        limit: usize,
    ) -> StoreResult<Vec<Invitation>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let by = created_by.map(|a| a.0);
        self.read(move |c| {
            c.prepare_cached(&format!(
                "SELECT {INVITATION_COLUMNS} FROM invitations WHERE domain_id = ?1 AND revoked_at_ms IS NULL \
                 AND (?3 IS NULL OR created_by = ?3) ORDER BY id DESC LIMIT ?2"
            ))?
            .query_map(params![domain.0, limit, by], invitation_from_row)?
            .collect()
        })
        .await
    }

    async fn revoke_invitation(&self, domain: DomainId, id: InvitationId) -> StoreResult<bool> {
        self.write(move |tx| {
            let n = tx.execute(
                "UPDATE invitations SET revoked_at_ms = created_at_ms WHERE id = ?1 AND domain_id = ?2 \
                   AND revoked_at_ms IS NULL",
                params![id.0, domain.0],
            )?;
            Ok(n == 1)
        })
        .await
    }

    async fn use_invitation(&self, domain: DomainId, code_hash: [u8; 32], now_ms: i64) -> StoreResult<bool> {
        self.write(move |tx| {
            let n = tx.execute(
                "UPDATE invitations SET uses = uses + 1 WHERE code_hash = ?1 AND domain_id = ?2 \
                   AND revoked_at_ms IS NULL AND expires_at_ms > ?3 AND uses < uses_max",
                params![&code_hash[..], domain.0, now_ms],
            )?;
            Ok(n == 1)
        })
        .await
    }

    async fn refund_invitation(&self, domain: DomainId, code_hash: [u8; 32]) -> StoreResult<()> {
        self.write(move |tx| {
            tx.execute(
                "UPDATE invitations SET uses = uses - 1 WHERE code_hash = ?1 AND domain_id = ?2 AND uses > 0",
                params![&code_hash[..], domain.0],
            )
            .map(drop)
        })
        .await
    }

    async fn application_state(&self, account: AccountId) -> StoreResult<Option<ApplicationState>> {
        self.read(move |c| {
            let state: Option<String> = c
                .prepare_cached("SELECT state FROM applications WHERE account_id = ?1")?
                .query_row(params![account.0], |r| r.get(0))
                .optional()?;
            Ok(state.map(|s| if s == "rejected" { ApplicationState::Rejected } else { ApplicationState::Pending }))
        })
        .await
    }

    async fn applications(&self, domain: DomainId, limit: usize) -> StoreResult<Vec<Application>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(move |c| {
            c.prepare_cached(&format!(
                "SELECT {ACCOUNT_COLUMNS}, ap.applied_at_ms FROM applications ap \
                 JOIN accounts a ON a.id = ap.account_id JOIN domains d ON d.id = a.domain_id \
                 WHERE ap.domain_id = ?1 AND ap.state = 'pending' ORDER BY ap.applied_at_ms, a.id LIMIT ?2"
            ))?
            .query_map(params![domain.0, limit], |row| {
                Ok(Application {
                    account: account_from_row(row)?,
                    state: ApplicationState::Pending,
                    applied_at_ms: row.get(ACCOUNT_COLUMN_COUNT)?,
                })
            })?
            .collect()
        })
        .await
    }

    async fn decide_application(&self, account: AccountId, approve: bool, now_ms: i64) -> StoreResult<bool> {
        self.write(move |tx| {
            let pending = tx
                .query_row(
                    "SELECT 1 FROM applications WHERE account_id = ?1 AND state = 'pending'",
                    params![account.0],
                    |_| Ok(()),
                )
                .optional()?
                .is_some();
            if !pending {
                return Ok(false);
            }
            if approve {
                tx.execute("DELETE FROM applications WHERE account_id = ?1", params![account.0])?;
                tx.execute("UPDATE accounts SET disabled = 0 WHERE id = ?1", params![account.0])?;
            } else {
                tx.execute(
                    "UPDATE applications SET state = 'rejected', decided_at_ms = ?2 WHERE account_id = ?1",
                    params![account.0, now_ms],
                )?;
            }
            Ok(true)
        })
        .await
    }

    async fn update_profile(&self, id: AccountId, patch: &ProfilePatch) -> StoreResult<Option<Account>> {
        let patch = patch.clone();
        self.write(move |tx| {
            // Each optional column: keep (flag 0) or set to the given value, possibly NULL.
            let flag = |v: &Option<Option<String>>| v.is_some();
            let value = |v: &Option<Option<String>>| v.clone().flatten();
            tx.execute(
                "UPDATE accounts SET \
                   display_name = COALESCE(?2, display_name), \
                   avatar = CASE WHEN ?3 THEN ?4 ELSE avatar END, \
                   signature = CASE WHEN ?5 THEN ?6 ELSE signature END, \
                   email = CASE WHEN ?7 THEN ?8 ELSE email END, \
                   phone = CASE WHEN ?9 THEN ?10 ELSE phone END, \
                   name_keys = CASE WHEN ?2 IS NOT NULL OR ?7 OR ?9 THEN NULL ELSE name_keys END \
                 WHERE id = ?1",
                params![
                    id.0,
                    patch.display_name,
                    flag(&patch.avatar),
                    value(&patch.avatar),
                    flag(&patch.signature),
                    value(&patch.signature),
                    flag(&patch.email),
                    value(&patch.email),
                    flag(&patch.phone),
                    value(&patch.phone),
                ],
            )?;
            account_by_id(tx, id)
        })
        .await
    }

    async fn set_password_hash(
        &self,
        id: AccountId,
        hash: &str,
        keep: Option<SessionId>,
        now_ms: i64,
    ) -> StoreResult<Vec<SessionId>> {
        let hash = hash.to_owned();
        self.write(move |tx| {
            tx.execute("UPDATE accounts SET password_hash = ?2 WHERE id = ?1", params![id.0, hash])?;
            revoke_where(tx, id, "?2 IS NULL OR id != ?2", keep.map(|k| k.0), RevokeReason::PasswordChanged, now_ms)
        })
        .await
    }

    async fn set_role(&self, id: AccountId, role: Role) -> StoreResult<bool> {
        self.write(move |tx| {
            Ok(tx.execute("UPDATE accounts SET role = ?2 WHERE id = ?1", params![id.0, role.as_str()])? > 0)
        })
        .await
    }

    async fn set_disabled(&self, id: AccountId, disabled: bool, now_ms: i64) -> StoreResult<Vec<SessionId>> {
        self.write(move |tx| {
            tx.execute("UPDATE accounts SET disabled = ?2 WHERE id = ?1", params![id.0, disabled])?;
            if !disabled {
                return Ok(Vec::new());
            }
            revoke_where(tx, id, "?2 IS NULL", None, RevokeReason::AccountDisabled, now_ms)
        })
        .await
    }
}

/// Inserts one account; `None` if its name is taken in its domain.
fn insert_account(tx: &Tx<'_>, new: NewAccount) -> rusqlite::Result<Option<Account>> {
    let inserted = tx.prepare_cached(
        "INSERT INTO accounts (domain_id, name, role, password_hash, display_name, created_at_ms, name_keys, disabled, bot) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (domain_id, name) DO NOTHING",
    )?
    .execute(params![
        new.domain_id.0,
        new.name.as_str(),
        new.role.as_str(),
        new.password_hash,
        new.display_name,
        new.created_at_ms,
        new.name_keys,
        new.pending_approval,
        new.bot.is_some()
    ])?;
    if inserted == 0 {
        return Ok(None);
    }
    let id = AccountId(tx.last_insert_rowid());
    if new.pending_approval {
        tx.execute(
            "INSERT INTO applications (account_id, domain_id, state, applied_at_ms) VALUES (?1, ?2, 'pending', ?3)",
            params![id.0, new.domain_id.0, new.created_at_ms],
        )?;
    }
    if let Some(bot) = &new.bot {
        tx.execute(
            "INSERT INTO bots (account_id, domain_id, owner_id, description, created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![id.0, new.domain_id.0, bot.owner.map(|o| o.0), bot.description, new.created_at_ms],
        )?;
    }
    Ok(Some(Account {
        id,
        domain_id: new.domain_id,
        addr: AccountAddr { name: new.name, domain: new.domain },
        role: new.role,
        disabled: new.pending_approval,
        password_hash: new.password_hash,
        profile: ProfileFields { display_name: new.display_name, ..ProfileFields::default() },
        bot: new.bot.is_some(),
        created_at_ms: new.created_at_ms,
    }))
}

#[async_trait]
impl SessionStore for SqliteStore {
    async fn create_session(&self, new: NewSession) -> StoreResult<(Session, Vec<SessionId>)> {
        self.write(move |tx| {
            // The bound is on logins: bots' and apps' tokens (sessions with a scope) have bounds
            // of their own and are neither counted nor pushed out.
            let live: i64 = tx.query_row(
                "SELECT count(*) FROM sessions WHERE account_id = ?1 AND revoked_at_ms IS NULL AND expires_at_ms > ?2 \
                 AND scope IS NULL",
                params![new.account_id.0, new.created_at_ms],
                |r| r.get(0),
            )?;
            let max = i64::try_from(new.sessions_per_account_max.max(1)).unwrap_or(i64::MAX);
            let excess = (live - max + 1).max(0);
            let evicted = if excess > 0 {
                revoke_where(
                    tx,
                    new.account_id,
                    "id IN (SELECT id FROM sessions WHERE account_id = ?1 AND revoked_at_ms IS NULL \
                     AND expires_at_ms > ?3 AND scope IS NULL ORDER BY created_at_ms, id LIMIT ?2)",
                    Some(excess),
                    RevokeReason::Revoked,
                    new.created_at_ms,
                )?
            } else {
                Vec::new()
            };
            tx.execute(
                "INSERT INTO sessions (account_id, token_hash, device, ip, created_at_ms, last_seen_at_ms, expires_at_ms, \
                   scope) VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, ?7)",
                params![
                    new.account_id.0,
                    new.token_hash.as_slice(),
                    new.device,
                    new.ip,
                    new.created_at_ms,
                    new.expires_at_ms,
                    new.scope.as_ref().map(crate::chat::to_json).transpose()?
                ],
            )?;
            let session = Session {
                id: SessionId(tx.last_insert_rowid()),
                account_id: new.account_id,
                device: new.device,
                ip: new.ip,
                created_at_ms: new.created_at_ms,
                last_seen_at_ms: new.created_at_ms,
                expires_at_ms: new.expires_at_ms,
                scope: new.scope,
            };
            Ok((session, evicted))
        })
        .await
    }

    async fn session_by_token_hash(&self, hash: &[u8; 32]) -> StoreResult<Option<(Session, Account)>> {
        let hash = *hash;
        self.read(move |c| {
            let session = c
                .query_row(
                    &format!(
                        "SELECT {SESSION_COLUMNS} FROM sessions s WHERE s.token_hash = ?1 AND s.revoked_at_ms IS NULL"
                    ),
                    [hash.as_slice()],
                    session_from_row,
                )
                .optional()?;
            let Some(session) = session else { return Ok(None) };
            Ok(account_by_id(c, session.account_id)?.map(|a| (session, a)))
        })
        .await
    }

    async fn touch_session(&self, id: SessionId, now_ms: i64) -> StoreResult<()> {
        self.write(move |tx| {
            tx.execute("UPDATE sessions SET last_seen_at_ms = ?2 WHERE id = ?1", params![id.0, now_ms]).map(drop)
        })
        .await
    }

    async fn sessions(&self, account: AccountId, now_ms: i64) -> StoreResult<Vec<Session>> {
        self.read(move |c| {
            c.prepare(&format!(
                "SELECT {SESSION_COLUMNS} FROM sessions s WHERE s.account_id = ?1 AND s.revoked_at_ms IS NULL \
                 AND s.expires_at_ms > ?2 ORDER BY s.created_at_ms DESC, s.id DESC"
            ))?
            .query_map(params![account.0, now_ms], session_from_row)?
            .collect()
        })
        .await
    }

    async fn revoke_sessions(
        &self,
        account: AccountId,
        which: SessionSelector,
        reason: RevokeReason,
        now_ms: i64,
    ) -> StoreResult<Vec<SessionId>> {
        self.write(move |tx| match which {
            SessionSelector::One(id) => revoke_where(tx, account, "id = ?2", Some(id.0), reason, now_ms),
            SessionSelector::AllExcept(keep) => {
                revoke_where(tx, account, "?2 IS NULL OR id != ?2", keep.map(|k| k.0), reason, now_ms)
            }
        })
        .await
    }

    async fn revocations_after(&self, seq: i64, limit: usize) -> StoreResult<Vec<Revocation>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(move |c| {
            c.prepare("SELECT seq, session_id, reason FROM session_revocations WHERE seq > ?1 ORDER BY seq LIMIT ?2")?
                .query_map(params![seq, limit], |r| {
                    let reason: String = r.get(2)?;
                    Ok(Revocation {
                        seq: r.get(0)?,
                        session_id: SessionId(r.get(1)?),
                        reason: RevokeReason::parse(&reason).ok_or_else(|| corrupt(2, "revoke reason"))?,
                    })
                })?
                .collect()
        })
        .await
    }

    async fn revocations_head(&self) -> StoreResult<i64> {
        self.read(|c| c.query_row("SELECT coalesce(max(seq), 0) FROM session_revocations", [], |r| r.get(0))).await
    }

    async fn prune(&self, sessions_before_ms: i64, revocations_before_ms: i64) -> StoreResult<u64> {
        self.write(move |tx| {
            let sessions = tx
                .execute("DELETE FROM sessions WHERE revoked_at_ms < ?1 OR expires_at_ms < ?1", [sessions_before_ms])?;
            let log = tx.execute("DELETE FROM session_revocations WHERE at_ms < ?1", [revocations_before_ms])?;
            Ok(u64::try_from(sessions + log).unwrap_or(u64::MAX))
        })
        .await
    }

    async fn last_seen(&self, account: AccountId) -> StoreResult<Option<i64>> {
        self.read(move |c| {
            c.prepare_cached("SELECT max(last_seen_at_ms) FROM sessions WHERE account_id = ?1")?
                .query_row([account.0], |r| r.get(0))
        })
        .await
    }
}
