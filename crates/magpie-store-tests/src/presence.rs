//! [`PresenceStore`](magpie_core::ports::PresenceStore): who is connected, over the whole
//! deployment. Two connections of one account may be on two nodes, so the store, not a node,
//! counts them.

use magpie_core::presence::Status;

use crate::StoreFactory;
use crate::fixtures::World;

/// An account comes online with its first connection and goes offline with its last, last
/// seen then; the connections in between change nothing that others see.
pub async fn presence_comes_with_the_first_connection_and_goes_with_the_last<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let presence = &w.stores.presence;
    let alice = w.account("alice").await;
    assert_eq!(presence.get(alice.id).await.unwrap(), None, "never seen");
    let first = presence.connected(alice.id, &alice.addr).await.unwrap().expect("the first connection is news");
    assert_eq!((first.status, first.last_seen_ms), (Status::Online, None));
    assert_eq!(presence.connected(alice.id, &alice.addr).await.unwrap(), None, "a second one is not");
    assert_eq!(presence.disconnected(alice.id, 1_000).await.unwrap(), None, "one is still open");
    assert_eq!(presence.get(alice.id).await.unwrap().map(|p| p.status), Some(Status::Online));
    let gone = presence.disconnected(alice.id, 2_000).await.unwrap().expect("the last one is news");
    assert_eq!((gone.status, gone.last_seen_ms), (Status::Offline, Some(2_000)));
    assert_eq!(presence.get(alice.id).await.unwrap(), Some(gone));
    // A close without an open (a node that lost count) does not go below nothing.
    assert_eq!(presence.disconnected(alice.id, 3_000).await.unwrap().map(|p| p.status), Some(Status::Offline));
    assert!(presence.connected(alice.id, &alice.addr).await.unwrap().is_some(), "online again with one");
}

/// A chosen status and text show while connected and stay for the next connection; offline
/// shows while there is none. Leaving the text out keeps it; `""` clears it.
pub async fn a_chosen_status_shows_while_connected<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let presence = &w.stores.presence;
    let bob = w.account("bob").await;
    let chosen = presence.choose(bob.id, &bob.addr, Status::Busy, Some("在开会".into())).await.unwrap();
    assert_eq!((chosen.status, chosen.text.as_deref()), (Status::Offline, Some("在开会")), "not connected yet");
    let online = presence.connected(bob.id, &bob.addr).await.unwrap().unwrap();
    assert_eq!((online.status, online.text.as_deref()), (Status::Busy, Some("在开会")));
    let away = presence.choose(bob.id, &bob.addr, Status::Away, None).await.unwrap();
    assert_eq!((away.status, away.text.as_deref()), (Status::Away, Some("在开会")), "the text stays");
    let cleared = presence.choose(bob.id, &bob.addr, Status::Online, Some(String::new())).await.unwrap();
    assert_eq!((cleared.status, cleared.text), (Status::Online, None));
}
