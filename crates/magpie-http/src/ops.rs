//! Conversation and message operations, shared by the REST handlers and the WebSocket
//! dispatcher: wire request in, core call, wire answer out. Each transport only extracts.

use magpie_core::chat::{ConversationKind, MemberSettingsPatch, Page, SharedKind};
use magpie_core::contacts::RequestOutcome;
use magpie_core::conversations::{GroupRequest, GroupUpdate};
use magpie_core::messages::Outgoing;
use magpie_core::model::{Activity, ConversationId, EventSeq, Principal, SavedId, ScheduledId, Seq};
use magpie_core::scheduled::{Draft, DraftPatch};
use magpie_core::{Core, Error, Result};
use magpie_wire as wire;

use crate::convert;

/// Page length when a list request names none.
const PAGE_LEN_DEFAULT: usize = 50;

/// The page length a request's `limit` asks for: the default when it names none, 1 for zero
/// or less. The core clamps it to its setting's maximum.
pub fn page_len(limit: Option<i64>) -> usize {
    page_len_or(limit, PAGE_LEN_DEFAULT)
}

fn page_len_or(limit: Option<i64>, default: usize) -> usize {
    limit.map_or(default, |limit| usize::try_from(limit).unwrap_or(0).max(1))
}

pub async fn create_conversation(
    core: &Core,
    p: &Principal,
    req: wire::CreateConversationRequest,
) -> Result<wire::Conversation> {
    let summary = match req {
        wire::CreateConversationRequest::Direct { peer } => core.conversations.open_direct(p, &peer).await?,
        wire::CreateConversationRequest::Group(spec) => {
            core.conversations.create_group(p, ConversationKind::Group, group_request(spec)).await?
        }
        wire::CreateConversationRequest::Channel(spec) => {
            core.conversations.create_group(p, ConversationKind::Channel, group_request(spec)).await?
        }
    };
    Ok(convert::summary(&summary))
}

fn group_request(spec: wire::GroupSpec) -> GroupRequest {
    GroupRequest {
        name: spec.name,
        description: spec.description,
        avatar: spec.avatar,
        announcement: spec.announcement,
        members: spec.members,
    }
}

pub async fn get_conversation(core: &Core, p: &Principal, id: i64) -> Result<wire::Conversation> {
    Ok(convert::summary(&core.conversations.summary(p, ConversationId(id)).await?))
}

pub async fn list_conversations(
    core: &Core,
    p: &Principal,
    q: wire::ListConversations,
) -> Result<wire::ConversationList> {
    let list = core.messages.list(p, q.before.map(Activity), page_len(q.limit)).await?;
    Ok(wire::ConversationList { conversations: list.iter().map(convert::summary).collect() })
}

pub async fn list_members(core: &Core, p: &Principal, id: i64) -> Result<wire::MemberList> {
    let members = core.conversations.members(p, ConversationId(id)).await?;
    Ok(wire::MemberList { members: members.iter().map(convert::member).collect() })
}

pub async fn add_members(core: &Core, p: &Principal, id: i64, req: wire::MembersRequest) -> Result<wire::Ack> {
    Ok(convert::entry_ack(&core.conversations.add_members(p, ConversationId(id), &req.members).await?))
}

pub async fn remove_members(core: &Core, p: &Principal, id: i64, req: wire::MembersRequest) -> Result<wire::Ack> {
    Ok(convert::entry_ack(&core.conversations.remove_members(p, ConversationId(id), &req.members).await?))
}

pub async fn leave(core: &Core, p: &Principal, id: i64) -> Result<wire::Ack> {
    Ok(convert::entry_ack(&core.conversations.leave(p, ConversationId(id)).await?))
}

/// Changes group info and mute-all, as one entry.
pub async fn update_group(core: &Core, p: &Principal, id: i64, req: wire::UpdateGroupRequest) -> Result<wire::Ack> {
    let update = GroupUpdate {
        name: req.name,
        description: req.description,
        avatar: req.avatar,
        announcement: req.announcement,
        mute_all: req.mute_all,
    };
    Ok(convert::entry_ack(&core.conversations.update_group(p, ConversationId(id), update).await?))
}

pub async fn set_role(core: &Core, p: &Principal, id: i64, member: &str, role: wire::MemberRole) -> Result<wire::Ack> {
    let role = convert::member_role_from_wire(role);
    Ok(convert::entry_ack(&core.conversations.set_role(p, ConversationId(id), member, role).await?))
}

