//! Domains, accounts and sessions: the [`AccountStore`] and [`SessionStore`] of PostgreSQL.

use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use magpie_core::model::{
    Account, AccountId, Application, ApplicationState, Domain, DomainId, Invitation, InvitationId, NewAccount,
    NewInvitation, NewSession, ProfileFields, ProfilePatch, RegistrationMode, Revocation, RevokeReason, Role, Session,
    SessionId, SessionSelector,
};
use magpie_core::names::{AccountAddr, DomainName, LoginName};
use magpie_core::ports::{AccountStore, SessionStore};
use tokio_postgres::Row;

use crate::{PgResult, PgStore, StoreResult, Tx, corrupt, read, write_tx};

pub(crate) const ACCOUNT_COLUMNS: &str = "a.id, a.domain_id, d.name, a.name, a.role, a.disabled, a.password_hash, \
     a.display_name, a.avatar, a.signature, a.email, a.phone, a.created_at_ms, a.bot";
/// How many columns [`ACCOUNT_COLUMNS`] are: where a query's own columns after them start.
pub(crate) const ACCOUNT_COLUMN_COUNT: usize = 14;
/// A domain's columns, its registration mode made of its two columns (see migration 0011).
const DOMAIN_COLUMNS: &str = "id, name, \
     CASE WHEN registration = 'closed' THEN 'closed' WHEN signup = 'direct' THEN 'open' ELSE signup END, \
     created_at_ms, direct_requires_friendship, email_verification, email_domains, members_invite, members_make_bots";
const INVITATION_COLUMNS: &str = "id, domain_id, created_by, note, uses, uses_max, expires_at_ms, created_at_ms";

fn invitation_from_row(row: &Row) -> PgResult<Invitation> {
    let count = |i: usize| -> PgResult<u32> {
        u32::try_from(row.try_get::<_, i64>(i)?).map_err(|_| corrupt("invitation count"))
    };
    Ok(Invitation {
        id: InvitationId(row.try_get(0)?),
        domain_id: DomainId(row.try_get(1)?),
        created_by: row.try_get::<_, Option<i64>>(2)?.map(AccountId),
        note: row.try_get(3)?,
        uses: count(4)?,
        uses_max: count(5)?,
        expires_at_ms: row.try_get(6)?,
        created_at_ms: row.try_get(7)?,
    })
}
const SESSION_COLUMNS: &str =
    "s.id, s.account_id, s.device, s.ip, s.created_at_ms, s.last_seen_at_ms, s.expires_at_ms, s.scope";
/// How many columns [`SESSION_COLUMNS`] are.
const SESSION_COLUMN_COUNT: usize = 8;

fn domain_from_row(row: &Row) -> PgResult<Domain> {
    let name: String = row.try_get(1)?;
    let registration: String = row.try_get(2)?;
    Ok(Domain {
        id: DomainId(row.try_get(0)?),
        name: DomainName::parse(&name).map_err(|_| corrupt("domain name"))?,
        registration: RegistrationMode::parse(&registration).ok_or_else(|| corrupt("registration mode"))?,
        created_at_ms: row.try_get(3)?,
        direct_requires_friendship: row.try_get(4)?,
        email_verification: row.try_get(5)?,
        email_domains: row.try_get::<_, String>(6)?.lines().map(str::to_owned).collect(),
        members_invite: row.try_get(7)?,
        members_make_bots: row.try_get(8)?,
    })
}

/// An account from [`ACCOUNT_COLUMNS`] starting at column `at`.
pub(crate) fn account_from_row(row: &Row, at: usize) -> PgResult<Account> {
    let domain: String = row.try_get(at + 2)?;
    let name: String = row.try_get(at + 3)?;
    let role: String = row.try_get(at + 4)?;
    Ok(Account {
        id: AccountId(row.try_get(at)?),
        domain_id: DomainId(row.try_get(at + 1)?),
        addr: AccountAddr {
            name: LoginName::parse(&name).map_err(|_| corrupt("login name"))?,
            domain: DomainName::parse(&domain).map_err(|_| corrupt("domain name"))?,
        },
        role: Role::parse(&role).ok_or_else(|| corrupt("role"))?,
        disabled: row.try_get(at + 5)?,
        password_hash: row.try_get(at + 6)?,
        profile: ProfileFields {
            display_name: row.try_get(at + 7)?,
            avatar: row.try_get(at + 8)?,
            signature: row.try_get(at + 9)?,
            email: row.try_get(at + 10)?,
            phone: row.try_get(at + 11)?,
        },
        created_at_ms: row.try_get(at + 12)?,
        bot: row.try_get(at + 13)?,
    })
}

