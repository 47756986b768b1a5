//! The log's commit line on PostgreSQL: the tail serves what committed once every older
//! transaction of Magpie's has ended, and is not held back by anyone else's transactions (an
//! operator's `psql`, autovacuum, another database).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use magpie_core::chat::AccountEvent;
use magpie_core::model::{NewAccount, Role};
use magpie_core::names::{DomainName, LoginName};
use magpie_core::ports::{LocalBus, Stores};
use magpie_store_postgres::PgStore;

/// A new database on the test server, and a raw connection to it named `application_name`.
async fn raw(url: &str, application_name: &str) -> tokio_postgres::Client {
    let mut config: tokio_postgres::Config = url.parse().unwrap();
    config.application_name(application_name);
    let (client, connection) = config.connect(tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    client
}

#[tokio::test]
async fn only_magpies_open_transactions_hold_the_tail_back() {
    let server = std::env::var("MAGPIE_TEST_POSTGRES_URL").expect(
        "MAGPIE_TEST_POSTGRES_URL is not set: run scripts/test, or `dir=$(scripts/services up); source $dir/env`",
    );
    let name = format!("magpie_line_{:016x}", rand::random::<u64>());
    raw(&server, "test").await.batch_execute(&format!("CREATE DATABASE {name}")).await.unwrap();
    let url = format!("{}/{name}", server.rsplit_once('/').unwrap().0);
    let stores = Stores::all(Arc::new(PgStore::open(&url, 4, Arc::new(LocalBus::new(64))).await.unwrap()));
    let domain = stores.accounts.create_domain(&DomainName::parse("acme.example").unwrap(), 0).await.unwrap().unwrap();
    let mut accounts = vec![];
    for login in ["alice", "bob"] {
        let new = NewAccount {
            domain_id: domain.id,
            domain: domain.name.clone(),
            name: LoginName::parse(login).unwrap(),
            role: Role::Member,
            password_hash: None,
            display_name: login.to_owned(),
            name_keys: None,
            pending_approval: false,
            bot: None,
            created_at_ms: 0,
        };
        accounts.push(stores.accounts.create_account(new).await.unwrap().unwrap());
    }
    let (alice, bob) = (&accounts[0], &accounts[1]);
    let event = |n: u32| vec![(bob.id, AccountEvent::ContactAdded { account: format!("friend{n}@acme.example") })];
    let scratch = raw(&url, "test").await;
    scratch.batch_execute("CREATE TABLE scratch (n int)").await.unwrap();

    // Someone else's write transaction stays open: what Magpie commits meanwhile is served.
    let head = stores.log.log_head().await.unwrap();
    let psql = raw(&url, "psql").await;
    psql.batch_execute("BEGIN; INSERT INTO scratch VALUES (1)").await.unwrap();
    stores.contacts.put_friend_request(alice.id, bob.id, None, 1, event(1)).await.unwrap();
    let page = stores.log.tail(head, 10).await.unwrap();
    assert_eq!(page.items.len(), 1, "another program's transaction holds nothing back");
    psql.batch_execute("ROLLBACK").await.unwrap();

    // One of Magpie's is open (another node's, say): what commits after it waits for it.
    let magpie = raw(&url, magpie_store_postgres::APPLICATION_NAME).await;
    magpie.batch_execute("BEGIN; INSERT INTO scratch VALUES (2)").await.unwrap();
    stores.contacts.put_friend_request(alice.id, bob.id, None, 2, event(2)).await.unwrap();
    let held = stores.log.tail(page.next, 10).await.unwrap();
    assert!(held.items.is_empty(), "an older transaction of Magpie's may still write below it");
    magpie.batch_execute("COMMIT").await.unwrap();
    // The cursor did not pass the held item: read on from it, the item comes.
    let served = stores.log.tail(held.next, 10).await.unwrap();
    assert_eq!(served.items.len(), 1, "served once that transaction ended");

    // The run's server keeps no database of a passed test.
    drop((stores, scratch, psql, magpie));
    raw(&server, "test").await.batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)")).await.unwrap();
}