pub async fn transfer_ownership(core: &Core, p: &Principal, id: i64, member: &str) -> Result<wire::Ack> {
    Ok(convert::entry_ack(&core.conversations.transfer_ownership(p, ConversationId(id), member).await?))
}

pub async fn mute_member(
    core: &Core,
    p: &Principal,
    id: i64,
    member: &str,
    until_ms: Option<i64>,
) -> Result<wire::Ack> {
    Ok(convert::entry_ack(&core.conversations.mute_member(p, ConversationId(id), member, until_ms).await?))
}

pub async fn dissolve(core: &Core, p: &Principal, id: i64) -> Result<wire::Ack> {
    Ok(convert::entry_ack(&core.conversations.dissolve(p, ConversationId(id)).await?))
}

pub async fn update_settings(
    core: &Core,
    p: &Principal,
    id: i64,
    req: wire::SettingsRequest,
) -> Result<wire::Conversation> {
    let patch = MemberSettingsPatch {
        pinned: req.pinned,
        muted: req.muted,
        unmute_at_ms: req.unmute_at_ms,
        notify_level: req.notify_level.map(convert::level_choice_from_wire),
        draft: req.draft,
        marked_unread: req.marked_unread,
    };
    let id = ConversationId(id);
    core.conversations.update_settings(p, id, patch).await?;
    Ok(convert::summary(&core.conversations.summary(p, id).await?))
}

pub async fn send(core: &Core, p: &Principal, id: i64, req: wire::SendRequest) -> Result<wire::Ack> {
    let msg = Outgoing {
        client_msg_id: req.client_msg_id,
        kind: req.kind,
        body: req.body,
        mentions: req.mentions,
        mention_all: req.mention_all,
        reply_to: req.reply_to.map(Seq),
        thread: req.thread.map(Seq),
        broadcast: req.broadcast,
    };
    Ok(convert::ack(&core.messages.send(p, ConversationId(id), msg).await?))
}

pub async fn forward(core: &Core, p: &Principal, id: i64, req: wire::ForwardRequest) -> Result<wire::Ack> {
    let seqs: Vec<Seq> = req.seqs.into_iter().map(Seq).collect();
    let ack = core.messages.forward(p, ConversationId(id), ConversationId(req.from), &seqs, &req.client_msg_id).await?;
    Ok(convert::ack(&ack))
}

pub async fn edit(core: &Core, p: &Principal, id: i64, seq: i64, req: wire::EditRequest) -> Result<wire::Ack> {
    let ack = core.messages.edit(p, ConversationId(id), Seq(seq), req.body, req.client_msg_id.as_deref()).await?;
    Ok(convert::ack(&ack))
}

pub async fn recall(core: &Core, p: &Principal, id: i64, seq: i64, req: wire::RecallRequest) -> Result<wire::Ack> {
    let ack = core.messages.recall(p, ConversationId(id), Seq(seq), req.client_msg_id.as_deref()).await?;
    Ok(convert::ack(&ack))
}

pub async fn react(core: &Core, p: &Principal, id: i64, seq: i64, req: wire::ReactRequest) -> Result<wire::Ack> {
    let ack =
        core.messages.react(p, ConversationId(id), Seq(seq), &req.emoji, req.on, req.client_msg_id.as_deref()).await?;
    Ok(convert::ack(&ack))
}

/// A member presses a button of an app's interactive card (see [`magpie_core::cards`]).
pub async fn card_action(
    core: &Core,
    p: &Principal,
    id: i64,
    seq: i64,
    req: wire::CardActionRequest,
) -> Result<wire::CardActionResult> {
    let request = magpie_core::cards::ActionRequest { action: req.action, inputs: req.inputs };
    let outcome = core.cards.act(p, ConversationId(id), Seq(seq), request).await?;
    Ok(wire::CardActionResult { updated_seq: outcome.updated.map(|s| s.0), toast: outcome.toast })
}

pub async fn hide(core: &Core, p: &Principal, id: i64, req: wire::HideRequest) -> Result<()> {
    core.messages.hide(p, ConversationId(id), req.seqs.into_iter().map(Seq).collect()).await
}

/// Pins (`on`) or unpins a message for every member.
pub async fn pin(core: &Core, p: &Principal, id: i64, seq: i64, on: bool) -> Result<wire::Ack> {
    Ok(convert::entry_ack(&core.messages.pin(p, ConversationId(id), Seq(seq), on).await?))
}

