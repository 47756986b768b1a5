//! Conversations and messages over REST (apps and bots) and over the WebSocket (live clients).

use magpie_wire::{self as wire, Request};
use reqwest::Method;
use serde_json::{Value, json};

use crate::live::Connection;
use crate::rest::{Client, Result, encode};

const NO_BODY: Option<&()> = None;

impl Client {
    /// Opens (or finds) the direct chat with `peer`.
    pub async fn open_direct(&self, peer: &str) -> Result<wire::Conversation> {
        self.create_conversation(&wire::CreateConversationRequest::Direct { peer: peer.to_owned() }).await
    }

    pub async fn create_conversation(&self, req: &wire::CreateConversationRequest) -> Result<wire::Conversation> {
        self.call(Method::POST, "/v1/conversations", Some(req)).await
    }

    pub async fn conversation(&self, id: i64) -> Result<wire::Conversation> {
        self.call(Method::GET, &format!("/v1/conversations/{id}"), NO_BODY).await
    }

    pub async fn conversations(&self, before: Option<i64>, limit: Option<i64>) -> Result<Vec<wire::Conversation>> {
        let mut path = "/v1/conversations?".to_owned();
        if let Some(b) = before {
            path.push_str(&format!("before={b}&"));
        }
        if let Some(l) = limit {
            path.push_str(&format!("limit={l}"));
        }
        self.call::<(), wire::ConversationList>(Method::GET, &path, None).await.map(|l| l.conversations)
    }

    pub async fn members(&self, id: i64) -> Result<Vec<wire::Member>> {
        let list: wire::MemberList =
            self.call(Method::GET, &format!("/v1/conversations/{id}/members"), NO_BODY).await?;
        Ok(list.members)
    }

    pub async fn add_members(&self, id: i64, members: &[&str]) -> Result<wire::Ack> {
        let req = wire::MembersRequest { members: members.iter().map(|m| (*m).to_owned()).collect() };
        self.call(Method::POST, &format!("/v1/conversations/{id}/members"), Some(&req)).await
    }

    pub async fn remove_member(&self, id: i64, member: &str) -> Result<wire::Ack> {
        self.call(Method::DELETE, &format!("/v1/conversations/{id}/members/{}", encode(member)), NO_BODY).await
    }

    pub async fn set_role(&self, id: i64, member: &str, role: wire::MemberRole) -> Result<wire::Ack> {
        let path = format!("/v1/conversations/{id}/members/{}/role", encode(member));
        self.call(Method::PUT, &path, Some(&wire::RoleRequest { role })).await
    }

    pub async fn mute_member(&self, id: i64, member: &str, until_ms: Option<i64>) -> Result<wire::Ack> {
        let path = format!("/v1/conversations/{id}/members/{}/mute", encode(member));
        self.call(Method::PUT, &path, Some(&wire::MuteMemberRequest { until_ms })).await
    }

    pub async fn transfer_ownership(&self, id: i64, member: &str) -> Result<wire::Ack> {
        let req = wire::MemberChange { member: member.to_owned(), role: None, until_ms: None };
        self.call(Method::POST, &format!("/v1/conversations/{id}/owner"), Some(&req)).await
    }

    pub async fn leave(&self, id: i64) -> Result<wire::Ack> {
        self.call(Method::POST, &format!("/v1/conversations/{id}/leave"), NO_BODY).await
    }

    pub async fn update_group(&self, id: i64, req: &wire::UpdateGroupRequest) -> Result<wire::Ack> {
        self.call(Method::PATCH, &format!("/v1/conversations/{id}"), Some(req)).await
    }

    pub async fn dissolve(&self, id: i64) -> Result<wire::Ack> {
        self.call(Method::DELETE, &format!("/v1/conversations/{id}"), NO_BODY).await
    }

    pub async fn update_settings(&self, id: i64, req: &wire::SettingsRequest) -> Result<wire::Conversation> {
        self.call(Method::PATCH, &format!("/v1/conversations/{id}/settings"), Some(req)).await
    }

