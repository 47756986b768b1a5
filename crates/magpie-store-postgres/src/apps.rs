//! Workbench apps' rows (magpie_core::apps): the apps, and OAuth's codes, grants and token
//! pairs. Each write is one transaction.

use deadpool_postgres::GenericClient;
use magpie_core::apps::{App, AppId, AppPatch, AppScope, AppToken, Family, Kept, NewApp, OAuthCode, Spends};
use magpie_core::model::{AccountId, DomainId, SessionId};
use magpie_core::org::DepartmentId;
use tokio_postgres::Row;

use crate::chat::{json_error, to_json};
use crate::{PgResult, PgStore, StoreResult, corrupt, read, write_tx};

const APP_COLUMNS: &str = "id, domain_id, name, description, icon, url, client_id, redirect_uris, scopes, departments, position, created_at_ms";
const TOKEN_COLUMNS: &str =
    "refresh_hash, app_id, account_id, session_id, scopes, created_at_ms, expires_at_ms, family";

fn from_json<T: serde::de::DeserializeOwned>(row: &Row, col: usize) -> PgResult<T> {
    let text: String = row.try_get(col)?;
    serde_json::from_str(&text).map_err(json_error)
}

fn hash32(bytes: Vec<u8>) -> PgResult<[u8; 32]> {
    bytes.try_into().map_err(|_| corrupt("hash"))
}

fn family(bytes: Vec<u8>) -> PgResult<Family> {
    bytes.try_into().map_err(|_| corrupt("family"))
}

fn app_from_row(r: &Row) -> PgResult<App> {
    let departments: Option<String> = r.try_get(9)?;
    let departments = match departments {
        Some(d) => {
            Some(serde_json::from_str::<Vec<i64>>(&d).map_err(json_error)?.into_iter().map(DepartmentId).collect())
        }
        None => None,
    };
    Ok(App {
        id: AppId(r.try_get(0)?),
        domain_id: DomainId(r.try_get(1)?),
        name: r.try_get(2)?,
        description: r.try_get(3)?,
        icon: r.try_get(4)?,
        url: r.try_get(5)?,
        client_id: r.try_get(6)?,
        redirect_uris: from_json(r, 7)?,
        scopes: from_json(r, 8)?,
        departments,
        position: r.try_get(10)?,
        created_at_ms: r.try_get(11)?,
    })
}

fn departments_json(departments: Option<&Vec<DepartmentId>>) -> PgResult<Option<String>> {
    departments.map(|l| to_json(&l.iter().map(|d| d.0).collect::<Vec<_>>())).transpose()
}

fn token_from_row(r: &Row) -> PgResult<AppToken> {
    Ok(AppToken {
        refresh_hash: hash32(r.try_get(0)?)?,
        app: AppId(r.try_get(1)?),
        account: AccountId(r.try_get(2)?),
        session: SessionId(r.try_get(3)?),
        scopes: from_json(r, 4)?,
        created_at_ms: r.try_get(5)?,
        expires_at_ms: r.try_get(6)?,
        family: family(r.try_get(7)?)?,
    })
}

fn sessions_of(rows: &[Row]) -> PgResult<Vec<(AccountId, SessionId)>> {
    rows.iter().map(|r| Ok((AccountId(r.try_get(0)?), SessionId(r.try_get(1)?)))).collect()
}

async fn app_of(c: &impl GenericClient, id: AppId) -> PgResult<Option<App>> {
    let sql = format!("SELECT {APP_COLUMNS} FROM apps WHERE id = $1");
    c.query_opt(&c.prepare_cached(&sql).await?, &[&id.0]).await?.as_ref().map(app_from_row).transpose()
}