fn session_from_row(row: &Row) -> PgResult<Session> {
    Ok(Session {
        id: SessionId(row.try_get(0)?),
        account_id: AccountId(row.try_get(1)?),
        device: row.try_get(2)?,
        ip: row.try_get(3)?,
        created_at_ms: row.try_get(4)?,
        last_seen_at_ms: row.try_get(5)?,
        expires_at_ms: row.try_get(6)?,
        scope: match row.try_get::<_, Option<String>>(7)? {
            Some(json) => Some(serde_json::from_str(&json).map_err(|_| corrupt("token scope"))?),
            None => None,
        },
    })
}

pub(crate) async fn account_by_id(c: &impl GenericClient, id: AccountId) -> PgResult<Option<Account>> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts a JOIN domains d ON d.id = a.domain_id WHERE a.id = $1");
    let row = c.query_opt(&c.prepare_cached(&sql).await?, &[&id.0]).await?;
    row.map(|r| account_from_row(&r, 0)).transpose()
}

/// Locks an account's row for the rest of the transaction: writes that count and then add
/// per account (sessions, uploads) take it first, so that two of them cannot both count the
/// same state. `NO KEY`: rows that refer to the account can still be inserted meanwhile.
pub(crate) async fn lock_account(tx: &Tx<'_>, id: AccountId) -> PgResult<()> {
    let c = tx.c();
    c.query_opt(&c.prepare_cached("SELECT 1 FROM accounts WHERE id = $1 FOR NO KEY UPDATE").await?, &[&id.0]).await?;
    Ok(())
}

/// Marks sessions revoked and appends each to the revocation log, inside the caller's
/// transaction. `filter` is a SQL condition on `sessions` with `$1` bound to the account and
/// `$2` to `extra`.
async fn revoke_where(
    tx: &Tx<'_>,
    account: AccountId,
    filter: &str,
    extra: Option<i64>,
    reason: RevokeReason,
    now_ms: i64,
) -> PgResult<Vec<SessionId>> {
    let c = tx.c();
    let sql = format!(
        "UPDATE sessions SET revoked_at_ms = $3, revoke_reason = $4 \
         WHERE account_id = $1 AND revoked_at_ms IS NULL AND ({filter}) RETURNING id"
    );
    let rows = c.query(&sql, &[&account.0, &extra, &now_ms, &reason.as_str()]).await?;
    let mut ids: Vec<SessionId> = rows.iter().map(|r| r.try_get(0).map(SessionId)).collect::<Result<_, _>>()?;
    if ids.is_empty() {
        return Ok(ids);
    }
    ids.sort();
    // The log's seqs come from its head row, locked until the commit: they commit in order, so
    // a reader of the log never passes a seq that commits later.
    let count = i64::try_from(ids.len()).unwrap_or(i64::MAX);
    let last: i64 = c
        .query_one(
            &c.prepare_cached("UPDATE revocation_head SET last_seq = last_seq + $1 WHERE id = 1 RETURNING last_seq")
                .await?,
            &[&count],
        )
        .await?
        .try_get(0)?;
    let insert = c
        .prepare_cached("INSERT INTO session_revocations (seq, session_id, reason, at_ms) VALUES ($1, $2, $3, $4)")
        .await?;
    for (seq, id) in (last - count + 1..).zip(&ids) {
        c.execute(&insert, &[&seq, &id.0, &reason.as_str(), &now_ms]).await?;
    }
    // A device's pushes end with its session.
    let revoked: Vec<i64> = ids.iter().map(|id| id.0).collect();
    c.execute("DELETE FROM push_targets WHERE session_id = ANY($1)", &[&revoked]).await?;
    // An app's refresh token ends with its session (a password change, a sign-out everywhere, a
    // disabled account end the app's access too).
    c.execute("DELETE FROM app_tokens WHERE session_id = ANY($1)", &[&revoked]).await?;
    Ok(ids)
}

