//! Messages and what happens to them: send, forward, edit, recall, react, delete-for-me,
//! history, read and delivery marks, receipts, and the sync that a reconnecting device runs.
//!
//! Sends are idempotent by `(session, client_msg_id)`: the store looks the pair up inside the
//! append's transaction, so fifty concurrent copies of one send yield one entry. An append is
//! answered only after its transaction committed with `synchronous=FULL`; the store's writer
//! commits many appends per fsync (group commit).

use std::sync::Arc;

use serde_json::{Value, json};

use crate::chat::{
    AccountEvent, Append, Appended, Check, Conversation, ConversationKind, Effect, Entry, ForwardedFrom, LoggedEvent,
    Member, MemberRole, MemberSettingsPatch, NewEntry, Page, Pin, Precondition, Receipts, SharedKind, Summary,
    ThreadPlace, op,
};
use crate::content::{self, BodyLimits};
use crate::conversations::{Conversations, NOT_FOUND, check_role, visible};
use crate::files::{FileId, Files};
use crate::marks::{MARKS_GROUP_MEMBERS_MAX, MARKS_SCAN_MAX, MarkSignals, MemberMarks};
use crate::model::{AccountId, Activity, ConversationId, EventSeq, Principal, Seq};
use crate::names::AccountAddr;
use crate::notice::{ForwardBody, ForwardedMessage, Notice};
use crate::ports::{ConversationLog, StickerStore, Stores};
use crate::{Deps, Error, Result, Unit};

/// Longest `client_msg_id`, in bytes.
pub const CLIENT_MSG_ID_BYTES_MAX: usize = 64;
/// Longest reaction, in bytes (an emoji sequence or a `:shortcode:`).
pub const REACTION_BYTES_MAX: usize = 32;
/// Different reactions one message may carry.
pub const REACTIONS_PER_MESSAGE_MAX: usize = 32;
/// Reactions one account may put on one message.
pub const REACTIONS_PER_ACCOUNT_MAX: usize = 8;
/// Messages pinned in one conversation at once.
pub const PINS_PER_CONVERSATION_MAX: usize = 50;
/// The beginning of the `client_msg_id`s the server makes for the messages it sends itself (a
/// scheduled message's send, [`crate::scheduled`]); a client's id may not begin so, so that the
/// server's ids never meet a client's under one session.
pub const SERVER_CLIENT_MSG_ID_PREFIX: &str = "scheduled:";

/// What checking a message before it is sent resolved ([`Messages::check_sendable`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Sendable {
    /// The mentioned members' addresses, each once.
    pub mentions: Vec<String>,
    /// The files (a sticker's too) the message refers to.
    pub files: Vec<FileId>,
}

/// A message as a client sends it, before validation.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub client_msg_id: String,
    pub kind: String,
    pub body: Value,
    pub mentions: Vec<String>,
    pub mention_all: bool,
    pub reply_to: Option<Seq>,
    /// A thread reply: the root's seq.
    pub thread: Option<Seq>,
    /// A thread reply also sent to the chat (only with `thread`).
    pub broadcast: bool,
}

/// The answer to an append: the stored entry, and whether it was stored by an earlier
/// request with the same `(session, client_msg_id)`.
#[derive(Debug, Clone)]
pub struct Ack {
    pub entry: Arc<Entry>,
    pub duplicate: bool,
}

impl From<Appended> for Ack {
    fn from(a: Appended) -> Ack {
        match a {
            Appended::New(entry) => Ack { entry, duplicate: false },
            Appended::Duplicate(entry) => Ack { entry, duplicate: true },
        }
    }
}

/// One page of what changed for an account.
#[derive(Debug, Clone)]
pub struct SyncPage {
    pub events: Vec<LoggedEvent>,
    /// The newest event seq at the time of the read.
    pub events_head: EventSeq,
    /// Conversations with activity after the requested cursor, oldest activity first.
    pub conversations: Vec<Summary>,
    /// Pass this as `conversations_after` next time.
    pub conversations_cursor: Activity,
    /// More events or conversations remain: ask again with the new cursors.
    pub more: bool,
}

#[derive(Clone)]
pub struct Messages {
    deps: Arc<Deps>,
    log: Arc<dyn ConversationLog>,
    sticker_store: Arc<dyn StickerStore>,
    conversations: Conversations,
    files: Files,
    marks: Arc<MarkSignals>,
    moderation: crate::moderation::Moderation,
}

impl Messages {
    pub(crate) fn new(
        deps: Arc<Deps>,
        stores: &Stores,
        conversations: Conversations,
        files: Files,
        moderation: crate::moderation::Moderation,
    ) -> Messages {
        let marks = MarkSignals::new(deps.bus.clone());
        let (log, sticker_store) = (stores.log.clone(), stores.stickers.clone());
        Messages { deps, log, sticker_store, conversations, files, marks, moderation }
    }

    pub(crate) fn conversations(&self) -> &Conversations {
        &self.conversations
    }

    pub(crate) fn limits(&self) -> BodyLimits {
        BodyLimits {
            body_bytes_max: self.deps.settings.message_body_bytes_max,
            text_chars_max: self.deps.settings.message_text_chars_max,
        }
    }

    /// Sends a message; answered once it is durable.
    ///
    /// A message that names no one and no file (most of them) needs nothing read before the
    /// append: the writer's transaction looks for an earlier send with this `client_msg_id`
    /// first and then checks every rule against what it reads itself, so the send is one
    /// hop to the writer. Mentions and files are resolved by reads first.
    pub async fn send(&self, caller: &Principal, id: ConversationId, msg: Outgoing) -> Result<Ack> {
        let client_msg_id = client_msg_id(&msg.client_msg_id)?;
        self.send_as(caller, id, msg, client_msg_id).await
    }

    /// Sends a scheduled message as the session that scheduled it, under the `client_msg_id`
    /// the server made for it (one of the ids kept from clients, see
    /// [`SERVER_CLIENT_MSG_ID_PREFIX`]): the same path, checks and idempotency as any send, so
    /// that a second try after a crash finds the first one's entry.
    pub(crate) async fn send_scheduled(&self, sender: &Principal, id: ConversationId, msg: Outgoing) -> Result<Ack> {
        let client_msg_id = msg.client_msg_id.clone();
        debug_assert!(client_msg_id.starts_with(SERVER_CLIENT_MSG_ID_PREFIX), "a scheduled send under a client's id");
        self.send_as(sender, id, msg, client_msg_id).await
    }

    /// Checks a message as [`Messages::send`] would check it now, without sending it: its kind
    /// and body, the caller's membership and right to post (a direct peer's stance included),
    /// its mentions, its `reply_to`, its files and sticker. Returns what the check resolved: the
    /// mentioned members' addresses and the files it refers to.
    pub(crate) async fn check_sendable(
        &self,
        caller: &Principal,
        id: ConversationId,
        msg: &Outgoing,
    ) -> Result<Sendable> {
        content::validate(&msg.kind, &msg.body, self.limits())?;
        actions_are_apps(caller, &msg.kind, &msg.body)?;
        let (conversation, me) = self.conversations.membership(caller, id).await?;
        let (mentions, mention_ids) = self.resolve_mentions(caller, id, &msg.mentions).await?;
        let shown = mentions.iter().map(ToString::to_string).collect();
        let mut append = self.message_append(caller, id, msg.clone(), msg.client_msg_id.clone(), mentions, mention_ids);
        let files = self.attach_files(caller, &mut append.entry).await?;
        // The check the append would run at commit, on what a read finds now; a direct peer's
        // stance is read the way a new direct chat reads it.
        let pre = Precondition {
            conversation: &conversation,
            author: Some(&me),
            target: None,
            root: None,
            subjects: &[],
            peer: None,
            pins: None,
            now_ms: self.deps.clock.now_ms(),
        };
        (append.check)(&pre)?;
        if conversation.kind == ConversationKind::Direct {
            self.conversations.peer_accepts(caller, &conversation).await?;
        }
        Ok(Sendable { mentions: shown, files })
    }

