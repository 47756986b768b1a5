//! The wire format, frozen: a change to any of these strings is a protocol change and must be
//! made on purpose (and in `docs/protocol.md`). Update with `UPDATE_EXPECT=1 cargo test`.

use expect_test::{Expect, expect};
use magpie_wire::*;
use serde_json::json;

/// Serialises `value` and compares it with the snapshot, then checks that it reads back.
fn check<T>(value: &T, snapshot: Expect)
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let text = serde_json::to_string(value).unwrap_or_default();
    snapshot.assert_eq(&text);
    let back: T = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{text} does not read back: {e}"));
    assert_eq!(&back, value);
}

fn me() -> Me {
    Me {
        profile: Profile {
            account: "alice@localhost".into(),
            display_name: "张三".into(),
            avatar: None,
            signature: Some("在开会".into()),
            email: None,
            phone: None,
            bot: false,
        },
        role: Role::Member,
        created_at_ms: 1_700_000_000_000,
    }
}

fn session() -> SessionInfo {
    SessionInfo {
        id: 7,
        device: Some("Firefox".into()),
        ip: Some("127.0.0.1".into()),
        created_at_ms: 1_700_000_000_000,
        last_seen_at_ms: 1_700_000_000_000,
        expires_at_ms: 1_702_592_000_000,
        current: true,
    }
}

#[test]
fn error_bodies() {
    let mut limited = ErrorBody::new(ErrorCode::RateLimited, "too many attempts; retry in 60 s");
    limited.error.retry_after_secs = Some(60);
    check(
        &limited,
        expect![[
            r#"{"error":{"code":"rate_limited","message":"too many attempts; retry in 60 s","retry_after_secs":60}}"#
        ]],
    );
    let mut invalid = ErrorBody::new(ErrorCode::InvalidField, "email: must look like name@example.com");
    invalid.error.field = Some("email".into());
    check(
        &invalid,
        expect![[
            r#"{"error":{"code":"invalid_field","message":"email: must look like name@example.com","field":"email"}}"#
        ]],
    );
}

#[test]
fn every_error_code_has_its_own_name_and_a_client_error_or_server_error_status() {
    for code in ErrorCode::ALL {
        let text = serde_json::to_string(&code).unwrap_or_default();
        assert_eq!(text, format!("\"{}\"", code.as_str()));
        assert!((400..600).contains(&code.http_status()), "{code}");
    }
    let newer: ErrorCode = serde_json::from_str("\"code_from_the_future\"").unwrap_or(ErrorCode::Internal);
    assert_eq!(newer, ErrorCode::Unknown);
}

