//! Embedded migrations, applied in order and recorded in `PRAGMA user_version`.
//! Each file under `migrations/sqlite/` is one step; its number is its version.

use std::path::Path;

use rusqlite::Connection;

use crate::OpenError;

const MIGRATIONS: &[(&str, &str)] = &[
    ("0001_foundation", include_str!("../migrations/sqlite/0001_foundation.sql")),
    ("0002_conversations", include_str!("../migrations/sqlite/0002_conversations.sql")),
    ("0003_contacts", include_str!("../migrations/sqlite/0003_contacts.sql")),
    ("0004_files", include_str!("../migrations/sqlite/0004_files.sql")),
    ("0005_log_tail", include_str!("../migrations/sqlite/0005_log_tail.sql")),
    ("0006_member_spans", include_str!("../migrations/sqlite/0006_member_spans.sql")),
    ("0007_recall_clears_edits", include_str!("../migrations/sqlite/0007_recall_clears_edits.sql")),
    ("0008_marked_unread", include_str!("../migrations/sqlite/0008_marked_unread.sql")),
    ("0009_shared_and_link_previews", include_str!("../migrations/sqlite/0009_shared_and_link_previews.sql")),
    ("0010_pins_saved", include_str!("../migrations/sqlite/0010_pins_saved.sql")),
    ("0011_avatar_files", include_str!("../migrations/sqlite/0011_avatar_files.sql")),
    ("0012_threads", include_str!("../migrations/sqlite/0012_threads.sql")),
    ("0013_scheduled_messages", include_str!("../migrations/sqlite/0013_scheduled_messages.sql")),
    ("0014_member_spans_by_account", include_str!("../migrations/sqlite/0014_member_spans_by_account.sql")),
    ("0015_account_name_keys", include_str!("../migrations/sqlite/0015_account_name_keys.sql")),
    ("0016_departments", include_str!("../migrations/sqlite/0016_departments.sql")),
    ("0017_registration_modes", include_str!("../migrations/sqlite/0017_registration_modes.sql")),
    ("0018_ldap", include_str!("../migrations/sqlite/0018_ldap.sql")),
    ("0019_mail", include_str!("../migrations/sqlite/0019_mail.sql")),
    ("0020_org_chats_ldap_groups", include_str!("../migrations/sqlite/0020_org_chats_ldap_groups.sql")),
    ("0021_notify_prefs", include_str!("../migrations/sqlite/0021_notify_prefs.sql")),
    ("0022_push", include_str!("../migrations/sqlite/0022_push.sql")),
    ("0023_member_notify", include_str!("../migrations/sqlite/0023_member_notify.sql")),
    ("0024_digest", include_str!("../migrations/sqlite/0024_digest.sql")),
    ("0025_inbox", include_str!("../migrations/sqlite/0025_inbox.sql")),
    ("0026_push_jobs", include_str!("../migrations/sqlite/0026_push_jobs.sql")),
    ("0027_audit", include_str!("../migrations/sqlite/0027_audit.sql")),
    ("0028_moderation", include_str!("../migrations/sqlite/0028_moderation.sql")),
    ("0029_exports", include_str!("../migrations/sqlite/0029_exports.sql")),
    ("0030_retention", include_str!("../migrations/sqlite/0030_retention.sql")),
    ("0031_digest_leases", include_str!("../migrations/sqlite/0031_digest_leases.sql")),
    ("0032_bots", include_str!("../migrations/sqlite/0032_bots.sql")),
    ("0033_webhooks", include_str!("../migrations/sqlite/0033_webhooks.sql")),
    ("0034_bot_commands", include_str!("../migrations/sqlite/0034_bot_commands.sql")),
    ("0035_apps", include_str!("../migrations/sqlite/0035_apps.sql")),
    ("0036_app_families", include_str!("../migrations/sqlite/0036_app_families.sql")),
    ("0037_ledger", include_str!("../migrations/sqlite/0037_ledger.sql")),
];

/// The schema version the migrations reach.
pub(crate) fn known_version() -> i64 {
    i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX)
}

pub(crate) fn run(conn: &mut Connection, path: &Path) -> Result<(), OpenError> {
    let fail = |source| OpenError::Migrate { path: path.into(), source };
    let known = known_version();
    loop {
        // Read the version inside a write transaction, so that two processes opening a new
        // data directory at once (the server and the admin CLI) cannot both apply a step.
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(fail)?;
        let found: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0)).map_err(fail)?;
        if found > known {
            return Err(OpenError::TooNew { path: path.into(), found, known });
        }
        let Some((name, sql)) = usize::try_from(found).ok().and_then(|i| MIGRATIONS.get(i)) else {
            return Ok(());
        };
        tx.execute_batch(sql).map_err(fail)?;
        tx.pragma_update(None, "user_version", found + 1).map_err(fail)?;
        tx.commit().map_err(fail)?;
        tracing::info!(migration = name, "applied migration");
    }
}