/// Inserts one account; `None` if its name is taken in its domain.
async fn insert_account(tx: &mut Tx<'_>, new: &NewAccount) -> PgResult<Option<Account>> {
    insert(tx, new, " ON CONFLICT (domain_id, name) DO NOTHING").await
}

/// Inserts one account; a name taken is an error (which ends the transaction).
async fn insert_account_strict(tx: &mut Tx<'_>, new: &NewAccount) -> PgResult<Account> {
    insert(tx, new, "").await?.ok_or_else(|| corrupt("answer to an account insert"))
}

async fn insert(tx: &mut Tx<'_>, new: &NewAccount, on_conflict: &str) -> PgResult<Option<Account>> {
    let sql = format!(
        "INSERT INTO accounts (domain_id, name, role, password_hash, display_name, created_at_ms, name_keys, disabled, \
         bot) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9){on_conflict} RETURNING id"
    );
    let row = tx
        .c()
        .query_opt(
            &sql,
            &[
                &new.domain_id.0,
                &new.name.as_str(),
                &new.role.as_str(),
                &new.password_hash,
                &new.display_name,
                &new.created_at_ms,
                &new.name_keys,
                &new.pending_approval,
                &new.bot.is_some(),
            ],
        )
        .await?;
    let Some(row) = row else { return Ok(None) };
    let id = AccountId(row.try_get(0)?);
    if new.pending_approval {
        tx.c()
            .execute(
                "INSERT INTO applications (account_id, domain_id, state, applied_at_ms) VALUES ($1, $2, 'pending', $3)",
                &[&id.0, &new.domain_id.0, &new.created_at_ms],
            )
            .await?;
    }
    if let Some(bot) = &new.bot {
        tx.c()
            .execute(
                "INSERT INTO bots (account_id, domain_id, owner_id, description, created_at_ms) \
                 VALUES ($1, $2, $3, $4, $5)",
                &[&id.0, &new.domain_id.0, &bot.owner.map(|o| o.0), &bot.description, &new.created_at_ms],
            )
            .await?;
    }
    Ok(Some(Account {
        id,
        domain_id: new.domain_id,
        addr: AccountAddr { name: new.name.clone(), domain: new.domain.clone() },
        role: new.role,
        disabled: new.pending_approval,
        password_hash: new.password_hash.clone(),
        profile: ProfileFields { display_name: new.display_name.clone(), ..ProfileFields::default() },
        bot: new.bot.is_some(),
        created_at_ms: new.created_at_ms,
    }))
}

#[async_trait]
impl AccountStore for PgStore {
    async fn create_domain(&self, name: &DomainName, now_ms: i64) -> StoreResult<Option<Domain>> {
        write_tx!(self, |tx| {
            let row = tx
                .c()
                .query_opt(
                    "INSERT INTO domains (name, created_at_ms) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING RETURNING id",
                    &[&name.as_str(), &now_ms],
                )
                .await?;
            match row {
                None => None,
                Some(row) => Some(Domain {
                    id: DomainId(row.try_get(0)?),
                    name: name.clone(),
                    registration: RegistrationMode::Closed,
                    direct_requires_friendship: false,
                    email_verification: false,
                    email_domains: Vec::new(),
                    members_invite: false,
                    members_make_bots: false,
                    created_at_ms: now_ms,
                }),
            }
        })
    }

    async fn domain_by_name(&self, name: &DomainName) -> StoreResult<Option<Domain>> {
        let sql = format!("SELECT {DOMAIN_COLUMNS} FROM domains WHERE name = $1");
        read!(self, |c| {
            let row = c.query_opt(&c.prepare_cached(&sql).await?, &[&name.as_str()]).await?;
            row.map(|r| domain_from_row(&r)).transpose()?
        })
    }

    async fn domains(&self) -> StoreResult<Vec<Domain>> {
        let sql = format!("SELECT {DOMAIN_COLUMNS} FROM domains ORDER BY name");
        read!(self, |c| c.query(&sql, &[]).await?.iter().map(domain_from_row).collect::<PgResult<Vec<_>>>()?)
    }

