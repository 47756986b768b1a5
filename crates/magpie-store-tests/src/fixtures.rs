//! What the checks build on: a fresh store with a domain, and helpers that read like the
//! scenarios (an account, a session, a group, a message, a membership change).

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use magpie_core::Error;
use magpie_core::chat::{
    AccountEvent, Append, Appended, Check, Committed, Conversation, ConversationKind, Effect, Entry, GroupInfo,
    LeaveReason, MemberRole, NewConversation, NewEntry, Page,
};
use magpie_core::model::{
    Account, AccountId, ConversationId, Domain, EventSeq, LogCursor, NewAccount, NewBot, NewSession, Role, Seq, Session,
};
use magpie_core::names::{DomainName, LoginName};
use magpie_core::ports::{LocalBus, Stores};
use serde_json::{Value, json};

use crate::StoreFactory;

/// The checks' notion of "now": a fixed moment, so that expiry and ordering are exact.
pub(crate) const T0: i64 = 1_700_000_000_000;
/// A day in milliseconds.
pub(crate) const DAY_MS: i64 = 24 * 3600 * 1000;
/// Wakes the checks' bus holds for a subscriber before it misses some.
const BUS_WAKES_MAX: usize = 4096;

/// One committed item, by what names it: an entry by conversation and seq, an account event
/// by account and event seq.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Item {
    Entry(ConversationId, Seq),
    Event(AccountId, EventSeq),
}

impl Item {
    pub fn of(committed: &Committed) -> Item {
        match committed {
            Committed::Entry { entry, .. } => Item::Entry(entry.conversation, entry.seq),
            Committed::Event(event) => Item::Event(event.account, event.seq),
        }
    }
}

/// A fresh store of the adapter under test, with one domain.
pub(crate) struct World<'f, F: StoreFactory> {
    factory: &'f F,
    pub place: F::Place,
    pub stores: Stores,
    pub bus: Arc<LocalBus>,
    pub domain: Domain,
    /// Makes names, token hashes and client ids unique within the world.
    next: AtomicI64,
}

impl<'f, F: StoreFactory> World<'f, F> {
    pub async fn new(factory: &'f F) -> World<'f, F> {
        let place = factory.place().await;
        let bus = Arc::new(LocalBus::new(BUS_WAKES_MAX));
        let stores = factory.open(&place, bus.clone()).await;
        let name = DomainName::parse("acme.example").unwrap();
        let domain = stores.accounts.create_domain(&name, T0).await.unwrap().expect("a new domain");
        World { factory, place, stores, bus, domain, next: AtomicI64::new(1) }
    }

    /// Drops these stores and opens the same place again, as a restarted server would.
    pub async fn restart(self) -> World<'f, F> {
        let World { factory, place, stores, domain, next, .. } = self;
        drop(stores);
        let bus = Arc::new(LocalBus::new(BUS_WAKES_MAX));
        let stores = factory.open(&place, bus.clone()).await;
        World { factory, place, stores, bus, domain, next }
    }

    pub fn unique(&self) -> i64 {
        self.next.fetch_add(1, Ordering::Relaxed)
    }

    pub async fn account(&self, name: &str) -> Account {
        let domain = self.domain.clone();
        self.account_in(&domain, name).await
    }

    pub async fn account_in(&self, domain: &Domain, name: &str) -> Account {
        let new = NewAccount {
            domain_id: domain.id,
            domain: domain.name.clone(),
            name: LoginName::parse(name).unwrap(),
            role: Role::Member,
            password_hash: Some(format!("$argon2id$hash-of-{name}")),
            display_name: format!("{name} display"),
            name_keys: None,
            pending_approval: false,
            bot: None,
            created_at_ms: T0,
        };
        self.stores.accounts.create_account(new).await.unwrap().expect("a new account")
    }

    /// A session of `account` created at `at_ms`, live for a day, with a token hash of its own.
    pub async fn session_at(&self, account: &Account, at_ms: i64) -> Session {
        let (session, evicted) =
            self.stores.sessions.create_session(self.new_session(account, at_ms, 100)).await.unwrap();
        assert!(evicted.is_empty(), "a session under the cap evicted others");
        session
    }

    pub async fn session(&self, account: &Account) -> Session {
        self.session_at(account, T0).await
    }