    /// A send whose `client_msg_id` has been checked.
    async fn send_as(
        &self,
        caller: &Principal,
        id: ConversationId,
        mut msg: Outgoing,
        client_msg_id: String,
    ) -> Result<Ack> {
        // The append checks membership; a bot's token may reach fewer conversations still.
        if !caller.reaches(id) {
            return Err(Error::NotFound("conversation"));
        }
        actions_are_apps(caller, &msg.kind, &msg.body)?;
        content::validate_sendable_kind(&msg.kind)?;
        if let Err(refused) = self.moderation.check(caller, id, &msg.kind, &mut msg.body).await {
            // A retry of what was stored before the words came in still gets its ack.
            let kind = msg.kind.clone();
            return self.replay(caller, id, &kind, &client_msg_id).await?.ok_or(refused);
        }
        if msg.thread.is_some_and(|root| root.0 < 1) {
            return Err(Error::invalid("thread", "must be the seq of a message of this conversation"));
        }
        if msg.broadcast && msg.thread.is_none() {
            return Err(Error::invalid("broadcast", "only a thread reply is also sent to the chat"));
        }
        let reads_first = !msg.mentions.is_empty()
            || msg.kind == content::kind::STICKER
            || !content::file_refs(&msg.kind, &msg.body).is_empty();
        if !reads_first {
            if let Err(invalid) = content::validate(&msg.kind, &msg.body, self.limits()) {
                // A retry whose first copy was stored under other limits still gets its ack.
                let kind = msg.kind.clone();
                return self.replay(caller, id, &kind, &client_msg_id).await?.ok_or(invalid);
            }
            return self.append(self.message_append(caller, id, msg, client_msg_id, vec![], vec![])).await;
        }
        let kind = msg.kind.clone();
        if let Some(ack) = self.replay(caller, id, &kind, &client_msg_id).await? {
            return Ok(ack);
        }
        let outcome = self.send_resolved(caller, id, msg, client_msg_id.clone()).await;
        self.or_replay(outcome, caller, id, &kind, &client_msg_id).await
    }

    /// A send that mentions accounts or refers to files: those are read and checked first.
    async fn send_resolved(
        &self,
        caller: &Principal,
        id: ConversationId,
        msg: Outgoing,
        client_msg_id: String,
    ) -> Result<Ack> {
        content::validate(&msg.kind, &msg.body, self.limits())?;
        // Members only: who is a member, and which files exist, is not for others to learn.
        self.conversations.membership(caller, id).await?;
        let (mentions, mention_ids) = self.resolve_mentions(caller, id, &msg.mentions).await?;
        let mut append = self.message_append(caller, id, msg, client_msg_id, mentions, mention_ids);
        let files = self.attach_files(caller, &mut append.entry).await?;
        append.effects.push(Effect::FileRefs(files));
        self.append(append).await
    }

    /// The append of a new message, with every rule the writer checks for it.
    fn message_append(
        &self,
        caller: &Principal,
        id: ConversationId,
        msg: Outgoing,
        client_msg_id: String,
        mentions: Vec<AccountAddr>,
        mention_ids: Vec<AccountId>,
    ) -> Append {
        let admins_only_all = !self.deps.settings.members_may_mention_all;
        let (domain, reply_to, wants_all) = (caller.account.domain_id, msg.reply_to, msg.mention_all);
        let thread = msg.thread.map(|root| ThreadPlace { root, broadcast: msg.broadcast });
        let check: Check = Box::new(move |p| {
            if p.conversation.domain_id != domain {
                return Err(NOT_FOUND);
            }
            let role = may_post(p)?;
            if thread.is_some() {
                thread_root(p)?;
            }
            if let Some(reply_to) = reply_to
                && !(p.author.is_some_and(|me| visible(me, reply_to))
                    && reply_to <= p.conversation.last_seq
                    && reply_to.0 >= 1)
            {
                return Err(Error::invalid("reply_to", "must be a seq of this conversation that you can read"));
            }
            if wants_all
                && p.conversation.kind != ConversationKind::Direct
                && admins_only_all
                && role < MemberRole::Admin
            {
                return Err(Error::Forbidden);
            }
            Ok(())
        });
        let entry = NewEntry {
            conversation: id,
            sender: caller.account.id,
            session: Some(caller.session.id),
            client_msg_id: Some(client_msg_id),
            kind: msg.kind,
            body: msg.body,
            target: None,
            mentions,
            // `@all` means nothing in a direct chat: the store drops it there.
            mention_all: msg.mention_all,
            reply_to: msg.reply_to,
            thread,
            forwarded_from: None,
            at_ms: self.deps.clock.now_ms(),
        };
        // A reply kept in its thread is not a message of the chat: it counts there, not here.
        let mut effects = match thread {
            None => vec![Effect::Message, Effect::Mention(mention_ids)],
            Some(ThreadPlace { broadcast: true, .. }) => {
                vec![Effect::Message, Effect::Mention(mention_ids.clone()), Effect::ThreadReply(mention_ids)]
            }
            Some(ThreadPlace { broadcast: false, .. }) => vec![Effect::ThreadReply(mention_ids)],
        };
        effects.extend(content::shared_kind(&entry.kind, &entry.body).map(Effect::Share));
        Append { entry, effects, events: vec![], subjects: vec![], peer: true, check }
    }

    /// Forwards messages the caller can read into another conversation: one message as it
    /// is (marked as forwarded), or several merged into one `forward` message.
    pub async fn forward(
        &self,
        caller: &Principal,
        to: ConversationId,
        from: ConversationId,
        seqs: &[Seq],
        client_msg_id_in: &str,
    ) -> Result<Ack> {
        let client_msg_id = client_msg_id(client_msg_id_in)?;
        if let Some(ack) = self.replay(caller, to, "", &client_msg_id).await? {
            return Ok(ack);
        }
        let outcome = self.forward_new(caller, to, from, seqs, client_msg_id.clone()).await;
        self.or_replay(outcome, caller, to, "", &client_msg_id).await
    }

    async fn forward_new(
        &self,
        caller: &Principal,
        to: ConversationId,
        from: ConversationId,
        seqs: &[Seq],
        client_msg_id: String,
    ) -> Result<Ack> {
        if seqs.is_empty() || seqs.len() > self.deps.settings.forward_messages_max {
            return Err(Error::invalid("seqs", "name between 1 and forward_messages_max messages"));
        }
        let (_, source_me) = self.conversations.membership(caller, from).await?;
        self.conversations.membership(caller, to).await?;
        let mut sources = vec![];
        for seq in seqs {
            let entry = self.log.entry(from, *seq).await?.filter(|e| visible(&source_me, e.seq));
            let entry = entry.ok_or(Error::NotFound("message"))?;
            if !entry.is_message() || entry.body.is_none() {
                return Err(Error::invalid("seqs", "only messages that were not recalled can be forwarded"));
            }
            sources.push(entry);
        }
        let now = self.deps.clock.now_ms();
        let (kind, body, forwarded_from) = match sources.as_slice() {
            [one] => {
                let from = ForwardedFrom {
                    conversation: from,
                    seq: one.seq,
                    sender: one.sender_addr.to_string(),
                    at_ms: one.at_ms,
                };
                (one.kind.clone(), one.body.clone().unwrap_or_default(), Some(from))
            }
            many => {
                let messages = many
                    .iter()
                    .map(|e| ForwardedMessage {
                        sender: e.sender_addr.to_string(),
                        kind: e.kind.clone(),
                        body: e.body.clone(),
                        at_ms: e.at_ms,
                    })
                    .collect();
                let body = ForwardBody { conversation: from.0, messages }.body();
                (content::kind::FORWARD.to_owned(), body, None)
            }
        };
        let bytes = serde_json::to_string(&body).map(|s| s.len()).unwrap_or(usize::MAX);
        let max = self.deps.settings.message_body_bytes_max.saturating_mul(4);
        if bytes > max {
            return Err(Error::too_large("body", max, Unit::Bytes));
        }
        let entry = NewEntry {
            conversation: to,
            sender: caller.account.id,
            session: Some(caller.session.id),
            client_msg_id: Some(client_msg_id),
            kind,
            body,
            target: None,
            mentions: vec![],
            mention_all: false,
            reply_to: None,
            thread: None,
            forwarded_from,
            at_ms: now,
        };
        let check: Check = Box::new(|p| may_post(p).map(drop));
        let mut entry = entry;
        let files = self.attach_files(caller, &mut entry).await?;
        let mut effects = vec![Effect::Message, Effect::FileRefs(files)];
        effects.extend(content::shared_kind(&entry.kind, &entry.body).map(Effect::Share));
        self.append(Append { entry, effects, events: vec![], subjects: vec![], peer: true, check }).await
    }