    /// Sends a message; the ack comes once it is durable.
    pub async fn send_message(&self, id: i64, req: &wire::SendRequest) -> Result<wire::Ack> {
        self.call(Method::POST, &format!("/v1/conversations/{id}/messages"), Some(req)).await
    }

    /// Sends a `text` message.
    pub async fn send_text(&self, id: i64, client_msg_id: &str, text: &str) -> Result<wire::Ack> {
        self.send_message(id, &text_message(client_msg_id, text)).await
    }

    pub async fn messages(&self, id: i64, q: wire::HistoryQuery) -> Result<wire::EntryPage> {
        let mut path = format!("/v1/conversations/{id}/messages?");
        for (name, value) in [("after", q.after), ("before", q.before), ("limit", q.limit)] {
            if let Some(v) = value {
                path.push_str(&format!("{name}={v}&"));
            }
        }
        self.call(Method::GET, &path, NO_BODY).await
    }

    /// What the conversation shares of one kind, newest first (`before` a seq for the next
    /// page).
    pub async fn shared(&self, id: i64, q: wire::SharedQuery) -> Result<wire::SharedPage> {
        let kind = match q.kind {
            wire::SharedKind::Image => "image",
            wire::SharedKind::File => "file",
            wire::SharedKind::Link => "link",
        };
        let mut path = format!("/v1/conversations/{id}/shared?kind={kind}");
        for (name, value) in [("before", q.before), ("limit", q.limit)] {
            if let Some(v) = value {
                path.push_str(&format!("&{name}={v}"));
            }
        }
        self.call(Method::GET, &path, NO_BODY).await
    }

    /// The preview of a link, fetched by the server (or from its cache).
    pub async fn link_preview(&self, url: &str) -> Result<wire::LinkPreview> {
        self.call(Method::GET, &format!("/v1/link-preview?url={}", encode(url)), NO_BODY).await
    }

    /// The image of a cached link preview: a JPEG the server made.
    pub async fn link_preview_image(&self, url: &str) -> Result<Vec<u8>> {
        let res = self.send(Method::GET, &format!("/v1/link-preview/image?url={}", encode(url)), NO_BODY).await?;
        Ok(res.bytes().await?.to_vec())
    }

    /// Edits a message. With a `client_msg_id`, a retry is answered with the first ack.
    pub async fn edit_message(&self, id: i64, seq: i64, body: Value, client_msg_id: Option<&str>) -> Result<wire::Ack> {
        let req = wire::EditRequest { body, client_msg_id: client_msg_id.map(str::to_owned) };
        self.call(Method::PATCH, &format!("/v1/conversations/{id}/messages/{seq}"), Some(&req)).await
    }

    /// Recalls a message. With a `client_msg_id`, a retry is answered with the first ack.
    pub async fn recall(&self, id: i64, seq: i64, client_msg_id: Option<&str>) -> Result<wire::Ack> {
        let mut path = format!("/v1/conversations/{id}/messages/{seq}");
        if let Some(c) = client_msg_id {
            path.push_str(&format!("?client_msg_id={}", encode(c)));
        }
        self.call(Method::DELETE, &path, NO_BODY).await
    }

    /// Presses a button of an app's interactive card, with what was chosen and typed in its
    /// inputs; the app's answer may update the card (`updated_seq`) and say something to the
    /// caller (`toast`).
    pub async fn card_action(
        &self,
        id: i64,
        seq: i64,
        req: &wire::CardActionRequest,
    ) -> Result<wire::CardActionResult> {
        self.call(Method::POST, &format!("/v1/conversations/{id}/messages/{seq}/actions"), Some(req)).await
    }

    /// The image of an interactive card's `image` block: a JPEG the server made.
    pub async fn card_image(&self, id: i64, seq: i64, block: usize) -> Result<Vec<u8>> {
        let path = format!("/v1/conversations/{id}/messages/{seq}/card-images/{block}");
        let res = self.send(Method::GET, &path, NO_BODY).await?;
        Ok(res.bytes().await?.to_vec())
    }