    pub fn new_session(&self, account: &Account, at_ms: i64, max: usize) -> NewSession {
        NewSession {
            account_id: account.id,
            token_hash: self.token_hash(),
            device: Some("test device".into()),
            ip: Some("192.0.2.1".into()),
            created_at_ms: at_ms,
            expires_at_ms: at_ms + DAY_MS,
            sessions_per_account_max: max,
            scope: None,
        }
    }

    pub fn token_hash(&self) -> [u8; 32] {
        let mut hash = [7u8; 32];
        hash[..8].copy_from_slice(&self.unique().to_le_bytes());
        hash
    }

    /// A group owned by `owner` with `members`, opened by its `created` notice at seq 1.
    pub async fn group(&self, owner: &Account, members: &[&Account]) -> Conversation {
        self.group_named(owner, members, "the group").await
    }

    /// [`World::group`] with a name of its own.
    pub async fn group_named(&self, owner: &Account, members: &[&Account], name: &str) -> Conversation {
        let mut list = vec![(owner.id, MemberRole::Owner)];
        list.extend(members.iter().map(|m| (m.id, MemberRole::Member)));
        let addrs: Vec<String> = members.iter().map(|m| m.addr.to_string()).collect();
        let body = json!({"event": "created", "by": owner.addr.to_string(), "kind": "group", "members": addrs});
        let new = NewConversation {
            domain_id: owner.domain_id,
            kind: ConversationKind::Group,
            direct_key: None,
            info: GroupInfo { name: Some(name.into()), ..GroupInfo::default() },
            owner: Some(owner.id),
            members: list,
            opening: Some(system_entry(ConversationId(0), owner.id, body)),
            at_ms: T0,
        };
        let (conversation, created) = self.stores.log.create_conversation(new).await.unwrap();
        assert!(created, "a group is always new");
        conversation
    }

    /// The direct chat of `a` and `b`, created (or found) by its pair key.
    pub async fn direct(&self, a: &Account, b: &Account) -> (Conversation, bool) {
        self.stores.log.create_conversation(direct(a, b)).await.unwrap()
    }

    /// Sends a text message that the store must accept.
    pub async fn send(&self, conversation: ConversationId, sender: &Account, session: &Session) -> Arc<Entry> {
        let cmid = format!("m{}", self.unique());
        new_entry(self.stores.log.append(message(conversation, sender, session, &cmid, "hello")).await)
    }

    /// Adds `accounts` to a group, as its owner `by`.
    pub async fn add(&self, conversation: ConversationId, by: &Account, accounts: &[&Account]) -> Arc<Entry> {
        new_entry(self.stores.log.append(add_members(conversation, by, accounts)).await)
    }

    /// Removes `accounts` from a group, as its owner `by`.
    pub async fn remove(&self, conversation: ConversationId, by: &Account, accounts: &[&Account]) -> Arc<Entry> {
        new_entry(self.stores.log.append(remove_members(conversation, by, accounts)).await)
    }

    pub async fn events(&self, account: &Account) -> Vec<AccountEvent> {
        let events = self.stores.log.account_events(account.id, EventSeq(0), 10_000).await.unwrap();
        events.into_iter().map(|e| e.event).collect()
    }

    /// Every entry of a conversation, as `viewer` sees it.
    pub async fn entries(&self, conversation: ConversationId, viewer: &Account) -> Vec<Entry> {
        let page = Page::After(Seq(0));
        self.stores.log.entries(conversation, page, Seq(1), None, 10_000, viewer.id).await.unwrap()
    }

    /// Everything the tail holds after `after`, read a page at a time, and where it ends.
    pub async fn tail_from(&self, after: LogCursor, page_len: usize) -> (Vec<Committed>, LogCursor) {
        tail_all(&self.stores, after, page_len).await
    }

    /// A bot's account as `create_account` takes it: made by `owner` (none: the operator).
    pub fn new_bot(&self, name: &str, owner: Option<AccountId>) -> NewAccount {
        NewAccount {
            domain_id: self.domain.id,
            domain: self.domain.name.clone(),
            name: LoginName::parse(name).unwrap(),
            role: Role::Member,
            password_hash: None,
            display_name: format!("{name} bot"),
            name_keys: None,
            pending_approval: false,
            bot: Some(NewBot { owner, description: format!("what {name} does") }),
            created_at_ms: T0,
        }
    }

