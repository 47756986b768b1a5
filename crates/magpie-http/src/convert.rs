//! Core types to wire types. The only place where the two meet.

use magpie_core::chat;
use magpie_core::contacts::FriendRequest;
use magpie_core::messages::{Ack, SyncPage};
use magpie_core::model::{self, Account, Domain, Session, SessionId};
use magpie_core::presence::{PresenceInfo, Signal, Status};
use magpie_core::saved::SavedItem;
use magpie_core::scheduled::{FailureCode, ScheduledMessage};
use magpie_wire as wire;

pub fn role(r: model::Role) -> wire::Role {
    match r {
        model::Role::Member => wire::Role::Member,
        model::Role::DomainAdmin => wire::Role::DomainAdmin,
        model::Role::ServerAdmin => wire::Role::ServerAdmin,
    }
}

pub fn role_from_wire(r: wire::Role) -> model::Role {
    match r {
        wire::Role::Member => model::Role::Member,
        wire::Role::DomainAdmin => model::Role::DomainAdmin,
        wire::Role::ServerAdmin => model::Role::ServerAdmin,
    }
}

pub fn registration(m: model::RegistrationMode) -> wire::RegistrationMode {
    match m {
        model::RegistrationMode::Closed => wire::RegistrationMode::Closed,
        model::RegistrationMode::Open => wire::RegistrationMode::Open,
        model::RegistrationMode::Invitation => wire::RegistrationMode::Invitation,
        model::RegistrationMode::Approval => wire::RegistrationMode::Approval,
    }
}

pub fn invitation(i: &model::Invitation, created_by: Option<String>) -> wire::InvitationInfo {
    wire::InvitationInfo {
        id: i.id.0,
        note: i.note.clone(),
        uses: i.uses,
        uses_max: i.uses_max,
        expires_at_ms: i.expires_at_ms,
        created_at_ms: i.created_at_ms,
        created_by,
    }
}

pub fn registration_from_wire(m: wire::RegistrationMode) -> model::RegistrationMode {
    match m {
        wire::RegistrationMode::Closed => model::RegistrationMode::Closed,
        wire::RegistrationMode::Open => model::RegistrationMode::Open,
        wire::RegistrationMode::Invitation => model::RegistrationMode::Invitation,
        wire::RegistrationMode::Approval => model::RegistrationMode::Approval,
    }
}

pub fn revoke_reason(r: model::RevokeReason) -> wire::RevokeReason {
    match r {
        model::RevokeReason::Logout => wire::RevokeReason::Logout,
        model::RevokeReason::Revoked => wire::RevokeReason::Revoked,
        model::RevokeReason::PasswordChanged => wire::RevokeReason::PasswordChanged,
        model::RevokeReason::AccountDisabled => wire::RevokeReason::AccountDisabled,
        model::RevokeReason::Expired => wire::RevokeReason::Expired,
    }
}

pub fn profile(a: &Account) -> wire::Profile {
    let p = &a.profile;
    wire::Profile {
        account: a.addr.to_string(),
        display_name: p.display_name.clone(),
        avatar: p.avatar.clone(),
        signature: p.signature.clone(),
        email: p.email.clone(),
        phone: p.phone.clone(),
        bot: a.bot,
    }
}

pub fn me(a: &Account) -> wire::Me {
    wire::Me { profile: profile(a), role: role(a.role), created_at_ms: a.created_at_ms }
}

pub fn admin_account(a: &Account) -> wire::AdminAccount {
    wire::AdminAccount { profile: profile(a), role: role(a.role), disabled: a.disabled, created_at_ms: a.created_at_ms }
}

pub fn session(s: &Session, current: SessionId) -> wire::SessionInfo {
    wire::SessionInfo {
        id: s.id.0,
        device: s.device.clone(),
        ip: s.ip.clone(),
        created_at_ms: s.created_at_ms,
        last_seen_at_ms: s.last_seen_at_ms,
        expires_at_ms: s.expires_at_ms,
        current: s.id == current,
    }
}

