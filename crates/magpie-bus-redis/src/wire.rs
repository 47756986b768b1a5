//! The bus's wire form: a private serde mirror of [`Wake`], JSON in one pub/sub message, so
//! that the core's types carry no serde derives for Redis and the form changes only here.
//!
//! A message is `{"node": "<publisher>", "wake": {"kind": …}}`. What crosses nodes:
//!
//! - `Wake::Log` as its `to` cursor only (a decimal string: a `u128` does not fit a JSON
//!   number that every reader keeps exact). Its items stay home: a receiver gets
//!   `Wake::Log { from: None, to, items: [] }`, and a follower that is not at `to` reads the
//!   store's tail, which is what it must do for another node's commits anyway.
//! - `Wake::Signal` whole: the accounts and every field of the signal.
//! - `Wake::Profile` whole except the password hash, which no receiver reads (the profile goes
//!   to the account's devices) and which has no business on a channel that every node, and
//!   anyone who can `SUBSCRIBE`, hears: it arrives as `None`.
//!
//! Names (`alice@acme.example`) travel in their display form and are parsed again on receipt,
//! so a message that another version or a stranger wrote cannot smuggle in a name the core
//! would refuse. The mirror destructures every core type exhaustively: a field added in the
//! core fails to compile here until the wire form says what becomes of it.

use std::sync::Arc;

use magpie_core::marks::MemberMarks;
use magpie_core::model::{Account, AccountId, ConversationId, DomainId, LogCursor, ProfileFields, Role, Seq};
use magpie_core::names::AccountAddr;
use magpie_core::ports::Wake;
use magpie_core::presence::{PresenceInfo, Signal, Status};
use serde::{Deserialize, Serialize};