    async fn set_registration(&self, domain: DomainId, mode: RegistrationMode) -> StoreResult<()> {
        write_tx!(self, |tx| {
            tx.c()
                .execute(
                    "UPDATE domains SET registration = CASE WHEN $2 = 'closed' THEN 'closed' ELSE 'open' END, \
                       signup = CASE WHEN $2 IN ('invitation', 'approval') THEN $2 ELSE 'direct' END WHERE id = $1",
                    &[&domain.0, &mode.as_str()],
                )
                .await?;
        })
    }

    async fn set_members_invite(&self, domain: DomainId, on: bool) -> StoreResult<()> {
        write_tx!(self, |tx| {
            tx.c().execute("UPDATE domains SET members_invite = $2 WHERE id = $1", &[&domain.0, &on]).await?;
        })
    }

    async fn set_members_make_bots(&self, domain: DomainId, on: bool) -> StoreResult<()> {
        write_tx!(self, |tx| {
            tx.c().execute("UPDATE domains SET members_make_bots = $2 WHERE id = $1", &[&domain.0, &on]).await?;
        })
    }

    async fn set_direct_requires_friendship(&self, domain: DomainId, on: bool) -> StoreResult<()> {
        write_tx!(self, |tx| {
            tx.c()
                .execute("UPDATE domains SET direct_requires_friendship = $2 WHERE id = $1", &[&domain.0, &on])
                .await?;
        })
    }

    async fn create_account(&self, new: NewAccount) -> StoreResult<Option<Account>> {
        write_tx!(self, |tx| insert_account(tx, &new).await?)
    }

    async fn create_accounts(&self, accounts: Vec<NewAccount>) -> StoreResult<Option<Vec<Account>>> {
        write_tx!(self, |tx| {
            let mut made = Some(Vec::with_capacity(accounts.len()));
            for new in &accounts {
                let taken = tx
                    .c()
                    .query_opt(
                        "SELECT 1 FROM accounts WHERE domain_id = $1 AND name = $2",
                        &[&new.domain_id.0, &new.name.as_str()],
                    )
                    .await?
                    .is_some();
                if taken {
                    made = None;
                    break;
                }
            }
            if let Some(made) = made.as_mut() {
                for new in &accounts {
                    // A name taken since the check (a concurrent write) fails the insert, and
                    // with it the whole transaction: nothing of the batch is written.
                    made.push(insert_account_strict(tx, new).await?);
                }
            }
            made
        })
    }