    /// Replaces the body of one of the caller's own text messages within the edit window, or of
    /// one of its interactive cards at any time.
    pub async fn edit(
        &self,
        caller: &Principal,
        id: ConversationId,
        target: Seq,
        body: Value,
        client_msg_id_in: Option<&str>,
    ) -> Result<Ack> {
        let client_msg_id = client_msg_id_in.map(client_msg_id).transpose()?;
        if let Some(ack) = self.replay_op(caller, id, op::EDIT, client_msg_id.as_deref()).await? {
            return Ok(ack);
        }
        let (_, me) = self.conversations.membership(caller, id).await?;
        let original = self.visible_message(&me, id, target).await?;
        content::validate_edit(&original.kind, original.body.as_ref().unwrap_or(&Value::Null), &body, self.limits())?;
        if original.sender == caller.account.id {
            // (Someone else's message is refused at commit, as not theirs.)
            actions_are_apps(caller, &original.kind, &body)?;
        }
        let mut body = body;
        self.moderation.check(caller, id, &original.kind, &mut body).await?;
        // An app keeps its interactive card up to date for as long as the card is there.
        let window_ms = if original.kind == content::kind::CARD && caller.account.bot {
            i64::MAX
        } else {
            crate::settings::millis(self.deps.settings.edit_window_secs)
        };
        let author = caller.account.id;
        let check: Check = Box::new(move |p| {
            may_post(p)?;
            let t = live_target(p)?;
            if t.sender != author {
                return Err(Error::Forbidden);
            }
            if p.now_ms - t.at_ms > window_ms {
                return Err(Error::invalid("seq", "the edit window of this message has passed"));
            }
            Ok(())
        });
        let entry = self.op_entry(caller, id, op::EDIT, body.clone(), target, client_msg_id);
        let shared = content::shared_kind(&original.kind, &body);
        let effects = vec![Effect::EditTarget(body), Effect::ReshareTarget(shared)];
        self.append(Append { entry, effects, events: vec![], subjects: vec![], peer: true, check }).await
    }

    /// An interactive card the caller, a member of the conversation, may see and act on: the
    /// card's entry as it is now (its latest edit applied).
    pub(crate) async fn card_to_act_on(&self, caller: &Principal, id: ConversationId, seq: Seq) -> Result<Entry> {
        let (_, me) = self.conversations.membership(caller, id).await?;
        if !me.is_active() {
            return Err(Error::NotFound("conversation"));
        }
        let card = self.visible_message(&me, id, seq).await?;
        let interactive = card.body.as_ref().is_some_and(crate::cards::is_interactive);
        if card.kind != content::kind::CARD || !interactive || card.recalled_at_ms.is_some() {
            return Err(Error::invalid("seq", "is not an interactive card"));
        }
        Ok(card)
    }

    /// Checks that the caller is an active member of the conversation (its token reaching it).
    pub(crate) async fn member_of(&self, caller: &Principal, id: ConversationId) -> Result<()> {
        let (_, me) = self.conversations.membership(caller, id).await?;
        if !me.is_active() {
            return Err(Error::NotFound("conversation"));
        }
        Ok(())
    }

    /// Checks that the caller may post in the conversation now (a member, not muted, not in a
    /// channel or an all-muted group it does not moderate), as a send's check would at commit.
    pub(crate) async fn may_post_now(&self, caller: &Principal, id: ConversationId) -> Result<()> {
        let (conversation, me) = self.conversations.membership(caller, id).await?;
        let pre = Precondition {
            conversation: &conversation,
            author: Some(&me),
            target: None,
            root: None,
            subjects: &[],
            peer: None,
            pins: None,
            now_ms: self.deps.clock.now_ms(),
        };
        may_post(&pre).map(drop)
    }

    /// Posts a message as the bot, for its app's answer to a slash command: checked as any
    /// message of its kind, the bot a member that may post there. No mentions, no files.
    pub(crate) async fn post_as_bot(
        &self,
        bot: AccountId,
        id: ConversationId,
        kind: String,
        body: Value,
    ) -> Result<Ack> {
        content::validate(&kind, &body, self.limits())?;
        if !content::file_refs(&kind, &body).is_empty() || kind == content::kind::STICKER {
            return Err(Error::invalid("body", "an answer refers to no files or stickers"));
        }
        let check: Check = Box::new(|p| may_post(p).map(drop));
        let entry = NewEntry {
            conversation: id,
            sender: bot,
            session: None,
            client_msg_id: None,
            kind,
            body,
            target: None,
            mentions: vec![],
            mention_all: false,
            reply_to: None,
            thread: None,
            forwarded_from: None,
            at_ms: self.deps.clock.now_ms(),
        };
        let mut effects = vec![Effect::Message, Effect::Mention(vec![])];
        effects.extend(content::shared_kind(&entry.kind, &entry.body).map(Effect::Share));
        self.append(Append { entry, effects, events: vec![], subjects: vec![], peer: true, check }).await
    }

    /// Replaces the body of the bot's interactive card `target` with `body` (already checked),
    /// as an edit by the bot: in the log, so every device converges on it. The bot must still be
    /// a member that may post, and the card its own and there, and as it was when read (its last
    /// edit at `version`): else `conflict`, and nothing is written.
    pub(crate) async fn update_card(
        &self,
        bot: AccountId,
        id: ConversationId,
        target: Seq,
        body: Value,
        version: Option<i64>,
    ) -> Result<Ack> {
        let check: Check = Box::new(move |p| {
            may_post(p)?;
            let t = live_target(p)?;
            if t.sender != bot || t.kind != content::kind::CARD {
                return Err(Error::Forbidden);
            }
            if t.edited_at_ms != version {
                return Err(Error::Conflict("the card changed since it was pressed".into()));
            }
            Ok(())
        });
        let entry = NewEntry {
            conversation: id,
            sender: bot,
            session: None,
            client_msg_id: None,
            kind: op::EDIT.to_owned(),
            body: body.clone(),
            target: Some(target),
            mentions: vec![],
            mention_all: false,
            reply_to: None,
            thread: None,
            forwarded_from: None,
            at_ms: self.deps.clock.now_ms(),
        };
        let effects = vec![Effect::EditTarget(body), Effect::ReshareTarget(None)];
        self.append(Append { entry, effects, events: vec![], subjects: vec![], peer: true, check }).await
    }