pub async fn list_pins(core: &Core, p: &Principal, id: i64) -> Result<wire::PinList> {
    Ok(convert::pins(&core.messages.pins(p, ConversationId(id)).await?))
}

pub async fn save_message(core: &Core, p: &Principal, req: wire::SaveRequest) -> Result<wire::SavedItem> {
    let id = ConversationId(req.conversation);
    let (item, _) = core.saved.save(p, id, Seq(req.seq), req.note.as_deref()).await?;
    Ok(convert::saved_item(&item))
}

pub async fn list_saved(core: &Core, p: &Principal, q: wire::SavedQuery) -> Result<wire::SavedPage> {
    let (items, more) = core.saved.list(p, q.before.map(SavedId), page_len(q.limit)).await?;
    Ok(wire::SavedPage { items: items.iter().map(convert::saved_item).collect(), more })
}

pub async fn list_notifications(
    core: &Core,
    p: &Principal,
    q: wire::NotificationsQuery,
) -> Result<wire::NotificationPage> {
    let limit = page_len(q.limit);
    let (items, more, unread) = core.inbox.list(p, q.before, limit, q.unread_only.unwrap_or(false)).await?;
    Ok(wire::NotificationPage { items: items.iter().map(convert::notification).collect(), more, unread })
}

pub async fn read_notifications(
    core: &Core,
    p: &Principal,
    req: wire::ReadNotificationsRequest,
) -> Result<wire::NotificationsUnread> {
    use magpie_core::inbox::ReadItems;
    let items = match (req.ids, req.up_to) {
        (Some(ids), None) => ReadItems::Ids(ids),
        (None, Some(up_to)) => ReadItems::UpTo(up_to),
        _ => return Err(Error::invalid("ids", "give either ids or up_to")),
    };
    Ok(wire::NotificationsUnread { unread: core.inbox.read(p, items).await? })
}

pub async fn get_saved(core: &Core, p: &Principal, id: i64) -> Result<wire::SavedItem> {
    Ok(convert::saved_item(&core.saved.get(p, SavedId(id)).await?))
}

pub async fn update_saved(
    core: &Core,
    p: &Principal,
    id: i64,
    req: wire::UpdateSavedRequest,
) -> Result<wire::SavedItem> {
    Ok(convert::saved_item(&core.saved.set_note(p, SavedId(id), req.note.as_deref()).await?))
}

pub async fn remove_saved(core: &Core, p: &Principal, id: i64) -> Result<()> {
    core.saved.remove(p, SavedId(id)).await
}

pub async fn schedule_message(
    core: &Core,
    p: &Principal,
    id: i64,
    req: wire::ScheduleRequest,
) -> Result<wire::ScheduledMessage> {
    let draft = Draft {
        kind: req.kind,
        body: req.body,
        mentions: req.mentions,
        mention_all: req.mention_all,
        reply_to: req.reply_to.map(Seq),
    };
    let scheduled = core.scheduled.schedule(p, ConversationId(id), draft, req.send_at_ms).await?;
    Ok(convert::scheduled_message(&scheduled))
}

/// The caller's scheduled messages: one conversation's, or all.
pub async fn list_scheduled(core: &Core, p: &Principal, conversation: Option<i64>) -> Result<wire::ScheduledList> {
    let list = core.scheduled.list(p, conversation.map(ConversationId)).await?;
    Ok(wire::ScheduledList { scheduled: list.iter().map(convert::scheduled_message).collect() })
}

pub async fn get_scheduled(core: &Core, p: &Principal, id: i64) -> Result<wire::ScheduledMessage> {
    Ok(convert::scheduled_message(&core.scheduled.get(p, ScheduledId(id)).await?))
}

pub async fn update_scheduled(
    core: &Core,
    p: &Principal,
    id: i64,
    req: wire::UpdateScheduledRequest,
) -> Result<wire::ScheduledMessage> {
    let patch =
        DraftPatch { send_at_ms: req.send_at_ms, body: req.body, mentions: req.mentions, mention_all: req.mention_all };
    Ok(convert::scheduled_message(&core.scheduled.edit(p, ScheduledId(id), patch).await?))
}

pub async fn cancel_scheduled(core: &Core, p: &Principal, id: i64) -> Result<()> {
    core.scheduled.cancel(p, ScheduledId(id)).await
}