    async fn account_by_name(&self, domain: DomainId, name: &LoginName) -> StoreResult<Option<Account>> {
        let sql = format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts a JOIN domains d ON d.id = a.domain_id \
             WHERE a.domain_id = $1 AND a.name = $2"
        );
        read!(self, |c| {
            let row = c.query_opt(&c.prepare_cached(&sql).await?, &[&domain.0, &name.as_str()]).await?;
            row.map(|r| account_from_row(&r, 0)).transpose()?
        })
    }

    async fn account_by_id(&self, id: AccountId) -> StoreResult<Option<Account>> {
        read!(self, |c| account_by_id(c, id).await?)
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
        let sql = format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts a JOIN domains d ON d.id = a.domain_id \
             WHERE a.domain_id = $1 AND ($2 OR NOT a.disabled) \
               AND (a.name ILIKE $3 ESCAPE '\\' OR a.display_name ILIKE $3 ESCAPE '\\') \
               AND ($4::text IS NULL OR a.name COLLATE \"C\" > $4) \
             ORDER BY a.name COLLATE \"C\" LIMIT $5"
        );
        read!(self, |c| {
            let rows = c
                .query(&c.prepare_cached(&sql).await?, &[&domain.0, &include_disabled, &pattern, &after, &limit])
                .await?;
            rows.iter().map(|r| account_from_row(r, 0)).collect::<PgResult<Vec<_>>>()?
        })
    }

    async fn find_accounts(
        &self,
        domain: DomainId,
        folded: &str,
        raw: &str,
        limit: usize,
    ) -> StoreResult<Vec<Account>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let sql = format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts a JOIN domains d ON d.id = a.domain_id \
             WHERE a.domain_id = $1 AND NOT a.disabled \
               AND (strpos(a.name_keys, $2) > 0 \
                    OR (a.name_keys IS NULL AND (strpos(lower(a.name), $3) > 0 OR strpos(lower(a.display_name), $3) > 0))) \
             ORDER BY COALESCE(strpos(a.name_keys, E'\\n' || $2 || E'\\n') > 0, false) DESC, \
                      COALESCE(strpos(a.name_keys, E'\\n' || $2) > 0, false) DESC, \
                      char_length(a.display_name), a.id \
             LIMIT $4"
        );
        read!(self, |c| {
            let rows = c.query(&c.prepare_cached(&sql).await?, &[&domain.0, &folded, &raw, &limit]).await?;
            rows.iter().map(|r| account_from_row(r, 0)).collect::<PgResult<Vec<_>>>()?
        })
    }

    async fn accounts_without_name_keys(&self, limit: usize) -> StoreResult<Vec<Account>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let sql = format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts a JOIN domains d ON d.id = a.domain_id \
             WHERE a.name_keys IS NULL ORDER BY a.id LIMIT $1"
        );
        read!(self, |c| {
            let rows = c.query(&c.prepare_cached(&sql).await?, &[&limit]).await?;
            rows.iter().map(|r| account_from_row(r, 0)).collect::<PgResult<Vec<_>>>()?
        })
    }

    async fn set_name_keys(&self, account: &Account, keys: &str) -> StoreResult<bool> {
        let p = &account.profile;
        write_tx!(self, |tx| {
            let changed = tx
                .c()
                .execute(
                    "UPDATE accounts SET name_keys = $2 \
                     WHERE id = $1 AND display_name = $3 AND email IS NOT DISTINCT FROM $4 \
                       AND phone IS NOT DISTINCT FROM $5",
                    &[&account.id.0, &keys, &p.display_name, &p.email, &p.phone],
                )
                .await?;
            changed == 1
        })
    }

    async fn create_invitation(&self, new: NewInvitation) -> StoreResult<Invitation> {
        write_tx!(self, |tx| {
            let row = tx
                .c()
                .query_one(
                    "INSERT INTO invitations (domain_id, code_hash, created_by, note, uses_max, expires_at_ms, created_at_ms) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                    &[
                        &new.domain_id.0,
                        &&new.code_hash[..],
                        &new.created_by.map(|a| a.0),
                        &new.note,
                        &i64::from(new.uses_max),
                        &new.expires_at_ms,
                        &new.created_at_ms,
                    ],
                )
                .await?;
            Invitation {
                id: InvitationId(row.try_get(0)?),
                domain_id: new.domain_id,
                created_by: new.created_by,
                note: new.note.clone(),
                uses: 0,
                uses_max: new.uses_max,
                expires_at_ms: new.expires_at_ms,
                created_at_ms: new.created_at_ms,
            }
        })
    }

    async fn invitations(
        &self,
        domain: DomainId,
        created_by: Option<AccountId>,
        limit: usize,
    ) -> StoreResult<Vec<Invitation>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let by = created_by.map(|a| a.0);
        let sql = format!(
            "SELECT {INVITATION_COLUMNS} FROM invitations WHERE domain_id = $1 AND revoked_at_ms IS NULL \
             AND ($3::BIGINT IS NULL OR created_by = $3) ORDER BY id DESC LIMIT $2"
        );
        read!(self, |c| {
            let rows = c.query(&c.prepare_cached(&sql).await?, &[&domain.0, &limit, &by]).await?;
            rows.iter().map(invitation_from_row).collect::<PgResult<Vec<_>>>()?
        })
    }

    async fn revoke_invitation(&self, domain: DomainId, id: InvitationId) -> StoreResult<bool> {
        write_tx!(self, |tx| {
            tx.c()
                .execute(
                    "UPDATE invitations SET revoked_at_ms = created_at_ms WHERE id = $1 AND domain_id = $2 \
                       AND revoked_at_ms IS NULL",
                    &[&id.0, &domain.0],
                )
                .await?
                == 1
        })
    }

    async fn use_invitation(&self, domain: DomainId, code_hash: [u8; 32], now_ms: i64) -> StoreResult<bool> {
        write_tx!(self, |tx| {
            tx.c()
                .execute(
                    "UPDATE invitations SET uses = uses + 1 WHERE code_hash = $1 AND domain_id = $2 \
                       AND revoked_at_ms IS NULL AND expires_at_ms > $3 AND uses < uses_max",
                    &[&&code_hash[..], &domain.0, &now_ms],
                )
                .await?
                == 1
        })
    }

    async fn refund_invitation(&self, domain: DomainId, code_hash: [u8; 32]) -> StoreResult<()> {
        write_tx!(self, |tx| {
            tx.c()
                .execute(
                    "UPDATE invitations SET uses = uses - 1 WHERE code_hash = $1 AND domain_id = $2 AND uses > 0",
                    &[&&code_hash[..], &domain.0],
                )
                .await?;
        })
    }

    async fn application_state(&self, account: AccountId) -> StoreResult<Option<ApplicationState>> {
        read!(self, |c| {
            let row = c.query_opt("SELECT state FROM applications WHERE account_id = $1", &[&account.0]).await?;
            match row {
                None => None,
                Some(row) => {
                    let state: String = row.try_get(0)?;
                    Some(if state == "rejected" { ApplicationState::Rejected } else { ApplicationState::Pending })
                }
            }
        })
    }

    async fn applications(&self, domain: DomainId, limit: usize) -> StoreResult<Vec<Application>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let sql = format!(
            "SELECT {ACCOUNT_COLUMNS}, ap.applied_at_ms FROM applications ap \
             JOIN accounts a ON a.id = ap.account_id JOIN domains d ON d.id = a.domain_id \
             WHERE ap.domain_id = $1 AND ap.state = 'pending' ORDER BY ap.applied_at_ms, a.id LIMIT $2"
        );
        read!(self, |c| {
            let rows = c.query(&c.prepare_cached(&sql).await?, &[&domain.0, &limit]).await?;
            rows.iter()
                .map(|r| {
                    Ok(Application {
                        account: account_from_row(r, 0)?,
                        state: ApplicationState::Pending,
                        applied_at_ms: r.try_get(ACCOUNT_COLUMN_COUNT)?,
                    })
                })
                .collect::<PgResult<Vec<_>>>()?
        })
    }

    async fn decide_application(&self, account: AccountId, approve: bool, now_ms: i64) -> StoreResult<bool> {
        write_tx!(self, |tx| {
            let c = tx.c();
            let pending = c
                .query_opt(
                    "SELECT 1 FROM applications WHERE account_id = $1 AND state = 'pending' FOR UPDATE",
                    &[&account.0],
                )
                .await?
                .is_some();
            if pending {
                if approve {
                    c.execute("DELETE FROM applications WHERE account_id = $1", &[&account.0]).await?;
                    c.execute("UPDATE accounts SET disabled = false WHERE id = $1", &[&account.0]).await?;
                } else {
                    c.execute(
                        "UPDATE applications SET state = 'rejected', decided_at_ms = $2 WHERE account_id = $1",
                        &[&account.0, &now_ms],
                    )
                    .await?;
                }
            }
            pending
        })
    }

    async fn update_profile(&self, id: AccountId, patch: &ProfilePatch) -> StoreResult<Option<Account>> {
        // Each optional column: keep (flag false) or set to the given value, possibly NULL.
        let flag = |v: &Option<Option<String>>| v.is_some();
        let value = |v: &Option<Option<String>>| v.clone().flatten();
        let (avatar, signature, email, phone) =
            (value(&patch.avatar), value(&patch.signature), value(&patch.email), value(&patch.phone));
        let flags = (flag(&patch.avatar), flag(&patch.signature), flag(&patch.email), flag(&patch.phone));
        write_tx!(self, |tx| {
            tx.c()
                .execute(
                    "UPDATE accounts SET \
                       display_name = COALESCE($2, display_name), \
                       avatar = CASE WHEN $3 THEN $4 ELSE avatar END, \
                       signature = CASE WHEN $5 THEN $6 ELSE signature END, \
                       email = CASE WHEN $7 THEN $8 ELSE email END, \
                       phone = CASE WHEN $9 THEN $10 ELSE phone END, \
                       name_keys = CASE WHEN $2::text IS NOT NULL OR $7 OR $9 THEN NULL ELSE name_keys END \
                     WHERE id = $1",
                    &[
                        &id.0,
                        &patch.display_name,
                        &flags.0,
                        &avatar,
                        &flags.1,
                        &signature,
                        &flags.2,
                        &email,
                        &flags.3,
                        &phone,
                    ],
                )
                .await?;
            account_by_id(tx.c(), id).await?
        })
    }

    async fn set_password_hash(
        &self,
        id: AccountId,
        hash: &str,
        keep: Option<SessionId>,
        now_ms: i64,
    ) -> StoreResult<Vec<SessionId>> {
        write_tx!(self, |tx| {
            tx.c().execute("UPDATE accounts SET password_hash = $2 WHERE id = $1", &[&id.0, &hash]).await?;
            let keep = keep.map(|k| k.0);
            revoke_where(tx, id, "$2::bigint IS NULL OR id != $2", keep, RevokeReason::PasswordChanged, now_ms).await?
        })
    }

    async fn set_role(&self, id: AccountId, role: Role) -> StoreResult<bool> {
        write_tx!(self, |tx| {
            tx.c().execute("UPDATE accounts SET role = $2 WHERE id = $1", &[&id.0, &role.as_str()]).await? > 0
        })
    }

    async fn set_disabled(&self, id: AccountId, disabled: bool, now_ms: i64) -> StoreResult<Vec<SessionId>> {
        write_tx!(self, |tx| {
            tx.c().execute("UPDATE accounts SET disabled = $2 WHERE id = $1", &[&id.0, &disabled]).await?;
            if disabled {
                revoke_where(tx, id, "$2::bigint IS NULL", None, RevokeReason::AccountDisabled, now_ms).await?
            } else {
                Vec::new()
            }
        })
    }
}