#[test]
fn server_frames() {
    check(
        &ServerFrame::Hello(Hello {
            session: session(),
            me: me(),
            heartbeat_interval_secs: 25,
            idle_timeout_secs: 60,
            frame_bytes_max: 65536,
        }),
        expect![[
            r#"{"type":"hello","session":{"id":7,"device":"Firefox","ip":"127.0.0.1","created_at_ms":1700000000000,"last_seen_at_ms":1700000000000,"expires_at_ms":1702592000000,"current":true},"me":{"account":"alice@localhost","display_name":"张三","signature":"在开会","role":"member","created_at_ms":1700000000000},"heartbeat_interval_secs":25,"idle_timeout_secs":60,"frame_bytes_max":65536}"#
        ]],
    );
    let data = serde_json::value::to_raw_value(&json!({"ok": [1]})).unwrap_or_else(|e| panic!("{e}"));
    let reply = ServerFrame::Reply { id: 3, data };
    let text = serde_json::to_string(&reply).unwrap_or_default();
    expect![[r#"{"type":"reply","id":3,"data":{"ok":[1]}}"#]].assert_eq(&text);
    assert_eq!(ServerFrame::from_json(&text).ok(), Some(reply));
    check(
        &ServerFrame::Error { id: None, error: ErrorBody::new(ErrorCode::MalformedFrame, "not a request frame").error },
        expect![[r#"{"type":"error","id":null,"error":{"code":"malformed_frame","message":"not a request frame"}}"#]],
    );
    check(
        &ServerFrame::Event(Event::SessionRevoked { reason: RevokeReason::PasswordChanged }),
        expect![[r#"{"type":"event","event":"session_revoked","data":{"reason":"password_changed"}}"#]],
    );
    check(
        &ServerFrame::Event(Event::ProfileUpdated(me())),
        expect![[
            r#"{"type":"event","event":"profile_updated","data":{"account":"alice@localhost","display_name":"张三","signature":"在开会","role":"member","created_at_ms":1700000000000}}"#
        ]],
    );
}

#[test]
fn client_frames_and_login() {
    let frame: RawRequest<'_> = serde_json::from_str(r#"{"id":1,"type":"ping"}"#).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((frame.id, frame.kind.as_str(), frame.data.is_none()), (1, "ping", true));
    assert_eq!(frame.request().ok(), Some(Request::Ping(Empty {})));
    let login: LoginRequest =
        serde_json::from_str(r#"{"account":"alice@localhost","password":"pw"}"#).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(login.device, None);
}

fn entry() -> Entry {
    Entry {
        conversation: 12,
        seq: 5,
        id: 991,
        sender: "alice@localhost".into(),
        client_msg_id: Some("c-1".into()),
        kind: "text".into(),
        body: Some(json!({"text": "你好 @bob"})),
        target: None,
        mentions: vec!["bob@localhost".into()],
        mention_all: false,
        reply_to: Some(4),
        thread: None,
        broadcast: false,
        thread_summary: None,
        forwarded_from: None,
        at_ms: 1_700_000_000_000,
        edited_at_ms: None,
        recalled_at_ms: None,
        reactions: vec![Reaction { emoji: "👍".into(), accounts: vec!["bob@localhost".into()] }],
        hidden: false,
    }
}

#[test]
fn messaging_frames() {
    check(
        &ServerFrame::Event(Event::Entry(Box::new(entry()))),
        expect![[
            r#"{"type":"event","event":"entry","data":{"conversation":12,"seq":5,"id":991,"sender":"alice@localhost","client_msg_id":"c-1","kind":"text","body":{"text":"你好 @bob"},"mentions":["bob@localhost"],"reply_to":4,"at_ms":1700000000000,"reactions":[{"emoji":"👍","accounts":["bob@localhost"]}]}}"#
        ]],
    );
    check(
        &ServerFrame::Event(Event::Account(AccountEventFrame {
            seq: 9,
            at_ms: 1_700_000_000_000,
            event: AccountEvent::PeerRead { conversation: 12, account: "bob@localhost".into(), seq: 5 },
        })),
        expect![[
            r#"{"type":"event","event":"account","data":{"seq":9,"at_ms":1700000000000,"event":{"kind":"peer_read","conversation":12,"account":"bob@localhost","seq":5}}}"#
        ]],
    );
    check(
        &Ack { conversation: 12, seq: 5, id: 991, at_ms: 1_700_000_000_000, duplicate: false },
        expect![[r#"{"conversation":12,"seq":5,"id":991,"at_ms":1700000000000,"duplicate":false}"#]],
    );
    check(
        &CreateConversationRequest::Direct { peer: "bob@localhost".into() },
        expect![[r#"{"kind":"direct","peer":"bob@localhost"}"#]],
    );
    check(
        &ServerFrame::Event(Event::Presence(Presence {
            account: "bob@localhost".into(),
            status: PresenceStatus::Offline,
            text: None,
            last_seen_ms: Some(1_700_000_000_000),
        })),
        expect![[
            r#"{"type":"event","event":"presence","data":{"account":"bob@localhost","status":"offline","last_seen_ms":1700000000000}}"#
        ]],
    );
    // Events a newer server adds are read as `unknown`, not as a broken frame.
    let newer: AccountEventFrame =
        serde_json::from_str(r#"{"seq":1,"at_ms":0,"event":{"kind":"from_the_future","x":1}}"#)
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(newer.event, AccountEvent::Unknown);
}

#[test]
fn system_notices() {
    check(
        &SystemNotice::Created {
            by: "alice@localhost".into(),
            kind: ConversationKind::Group,
            name: Some("Lunch".into()),
            members: vec!["bob@localhost".into()],
        },
        expect![[
            r#"{"event":"created","by":"alice@localhost","kind":"group","name":"Lunch","members":["bob@localhost"]}"#
        ]],
    );
    check(
        &SystemNotice::InfoChanged {
            by: "alice@localhost".into(),
            name: None,
            description: Some(None),
            avatar: None,
            announcement: Some(Some("Friday: hotpot".into())),
            mute_all: Some(true),
        },
        expect![[
            r#"{"event":"info_changed","by":"alice@localhost","description":null,"announcement":"Friday: hotpot","mute_all":true}"#
        ]],
    );
    check(
        &SystemNotice::MuteAll { by: "alice@localhost".into(), on: false },
        expect![[r#"{"event":"mute_all","by":"alice@localhost","on":false}"#]],
    );
    check(
        &SystemNotice::MemberMuted { by: "alice@localhost".into(), member: "bob@localhost".into(), until_ms: None },
        expect![[r#"{"event":"member_muted","by":"alice@localhost","member":"bob@localhost","until_ms":null}"#]],
    );
    check(
        &SystemNotice::OwnerChanged { from: "alice@localhost".into(), to: "bob@localhost".into() },
        expect![[r#"{"event":"owner_changed","from":"alice@localhost","to":"bob@localhost"}"#]],
    );
    check(
        &ForwardBody {
            conversation: 12,
            messages: vec![ForwardedMessage {
                sender: "bob@localhost".into(),
                kind: "text".into(),
                body: Some(json!({"text": "hi"})),
                at_ms: 1_700_000_000_000,
            }],
        },
        expect![[
            r#"{"conversation":12,"messages":[{"sender":"bob@localhost","kind":"text","body":{"text":"hi"},"at_ms":1700000000000}]}"#
        ]],
    );
}

#[test]
fn pins_and_saved_messages() {
    check(
        &SystemNotice::MessagePinned { by: "alice@localhost".into(), seq: 5 },
        expect![[r#"{"event":"message_pinned","by":"alice@localhost","seq":5}"#]],
    );
    check(
        &SystemNotice::MessageUnpinned { by: "alice@localhost".into(), seq: 5 },
        expect![[r#"{"event":"message_unpinned","by":"alice@localhost","seq":5}"#]],
    );
    check(
        &PinList {
            pins: vec![Pin { entry: entry(), pinned_by: "alice@localhost".into(), pinned_at_ms: 1_700_000_100_000 }],
        },
        expect![[
            r#"{"pins":[{"entry":{"conversation":12,"seq":5,"id":991,"sender":"alice@localhost","client_msg_id":"c-1","kind":"text","body":{"text":"你好 @bob"},"mentions":["bob@localhost"],"reply_to":4,"at_ms":1700000000000,"reactions":[{"emoji":"👍","accounts":["bob@localhost"]}]},"pinned_by":"alice@localhost","pinned_at_ms":1700000100000}]}"#
        ]],
    );
    let item = SavedItem {
        id: 41,
        conversation: 12,
        conversation_kind: ConversationKind::Direct,
        conversation_name: None,
        peer: Some("bob@localhost".into()),
        seq: 5,
        sender: "bob@localhost".into(),
        kind: "text".into(),
        body: Some(json!({"text": "门禁密码是 4512"})),
        at_ms: 1_700_000_000_000,
        note: Some("front door".into()),
        saved_at_ms: 1_700_000_200_000,
        recalled_at_ms: None,
    };
    check(
        &SavedPage { items: vec![item.clone()], more: false },
        expect![[
            r#"{"items":[{"id":41,"conversation":12,"conversation_kind":"direct","peer":"bob@localhost","seq":5,"sender":"bob@localhost","kind":"text","body":{"text":"门禁密码是 4512"},"at_ms":1700000000000,"note":"front door","saved_at_ms":1700000200000}],"more":false}"#
        ]],
    );
    let erased = SavedItem { body: None, recalled_at_ms: Some(1_700_000_300_000), note: None, ..item };
    check(
        &erased,
        expect![[
            r#"{"id":41,"conversation":12,"conversation_kind":"direct","peer":"bob@localhost","seq":5,"sender":"bob@localhost","kind":"text","body":null,"at_ms":1700000000000,"saved_at_ms":1700000200000,"recalled_at_ms":1700000300000}"#
        ]],
    );
    for (event, snapshot) in [
        (
            AccountEvent::SavedChanged { id: 41 },
            expect![[r#"{"seq":30,"at_ms":1700000300000,"event":{"kind":"saved_changed","id":41}}"#]],
        ),
        (
            AccountEvent::SavedRemoved { id: 41 },
            expect![[r#"{"seq":30,"at_ms":1700000300000,"event":{"kind":"saved_removed","id":41}}"#]],
        ),
    ] {
        check(&AccountEventFrame { seq: 30, at_ms: 1_700_000_300_000, event }, snapshot);
    }
    check(&SaveRequest { conversation: 12, seq: 5, note: None }, expect![[r#"{"conversation":12,"seq":5}"#]]);
    check(&UpdateSavedRequest { note: Some("slide 3".into()) }, expect![[r#"{"note":"slide 3"}"#]]);
}

#[test]
fn scheduled_messages() {
    let waiting = ScheduledMessage {
        id: 7,
        conversation: 12,
        kind: "text".into(),
        body: json!({"text": "站会 10 点开始"}),
        mentions: vec!["bob@localhost".into()],
        mention_all: false,
        reply_to: Some(2),
        send_at_ms: 1_700_003_600_000,
        created_at_ms: 1_700_000_000_000,
        updated_at_ms: 1_700_000_100_000,
        state: ScheduledState::Pending,
        failure: None,
    };
    check(
        &ScheduledList { scheduled: vec![waiting.clone()] },
        expect![[
            r#"{"scheduled":[{"id":7,"conversation":12,"kind":"text","body":{"text":"站会 10 点开始"},"mentions":["bob@localhost"],"reply_to":2,"send_at_ms":1700003600000,"created_at_ms":1700000000000,"updated_at_ms":1700000100000,"state":"pending"}]}"#
        ]],
    );
    let failed = ScheduledMessage {
        mentions: vec![],
        reply_to: None,
        state: ScheduledState::Failed,
        failure: Some(ScheduledFailure {
            code: ErrorCode::Forbidden,
            message: "not allowed".into(),
            at_ms: 1_700_003_600_050,
        }),
        ..waiting
    };
    check(
        &failed,
        expect![[
            r#"{"id":7,"conversation":12,"kind":"text","body":{"text":"站会 10 点开始"},"send_at_ms":1700003600000,"created_at_ms":1700000000000,"updated_at_ms":1700000100000,"state":"failed","failure":{"code":"forbidden","message":"not allowed","at_ms":1700003600050}}"#
        ]],
    );
    for (event, snapshot) in [
        (
            AccountEvent::ScheduledChanged { id: 7 },
            expect![[r#"{"seq":31,"at_ms":1700003600060,"event":{"kind":"scheduled_changed","id":7}}"#]],
        ),
        (
            AccountEvent::ScheduledRemoved { id: 7 },
            expect![[r#"{"seq":31,"at_ms":1700003600060,"event":{"kind":"scheduled_removed","id":7}}"#]],
        ),
        (
            AccountEvent::ScheduledSent { id: 7, conversation: 12, seq: 9 },
            expect![[
                r#"{"seq":31,"at_ms":1700003600060,"event":{"kind":"scheduled_sent","id":7,"conversation":12,"seq":9}}"#
            ]],
        ),
    ] {
        check(&AccountEventFrame { seq: 31, at_ms: 1_700_003_600_060, event }, snapshot);
    }
    let schedule = ScheduleRequest {
        kind: "text".into(),
        body: json!({"text": "hi"}),
        mentions: vec![],
        mention_all: false,
        reply_to: None,
        send_at_ms: 1_700_003_600_000,
    };
    check(&schedule, expect![[r#"{"kind":"text","body":{"text":"hi"},"send_at_ms":1700003600000}"#]]);
    let patch = UpdateScheduledRequest { send_at_ms: Some(1_700_007_200_000), ..Default::default() };
    check(&patch, expect![[r#"{"send_at_ms":1700007200000}"#]]);
    let frame: RawRequest<'_> =
        serde_json::from_str(r#"{"id":5,"type":"update_scheduled","data":{"id":7,"send_at_ms":1}}"#)
            .unwrap_or_else(|e| panic!("{e}"));
    let data = UpdateScheduledRequest { send_at_ms: Some(1), ..Default::default() };
    assert_eq!(frame.request().ok(), Some(Request::UpdateScheduled(InScheduled { id: 7, data })));
}