pub fn domain(d: &Domain) -> wire::DomainInfo {
    wire::DomainInfo {
        name: d.name.to_string(),
        registration: registration(d.registration),
        direct_requires_friendship: d.direct_requires_friendship,
        email_verification: d.email_verification,
        email_domains: d.email_domains.clone(),
        members_invite: d.members_invite,
        members_make_bots: d.members_make_bots,
        created_at_ms: d.created_at_ms,
    }
}

pub fn name_match(m: magpie_core::directory::NameSource) -> wire::NameMatch {
    use magpie_core::directory::NameSource as S;
    match m {
        S::Name => wire::NameMatch::Name,
        S::Login => wire::NameMatch::Login,
        S::Pinyin => wire::NameMatch::Pinyin,
        S::Initials => wire::NameMatch::Initials,
        S::Email => wire::NameMatch::Email,
        S::Phone => wire::NameMatch::Phone,
    }
}

pub fn conversation_kind(k: chat::ConversationKind) -> wire::ConversationKind {
    match k {
        chat::ConversationKind::Direct => wire::ConversationKind::Direct,
        chat::ConversationKind::Group => wire::ConversationKind::Group,
        chat::ConversationKind::Channel => wire::ConversationKind::Channel,
    }
}

pub fn member_role(r: chat::MemberRole) -> wire::MemberRole {
    match r {
        chat::MemberRole::Member => wire::MemberRole::Member,
        chat::MemberRole::Admin => wire::MemberRole::Admin,
        chat::MemberRole::Owner => wire::MemberRole::Owner,
    }
}

pub fn member_role_from_wire(r: wire::MemberRole) -> chat::MemberRole {
    match r {
        wire::MemberRole::Member => chat::MemberRole::Member,
        wire::MemberRole::Admin => chat::MemberRole::Admin,
        wire::MemberRole::Owner => chat::MemberRole::Owner,
    }
}

pub fn summary(s: &chat::Summary) -> wire::Conversation {
    let c = &s.conversation;
    let m = &s.me;
    wire::Conversation {
        id: c.id.0,
        kind: conversation_kind(c.kind),
        peer: s.peer.as_ref().map(ToString::to_string),
        name: c.info.name.clone(),
        description: c.info.description.clone(),
        avatar: c.info.avatar.clone(),
        announcement: c.info.announcement.clone(),
        mute_all: c.mute_all,
        member_count: c.member_count,
        last_seq: c.last_seq.0,
        pruned_through: (c.pruned_through.0 > 0).then_some(c.pruned_through.0),
        activity: c.activity.0,
        last_activity_ms: c.last_activity_ms,
        created_at_ms: c.created_at_ms,
        me: wire::MyMembership {
            role: member_role(m.role),
            joined_seq: m.joined_seq.0,
            read_seq: m.read_seq.0,
            delivered_seq: m.delivered_seq.0,
            pinned: m.pinned,
            muted: m.muted,
            unmute_at_ms: m.unmute_at_ms,
            notify_level: m.notify_level.map(notify_level),
            draft: m.draft.clone(),
            muted_until_ms: m.muted_until_ms,
            marked_unread: m.marked_unread,
        },
        last_message: s.last_message.as_ref().map(entry),
        unread: s.unread,
        mentions: s.mentions,
    }
}

pub fn member(m: &chat::Member) -> wire::Member {
    wire::Member {
        account: m.addr.to_string(),
        role: member_role(m.role),
        joined_seq: m.joined_seq.0,
        read_seq: m.read_seq.0,
        delivered_seq: m.delivered_seq.0,
        muted_until_ms: m.muted_until_ms,
    }
}