#[async_trait]
impl SessionStore for PgStore {
    async fn create_session(&self, new: NewSession) -> StoreResult<(Session, Vec<SessionId>)> {
        let scope = new.scope.as_ref().map(crate::chat::to_json).transpose().map_err(crate::PgError::into_store)?;
        write_tx!(self, |tx| {
            // Two logins at once must not both find room under the cap.
            lock_account(tx, new.account_id).await?;
            // The bound is on logins: bots' and apps' tokens (sessions with a scope) have bounds
            // of their own and are neither counted nor pushed out.
            let live: i64 = tx
                .c()
                .query_one(
                    "SELECT count(*) FROM sessions \
                     WHERE account_id = $1 AND revoked_at_ms IS NULL AND expires_at_ms > $2 AND scope IS NULL",
                    &[&new.account_id.0, &new.created_at_ms],
                )
                .await?
                .try_get(0)?;
            let max = i64::try_from(new.sessions_per_account_max.max(1)).unwrap_or(i64::MAX);
            let excess = (live - max + 1).max(0);
            let evicted = if excess > 0 {
                let filter = format!(
                    "id IN (SELECT id FROM sessions WHERE account_id = $1 AND revoked_at_ms IS NULL \
                     AND expires_at_ms > {} AND scope IS NULL ORDER BY created_at_ms, id LIMIT $2)",
                    new.created_at_ms
                );
                revoke_where(tx, new.account_id, &filter, Some(excess), RevokeReason::Revoked, new.created_at_ms)
                    .await?
            } else {
                Vec::new()
            };
            let id: i64 = tx
                .c()
                .query_one(
                    "INSERT INTO sessions (account_id, token_hash, device, ip, created_at_ms, last_seen_at_ms, \
                     expires_at_ms, scope) VALUES ($1, $2, $3, $4, $5, $5, $6, $7) RETURNING id",
                    &[
                        &new.account_id.0,
                        &new.token_hash.as_slice(),
                        &new.device,
                        &new.ip,
                        &new.created_at_ms,
                        &new.expires_at_ms,
                        &scope,
                    ],
                )
                .await?
                .try_get(0)?;
            let session = Session {
                id: SessionId(id),
                account_id: new.account_id,
                device: new.device.clone(),
                ip: new.ip.clone(),
                created_at_ms: new.created_at_ms,
                last_seen_at_ms: new.created_at_ms,
                expires_at_ms: new.expires_at_ms,
                scope: new.scope.clone(),
            };
            (session, evicted)
        })
    }

