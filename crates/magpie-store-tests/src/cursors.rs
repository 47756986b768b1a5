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