pub fn entry(e: &chat::Entry) -> wire::Entry {
    wire::Entry {
        conversation: e.conversation.0,
        seq: e.seq.0,
        id: e.id.0,
        sender: e.sender_addr.to_string(),
        client_msg_id: e.client_msg_id.clone(),
        kind: e.kind.clone(),
        body: e.body.clone(),
        target: e.target.map(|t| t.0),
        mentions: e.mentions.iter().map(ToString::to_string).collect(),
        mention_all: e.mention_all,
        reply_to: e.reply_to.map(|r| r.0),
        thread: e.thread.map(|r| r.0),
        broadcast: e.broadcast,
        thread_summary: e.thread_summary.map(|t| wire::ThreadSummary {
            replies: t.replies,
            last_seq: t.last_seq.0,
            last_at_ms: t.last_at_ms,
        }),
        forwarded_from: e.forwarded_from.as_ref().map(|f| wire::ForwardedFrom {
            conversation: f.conversation.0,
            seq: f.seq.0,
            sender: f.sender.clone(),
            at_ms: f.at_ms,
        }),
        at_ms: e.at_ms,
        edited_at_ms: e.edited_at_ms,
        recalled_at_ms: e.recalled_at_ms,
        reactions: e
            .reactions
            .iter()
            .map(|r| wire::Reaction {
                emoji: r.emoji.clone(),
                accounts: r.accounts.iter().map(ToString::to_string).collect(),
            })
            .collect(),
        hidden: e.hidden,
    }
}

pub fn file_type_in(t: wire::FileType) -> magpie_core::content::FileType {
    use magpie_core::content::FileType as T;
    match t {
        wire::FileType::Image => T::Image,
        wire::FileType::Video => T::Video,
        wire::FileType::Audio => T::Audio,
        wire::FileType::Document => T::Document,
        wire::FileType::Spreadsheet => T::Spreadsheet,
        wire::FileType::Presentation => T::Presentation,
        wire::FileType::Archive => T::Archive,
        wire::FileType::Other => T::Other,
    }
}

pub fn file_type_out(t: magpie_core::content::FileType) -> wire::FileType {
    use magpie_core::content::FileType as T;
    match t {
        T::Image => wire::FileType::Image,
        T::Video => wire::FileType::Video,
        T::Audio => wire::FileType::Audio,
        T::Document => wire::FileType::Document,
        T::Spreadsheet => wire::FileType::Spreadsheet,
        T::Presentation => wire::FileType::Presentation,
        T::Archive => wire::FileType::Archive,
        T::Other => wire::FileType::Other,
    }
}

pub fn search_page(r: &magpie_core::search::Results) -> wire::SearchMessagesPage {
    let results = r
        .results
        .iter()
        .map(|f| wire::SearchResult {
            conversation: f.entry.conversation.0,
            seq: f.entry.seq.0,
            sender: f.entry.sender_addr.to_string(),
            at_ms: f.entry.at_ms,
            snippet: wire::Snippet {
                text: f.snippet.text.clone(),
                highlights: f
                    .snippet
                    .highlights
                    .iter()
                    .map(|(a, b)| [u32::try_from(*a).unwrap_or(u32::MAX), u32::try_from(*b).unwrap_or(u32::MAX)])
                    .collect(),
                cut_start: f.snippet.cut_start,
                cut_end: f.snippet.cut_end,
            },
            entry: entry(&f.entry),
            file_type: f.entry.body.as_ref().and_then(|body| {
                let types = magpie_core::content::file_types(&f.entry.kind, body);
                let asked = r.file_type.filter(|t| types.contains(t));
                asked.or(types.first().copied()).map(file_type_out)
            }),
        })
        .collect();
    wire::SearchMessagesPage { results, total: r.total, next: r.next.clone() }
}

pub fn thread(t: &chat::Thread) -> wire::Thread {
    wire::Thread {
        conversation: t.root.conversation.0,
        root: entry(&t.root),
        following: t.follow.following,
        read_seq: t.follow.read_seq.0,
        unread: t.unread,
    }
}

