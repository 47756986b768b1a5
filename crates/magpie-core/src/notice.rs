//! The bodies the core writes itself: system notices (what changed in a conversation, and by
//! whom) and merged forwards. Clients read them as they are stored, so their JSON is part of
//! the protocol (docs/protocol.md §7.3 and §7.4); `magpie_wire::SystemNotice` is the clients'
//! copy of [`Notice`], and a test in `magpie-http` holds the two to one form.
//!
//! Variants and fields are only ever added: old entries keep the form they were written in.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::chat::{ConversationKind, MemberRole};

/// The body of a `system` entry, tagged by its `event`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Notice {
    /// The group or channel was made, with its first members (the creator not among them).
    Created {
        by: String,
        kind: ConversationKind,
        name: Option<String>,
        members: Vec<String>,
    },
    MembersAdded {
        by: String,
        members: Vec<String>,
    },
    MembersRemoved {
        by: String,
        members: Vec<String>,
    },
    MemberLeft {
        member: String,
    },
    /// The group's info changed; only the fields that were set are present, `null` for one
    /// that was cleared. `mute_all` is present when the same request also switched mute-all.
    InfoChanged {
        by: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "present")]
        description: Option<Option<String>>,
        #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "present")]
        avatar: Option<Option<String>>,
        #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "present")]
        announcement: Option<Option<String>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mute_all: Option<bool>,
    },
    /// Only mute-all changed.
    MuteAll {
        by: String,
        on: bool,
    },
    RoleChanged {
        by: String,
        member: String,
        role: MemberRole,
    },
    OwnerChanged {
        from: String,
        to: String,
    },
    /// `until_ms` is `null` when the mute was lifted.
    MemberMuted {
        by: String,
        member: String,
        until_ms: Option<i64>,
    },
    Dissolved {
        by: String,
    },
    /// `by` pinned the message at `seq` for every member (the notice's `target` is that seq).
    MessagePinned {
        by: String,
        seq: i64,
    },
    /// `by` unpinned the message at `seq`.
    MessageUnpinned {
        by: String,
        seq: i64,
    },
    /// Retention deleted the entries up to `through_seq`, those older than `before_ms`:
    /// devices drop them (see [`crate::retention`]).
    HistoryPruned {
        through_seq: i64,
        before_ms: i64,
    },
}

/// A field that may be absent (`None`), `null` (`Some(None)`: cleared) or set.
fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// The `event` of every notice after which a conversation's members are not who they were.
pub const MEMBERSHIP_EVENTS: [&str; 5] = ["created", "members_added", "members_removed", "member_left", "dissolved"];

impl Notice {
    /// The notice as the body it is stored and sent as.
    pub fn body(&self) -> Value {
        // A notice is strings, numbers and booleans: it always has a JSON form.
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// Its `event`.
    pub fn event(&self) -> &'static str {
        match self {
            Notice::Created { .. } => "created",
            Notice::MembersAdded { .. } => "members_added",
            Notice::MembersRemoved { .. } => "members_removed",
            Notice::MemberLeft { .. } => "member_left",
            Notice::InfoChanged { .. } => "info_changed",
            Notice::MuteAll { .. } => "mute_all",
            Notice::RoleChanged { .. } => "role_changed",
            Notice::OwnerChanged { .. } => "owner_changed",
            Notice::MemberMuted { .. } => "member_muted",
            Notice::Dissolved { .. } => "dissolved",
            Notice::MessagePinned { .. } => "message_pinned",
            Notice::MessageUnpinned { .. } => "message_unpinned",
            Notice::HistoryPruned { .. } => "history_pruned",
        }
    }

    /// After this notice, does the conversation deliver to other accounts than before?
    pub fn changes_membership(&self) -> bool {
        match self {
            Notice::Created { .. }
            | Notice::MembersAdded { .. }
            | Notice::MembersRemoved { .. }
            | Notice::MemberLeft { .. }
            | Notice::Dissolved { .. } => true,
            Notice::InfoChanged { .. }
            | Notice::MuteAll { .. }
            | Notice::RoleChanged { .. }
            | Notice::OwnerChanged { .. }
            | Notice::MemberMuted { .. }
            | Notice::MessagePinned { .. }
            | Notice::MessageUnpinned { .. }
            | Notice::HistoryPruned { .. } => false,
        }
    }

    /// One notice of each kind, with every optional field set: for tests that hold other
    /// copies of the form (the wire's, the document's) to this one.
    pub fn samples() -> Vec<Notice> {
        let alice = || "alice@localhost".to_owned();
        let bob = || "bob@localhost".to_owned();
        vec![
            Notice::Created {
                by: alice(),
                kind: ConversationKind::Group,
                name: Some("Lunch".into()),
                members: vec![bob()],
            },
            Notice::MembersAdded { by: alice(), members: vec![bob()] },
            Notice::MembersRemoved { by: alice(), members: vec![bob()] },
            Notice::MemberLeft { member: bob() },
            Notice::InfoChanged {
                by: alice(),
                name: Some("Lunch".into()),
                description: Some(Some("where and when".into())),
                avatar: Some(None),
                announcement: Some(Some("Friday: hotpot".into())),
                mute_all: Some(true),
            },
            Notice::MuteAll { by: alice(), on: true },
            Notice::RoleChanged { by: alice(), member: bob(), role: MemberRole::Admin },
            Notice::OwnerChanged { from: alice(), to: bob() },
            Notice::MemberMuted { by: alice(), member: bob(), until_ms: Some(1_795_469_600_000) },
            Notice::Dissolved { by: alice() },
            Notice::MessagePinned { by: alice(), seq: 12 },
            Notice::MessageUnpinned { by: bob(), seq: 12 },
            Notice::HistoryPruned { through_seq: 40, before_ms: 1_795_469_600_000 },
        ]
    }
}

/// The body of a `forward` message: several messages forwarded as one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForwardBody {
    /// The conversation they came from.
    pub conversation: i64,
    pub messages: Vec<ForwardedMessage>,
}

/// One message of a merged forward, as it was when forwarded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForwardedMessage {
    pub sender: String,
    pub kind: String,
    pub body: Option<Value>,
    pub at_ms: i64,
}

impl ForwardBody {
    pub fn body(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn every_notice_reads_back_as_itself_and_names_its_event() {
        for notice in Notice::samples() {
            let body = notice.body();
            assert_eq!(body["event"], notice.event(), "{body}");
            assert_eq!(serde_json::from_value::<Notice>(body).ok(), Some(notice));
        }
    }

    #[test]
    fn the_membership_events_are_the_notices_that_change_membership() {
        let changing: Vec<&str> =
            Notice::samples().iter().filter(|n| n.changes_membership()).map(Notice::event).collect();
        assert_eq!(changing, MEMBERSHIP_EVENTS);
    }

    #[test]
    fn a_lifted_mute_says_null_and_an_info_change_only_what_changed() {
        let lifted = Notice::MemberMuted { by: "a@x".into(), member: "b@x".into(), until_ms: None };
        assert_eq!(lifted.body(), json!({"event": "member_muted", "by": "a@x", "member": "b@x", "until_ms": null}));
        let renamed = Notice::InfoChanged {
            by: "a@x".into(),
            name: Some("Tea".into()),
            description: None,
            avatar: None,
            announcement: None,
            mute_all: None,
        };
        assert_eq!(renamed.body(), json!({"event": "info_changed", "by": "a@x", "name": "Tea"}));
    }
}
