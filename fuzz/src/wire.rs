//! WebSocket request frames and REST bodies and queries, read as the server reads them
//! (`serde_json` for frames and JSON bodies, `serde_urlencoded` under axum's `Query`).

use std::sync::Once;

use magpie_wire::{self as w, ClientFrame, request_type as t};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// A WebSocket text frame: a [`ClientFrame`], then its `data` as the type its `type` names.
pub fn ws_frame(data: &[u8]) {
    static ALL_TYPES_KNOWN: Once = Once::new();
    ALL_TYPES_KNOWN.call_once(|| {
        for kind in t::ALL {
            assert!(request_data(kind, Value::Object(Default::default())).is_some(), "{kind} has no data type here");
        }
    });
    // tungstenite hands the server only valid UTF-8 as a text frame.
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(frame) = serde_json::from_str::<ClientFrame>(text) else { return };
    round_trip(&frame);
    // As the server's `parse` does: absent `data` reads as `{}`.
    let data = frame.data.clone().unwrap_or_else(|| Value::Object(Default::default()));
    request_data(&frame.kind, data);
}

/// Reads `data` as the type the request `kind` takes (the table `dispatch` in
/// `magpie-http/src/ws.rs` follows), checks what it accepts, and says whether it knew the kind.
fn request_data(kind: &str, data: Value) -> Option<()> {
    match kind {
        // Requests that read no data.
        t::PING
        | t::GET_ME
        | t::LIST_SESSIONS
        | t::LIST_CONTACTS
        | t::LIST_FRIEND_REQUESTS
        | t::LIST_BLOCKED
        | t::LIST_STICKERS => {}
        t::CREATE_CONVERSATION => check::<w::CreateConversationRequest>(data),
        t::GET_CONVERSATION | t::LIST_MEMBERS | t::LEAVE | t::DISSOLVE | t::GET_RECEIPTS | t::TYPING => {
            check::<w::ConversationRef>(data)
        }
        t::LIST_CONVERSATIONS => check::<w::ListConversations>(data),
        t::ADD_MEMBERS | t::REMOVE_MEMBERS => check::<w::InConversation<w::MembersRequest>>(data),
        t::UPDATE_GROUP => check::<w::InConversation<w::UpdateGroupRequest>>(data),
        t::SET_ROLE | t::TRANSFER_OWNERSHIP | t::MUTE_MEMBER => check::<w::InConversation<w::MemberChange>>(data),
        t::UPDATE_SETTINGS => check::<w::InConversation<w::SettingsRequest>>(data),
        t::SEND => {
            if let Some(send) = parsed::<w::InConversation<w::SendRequest>>(data) {
                crate::content::check_body(&send.data.kind, &send.data.body);
            }
        }
        t::FORWARD => check::<w::InConversation<w::ForwardRequest>>(data),
        t::EDIT => {
            if let Some(edit) = parsed::<w::AtEntry<w::EditRequest>>(data) {
                crate::content::check_edit(&edit.data);
            }
        }
        t::RECALL => check::<w::AtEntry<w::RecallRequest>>(data),
        t::REACT => check::<w::AtEntry<w::ReactRequest>>(data),
        t::HIDE => check::<w::InConversation<w::HideRequest>>(data),
        t::GET_MESSAGES => check::<w::InConversation<w::HistoryQuery>>(data),
        t::MARK_READ | t::MARK_DELIVERED => check::<w::InConversation<w::MarkRequest>>(data),
        t::SYNC => check::<w::SyncRequest>(data),
        t::SEND_FRIEND_REQUEST => check::<w::FriendRequestRequest>(data),
        t::ACCEPT_FRIEND_REQUEST | t::REJECT_FRIEND_REQUEST | t::REMOVE_CONTACT | t::BLOCK | t::UNBLOCK => {
            check::<w::AccountRef>(data)
        }
        t::SET_PRESENCE => check::<w::SetPresenceRequest>(data),
        t::GET_PRESENCE => check::<w::PresenceQuery>(data),
        _ => return None,
    }
    Some(())
}