    async fn session_by_token_hash(&self, hash: &[u8; 32]) -> StoreResult<Option<(Session, Account)>> {
        let columns = ACCOUNT_COLUMNS;
        let sql = format!(
            "SELECT {SESSION_COLUMNS}, {columns} FROM sessions s JOIN accounts a ON a.id = s.account_id \
             JOIN domains d ON d.id = a.domain_id WHERE s.token_hash = $1 AND s.revoked_at_ms IS NULL"
        );
        read!(self, |c| {
            let row = c.query_opt(&c.prepare_cached(&sql).await?, &[&hash.as_slice()]).await?;
            match row {
                Some(r) => Some((session_from_row(&r)?, account_from_row(&r, SESSION_COLUMN_COUNT)?)),
                None => None,
            }
        })
    }

    async fn touch_session(&self, id: SessionId, now_ms: i64) -> StoreResult<()> {
        write_tx!(self, |tx| {
            let c = tx.c();
            c.execute(
                &c.prepare_cached("UPDATE sessions SET last_seen_at_ms = $2 WHERE id = $1").await?,
                &[&id.0, &now_ms],
            )
            .await?;
        })
    }

    async fn sessions(&self, account: AccountId, now_ms: i64) -> StoreResult<Vec<Session>> {
        let sql = format!(
            "SELECT {SESSION_COLUMNS} FROM sessions s WHERE s.account_id = $1 AND s.revoked_at_ms IS NULL \
             AND s.expires_at_ms > $2 ORDER BY s.created_at_ms DESC, s.id DESC"
        );
        read!(self, |c| {
            c.query(&sql, &[&account.0, &now_ms]).await?.iter().map(session_from_row).collect::<PgResult<Vec<_>>>()?
        })
    }

