//! The notification centre (issue 17, "Notifications and push"): what concerns a person, kept
//! for it to look at later, with read state its devices share. Push and mail tell of a message
//! once, as the preferences say; the centre keeps the list: mentions, replies to the person's
//! messages, reactions to them, friend requests, applications waiting for an administrator,
//! and announcements (a group's, or an administrator's to the whole domain).
//!
//! **From the log.** A durable follower reads every entry and account event once and writes the
//! items they give (a recall removes the items that show the recalled text). A friend request
//! is an account event; an application and a domain announcement are written where they happen
//! (they are not in the log). Each item has a key, unique per account (one per message, one per
//! person and emoji on a message, one per friend request), so that the follower handling an
//! entry again after a crash writes nothing twice.
//!
//! **Who.** Never the actor; never someone who blocked the actor; for a conversation, only its
//! members now, and the list leaves out the items of conversations the account has left. The
//! centre keeps what the mute and the level hold back from push: it is where a person looks.
//!
//! **Synced by the account's log.** Each new item is logged as `notification_added` (the item
//! itself), each read as `notifications_read`, each removal as `notifications_removed`.
//!
//! **Bounded.** An account keeps its newest [`KEPT_PER_ACCOUNT_MAX`] items, none older than
//! [`KEPT_DAYS`] days: a pass every [`PRUNE_INTERVAL`] removes the rest.

use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::chat::{AccountEvent, Committed, ConversationKind, Entry, LoggedEvent, op};
use crate::follow::{Follower, FollowerStatus, LogHandler, Start};
use crate::model::{Account, AccountId, ConversationId, DomainId, Principal, Seq};
use crate::names::AccountAddr;
use crate::notice::Notice;
use crate::ports::{InboxStore, Stores};
use crate::{Deps, Error, Result};

/// The name the centre's follower saves its cursor under.
pub const FOLLOWER: &str = "inbox";
/// Items one account keeps at most (the newest).
pub const KEPT_PER_ACCOUNT_MAX: usize = 1_000;
/// Days an item is kept at most.
pub const KEPT_DAYS: i64 = 90;
/// Items one page lists at most.
pub const PAGE_LEN_MAX: usize = 100;
/// Ids one read names at most.
pub const READ_IDS_MAX: usize = 500;
/// Longest announcement, in characters.
pub const ANNOUNCEMENT_CHARS_MAX: usize = 2_000;
/// Characters of a message an item shows.
pub const TEXT_CHARS_MAX: usize = 140;
/// How often old items and those past the per-account bound are removed.
pub const PRUNE_INTERVAL: std::time::Duration = std::time::Duration::from_secs(10 * 60);

/// What an item tells of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// The account (or `@all`) was mentioned.
    Mention,
    /// A message replied to one of the account's (a quote, or a thread reply to its root).
    Reply,
    /// Someone reacted to one of the account's messages.
    Reaction,
    /// Someone asks to become the account's contact.
    FriendRequest,
    /// Someone applied for an account of a domain the account administers.
    Application,
    /// A group's announcement was set, or an administrator announced something to the domain.
    Announcement,
    /// An app's event subscription was disabled after its requests kept failing (to the bot's
    /// owner and the domain's administrators; the actor is the bot, the text its URL and why).
    AppDisabled,
}

impl NotificationKind {
    pub const ALL: [NotificationKind; 7] = [
        NotificationKind::Mention,
        NotificationKind::Reply,
        NotificationKind::Reaction,
        NotificationKind::FriendRequest,
        NotificationKind::Application,
        NotificationKind::Announcement,
        NotificationKind::AppDisabled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::Mention => "mention",
            NotificationKind::Reply => "reply",
            NotificationKind::Reaction => "reaction",
            NotificationKind::FriendRequest => "friend_request",
            NotificationKind::Application => "application",
            NotificationKind::Announcement => "announcement",
            NotificationKind::AppDisabled => "app_disabled",
        }
    }

    pub fn parse(s: &str) -> Option<NotificationKind> {
        NotificationKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One item of an account's notification centre.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    pub id: i64,
    pub kind: NotificationKind,
    pub at_ms: i64,
    pub read: bool,
    /// Who did it, `name@domain` (none for what nobody did).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// Their display name then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation: Option<ConversationId>,
    /// A group's or channel's name then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation_name: Option<String>,
    #[serde(default)]
    pub direct: bool,
    /// The message: the new one for a mention or reply, the account's own for a reaction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<Seq>,
    /// The root of the thread the message is a reply in: where a client opens it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread: Option<Seq>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emoji: Option<String>,
    /// One line: the message's start, the request's message, the announcement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// Who an item goes to, before the store's filters (not the actor, not those who blocked it,
/// only the conversation's members now when it names one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipients {
    Accounts(Vec<AccountId>),
    /// Every member of the item's conversation.
    Members,
    /// Every enabled account of the domain.
    Domain(DomainId),
    /// The domain's administrators and the server's.
    Admins(DomainId),
}