pub fn ack(a: &Ack) -> wire::Ack {
    wire::Ack {
        conversation: a.entry.conversation.0,
        seq: a.entry.seq.0,
        id: a.entry.id.0,
        at_ms: a.entry.at_ms,
        duplicate: a.duplicate,
    }
}

/// The ack of a server-made entry (a membership or group change).
pub fn link_preview(p: &magpie_core::previews::LinkPreview) -> wire::LinkPreview {
    let card = &p.card;
    wire::LinkPreview {
        url: p.url.clone(),
        title: card.title.clone(),
        description: card.description.clone(),
        site_name: card.site_name.clone(),
        image: card.image.as_ref().map(|i| wire::LinkPreviewImage {
            width: i.width,
            height: i.height,
            blurhash: i.blurhash.clone(),
        }),
        fetched_at_ms: p.fetched_at_ms,
    }
}

pub fn entry_ack(e: &chat::Entry) -> wire::Ack {
    wire::Ack { conversation: e.conversation.0, seq: e.seq.0, id: e.id.0, at_ms: e.at_ms, duplicate: false }
}

pub fn pins(pins: &[chat::Pin]) -> wire::PinList {
    let pin = |p: &chat::Pin| wire::Pin { entry: entry(&p.entry), pinned_by: p.by.to_string(), pinned_at_ms: p.at_ms };
    wire::PinList { pins: pins.iter().map(pin).collect() }
}

pub fn saved_item(s: &SavedItem) -> wire::SavedItem {
    wire::SavedItem {
        id: s.id.0,
        conversation: s.conversation.0,
        conversation_kind: conversation_kind(s.conversation_kind),
        conversation_name: s.conversation_name.clone(),
        peer: s.peer.as_ref().map(ToString::to_string),
        seq: s.seq.0,
        sender: s.sender.to_string(),
        kind: s.kind.clone(),
        body: s.body.clone(),
        at_ms: s.at_ms,
        note: s.note.clone(),
        saved_at_ms: s.saved_at_ms,
        recalled_at_ms: s.recalled_at_ms,
    }
}

pub fn scheduled_message(m: &ScheduledMessage) -> wire::ScheduledMessage {
    let failure = m.failure.as_ref().map(|f| wire::ScheduledFailure {
        code: failure_code(f.code),
        message: f.message.clone(),
        at_ms: f.at_ms,
    });
    wire::ScheduledMessage {
        id: m.id.0,
        conversation: m.conversation.0,
        kind: m.kind.clone(),
        body: m.body.clone(),
        mentions: m.mentions.clone(),
        mention_all: m.mention_all,
        reply_to: m.reply_to.map(|s| s.0),
        send_at_ms: m.send_at_ms,
        created_at_ms: m.created_at_ms,
        updated_at_ms: m.updated_at_ms,
        state: if failure.is_some() { wire::ScheduledState::Failed } else { wire::ScheduledState::Pending },
        failure,
    }
}

fn failure_code(c: FailureCode) -> wire::ErrorCode {
    match c {
        FailureCode::InvalidField => wire::ErrorCode::InvalidField,
        FailureCode::TooLarge => wire::ErrorCode::TooLarge,
        FailureCode::Forbidden => wire::ErrorCode::Forbidden,
        FailureCode::NotFound => wire::ErrorCode::NotFound,
        FailureCode::AlreadyExists => wire::ErrorCode::AlreadyExists,
        FailureCode::LimitExceeded => wire::ErrorCode::LimitExceeded,
        FailureCode::AccountDisabled => wire::ErrorCode::AccountDisabled,
        FailureCode::Internal => wire::ErrorCode::Internal,
    }
}

pub fn receipts(r: &chat::Receipts) -> wire::Receipts {
    let list = |v: &[magpie_core::names::AccountAddr]| v.iter().map(ToString::to_string).collect();
    wire::Receipts { read: list(&r.read), delivered: list(&r.delivered), unread: list(&r.unread) }
}

