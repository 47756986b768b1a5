//! [`LdapStore`](magpie_core::ports::LdapStore): each domain's directory source, the accounts
//! linked to its entries, and the claims of scheduled syncs.

use magpie_core::ldap::{AttributeMap, GroupMap, LastSync, LdapGroupLink, LdapLink, LdapSource, SyncReport, SyncState};

use crate::StoreFactory;
use crate::fixtures::{T0, World};

fn source(url: &str) -> LdapSource {
    LdapSource {
        url: url.into(),
        starttls: false,
        bind_dn: "cn=admin,dc=acme,dc=example".into(),
        bind_password: "s3cret".into(),
        base_dns: vec!["ou=people,dc=acme,dc=example".into()],
        people_filter: "(objectClass=inetOrgPerson)".into(),
        disabled_filter: Some("(employeeType=disabled)".into()),
        attributes: AttributeMap { department: Some("departmentNumber".into()), ..AttributeMap::default() },
        login_enabled: true,
        sync_interval_secs: 0,
        groups: Some(GroupMap::default()),
    }
}

/// A source is stored whole (its password too), replaced and forgotten, per domain.
pub async fn a_source_is_kept_per_domain<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let ldap = &w.stores.ldap;
    assert_eq!(ldap.ldap_source(w.domain.id).await.unwrap(), None);
    ldap.put_ldap_source(w.domain.id, &source("ldap://a"), None).await.unwrap();
    ldap.put_ldap_source(w.domain.id, &source("ldaps://b"), None).await.unwrap();
    assert_eq!(ldap.ldap_source(w.domain.id).await.unwrap(), Some(source("ldaps://b")));
    assert!(ldap.delete_ldap_source(w.domain.id).await.unwrap());
    assert!(!ldap.delete_ldap_source(w.domain.id).await.unwrap());
    assert_eq!(ldap.ldap_source(w.domain.id).await.unwrap(), None);
}

/// One link per account and per entry key: relinking moves the DN; a key taken by a newer
/// account leaves the older one unlinked.
pub async fn links_follow_entries<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let ldap = &w.stores.ldap;
    let (ann, bob) = (w.account("ann").await, w.account("bob").await);
    let link =
        |account, key: &str, dn: &str| LdapLink { domain_id: w.domain.id, key: key.into(), account, dn: dn.into() };
    ldap.put_ldap_link(&link(ann.id, "k1", "uid=ann,ou=a")).await.unwrap();
    ldap.put_ldap_link(&link(ann.id, "k1", "uid=ann,ou=b")).await.unwrap();
    assert_eq!(ldap.ldap_link_of(ann.id).await.unwrap(), Some(link(ann.id, "k1", "uid=ann,ou=b")));
    ldap.put_ldap_link(&link(bob.id, "k1", "uid=bob")).await.unwrap();
    assert_eq!(ldap.ldap_link_of(ann.id).await.unwrap(), None);
    assert_eq!(ldap.ldap_links(w.domain.id).await.unwrap(), vec![link(bob.id, "k1", "uid=bob")]);
}

/// A due sync is claimed once, until its lease runs out or its next time is set.
pub async fn a_due_sync_is_claimed_once<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let ldap = &w.stores.ldap;
    ldap.put_ldap_source(w.domain.id, &source("ldap://a"), Some(T0)).await.unwrap();
    let mine = |got: Vec<magpie_core::model::DomainId>| got.contains(&w.domain.id);
    assert!(!mine(ldap.claim_ldap_syncs(T0 - 1, 1000, 100).await.unwrap()), "not due yet");
    let (a, b) = tokio::join!(ldap.claim_ldap_syncs(T0, 1000, 100), ldap.claim_ldap_syncs(T0, 1000, 100));
    assert_eq!(u8::from(mine(a.unwrap())) + u8::from(mine(b.unwrap())), 1, "one claim of two at once");
    assert!(!mine(ldap.claim_ldap_syncs(T0 + 999, 1000, 100).await.unwrap()), "held by its lease");
    assert!(mine(ldap.claim_ldap_syncs(T0 + 1000, 1000, 100).await.unwrap()), "its lease ran out");
    ldap.set_ldap_next_sync(w.domain.id, None).await.unwrap();
    assert!(!mine(ldap.claim_ldap_syncs(i64::MAX / 2, 1000, 100).await.unwrap()), "on demand only");
}

/// A directory group's link is kept per domain and key, moved to a new DN and forgotten; the
/// sync state is kept whole and goes with the source.
pub async fn groups_and_the_sync_state_are_kept<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let ldap = &w.stores.ldap;
    let ann = w.account("ann").await;
    let (g1, g2) = (w.group(&ann, &[]).await, w.group(&ann, &[]).await);
    let link = |key: &str, conversation, dn: &str| LdapGroupLink {
        domain_id: w.domain.id,
        key: key.into(),
        conversation,
        dn: dn.into(),
    };
    assert_eq!(ldap.ldap_groups(w.domain.id).await.unwrap(), vec![]);
    ldap.put_ldap_group(&link("k2", g2.id, "cn=b")).await.unwrap();
    ldap.put_ldap_group(&link("k1", g1.id, "cn=a")).await.unwrap();
    ldap.put_ldap_group(&link("k1", g1.id, "cn=a2")).await.unwrap();
    let got = ldap.ldap_groups(w.domain.id).await.unwrap();
    assert_eq!(got, vec![link("k1", g1.id, "cn=a2"), link("k2", g2.id, "cn=b")]);
    assert!(ldap.delete_ldap_group(w.domain.id, "k2").await.unwrap());
    assert!(!ldap.delete_ldap_group(w.domain.id, "k2").await.unwrap());
    assert_eq!(ldap.ldap_groups(w.domain.id).await.unwrap(), vec![link("k1", g1.id, "cn=a2")]);

    ldap.put_ldap_source(w.domain.id, &source("ldap://a"), None).await.unwrap();
    assert_eq!(ldap.ldap_sync_state(w.domain.id).await.unwrap(), None);
    let report = SyncReport { accounts_created: 3, ..SyncReport::default() };
    let state = SyncState {
        last_sync: Some(LastSync { at_ms: T0, incremental: true, report: Some(report), error: None }),
        people_high_water: Some("20261205000000Z".into()),
        groups_high_water: None,
        runs_since_full: 2,
    };
    ldap.put_ldap_sync_state(w.domain.id, &state).await.unwrap();
    ldap.put_ldap_sync_state(w.domain.id, &state).await.unwrap();
    assert_eq!(ldap.ldap_sync_state(w.domain.id).await.unwrap(), Some(state));
    assert!(ldap.delete_ldap_source(w.domain.id).await.unwrap());
    assert_eq!(ldap.ldap_sync_state(w.domain.id).await.unwrap(), None, "forgotten with its source");
}