pub async fn send_scheduled(core: &Core, p: &Principal, id: i64) -> Result<wire::Ack> {
    Ok(convert::ack(&core.scheduled.send_now(p, ScheduledId(id)).await?))
}

pub async fn get_messages(core: &Core, p: &Principal, id: i64, q: wire::HistoryQuery) -> Result<wire::EntryPage> {
    let page = history_page(&q)?;
    let id = ConversationId(id);
    let (entries, last_seq) = core.messages.history(p, id, page, page_len(q.limit)).await?;
    Ok(wire::EntryPage { entries: entries.iter().map(convert::entry).collect(), last_seq: last_seq.0 })
}

/// Which page a history query asks for: after a seq, before one, or the newest.
fn history_page(q: &wire::HistoryQuery) -> Result<Page> {
    match (q.after, q.before) {
        (Some(_), Some(_)) => Err(Error::invalid("before", "give after or before, not both")),
        (Some(after), None) => Ok(Page::After(Seq(after))),
        (None, Some(before)) => Ok(Page::Before(Seq(before))),
        (None, None) => Ok(Page::Before(Seq(i64::MAX))),
    }
}

pub async fn get_thread(
    core: &Core,
    p: &Principal,
    id: i64,
    root: i64,
    q: wire::HistoryQuery,
) -> Result<wire::ThreadPage> {
    let page = history_page(&q)?;
    let page = core.threads.page(p, ConversationId(id), Seq(root), page, page_len(q.limit)).await?;
    Ok(wire::ThreadPage {
        root: convert::entry(&page.root),
        entries: page.entries.iter().map(convert::entry).collect(),
        following: page.follow.following,
        read_seq: page.follow.read_seq.0,
    })
}

pub async fn update_thread(
    core: &Core,
    p: &Principal,
    id: i64,
    root: i64,
    req: wire::UpdateThreadRequest,
) -> Result<wire::Thread> {
    let thread = core.threads.update(p, ConversationId(id), Seq(root), req.following, req.read_seq.map(Seq)).await?;
    Ok(convert::thread(&thread))
}

/// A name search's page size, as the request gives it.
fn name_limit(limit: Option<i64>) -> Result<Option<usize>> {
    limit.map(|l| usize::try_from(l).map_err(|_| Error::invalid("limit", "must be 1 to 100"))).transpose()
}

pub async fn search_people(core: &Core, p: &Principal, q: wire::SearchNamesQuery) -> Result<wire::PeopleFound> {
    let found = core.directory.people(p, &q.q, name_limit(q.limit)?).await?;
    let results = found
        .iter()
        .map(|f| wire::PersonFound { profile: convert::profile(&f.account), matched: convert::name_match(f.matched) })
        .collect();
    Ok(wire::PeopleFound { results })
}

pub async fn search_groups(core: &Core, p: &Principal, q: wire::SearchNamesQuery) -> Result<wire::GroupsFound> {
    let found = core.directory.groups(p, &q.q, name_limit(q.limit)?).await?;
    let results = found
        .into_iter()
        .map(|f| wire::GroupFound {
            conversation: f.conversation.0,
            kind: convert::conversation_kind(f.kind),
            title: f.title,
            matched: convert::name_match(f.matched),
        })
        .collect();
    Ok(wire::GroupsFound { results })
}

pub async fn search_messages(
    core: &Core,
    p: &Principal,
    q: wire::SearchMessagesQuery,
) -> Result<wire::SearchMessagesPage> {
    use magpie_core::search::{Has, SearchFilters};
    let has = q.has.map(|h| match h {
        wire::SharedKind::File => Has::File,
        wire::SharedKind::Image => Has::Image,
        wire::SharedKind::Link => Has::Link,
    });
    let filters = SearchFilters {
        conversation: q.conversation.map(ConversationId),
        sender: q.sender,
        after_ms: q.after_ms,
        before_ms: q.before_ms,
        has,
        mentions_me: q.mentions_me.unwrap_or(false),
        kind: q.kind,
        files: None,
    };
    let query = search_query(q.q, filters, q.order, q.limit, q.cursor)?;
    let found = core.search.search(p, query).await?;
    Ok(convert::search_page(&found))
}