fn leave_reason(r: chat::LeaveReason) -> wire::LeaveReason {
    match r {
        chat::LeaveReason::Left => wire::LeaveReason::Left,
        chat::LeaveReason::Removed => wire::LeaveReason::Removed,
        chat::LeaveReason::Dissolved => wire::LeaveReason::Dissolved,
    }
}

pub fn account_event(e: &chat::LoggedEvent) -> wire::AccountEventFrame {
    use chat::AccountEvent as E;
    let event = match &e.event {
        E::ConversationJoined { conversation } => {
            wire::AccountEvent::ConversationJoined { conversation: conversation.0 }
        }
        E::ConversationLeft { conversation, reason } => {
            wire::AccountEvent::ConversationLeft { conversation: conversation.0, reason: leave_reason(*reason) }
        }
        E::Read { conversation, seq } => wire::AccountEvent::Read { conversation: conversation.0, seq: seq.0 },
        E::PeerRead { conversation, account, seq } => {
            wire::AccountEvent::PeerRead { conversation: conversation.0, account: account.clone(), seq: seq.0 }
        }
        E::PeerDelivered { conversation, account, seq } => {
            wire::AccountEvent::PeerDelivered { conversation: conversation.0, account: account.clone(), seq: seq.0 }
        }
        E::SettingsChanged { conversation, settings } => wire::AccountEvent::SettingsChanged {
            conversation: conversation.0,
            pinned: settings.pinned,
            muted: settings.muted,
            unmute_at_ms: settings.unmute_at_ms,
            notify_level: settings.notify_level.map(level_choice),
            draft: settings.draft.clone(),
            marked_unread: settings.marked_unread,
        },
        E::Hidden { conversation, seqs } => {
            wire::AccountEvent::Hidden { conversation: conversation.0, seqs: seqs.iter().map(|s| s.0).collect() }
        }
        E::FriendRequest { from, message } => {
            wire::AccountEvent::FriendRequest { from: from.clone(), message: message.clone() }
        }
        E::FriendRequestSent { to } => wire::AccountEvent::FriendRequestSent { to: to.clone() },
        E::FriendRequestClosed { account } => wire::AccountEvent::FriendRequestClosed { account: account.clone() },
        E::ContactAdded { account } => wire::AccountEvent::ContactAdded { account: account.clone() },
        E::ContactRemoved { account } => wire::AccountEvent::ContactRemoved { account: account.clone() },
        E::BlockChanged { account, blocked } => {
            wire::AccountEvent::BlockChanged { account: account.clone(), blocked: *blocked }
        }
        E::SavedChanged { id } => wire::AccountEvent::SavedChanged { id: id.0 },
        E::SavedRemoved { id } => wire::AccountEvent::SavedRemoved { id: id.0 },
        E::ThreadChanged { conversation, root, following, read_seq } => wire::AccountEvent::ThreadChanged {
            conversation: conversation.0,
            root: root.0,
            following: *following,
            read_seq: read_seq.0,
        },
        E::ScheduledChanged { id } => wire::AccountEvent::ScheduledChanged { id: id.0 },
        E::ScheduledRemoved { id } => wire::AccountEvent::ScheduledRemoved { id: id.0 },
        E::NotifyPrefsChanged => wire::AccountEvent::NotifyPrefsChanged,
        E::NotificationAdded { notification } => {
            wire::AccountEvent::NotificationAdded { notification: self::notification(notification) }
        }
        E::NotificationsRead { ids, up_to } => {
            wire::AccountEvent::NotificationsRead { ids: ids.clone(), up_to: *up_to }
        }
        E::NotificationsRemoved { ids } => wire::AccountEvent::NotificationsRemoved { ids: ids.clone() },
        E::ScheduledSent { id, conversation, seq } => {
            wire::AccountEvent::ScheduledSent { id: id.0, conversation: conversation.0, seq: seq.0 }
        }
    };
    wire::AccountEventFrame { seq: e.seq.0, at_ms: e.at_ms, event }
}