pub(crate) async fn create_app(s: &PgStore, new: &NewApp, per_domain_max: usize) -> StoreResult<Option<App>> {
    let max = i64::try_from(per_domain_max).unwrap_or(i64::MAX);
    let redirect_uris = to_json(&new.redirect_uris).map_err(crate::PgError::into_store)?;
    let scopes = to_json(&new.scopes).map_err(crate::PgError::into_store)?;
    let departments = departments_json(new.departments.as_ref()).map_err(crate::PgError::into_store)?;
    let secret = new.secret_hash.to_vec();
    write_tx!(s, |tx| {
        let c = tx.c();
        // The domain's row, locked: two installs at once count one after the other.
        c.execute("SELECT 1 FROM domains WHERE id = $1 FOR UPDATE", &[&new.domain_id.0]).await?;
        let row = c
            .query_one(
                "SELECT count(*), coalesce(max(position), 0) FROM apps WHERE domain_id = $1",
                &[&new.domain_id.0],
            )
            .await?;
        let (count, last): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
        if count >= max {
            None
        } else {
            let row = c
                .query_one(
                    "INSERT INTO apps (domain_id, name, description, icon, url, client_id, secret_hash, redirect_uris, \
                     scopes, departments, position, created_at_ms) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
                    &[
                        &new.domain_id.0,
                        &new.name,
                        &new.description,
                        &new.icon,
                        &new.url,
                        &new.client_id,
                        &secret,
                        &redirect_uris,
                        &scopes,
                        &departments,
                        &(last + 1),
                        &new.created_at_ms,
                    ],
                )
                .await?;
            app_of(c, AppId(row.try_get(0)?)).await?
        }
    })
}

pub(crate) async fn apps(s: &PgStore, domain: DomainId) -> StoreResult<Vec<App>> {
    read!(s, |c| {
        let sql = format!("SELECT {APP_COLUMNS} FROM apps WHERE domain_id = $1 ORDER BY position, id");
        let rows = c.query(&c.prepare_cached(&sql).await?, &[&domain.0]).await?;
        rows.iter().map(app_from_row).collect::<PgResult<Vec<_>>>()?
    })
}

pub(crate) async fn app(s: &PgStore, id: AppId) -> StoreResult<Option<App>> {
    read!(s, |c| app_of(c, id).await?)
}

pub(crate) async fn app_by_client_id(s: &PgStore, client_id: &str) -> StoreResult<Option<(App, [u8; 32])>> {
    read!(s, |c| {
        let sql = format!("SELECT {APP_COLUMNS}, secret_hash FROM apps WHERE client_id = $1");
        match c.query_opt(&c.prepare_cached(&sql).await?, &[&client_id]).await? {
            Some(r) => Some((app_from_row(&r)?, hash32(r.try_get(12)?)?)),
            None => None,
        }
    })
}

pub(crate) async fn update_app(s: &PgStore, id: AppId, patch: &AppPatch) -> StoreResult<Option<App>> {
    let encode = || -> PgResult<_> {
        Ok((
            patch.redirect_uris.as_ref().map(to_json).transpose()?,
            patch.scopes.as_ref().map(to_json).transpose()?,
            patch.departments.as_ref().map(|d| departments_json(d.as_ref())).transpose()?,
        ))
    };
    let (redirect_uris, scopes, departments) = encode().map_err(crate::PgError::into_store)?;
    let icon = patch.icon.clone().flatten();
    let departments_set = departments.is_some();
    let departments = departments.flatten();
    write_tx!(s, |tx| {
        let c = tx.c();
        let changed = c
            .execute(
                "UPDATE apps SET name = coalesce($2, name), description = coalesce($3, description), \
                 icon = CASE WHEN $4 THEN $5 ELSE icon END, url = coalesce($6, url), \
                 redirect_uris = coalesce($7, redirect_uris), scopes = coalesce($8, scopes), \
                 departments = CASE WHEN $9 THEN $10 ELSE departments END WHERE id = $1",
                &[
                    &id.0,
                    &patch.name,
                    &patch.description,
                    &patch.icon.is_some(),
                    &icon,
                    &patch.url,
                    &redirect_uris,
                    &scopes,
                    &departments_set,
                    &departments,
                ],
            )
            .await?;
        if changed == 0 { None } else { app_of(c, id).await? }
    })
}

pub(crate) async fn set_app_secret(s: &PgStore, id: AppId, hash: [u8; 32]) -> StoreResult<bool> {
    let hash = hash.to_vec();
    write_tx!(s, |tx| tx.c().execute("UPDATE apps SET secret_hash = $2 WHERE id = $1", &[&id.0, &hash]).await? > 0)
}