    /// Recalls a message: its content is erased and a tombstone remains. The sender may
    /// recall within the recall window; group owners and admins at any time.
    pub async fn recall(
        &self,
        caller: &Principal,
        id: ConversationId,
        target: Seq,
        client_msg_id_in: Option<&str>,
    ) -> Result<Ack> {
        let client_msg_id = client_msg_id_in.map(client_msg_id).transpose()?;
        if let Some(ack) = self.replay_op(caller, id, op::RECALL, client_msg_id.as_deref()).await? {
            return Ok(ack);
        }
        let (_, me) = self.conversations.membership(caller, id).await?;
        let original = self.visible_message(&me, id, target).await?;
        let window_ms = crate::settings::millis(self.deps.settings.recall_window_secs);
        let author = caller.account.id;
        let check: Check = Box::new(move |p| {
            let role = check_role(p, MemberRole::Member)?;
            let t = live_target(p)?;
            let own_in_window = t.sender == author && p.now_ms - t.at_ms <= window_ms;
            // Owners and admins recall what members (and former members) sent; an admin does
            // not recall the owner's or another admin's messages.
            let sender_role = p.subjects.iter().find(|m| m.account == t.sender && m.is_active()).map(|m| m.role);
            let moderator = p.conversation.kind != ConversationKind::Direct
                && role >= MemberRole::Admin
                && (t.sender == author || sender_role.is_none_or(|r| r < role));
            if own_in_window || moderator {
                Ok(())
            } else if t.sender == author {
                Err(Error::invalid("seq", "the recall window of this message has passed"))
            } else {
                Err(Error::Forbidden)
            }
        });
        let entry = self.op_entry(caller, id, op::RECALL, json!({}), target, client_msg_id);
        let subjects = vec![original.sender];
        self.append(Append { entry, effects: Effect::recall(), events: vec![], subjects, peer: false, check }).await
    }

    /// Adds (`on`) or removes the caller's reaction to a message.
    pub async fn react(
        &self,
        caller: &Principal,
        id: ConversationId,
        target: Seq,
        emoji: &str,
        on: bool,
        client_msg_id_in: Option<&str>,
    ) -> Result<Ack> {
        let client_msg_id = client_msg_id_in.map(client_msg_id).transpose()?;
        if let Some(ack) = self.replay_op(caller, id, op::REACTION, client_msg_id.as_deref()).await? {
            return Ok(ack);
        }
        let emoji = reaction(emoji)?;
        let (_, me) = self.conversations.membership(caller, id).await?;
        self.visible_message(&me, id, target).await?;
        let (who, mine) = (caller.account.addr.clone(), emoji.clone());
        let check: Check = Box::new(move |p| {
            check_role(p, MemberRole::Member)?;
            peer_accepts(p)?;
            let target = live_target(p)?;
            let exists = target.reactions.iter().any(|r| r.emoji == mine);
            if on && !exists && target.reactions.len() >= REACTIONS_PER_MESSAGE_MAX {
                return Err(Error::LimitExceeded("this message has as many different reactions as it may"));
            }
            let by_me = target.reactions.iter().filter(|r| r.accounts.contains(&who)).count();
            let already = target.reactions.iter().any(|r| r.emoji == mine && r.accounts.contains(&who));
            if on && !already && by_me >= REACTIONS_PER_ACCOUNT_MAX {
                return Err(Error::LimitExceeded("you have as many reactions on this message as you may"));
            }
            Ok(())
        });
        let body = json!({"emoji": emoji, "on": on});
        let entry = self.op_entry(caller, id, op::REACTION, body, target, client_msg_id);
        let effects = vec![Effect::React { account: caller.account.id, emoji, on }];
        self.append(Append { entry, effects, events: vec![], subjects: vec![], peer: true, check }).await
    }

    /// Pins a message for every member (`on`), or unpins it. In a direct chat either member may;
    /// in a group or channel its owner and admins, as for its other settings. The change is a
    /// `system` entry (`message_pinned` or `message_unpinned`, its `target` the message), so
    /// every member and device learns of it from the log, live or by sync. At most
    /// [`PINS_PER_CONVERSATION_MAX`] messages are pinned at once; pinning a pinned message is
    /// `already_exists`, unpinning one that is not pinned `not_found`.
    pub async fn pin(&self, caller: &Principal, id: ConversationId, target: Seq, on: bool) -> Result<Entry> {
        let (conversation, me) = self.conversations.membership(caller, id).await?;
        if conversation.kind != ConversationKind::Direct && me.role < MemberRole::Admin {
            return Err(Error::Forbidden);
        }
        self.visible_message(&me, id, target).await?;
        let check: Check = Box::new(move |p| may_pin(p, on));
        let by = caller.account.addr.to_string();
        let notice = if on {
            Notice::MessagePinned { by, seq: target.0 }
        } else {
            Notice::MessageUnpinned { by, seq: target.0 }
        };
        let mut entry = self.op_entry(caller, id, op::SYSTEM, notice.body(), target, None);
        // A notice is the server's entry, as those of other group changes are.
        entry.session = None;
        let append =
            Append { entry, effects: vec![Effect::Pin(on)], events: vec![], subjects: vec![], peer: true, check };
        let appended = self.log.append(append).await??;
        Ok(Entry::clone(appended.entry()))
    }

    /// The conversation's pinned messages that the caller may read, the latest pin first. A
    /// message the caller deleted for itself is not listed; a recalled one is no longer pinned.
    pub async fn pins(&self, caller: &Principal, id: ConversationId) -> Result<Vec<Pin>> {
        let (conversation, me) = self.conversations.membership(caller, id).await?;
        let floor = conversation.readable_floor(&me);
        let mut pins = self.log.pins(id, floor, me.left_seq, caller.account.id).await?;
        pins.retain(|p| !p.entry.hidden && visible(&me, p.entry.seq));
        Ok(pins)
    }

    /// Deletes entries for the caller only; its other devices hear of it.
    pub async fn hide(&self, caller: &Principal, id: ConversationId, seqs: Vec<Seq>) -> Result<()> {
        if seqs.is_empty() || seqs.len() > self.deps.settings.history_page_len_max {
            return Err(Error::invalid("seqs", "name between 1 and history_page_len_max entries"));
        }
        let (conversation, me) = self.conversations.membership(caller, id).await?;
        if seqs.iter().any(|s| !visible(&me, *s) || *s > conversation.last_seq || *s < conversation.readable_floor(&me))
        {
            return Err(Error::invalid("seqs", "must be seqs of this conversation that you can read"));
        }
        let events = vec![(caller.account.id, AccountEvent::Hidden { conversation: id, seqs: seqs.clone() })];
        Ok(self.log.hide_entries(id, caller.account.id, seqs, events, self.deps.clock.now_ms()).await?)
    }

    /// A page of the log: entries after `Page::After(seq)` or before `Page::Before(seq)`,
    /// oldest first either way, never before the caller's join. A former member reads what
    /// came before its membership ended, so that all its devices end up with the same
    /// history; nothing after. Returns the page and the newest seq the caller may read.
    pub async fn history(
        &self,
        caller: &Principal,
        id: ConversationId,
        page: Page,
        limit: usize,
    ) -> Result<(Vec<Entry>, Seq)> {
        match page {
            Page::After(seq) if seq.0 < 0 => return Err(Error::invalid("after", "must not be negative")),
            Page::Before(seq) if seq.0 < 0 => return Err(Error::invalid("before", "must not be negative")),
            _ => {}
        }
        let (conversation, me) = self.conversations.readable(caller, id).await?;
        let limit = limit.clamp(1, self.deps.settings.history_page_len_max.max(1));
        let floor = conversation.readable_floor(&me);
        let entries = self.log.entries(id, page, floor, me.left_seq, limit, caller.account.id).await?;
        let last = me.left_seq.map_or(conversation.last_seq, |left| Seq(left.0 - 1).min(conversation.last_seq));
        Ok((entries, last))
    }

    /// A page of what the conversation shares of one kind (images, files or links), newest
    /// first, before `before` if given: the messages the caller may read (the same span as
    /// [`Messages::history`]), less those recalled or deleted for the caller.
    pub async fn shared(
        &self,
        caller: &Principal,
        id: ConversationId,
        kind: SharedKind,
        before: Option<Seq>,
        limit: usize,
    ) -> Result<Vec<Entry>> {
        if before.is_some_and(|seq| seq.0 < 0) {
            return Err(Error::invalid("before", "must not be negative"));
        }
        let (conversation, me) = self.conversations.readable(caller, id).await?;
        let limit = limit.clamp(1, self.deps.settings.history_page_len_max.max(1));
        let floor = conversation.readable_floor(&me);
        Ok(self.log.shared(id, kind, before, floor, me.left_seq, limit, caller.account.id).await?)
    }