pub fn sync_page(p: &SyncPage) -> wire::SyncResponse {
    wire::SyncResponse {
        events: p.events.iter().map(account_event).collect(),
        events_head: p.events_head.0,
        conversations: p.conversations.iter().map(summary).collect(),
        conversations_cursor: p.conversations_cursor.0,
        more: p.more,
    }
}

pub fn profiles(accounts: &[Account]) -> wire::ProfileList {
    wire::ProfileList { accounts: accounts.iter().map(profile).collect() }
}

pub fn pending_requests(me: &Account, requests: &[FriendRequest]) -> wire::PendingRequestList {
    let one = |r: &FriendRequest| wire::PendingRequest {
        from: r.from.addr.to_string(),
        to: r.to.addr.to_string(),
        message: r.message.clone(),
        at_ms: r.at_ms,
    };
    wire::PendingRequestList {
        incoming: requests.iter().filter(|r| r.to.id == me.id).map(one).collect(),
        outgoing: requests.iter().filter(|r| r.from.id == me.id).map(one).collect(),
    }
}

pub fn presence(p: &PresenceInfo) -> wire::Presence {
    wire::Presence {
        account: p.account.to_string(),
        status: match p.status {
            Status::Online => wire::PresenceStatus::Online,
            Status::Away => wire::PresenceStatus::Away,
            Status::Busy => wire::PresenceStatus::Busy,
            Status::Offline => wire::PresenceStatus::Offline,
        },
        text: p.text.clone(),
        last_seen_ms: p.last_seen_ms,
    }
}

pub fn status_from_wire(s: wire::PresenceStatus) -> Status {
    match s {
        wire::PresenceStatus::Online => Status::Online,
        wire::PresenceStatus::Away => Status::Away,
        wire::PresenceStatus::Busy => Status::Busy,
        wire::PresenceStatus::Offline => Status::Offline,
    }
}

pub fn signal(s: &Signal) -> wire::Event {
    match s {
        Signal::Typing { conversation, account } => {
            wire::Event::Typing(wire::Typing { conversation: conversation.0, account: account.to_string() })
        }
        Signal::Presence(info) => wire::Event::Presence(presence(info)),
        Signal::Marks { conversation, members } => wire::Event::Marks(wire::Marks {
            conversation: conversation.0,
            members: members
                .iter()
                .map(|m| wire::MemberMarks {
                    account: m.account.to_string(),
                    read_seq: m.read_seq.0,
                    delivered_seq: m.delivered_seq.0,
                })
                .collect(),
        }),
    }
}

pub fn sticker_pack(p: &magpie_core::stickers::StickerPack) -> wire::StickerPackInfo {
    wire::StickerPackInfo {
        id: p.wire_id(),
        name: p.name.clone(),
        stickers: p
            .stickers
            .iter()
            .map(|s| wire::StickerInfo {
                id: s.file.to_string(),
                emoji: s.emoji.clone(),
                width: s.width,
                height: s.height,
            })
            .collect(),
    }
}

pub fn notify_level(level: magpie_core::notify::Level) -> wire::NotifyLevel {
    use magpie_core::notify::Level as L;
    match level {
        L::All => wire::NotifyLevel::All,
        L::Mentions => wire::NotifyLevel::Mentions,
        L::Nothing => wire::NotifyLevel::Nothing,
    }
}

pub fn level_choice(choice: magpie_core::notify::LevelChoice) -> wire::NotifyLevelChoice {
    use magpie_core::notify::LevelChoice as C;
    match choice {
        C::Default => wire::NotifyLevelChoice::Default,
        C::All => wire::NotifyLevelChoice::All,
        C::Mentions => wire::NotifyLevelChoice::Mentions,
        C::Nothing => wire::NotifyLevelChoice::Nothing,
    }
}