pub(crate) async fn delete_app(s: &PgStore, id: AppId) -> StoreResult<Option<Vec<(AccountId, SessionId)>>> {
    write_tx!(s, |tx| {
        let c = tx.c();
        // The grants first: a pair being kept holds its grant (see `put_app_token`), so this
        // waits for that pair to be there and finds it below.
        c.execute("DELETE FROM app_grants WHERE app_id = $1", &[&id.0]).await?;
        let rows = c.query("SELECT account_id, session_id FROM app_tokens WHERE app_id = $1", &[&id.0]).await?;
        // Codes and tokens go with it (ON DELETE CASCADE).
        let deleted = c.execute("DELETE FROM apps WHERE id = $1", &[&id.0]).await?;
        if deleted > 0 { Some(sessions_of(&rows)?) } else { None }
    })
}

pub(crate) async fn order_apps(s: &PgStore, domain: DomainId, order: &[AppId]) -> StoreResult<bool> {
    let ids: Vec<i64> = order.iter().map(|a| a.0).collect();
    write_tx!(s, |tx| {
        let c = tx.c();
        let rows = c.query("SELECT id FROM apps WHERE domain_id = $1 FOR UPDATE", &[&domain.0]).await?;
        let mut current: Vec<i64> = rows.iter().map(|r| r.try_get(0)).collect::<Result<_, _>>()?;
        let mut asked = ids.clone();
        current.sort_unstable();
        asked.sort_unstable();
        if current == asked {
            c.execute(
                "UPDATE apps SET position = o.n FROM unnest($1::bigint[]) WITH ORDINALITY AS o(id, n) WHERE apps.id = o.id",
                &[&ids],
            )
            .await?;
            true
        } else {
            false
        }
    })
}

pub(crate) async fn put_oauth_code(
    s: &PgStore,
    hash: &[u8; 32],
    code: &OAuthCode,
    per_grant_max: usize,
) -> StoreResult<()> {
    let scopes = to_json(&code.scopes).map_err(crate::PgError::into_store)?;
    let hash = hash.to_vec();
    let family_bytes = code.family.to_vec();
    let keep = i64::try_from(per_grant_max.saturating_sub(1)).unwrap_or(i64::MAX);
    write_tx!(s, |tx| {
        tx.c()
            .execute(
                "DELETE FROM oauth_codes WHERE code_hash IN (SELECT code_hash FROM oauth_codes \
                 WHERE app_id = $1 AND account_id = $2 ORDER BY expires_at_ms DESC, code_hash DESC OFFSET $3)",
                &[&code.app.0, &code.account.0, &keep],
            )
            .await?;
        tx.c()
            .execute(
                "INSERT INTO oauth_codes \
                 (code_hash, app_id, account_id, scopes, challenge, redirect_uri, expires_at_ms, family) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                &[
                    &hash,
                    &code.app.0,
                    &code.account.0,
                    &scopes,
                    &code.challenge,
                    &code.redirect_uri,
                    &code.expires_at_ms,
                    &family_bytes,
                ],
            )
            .await?;
    })
}

const CODE_COLUMNS: &str = "app_id, account_id, scopes, challenge, redirect_uri, expires_at_ms, family";

fn code_from_row(r: &Row) -> PgResult<OAuthCode> {
    Ok(OAuthCode {
        app: AppId(r.try_get(0)?),
        account: AccountId(r.try_get(1)?),
        scopes: from_json(r, 2)?,
        challenge: r.try_get(3)?,
        redirect_uri: r.try_get(4)?,
        expires_at_ms: r.try_get(5)?,
        family: family(r.try_get(6)?)?,
    })
}

pub(crate) async fn oauth_code(s: &PgStore, hash: &[u8; 32]) -> StoreResult<Option<OAuthCode>> {
    let hash = hash.to_vec();
    read!(s, |c| {
        let sql = format!("SELECT {CODE_COLUMNS} FROM oauth_codes WHERE code_hash = $1");
        c.query_opt(&c.prepare_cached(&sql).await?, &[&hash]).await?.as_ref().map(code_from_row).transpose()?
    })
}