    /// Adds or takes back a reaction. With a `client_msg_id`, a retry is answered with the
    /// first ack.
    pub async fn react(
        &self,
        id: i64,
        seq: i64,
        emoji: &str,
        on: bool,
        client_msg_id: Option<&str>,
    ) -> Result<wire::Ack> {
        let req = wire::ReactRequest { emoji: emoji.to_owned(), on, client_msg_id: client_msg_id.map(str::to_owned) };
        self.call(Method::POST, &format!("/v1/conversations/{id}/messages/{seq}/reactions"), Some(&req)).await
    }

    pub async fn receipts(&self, id: i64, seq: i64) -> Result<wire::Receipts> {
        self.call(Method::GET, &format!("/v1/conversations/{id}/messages/{seq}/receipts"), NO_BODY).await
    }

    pub async fn forward(&self, to: i64, req: &wire::ForwardRequest) -> Result<wire::Ack> {
        self.call(Method::POST, &format!("/v1/conversations/{to}/forward"), Some(req)).await
    }

    pub async fn hide(&self, id: i64, seqs: &[i64]) -> Result<()> {
        let req = wire::HideRequest { seqs: seqs.to_vec() };
        self.call_empty(Method::POST, &format!("/v1/conversations/{id}/hide"), Some(&req)).await
    }

    /// Pins a message for every member; the ack is the `message_pinned` notice's.
    pub async fn pin(&self, id: i64, seq: i64) -> Result<wire::Ack> {
        self.call(Method::PUT, &format!("/v1/conversations/{id}/pins/{seq}"), NO_BODY).await
    }

    /// Unpins a message; the ack is the `message_unpinned` notice's.
    pub async fn unpin(&self, id: i64, seq: i64) -> Result<wire::Ack> {
        self.call(Method::DELETE, &format!("/v1/conversations/{id}/pins/{seq}"), NO_BODY).await
    }

    /// The pinned messages the caller may read, the latest pin first.
    pub async fn pins(&self, id: i64) -> Result<Vec<wire::Pin>> {
        let list: wire::PinList = self.call(Method::GET, &format!("/v1/conversations/{id}/pins"), NO_BODY).await?;
        Ok(list.pins)
    }

    pub async fn mark_read(&self, id: i64, seq: i64) -> Result<wire::Conversation> {
        self.call(Method::POST, &format!("/v1/conversations/{id}/read"), Some(&wire::MarkRequest { seq })).await
    }

    pub async fn mark_delivered(&self, id: i64, seq: i64) -> Result<wire::Conversation> {
        self.call(Method::POST, &format!("/v1/conversations/{id}/delivered"), Some(&wire::MarkRequest { seq })).await
    }

    pub async fn sync(&self, req: wire::SyncRequest) -> Result<wire::SyncResponse> {
        let mut path =
            format!("/v1/sync?events_after={}&conversations_after={}", req.events_after, req.conversations_after);
        if let Some(l) = req.limit {
            path.push_str(&format!("&limit={l}"));
        }
        self.call(Method::GET, &path, NO_BODY).await
    }
}

impl Client {
    /// Saves a copy of a message, with an optional note; a message saved before answers its item.
    pub async fn save_message(&self, conversation: i64, seq: i64, note: Option<&str>) -> Result<wire::SavedItem> {
        let req = wire::SaveRequest { conversation, seq, note: note.map(str::to_owned) };
        self.call(Method::POST, "/v1/saved", Some(&req)).await
    }

    /// A page of the caller's saved messages, newest first, below `before`.
    pub async fn saved(&self, before: Option<i64>, limit: Option<i64>) -> Result<wire::SavedPage> {
        let mut path = "/v1/saved?".to_owned();
        if let Some(b) = before {
            path.push_str(&format!("before={b}&"));
        }
        if let Some(l) = limit {
            path.push_str(&format!("limit={l}"));
        }
        self.call(Method::GET, &path, NO_BODY).await
    }

    pub async fn saved_item(&self, id: i64) -> Result<wire::SavedItem> {
        self.call(Method::GET, &format!("/v1/saved/{id}"), NO_BODY).await
    }

