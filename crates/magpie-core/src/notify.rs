//! Who is told of a message, and why (issue 17, "Notifications and push"): the preferences an
//! account and its memberships keep, and the rule that decides, for one message and one
//! member, whether to notify. The rule is a pure function of what it is given (no store, no
//! clock of its own), so that the log consumer that will push, mail and badge (and the tests)
//! apply one and the same rule.
//!
//! **The rule**, in order; the first that applies decides:
//!
//! 1. Never the sender; never a member who may not read the conversation (left, removed); never
//!    for a sender the member blocked; never for a message already read on any device.
//! 2. Why it concerns the member: a direct message; a mention of the member; `@all` (sent only
//!    where the group lets the sender, so it follows the group's rules); a keyword of the
//!    member's in the text (case-insensitive); or just a message.
//! 3. A thread reply kept out of the chat concerns only those it mentions (by name or keyword).
//!    A conversation muted until a later time lets through only a mention of the member.
//! 4. The level (the conversation's, else the account's): `nothing` lets nothing through,
//!    `mentions` lets through direct messages, mentions, `@all` and keywords; `all` everything.
//! 5. Quiet hours (do not disturb) in the account's time zone let nothing through.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::chat::AccountEvent;
use crate::model::{AccountId, Principal};
use crate::ports::{NotifyStore, Stores};
use crate::{Deps, Error, Result};

/// Most keywords one account keeps.
pub const KEYWORDS_MAX: usize = 20;
/// Longest keyword, in characters.
pub const KEYWORD_CHARS_MAX: usize = 32;
/// Longest time zone name (IANA names are shorter).
pub const TIME_ZONE_BYTES_MAX: usize = 64;
/// The least and most minutes offline before an email digest.
pub const DIGEST_AFTER_MINS_MIN: u32 = 15;
pub const DIGEST_AFTER_MINS_MAX: u32 = 7 * 24 * 60;
/// Longest language tag, in bytes.
pub const LANGUAGE_BYTES_MAX: usize = 16;
/// Minutes in a day.
const DAY_MINS: u16 = 24 * 60;

/// How much an account (or one of its conversations) wants to be told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Every message.
    #[default]
    All,
    /// Direct messages, mentions (`@all` too) and keywords.
    Mentions,
    /// Nothing.
    Nothing,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::All => "all",
            Level::Mentions => "mentions",
            Level::Nothing => "nothing",
        }
    }

    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "all" => Some(Level::All),
            "mentions" => Some(Level::Mentions),
            "nothing" => Some(Level::Nothing),
            _ => None,
        }
    }
}

/// A member's choice of level for one conversation: its own, or the account's (`default`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LevelChoice {
    /// Follow the account's level.
    Default,
    All,
    Mentions,
    Nothing,
}

impl LevelChoice {
    /// The level it overrides with, if any.
    pub fn level(self) -> Option<Level> {
        match self {
            LevelChoice::Default => None,
            LevelChoice::All => Some(Level::All),
            LevelChoice::Mentions => Some(Level::Mentions),
            LevelChoice::Nothing => Some(Level::Nothing),
        }
    }
}

/// Do-not-disturb hours, in the account's time zone: from `from_min` to `to_min` minutes after
/// midnight, across midnight when `from_min > to_min` (22:00 to 08:00).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuietHours {
    pub from_min: u16,
    pub to_min: u16,
}

impl QuietHours {
    /// Whether `minute` (after midnight) falls in them; `to_min` itself is outside.
    pub fn contains(self, minute: u16) -> bool {
        if self.from_min <= self.to_min {
            (self.from_min..self.to_min).contains(&minute)
        } else {
            minute >= self.from_min || minute < self.to_min
        }
    }
}

/// An account's notification preferences, the same on all its devices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NotifyPrefs {
    pub level: Level,
    pub quiet: Option<QuietHours>,
    /// An IANA time zone such as `Asia/Shanghai`, for the quiet hours.
    pub time_zone: String,
    /// Words that count as a mention of the account.
    pub keywords: Vec<String>,
    /// Whether pushes show the message's text (else only who wrote where).
    pub preview: bool,
    /// Whether unread mentions and direct messages are mailed after `digest_after_mins` away.
    pub email_digest: bool,
    pub digest_after_mins: u32,
    /// The language mails to the account are written in: `zh…` Chinese, else English (the
    /// client sends its own).
    pub language: String,
}