/// Items to write, one per recipient, all alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotifications {
    pub to: Recipients,
    pub kind: NotificationKind,
    /// Unique per account with the kind's prefix: an item whose key the account has is not
    /// written again.
    pub key: String,
    pub actor: Option<(AccountId, AccountAddr)>,
    pub actor_name: Option<String>,
    pub conversation: Option<ConversationId>,
    pub conversation_name: Option<String>,
    pub direct: bool,
    pub seq: Option<Seq>,
    pub thread: Option<Seq>,
    pub emoji: Option<String>,
    pub text: Option<String>,
    pub at_ms: i64,
}

impl NewNotifications {
    /// Items of nothing but their actor (fill in the rest).
    pub fn by(to: Recipients, kind: NotificationKind, key: String, actor: &Account, at_ms: i64) -> NewNotifications {
        NewNotifications {
            to,
            kind,
            key,
            actor: Some((actor.id, actor.addr.clone())),
            actor_name: Some(actor.profile.display_name.clone()),
            conversation: None,
            conversation_name: None,
            direct: false,
            seq: None,
            thread: None,
            emoji: None,
            text: None,
            at_ms,
        }
    }

    /// The item as `account` gets it, under `id`.
    pub fn item(&self, id: i64) -> Notification {
        Notification {
            id,
            kind: self.kind,
            at_ms: self.at_ms,
            read: false,
            actor: self.actor.as_ref().map(|(_, addr)| addr.to_string()),
            actor_name: self.actor_name.clone(),
            conversation: self.conversation,
            conversation_name: self.conversation_name.clone(),
            direct: self.direct,
            seq: self.seq,
            thread: self.thread,
            emoji: self.emoji.clone(),
            text: self.text.clone(),
        }
    }
}

/// Which of an account's items a read marks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadItems {
    Ids(Vec<i64>),
    /// Every item up to this id.
    UpTo(i64),
}

/// The notification centre: its follower, and what clients ask of it.
#[derive(Clone)]
pub struct Inbox {
    deps: Arc<Deps>,
    stores: Stores,
    store: Arc<dyn InboxStore>,
}

impl Inbox {
    pub(crate) fn new(deps: Arc<Deps>, stores: &Stores) -> Inbox {
        Inbox { deps, stores: stores.clone(), store: stores.inbox.clone() }
    }