    /// Sets the note of a saved message; `None` clears it.
    pub async fn update_saved(&self, id: i64, note: Option<&str>) -> Result<wire::SavedItem> {
        let req = wire::UpdateSavedRequest { note: note.map(str::to_owned) };
        self.call(Method::PATCH, &format!("/v1/saved/{id}"), Some(&req)).await
    }

    pub async fn remove_saved(&self, id: i64) -> Result<()> {
        self.call_empty(Method::DELETE, &format!("/v1/saved/{id}"), NO_BODY).await
    }

    /// A page of the thread rooted at `root` (`after`/`before`/`limit` as for history).
    pub async fn thread(&self, id: i64, root: i64, q: wire::HistoryQuery) -> Result<wire::ThreadPage> {
        let mut path = format!("/v1/conversations/{id}/threads/{root}?");
        for (name, value) in [("after", q.after), ("before", q.before), ("limit", q.limit)] {
            if let Some(v) = value {
                path.push_str(&format!("{name}={v}&"));
            }
        }
        self.call(Method::GET, path.trim_end_matches(['?', '&']), NO_BODY).await
    }

    pub async fn update_thread(&self, id: i64, root: i64, req: wire::UpdateThreadRequest) -> Result<wire::Thread> {
        self.call(Method::PATCH, &format!("/v1/conversations/{id}/threads/{root}"), Some(&req)).await
    }

    /// The threads the caller follows (one conversation's with `conversation`).
    pub async fn threads(&self, conversation: Option<i64>, limit: Option<i64>) -> Result<Vec<wire::Thread>> {
        let mut path = "/v1/threads?".to_owned();
        for (name, value) in [("conversation", conversation), ("limit", limit)] {
            if let Some(v) = value {
                path.push_str(&format!("{name}={v}&"));
            }
        }
        let list: wire::ThreadList = self.call(Method::GET, path.trim_end_matches(['?', '&']), NO_BODY).await?;
        Ok(list.threads)
    }
}

impl Client {
    /// Schedules a message into a conversation, to be sent at `req.send_at_ms`.
    pub async fn schedule_message(
        &self,
        conversation: i64,
        req: &wire::ScheduleRequest,
    ) -> Result<wire::ScheduledMessage> {
        self.call(Method::POST, &format!("/v1/conversations/{conversation}/scheduled"), Some(req)).await
    }

    /// The caller's scheduled messages, the earliest first: one conversation's, or all.
    pub async fn scheduled(&self, conversation: Option<i64>) -> Result<Vec<wire::ScheduledMessage>> {
        let path = match conversation {
            Some(id) => format!("/v1/conversations/{id}/scheduled"),
            None => "/v1/scheduled".to_owned(),
        };
        self.call::<(), wire::ScheduledList>(Method::GET, &path, None).await.map(|l| l.scheduled)
    }

    pub async fn scheduled_message(&self, id: i64) -> Result<wire::ScheduledMessage> {
        self.call(Method::GET, &format!("/v1/scheduled/{id}"), NO_BODY).await
    }

    /// Changes a scheduled message's time, body or mentions.
    pub async fn update_scheduled(
        &self,
        id: i64,
        req: &wire::UpdateScheduledRequest,
    ) -> Result<wire::ScheduledMessage> {
        self.call(Method::PATCH, &format!("/v1/scheduled/{id}"), Some(req)).await
    }

    pub async fn cancel_scheduled(&self, id: i64) -> Result<()> {
        self.call_empty(Method::DELETE, &format!("/v1/scheduled/{id}"), NO_BODY).await
    }

    /// Sends a scheduled message now; the ack of the message.
    pub async fn send_scheduled(&self, id: i64) -> Result<wire::Ack> {
        self.call(Method::POST, &format!("/v1/scheduled/{id}/send"), NO_BODY).await
    }
}

impl Client {
    pub async fn contacts(&self) -> Result<Vec<wire::Profile>> {
        self.call::<(), wire::ProfileList>(Method::GET, "/v1/contacts", None).await.map(|l| l.accounts)
    }