impl Default for NotifyPrefs {
    fn default() -> Self {
        NotifyPrefs {
            level: Level::All,
            quiet: None,
            time_zone: "UTC".into(),
            keywords: Vec::new(),
            preview: true,
            email_digest: false,
            digest_after_mins: 60,
            language: String::new(),
        }
    }
}

impl NotifyPrefs {
    /// The preferences as stored: keywords trimmed and without duplicates (ignoring case),
    /// every bound checked (a digest waits at least `digest_after_mins_min`, the operator's
    /// floor, itself at most [`DIGEST_AFTER_MINS_MIN`]); `invalid_field` naming the first that
    /// is broken.
    pub fn validated(mut self, digest_after_mins_min: u32) -> Result<NotifyPrefs> {
        if self.time_zone.len() > TIME_ZONE_BYTES_MAX || jiff::tz::TimeZone::get(&self.time_zone).is_err() {
            return Err(Error::invalid("time_zone", "is not a time zone name such as Asia/Shanghai"));
        }
        if let Some(q) = self.quiet
            && (q.from_min >= DAY_MINS || q.to_min >= DAY_MINS || q.from_min == q.to_min)
        {
            return Err(Error::invalid("quiet", "from_min and to_min must differ and be minutes of a day (0-1439)"));
        }
        let mut keywords: Vec<String> = Vec::with_capacity(self.keywords.len());
        for k in &self.keywords {
            let k = k.trim();
            if k.is_empty() || k.chars().count() > KEYWORD_CHARS_MAX || k.chars().any(char::is_control) {
                return Err(Error::invalid("keywords", format!("each must be 1 to {KEYWORD_CHARS_MAX} characters")));
            }
            if !keywords.iter().any(|have| have.to_lowercase() == k.to_lowercase()) {
                keywords.push(k.to_owned());
            }
        }
        if keywords.len() > KEYWORDS_MAX {
            return Err(Error::invalid("keywords", format!("at most {KEYWORDS_MAX}")));
        }
        self.keywords = keywords;
        let least = digest_after_mins_min.min(DIGEST_AFTER_MINS_MIN);
        if !(least..=DIGEST_AFTER_MINS_MAX).contains(&self.digest_after_mins) {
            return Err(Error::invalid("digest_after_mins", format!("must be {least} to {DIGEST_AFTER_MINS_MAX}")));
        }
        let language = self.language.trim();
        if language.len() > LANGUAGE_BYTES_MAX || !language.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(Error::invalid("language", "is a language tag such as zh-CN or en"));
        }
        self.language = language.to_owned();
        Ok(self)
    }

    /// Whether `now_ms` falls in the quiet hours, in the account's time zone.
    pub fn is_quiet(&self, now_ms: i64) -> bool {
        let Some(quiet) = self.quiet else { return false };
        let Ok(tz) = jiff::tz::TimeZone::get(&self.time_zone) else { return false };
        let Ok(at) = jiff::Timestamp::from_millisecond(now_ms) else { return false };
        let local = tz.to_datetime(at);
        let minute = u16::try_from(local.hour()).unwrap_or(0) * 60 + u16::try_from(local.minute()).unwrap_or(0);
        quiet.contains(minute)
    }
}

/// Each account's preferences, kept in the store and the same on all its devices.
#[derive(Clone)]
pub struct Notifications {
    deps: Arc<Deps>,
    store: Arc<dyn NotifyStore>,
}

impl Notifications {
    pub(crate) fn new(deps: Arc<Deps>, stores: &Stores) -> Notifications {
        Notifications { deps, store: stores.notify.clone() }
    }

    /// The caller's preferences (the defaults until it sets them).
    pub async fn prefs(&self, caller: &Principal) -> Result<NotifyPrefs> {
        Ok(self.store.notify_prefs(caller.account.id).await?.unwrap_or_default())
    }

