//! Moving a deployment's stored data from one store adapter to another (`magpie admin
//! migrate`): the adapters share table and column names, so a row is copied as a list of
//! [`Cell`]s, and both sides digest what they hold in one canonical form ([`TableDigest`]), so
//! that the copy is checked row for row rather than trusted.

use sha2::{Digest, Sha256};

/// The tables that every store adapter keeps with the same name and columns, in an order in
/// which each table comes after those it refers to. An adapter's own tables (SQLite's activity
/// clock, PostgreSQL's heads and meta, the followers' cursors, which are adapter-defined) are
/// not copied: the importing adapter derives them from these.
pub const TABLES: &[&str] = &[
    "domains",
    "accounts",
    "ledger_pockets",
    "ledger_movements",
    "ledger_legs",
    "bots",
    "bot_commands",
    "bot_subscriptions",
    "webhook_events",
    "webhook_streams",
    "apps",
    "oauth_codes",
    "app_grants",
    "app_tokens",
    "sessions",
    "session_revocations",
    "conversations",
    "members",
    "member_spans",
    "entries",
    "mentions",
    "reactions",
    "hidden_entries",
    "pins",
    "saved",
    "threads",
    "thread_follows",
    "scheduled_messages",
    "scheduled_files",
    "account_events",
    "contacts",
    "friend_requests",
    "blocks",
    "uploads",
    "blobs",
    "files",
    "thumbnails",
    "file_refs",
    "sticker_packs",
    "stickers",
    "shared_entries",
    "link_previews",
    "departments",
    "department_members",
    "invitations",
    "applications",
    "ldap_sources",
    "ldap_accounts",
    "email_codes",
    "mail_outbox",
    "account_managers",
    "department_chats",
    "org_chat_owners",
    "ldap_groups",
    "ldap_sync_state",
    "notify_prefs",
    "push_targets",
    "push_outbox",
    "push_jobs",
    "push_failures",
    "digest_items",
    "notifications",
    "audit_log",
    "moderation_rules",
    "exports",
    "retention_runs",
    "doomed_blobs",
];

/// One value of a stored row, as both adapters read and write it. Booleans are `Int` (0 or 1),
/// as SQLite stores them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Null,
    Int(i64),
    Text(String),
    Bytes(Vec<u8>),
}

/// A table to copy: its name, the columns both adapters have, and the columns that order its
/// rows for the digest (its primary key, or every column when it has none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub name: String,
    pub columns: Vec<String>,
    pub order: Vec<String>,
}

/// The columns that each adapter fills its own way and a migration copies without comparing: a
/// log item's position in its adapter's commit order.
const OWN_COLUMNS: &[(&str, &str)] = &[("entries", "position"), ("account_events", "position")];

impl Table {
    /// The indexes of the columns that the digest compares (all but [`OWN_COLUMNS`]).
    pub fn compared_columns(&self) -> Vec<usize> {
        let own = |c: &str| OWN_COLUMNS.iter().any(|(t, own)| *t == self.name && *own == c);
        (0..self.columns.len()).filter(|&i| !own(&self.columns[i])).collect()
    }

    /// The table as the digest compares it.
    pub fn compared(&self) -> Table {
        let columns = self.compared_columns().into_iter().map(|i| self.columns[i].clone()).collect();
        Table { name: self.name.clone(), columns, order: self.order.clone() }
    }
}

/// What one adapter holds of a table: how many rows, and a SHA-256 over them all in the
/// table's order, each cell tagged with its kind and length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableDigest {
    pub rows: u64,
    pub sha256: [u8; 32],
}

/// Builds a [`TableDigest`] row by row.
#[derive(Default)]
pub struct Digester {
    rows: u64,
    hash: Sha256,
}

impl Digester {
    pub fn add(&mut self, row: &[Cell]) {
        self.rows += 1;
        let len = u64::try_from(row.len()).unwrap_or(u64::MAX);
        self.hash.update(b"R");
        self.hash.update(len.to_le_bytes());
        for cell in row {
            match cell {
                Cell::Null => self.hash.update(b"N"),
                Cell::Int(n) => {
                    self.hash.update(b"I");
                    self.hash.update(n.to_le_bytes());
                }
                Cell::Text(text) => self.tagged(b"T", text.as_bytes()),
                Cell::Bytes(bytes) => self.tagged(b"B", bytes),
            }
        }
    }

    fn tagged(&mut self, tag: &[u8], bytes: &[u8]) {
        self.hash.update(tag);
        self.hash.update(u64::try_from(bytes.len()).unwrap_or(u64::MAX).to_le_bytes());
        self.hash.update(bytes);
    }

    pub fn finish(self) -> TableDigest {
        TableDigest { rows: self.rows, sha256: self.hash.finalize().into() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(rows: &[Vec<Cell>]) -> TableDigest {
        let mut d = Digester::default();
        for row in rows {
            d.add(row);
        }
        d.finish()
    }

    #[test]
    fn a_digest_tells_rows_apart_by_every_cell_and_their_order() {
        let a = vec![Cell::Int(1), Cell::Text("ab".into()), Cell::Null];
        let b = vec![Cell::Int(2), Cell::Bytes(b"ab".to_vec()), Cell::Text(String::new())];
        let base = digest(&[a.clone(), b.clone()]);
        assert_eq!(base, digest(&[a.clone(), b.clone()]), "the same rows digest the same");
        assert_eq!(base.rows, 2);
        assert_ne!(base, digest(&[b.clone(), a.clone()]), "order counts");
        let text_not_bytes = vec![Cell::Int(2), Cell::Text("ab".into()), Cell::Text(String::new())];
        assert_ne!(base, digest(&[a.clone(), text_not_bytes]), "a cell's kind counts");
        let null_not_empty = vec![Cell::Int(2), Cell::Bytes(b"ab".to_vec()), Cell::Null];
        assert_ne!(base, digest(&[a.clone(), null_not_empty]), "NULL is not empty");
        let moved = vec![Cell::Int(1), Cell::Text("a".into()), Cell::Text("b".into())];
        assert_ne!(digest(&[moved]), digest(&[vec![Cell::Int(1), Cell::Text("ab".into()), Cell::Text(String::new())]]));
    }
}