    pub async fn friend_request(&self, account: &str, message: Option<&str>) -> Result<wire::FriendRequestStatus> {
        let req = wire::FriendRequestRequest { account: account.to_owned(), message: message.map(str::to_owned) };
        let answer: wire::FriendRequestAnswer = self.call(Method::POST, "/v1/contacts/requests", Some(&req)).await?;
        Ok(answer.status)
    }

    pub async fn friend_requests(&self) -> Result<wire::PendingRequestList> {
        self.call(Method::GET, "/v1/contacts/requests", NO_BODY).await
    }

    pub async fn accept_friend_request(&self, account: &str) -> Result<()> {
        self.call_empty(Method::POST, &format!("/v1/contacts/requests/{}/accept", encode(account)), NO_BODY).await
    }

    pub async fn reject_friend_request(&self, account: &str) -> Result<()> {
        self.call_empty(Method::DELETE, &format!("/v1/contacts/requests/{}", encode(account)), NO_BODY).await
    }

    pub async fn remove_contact(&self, account: &str) -> Result<()> {
        self.call_empty(Method::DELETE, &format!("/v1/contacts/{}", encode(account)), NO_BODY).await
    }

    pub async fn blocked(&self) -> Result<Vec<wire::Profile>> {
        self.call::<(), wire::ProfileList>(Method::GET, "/v1/blocks", None).await.map(|l| l.accounts)
    }

    pub async fn block(&self, account: &str, on: bool) -> Result<()> {
        let method = if on { Method::PUT } else { Method::DELETE };
        self.call_empty(method, &format!("/v1/blocks/{}", encode(account)), NO_BODY).await
    }
}

impl Client {
    pub async fn set_presence(&self, status: wire::PresenceStatus, text: Option<&str>) -> Result<wire::Presence> {
        let req = wire::SetPresenceRequest { status, text: text.map(str::to_owned) };
        self.call(Method::PUT, "/v1/me/presence", Some(&req)).await
    }

    pub async fn presence(&self, accounts: &[&str]) -> Result<Vec<wire::Presence>> {
        let list = accounts.iter().map(|a| encode(a)).collect::<Vec<_>>().join(",");
        let answer: wire::PresenceList =
            self.call(Method::GET, &format!("/v1/presence?accounts={list}"), NO_BODY).await?;
        Ok(answer.presence)
    }

    pub async fn typing(&self, id: i64) -> Result<()> {
        self.call_empty(Method::POST, &format!("/v1/conversations/{id}/typing"), NO_BODY).await
    }
}

/// A `text` message with this client id.
pub fn text_message(client_msg_id: &str, text: &str) -> wire::SendRequest {
    wire::SendRequest {
        client_msg_id: client_msg_id.to_owned(),
        kind: "text".to_owned(),
        body: json!({ "text": text }),
        mentions: vec![],
        mention_all: false,
        reply_to: None,
        thread: None,
        broadcast: false,
    }
}

fn in_conversation<T>(conversation: i64, data: T) -> wire::InConversation<T> {
    wire::InConversation { conversation, data }
}

fn at_entry<T>(conversation: i64, seq: i64, data: T) -> wire::AtEntry<T> {
    wire::AtEntry { conversation, seq, data }
}

fn conversation_ref(conversation: i64, seq: Option<i64>) -> wire::ConversationRef {
    wire::ConversationRef { conversation, seq }
}

impl Connection {
    pub async fn create_conversation(&self, req: &wire::CreateConversationRequest) -> Result<wire::Conversation> {
        self.request_as(&Request::CreateConversation(req.clone())).await
    }

    pub async fn conversation(&self, id: i64) -> Result<wire::Conversation> {
        self.request_as(&Request::GetConversation(conversation_ref(id, None))).await
    }

    pub async fn conversations(&self, before: Option<i64>, limit: Option<i64>) -> Result<Vec<wire::Conversation>> {
        let request = Request::ListConversations(wire::ListConversations { before, limit });
        self.request_as::<wire::ConversationList>(&request).await.map(|l| l.conversations)
    }

