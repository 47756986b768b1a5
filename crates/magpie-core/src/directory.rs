//! Finding people and groups by name (docs/protocol.md §7.15): what the "new chat" dialog,
//! mentions and the global search look up as someone types.
//!
//! **How a name is found** is the [`NameMatcher`]'s to say (the binary's adapter, on
//! `magpie-search`: display name, pinyin and its initials, login, email, phone, folded like
//! message text). The core keeps the rule of *who* is found: enabled accounts of the caller's
//! domain, and the groups and channels the caller is a member of.
//!
//! **People are found in the store**, so that every node of a cluster answers alike and at
//! once: each account row keeps its name's keys (`name_keys`, from
//! [`NameMatcher::keys`]), which the store looks in for the folded query, best key matches
//! first; the matcher ranks those candidates. A profile change clears the keys in its own
//! write and the core sets them again from the row it wrote, only if the row still holds
//! those values ([`AccountStore::set_name_keys`]), so keys never outlive the name they were
//! made of; a row without keys (written before keys existed, or by a process that crashed
//! between the two writes) is found by its login and display name alone until
//! [`Directory::backfill`] gives it keys (the server runs it at start).
//!
//! **Groups are ranked in memory** from the caller's own memberships: an account is in
//! hundreds of groups, not millions, and a title's keys are cached by the matcher.

use std::sync::Arc;

use crate::chat::ConversationKind;
use crate::model::{Account, ConversationId, Principal};
use crate::ports::{AccountStore, ConversationLog, Counters, Limit, Stores};
use crate::{Deps, Error, Result, Unit};

/// Longest name query, in characters.
pub const NAME_QUERY_CHARS_MAX: usize = 64;
/// Most results a name search returns.
pub const NAME_RESULTS_MAX: usize = 100;
/// Results when a request does not say.
pub const NAME_RESULTS_DEFAULT: usize = 20;
/// Accounts a people search reads from the store, best key matches first, for the matcher
/// to rank.
pub const PEOPLE_CANDIDATES_MAX: usize = 500;
/// Groups and channels a group search ranks: the caller's memberships, most recently active
/// first; a member of more finds among this many.
pub const GROUP_CANDIDATES_MAX: usize = 5_000;
/// Accounts given keys per store write when the server fills in missing keys.
pub const BACKFILL_BATCH_LEN: usize = 500;

/// Which of a name's keys matched a query, in the order that breaks ties (best first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NameSource {
    /// The display name, or a word of it.
    Name,
    /// The login name.
    Login,
    /// The full pinyin of a Chinese name.
    Pinyin,
    /// The pinyin's initials.
    Initials,
    Email,
    Phone,
}

impl NameSource {
    pub fn as_str(self) -> &'static str {
        match self {
            NameSource::Name => "name",
            NameSource::Login => "login",
            NameSource::Pinyin => "pinyin",
            NameSource::Initials => "initials",
            NameSource::Email => "email",
            NameSource::Phone => "phone",
        }
    }
}

/// The parts of a name that it is found by.
#[derive(Debug, Clone, Copy, Default)]
pub struct NameFields<'a> {
    pub display_name: &'a str,
    /// An account's login name (the part before `@domain`).
    pub login: Option<&'a str>,
    pub email: Option<&'a str>,
    pub phone: Option<&'a str>,
}

impl<'a> NameFields<'a> {
    pub fn of_account(account: &'a Account) -> NameFields<'a> {
        NameFields {
            display_name: &account.profile.display_name,
            login: Some(account.addr.name.as_str()),
            email: account.profile.email.as_deref(),
            phone: account.profile.phone.as_deref(),
        }
    }
}

/// How names are found: the keys a name is found by, and the ranking of candidates.
pub trait NameMatcher: Send + Sync + 'static {
    /// A name's keys as the store keeps them: each folded key on a line of its own, with a
    /// new line before the first and after the last (`"\nzhangsan\nzs\n张三\n"`), so that
    /// a store finds a key equal to a query as `"\n" + query + "\n"` and one starting with
    /// it as `"\n" + query`.
    fn keys(&self, name: &NameFields<'_>) -> String;
    /// A query folded as keys are (never holding a new line); empty if nothing is left to
    /// look for.
    fn fold(&self, query: &str) -> String;
    /// The candidates that match `query`, best first, at most `limit`: each as its index in
    /// `candidates` and what matched.
    fn rank(&self, query: &str, candidates: &[NameFields<'_>], limit: usize) -> Vec<(usize, NameSource)>;
}

/// A person found by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundPerson {
    pub account: Account,
    pub matched: NameSource,
}

/// A group or channel found by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundGroup {
    pub conversation: ConversationId,
    pub kind: ConversationKind,
    pub title: String,
    pub matched: NameSource,
}

/// The name search service.
#[derive(Clone)]
pub struct Directory {
    deps: Arc<Deps>,
    accounts: Arc<dyn AccountStore>,
    log: Arc<dyn ConversationLog>,
    counters: Arc<dyn Counters>,
}

impl Directory {
    pub(crate) fn new(deps: Arc<Deps>, stores: &Stores) -> Directory {
        Directory {
            deps,
            accounts: stores.accounts.clone(),
            log: stores.log.clone(),
            counters: stores.counters.clone(),
        }
    }

