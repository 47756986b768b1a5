//! [`CursorStore`](magpie_core::ports::CursorStore): where each durable follower of the log
//! stands.

use magpie_core::model::LogCursor;

use crate::StoreFactory;
use crate::fixtures::World;

/// A consumer's cursor is what it saved last; each consumer has its own; none before the first
/// save. The cursors saved are the adapter's own (from its tail and head).
pub async fn cursors_are_saved_per_consumer<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let cursors = &w.stores.cursors;
    assert_eq!(cursors.load_cursor("indexer").await.unwrap(), None);
    let start = w.stores.log.log_head().await.unwrap();
    cursors.save_cursor("indexer", start).await.unwrap();
    assert_eq!(cursors.load_cursor("indexer").await.unwrap(), Some(start));
    let (a, b) = (w.account("alice").await, w.account("bob").await);
    w.group(&a, &[&b]).await;
    let head = w.stores.log.log_head().await.unwrap();
    assert!(head > start);
    cursors.save_cursor("indexer", head).await.unwrap();
    cursors.save_cursor("webhooks", LogCursor::START).await.unwrap();
    assert_eq!(cursors.load_cursor("indexer").await.unwrap(), Some(head), "the last save counts");
    assert_eq!(cursors.load_cursor("webhooks").await.unwrap(), Some(LogCursor::START), "each its own");
    assert_eq!(cursors.load_cursor("push").await.unwrap(), None);
    let page = w.stores.log.tail(start, 1).await.unwrap();
    cursors.save_cursor("webhooks", page.next).await.unwrap();
    assert_eq!(cursors.load_cursor("webhooks").await.unwrap(), Some(page.next));
}

/// Saved cursors are there after a restart.
pub async fn cursors_survive_a_restart<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let (a, b) = (w.account("alice").await, w.account("bob").await);
    w.group(&a, &[&b]).await;
    let head = w.stores.log.log_head().await.unwrap();
    w.stores.cursors.save_cursor("indexer", head).await.unwrap();
    let w = w.restart().await;
    assert_eq!(w.stores.cursors.load_cursor("indexer").await.unwrap(), Some(head));
    // A follower resumes from its saved cursor: nothing new, and it is never sent back. (The
    // head read alone may trail it for a moment on PostgreSQL: a fresh store has not yet learnt
    // which running transactions are someone else's, see `line_query`.)
    let page = w.stores.log.tail(head, 10).await.unwrap();
    assert!(page.items.is_empty(), "nothing was added past it");
    assert!(page.next >= head, "a resumed follower never goes back");
}

/// A durable follower that starts at the head with no saved cursor saves where it started
/// before it listens: killed before it saved anything of its own, it starts there again after
/// a restart, and what committed in between reaches it.
pub async fn a_durable_followers_first_start_is_saved<F: StoreFactory>(f: &F) {
    use std::sync::{Arc, Mutex};

    use magpie_core::chat::Committed;
    use magpie_core::follow::{Follower, LogHandler, Start};

    use crate::fixtures::Item;

    #[derive(Clone, Default)]
    struct Seen(Arc<Mutex<Vec<Item>>>, Arc<tokio::sync::Notify>);

    #[async_trait::async_trait]
    impl LogHandler for Seen {
        async fn handle(&mut self, items: &[Committed]) -> magpie_core::Result<()> {
            self.0.lock().unwrap().extend(items.iter().map(Item::of));
            self.1.notify_waiters();
            Ok(())
        }
    }

    let w = World::new(f).await;
    let (a, b) = (w.account("alice").await, w.account("bob").await);
    let before = w.group(&a, &[&b]).await;
    let start = |seen: &Seen| {
        let follower = Follower::new(
            "first-start",
            w.stores.log.clone(),
            Some(w.stores.cursors.clone()),
            w.bus.clone(),
            seen.clone(),
        );
        let status = follower.status();
        (tokio::spawn(follower.run(Start::Head)), status)
    };
    let first = Seen::default();
    let (task, status) = start(&first);
    status.started().await;
    assert!(w.stores.cursors.load_cursor("first-start").await.unwrap().is_some(), "saved before it listens");
    task.abort();
    let _ = task.await;

    // Committed while no follower runs; then the follower starts again, as after a restart.
    let session = w.session(&a).await;
    let missed = w.send(before.id, &a, &session).await;
    let again = Seen::default();
    let (task, status) = start(&again);
    status.started().await;
    let wanted = Item::Entry(before.id, missed.seq);
    tokio::time::timeout(std::time::Duration::from_secs(30), async {
        loop {
            let notified = again.1.notified();
            if again.0.lock().unwrap().contains(&wanted) {
                return;
            }
            notified.await;
        }
    })
    .await
    .expect("what committed while it was down reached it");
    assert!(
        !again.0.lock().unwrap().contains(&Item::Entry(before.id, magpie_core::model::Seq(1))),
        "not from the start"
    );
    task.abort();
}
