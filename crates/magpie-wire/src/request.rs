//! What a client asks over the WebSocket: `{"id": 7, "type": "send", "data": {…}}`.
//!
//! [`Request`] is the one typed source of the request types. The server dispatches on it with
//! an exhaustive `match` (a new type that the server does not answer does not compile), the
//! Rust SDK builds its frames from it, and the docs test holds `protocol.md` to
//! [`Request::TYPES`]. Each type's `data` is the type named beside it; the REST twin of a
//! request takes the same body.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use utoipa::ToSchema;

use crate::*;

/// `data` of the requests that take none: `{}` (absent or `null` is the same).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Empty {}

/// Why a request frame's `data` could not be read as its type's.
#[derive(Debug)]
pub enum DataError {
    /// `data` is not a JSON object.
    NotAnObject,
    /// `data` does not fit its type: `path` is where (`body.text`, `members[2]`), `error` what
    /// was expected.
    Invalid { path: String, error: serde_json::Error },
}

macro_rules! requests {
    ($( $(#[$doc:meta])* $variant:ident($data:ty) = $name:literal, )*) => {
        /// A request, by its `type`, with its `data`.
        #[derive(Debug, Clone, PartialEq)]
        pub enum Request {
            $( $(#[$doc])* $variant($data), )*
            /// A type this server does not know (a newer client's): answered with
            /// `unknown_frame_type`, and the connection stays open.
            Unknown(String),
        }

        impl Request {
            /// Every request type this server answers.
            pub const TYPES: &'static [&'static str] = &[$($name),*];

            /// The request's `type`.
            pub fn kind(&self) -> &str {
                match self {
                    $( Request::$variant(_) => $name, )*
                    Request::Unknown(kind) => kind,
                }
            }

            /// Reads `data` (JSON text; absent or `null` means `{}`) as the data of `kind`.
            pub fn parse(kind: &str, data: Option<&str>) -> Result<Request, DataError> {
                let data = data.map(str::trim).filter(|d| *d != "null").unwrap_or("{}");
                if !data.starts_with('{') {
                    return Err(DataError::NotAnObject);
                }
                match kind {
                    $( $name => read(data).map(Request::$variant), )*
                    other => Ok(Request::Unknown(other.to_owned())),
                }
            }

            /// The request's `data` as JSON.
            pub fn data(&self) -> Result<Box<RawValue>, serde_json::Error> {
                match self {
                    $( Request::$variant(data) => serde_json::value::to_raw_value(data), )*
                    Request::Unknown(_) => serde_json::value::to_raw_value(&Empty {}),
                }
            }
        }
    };
}

/// Reads `data` as `T`, keeping the path to what did not fit.
fn read<T: serde::de::DeserializeOwned>(data: &str) -> Result<T, DataError> {
    let mut json = serde_json::Deserializer::from_str(data);
    serde_path_to_error::deserialize(&mut json)
        .map_err(|e| DataError::Invalid { path: e.path().to_string(), error: e.into_inner() })
}

requests! {
    /// Answered with `{}`; an application-level liveness check.
    Ping(Empty) = "ping",
    /// Answered with [`Me`].
    GetMe(Empty) = "get_me",
    /// Answered with [`SessionList`].
    ListSessions(Empty) = "list_sessions",
    /// Answered with [`Conversation`].
    CreateConversation(CreateConversationRequest) = "create_conversation",
    /// Answered with [`Conversation`].
    GetConversation(ConversationRef) = "get_conversation",
    /// Answered with [`ConversationList`].
    ListConversations(ListConversations) = "list_conversations",
    /// Answered with [`MemberList`].
    ListMembers(ConversationRef) = "list_members",
    /// Answered with the `system` entry's [`Ack`].
    AddMembers(InConversation<MembersRequest>) = "add_members",
    /// Answered with [`Ack`].
    RemoveMembers(InConversation<MembersRequest>) = "remove_members",
    /// Answered with [`Ack`].
    Leave(ConversationRef) = "leave",
    /// Answered with [`Ack`].
    UpdateGroup(InConversation<UpdateGroupRequest>) = "update_group",
    /// With `role`; answered with [`Ack`].
    SetRole(InConversation<MemberChange>) = "set_role",
    /// Answered with [`Ack`].
    TransferOwnership(InConversation<MemberChange>) = "transfer_ownership",
    /// With `until_ms`; answered with [`Ack`].
    MuteMember(InConversation<MemberChange>) = "mute_member",
    /// Answered with [`Ack`].
    Dissolve(ConversationRef) = "dissolve",
    /// Answered with [`Conversation`].
    UpdateSettings(InConversation<SettingsRequest>) = "update_settings",
    /// Answered with [`Ack`].
    Send(InConversation<SendRequest>) = "send",
    /// Answered with [`Ack`].
    Forward(InConversation<ForwardRequest>) = "forward",
    /// Answered with [`Ack`].
    Edit(AtEntry<EditRequest>) = "edit",
    /// Answered with [`Ack`].
    Recall(AtEntry<RecallRequest>) = "recall",
    /// Answered with [`Ack`].
    React(AtEntry<ReactRequest>) = "react",
    /// Answered with `{}`.
    Hide(InConversation<HideRequest>) = "hide",
    /// Pins a message for every member; answered with the `system` entry's [`Ack`].
    Pin(AtEntry<Empty>) = "pin",
    /// Answered with the `system` entry's [`Ack`].
    Unpin(AtEntry<Empty>) = "unpin",
    /// Answered with [`PinList`].
    ListPins(ConversationRef) = "list_pins",
    /// Answered with [`EntryPage`].
    GetMessages(InConversation<HistoryQuery>) = "get_messages",
    /// Answered with [`Conversation`].
    MarkRead(InConversation<MarkRequest>) = "mark_read",
    /// Answered with [`Conversation`].
    MarkDelivered(InConversation<MarkRequest>) = "mark_delivered",
    /// With `seq`; answered with [`Receipts`].
    GetReceipts(ConversationRef) = "get_receipts",
    /// Answered with [`SyncResponse`].
    Sync(SyncRequest) = "sync",
    /// Answered with [`ProfileList`].
    ListContacts(Empty) = "list_contacts",
    /// Answered with [`PendingRequestList`].
    ListFriendRequests(Empty) = "list_friend_requests",
    /// Answered with [`FriendRequestAnswer`].
    SendFriendRequest(FriendRequestRequest) = "send_friend_request",
    /// The requester; answered with `{}`.
    AcceptFriendRequest(AccountRef) = "accept_friend_request",
    /// Declines a request to you or withdraws yours; answered with `{}`.
    RejectFriendRequest(AccountRef) = "reject_friend_request",
    /// Answered with `{}`.
    RemoveContact(AccountRef) = "remove_contact",
    /// Answered with [`ProfileList`].
    ListBlocked(Empty) = "list_blocked",
    /// Answered with `{}`.
    Block(AccountRef) = "block",
    /// Answered with `{}`.
    Unblock(AccountRef) = "unblock",
    /// The caller is typing (relayed at most every 2 s); answered with `{}`.
    Typing(ConversationRef) = "typing",
    /// Answered with [`Presence`].
    SetPresence(SetPresenceRequest) = "set_presence",
    /// Answered with [`PresenceList`].
    GetPresence(PresenceQuery) = "get_presence",
    /// Answered with [`StickerPackList`].
    ListStickers(Empty) = "list_stickers",
    /// Answered with [`NotificationPage`].
    ListNotifications(NotificationsQuery) = "list_notifications",
    /// Answered with [`NotificationsUnread`].
    ReadNotifications(ReadNotificationsRequest) = "read_notifications",
    /// Answered with [`SavedItem`].
    SaveMessage(SaveRequest) = "save_message",
    /// Answered with [`SavedPage`].
    ListSaved(SavedQuery) = "list_saved",
    /// Answered with [`SavedItem`].
    GetSaved(SavedRef) = "get_saved",
    /// Answered with [`SavedItem`].
    UpdateSaved(InSaved<UpdateSavedRequest>) = "update_saved",
    /// Answered with `{}`.
    RemoveSaved(SavedRef) = "remove_saved",
    /// With `root`, and `after`, `before`, `limit` as `get_messages`; answered with
    /// [`ThreadPage`].
    GetThread(AtRoot<HistoryQuery>) = "get_thread",
    /// Answered with [`Thread`].
    UpdateThread(AtRoot<UpdateThreadRequest>) = "update_thread",
    /// Answered with [`ThreadList`].
    ListThreads(ThreadsQuery) = "list_threads",
    /// Answered with [`ScheduledMessage`].
    ScheduleMessage(InConversation<ScheduleRequest>) = "schedule_message",
    /// Answered with [`ScheduledList`].
    ListScheduled(ScheduledQuery) = "list_scheduled",
    /// Answered with [`ScheduledMessage`].
    GetScheduled(ScheduledRef) = "get_scheduled",
    /// Answered with [`ScheduledMessage`].
    UpdateScheduled(InScheduled<UpdateScheduledRequest>) = "update_scheduled",
    /// Answered with `{}`.
    CancelScheduled(ScheduledRef) = "cancel_scheduled",
    /// Sends a scheduled message now; answered with the message's [`Ack`].
    SendScheduled(ScheduledRef) = "send_scheduled",
    /// Answered with [`SearchMessagesPage`].
    SearchMessages(SearchMessagesQuery) = "search_messages",
    /// Answered with [`SearchMessagesPage`].
    SearchFiles(SearchFilesQuery) = "search_files",
    /// Answered with [`PeopleFound`].
    SearchPeople(SearchNamesQuery) = "search_people",
    /// Answered with [`GroupsFound`].
    SearchGroups(SearchNamesQuery) = "search_groups",
    /// Answered with [`DepartmentsFound`].
    SearchDepartments(SearchNamesQuery) = "search_departments",
    /// Answered with [`DepartmentTree`].
    GetDepartments(Empty) = "get_departments",
    /// Answered with [`DepartmentMembers`].
    ListDepartmentMembers(DepartmentMembersRequest) = "list_department_members",
    /// Answered with [`Placements`].
    GetPlacements(AccountRef) = "get_placements",
}

/// A request frame as it arrives: its `id`, its `type`, and its `data` still as JSON text.
/// `data` is kept raw (borrowed from the frame), so that the frame's `id` and `type` are read
/// whatever `data` holds (even JSON nested past the parser's depth limit), and `data` is read
/// once, straight into its type.
#[derive(Debug, Deserialize)]
pub struct RawRequest<'a> {
    pub id: u64,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, borrow)]
    pub data: Option<&'a RawValue>,
}