    /// Sends a message; the ack comes once it is durable.
    pub async fn send_message(&self, id: i64, req: &wire::SendRequest) -> Result<wire::Ack> {
        self.request_as(&Request::Send(in_conversation(id, req.clone()))).await
    }

    /// Sends a `text` message.
    pub async fn send_text(&self, id: i64, client_msg_id: &str, text: &str) -> Result<wire::Ack> {
        self.send_message(id, &text_message(client_msg_id, text)).await
    }

    pub async fn messages(&self, id: i64, q: wire::HistoryQuery) -> Result<wire::EntryPage> {
        self.request_as(&Request::GetMessages(in_conversation(id, q))).await
    }

    pub async fn edit_message(&self, id: i64, seq: i64, body: Value, client_msg_id: Option<&str>) -> Result<wire::Ack> {
        let edit = wire::EditRequest { body, client_msg_id: client_msg_id.map(str::to_owned) };
        self.request_as(&Request::Edit(at_entry(id, seq, edit))).await
    }

    pub async fn recall(&self, id: i64, seq: i64, client_msg_id: Option<&str>) -> Result<wire::Ack> {
        let recall = wire::RecallRequest { client_msg_id: client_msg_id.map(str::to_owned) };
        self.request_as(&Request::Recall(at_entry(id, seq, recall))).await
    }

    pub async fn react(
        &self,
        id: i64,
        seq: i64,
        emoji: &str,
        on: bool,
        client_msg_id: Option<&str>,
    ) -> Result<wire::Ack> {
        let react = wire::ReactRequest { emoji: emoji.to_owned(), on, client_msg_id: client_msg_id.map(str::to_owned) };
        self.request_as(&Request::React(at_entry(id, seq, react))).await
    }

    pub async fn mark_read(&self, id: i64, seq: i64) -> Result<wire::Conversation> {
        self.request_as(&Request::MarkRead(in_conversation(id, wire::MarkRequest { seq }))).await
    }

    pub async fn mark_delivered(&self, id: i64, seq: i64) -> Result<wire::Conversation> {
        self.request_as(&Request::MarkDelivered(in_conversation(id, wire::MarkRequest { seq }))).await
    }

    pub async fn receipts(&self, id: i64, seq: i64) -> Result<wire::Receipts> {
        self.request_as(&Request::GetReceipts(conversation_ref(id, Some(seq)))).await
    }

    pub async fn typing(&self, id: i64) -> Result<()> {
        self.request(&Request::Typing(conversation_ref(id, None))).await.map(drop)
    }

    pub async fn set_presence(&self, status: wire::PresenceStatus, text: Option<&str>) -> Result<wire::Presence> {
        let req = wire::SetPresenceRequest { status, text: text.map(str::to_owned) };
        self.request_as(&Request::SetPresence(req)).await
    }

    pub async fn sync(&self, req: wire::SyncRequest) -> Result<wire::SyncResponse> {
        self.request_as(&Request::Sync(req)).await
    }

    pub async fn stickers(&self) -> Result<wire::StickerPackList> {
        self.request_as(&Request::ListStickers(wire::Empty {})).await
    }

    /// Pins a message for every member; the ack is the `message_pinned` notice's.
    pub async fn pin(&self, id: i64, seq: i64) -> Result<wire::Ack> {
        self.request_as(&Request::Pin(at_entry(id, seq, wire::Empty {}))).await
    }

    /// Unpins a message; the ack is the `message_unpinned` notice's.
    pub async fn unpin(&self, id: i64, seq: i64) -> Result<wire::Ack> {
        self.request_as(&Request::Unpin(at_entry(id, seq, wire::Empty {}))).await
    }

    /// The pinned messages the caller may read, the latest pin first.
    pub async fn pins(&self, id: i64) -> Result<Vec<wire::Pin>> {
        self.request_as::<wire::PinList>(&Request::ListPins(conversation_ref(id, None))).await.map(|l| l.pins)
    }

