//! Email digests (issue 17, "Notifications and push"): an account that turned them on gets one
//! mail with its unread direct messages and mentions once it has been away for the time it
//! chose, instead of nothing.
//!
//! A durable follower of the log notes, for each direct message and each mention, the members
//! it concerns by the one rule of [`crate::notify::decide`] (quiet hours aside: a digest comes
//! later anyway), as items due `digest_after_mins` after the message. A sender loop claims the
//! accounts whose first item fell due, with all their items (a lease, so that a cluster's nodes
//! and a restart never mail one digest twice at once) and for each:
//!
//! - connected now: the digest waits (`digest_after_mins`, or one poll when that is 0) and is
//!   looked at again; seen less than `digest_after_mins` ago: it waits until that long after
//!   it was last seen;
//! - else the items still unread (a message read meanwhile, recalled, or of a conversation the
//!   account left is left out) go into one mail, in the account's language, through the mail
//!   outbox; with none left, no mail. Either way the items are done.

use std::collections::HashSet;
use std::sync::Arc;

use async_trait::async_trait;

use crate::chat::{Committed, ConversationKind, Entry};
use crate::follow::{Follower, FollowerStatus, LogHandler, Start};
use crate::mail::{Lang, Mail};
use crate::model::{AccountId, ConversationId, Seq};
use crate::names::AccountAddr;
use crate::notify::{ConversationPrefs, Message, NotifyPrefs, Recipient, Why};
use crate::ports::{NotifyStore, Stores};
use crate::{Deps, Result};

/// The name the digest follower saves its cursor under.
pub const FOLLOWER: &str = "digest";
/// Accounts one pass of the sender claims.
const CLAIM_ACCOUNTS_MAX: usize = 50;
/// How long a node holds the digests it claimed while it writes them.
const LEASE_MS: i64 = 5 * 60 * 1000;
/// When the mail outbox refuses a digest (full, or mail turned off), it is tried again after this.
const REFUSED_RETRY_MS: i64 = 10 * 60 * 1000;
/// Characters of a message a digest shows.
const PREVIEW_CHARS_MAX: usize = 200;

/// A member a message may concern, as the digest's rule needs it: only members whose account
/// has digests on and an email address.
#[derive(Debug, Clone)]
pub struct DigestAudience {
    pub account: AccountId,
    pub addr: AccountAddr,
    pub read_seq: Seq,
    pub conversation: ConversationPrefs,
    pub prefs: NotifyPrefs,
    pub blocked_sender: bool,
}

/// A message that goes into an account's next digest, unless read first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestItem {
    pub account: AccountId,
    pub conversation: ConversationId,
    pub seq: Seq,
    pub why: Why,
    pub at_ms: i64,
    pub due_at_ms: i64,
}

/// An account's digest that fell due, as claimed.
#[derive(Debug, Clone)]
pub struct DueDigest {
    pub account: AccountId,
    pub items: Vec<DigestItem>,
}

/// One message as a digest shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestLine {
    pub sender_name: String,
    pub at_ms: i64,
    pub text: String,
    pub why: Why,
}

/// One conversation's lines in a digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestSection {
    /// The group's name, or the other person's in a direct chat.
    pub title: String,
    pub direct: bool,
    pub lines: Vec<DigestLine>,
}

/// The digest service: its follower and its sender.
#[derive(Clone)]
pub struct Digests {
    deps: Arc<Deps>,
    stores: Stores,
    store: Arc<dyn NotifyStore>,
    mail: Mail,
}

impl Digests {
    pub(crate) fn new(deps: Arc<Deps>, stores: &Stores, mail: Mail) -> Digests {
        Digests { deps, stores: stores.clone(), store: stores.notify.clone(), mail }
    }

