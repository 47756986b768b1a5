//! The store conformance suite (`magpie-store-tests`) against SQLite: every check on a fresh
//! database in a temporary directory, and the delivery property test.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use async_trait::async_trait;
use magpie_core::ports::{Bus, Stores};
use magpie_store_sqlite::SqliteStore;
use magpie_store_tests::StoreFactory;

/// Reader connections per store, as the server opens them (a few, so reads race writes).
const READERS: usize = 4;

struct Sqlite;

#[async_trait]
impl StoreFactory for Sqlite {
    type Place = tempfile::TempDir;

    async fn place(&self) -> tempfile::TempDir {
        tempfile::tempdir().unwrap()
    }

    async fn open(&self, dir: &tempfile::TempDir, bus: Arc<dyn Bus>) -> Stores {
        Stores::all(Arc::new(SqliteStore::open(&dir.path().join("magpie.db"), READERS, bus).unwrap()))
    }
}

magpie_store_tests::conformance!(Sqlite);
