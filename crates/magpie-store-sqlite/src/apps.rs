//! Workbench apps' rows (magpie_core::apps): the apps, and OAuth's codes, grants and token
//! pairs. Each write is one transaction.

use magpie_core::apps::{App, AppId, AppPatch, AppScope, AppToken, Family, Kept, NewApp, OAuthCode, Spends};
use magpie_core::model::{AccountId, DomainId, SessionId};
use magpie_core::org::DepartmentId;
use rusqlite::{OptionalExtension, Row, params};

use crate::chat::{json_error, to_json};
use crate::{SqliteStore, StoreResult};

const APP_COLUMNS: &str = "id, domain_id, name, description, icon, url, client_id, redirect_uris, scopes, departments, position, created_at_ms";

fn from_json<T: serde::de::DeserializeOwned>(row: &Row<'_>, col: usize) -> rusqlite::Result<T> {
    let text: String = row.get(col)?;
    serde_json::from_str(&text).map_err(|e| json_error(col, e))
}

fn app_from_row(r: &Row<'_>) -> rusqlite::Result<App> {
    let departments: Option<String> = r.get(9)?;
    Ok(App {
        id: AppId(r.get(0)?),
        domain_id: DomainId(r.get(1)?),
        name: r.get(2)?,
        description: r.get(3)?,
        icon: r.get(4)?,
        url: r.get(5)?,
        client_id: r.get(6)?,
        redirect_uris: from_json(r, 7)?,
        scopes: from_json(r, 8)?,
        departments: departments
            .map(|d| serde_json::from_str::<Vec<i64>>(&d).map_err(|e| json_error(9, e)))
            .transpose()?
            .map(|l| l.into_iter().map(DepartmentId).collect()),
        position: r.get(10)?,
        created_at_ms: r.get(11)?,
    })
}

fn departments_json(departments: Option<&Vec<DepartmentId>>) -> rusqlite::Result<Option<String>> {
    departments.map(|l| to_json(&l.iter().map(|d| d.0).collect::<Vec<_>>())).transpose()
}

fn token_from_row(r: &Row<'_>) -> rusqlite::Result<AppToken> {
    Ok(AppToken {
        refresh_hash: r.get(0)?,
        app: AppId(r.get(1)?),
        account: AccountId(r.get(2)?),
        session: SessionId(r.get(3)?),
        scopes: from_json(r, 4)?,
        created_at_ms: r.get(5)?,
        expires_at_ms: r.get(6)?,
        family: family(r, 7)?,
    })
}

const TOKEN_COLUMNS: &str =
    "refresh_hash, app_id, account_id, session_id, scopes, created_at_ms, expires_at_ms, family";

fn family(r: &Row<'_>, col: usize) -> rusqlite::Result<Family> {
    let bytes: Vec<u8> = r.get(col)?;
    bytes.try_into().map_err(|_| {
        rusqlite::Error::FromSqlConversionFailure(col, rusqlite::types::Type::Blob, "a family is 16 bytes".into())
    })
}

fn app_of(c: &rusqlite::Connection, id: AppId) -> rusqlite::Result<Option<App>> {
    c.prepare_cached(&format!("SELECT {APP_COLUMNS} FROM apps WHERE id = ?1"))?
        .query_row([id.0], app_from_row)
        .optional()
}