/// Why a message from the channel was not turned into a wake.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DecodeError {
    #[error("not a wake message: {0}")]
    Json(#[from] serde_json::Error),
    #[error("bad {field}: {reason}")]
    Field { field: &'static str, reason: String },
}

fn bad(field: &'static str, reason: impl ToString) -> DecodeError {
    DecodeError::Field { field, reason: reason.to_string() }
}

/// One message on the channel.
#[derive(Debug, Serialize, Deserialize)]
struct Envelope {
    /// The node that published it, so that it skips its own.
    node: String,
    wake: WireWake,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum WireWake {
    Log { to: String },
    Signal { accounts: Vec<i64>, signal: WireSignal },
    Profile { account: WireAccount },
    Directory { domain: i64 },
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum WireSignal {
    Typing { conversation: i64, account: String },
    Presence(WirePresence),
    Marks { conversation: i64, members: Vec<WireMarks> },
}

#[derive(Debug, Serialize, Deserialize)]
struct WirePresence {
    account: String,
    status: WireStatus,
    text: Option<String>,
    last_seen_ms: Option<i64>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum WireStatus {
    Online,
    Away,
    Busy,
    Offline,
}

#[derive(Debug, Serialize, Deserialize)]
struct WireMarks {
    account: String,
    read_seq: i64,
    delivered_seq: i64,
}

#[derive(Debug, Serialize, Deserialize)]
struct WireAccount {
    id: i64,
    domain_id: i64,
    addr: String,
    /// [`Role::as_str`].
    role: String,
    disabled: bool,
    display_name: String,
    avatar: Option<String>,
    signature: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    created_at_ms: i64,
    /// Absent in what a node from before bots published: a person.
    #[serde(default)]
    bot: bool,
}

/// The message for `wake`, published by `node`.
pub(crate) fn encode(node: &str, wake: &Wake) -> Result<Vec<u8>, serde_json::Error> {
    let wake = match wake {
        Wake::Log { to, .. } => WireWake::Log { to: to.to_string() },
        Wake::Signal { accounts, signal } => {
            WireWake::Signal { accounts: accounts.iter().map(|a| a.0).collect(), signal: signal_to_wire(signal) }
        }
        Wake::Profile(account) => WireWake::Profile { account: account_to_wire(account) },
        Wake::Directory(domain) => WireWake::Directory { domain: domain.0 },
    };
    serde_json::to_vec(&Envelope { node: node.to_owned(), wake })
}

/// The publishing node and the wake of a message.
pub(crate) fn decode(message: &[u8]) -> Result<(String, Wake), DecodeError> {
    let Envelope { node, wake } = serde_json::from_slice(message)?;
    let wake = match wake {
        WireWake::Log { to } => {
            let to = to.parse::<LogCursor>().map_err(|e| bad("to", e))?;
            Wake::Log { from: None, to, items: Arc::from([]) }
        }
        WireWake::Signal { accounts, signal } => {
            Wake::Signal { accounts: accounts.into_iter().map(AccountId).collect(), signal: signal_from_wire(signal)? }
        }
        WireWake::Profile { account } => Wake::Profile(Arc::new(account_from_wire(account)?)),
        WireWake::Directory { domain } => Wake::Directory(DomainId(domain)),
    };
    Ok((node, wake))
}

fn signal_to_wire(signal: &Signal) -> WireSignal {
    match signal {
        Signal::Typing { conversation, account } => {
            WireSignal::Typing { conversation: conversation.0, account: account.to_string() }
        }
        Signal::Presence(PresenceInfo { account, status, text, last_seen_ms }) => WireSignal::Presence(WirePresence {
            account: account.to_string(),
            status: status_to_wire(*status),
            text: text.clone(),
            last_seen_ms: *last_seen_ms,
        }),
        Signal::Marks { conversation, members } => WireSignal::Marks {
            conversation: conversation.0,
            members: members
                .iter()
                .map(|MemberMarks { account, read_seq, delivered_seq }| WireMarks {
                    account: account.to_string(),
                    read_seq: read_seq.0,
                    delivered_seq: delivered_seq.0,
                })
                .collect(),
        },
    }
}

fn signal_from_wire(signal: WireSignal) -> Result<Signal, DecodeError> {
    Ok(match signal {
        WireSignal::Typing { conversation, account } => {
            Signal::Typing { conversation: ConversationId(conversation), account: addr("account", &account)? }
        }
        WireSignal::Presence(WirePresence { account, status, text, last_seen_ms }) => Signal::Presence(PresenceInfo {
            account: addr("account", &account)?,
            status: status_from_wire(status),
            text,
            last_seen_ms,
        }),
        WireSignal::Marks { conversation, members } => Signal::Marks {
            conversation: ConversationId(conversation),
            members: members
                .into_iter()
                .map(|WireMarks { account, read_seq, delivered_seq }| {
                    Ok(MemberMarks {
                        account: addr("account", &account)?,
                        read_seq: Seq(read_seq),
                        delivered_seq: Seq(delivered_seq),
                    })
                })
                .collect::<Result<_, DecodeError>>()?,
        },
    })
}

fn status_to_wire(status: Status) -> WireStatus {
    match status {
        Status::Online => WireStatus::Online,
        Status::Away => WireStatus::Away,
        Status::Busy => WireStatus::Busy,
        Status::Offline => WireStatus::Offline,
    }
}

fn status_from_wire(status: WireStatus) -> Status {
    match status {
        WireStatus::Online => Status::Online,
        WireStatus::Away => Status::Away,
        WireStatus::Busy => Status::Busy,
        WireStatus::Offline => Status::Offline,
    }
}

fn account_to_wire(account: &Account) -> WireAccount {
    // Exhaustive on purpose: a new field must be placed on the wire, or left off with a reason.
    let Account {
        id,
        domain_id,
        addr,
        role,
        disabled,
        // Withheld: see the module's documentation.
        password_hash: _,
        profile: ProfileFields { display_name, avatar, signature, email, phone },
        created_at_ms,
        bot,
    } = account;
    WireAccount {
        id: id.0,
        domain_id: domain_id.0,
        addr: addr.to_string(),
        role: role.as_str().to_owned(),
        disabled: *disabled,
        display_name: display_name.clone(),
        avatar: avatar.clone(),
        signature: signature.clone(),
        email: email.clone(),
        phone: phone.clone(),
        created_at_ms: *created_at_ms,
        bot: *bot,
    }
}

fn account_from_wire(account: WireAccount) -> Result<Account, DecodeError> {
    let WireAccount {
        id,
        domain_id,
        addr: account_addr,
        role,
        disabled,
        display_name,
        avatar,
        signature,
        email,
        phone,
        created_at_ms,
        bot,
    } = account;
    Ok(Account {
        id: AccountId(id),
        domain_id: DomainId(domain_id),
        addr: addr("addr", &account_addr)?,
        role: Role::parse(&role).ok_or_else(|| bad("role", format!("unknown role {role:?}")))?,
        disabled,
        password_hash: None,
        profile: ProfileFields { display_name, avatar, signature, email, phone },
        created_at_ms,
        bot,
    })
}

fn addr(field: &'static str, text: &str) -> Result<AccountAddr, DecodeError> {
    AccountAddr::parse(text).map_err(|e| bad(field, e))
}

#[cfg(test)]
mod tests {
    use magpie_core::chat::{AccountEvent, Committed, LoggedEvent};
    use magpie_core::model::EventSeq;

    use super::*;

    fn round_trip(wake: &Wake) -> Wake {
        let (node, back) = decode(&encode("n1", wake).unwrap()).unwrap();
        assert_eq!(node, "n1");
        back
    }

    #[test]
    fn log_wakes_cross_as_their_cursor_alone() {
        let item = Committed::Event(Arc::new(LoggedEvent {
            account: AccountId(7),
            seq: EventSeq(1),
            at_ms: 1,
            event: AccountEvent::ConversationJoined { conversation: ConversationId(3) },
        }));
        let to = LogCursor(u128::MAX - 1);
        let wake = Wake::Log { from: Some(LogCursor(41)), to, items: Arc::from([item]) };
        let Wake::Log { from, to: back, items } = round_trip(&wake) else { panic!("not a log wake") };
        assert_eq!((from, back, items.len()), (None, to, 0));
    }

    #[test]
    fn directory_wakes_cross_with_their_domain() {
        let Wake::Directory(domain) = round_trip(&Wake::Directory(DomainId(9))) else { panic!("not a directory wake") };
        assert_eq!(domain, DomainId(9));
    }

    #[test]
    fn malformed_messages_are_refused() {
        for message in [
            &b"not json"[..],
            br#"{"node":"n","wake":{"kind":"log","to":"-1"}}"#,
            br#"{"node":"n","wake":{"kind":"unknown"}}"#,
            br#"{"node":"n","wake":{"kind":"signal","accounts":[1],"signal":{"kind":"typing","conversation":1,"account":"no at sign"}}}"#,
        ] {
            assert!(decode(message).is_err(), "{}", String::from_utf8_lossy(message));
        }
    }

    #[test]
    fn profiles_cross_without_the_password_hash() {
        let account = Account {
            id: AccountId(9),
            domain_id: DomainId(2),
            addr: AccountAddr::parse("zhang.san@acme.example").unwrap(),
            role: Role::DomainAdmin,
            disabled: true,
            password_hash: Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into()),
            profile: ProfileFields {
                display_name: "张三".into(),
                avatar: Some("f_avatar".into()),
                signature: Some("签名".into()),
                email: Some("zs@acme.example".into()),
                phone: Some("+86 10 1234 5678".into()),
            },
            created_at_ms: 1_700_000_000_123,
            bot: true,
        };
        let message = encode("n1", &Wake::Profile(Arc::new(account.clone()))).unwrap();
        assert!(!String::from_utf8_lossy(&message).contains("argon2"), "the hash stays home");
        let Wake::Profile(back) = round_trip(&Wake::Profile(Arc::new(account.clone()))) else {
            panic!("not a profile")
        };
        assert_eq!(*back, Account { password_hash: None, ..account });
    }
}