    /// The tail after `after` once it holds `item`, which was committed: PostgreSQL's commit
    /// line may be held back a moment by a transaction open elsewhere on the database server
    /// (another test's), and is read afresh each time.
    pub async fn tail_holding(&self, after: LogCursor, item: Item) -> (Vec<Committed>, LogCursor) {
        for _ in 0..1000 {
            let (items, next) = self.tail_from(after, 1000).await;
            if items.iter().any(|i| Item::of(i) == item) {
                return (items, next);
            }
        }
        panic!("the tail never held {item:?}, which was committed")
    }

    /// The tail after `after` once it holds at least `len` items, all committed (read afresh,
    /// like [`World::tail_holding`], past a commit line held back elsewhere).
    pub async fn tail_of_len(&self, after: LogCursor, len: usize) -> (Vec<Committed>, LogCursor) {
        for _ in 0..1000 {
            let (items, next) = self.tail_from(after, 1000).await;
            if items.len() >= len {
                return (items, next);
            }
        }
        panic!("the tail never held the {len} items committed")
    }

    /// The first `len` items after `after`, read `page_len` at a time: a page that comes back
    /// empty before then is read again (PostgreSQL's commit line, read afresh by each page, may
    /// be held back a moment by a transaction ending elsewhere), and its cursor is kept.
    pub async fn tail_pages_of_len(
        &self,
        after: LogCursor,
        page_len: usize,
        len: usize,
    ) -> (Vec<Committed>, LogCursor) {
        let mut items = vec![];
        let mut cursor = after;
        for _ in 0..1000 {
            if items.len() >= len {
                return (items, cursor);
            }
            let page = self.stores.log.tail(cursor, page_len).await.unwrap();
            assert!(page.items.len() <= page_len, "a tail page longer than asked for");
            assert!(page.next >= cursor, "the tail's cursor went back");
            items.extend(page.items);
            cursor = page.next;
        }
        panic!("the tail never held the {len} items committed, read {page_len} at a time")
    }
}

/// Everything the tail holds after `after`, read `page_len` at a time, and where it ended.
pub async fn tail_all(stores: &Stores, after: LogCursor, page_len: usize) -> (Vec<Committed>, LogCursor) {
    let mut items = vec![];
    let mut cursor = after;
    loop {
        let page = stores.log.tail(cursor, page_len).await.unwrap();
        assert!(page.items.len() <= page_len, "a tail page longer than asked for");
        assert!(page.next >= cursor, "the tail's cursor went back");
        let done = page.items.is_empty();
        items.extend(page.items);
        if done {
            return (items, page.next);
        }
        cursor = page.next;
    }
}

/// The entry of an append that must be new.
pub(crate) fn new_entry(result: Result<Result<Appended, Error>, magpie_core::StoreError>) -> Arc<Entry> {
    match result.expect("the store failed").expect("the append was refused") {
        Appended::New(entry) => entry,
        Appended::Duplicate(entry) => panic!("a new append came back as a duplicate of seq {}", entry.seq.0),
    }
}

pub(crate) fn direct(a: &Account, b: &Account) -> NewConversation {
    let (low, high) = if a.id <= b.id { (a.id, b.id) } else { (b.id, a.id) };
    let mut members = vec![(low, MemberRole::Member)];
    if high != low {
        members.push((high, MemberRole::Member));
    }
    NewConversation {
        domain_id: a.domain_id,
        kind: ConversationKind::Direct,
        direct_key: Some(format!("{}:{}", low.0, high.0)),
        info: GroupInfo::default(),
        owner: None,
        members,
        opening: None,
        at_ms: T0,
    }
}

pub(crate) fn system_entry(conversation: ConversationId, sender: AccountId, body: Value) -> NewEntry {
    NewEntry {
        conversation,
        sender,
        session: None,
        client_msg_id: None,
        kind: "system".into(),
        body,
        target: None,
        mentions: vec![],
        mention_all: false,
        reply_to: None,
        thread: None,
        forwarded_from: None,
        at_ms: T0,
    }
}

/// The rule every append of the checks passes: the author is an active member of a live
/// conversation (what the core's rules all start with).
pub(crate) fn member_check() -> Check {
    Box::new(|p| {
        if p.conversation.dissolved || !p.author.is_some_and(|m| m.is_active()) {
            return Err(Error::NotFound("conversation"));
        }
        Ok(())
    })
}