pub(crate) async fn create_app(s: &SqliteStore, new: &NewApp, per_domain_max: usize) -> StoreResult<Option<App>> {
    let new = new.clone();
    let max = i64::try_from(per_domain_max).unwrap_or(i64::MAX);
    s.write(move |tx| {
        let (count, last): (i64, i64) = tx
            .prepare_cached("SELECT count(*), coalesce(max(position), 0) FROM apps WHERE domain_id = ?1")?
            .query_row([new.domain_id.0], |r| Ok((r.get(0)?, r.get(1)?)))?;
        if count >= max {
            return Ok(None);
        }
        tx.prepare_cached(
            "INSERT INTO apps (domain_id, name, description, icon, url, client_id, secret_hash, redirect_uris, \
             scopes, departments, position, created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        )?
        .execute(params![
            new.domain_id.0,
            new.name,
            new.description,
            new.icon,
            new.url,
            new.client_id,
            new.secret_hash.to_vec(),
            to_json(&new.redirect_uris)?,
            to_json(&new.scopes)?,
            departments_json(new.departments.as_ref())?,
            last + 1,
            new.created_at_ms,
        ])?;
        app_of(tx, AppId(tx.last_insert_rowid()))
    })
    .await
}

pub(crate) async fn apps(s: &SqliteStore, domain: DomainId) -> StoreResult<Vec<App>> {
    s.read(move |c| {
        c.prepare_cached(&format!("SELECT {APP_COLUMNS} FROM apps WHERE domain_id = ?1 ORDER BY position, id"))?
            .query_map([domain.0], app_from_row)?
            .collect()
    })
    .await
}

pub(crate) async fn app(s: &SqliteStore, id: AppId) -> StoreResult<Option<App>> {
    s.read(move |c| app_of(c, id)).await
}

pub(crate) async fn app_by_client_id(s: &SqliteStore, client_id: &str) -> StoreResult<Option<(App, [u8; 32])>> {
    let client_id = client_id.to_owned();
    s.read(move |c| {
        c.prepare_cached(&format!("SELECT {APP_COLUMNS}, secret_hash FROM apps WHERE client_id = ?1"))?
            .query_row([client_id], |r| Ok((app_from_row(r)?, r.get::<_, [u8; 32]>(12)?)))
            .optional()
    })
    .await
}

pub(crate) async fn update_app(s: &SqliteStore, id: AppId, patch: &AppPatch) -> StoreResult<Option<App>> {
    let patch = patch.clone();
    s.write(move |tx| {
        if app_of(tx, id)?.is_none() {
            return Ok(None);
        }
        let departments = patch.departments.as_ref().map(|d| departments_json(d.as_ref())).transpose()?;
        tx.prepare_cached(
            "UPDATE apps SET name = coalesce(?2, name), description = coalesce(?3, description), \
             icon = CASE WHEN ?4 THEN ?5 ELSE icon END, url = coalesce(?6, url), \
             redirect_uris = coalesce(?7, redirect_uris), scopes = coalesce(?8, scopes), \
             departments = CASE WHEN ?9 THEN ?10 ELSE departments END WHERE id = ?1",
        )?
        .execute(params![
            id.0,
            patch.name,
            patch.description,
            patch.icon.is_some(),
            patch.icon.clone().flatten(),
            patch.url,
            patch.redirect_uris.as_ref().map(to_json).transpose()?,
            patch.scopes.as_ref().map(to_json).transpose()?,
            departments.is_some(),
            departments.flatten(),
        ])?;
        app_of(tx, id)
    })
    .await
}

pub(crate) async fn set_app_secret(s: &SqliteStore, id: AppId, hash: [u8; 32]) -> StoreResult<bool> {
    s.write(move |tx| {
        Ok(tx
            .prepare_cached("UPDATE apps SET secret_hash = ?2 WHERE id = ?1")?
            .execute(params![id.0, hash.to_vec()])?
            > 0)
    })
    .await
}

fn sessions_of(
    tx: &rusqlite::Connection,
    sql: &str,
    args: impl rusqlite::Params,
) -> rusqlite::Result<Vec<(AccountId, SessionId)>> {
    tx.prepare_cached(sql)?.query_map(args, |r| Ok((AccountId(r.get(0)?), SessionId(r.get(1)?))))?.collect()
}

pub(crate) async fn delete_app(s: &SqliteStore, id: AppId) -> StoreResult<Option<Vec<(AccountId, SessionId)>>> {
    s.write(move |tx| {
        let sessions = sessions_of(tx, "SELECT account_id, session_id FROM app_tokens WHERE app_id = ?1", [id.0])?;
        // Codes, grants and tokens go with it (ON DELETE CASCADE).
        let deleted = tx.prepare_cached("DELETE FROM apps WHERE id = ?1")?.execute([id.0])?;
        Ok((deleted > 0).then_some(sessions))
    })
    .await
}

pub(crate) async fn order_apps(s: &SqliteStore, domain: DomainId, order: &[AppId]) -> StoreResult<bool> {
    let order = order.to_vec();
    s.write(move |tx| {
        let mut current: Vec<i64> = tx
            .prepare_cached("SELECT id FROM apps WHERE domain_id = ?1")?
            .query_map([domain.0], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let mut asked: Vec<i64> = order.iter().map(|a| a.0).collect();
        current.sort_unstable();
        asked.sort_unstable();
        if current != asked {
            return Ok(false);
        }
        let mut set = tx.prepare_cached("UPDATE apps SET position = ?2 WHERE id = ?1")?;
        for (i, app) in order.iter().enumerate() {
            set.execute(params![app.0, i64::try_from(i).unwrap_or(i64::MAX - 1) + 1])?;
        }
        Ok(true)
    })
    .await
}

pub(crate) async fn put_oauth_code(
    s: &SqliteStore,
    hash: &[u8; 32],
    code: &OAuthCode,
    per_grant_max: usize,
) -> StoreResult<()> {
    let (hash, code) = (*hash, code.clone());
    let keep = i64::try_from(per_grant_max.saturating_sub(1)).unwrap_or(i64::MAX);
    s.write(move |tx| {
        tx.prepare_cached(
            "DELETE FROM oauth_codes WHERE code_hash IN (SELECT code_hash FROM oauth_codes \
             WHERE app_id = ?1 AND account_id = ?2 ORDER BY expires_at_ms DESC, rowid DESC LIMIT -1 OFFSET ?3)",
        )?
        .execute(params![code.app.0, code.account.0, keep])?;
        tx.prepare_cached(
            "INSERT INTO oauth_codes \
             (code_hash, app_id, account_id, scopes, challenge, redirect_uri, expires_at_ms, family) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?
        .execute(params![
            hash.to_vec(),
            code.app.0,
            code.account.0,
            to_json(&code.scopes)?,
            code.challenge,
            code.redirect_uri,
            code.expires_at_ms,
            code.family.to_vec()
        ])
        .map(drop)
    })
    .await
}

const CODE_COLUMNS: &str = "app_id, account_id, scopes, challenge, redirect_uri, expires_at_ms, family";

fn code_from_row(r: &Row<'_>) -> rusqlite::Result<OAuthCode> {
    Ok(OAuthCode {
        app: AppId(r.get(0)?),
        account: AccountId(r.get(1)?),
        scopes: from_json(r, 2)?,
        challenge: r.get(3)?,
        redirect_uri: r.get(4)?,
        expires_at_ms: r.get(5)?,
        family: family(r, 6)?,
    })
}

pub(crate) async fn oauth_code(s: &SqliteStore, hash: &[u8; 32]) -> StoreResult<Option<OAuthCode>> {
    let hash = *hash;
    s.read(move |c| {
        c.prepare_cached(&format!("SELECT {CODE_COLUMNS} FROM oauth_codes WHERE code_hash = ?1"))?
            .query_row([hash.to_vec()], code_from_row)
            .optional()
    })
    .await
}

pub(crate) async fn take_oauth_code(s: &SqliteStore, hash: &[u8; 32]) -> StoreResult<Option<OAuthCode>> {
    let hash = *hash;
    s.write(move |tx| {
        tx.prepare_cached(&format!("DELETE FROM oauth_codes WHERE code_hash = ?1 RETURNING {CODE_COLUMNS}"))?
            .query_row([hash.to_vec()], code_from_row)
            .optional()
    })
    .await
}

pub(crate) async fn put_app_grant(
    s: &SqliteStore,
    app: AppId,
    account: AccountId,
    scopes: &[AppScope],
    at_ms: i64,
) -> StoreResult<()> {
    let scopes = scopes.to_vec();
    s.write(move |tx| {
        let had: Option<String> = tx
            .prepare_cached("SELECT scopes FROM app_grants WHERE app_id = ?1 AND account_id = ?2")?
            .query_row([app.0, account.0], |r| r.get(0))
            .optional()?;
        let mut all: Vec<AppScope> = match had {
            Some(json) => serde_json::from_str(&json).map_err(|e| json_error(0, e))?,
            None => vec![],
        };
        all.extend(scopes);
        all.sort();
        all.dedup();
        tx.prepare_cached(
            "INSERT INTO app_grants (app_id, account_id, scopes, granted_at_ms) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (account_id, app_id) DO UPDATE SET scopes = excluded.scopes",
        )?
        .execute(params![app.0, account.0, to_json(&all)?, at_ms])
        .map(drop)
    })
    .await
}

pub(crate) async fn app_grant(
    s: &SqliteStore,
    app: AppId,
    account: AccountId,
) -> StoreResult<Option<(Vec<AppScope>, i64)>> {
    s.read(move |c| {
        c.prepare_cached("SELECT scopes, granted_at_ms FROM app_grants WHERE app_id = ?1 AND account_id = ?2")?
            .query_row([app.0, account.0], |r| Ok((from_json(r, 0)?, r.get(1)?)))
            .optional()
    })
    .await
}

pub(crate) async fn app_grants(s: &SqliteStore, account: AccountId) -> StoreResult<Vec<(AppId, Vec<AppScope>, i64)>> {
    s.read(move |c| {
        c.prepare_cached("SELECT app_id, scopes, granted_at_ms FROM app_grants WHERE account_id = ?1 ORDER BY app_id")?
            .query_map([account.0], |r| Ok((AppId(r.get(0)?), from_json(r, 1)?, r.get(2)?)))?
            .collect()
    })
    .await
}

pub(crate) async fn delete_app_grant(
    s: &SqliteStore,
    app: AppId,
    account: AccountId,
) -> StoreResult<Option<Vec<(AccountId, SessionId)>>> {
    s.write(move |tx| {
        let sessions = sessions_of(
            tx,
            "DELETE FROM app_tokens WHERE app_id = ?1 AND account_id = ?2 RETURNING account_id, session_id",
            [app.0, account.0],
        )?;
        tx.prepare_cached("DELETE FROM oauth_codes WHERE app_id = ?1 AND account_id = ?2")?
            .execute([app.0, account.0])?;
        let deleted = tx
            .prepare_cached("DELETE FROM app_grants WHERE app_id = ?1 AND account_id = ?2")?
            .execute([app.0, account.0])?;
        Ok((deleted > 0).then_some(sessions))
    })
    .await
}

pub(crate) async fn put_app_token(
    s: &SqliteStore,
    token: &AppToken,
    spends: Spends,
    per_grant_max: usize,
) -> StoreResult<Kept> {
    let token = token.clone();
    // The new pair and those before it that stay: the newest `per_grant_max - 1` of them.
    let keep = i64::try_from(per_grant_max.saturating_sub(1)).unwrap_or(i64::MAX);
    s.write(move |tx| {
        let spent = match spends {
            Spends::Code(hash) => {
                tx.prepare_cached("DELETE FROM oauth_codes WHERE code_hash = ?1")?.execute([hash.to_vec()])?
            }
            Spends::Refresh(hash) => {
                tx.prepare_cached("DELETE FROM app_tokens WHERE refresh_hash = ?1")?.execute([hash.to_vec()])?
            }
        };
        // A withdrawal takes the grant's codes and pairs with it: it answers `Withdrawn`, not
        // `Spent`, whose caller revokes the family as for a replay.
        let granted = tx
            .prepare_cached("SELECT 1 FROM app_grants WHERE app_id = ?1 AND account_id = ?2")?
            .exists([token.app.0, token.account.0])?;
        if !granted {
            return Ok(Kept::Withdrawn);
        }
        if spent == 0 {
            return Ok(Kept::Spent);
        }
        let evicted: Vec<SessionId> = tx
            .prepare_cached(
                "DELETE FROM app_tokens WHERE refresh_hash IN (SELECT refresh_hash FROM app_tokens \
                 WHERE app_id = ?1 AND account_id = ?2 ORDER BY created_at_ms DESC, rowid DESC LIMIT -1 OFFSET ?3) \
                 RETURNING session_id",
            )?
            .query_map(params![token.app.0, token.account.0, keep], |r| Ok(SessionId(r.get(0)?)))?
            .collect::<rusqlite::Result<_>>()?;
        tx.prepare_cached(&format!(
            "INSERT INTO app_tokens ({TOKEN_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
        ))?
        .execute(params![
            token.refresh_hash.to_vec(),
            token.app.0,
            token.account.0,
            token.session.0,
            to_json(&token.scopes)?,
            token.created_at_ms,
            token.expires_at_ms,
            token.family.to_vec()
        ])?;
        Ok(Kept::Kept(evicted))
    })
    .await
}

pub(crate) async fn app_token(s: &SqliteStore, hash: &[u8; 32]) -> StoreResult<Option<AppToken>> {
    let hash = *hash;
    s.read(move |c| {
        c.prepare_cached(&format!("SELECT {TOKEN_COLUMNS} FROM app_tokens WHERE refresh_hash = ?1"))?
            .query_row([hash.to_vec()], token_from_row)
            .optional()
    })
    .await
}

pub(crate) async fn take_app_token(s: &SqliteStore, hash: &[u8; 32]) -> StoreResult<Option<AppToken>> {
    let hash = *hash;
    s.write(move |tx| {
        tx.prepare_cached(&format!("DELETE FROM app_tokens WHERE refresh_hash = ?1 RETURNING {TOKEN_COLUMNS}"))?
            .query_row([hash.to_vec()], token_from_row)
            .optional()
    })
    .await
}

pub(crate) async fn take_app_family(s: &SqliteStore, family: &Family) -> StoreResult<Vec<(AccountId, SessionId)>> {
    let family = family.to_vec();
    s.write(move |tx| {
        tx.prepare_cached("DELETE FROM app_tokens WHERE family = ?1 RETURNING account_id, session_id")?
            .query_map([family], |r| Ok((AccountId(r.get(0)?), SessionId(r.get(1)?))))?
            .collect()
    })
    .await
}

pub(crate) async fn prune_oauth(s: &SqliteStore, now_ms: i64) -> StoreResult<u64> {
    s.write(move |tx| {
        let codes = tx.prepare_cached("DELETE FROM oauth_codes WHERE expires_at_ms <= ?1")?.execute([now_ms])?;
        let tokens = tx.prepare_cached("DELETE FROM app_tokens WHERE expires_at_ms <= ?1")?.execute([now_ms])?;
        Ok(u64::try_from(codes + tokens).unwrap_or(u64::MAX))
    })
    .await
}