    /// Marks the conversation read up to `seq`. The caller's other devices, and in a direct
    /// chat the other party, get an event.
    pub async fn mark_read(&self, caller: &Principal, id: ConversationId, seq: Seq) -> Result<Member> {
        self.mark(caller, id, Some(seq), None).await
    }

    /// Marks entries up to `seq` as received by this account. In a direct chat the other
    /// party gets an event; in groups the marks show in receipts.
    pub async fn mark_delivered(&self, caller: &Principal, id: ConversationId, seq: Seq) -> Result<Member> {
        self.mark(caller, id, None, Some(seq)).await
    }

    async fn mark(
        &self,
        caller: &Principal,
        id: ConversationId,
        read: Option<Seq>,
        delivered: Option<Seq>,
    ) -> Result<Member> {
        let (conversation, me) = self.conversations.membership(caller, id).await?;
        let seq = read.or(delivered).unwrap_or_default();
        if seq.0 < 0 {
            return Err(Error::invalid("seq", "must not be negative"));
        }
        let seq = seq.min(conversation.last_seq);
        let mut events = vec![];
        if let Some(_read) = read {
            events.push((caller.account.id, AccountEvent::Read { conversation: id, seq }));
        }
        if conversation.kind == ConversationKind::Direct {
            let me_addr = caller.account.addr.to_string();
            for peer in self.log.members(id, None, 2).await? {
                if peer.account == me.account {
                    continue;
                }
                let event = if read.is_some() {
                    AccountEvent::PeerRead { conversation: id, account: me_addr.clone(), seq }
                } else {
                    AccountEvent::PeerDelivered { conversation: id, account: me_addr.clone(), seq }
                };
                events.push((peer.account, event));
            }
        }
        let (read, delivered) = (read.map(|_| seq), delivered.map(|_| seq));
        let now = self.log.mark(id, caller.account.id, read, delivered, events, self.deps.clock.now_ms()).await?;
        let mut now = now.ok_or(NOT_FOUND)?;
        // Reading a conversation that its member marked unread clears the mark, on every
        // device, whether or not the read mark moved.
        if read.is_some() && now.marked_unread {
            let settings = MemberSettingsPatch { marked_unread: Some(false), ..MemberSettingsPatch::default() };
            let events = vec![(
                caller.account.id,
                AccountEvent::SettingsChanged { conversation: id, settings: settings.clone() },
            )];
            let cleared =
                self.log.update_member_settings(id, caller.account.id, settings, events, self.deps.clock.now_ms());
            now = cleared.await?.ok_or(NOT_FOUND)?;
        }
        if conversation.kind != ConversationKind::Direct && conversation.member_count <= MARKS_GROUP_MEMBERS_MAX {
            self.tell_marks(&conversation, &me, &now).await?;
        }
        Ok(now)
    }

    /// The member's marks moved from `before` to `now`: the senders of the messages they
    /// passed hear of it (see [`crate::marks`]).
    async fn tell_marks(&self, conversation: &Conversation, before: &Member, now: &Member) -> Result<()> {
        // Raising the read mark raises the delivery mark with it: what moved is from the lower
        // of the marks that moved to the delivery mark.
        let from = if now.read_seq > before.read_seq { before.read_seq } else { before.delivered_seq };
        if now.delivered_seq <= from {
            return Ok(());
        }
        let floor = Seq(from.0 + 1).max(now.joined_seq);
        let passed = self
            .log
            .entries(
                conversation.id,
                Page::Before(Seq(now.delivered_seq.0 + 1)),
                floor,
                None,
                MARKS_SCAN_MAX,
                now.account,
            )
            .await?;
        let mut senders: Vec<AccountId> =
            passed.iter().filter(|e| e.is_message() && e.sender != now.account).map(|e| e.sender).collect();
        senders.sort_unstable();
        senders.dedup();
        if !senders.is_empty() {
            let marks =
                MemberMarks { account: now.addr.clone(), read_seq: now.read_seq, delivered_seq: now.delivered_seq };
            self.marks.note(conversation.id, now.account, &marks, &senders);
        }
        Ok(())
    }

    /// Who among the members present at `seq` has read and received it, and who has not.
    /// The sender is not listed.
    pub async fn receipts(&self, caller: &Principal, id: ConversationId, seq: Seq) -> Result<Receipts> {
        let (_, me) = self.conversations.membership(caller, id).await?;
        let entry = self.visible_message(&me, id, seq).await?;
        // Who read what is the sender's to know (and the moderators'), not every member's.
        if entry.sender != caller.account.id && me.role < MemberRole::Admin {
            return Err(Error::Forbidden);
        }
        let mut receipts = Receipts { read: vec![], delivered: vec![], unread: vec![] };
        let members = self.conversations.all_members(id).await?;
        for m in members.into_iter().filter(|m| m.account != entry.sender && m.joined_seq <= seq) {
            if m.read_seq >= seq {
                receipts.read.push(m.addr);
            } else if m.delivered_seq >= seq {
                receipts.delivered.push(m.addr);
            } else {
                receipts.unread.push(m.addr);
            }
        }
        Ok(receipts)
    }

    /// What changed for the caller since its cursors: account events after `events_after`,
    /// and conversations whose activity is newer than `conversations_after`.
    pub async fn sync(
        &self,
        caller: &Principal,
        events_after: EventSeq,
        conversations_after: Activity,
        limit: usize,
    ) -> Result<SyncPage> {
        if events_after.0 < 0 {
            return Err(Error::invalid("events_after", "must not be negative"));
        }
        if conversations_after.0 < 0 {
            return Err(Error::invalid("conversations_after", "must not be negative"));
        }
        let limit = limit.clamp(1, self.deps.settings.sync_page_len_max.max(1));
        let account = caller.account.id;
        // Read the head first: an event logged while this runs shows up in `events` or
        // arrives live, never in neither.
        let events_head = self.log.account_events_head(account).await?;
        let events = self.log.account_events(account, events_after, limit).await?;
        let now = self.deps.clock.now_ms();
        let conversations = self.log.summaries(account, conversations_after, true, limit).await?;
        let conversations: Vec<Summary> = conversations.into_iter().map(|s| s.settled(now)).collect();
        let conversations_cursor =
            conversations.last().map_or(conversations_after, |s| s.conversation.activity.max(conversations_after));
        let more = events.len() == limit || conversations.len() == limit;
        Ok(SyncPage { events, events_head, conversations, conversations_cursor, more })
    }

    /// The caller's conversations, most recent activity first, before `before` for paging.
    pub async fn list(&self, caller: &Principal, before: Option<Activity>, limit: usize) -> Result<Vec<Summary>> {
        if before.is_some_and(|before| before.0 < 0) {
            return Err(Error::invalid("before", "must not be negative"));
        }
        let limit = limit.clamp(1, self.deps.settings.sync_page_len_max.max(1));
        let before = before.unwrap_or(Activity(i64::MAX));
        let now = self.deps.clock.now_ms();
        let summaries = self.log.summaries(caller.account.id, before, false, limit).await?;
        Ok(summaries.into_iter().map(|s| s.settled(now)).collect())
    }

    async fn resolve_mentions(
        &self,
        caller: &Principal,
        id: ConversationId,
        addrs: &[String],
    ) -> Result<(Vec<AccountAddr>, Vec<AccountId>)> {
        if addrs.len() > self.deps.settings.mentions_per_message_max {
            return Err(Error::LimitExceeded("too many mentions in one message"));
        }
        let (mut shown, mut ids) = (vec![], vec![]);
        for addr in addrs {
            let addr = AccountAddr::parse(addr)?;
            let account = self.conversations.accounts().in_callers_domain(caller, &addr).await?;
            let member = match account {
                Some(a) => self.log.member(id, a.id).await?.filter(Member::is_active),
                None => None,
            };
            let Some(member) = member else {
                return Err(Error::invalid("mentions", format!("{addr} is not a member of this conversation")));
            };
            if !ids.contains(&member.account) {
                ids.push(member.account);
                shown.push(member.addr);
            }
        }
        Ok((shown, ids))
    }