    /// Sets the caller's preferences whole; its devices hear `notify_prefs_changed`. Refused
    /// preferences (`invalid_field`) change nothing.
    pub async fn set_prefs(&self, caller: &Principal, prefs: NotifyPrefs) -> Result<NotifyPrefs> {
        let prefs = prefs.validated(self.deps.settings.digest_after_mins_min)?;
        let account = caller.account.id;
        let events = vec![(account, AccountEvent::NotifyPrefsChanged)];
        self.store.put_notify_prefs(account, &prefs, events, self.deps.clock.now_ms()).await?;
        Ok(prefs)
    }
}

/// A member's own notification settings for one conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ConversationPrefs {
    /// Overrides the account's level here.
    pub level: Option<Level>,
    /// Muted until then: only mentions of the member get through.
    pub muted_until_ms: Option<i64>,
}

/// A message, as far as notifying cares.
#[derive(Debug, Clone, Copy)]
pub struct Message<'a> {
    pub seq: i64,
    pub sender: AccountId,
    /// In a direct chat.
    pub direct: bool,
    pub text: &'a str,
    pub mentions: &'a [AccountId],
    /// `@all`: the send already checked that the group lets the sender.
    pub mentions_all: bool,
    /// A thread reply kept out of the chat: only mentions in it concern anyone.
    pub thread_only: bool,
}

/// One member, as far as notifying cares.
#[derive(Debug, Clone, Copy)]
pub struct Recipient<'a> {
    pub account: AccountId,
    /// May read the conversation (an active member).
    pub member: bool,
    /// Blocked the sender.
    pub blocked_sender: bool,
    /// The highest seq read on any of its devices.
    pub read_seq: i64,
    pub prefs: &'a NotifyPrefs,
    pub conversation: ConversationPrefs,
}

/// Why a member is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Why {
    Direct,
    Mention,
    MentionAll,
    Keyword,
    Message,
}

impl Why {
    pub fn as_str(self) -> &'static str {
        match self {
            Why::Direct => "direct",
            Why::Mention => "mention",
            Why::MentionAll => "mention_all",
            Why::Keyword => "keyword",
            Why::Message => "message",
        }
    }

    pub fn parse(s: &str) -> Option<Why> {
        match s {
            "direct" => Some(Why::Direct),
            "mention" => Some(Why::Mention),
            "mention_all" => Some(Why::MentionAll),
            "keyword" => Some(Why::Keyword),
            "message" => Some(Why::Message),
            _ => None,
        }
    }
}

/// Why a member is not told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    Sender,
    NotMember,
    Blocked,
    AlreadyRead,
    Muted,
    Level,
    Quiet,
    /// A thread reply that mentions nobody of them.
    Thread,
}

/// Whether `to` is told of `message` at `now_ms`, and why (see the module's rule).
pub fn decide(message: &Message<'_>, to: &Recipient<'_>, now_ms: i64) -> std::result::Result<Why, Skip> {
    if to.account == message.sender {
        return Err(Skip::Sender);
    }
    if !to.member {
        return Err(Skip::NotMember);
    }
    if to.blocked_sender {
        return Err(Skip::Blocked);
    }
    if to.read_seq >= message.seq {
        return Err(Skip::AlreadyRead);
    }
    let why = if message.direct {
        Why::Direct
    } else if message.mentions.contains(&to.account) {
        Why::Mention
    } else if message.mentions_all {
        Why::MentionAll
    } else if has_keyword(message.text, &to.prefs.keywords) {
        Why::Keyword
    } else {
        Why::Message
    };
    if message.thread_only && !matches!(why, Why::Mention | Why::Keyword) {
        return Err(Skip::Thread);
    }
    if to.conversation.muted_until_ms.is_some_and(|until| until > now_ms) && why != Why::Mention {
        return Err(Skip::Muted);
    }
    match to.conversation.level.unwrap_or(to.prefs.level) {
        Level::Nothing => return Err(Skip::Level),
        Level::Mentions if why == Why::Message => return Err(Skip::Level),
        _ => {}
    }
    if to.prefs.is_quiet(now_ms) {
        return Err(Skip::Quiet);
    }
    Ok(why)
}