pub(crate) async fn take_oauth_code(s: &PgStore, hash: &[u8; 32]) -> StoreResult<Option<OAuthCode>> {
    let hash = hash.to_vec();
    write_tx!(s, |tx| {
        let sql = format!("DELETE FROM oauth_codes WHERE code_hash = $1 RETURNING {CODE_COLUMNS}");
        tx.c().query_opt(&sql, &[&hash]).await?.as_ref().map(code_from_row).transpose()?
    })
}

pub(crate) async fn put_app_grant(
    s: &PgStore,
    app: AppId,
    account: AccountId,
    scopes: &[AppScope],
    at_ms: i64,
) -> StoreResult<()> {
    write_tx!(s, |tx| {
        let c = tx.c();
        // The row first, so that there is a row to lock: a first grant made twice at once (two
        // tabs) would otherwise find nothing to lock in either, and the later write would drop
        // the earlier one's scopes. The second insert waits for the first to commit.
        c.execute(
            "INSERT INTO app_grants (app_id, account_id, scopes, granted_at_ms) VALUES ($1, $2, '[]', $3) \
             ON CONFLICT (account_id, app_id) DO NOTHING",
            &[&app.0, &account.0, &at_ms],
        )
        .await?;
        let had = c
            .query_one(
                "SELECT scopes FROM app_grants WHERE app_id = $1 AND account_id = $2 FOR UPDATE",
                &[&app.0, &account.0],
            )
            .await?;
        let mut all: Vec<AppScope> = from_json(&had, 0)?;
        all.extend_from_slice(scopes);
        all.sort();
        all.dedup();
        c.execute(
            "UPDATE app_grants SET scopes = $3 WHERE app_id = $1 AND account_id = $2",
            &[&app.0, &account.0, &to_json(&all)?],
        )
        .await?;
    })
}

pub(crate) async fn app_grant(
    s: &PgStore,
    app: AppId,
    account: AccountId,
) -> StoreResult<Option<(Vec<AppScope>, i64)>> {
    read!(s, |c| {
        let sql = "SELECT scopes, granted_at_ms FROM app_grants WHERE app_id = $1 AND account_id = $2";
        match c.query_opt(&c.prepare_cached(sql).await?, &[&app.0, &account.0]).await? {
            Some(r) => Some((from_json(&r, 0)?, r.try_get(1)?)),
            None => None,
        }
    })
}

pub(crate) async fn app_grants(s: &PgStore, account: AccountId) -> StoreResult<Vec<(AppId, Vec<AppScope>, i64)>> {
    read!(s, |c| {
        let sql = "SELECT app_id, scopes, granted_at_ms FROM app_grants WHERE account_id = $1 ORDER BY app_id";
        let rows = c.query(&c.prepare_cached(sql).await?, &[&account.0]).await?;
        rows.iter()
            .map(|r| Ok((AppId(r.try_get(0)?), from_json(r, 1)?, r.try_get(2)?)))
            .collect::<PgResult<Vec<_>>>()?
    })
}

pub(crate) async fn delete_app_grant(
    s: &PgStore,
    app: AppId,
    account: AccountId,
) -> StoreResult<Option<Vec<(AccountId, SessionId)>>> {
    write_tx!(s, |tx| {
        let c = tx.c();
        // The grant first: a pair being kept holds it (see `put_app_token`), so this waits for
        // that pair to be there and takes it below.
        let deleted =
            c.execute("DELETE FROM app_grants WHERE app_id = $1 AND account_id = $2", &[&app.0, &account.0]).await?;
        let rows = c
            .query(
                "DELETE FROM app_tokens WHERE app_id = $1 AND account_id = $2 RETURNING account_id, session_id",
                &[&app.0, &account.0],
            )
            .await?;
        c.execute("DELETE FROM oauth_codes WHERE app_id = $1 AND account_id = $2", &[&app.0, &account.0]).await?;
        if deleted > 0 { Some(sessions_of(&rows)?) } else { None }
    })
}