    pub(crate) fn deps(&self) -> &Deps {
        &self.deps
    }

    /// Enabled accounts of the caller's domain whose name matches `query`, best first.
    pub async fn people(&self, caller: &Principal, query: &str, limit: Option<usize>) -> Result<Vec<FoundPerson>> {
        let (matcher, folded, limit) = self.begin(caller, query, limit).await?;
        let raw = query.trim().to_lowercase();
        let found = self.accounts.find_accounts(caller.account.domain_id, &folded, &raw, PEOPLE_CANDIDATES_MAX).await?;
        let names: Vec<NameFields<'_>> = found.iter().map(NameFields::of_account).collect();
        let ranked = matcher.rank(query, &names, limit);
        Ok(ranked.into_iter().map(|(i, matched)| FoundPerson { account: found[i].clone(), matched }).collect())
    }

    /// Groups and channels the caller is a member of whose name matches `query`, best first.
    pub async fn groups(&self, caller: &Principal, query: &str, limit: Option<usize>) -> Result<Vec<FoundGroup>> {
        let (matcher, _, limit) = self.begin(caller, query, limit).await?;
        let named = self.log.named_conversations(caller.account.id, GROUP_CANDIDATES_MAX).await?;
        let names: Vec<NameFields<'_>> =
            named.iter().map(|(_, _, title)| NameFields { display_name: title, ..NameFields::default() }).collect();
        let ranked = matcher.rank(query, &names, limit);
        Ok(ranked
            .into_iter()
            .map(|(i, matched)| {
                let (conversation, kind, title) = named[i].clone();
                FoundGroup { conversation, kind, title, matched }
            })
            .collect())
    }

    /// Gives keys to every account that has none; returns how many it gave. Safe to run on
    /// every node at once: a key set is the same whoever sets it.
    pub async fn backfill(&self) -> Result<u64> {
        let Some(matcher) = self.deps.names.get() else { return Ok(0) };
        let mut given = 0;
        loop {
            let batch = self.accounts.accounts_without_name_keys(BACKFILL_BATCH_LEN).await?;
            if batch.is_empty() {
                return Ok(given);
            }
            let mut set = 0;
            for account in &batch {
                let keys = matcher.keys(&NameFields::of_account(account));
                if self.accounts.set_name_keys(account, &keys).await? {
                    set += 1;
                }
            }
            given += set;
            // Every row of the batch changed since it was read (and lost its keys again):
            // the next start fills them in rather than this loop chasing the writers.
            if set == 0 {
                return Ok(given);
            }
        }
    }

    /// Checks a query and its rate, and returns the matcher, the folded query and the limit.
    async fn begin(
        &self,
        caller: &Principal,
        query: &str,
        limit: Option<usize>,
    ) -> Result<(&Arc<dyn NameMatcher>, String, usize)> {
        let matcher = self.deps.names.get().ok_or(Error::Unavailable("name search is not running on this server"))?;
        if query.chars().count() > NAME_QUERY_CHARS_MAX {
            return Err(Error::TooLarge { field: "q", max: NAME_QUERY_CHARS_MAX, unit: Unit::Characters });
        }
        let folded = matcher.fold(query);
        if folded.is_empty() {
            return Err(Error::invalid("q", "must have a letter, digit or character to look for"));
        }
        let limit = limit.unwrap_or(NAME_RESULTS_DEFAULT);
        if !(1..=NAME_RESULTS_MAX).contains(&limit) {
            return Err(Error::invalid("limit", format!("must be 1 to {NAME_RESULTS_MAX}")));
        }
        let rule = Limit {
            name: "name_searches_per_account",
            events_max: self.deps.settings.name_searches_per_account_per_min_max,
            window_ms: 60_000,
        };
        let now = self.deps.clock.now_ms();
        if let Err(retry_after_secs) = self.counters.hit(rule, &caller.account.id.0.to_string(), now).await {
            return Err(Error::RateLimited { retry_after_secs });
        }
        Ok((matcher, folded, limit))
    }
}

/// The keys of a name, if this core has a matcher.
pub(crate) fn keys_of(deps: &Deps, name: &NameFields<'_>) -> Option<String> {
    deps.names.get().map(|m| m.keys(name))
}