    /// Saves a copy of a message, with an optional note; a message saved before answers its item.
    pub async fn save_message(&self, conversation: i64, seq: i64, note: Option<&str>) -> Result<wire::SavedItem> {
        let req = wire::SaveRequest { conversation, seq, note: note.map(str::to_owned) };
        self.request_as(&Request::SaveMessage(req)).await
    }

    /// A page of the caller's saved messages, newest first, below `before`.
    pub async fn saved(&self, before: Option<i64>, limit: Option<i64>) -> Result<wire::SavedPage> {
        self.request_as(&Request::ListSaved(wire::SavedQuery { before, limit })).await
    }

    /// `list_notifications`: the notification centre, newest first.
    pub async fn notifications(&self, q: wire::NotificationsQuery) -> Result<wire::NotificationPage> {
        self.request_as(&Request::ListNotifications(q)).await
    }

    /// `read_notifications`: the unread count left.
    pub async fn read_notifications(&self, req: wire::ReadNotificationsRequest) -> Result<wire::NotificationsUnread> {
        self.request_as(&Request::ReadNotifications(req)).await
    }

    pub async fn saved_item(&self, id: i64) -> Result<wire::SavedItem> {
        self.request_as(&Request::GetSaved(wire::SavedRef { id })).await
    }

    /// Sets the note of a saved message; `None` clears it.
    pub async fn update_saved(&self, id: i64, note: Option<&str>) -> Result<wire::SavedItem> {
        let data = wire::UpdateSavedRequest { note: note.map(str::to_owned) };
        self.request_as(&Request::UpdateSaved(wire::InSaved { id, data })).await
    }

    pub async fn remove_saved(&self, id: i64) -> Result<()> {
        self.request(&Request::RemoveSaved(wire::SavedRef { id })).await.map(drop)
    }

    pub async fn thread(&self, conversation: i64, root: i64, data: wire::HistoryQuery) -> Result<wire::ThreadPage> {
        self.request_as(&Request::GetThread(wire::AtRoot { conversation, root, data })).await
    }

    pub async fn update_thread(
        &self,
        conversation: i64,
        root: i64,
        data: wire::UpdateThreadRequest,
    ) -> Result<wire::Thread> {
        self.request_as(&Request::UpdateThread(wire::AtRoot { conversation, root, data })).await
    }

    pub async fn threads(&self, conversation: Option<i64>, limit: Option<i64>) -> Result<Vec<wire::Thread>> {
        let request = Request::ListThreads(wire::ThreadsQuery { conversation, limit });
        self.request_as::<wire::ThreadList>(&request).await.map(|l| l.threads)
    }

    /// Schedules a message into a conversation, to be sent at `req.send_at_ms`.
    pub async fn schedule_message(
        &self,
        conversation: i64,
        req: wire::ScheduleRequest,
    ) -> Result<wire::ScheduledMessage> {
        self.request_as(&Request::ScheduleMessage(wire::InConversation { conversation, data: req })).await
    }

    /// The caller's scheduled messages, the earliest first: one conversation's, or all.
    pub async fn scheduled(&self, conversation: Option<i64>) -> Result<Vec<wire::ScheduledMessage>> {
        let list: wire::ScheduledList =
            self.request_as(&Request::ListScheduled(wire::ScheduledQuery { conversation })).await?;
        Ok(list.scheduled)
    }

    pub async fn scheduled_message(&self, id: i64) -> Result<wire::ScheduledMessage> {
        self.request_as(&Request::GetScheduled(wire::ScheduledRef { id })).await
    }

    /// Changes a scheduled message's time, body or mentions.
    pub async fn update_scheduled(
        &self,
        id: i64,
        data: wire::UpdateScheduledRequest,
    ) -> Result<wire::ScheduledMessage> {
        self.request_as(&Request::UpdateScheduled(wire::InScheduled { id, data })).await
    }

    pub async fn cancel_scheduled(&self, id: i64) -> Result<()> {
        self.request(&Request::CancelScheduled(wire::ScheduledRef { id })).await.map(drop)
    }

    /// Sends a scheduled message now; the ack of the message.
    pub async fn send_scheduled(&self, id: i64) -> Result<wire::Ack> {
        self.request_as(&Request::SendScheduled(wire::ScheduledRef { id })).await
    }
}