pub async fn search_files(core: &Core, p: &Principal, q: wire::SearchFilesQuery) -> Result<wire::SearchMessagesPage> {
    use magpie_core::search::SearchFilters;
    let filters = SearchFilters {
        conversation: q.conversation.map(ConversationId),
        sender: q.sender,
        after_ms: q.after_ms,
        before_ms: q.before_ms,
        ..SearchFilters::default()
    };
    let query = search_query(q.q, filters, q.order, q.limit, q.cursor)?;
    let found = core.search.search_files(p, query, q.file_type.map(convert::file_type_in)).await?;
    Ok(convert::search_page(&found))
}

/// A search's query from its request's parts.
fn search_query(
    q: String,
    filters: magpie_core::search::SearchFilters,
    order: Option<wire::SearchOrder>,
    limit: Option<i64>,
    cursor: Option<String>,
) -> Result<magpie_core::search::SearchQuery> {
    use magpie_core::search::{SearchOrder, SearchQuery};
    let order = match order.unwrap_or_default() {
        wire::SearchOrder::Relevance => SearchOrder::Relevance,
        wire::SearchOrder::Newest => SearchOrder::Newest,
    };
    let limit =
        limit.map(|l| usize::try_from(l).map_err(|_| Error::invalid("limit", "must be 1 to 100"))).transpose()?;
    Ok(SearchQuery { query: q, filters, order, limit, cursor })
}

pub async fn list_threads(core: &Core, p: &Principal, q: wire::ThreadsQuery) -> Result<wire::ThreadList> {
    let limit = q.limit.map(|l| usize::try_from(l).unwrap_or(0));
    let threads = core.threads.list(p, q.conversation.map(ConversationId), limit).await?;
    Ok(wire::ThreadList { threads: threads.iter().map(convert::thread).collect() })
}

pub async fn shared(core: &Core, p: &Principal, id: i64, q: wire::SharedQuery) -> Result<wire::SharedPage> {
    let kind = match q.kind {
        wire::SharedKind::Image => SharedKind::Image,
        wire::SharedKind::File => SharedKind::File,
        wire::SharedKind::Link => SharedKind::Link,
    };
    let limit = page_len(q.limit).min(core.settings.history_page_len_max.max(1));
    let entries = core.messages.shared(p, ConversationId(id), kind, q.before.map(Seq), limit).await?;
    let next_before = entries.last().filter(|_| entries.len() >= limit).map(|e| e.seq.0);
    Ok(wire::SharedPage { entries: entries.iter().map(convert::entry).collect(), next_before })
}

pub async fn link_preview(core: &Core, p: &Principal, q: wire::LinkPreviewQuery) -> Result<wire::LinkPreview> {
    Ok(convert::link_preview(&core.previews.preview(p, &q.url).await?))
}

pub async fn mark_read(core: &Core, p: &Principal, id: i64, req: wire::MarkRequest) -> Result<wire::Conversation> {
    let id = ConversationId(id);
    core.messages.mark_read(p, id, Seq(req.seq)).await?;
    Ok(convert::summary(&core.conversations.summary(p, id).await?))
}

pub async fn mark_delivered(core: &Core, p: &Principal, id: i64, req: wire::MarkRequest) -> Result<wire::Conversation> {
    let id = ConversationId(id);
    core.messages.mark_delivered(p, id, Seq(req.seq)).await?;
    Ok(convert::summary(&core.conversations.summary(p, id).await?))
}

pub async fn get_receipts(core: &Core, p: &Principal, id: i64, seq: i64) -> Result<wire::Receipts> {
    Ok(convert::receipts(&core.messages.receipts(p, ConversationId(id), Seq(seq)).await?))
}

pub async fn sync(core: &Core, p: &Principal, req: wire::SyncRequest) -> Result<wire::SyncResponse> {
    let page = core
        .messages
        .sync(
            p,
            EventSeq(req.events_after),
            Activity(req.conversations_after),
            page_len_or(req.limit, core.settings.sync_page_len_max),
        )
        .await?;
    Ok(convert::sync_page(&page))
}

pub async fn list_contacts(core: &Core, p: &Principal) -> Result<wire::ProfileList> {
    Ok(convert::profiles(&core.contacts.list(p).await?))
}

pub async fn list_friend_requests(core: &Core, p: &Principal) -> Result<wire::PendingRequestList> {
    Ok(convert::pending_requests(&p.account, &core.contacts.requests(p).await?))
}

pub async fn send_friend_request(
    core: &Core,
    p: &Principal,
    req: wire::FriendRequestRequest,
) -> Result<wire::FriendRequestAnswer> {
    let status = match core.contacts.request(p, &req.account, req.message.as_deref()).await? {
        RequestOutcome::Requested => wire::FriendRequestStatus::Requested,
        RequestOutcome::Added => wire::FriendRequestStatus::Added,
    };
    Ok(wire::FriendRequestAnswer { status })
}