/// A REST request: a first line naming the body's type (`SendRequest`), or `?` and the type
/// of a query string (`?HistoryQuery`), then the body or the query.
pub fn rest_body(data: &[u8]) {
    let Some((name, rest)) = crate::first_line(data) else { return };
    if let Some(type_name) = name.strip_prefix('?') {
        let Ok(query) = std::str::from_utf8(rest) else { return };
        match type_name {
            "ListConversations" => check_query::<w::ListConversations>(query),
            "HistoryQuery" => check_query::<w::HistoryQuery>(query),
            "RecallRequest" => check_query::<w::RecallRequest>(query),
            "SyncRequest" => check_query::<w::SyncRequest>(query),
            _ => {}
        }
        return;
    }
    // axum's `Json` reads the bytes with `serde_json::from_slice`.
    let Ok(body) = serde_json::from_slice::<Value>(rest) else { return };
    match name {
        "LoginRequest" => check::<w::LoginRequest>(body),
        "RegisterRequest" => check::<w::RegisterRequest>(body),
        "UpdateProfileRequest" => check::<w::UpdateProfileRequest>(body),
        "ChangePasswordRequest" => check::<w::ChangePasswordRequest>(body),
        "CreateDomainRequest" => check::<w::CreateDomainRequest>(body),
        "UpdateDomainRequest" => check::<w::UpdateDomainRequest>(body),
        "CreateAccountRequest" => check::<w::CreateAccountRequest>(body),
        "CreateConversationRequest" => check::<w::CreateConversationRequest>(body),
        "UpdateGroupRequest" => check::<w::UpdateGroupRequest>(body),
        "MembersRequest" => check::<w::MembersRequest>(body),
        "RoleRequest" => check::<w::RoleRequest>(body),
        "MuteMemberRequest" => check::<w::MuteMemberRequest>(body),
        "MemberChange" => check::<w::MemberChange>(body),
        "SettingsRequest" => check::<w::SettingsRequest>(body),
        "SendRequest" => {
            if let Some(send) = parsed::<w::SendRequest>(body) {
                crate::content::check_body(&send.kind, &send.body);
            }
        }
        "EditRequest" => {
            if let Some(edit) = parsed::<w::EditRequest>(body) {
                crate::content::check_edit(&edit);
            }
        }
        "ReactRequest" => check::<w::ReactRequest>(body),
        "ForwardRequest" => check::<w::ForwardRequest>(body),
        "HideRequest" => check::<w::HideRequest>(body),
        "MarkRequest" => check::<w::MarkRequest>(body),
        "FriendRequestRequest" => check::<w::FriendRequestRequest>(body),
        "SetPresenceRequest" => check::<w::SetPresenceRequest>(body),
        "CreateStickerPackRequest" => check::<w::CreateStickerPackRequest>(body),
        "AddStickerRequest" => check::<w::AddStickerRequest>(body),
        _ => {}
    }
}

/// Reads `value` as a `T`; what it accepts must write out and read back as itself.
fn check<T: Serialize + DeserializeOwned>(value: Value) {
    parsed::<T>(value);
}

/// [`check`], giving the value read for further checks.
fn parsed<T: Serialize + DeserializeOwned>(value: Value) -> Option<T> {
    let parsed = serde_json::from_value::<T>(value).ok()?;
    round_trip(&parsed);
    Some(parsed)
}

/// Written out as JSON and read back, a value is the same (compared as JSON values, so that
/// types without `PartialEq` are checked too); and its text reads back as a `T`.
fn round_trip<T: Serialize + DeserializeOwned>(value: &T) {
    let written = serde_json::to_value(value);
    let written = written.unwrap_or_else(|e| panic!("{} does not write out: {e}", std::any::type_name::<T>()));
    let again = serde_json::from_value::<T>(written.clone())
        .unwrap_or_else(|e| panic!("{} does not read back {written}: {e}", std::any::type_name::<T>()));
    let rewritten = serde_json::to_value(&again).unwrap_or_default();
    assert_eq!(written, rewritten, "{} changes when read back", std::any::type_name::<T>());
    let text = serde_json::to_string(value).unwrap_or_default();
    if let Err(e) = serde_json::from_str::<T>(&text) {
        panic!("{} does not read back its text {text}: {e}", std::any::type_name::<T>());
    }
}

/// A query string read as axum's `Query` reads it; what it accepts must encode and read back.
fn check_query<T: Serialize + DeserializeOwned>(query: &str) {
    let Ok(parsed) = serde_urlencoded::from_str::<T>(query) else { return };
    let encoded = serde_urlencoded::to_string(&parsed)
        .unwrap_or_else(|e| panic!("{} does not encode: {e}", std::any::type_name::<T>()));
    let again = serde_urlencoded::from_str::<T>(&encoded)
        .unwrap_or_else(|e| panic!("{} does not read back {encoded:?}: {e}", std::any::type_name::<T>()));
    let (a, b) = (serde_json::to_value(&parsed).unwrap_or_default(), serde_json::to_value(&again).unwrap_or_default());
    assert_eq!(a, b, "{} changes when encoded and read back", std::any::type_name::<T>());
}