    async fn revoke_sessions(
        &self,
        account: AccountId,
        which: SessionSelector,
        reason: RevokeReason,
        now_ms: i64,
    ) -> StoreResult<Vec<SessionId>> {
        write_tx!(self, |tx| match which {
            SessionSelector::One(id) => revoke_where(tx, account, "id = $2", Some(id.0), reason, now_ms).await?,
            SessionSelector::AllExcept(keep) => {
                let keep = keep.map(|k| k.0);
                revoke_where(tx, account, "$2::bigint IS NULL OR id != $2", keep, reason, now_ms).await?
            }
        })
    }

    async fn revocations_after(&self, seq: i64, limit: usize) -> StoreResult<Vec<Revocation>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        read!(self, |c| {
            let rows = c
                .query(
                    "SELECT seq, session_id, reason FROM session_revocations WHERE seq > $1 ORDER BY seq LIMIT $2",
                    &[&seq, &limit],
                )
                .await?;
            rows.iter()
                .map(|r| {
                    let reason: String = r.try_get(2)?;
                    Ok(Revocation {
                        seq: r.try_get(0)?,
                        session_id: SessionId(r.try_get(1)?),
                        reason: RevokeReason::parse(&reason).ok_or_else(|| corrupt("revoke reason"))?,
                    })
                })
                .collect::<PgResult<Vec<_>>>()?
        })
    }

    async fn revocations_head(&self) -> StoreResult<i64> {
        read!(self, |c| c.query_one("SELECT last_seq FROM revocation_head WHERE id = 1", &[]).await?.try_get(0)?)
    }

    async fn prune(&self, sessions_before_ms: i64, revocations_before_ms: i64) -> StoreResult<u64> {
        write_tx!(self, |tx| {
            let sessions = tx
                .c()
                .execute("DELETE FROM sessions WHERE revoked_at_ms < $1 OR expires_at_ms < $1", &[&sessions_before_ms])
                .await?;
            let log =
                tx.c().execute("DELETE FROM session_revocations WHERE at_ms < $1", &[&revocations_before_ms]).await?;
            sessions + log
        })
    }

    async fn last_seen(&self, account: AccountId) -> StoreResult<Option<i64>> {
        read!(self, |c| {
            let sql = "SELECT max(last_seen_at_ms) FROM sessions WHERE account_id = $1";
            c.query_one(&c.prepare_cached(sql).await?, &[&account.0]).await?.try_get(0)?
        })
    }
}