pub async fn list_blocked(core: &Core, p: &Principal) -> Result<wire::ProfileList> {
    Ok(convert::profiles(&core.contacts.blocked(p).await?))
}

pub async fn set_presence(core: &Core, p: &Principal, req: wire::SetPresenceRequest) -> Result<wire::Presence> {
    let info = core.presence.set(p, convert::status_from_wire(req.status), req.text.as_deref()).await?;
    Ok(convert::presence(&info))
}

pub async fn get_presence(core: &Core, p: &Principal, accounts: &[String]) -> Result<wire::PresenceList> {
    let list = core.presence.get(p, accounts).await?;
    Ok(wire::PresenceList { presence: list.iter().map(convert::presence).collect() })
}

pub async fn list_stickers(core: &Core, p: &Principal) -> Result<wire::StickerPackList> {
    Ok(wire::StickerPackList { packs: core.stickers.packs(p).await?.iter().map(convert::sticker_pack).collect() })
}

/// A department as the wire shows it.
fn department_out(n: &magpie_core::org::TreeNode) -> wire::Department {
    let d = &n.department;
    wire::Department {
        id: d.id.0,
        parent: d.parent.map(|p| p.0),
        name: d.name.clone(),
        position: d.position,
        manager: n.manager.as_ref().map(ToString::to_string),
        member_count: d.member_count,
        total_count: n.total_count,
        chat: d.chat.map(|c| c.0),
    }
}

pub fn tree(nodes: &[magpie_core::org::TreeNode]) -> wire::DepartmentTree {
    wire::DepartmentTree { departments: nodes.iter().map(department_out).collect() }
}

pub async fn department(core: &Core, d: &magpie_core::org::Department) -> Result<wire::Department> {
    Ok(department_out(&core.org.node_of(d).await?))
}

fn path_out(path: &[(magpie_core::org::DepartmentId, String)]) -> Vec<wire::PathStep> {
    path.iter().map(|(id, name)| wire::PathStep { id: id.0, name: name.clone() }).collect()
}

pub async fn department_tree(core: &Core, p: &Principal) -> Result<wire::DepartmentTree> {
    Ok(tree(&core.org.tree(p).await?))
}

pub async fn department_members(
    core: &Core,
    p: &Principal,
    req: wire::DepartmentMembersRequest,
) -> Result<wire::DepartmentMembers> {
    let limit =
        req.limit.map(|l| usize::try_from(l).map_err(|_| Error::invalid("limit", "must be 1 to 200"))).transpose()?;
    let id = magpie_core::org::DepartmentId(req.department);
    let members = core.org.members(p, id, req.after.as_deref(), limit).await?;
    let members = members
        .iter()
        .map(|m| wire::DepartmentMember { profile: convert::profile(&m.account), title: m.title.clone() })
        .collect();
    Ok(wire::DepartmentMembers { members })
}

pub async fn placements(core: &Core, p: &Principal, account: &str) -> Result<wire::Placements> {
    let placements = core.org.placements(p, account).await?;
    let departments = placements
        .iter()
        .map(|pl| wire::Placement {
            department: pl.department.id.0,
            path: path_out(&pl.path),
            title: pl.title.clone(),
            manager: pl.manager.as_ref().map(ToString::to_string),
        })
        .collect();
    let manager = core.org.manager_of(p, account).await?.map(|m| m.to_string());
    Ok(wire::Placements { departments, manager })
}

pub async fn search_departments(
    core: &Core,
    p: &Principal,
    q: wire::SearchNamesQuery,
) -> Result<wire::DepartmentsFound> {
    let found = core.org.find(p, &q.q, name_limit(q.limit)?).await?;
    let results = found
        .iter()
        .map(|f| wire::DepartmentFound {
            department: f.department.id.0,
            path: path_out(&f.path),
            matched: convert::name_match(f.matched),
        })
        .collect();
    Ok(wire::DepartmentsFound { results })
}

/// An account's address by its id, if it still exists.
pub async fn addr_of(core: &Core, account: Option<magpie_core::model::AccountId>) -> Result<Option<String>> {
    Ok(match account {
        Some(id) => core.accounts.address_of(id).await?.map(|a| a.to_string()),
        None => None,
    })
}