/// A text message with its `(session, client_msg_id)`.
pub(crate) fn message(
    conversation: ConversationId,
    sender: &Account,
    session: &Session,
    client_msg_id: &str,
    text: &str,
) -> Append {
    let entry = NewEntry {
        conversation,
        sender: sender.id,
        session: Some(session.id),
        client_msg_id: Some(client_msg_id.to_owned()),
        kind: "text".into(),
        body: json!({ "text": text }),
        target: None,
        mentions: vec![],
        mention_all: false,
        reply_to: None,
        thread: None,
        forwarded_from: None,
        at_ms: T0,
    };
    Append {
        entry,
        effects: vec![Effect::Message],
        events: vec![],
        subjects: vec![],
        peer: false,
        check: member_check(),
    }
}

/// An operation (`edit`, `recall`, `reaction`) on the entry at `target`.
pub(crate) fn op(
    conversation: ConversationId,
    sender: &Account,
    kind: &str,
    body: Value,
    target: Seq,
    effects: Vec<Effect>,
) -> Append {
    let mut entry = system_entry(conversation, sender.id, body);
    entry.kind = kind.into();
    entry.target = Some(target);
    Append { entry, effects, events: vec![], subjects: vec![], peer: false, check: member_check() }
}

/// A `system` notice with its effects, by `by`.
pub(crate) fn notice(conversation: ConversationId, by: &Account, body: Value, effects: Vec<Effect>) -> Append {
    Append {
        entry: system_entry(conversation, by.id, body),
        effects,
        events: vec![],
        subjects: vec![],
        peer: false,
        check: member_check(),
    }
}

pub(crate) fn add_members(conversation: ConversationId, by: &Account, accounts: &[&Account]) -> Append {
    let addrs: Vec<String> = accounts.iter().map(|a| a.addr.to_string()).collect();
    let body = json!({"event": "members_added", "by": by.addr.to_string(), "members": addrs});
    let mut append = notice(
        conversation,
        by,
        body,
        vec![Effect::AddMembers(accounts.iter().map(|a| (a.id, MemberRole::Member)).collect())],
    );
    append.events = accounts.iter().map(|a| (a.id, AccountEvent::ConversationJoined { conversation })).collect();
    append
}

pub(crate) fn remove_members(conversation: ConversationId, by: &Account, accounts: &[&Account]) -> Append {
    let addrs: Vec<String> = accounts.iter().map(|a| a.addr.to_string()).collect();
    let body = json!({"event": "members_removed", "by": by.addr.to_string(), "members": addrs});
    let ids: Vec<AccountId> = accounts.iter().map(|a| a.id).collect();
    let mut append = notice(conversation, by, body, vec![Effect::RemoveMembers(ids.clone())]);
    append.events = ids
        .iter()
        .map(|a| (*a, AccountEvent::ConversationLeft { conversation, reason: LeaveReason::Removed }))
        .collect();
    let subjects = ids.clone();
    append.subjects = ids;
    // As the core checks it: every subject is still an active member at commit.
    append.check = Box::new(move |p| {
        if p.conversation.dissolved || !p.author.is_some_and(|m| m.is_active()) {
            return Err(Error::NotFound("conversation"));
        }
        for account in &subjects {
            p.active_subject(*account).ok_or(Error::NotFound("member"))?;
        }
        Ok(())
    });
    append
}

/// A complete file of `account` whose content has this digest, made at `at_ms`.
pub(crate) async fn file<F: StoreFactory>(
    w: &World<'_, F>,
    account: &Account,
    sha256: &str,
    size: u64,
    at_ms: i64,
) -> magpie_core::files::StoredFile {
    use magpie_core::files::{FileId, StoredFile, Upload};
    let id = FileId::random();
    let upload = Upload {
        id: id.clone(),
        account: account.id,
        length: size,
        offset: 0,
        name: Some("photo.png".into()),
        declared_type: Some("image/png".into()),
        created_at_ms: at_ms,
        expires_at_ms: at_ms + DAY_MS,
    };
    assert!(w.stores.files.create_upload(&upload, u64::MAX).await.unwrap(), "an upload without a quota");
    let stored = StoredFile {
        id,
        account: account.id,
        sha256: sha256.to_owned(),
        size,
        media_type: "image/png".into(),
        name: Some("photo.png".into()),
        created_at_ms: at_ms,
        width: Some(640),
        height: Some(480),
        blurhash: None,
        thumbnails: vec![],
        duration_ms: None,
    };
    w.stores.files.complete_upload(&stored).await.unwrap();
    stored
}
