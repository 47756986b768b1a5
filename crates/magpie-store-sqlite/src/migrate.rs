//! Embedded migrations, applied in order and recorded in `PRAGMA user_version`.
//! Each file under `migrations/sqlite/` is one step; its number is its version.

use std::path::Path;

use rusqlite::Connection;

use crate::OpenError;

const MIGRATIONS: &[(&str, &str)] = &[("0001_foundation", include_str!("../migrations/sqlite/0001_foundation.sql"))];

pub(crate) fn run(conn: &mut Connection, path: &Path) -> Result<(), OpenError> {
    let fail = |source| OpenError::Migrate { path: path.into(), source };
    let known = i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX);
    let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).map_err(fail)?;
    if found > known {
        return Err(OpenError::TooNew { path: path.into(), found, known });
    }
    for (version, (name, sql)) in MIGRATIONS.iter().enumerate().skip(usize::try_from(found).unwrap_or(0)) {
        let tx = conn.transaction().map_err(fail)?;
        tx.execute_batch(sql).map_err(fail)?;
        tx.pragma_update(None, "user_version", version + 1).map_err(fail)?;
        tx.commit().map_err(fail)?;
        tracing::info!(migration = name, "applied migration");
    }
    Ok(())
}