/// Whether `text` holds one of `keywords`, ignoring case.
fn has_keyword(text: &str, keywords: &[String]) -> bool {
    if keywords.is_empty() {
        return false;
    }
    let text = text.to_lowercase();
    keywords.iter().any(|k| text.contains(&k.to_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ME: AccountId = AccountId(1);
    const BOB: AccountId = AccountId(2);
    /// 2026-12-05 14:00 UTC, 22:00 in Shanghai.
    const NOW: i64 = 1_796_479_200_000;

    fn msg<'a>(text: &'a str, mentions: &'a [AccountId]) -> Message<'a> {
        Message { seq: 10, sender: BOB, direct: false, text, mentions, mentions_all: false, thread_only: false }
    }

    fn to(prefs: &NotifyPrefs) -> Recipient<'_> {
        Recipient {
            account: ME,
            member: true,
            blocked_sender: false,
            read_seq: 9,
            prefs,
            conversation: ConversationPrefs::default(),
        }
    }

    #[test]
    fn never_the_sender_a_non_member_a_blocked_sender_or_what_was_read() {
        let prefs = NotifyPrefs::default();
        let m = msg("hi", &[]);
        assert_eq!(decide(&Message { sender: ME, ..m }, &to(&prefs), NOW), Err(Skip::Sender));
        assert_eq!(decide(&m, &Recipient { member: false, ..to(&prefs) }, NOW), Err(Skip::NotMember));
        assert_eq!(decide(&m, &Recipient { blocked_sender: true, ..to(&prefs) }, NOW), Err(Skip::Blocked));
        assert_eq!(decide(&m, &Recipient { read_seq: 10, ..to(&prefs) }, NOW), Err(Skip::AlreadyRead));
        assert_eq!(decide(&m, &to(&prefs), NOW), Ok(Why::Message));
    }

    #[test]
    fn levels_say_what_gets_through() {
        let mentions = NotifyPrefs { level: Level::Mentions, keywords: vec!["Release".into()], ..Default::default() };
        let me = [ME];
        assert_eq!(decide(&msg("hi", &[]), &to(&mentions), NOW), Err(Skip::Level));
        assert_eq!(decide(&msg("hi", &me), &to(&mentions), NOW), Ok(Why::Mention));
        let all = Message { mentions_all: true, ..msg("hi", &[]) };
        assert_eq!(decide(&all, &to(&mentions), NOW), Ok(Why::MentionAll));
        let direct = Message { direct: true, ..msg("hi", &[]) };
        assert_eq!(decide(&direct, &to(&mentions), NOW), Ok(Why::Direct));
        assert_eq!(decide(&msg("the RELEASE is out", &[]), &to(&mentions), NOW), Ok(Why::Keyword));
        let nothing = NotifyPrefs { level: Level::Nothing, ..Default::default() };
        assert_eq!(decide(&direct, &to(&nothing), NOW), Err(Skip::Level));
        // The conversation's level wins over the account's, both ways.
        let loud = Recipient {
            conversation: ConversationPrefs { level: Some(Level::All), ..Default::default() },
            ..to(&nothing)
        };
        assert_eq!(decide(&msg("hi", &[]), &loud, NOW), Ok(Why::Message));
        let default = NotifyPrefs::default();
        let quiet = Recipient {
            conversation: ConversationPrefs { level: Some(Level::Nothing), ..Default::default() },
            ..to(&default)
        };
        assert_eq!(decide(&msg("hi", &me), &quiet, NOW), Err(Skip::Level));
    }

    #[test]
    fn a_muted_conversation_lets_only_a_mention_of_me_through_until_its_time() {
        let prefs = NotifyPrefs::default();
        let muted = |until| Recipient {
            conversation: ConversationPrefs { muted_until_ms: Some(until), ..Default::default() },
            ..to(&prefs)
        };
        let me = [ME];
        assert_eq!(decide(&msg("hi", &[]), &muted(NOW + 1), NOW), Err(Skip::Muted));
        let all = Message { mentions_all: true, ..msg("hi", &[]) };
        assert_eq!(decide(&all, &muted(NOW + 1), NOW), Err(Skip::Muted), "@all is not a mention of me");
        assert_eq!(decide(&msg("hi", &me), &muted(NOW + 1), NOW), Ok(Why::Mention));
        assert_eq!(decide(&msg("hi", &[]), &muted(NOW), NOW), Ok(Why::Message), "the mute ended");
    }

    #[test]
    fn a_thread_reply_concerns_only_whom_it_mentions() {
        let prefs = NotifyPrefs { keywords: vec!["deploy".into()], ..Default::default() };
        let me = [ME];
        let reply = |text, mentions| Message { thread_only: true, ..msg(text, mentions) };
        assert_eq!(decide(&reply("ok", &[]), &to(&prefs), NOW), Err(Skip::Thread));
        assert_eq!(decide(&Message { mentions_all: true, ..reply("ok", &[]) }, &to(&prefs), NOW), Err(Skip::Thread));
        assert_eq!(decide(&reply("ok", &me), &to(&prefs), NOW), Ok(Why::Mention));
        assert_eq!(decide(&reply("deploy done", &[]), &to(&prefs), NOW), Ok(Why::Keyword));
    }

    #[test]
    fn quiet_hours_hold_in_the_accounts_time_zone_across_midnight() {
        let night = QuietHours { from_min: 22 * 60, to_min: 8 * 60 };
        let shanghai = NotifyPrefs { quiet: Some(night), time_zone: "Asia/Shanghai".into(), ..Default::default() };
        let direct = Message { direct: true, ..msg("hi", &[]) };
        assert_eq!(decide(&direct, &to(&shanghai), NOW), Err(Skip::Quiet), "22:00 in Shanghai");
        let hour = 3_600_000;
        assert_eq!(decide(&direct, &to(&shanghai), NOW - 1), Ok(Why::Direct), "21:59");
        assert_eq!(decide(&direct, &to(&shanghai), NOW + 9 * hour + 59 * 60_000), Err(Skip::Quiet), "07:59");
        assert_eq!(decide(&direct, &to(&shanghai), NOW + 10 * hour), Ok(Why::Direct), "08:00");
        let london = NotifyPrefs { time_zone: "Europe/London".into(), ..shanghai.clone() };
        assert_eq!(decide(&direct, &to(&london), NOW), Ok(Why::Direct), "14:00 in London");
        let day = QuietHours { from_min: 9 * 60, to_min: 17 * 60 };
        assert!(day.contains(9 * 60) && day.contains(16 * 60 + 59) && !day.contains(17 * 60));
    }

    #[test]
    fn preferences_are_checked_and_tidied() {
        let ok =
            NotifyPrefs { keywords: vec![" 发布 ".into(), "Release".into(), "release".into()], ..Default::default() };
        assert_eq!(ok.clone().validated(DIGEST_AFTER_MINS_MIN).unwrap().keywords, ["发布", "Release"]);
        let soon = NotifyPrefs { digest_after_mins: 0, ..ok };
        assert!(soon.clone().validated(0).is_ok(), "where the operator allows digests at once");
        let bad = [
            NotifyPrefs { time_zone: "Mars/Olympus".into(), ..Default::default() },
            NotifyPrefs { quiet: Some(QuietHours { from_min: 60, to_min: 60 }), ..Default::default() },
            NotifyPrefs { quiet: Some(QuietHours { from_min: 1440, to_min: 60 }), ..Default::default() },
            NotifyPrefs { keywords: vec![" ".into()], ..Default::default() },
            NotifyPrefs { keywords: vec!["x".repeat(33)], ..Default::default() },
            NotifyPrefs { keywords: (0..21).map(|i| format!("k{i}")).collect(), ..Default::default() },
            NotifyPrefs { digest_after_mins: 14, ..Default::default() },
            NotifyPrefs { language: "zh CN".into(), ..Default::default() },
            NotifyPrefs { language: "x".repeat(17), ..Default::default() },
        ];
        for prefs in bad {
            assert!(prefs.clone().validated(DIGEST_AFTER_MINS_MIN).is_err(), "{prefs:?}");
        }
    }
}
