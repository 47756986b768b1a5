//! WebSocket request frames and REST bodies and queries, read as the server reads them
//! (`serde_json` for frames and JSON bodies, `serde_urlencoded` under axum's `Query`).

use magpie_wire::{self as w, RawRequest, Request, RequestFrame};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// A WebSocket text frame read as the server reads it: a [`RawRequest`] (id, type, raw data),
/// then its data as the type its `type` names ([`Request::parse`], the one table of types).
/// Whatever it accepts writes back and reads again as the same request.
pub fn ws_frame(data: &[u8]) {
    // tungstenite hands the server only valid UTF-8 as a text frame.
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(frame) = serde_json::from_str::<RawRequest<'_>>(text) else {
        // A frame that is not a request still has its id read, or none, without a panic.
        let _ = w::frame_id(text);
        return;
    };
    let Ok(request) = frame.request() else { return };
    match &request {
        Request::Send(send) => crate::content::check_body(&send.data.kind, &send.data.body),
        Request::Edit(edit) => crate::content::check_edit(&edit.data),
        _ => {}
    }
    let again = RequestFrame::new(frame.id, &request).and_then(|f| serde_json::to_string(&f));
    let Ok(again) = again else { panic!("{request:?} does not write") };
    let back: RawRequest<'_> = serde_json::from_str(&again).unwrap_or_else(|e| panic!("{again} does not read: {e}"));
    assert_eq!(back.request().ok(), Some(request), "{again} reads back as another request");
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