    /// Starts the follower (from its saved cursor, or the log's head the first time: history
    /// gives no items) and the pruning, on the current tokio runtime.
    pub fn start(&self, poll: std::time::Duration) -> Arc<FollowerStatus> {
        let follower = Follower::new(
            FOLLOWER,
            self.stores.log.clone(),
            Some(self.stores.cursors.clone()),
            self.deps.bus.clone(),
            Noter { inbox: self.clone() },
        )
        .with_poll_interval(poll);
        let status = follower.status();
        tokio::spawn(follower.run(Start::Head));
        let this = self.clone();
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(PRUNE_INTERVAL);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                let before = this.deps.clock.now_ms() - KEPT_DAYS * 24 * 3600 * 1000;
                if let Err(e) = this.store.prune_notifications(KEPT_PER_ACCOUNT_MAX, before).await {
                    tracing::warn!(error = %e, "cannot prune notifications");
                }
            }
        });
        status
    }

    /// The caller's items with ids below `before`, newest first, at most `limit` (clamped to
    /// 1 – [`PAGE_LEN_MAX`]), only unread ones if asked; whether there are more; and how many
    /// are unread in all.
    pub async fn list(
        &self,
        caller: &Principal,
        before: Option<i64>,
        limit: usize,
        unread_only: bool,
    ) -> Result<(Vec<Notification>, bool, u32)> {
        let limit = limit.clamp(1, PAGE_LEN_MAX);
        let (mut items, unread) = self.store.notifications(caller.account.id, before, limit + 1, unread_only).await?;
        let more = items.len() > limit;
        items.truncate(limit);
        Ok((items, more, unread))
    }

    /// Marks the caller's items read (ids it does not have are ignored); its devices hear
    /// `notifications_read`. How many stay unread.
    pub async fn read(&self, caller: &Principal, items: ReadItems) -> Result<u32> {
        if let ReadItems::Ids(ids) = &items
            && (ids.is_empty() || ids.len() > READ_IDS_MAX)
        {
            return Err(Error::invalid("ids", format!("must name 1 to {READ_IDS_MAX} notifications")));
        }
        Ok(self.store.read_notifications(caller.account.id, items, self.deps.clock.now_ms()).await?)
    }

    /// An administrator's announcement to every enabled account of `domain`: how many got it.
    pub async fn announce(&self, caller: &Principal, domain: &crate::model::Domain, text: &str) -> Result<u32> {
        let text = text.trim();
        if text.is_empty() || text.chars().count() > ANNOUNCEMENT_CHARS_MAX {
            return Err(Error::invalid("text", format!("must be 1 to {ANNOUNCEMENT_CHARS_MAX} characters")));
        }
        let now = self.deps.clock.now_ms();
        let key = format!("announcement:{}:{now}", caller.account.id.0);
        let to = Recipients::Domain(domain.id);
        let new = NewNotifications {
            text: Some(text.to_owned()),
            ..NewNotifications::by(to, NotificationKind::Announcement, key, &caller.account, now)
        };
        let added = self.store.add_notifications(new).await?;
        tracing::info!(target: "magpie::security", by = %caller.account.addr, domain = %domain.name,
            accounts = added.len(), "announcement sent");
        let change = crate::audit::Change::new("announcement.send", Some(domain.id), domain.name.as_str())
            .after(serde_json::json!({ "text": text, "accounts": added.len() }));
        self.deps.audit(crate::model::Actor::Account(caller), change).await;
        Ok(u32::try_from(added.len()).unwrap_or(u32::MAX))
    }

    /// `applicant` applied for an account: its domain's administrators are told. Not in the
    /// log, so written here; a failure is logged and leaves the application as it is (the
    /// administrators' list of applications shows it anyway).
    pub(crate) async fn note_application(&self, applicant: &Account) {
        let to = Recipients::Admins(applicant.domain_id);
        let key = format!("application:{}", applicant.id.0);
        let new = NewNotifications::by(to, NotificationKind::Application, key, applicant, self.deps.clock.now_ms());
        if let Err(e) = self.store.add_notifications(new).await {
            tracing::warn!(error = %e, account = %applicant.addr, "cannot tell the administrators of an application");
        }
    }

    /// The items one entry gives, written.
    async fn note_entry(&self, entry: &Entry) -> Result<()> {
        match entry.kind.as_str() {
            op::RECALL => {
                if let Some(target) = entry.target {
                    let now = self.deps.clock.now_ms();
                    self.store.remove_message_notifications(entry.conversation, target, now).await?;
                }
            }
            op::REACTION => self.note_reaction(entry).await?,
            op::SYSTEM => self.note_announcement(entry).await?,
            op::EDIT => {}
            _ if entry.body.is_some() => self.note_message(entry).await?,
            _ => {}
        }
        Ok(())
    }

    /// A mention (of the account, or `@all`) or a reply to the account's message: one item per
    /// account and message, a mention's if both.
    async fn note_message(&self, entry: &Entry) -> Result<()> {
        let mut mentioned: Vec<AccountId> = Vec::new();
        if !entry.mention_all {
            for addr in &entry.mentions {
                if let Some(account) = self.stores.accounts.account_by_addr(&addr.domain, &addr.name).await? {
                    mentioned.push(account.id);
                }
            }
        }
        let mut replied: Vec<AccountId> = Vec::new();
        for seq in [entry.reply_to, entry.thread].into_iter().flatten() {
            if let Some(to) = self.stores.log.entry(entry.conversation, seq).await?
                && !replied.contains(&to.sender)
            {
                replied.push(to.sender);
            }
        }
        if !entry.mention_all && mentioned.is_empty() && replied.is_empty() {
            return Ok(());
        }
        let text =
            crate::push::body_text(&entry.kind, entry.body.as_ref()).map(|t| crate::push::one_line(t, TEXT_CHARS_MAX));
        let key = format!("message:{}:{}", entry.conversation.0, entry.seq.0);
        let mention = if entry.mention_all {
            Some(Recipients::Members)
        } else if mentioned.is_empty() {
            None
        } else {
            Some(Recipients::Accounts(mentioned))
        };
        if let Some(to) = mention {
            let new = self.about(entry, to, NotificationKind::Mention, key.clone(), entry.seq, text.clone()).await?;
            self.store.add_notifications(new).await?;
        }
        if !replied.is_empty() {
            let new =
                self.about(entry, Recipients::Accounts(replied), NotificationKind::Reply, key, entry.seq, text).await?;
            self.store.add_notifications(new).await?;
        }
        Ok(())
    }

    /// A reaction (not its removal) to a message of someone else's.
    async fn note_reaction(&self, entry: &Entry) -> Result<()> {
        let Some(body) = entry.body.as_ref() else { return Ok(()) };
        let (Some(emoji), Some(true)) =
            (body.get("emoji").and_then(Value::as_str), body.get("on").and_then(Value::as_bool))
        else {
            return Ok(());
        };
        let Some(target) = entry.target else { return Ok(()) };
        let Some(message) = self.stores.log.entry(entry.conversation, target).await? else { return Ok(()) };
        if message.sender == entry.sender || message.body.is_none() {
            return Ok(());
        }
        let text = crate::push::body_text(&message.kind, message.body.as_ref())
            .map(|t| crate::push::one_line(t, TEXT_CHARS_MAX));
        let key = format!("reaction:{}:{}:{}:{emoji}", entry.conversation.0, target.0, entry.sender.0);
        let mut new = self
            .about(entry, Recipients::Accounts(vec![message.sender]), NotificationKind::Reaction, key, target, text)
            .await?;
        new.emoji = Some(emoji.to_owned());
        new.thread = message.thread;
        self.store.add_notifications(new).await?;
        Ok(())
    }

    /// A group's announcement set (not cleared): its members are told.
    async fn note_announcement(&self, entry: &Entry) -> Result<()> {
        let Some(body) = entry.body.clone() else { return Ok(()) };
        let Ok(Notice::InfoChanged { announcement: Some(Some(text)), .. }) = serde_json::from_value::<Notice>(body)
        else {
            return Ok(());
        };
        let text = crate::push::one_line(&text, TEXT_CHARS_MAX);
        let key = format!("announcement:{}:{}", entry.conversation.0, entry.seq.0);
        let new =
            self.about(entry, Recipients::Members, NotificationKind::Announcement, key, entry.seq, Some(text)).await?;
        self.store.add_notifications(new).await?;
        Ok(())
    }

    /// Items about `entry` of its conversation, by its sender.
    async fn about(
        &self,
        entry: &Entry,
        to: Recipients,
        kind: NotificationKind,
        key: String,
        seq: Seq,
        text: Option<String>,
    ) -> Result<NewNotifications> {
        let conversation = self.stores.log.conversation(entry.conversation).await?;
        let direct = conversation.as_ref().is_some_and(|c| c.kind == ConversationKind::Direct);
        let actor_name = self.stores.accounts.account_by_id(entry.sender).await?.map(|a| a.profile.display_name);
        Ok(NewNotifications {
            to,
            kind,
            key,
            actor: Some((entry.sender, entry.sender_addr.clone())),
            actor_name,
            conversation: Some(entry.conversation),
            conversation_name: if direct { None } else { conversation.and_then(|c| c.info.name) },
            direct,
            seq: Some(seq),
            thread: entry.thread,
            emoji: None,
            text,
            at_ms: entry.at_ms,
        })
    }

    /// A friend request to the event's account.
    async fn note_event(&self, logged: &LoggedEvent) -> Result<()> {
        let AccountEvent::FriendRequest { from, message } = &logged.event else { return Ok(()) };
        let Ok(addr) = AccountAddr::parse(from) else { return Ok(()) };
        let Some(requester) = self.stores.accounts.account_by_addr(&addr.domain, &addr.name).await? else {
            return Ok(());
        };
        let to = Recipients::Accounts(vec![logged.account]);
        let key = format!("friend_request:{}", logged.seq.0);
        let new = NewNotifications {
            text: message.as_deref().map(|m| crate::push::one_line(m, TEXT_CHARS_MAX)),
            ..NewNotifications::by(to, NotificationKind::FriendRequest, key, &requester, logged.at_ms)
        };
        self.store.add_notifications(new).await?;
        Ok(())
    }
}

/// The follower's handler: every entry and account event, as they commit.
struct Noter {
    inbox: Inbox,
}

#[async_trait]
impl LogHandler for Noter {
    async fn handle(&mut self, items: &[Committed]) -> Result<()> {
        for item in items {
            match item {
                Committed::Entry { entry, .. } => self.inbox.note_entry(entry).await?,
                Committed::Event(logged) => self.inbox.note_event(logged).await?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_read_back_as_written() {
        for kind in NotificationKind::ALL {
            assert_eq!(NotificationKind::parse(kind.as_str()), Some(kind));
            assert_eq!(serde_json::to_value(kind).unwrap(), Value::String(kind.as_str().into()));
        }
        assert_eq!(NotificationKind::parse("other"), None);
    }
}
