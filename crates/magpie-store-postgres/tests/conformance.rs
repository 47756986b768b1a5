//! The store conformance suite (`magpie-store-tests`) against PostgreSQL: every check on a
//! fresh database of the server that `scripts/services` started (`MAGPIE_TEST_POSTGRES_URL`),
//! and the delivery property test.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use async_trait::async_trait;
use magpie_core::ports::{Bus, Stores};
use magpie_store_postgres::PgStore;
use magpie_store_tests::StoreFactory;

/// Connections per store, as a node opens them (a few, so that writes race for real).
const POOL_SIZE: usize = 8;

struct Postgres;

/// A database of its own for one check, on the test server.
/// A database of one check on the run's server, dropped when the check is done with it, so
/// that a run's databases do not fill the disk.
struct Database {
    server: String,
    name: String,
    url: String,
}

impl Drop for Database {
    fn drop(&mut self) {
        let (server, sql) = (self.server.clone(), format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
        // On a runtime of its own: drop may run inside the check's runtime, which cannot be
        // blocked on.
        let dropping = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async {
                if let Ok((client, connection)) = tokio_postgres::connect(&server, tokio_postgres::NoTls).await {
                    tokio::spawn(connection);
                    let _ = client.batch_execute(&sql).await;
                }
            });
        });
        let _ = dropping.join();
    }
}

/// The test server's URL, or a message that says how to start one.
fn server_url() -> String {
    std::env::var("MAGPIE_TEST_POSTGRES_URL").expect(
        "MAGPIE_TEST_POSTGRES_URL is not set: run scripts/test, or start the services with \
         `dir=$(scripts/services up); source $dir/env`",
    )
}

#[async_trait]
impl StoreFactory for Postgres {
    type Place = Database;

    async fn place(&self) -> Database {
        let server = server_url();
        let name = format!("magpie_check_{:016x}", rand::random::<u64>());
        let (client, connection) = tokio_postgres::connect(&server, tokio_postgres::NoTls).await.unwrap();
        tokio::spawn(connection);
        client.batch_execute(&format!("CREATE DATABASE {name}")).await.unwrap();
        let (base, _) = server.rsplit_once('/').expect("a URL with a database name");
        Database { url: format!("{base}/{name}"), server, name }
    }

    async fn open(&self, db: &Database, bus: Arc<dyn Bus>) -> Stores {
        Stores::all(Arc::new(PgStore::open(&db.url, POOL_SIZE, bus).await.unwrap()))
    }
}

magpie_store_tests::conformance!(Postgres);