    /// Starts the follower that notes what digests will hold (from its saved cursor, or the
    /// log's head the first time) and the sender, on the current tokio runtime. Nothing when
    /// this server sends no mail.
    pub fn start(&self, poll: std::time::Duration) -> Option<Arc<FollowerStatus>> {
        if !self.mail.enabled() {
            return None;
        }
        let follower = Follower::new(
            FOLLOWER,
            self.stores.log.clone(),
            Some(self.stores.cursors.clone()),
            self.deps.bus.clone(),
            Noter { digests: self.clone() },
        )
        .with_poll_interval(poll);
        let status = follower.status();
        tokio::spawn(follower.run(Start::Head));
        let this = self.clone();
        let every = std::time::Duration::from_millis(self.deps.settings.digest_poll_ms.max(10));
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(every);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                // A full claim means more may be due: take the next at once.
                loop {
                    match this.send_due().await {
                        Ok(n) if n == CLAIM_ACCOUNTS_MAX => {}
                        Ok(_) => break,
                        Err(e) => {
                            tracing::warn!(error = %e, "email digests");
                            break;
                        }
                    }
                }
            }
        });
        Some(status)
    }

    /// Notes `entry` in the digests of the members it concerns: a direct message, or a
    /// mention of them (by name or `@all`).
    async fn note(&self, entry: &Entry) -> Result<()> {
        // Only a direct chat's message concerns anyone without a mention; most messages are
        // in groups, and those end here with one read.
        let Some(conversation) = self.stores.log.conversation(entry.conversation).await? else { return Ok(()) };
        if entry.mentions.is_empty() && !entry.mention_all && conversation.kind != ConversationKind::Direct {
            return Ok(());
        }
        let audience = self.store.digest_audience(entry.conversation, entry.sender).await?;
        if audience.is_empty() {
            return Ok(());
        }
        let direct = conversation.kind == ConversationKind::Direct;
        let mentioned: HashSet<&AccountAddr> = entry.mentions.iter().collect();
        let now = self.deps.clock.now_ms();
        let mut items = Vec::new();
        for member in &audience {
            let mentions = if mentioned.contains(&member.addr) { std::slice::from_ref(&member.account) } else { &[] };
            let message = Message {
                seq: entry.seq.0,
                sender: entry.sender,
                direct,
                text: "",
                mentions,
                mentions_all: entry.mention_all,
                thread_only: entry.in_thread_only(),
            };
            // Quiet hours hold a push back; a digest comes later anyway.
            let prefs = NotifyPrefs { quiet: None, keywords: Vec::new(), ..member.prefs.clone() };
            let to = Recipient {
                account: member.account,
                member: true,
                blocked_sender: member.blocked_sender,
                read_seq: member.read_seq.0,
                prefs: &prefs,
                conversation: member.conversation,
            };
            let Ok(why) = crate::notify::decide(&message, &to, now) else { continue };
            if !matches!(why, Why::Direct | Why::Mention | Why::MentionAll) {
                continue;
            }
            let after_ms = i64::from(member.prefs.digest_after_mins) * 60_000;
            items.push(DigestItem {
                account: member.account,
                conversation: entry.conversation,
                seq: entry.seq,
                why,
                at_ms: entry.at_ms,
                due_at_ms: entry.at_ms.saturating_add(after_ms),
            });
        }
        if !items.is_empty() {
            self.store.add_digest_items(&items, self.deps.settings.digest_items_per_account_max).await?;
        }
        Ok(())
    }

    /// Writes the digests that fell due, one claim's worth; how many accounts it claimed.
    pub async fn send_due(&self) -> Result<usize> {
        let now = self.deps.clock.now_ms();
        let claimed = self.store.claim_digests(now, LEASE_MS, CLAIM_ACCOUNTS_MAX).await?;
        let count = claimed.len();
        for due in claimed {
            if let Err(e) = self.send_one(&due, now).await {
                tracing::warn!(error = %e, account = due.account.0, "email digest");
            }
        }
        Ok(count)
    }

    async fn send_one(&self, due: &DueDigest, now: i64) -> Result<()> {
        let done: Vec<(ConversationId, Seq)> = due.items.iter().map(|i| (i.conversation, i.seq)).collect();
        let prefs = self.store.notify_prefs(due.account).await?.unwrap_or_default();
        let account = self.stores.accounts.account_by_id(due.account).await?;
        let email = account.as_ref().and_then(|a| a.profile.email.clone()).filter(|e| !e.is_empty());
        let (Some(account), Some(email), true) = (account, email, prefs.email_digest) else {
            return Ok(self.store.finish_digest(due.account, &done).await?);
        };
        if account.disabled {
            return Ok(self.store.finish_digest(due.account, &done).await?);
        }
        // Away long enough? A connected account is not away at all: its digest waits while it
        // stays connected (however few minutes it chose), and then as long as it chose.
        let after_ms = i64::from(prefs.digest_after_mins) * 60_000;
        // Presence knows connections; an account not seen connected since this deployment
        // started falls back on its sessions' last request.
        let seen = match self.stores.presence.get(due.account).await? {
            Some(p) if p.last_seen_ms.is_none() && p.status != crate::presence::Status::Offline => {
                let wait = i64::try_from(self.deps.settings.digest_poll_ms).unwrap_or(i64::MAX).max(after_ms);
                return Ok(self.store.postpone_digest(due.account, now.saturating_add(wait)).await?);
            }
            Some(p) if p.last_seen_ms.is_some() => p.last_seen_ms,
            _ => self.stores.sessions.last_seen(due.account).await?,
        };
        if let Some(seen) = seen
            && seen + after_ms > now
        {
            return Ok(self.store.postpone_digest(due.account, seen + after_ms).await?);
        }
        let sections = self.sections(due).await?;
        if sections.is_empty() {
            return Ok(self.store.finish_digest(due.account, &done).await?);
        }
        let lang = if prefs.language.is_empty() {
            self.stores.mail.locale(due.account).await?.as_deref().map(Lang::parse).unwrap_or_default()
        } else {
            Lang::parse(&prefs.language)
        };
        let mail = crate::mail::digest_mail(lang, &email, &account.addr, &prefs.time_zone, &sections);
        match self.mail.enqueue(mail).await {
            Ok(()) => Ok(self.store.finish_digest(due.account, &done).await?),
            Err(e) => {
                tracing::warn!(error = %e, account = due.account.0, "email digest refused; tried again later");
                Ok(self.store.postpone_digest(due.account, now + REFUSED_RETRY_MS).await?)
            }
        }
    }

    /// The digest's sections: per conversation (in the order of its first item), the items
    /// the account may still read and has not read.
    async fn sections(&self, due: &DueDigest) -> Result<Vec<DigestSection>> {
        let mut sections: Vec<(ConversationId, DigestSection)> = Vec::new();
        for item in &due.items {
            let Some(member) = self.stores.log.member(item.conversation, due.account).await? else { continue };
            if !member.is_active() || member.read_seq >= item.seq {
                continue;
            }
            let Some(entry) = self.stores.log.entry(item.conversation, item.seq).await? else { continue };
            if entry.recalled_at_ms.is_some() || entry.body.is_none() {
                continue;
            }
            let sender_name = match self.stores.accounts.account_by_id(entry.sender).await? {
                Some(a) => a.profile.display_name,
                None => entry.sender_addr.name.to_string(),
            };
            let text = digest_text(&entry);
            let line = DigestLine { sender_name: sender_name.clone(), at_ms: entry.at_ms, text, why: item.why };
            if let Some((_, section)) = sections.iter_mut().find(|(id, _)| *id == item.conversation) {
                section.lines.push(line);
                continue;
            }
            let Some(conversation) = self.stores.log.conversation(item.conversation).await? else { continue };
            let direct = conversation.kind == ConversationKind::Direct;
            let title = if direct { sender_name } else { conversation.info.name.clone().unwrap_or_default() };
            sections.push((item.conversation, DigestSection { title, direct, lines: vec![line] }));
        }
        Ok(sections.into_iter().map(|(_, s)| s).collect())
    }
}

/// What a digest shows of a message: its words or a file's name on one line, else its kind
/// in brackets.
fn digest_text(entry: &Entry) -> String {
    match crate::push::body_text(&entry.kind, entry.body.as_ref()) {
        Some(words) => crate::push::one_line(words, PREVIEW_CHARS_MAX),
        None => format!("[{}]", entry.kind),
    }
}

/// The follower's handler: every message, noted as it commits.
struct Noter {
    digests: Digests,
}

#[async_trait]
impl LogHandler for Noter {
    async fn handle(&mut self, items: &[Committed]) -> Result<()> {
        for item in items {
            if let Committed::Entry { entry, .. } = item
                && entry.is_message()
                && entry.body.is_some()
            {
                self.digests.note(entry).await?;
            }
        }
        Ok(())
    }
}