    /// The files a message refers to, each of which the sender must be able to read (one
    /// cannot share a file one cannot see), read once. With the file at hand, an image
    /// message gets the `width`, `height` and `blurhash` its sender left out, and a voice or
    /// video message the `duration_ms` the file's header gives, so that every client can lay
    /// it out before loading it.
    async fn attach_files(&self, caller: &Principal, entry: &mut NewEntry) -> Result<Vec<FileId>> {
        let mut files = vec![];
        if entry.kind == content::kind::STICKER {
            // A sticker is one of the caller's domain's packs.
            let field = |name: &str| entry.body.get(name).and_then(Value::as_str).unwrap_or_default().to_owned();
            let pack = match crate::stickers::parse_pack_id(&field("pack")) {
                Some(id) => self.sticker_store.sticker_pack(id).await?,
                None => None,
            };
            let sticker = field("sticker");
            let found = pack
                .filter(|p| p.domain_id == caller.account.domain_id)
                .and_then(|p| p.stickers.into_iter().find(|s| s.file.as_str() == sticker));
            files.push(found.ok_or_else(|| Error::invalid("body.sticker", "no such sticker"))?.file);
        }
        let mut first = None;
        for id in content::file_refs(&entry.kind, &entry.body) {
            let id = FileId::parse(&id).map_err(|_| Error::invalid("body.file", "no such file"))?;
            let file = self.files.file(caller, &id).await.map_err(|_| Error::invalid("body.file", "no such file"))?;
            first.get_or_insert(file);
            if !files.contains(&id) {
                files.push(id);
            }
        }
        if let (Some(file), Some(body)) = (first, entry.body.as_object_mut()) {
            match entry.kind.as_str() {
                content::kind::IMAGE => {
                    let facts = [
                        ("width", file.width.map(Value::from)),
                        ("height", file.height.map(Value::from)),
                        ("blurhash", file.blurhash.map(Value::from)),
                    ];
                    for (key, value) in facts {
                        if let Some(value) = value {
                            body.entry(key).or_insert(value);
                        }
                    }
                }
                // A duration read from the file's own header beats the one the client measured.
                content::kind::VOICE | content::kind::VIDEO => {
                    if let Some(ms) = file.duration_ms.filter(|ms| *ms > 0) {
                        body.insert("duration_ms".to_owned(), Value::from(ms));
                    }
                }
                _ => {}
            }
        }
        Ok(files)
    }

    /// A message of this conversation that `me` may read, or `not_found`.
    async fn visible_message(&self, me: &Member, id: ConversationId, seq: Seq) -> Result<Entry> {
        let entry = self.log.entry(id, seq).await?.filter(|e| visible(me, e.seq) && e.is_message());
        entry.ok_or(Error::NotFound("message"))
    }

    fn op_entry(
        &self,
        caller: &Principal,
        id: ConversationId,
        kind: &str,
        body: Value,
        target: Seq,
        client_msg_id: Option<String>,
    ) -> NewEntry {
        NewEntry {
            conversation: id,
            sender: caller.account.id,
            session: Some(caller.session.id),
            client_msg_id,
            kind: kind.to_owned(),
            body,
            target: Some(target),
            mentions: vec![],
            mention_all: false,
            reply_to: None,
            thread: None,
            forwarded_from: None,
            at_ms: self.deps.clock.now_ms(),
        }
    }

    async fn append(&self, append: Append) -> Result<Ack> {
        let (conversation, kind) = (append.entry.conversation, append.entry.kind.clone());
        let appended = self.log.append(append).await??;
        // A retried id that names another conversation or request is a client bug, not a retry.
        let entry = appended.entry();
        if entry.conversation != conversation || entry.kind != kind {
            return Err(Error::AlreadyExists("client_msg_id"));
        }
        Ok(appended.into())
    }

    /// The ack of an earlier append by this session with this `client_msg_id`, checked before
    /// anything else so that a retry gets its ack even if the rules changed since (the sender
    /// left, the peer blocked it). `kind` is the message kind (or an op); empty accepts any
    /// message kind (a forward copies the kind of its source).
    async fn replay(
        &self,
        caller: &Principal,
        id: ConversationId,
        kind: &str,
        client_msg_id: &str,
    ) -> Result<Option<Ack>> {
        let Some(entry) = self.log.entry_by_client_id(caller.session.id, client_msg_id).await? else {
            return Ok(None);
        };
        let same_request =
            entry.conversation == id && if kind.is_empty() { entry.is_message() } else { entry.kind == kind };
        if !same_request {
            return Err(Error::AlreadyExists("client_msg_id"));
        }
        Ok(Some(Ack { entry: Arc::new(entry), duplicate: true }))
    }

    /// A request refused by a rule may have been stored meanwhile by a copy of itself that
    /// raced ahead (the ack of which was lost): then the copy's ack is the answer.
    async fn or_replay(
        &self,
        outcome: Result<Ack>,
        caller: &Principal,
        id: ConversationId,
        kind: &str,
        client_msg_id: &str,
    ) -> Result<Ack> {
        match outcome {
            Err(refused @ (Error::Forbidden | Error::NotFound(_) | Error::InvalidField { .. })) => {
                Ok(self.replay(caller, id, kind, client_msg_id).await?.ok_or(refused)?)
            }
            other => other,
        }
    }

    async fn replay_op(
        &self,
        caller: &Principal,
        id: ConversationId,
        op_kind: &str,
        client_msg_id: Option<&str>,
    ) -> Result<Option<Ack>> {
        match client_msg_id {
            Some(client_msg_id) => self.replay(caller, id, op_kind, client_msg_id).await,
            None => Ok(None),
        }
    }
}

/// Only a bot sends a card with buttons or inputs: its actions go to the bot's app, and a
/// person's card would have nowhere to send them.
fn actions_are_apps(caller: &Principal, kind: &str, body: &Value) -> Result<()> {
    if kind != content::kind::CARD || caller.account.bot || !crate::cards::is_interactive(body) {
        return Ok(());
    }
    match crate::cards::actions_of(body) {
        Ok(actions) if !actions.is_empty() => {
            Err(Error::invalid("body.blocks", "only an app's bot sends a card with buttons or inputs"))
        }
        _ => Ok(()),
    }
}

/// May the author post in this conversation now? Returns its role.
fn may_post(p: &Precondition<'_>) -> Result<MemberRole> {
    let role = check_role(p, MemberRole::Member)?;
    peer_accepts(p)?;
    if p.conversation.kind == ConversationKind::Direct || role >= MemberRole::Admin {
        return Ok(role);
    }
    if p.conversation.kind == ConversationKind::Channel || p.conversation.mute_all {
        return Err(Error::Forbidden);
    }
    if p.author.and_then(|m| m.muted_until_ms).is_some_and(|until| until > p.now_ms) {
        return Err(Error::Forbidden);
    }
    Ok(role)
}

/// The root a thread reply names: a message the author can read, not itself a thread reply,
/// not recalled.
fn thread_root<'a>(p: &Precondition<'a>) -> Result<&'a Entry> {
    let readable = |root: &&Entry| {
        root.is_message()
            && root.thread.is_none()
            && root.recalled_at_ms.is_none()
            && p.author.is_some_and(|me| visible(me, root.seq))
    };
    p.root
        .filter(readable)
        .ok_or_else(|| Error::invalid("thread", "must be a message of this conversation that you can read"))
}

/// In a direct chat, the other member must take the author's messages: it does not block
/// the author, and the domain does not want them to be contacts first, or they are.
fn peer_accepts(p: &Precondition<'_>) -> Result<()> {
    match p.peer {
        Some(peer) if !peer.accepts() => Err(Error::Forbidden),
        _ => Ok(()),
    }
}