impl RawRequest<'_> {
    /// The typed request.
    pub fn request(&self) -> Result<Request, DataError> {
        Request::parse(&self.kind, self.data.map(RawValue::get))
    }
}

/// The `id` of a frame that cannot be read as a request, if it has one that is an unsigned
/// integer (whatever else the frame holds).
pub fn frame_id(text: &str) -> Option<u64> {
    #[derive(Deserialize)]
    struct Id {
        id: Option<serde_json::Value>,
    }
    serde_json::from_str::<Id>(text).ok()?.id?.as_u64()
}

/// A request frame as a client sends it: `type` is one of [`Request::TYPES`], `data` that
/// type's request body.
#[derive(Debug, Serialize, ToSchema)]
pub struct RequestFrame {
    /// Chosen by the client; echoed in the answer. Unique among the client's pending requests.
    pub id: u64,
    #[serde(rename = "type")]
    pub kind: String,
    #[schema(value_type = Object)]
    pub data: Box<RawValue>,
}

impl RequestFrame {
    pub fn new(id: u64, request: &Request) -> Result<RequestFrame, serde_json::Error> {
        Ok(RequestFrame { id, kind: request.kind().to_owned(), data: request.data()? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_reads_into_its_type_and_back() {
        let text = r#"{"type":"send","data":{"conversation":3,"client_msg_id":"c1","kind":"text","body":{"text":"hi"}},"id":9}"#;
        let raw: RawRequest<'_> = serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(raw.id, 9);
        let request = raw.request().unwrap_or_else(|e| panic!("{e:?}"));
        let Request::Send(send) = &request else { panic!("{request:?}") };
        assert_eq!((send.conversation, send.data.client_msg_id.as_str()), (3, "c1"));
        let again = RequestFrame::new(9, &request).unwrap_or_else(|e| panic!("{e}"));
        let again = serde_json::to_string(&again).unwrap_or_else(|e| panic!("{e}"));
        let back: RawRequest<'_> = serde_json::from_str(&again).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back.request().ok(), Some(request));
    }

    #[test]
    fn absent_or_null_data_is_empty_and_unknown_types_are_kept() {
        for text in [r#"{"id":1,"type":"ping"}"#, r#"{"id":1,"type":"ping","data":null}"#] {
            let raw: RawRequest<'_> = serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(raw.request().ok(), Some(Request::Ping(Empty {})));
        }
        let raw: RawRequest<'_> =
            serde_json::from_str(r#"{"id":1,"type":"teleport","data":{"x":1}}"#).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(raw.request().ok(), Some(Request::Unknown("teleport".into())));
        let raw: RawRequest<'_> =
            serde_json::from_str(r#"{"id":1,"type":"send","data":[1]}"#).unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(raw.request(), Err(DataError::NotAnObject)));
    }

    #[test]
    fn the_id_of_a_frame_nested_past_the_depth_limit_is_still_read() {
        let deep = format!(r#"{{"id":7,"type":"send","data":{{"x":{}{}}}}}"#, "[".repeat(300), "]".repeat(300));
        let raw: RawRequest<'_> = serde_json::from_str(&deep).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(raw.id, 7);
        assert!(matches!(raw.request(), Err(DataError::Invalid { .. })));
        assert_eq!(frame_id(&deep), Some(7));
        assert_eq!(frame_id(r#"{"id":"x","type":"ping"}"#), None);
    }
}