pub(crate) async fn put_app_token(
    s: &PgStore,
    token: &AppToken,
    spends: Spends,
    per_grant_max: usize,
) -> StoreResult<Kept> {
    let keep = i64::try_from(per_grant_max.saturating_sub(1)).unwrap_or(i64::MAX);
    let scopes = to_json(&token.scopes).map_err(crate::PgError::into_store)?;
    let hash = token.refresh_hash.to_vec();
    let family_bytes = token.family.to_vec();
    let (spent_sql, spent_hash) = match spends {
        Spends::Code(h) => ("DELETE FROM oauth_codes WHERE code_hash = $1", h.to_vec()),
        Spends::Refresh(h) => ("DELETE FROM app_tokens WHERE refresh_hash = $1", h.to_vec()),
    };
    write_tx!(s, |tx| {
        let c = tx.c();
        // The grant first, held until the commit: withdrawing it (or uninstalling the app)
        // deletes the grant before the pairs, so it either waits for this pair and then takes it,
        // or went first and this finds no grant.
        let granted = c
            .query_opt(
                "SELECT 1 FROM app_grants WHERE app_id = $1 AND account_id = $2 FOR SHARE",
                &[&token.app.0, &token.account.0],
            )
            .await?
            .is_some();
        // Two exchanges of one code at once: the second waits for the first and deletes nothing.
        let spent = c.execute(spent_sql, &[&spent_hash]).await?;
        // A withdrawal takes the grant's codes and pairs with it: it answers `Withdrawn`, not
        // `Spent`, whose caller revokes the family as for a replay.
        if !granted {
            Kept::Withdrawn
        } else if spent == 0 {
            Kept::Spent
        } else {
            // The new pair and those before it that stay: the newest `per_grant_max - 1` of them.
            let rows = c
                .query(
                    "DELETE FROM app_tokens WHERE refresh_hash IN (SELECT refresh_hash FROM app_tokens \
                     WHERE app_id = $1 AND account_id = $2 ORDER BY created_at_ms DESC, refresh_hash DESC OFFSET $3) \
                     RETURNING session_id",
                    &[&token.app.0, &token.account.0, &keep],
                )
                .await?;
            c.execute(
                &format!("INSERT INTO app_tokens ({TOKEN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"),
                &[
                    &hash,
                    &token.app.0,
                    &token.account.0,
                    &token.session.0,
                    &scopes,
                    &token.created_at_ms,
                    &token.expires_at_ms,
                    &family_bytes,
                ],
            )
            .await?;
            Kept::Kept(rows.iter().map(|r| Ok(SessionId(r.try_get(0)?))).collect::<PgResult<Vec<_>>>()?)
        }
    })
}

pub(crate) async fn app_token(s: &PgStore, hash: &[u8; 32]) -> StoreResult<Option<AppToken>> {
    let hash = hash.to_vec();
    read!(s, |c| {
        let sql = format!("SELECT {TOKEN_COLUMNS} FROM app_tokens WHERE refresh_hash = $1");
        c.query_opt(&c.prepare_cached(&sql).await?, &[&hash]).await?.as_ref().map(token_from_row).transpose()?
    })
}

pub(crate) async fn take_app_token(s: &PgStore, hash: &[u8; 32]) -> StoreResult<Option<AppToken>> {
    let hash = hash.to_vec();
    write_tx!(s, |tx| {
        let sql = format!("DELETE FROM app_tokens WHERE refresh_hash = $1 RETURNING {TOKEN_COLUMNS}");
        tx.c().query_opt(&sql, &[&hash]).await?.as_ref().map(token_from_row).transpose()?
    })
}

pub(crate) async fn take_app_family(s: &PgStore, family: &Family) -> StoreResult<Vec<(AccountId, SessionId)>> {
    let family = family.to_vec();
    write_tx!(s, |tx| {
        let rows = tx
            .c()
            .query("DELETE FROM app_tokens WHERE family = $1 RETURNING account_id, session_id", &[&family])
            .await?;
        sessions_of(&rows)?
    })
}

pub(crate) async fn prune_oauth(s: &PgStore, now_ms: i64) -> StoreResult<u64> {
    write_tx!(s, |tx| {
        let c = tx.c();
        let codes = c.execute("DELETE FROM oauth_codes WHERE expires_at_ms <= $1", &[&now_ms]).await?;
        let tokens = c.execute("DELETE FROM app_tokens WHERE expires_at_ms <= $1", &[&now_ms]).await?;
        codes + tokens
    })
}