/// May the author pin (`on`) or unpin the target now? Either member of a direct chat that
/// still takes the author's messages; the owner and admins of a group or channel. The target
/// is a message the author can read that was not recalled; the count of pins is bounded.
fn may_pin(p: &Precondition<'_>, on: bool) -> Result<()> {
    let role = check_role(p, MemberRole::Member)?;
    if p.conversation.kind == ConversationKind::Direct {
        peer_accepts(p)?;
    } else if role < MemberRole::Admin {
        return Err(Error::Forbidden);
    }
    let target = live_target(p)?;
    if !p.author.is_some_and(|me| visible(me, target.seq)) {
        return Err(Error::NotFound("message"));
    }
    let pins = p.pins.unwrap_or_default();
    if on && pins.target_pinned {
        return Err(Error::AlreadyExists("pin"));
    }
    if on && pins.count >= PINS_PER_CONVERSATION_MAX {
        return Err(Error::LimitExceeded("this conversation has as many pinned messages as it may; unpin one first"));
    }
    if !on && !pins.target_pinned {
        return Err(Error::NotFound("pin"));
    }
    Ok(())
}

/// The target of an edit, recall or reaction: a message that is still there.
fn live_target<'a>(p: &'a Precondition<'_>) -> Result<&'a Entry> {
    let target = p.target.filter(|t| t.is_message()).ok_or(Error::NotFound("message"))?;
    if target.recalled_at_ms.is_some() {
        return Err(Error::NotFound("message"));
    }
    Ok(target)
}

fn client_msg_id(id: &str) -> Result<String> {
    if id.is_empty() {
        return Err(Error::invalid("client_msg_id", "must not be empty"));
    }
    if id.len() > CLIENT_MSG_ID_BYTES_MAX {
        return Err(Error::too_large("client_msg_id", CLIENT_MSG_ID_BYTES_MAX, Unit::Bytes));
    }
    if !id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b)) {
        return Err(Error::invalid("client_msg_id", "must be A-Z, a-z, 0-9, -, _, . and :"));
    }
    if id.starts_with(SERVER_CLIENT_MSG_ID_PREFIX) {
        return Err(Error::invalid("client_msg_id", "ids beginning with \"scheduled:\" are the server's"));
    }
    Ok(id.to_owned())
}

fn reaction(emoji: &str) -> Result<String> {
    if emoji.is_empty() || emoji.len() > REACTION_BYTES_MAX {
        return Err(Error::invalid("emoji", "must be 1-32 bytes"));
    }
    if emoji.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::invalid("emoji", "must not contain spaces or control characters"));
    }
    Ok(emoji.to_owned())
}