impl Client {
    /// `GET /v1/search/messages`: messages the caller may read that match `q.q`, with
    /// `q`'s filters.
    pub async fn search_messages(&self, q: &wire::SearchMessagesQuery) -> Result<wire::SearchMessagesPage> {
        self.call(Method::GET, &search_path(q), NO_BODY).await
    }

    /// `GET /v1/search/files`: messages with files the caller may read, by the files' names
    /// and type.
    pub async fn search_files(&self, q: &wire::SearchFilesQuery) -> Result<wire::SearchMessagesPage> {
        let query = serde_urlencoded::to_string(q).unwrap_or_default();
        self.call(Method::GET, &format!("/v1/search/files?{query}"), NO_BODY).await
    }

    /// `GET /v1/search/people`: people of the caller's domain by name, pinyin, initials,
    /// login, email or phone, best first.
    pub async fn search_people(&self, q: &wire::SearchNamesQuery) -> Result<wire::PeopleFound> {
        self.call(Method::GET, &names_path("people", q), NO_BODY).await
    }

    /// `GET /v1/search/groups`: the caller's groups and channels by name, best first.
    pub async fn search_groups(&self, q: &wire::SearchNamesQuery) -> Result<wire::GroupsFound> {
        self.call(Method::GET, &names_path("groups", q), NO_BODY).await
    }
}

fn names_path(what: &str, q: &wire::SearchNamesQuery) -> String {
    let mut path = format!("/v1/search/{what}?q={}", encode(&q.q));
    if let Some(limit) = q.limit {
        path.push_str(&format!("&limit={limit}"));
    }
    path
}

impl Connection {
    /// `search_messages`: as [`Client::search_messages`], over the WebSocket.
    pub async fn search_messages(&self, q: wire::SearchMessagesQuery) -> Result<wire::SearchMessagesPage> {
        self.request_as(&Request::SearchMessages(q)).await
    }

    /// `search_files`: as [`Client::search_files`], over the WebSocket.
    pub async fn search_files(&self, q: wire::SearchFilesQuery) -> Result<wire::SearchMessagesPage> {
        self.request_as(&Request::SearchFiles(q)).await
    }

    /// `search_people`: as [`Client::search_people`], over the WebSocket.
    pub async fn search_people(&self, q: wire::SearchNamesQuery) -> Result<wire::PeopleFound> {
        self.request_as(&Request::SearchPeople(q)).await
    }

    /// `search_groups`: as [`Client::search_groups`], over the WebSocket.
    pub async fn search_groups(&self, q: wire::SearchNamesQuery) -> Result<wire::GroupsFound> {
        self.request_as(&Request::SearchGroups(q)).await
    }
}

/// The path and query string of a message search.
fn search_path(q: &wire::SearchMessagesQuery) -> String {
    let mut path = format!("/v1/search/messages?q={}", encode(&q.q));
    let mut add = |name: &str, value: Option<String>| {
        if let Some(value) = value {
            path.push_str(&format!("&{name}={}", encode(&value)));
        }
    };
    add("conversation", q.conversation.map(|v| v.to_string()));
    add("sender", q.sender.clone());
    add("after_ms", q.after_ms.map(|v| v.to_string()));
    add("before_ms", q.before_ms.map(|v| v.to_string()));
    add(
        "has",
        q.has.map(|h| match h {
            wire::SharedKind::File => "file".to_owned(),
            wire::SharedKind::Image => "image".to_owned(),
            wire::SharedKind::Link => "link".to_owned(),
        }),
    );
    add("mentions_me", q.mentions_me.map(|v| v.to_string()));
    add("kind", q.kind.clone());
    add(
        "order",
        q.order.map(|o| match o {
            wire::SearchOrder::Relevance => "relevance".to_owned(),
            wire::SearchOrder::Newest => "newest".to_owned(),
        }),
    );
    add("limit", q.limit.map(|v| v.to_string()));
    add("cursor", q.cursor.clone());
    path
}
