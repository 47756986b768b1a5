//! Embedded migrations, applied in order under an advisory lock and recorded in
//! `magpie_migrations`. Each file under `migrations/postgres/` is one step; its number is its
//! version. The SQLite steps live beside them, one directory per dialect.

use deadpool_postgres::Object;

use crate::OpenError;

/// The steps, in order: (name, SQL).
pub const MIGRATIONS: &[(&str, &str)] = &[
    ("0001_schema", include_str!("../migrations/postgres/0001_schema.sql")),
    ("0002_server_key", include_str!("../migrations/postgres/0002_server_key.sql")),
    ("0003_shared_and_link_previews", include_str!("../migrations/postgres/0003_shared_and_link_previews.sql")),
    ("0004_pins_saved", include_str!("../migrations/postgres/0004_pins_saved.sql")),
    ("0005_avatar_files", include_str!("../migrations/postgres/0005_avatar_files.sql")),
    ("0006_threads", include_str!("../migrations/postgres/0006_threads.sql")),
    ("0007_scheduled_messages", include_str!("../migrations/postgres/0007_scheduled_messages.sql")),
    ("0008_member_spans_by_account", include_str!("../migrations/postgres/0008_member_spans_by_account.sql")),
    ("0009_account_name_keys", include_str!("../migrations/postgres/0009_account_name_keys.sql")),
    ("0010_departments", include_str!("../migrations/postgres/0010_departments.sql")),
    ("0011_registration_modes", include_str!("../migrations/postgres/0011_registration_modes.sql")),
    ("0012_ldap", include_str!("../migrations/postgres/0012_ldap.sql")),
    ("0013_mail", include_str!("../migrations/postgres/0013_mail.sql")),
    ("0014_org_chats_ldap_groups", include_str!("../migrations/postgres/0014_org_chats_ldap_groups.sql")),
    ("0015_notify_prefs", include_str!("../migrations/postgres/0015_notify_prefs.sql")),
    ("0016_push", include_str!("../migrations/postgres/0016_push.sql")),
    ("0017_member_notify", include_str!("../migrations/postgres/0017_member_notify.sql")),
    ("0018_digest", include_str!("../migrations/postgres/0018_digest.sql")),
    ("0019_inbox", include_str!("../migrations/postgres/0019_inbox.sql")),
    ("0020_push_jobs", include_str!("../migrations/postgres/0020_push_jobs.sql")),
    ("0021_audit", include_str!("../migrations/postgres/0021_audit.sql")),
    ("0022_moderation", include_str!("../migrations/postgres/0022_moderation.sql")),
    ("0023_exports", include_str!("../migrations/postgres/0023_exports.sql")),
    ("0024_retention", include_str!("../migrations/postgres/0024_retention.sql")),
    ("0025_digest_leases", include_str!("../migrations/postgres/0025_digest_leases.sql")),
    ("0026_bots", include_str!("../migrations/postgres/0026_bots.sql")),
    ("0027_webhooks", include_str!("../migrations/postgres/0027_webhooks.sql")),
    ("0028_bot_commands", include_str!("../migrations/postgres/0028_bot_commands.sql")),
    ("0029_apps", include_str!("../migrations/postgres/0029_apps.sql")),
    ("0030_app_families", include_str!("../migrations/postgres/0030_app_families.sql")),
    ("0031_ledger", include_str!("../migrations/postgres/0031_ledger.sql")),
];

/// The advisory lock that one node at a time holds while it migrates: N nodes starting at once
/// migrate once, and the others wait and then find nothing to do.
const MIGRATION_LOCK: i64 = 0x6d61_6770_6965_0001; // "magpie" 1

pub(crate) async fn run(client: &mut Object) -> Result<(), OpenError> {
    client.execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK]).await.map_err(OpenError::Migrate)?;
    let outcome = apply(client).await;
    // The lock ends with the session anyway; unlock so that the pooled connection is clean.
    let unlocked = client.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK]).await;
    outcome?;
    unlocked.map_err(OpenError::Migrate)?;
    Ok(())
}

async fn apply(client: &mut Object) -> Result<(), OpenError> {
    client
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS magpie_migrations (\
                 version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
        )
        .await
        .map_err(OpenError::Migrate)?;
    let found: i64 = client
        .query_one("SELECT coalesce(max(version), 0) FROM magpie_migrations", &[])
        .await
        .map_err(OpenError::Migrate)?
        .get(0);
    let known = i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX);
    if found > known {
        return Err(OpenError::TooNew { found, known });
    }
    for (version, (name, sql)) in (1_i64..).zip(MIGRATIONS.iter()).skip(usize::try_from(found).unwrap_or(0)) {
        let tx = client.transaction().await.map_err(OpenError::Migrate)?;
        tx.batch_execute(sql).await.map_err(OpenError::Migrate)?;
        tx.execute("INSERT INTO magpie_migrations (version, name) VALUES ($1, $2)", &[&version, name])
            .await
            .map_err(OpenError::Migrate)?;
        tx.commit().await.map_err(OpenError::Migrate)?;
        tracing::info!(migration = name, "applied migration");
    }
    Ok(())
}