pub fn level_choice_from_wire(choice: wire::NotifyLevelChoice) -> magpie_core::notify::LevelChoice {
    use magpie_core::notify::LevelChoice as C;
    match choice {
        wire::NotifyLevelChoice::Default => C::Default,
        wire::NotifyLevelChoice::All => C::All,
        wire::NotifyLevelChoice::Mentions => C::Mentions,
        wire::NotifyLevelChoice::Nothing => C::Nothing,
    }
}

pub fn notify_prefs(p: &magpie_core::notify::NotifyPrefs) -> wire::NotificationPrefs {
    wire::NotificationPrefs {
        level: notify_level(p.level),
        quiet: p.quiet.map(|q| wire::QuietHours { from_min: q.from_min, to_min: q.to_min }),
        time_zone: p.time_zone.clone(),
        keywords: p.keywords.clone(),
        preview: p.preview,
        email_digest: p.email_digest,
        digest_after_mins: p.digest_after_mins,
        language: p.language.clone(),
    }
}

pub fn notify_prefs_from_wire(p: wire::NotificationPrefs) -> magpie_core::notify::NotifyPrefs {
    use magpie_core::notify::Level as L;
    magpie_core::notify::NotifyPrefs {
        level: match p.level {
            wire::NotifyLevel::All => L::All,
            wire::NotifyLevel::Mentions => L::Mentions,
            wire::NotifyLevel::Nothing => L::Nothing,
        },
        quiet: p.quiet.map(|q| magpie_core::notify::QuietHours { from_min: q.from_min, to_min: q.to_min }),
        time_zone: p.time_zone,
        keywords: p.keywords,
        preview: p.preview,
        email_digest: p.email_digest,
        digest_after_mins: p.digest_after_mins,
        language: p.language,
    }
}

pub fn notification(n: &magpie_core::inbox::Notification) -> wire::Notification {
    use magpie_core::inbox::NotificationKind as K;
    wire::Notification {
        id: n.id,
        kind: match n.kind {
            K::Mention => wire::NotificationKind::Mention,
            K::Reply => wire::NotificationKind::Reply,
            K::Reaction => wire::NotificationKind::Reaction,
            K::FriendRequest => wire::NotificationKind::FriendRequest,
            K::Application => wire::NotificationKind::Application,
            K::Announcement => wire::NotificationKind::Announcement,
            K::AppDisabled => wire::NotificationKind::AppDisabled,
        },
        at_ms: n.at_ms,
        read: n.read,
        actor: n.actor.clone(),
        actor_name: n.actor_name.clone(),
        conversation: n.conversation.map(|c| c.0),
        conversation_name: n.conversation_name.clone(),
        direct: n.direct,
        seq: n.seq.map(|s| s.0),
        thread: n.thread.map(|s| s.0),
        emoji: n.emoji.clone(),
        text: n.text.clone(),
    }
}

#[cfg(test)]
mod tests {
    use magpie_core::notice::{ForwardBody, ForwardedMessage, Notice};

    use super::wire;

    /// The core writes the bodies of system notices and merged forwards; clients read them with
    /// the wire's types. Every form the core writes reads as the wire's, and writes back the same.
    #[test]
    fn the_wire_reads_every_body_the_core_writes() {
        for notice in Notice::samples() {
            let body = notice.body();
            let read: wire::SystemNotice =
                serde_json::from_value(body.clone()).unwrap_or_else(|e| panic!("{body} does not read: {e}"));
            assert_eq!(serde_json::to_value(&read).ok(), Some(body));
        }
        let forward = ForwardBody {
            conversation: 12,
            messages: vec![ForwardedMessage {
                sender: "bob@localhost".into(),
                kind: "text".into(),
                body: Some(serde_json::json!({"text": "hi"})),
                at_ms: 1,
            }],
        };
        let body = forward.body();
        let read: wire::ForwardBody = serde_json::from_value(body.clone()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(serde_json::to_value(&read).ok(), Some(body));
    }
}