/// Table tests of the rules an append checks inside its transaction: each row is a state the
/// writer may find at commit and the answer the rule must give in it.
#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::chat::DirectPeer;
    use crate::chat::{Conversation, GroupInfo, Reaction};
    use crate::model::{Activity, DomainId, EntryId};

    const NOW: i64 = 1_000_000;

    fn conversation(kind: ConversationKind, dissolved: bool, mute_all: bool) -> Conversation {
        Conversation {
            id: ConversationId(1),
            domain_id: DomainId(1),
            kind,
            info: GroupInfo::default(),
            owner: None,
            mute_all,
            last_seq: Seq(10),
            activity: Activity(1),
            last_activity_ms: 0,
            member_count: 2,
            created_at_ms: 0,
            dissolved,
            pruned_through: Seq(0),
        }
    }

    fn member(role: MemberRole, active: bool, muted_until_ms: Option<i64>) -> Member {
        Member {
            conversation: ConversationId(1),
            account: AccountId(7),
            addr: AccountAddr::parse("author@acme.example").unwrap(),
            role,
            joined_seq: Seq(1),
            left_seq: if active { None } else { Some(Seq(5)) },
            muted_until_ms,
            read_seq: Seq(0),
            delivered_seq: Seq(0),
            pinned: false,
            muted: false,
            draft: None,
            marked_unread: false,
            unmute_at_ms: None,
            notify_level: None,
        }
    }

    fn entry(kind: &str, recalled: bool) -> Entry {
        Entry {
            conversation: ConversationId(1),
            seq: Seq(3),
            id: EntryId(3),
            sender: AccountId(7),
            sender_addr: AccountAddr::parse("author@acme.example").unwrap(),
            session: None,
            client_msg_id: None,
            kind: kind.to_owned(),
            body: if recalled { None } else { Some(json!({"text": "hi"})) },
            target: None,
            mentions: vec![],
            mention_all: false,
            reply_to: None,
            thread: None,
            broadcast: false,
            thread_summary: None,
            forwarded_from: None,
            at_ms: 0,
            edited_at_ms: None,
            recalled_at_ms: recalled.then_some(1),
            reactions: vec![Reaction { emoji: "+1".into(), accounts: vec![] }],
            hidden: false,
        }
    }

    /// An answer by its kind, for the tables.
    fn kind<T>(r: Result<T>) -> std::result::Result<T, &'static str> {
        r.map_err(|e| match e {
            Error::NotFound(_) => "not_found",
            Error::Forbidden => "forbidden",
            _ => "other",
        })
    }

    const PEER_OK: DirectPeer = DirectPeer { blocks_author: false, contacts: false, friendship_required: false };
    const BLOCKED: DirectPeer = DirectPeer { blocks_author: true, contacts: true, friendship_required: false };
    const STRANGER: DirectPeer = DirectPeer { blocks_author: false, contacts: false, friendship_required: true };
    const FRIEND: DirectPeer = DirectPeer { blocks_author: false, contacts: true, friendship_required: true };

    #[test]
    fn what_a_thread_reply_may_answer() {
        // (root: (kind, seq, in a thread already, recalled), author joined at, answer)
        type Row = (Option<(&'static str, i64, bool, bool)>, i64, &'static str);
        let rows: &[Row] = &[
            (Some(("text", 3, false, false)), 1, "ok"),
            (Some(("newer_kind", 3, false, false)), 3, "ok"),
            (Some(("text", 3, false, false)), 4, "invalid"),
            (Some(("text", 3, true, false)), 1, "invalid"),
            (Some(("text", 3, false, true)), 1, "invalid"),
            (Some(("system", 3, false, false)), 1, "invalid"),
            (Some(("reaction", 3, false, false)), 1, "invalid"),
            (None, 1, "invalid"),
        ];
        for (i, (root, joined, answer)) in rows.iter().enumerate() {
            let conversation = conversation(ConversationKind::Group, false, false);
            let mut author = member(MemberRole::Member, true, None);
            author.joined_seq = Seq(*joined);
            let root = root.map(|(kind, seq, threaded, recalled)| {
                let mut e = entry(kind, recalled);
                e.seq = Seq(seq);
                e.thread = threaded.then_some(Seq(1));
                e
            });
            let p = Precondition {
                conversation: &conversation,
                author: Some(&author),
                target: None,
                root: root.as_ref(),
                subjects: &[],
                peer: None,
                pins: None,
                now_ms: NOW,
            };
            let got = match thread_root(&p) {
                Ok(_) => "ok",
                Err(Error::InvalidField { field, .. }) if field == "thread" => "invalid",
                Err(_) => "other",
            };
            assert_eq!(got, *answer, "row {i}");
        }
    }

    #[test]
    fn who_may_post() {
        use ConversationKind::{Channel, Direct, Group};
        use MemberRole::{Admin, Member as Plain, Owner};
        let muted = Some(NOW + 1);
        let was_muted = Some(NOW);
        // (kind, dissolved, mute_all, author: (role, active, muted until), peer, answer)
        type Row = (
            ConversationKind,
            bool,
            bool,
            Option<(MemberRole, bool, Option<i64>)>,
            Option<DirectPeer>,
            std::result::Result<MemberRole, &'static str>,
        );
        let rows: &[Row] = &[
            (Group, false, false, Some((Plain, true, None)), None, Ok(Plain)),
            (Group, false, false, None, None, Err("not_found")),
            (Group, false, false, Some((Plain, false, None)), None, Err("not_found")),
            (Group, false, false, Some((Owner, false, None)), None, Err("not_found")),
            (Group, true, false, Some((Owner, true, None)), None, Err("not_found")),
            (Group, false, true, Some((Plain, true, None)), None, Err("forbidden")),
            (Group, false, true, Some((Admin, true, None)), None, Ok(Admin)),
            (Group, false, false, Some((Plain, true, muted)), None, Err("forbidden")),
            (Group, false, false, Some((Plain, true, was_muted)), None, Ok(Plain)),
            (Group, false, false, Some((Admin, true, muted)), None, Ok(Admin)),
            (Channel, false, false, Some((Plain, true, None)), None, Err("forbidden")),
            (Channel, false, false, Some((Admin, true, None)), None, Ok(Admin)),
            (Channel, false, false, Some((Owner, true, None)), None, Ok(Owner)),
            (Direct, false, false, Some((Plain, true, None)), Some(PEER_OK), Ok(Plain)),
            (Direct, false, false, Some((Plain, true, None)), None, Ok(Plain)),
            (Direct, false, false, Some((Plain, true, None)), Some(BLOCKED), Err("forbidden")),
            (Direct, false, false, Some((Plain, true, None)), Some(STRANGER), Err("forbidden")),
            (Direct, false, false, Some((Plain, true, None)), Some(FRIEND), Ok(Plain)),
            (Direct, false, true, Some((Plain, true, muted)), Some(PEER_OK), Ok(Plain)),
            (Direct, false, false, Some((Plain, false, None)), Some(PEER_OK), Err("not_found")),
        ];
        for (i, (kind_, dissolved, mute_all, author, peer, answer)) in rows.iter().enumerate() {
            let conversation = conversation(*kind_, *dissolved, *mute_all);
            let author = author.map(|(role, active, until)| member(role, active, until));
            let p = Precondition {
                conversation: &conversation,
                author: author.as_ref(),
                target: None,
                root: None,
                subjects: &[],
                peer: *peer,
                pins: None,
                now_ms: NOW,
            };
            assert_eq!(kind(may_post(&p)), *answer, "row {i}");
        }
    }

    #[test]
    fn which_roles_pass_check_role() {
        use MemberRole::{Admin, Member as Plain, Owner};
        let group = conversation(ConversationKind::Group, false, false);
        for (have, need, answer) in [
            (Plain, Plain, Ok(Plain)),
            (Plain, Admin, Err("forbidden")),
            (Admin, Admin, Ok(Admin)),
            (Admin, Owner, Err("forbidden")),
            (Owner, Admin, Ok(Owner)),
            (Owner, Owner, Ok(Owner)),
        ] {
            let author = member(have, true, None);
            let p = Precondition {
                conversation: &group,
                author: Some(&author),
                target: None,
                root: None,
                subjects: &[],
                peer: None,
                pins: None,
                now_ms: NOW,
            };
            assert_eq!(kind(check_role(&p, need)), answer, "{have:?} needing {need:?}");
        }
    }

    #[test]
    fn what_an_operation_may_target() {
        let group = conversation(ConversationKind::Group, false, false);
        for (target, answer) in [
            (Some(entry("text", false)), Ok(Seq(3))),
            (Some(entry("newer_kind", false)), Ok(Seq(3))),
            (Some(entry("text", true)), Err("not_found")),
            (Some(entry("system", false)), Err("not_found")),
            (Some(entry("reaction", false)), Err("not_found")),
            (Some(entry("edit", false)), Err("not_found")),
            (None, Err("not_found")),
        ] {
            let p = Precondition {
                conversation: &group,
                author: None,
                target: target.as_ref(),
                root: None,
                subjects: &[],
                peer: None,
                pins: None,
                now_ms: NOW,
            };
            assert_eq!(kind(live_target(&p).map(|t| t.seq)), answer, "{target:?}");
        }
    }

    #[test]
    fn who_may_pin_what() {
        use crate::chat::Pins;
        use ConversationKind::{Channel, Direct, Group};
        use MemberRole::{Admin, Member as Plain, Owner};
        let max = PINS_PER_CONVERSATION_MAX;
        let none = Pins { count: 0, target_pinned: false };
        let pinned = Pins { count: 1, target_pinned: true };
        let full = Pins { count: max, target_pinned: false };
        // (kind, author: (role, active), joined, peer, target: (kind, recalled), pins, on, answer)
        type Row = (
            ConversationKind,
            Option<(MemberRole, bool)>,
            i64,
            Option<DirectPeer>,
            Option<(&'static str, bool)>,
            Pins,
            bool,
            &'static str,
        );
        let rows: &[Row] = &[
            (Group, Some((Admin, true)), 1, None, Some(("text", false)), none, true, "ok"),
            (Group, Some((Owner, true)), 1, None, Some(("image", false)), none, true, "ok"),
            (Channel, Some((Admin, true)), 1, None, Some(("text", false)), none, true, "ok"),
            (Group, Some((Plain, true)), 1, None, Some(("text", false)), none, true, "forbidden"),
            (Channel, Some((Plain, true)), 1, None, Some(("text", false)), pinned, false, "forbidden"),
            (Group, Some((Admin, false)), 1, None, Some(("text", false)), none, true, "not_found"),
            (Group, None, 1, None, Some(("text", false)), none, true, "not_found"),
            (Direct, Some((Plain, true)), 0, Some(PEER_OK), Some(("text", false)), none, true, "ok"),
            (Direct, Some((Plain, true)), 0, Some(BLOCKED), Some(("text", false)), none, true, "forbidden"),
            (Group, Some((Admin, true)), 1, None, Some(("text", true)), none, true, "not_found"),
            (Group, Some((Admin, true)), 1, None, Some(("system", false)), none, true, "not_found"),
            (Group, Some((Admin, true)), 1, None, None, none, true, "not_found"),
            (Group, Some((Admin, true)), 4, None, Some(("text", false)), none, true, "not_found"),
            (Group, Some((Admin, true)), 1, None, Some(("text", false)), pinned, true, "already_exists"),
            (Group, Some((Admin, true)), 1, None, Some(("text", false)), full, true, "limit_exceeded"),
            (Group, Some((Admin, true)), 1, None, Some(("text", false)), full, false, "not_found"),
            (Group, Some((Admin, true)), 1, None, Some(("text", false)), pinned, false, "ok"),
            (Group, Some((Admin, true)), 1, None, Some(("text", false)), none, false, "not_found"),
        ];
        for (i, (kind_, author, joined, peer, target, pins, on, answer)) in rows.iter().enumerate() {
            let conversation = conversation(*kind_, false, false);
            let author = author.map(|(role, active)| Member { joined_seq: Seq(*joined), ..member(role, active, None) });
            let target = target.map(|(k, recalled)| entry(k, recalled));
            let p = Precondition {
                conversation: &conversation,
                author: author.as_ref(),
                target: target.as_ref(),
                root: None,
                subjects: &[],
                peer: *peer,
                pins: Some(*pins),
                now_ms: NOW,
            };
            let got = match may_pin(&p, *on) {
                Ok(()) => "ok",
                Err(Error::NotFound(_)) => "not_found",
                Err(Error::Forbidden) => "forbidden",
                Err(Error::AlreadyExists(_)) => "already_exists",
                Err(Error::LimitExceeded(_)) => "limit_exceeded",
                Err(_) => "other",
            };
            assert_eq!(got, *answer, "row {i}");
        }
    }

    #[test]
    fn whom_a_direct_peer_accepts() {
        let chat = conversation(ConversationKind::Direct, false, false);
        for (peer, answer) in [
            (None, Ok(())),
            (Some(PEER_OK), Ok(())),
            (Some(FRIEND), Ok(())),
            (Some(STRANGER), Err("forbidden")),
            (Some(BLOCKED), Err("forbidden")),
        ] {
            let p = Precondition {
                conversation: &chat,
                author: None,
                target: None,
                root: None,
                subjects: &[],
                peer,
                pins: None,
                now_ms: NOW,
            };
            assert_eq!(kind(peer_accepts(&p)), answer, "{peer:?}");
        }
    }
}
