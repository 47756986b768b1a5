//! Forbidden words (Qtalk's 敏感词): a domain's administrators list words that its members'
//! messages may not carry, and choose what happens to a message that does: it is refused, or
//! sent with each such word masked (`*` for each character). Each decision is recorded in the
//! audit log (`moderation.block`, `moderation.mask`), with the sender as the actor.
//!
//! Words match anywhere in the text of `text` and `markdown` messages (and their edits),
//! ignoring the case of ASCII letters. Each node keeps a domain's matcher for at most
//! [`MODERATION_CACHE_SECS`]: a change reaches the node that made it at once and the others
//! within that time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use serde_json::{Value, json};

use crate::audit::Change;
use crate::content::kind;
use crate::model::{Actor, ConversationId, DomainId, Principal};
use crate::ports::{AccountStore, ModerationStore, Stores};
use crate::{Deps, Error, Result};

/// Words one domain may list.
pub const WORDS_MAX: usize = 2_000;
/// Characters of one word.
pub const WORD_CHARS_MAX: usize = 32;
/// How long a node uses a domain's matcher before it reads the list again.
pub const MODERATION_CACHE_SECS: i64 = 10;

/// What happens to a message with a forbidden word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ModerationAction {
    /// The send (or edit) is refused with `invalid_field` on `body.text`.
    #[default]
    Block,
    /// It is sent with each forbidden word masked.
    Mask,
}

impl ModerationAction {
    pub fn as_str(self) -> &'static str {
        match self {
            ModerationAction::Block => "block",
            ModerationAction::Mask => "mask",
        }
    }

    pub fn parse(s: &str) -> Option<ModerationAction> {
        match s {
            "block" => Some(ModerationAction::Block),
            "mask" => Some(ModerationAction::Mask),
            _ => None,
        }
    }
}

/// A domain's forbidden words and what they do.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ModerationRules {
    pub action: ModerationAction,
    pub words: Vec<String>,
}

/// A domain's rules, ready to match.
struct Matcher {
    action: ModerationAction,
    words: AhoCorasick,
}

/// A domain's matcher (`None`: no words) and when it was read.
type Cached = (i64, Option<Arc<Matcher>>);

/// What moderation made of a message's text.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Nothing forbidden (or no rules).
    Clean,
    /// Masked: the new text, and the words found.
    Masked(String, Vec<String>),
}

#[derive(Clone)]
pub struct Moderation {
    deps: Arc<Deps>,
    store: Arc<dyn ModerationStore>,
    accounts: Arc<dyn AccountStore>,
    /// Each domain's matcher (`None`: no words) and when it was read.
    cache: Arc<Mutex<HashMap<DomainId, Cached>>>,
}

impl Moderation {
    pub(crate) fn new(deps: Arc<Deps>, stores: &Stores) -> Moderation {
        Moderation { deps, store: stores.moderation.clone(), accounts: stores.accounts.clone(), cache: Arc::default() }
    }

    /// A domain's rules, for its administrators.
    pub async fn rules(&self, actor: Actor<'_>, domain: &str) -> Result<ModerationRules> {
        let (domain, _) = self.administered(actor, domain).await?;
        Ok(self.store.moderation_rules(domain).await?.unwrap_or_default())
    }

    /// Sets a domain's rules: words are trimmed, empty ones and repeats (ignoring ASCII case)
    /// dropped, at most [`WORDS_MAX`] of at most [`WORD_CHARS_MAX`] characters.
    pub async fn set_rules(&self, actor: Actor<'_>, domain: &str, rules: ModerationRules) -> Result<ModerationRules> {
        let (domain, name) = self.administered(actor, domain).await?;
        let mut words: Vec<String> = Vec::new();
        for word in rules.words.iter().map(|w| w.trim()).filter(|w| !w.is_empty()) {
            if word.chars().count() > WORD_CHARS_MAX {
                return Err(Error::invalid("words", format!("{word:?} is longer than {WORD_CHARS_MAX} characters")));
            }
            if !words.iter().any(|w| w.eq_ignore_ascii_case(word)) {
                words.push(word.to_owned());
            }
        }
        if words.len() > WORDS_MAX {
            return Err(Error::invalid("words", format!("at most {WORDS_MAX}")));
        }
        let rules = ModerationRules { action: rules.action, words };
        let before = self.store.moderation_rules(domain).await?.unwrap_or_default();
        self.store.set_moderation_rules(domain, &rules).await?;
        self.cache.lock().unwrap_or_else(|e| e.into_inner()).remove(&domain);
        if rules != before {
            let snapshot = |r: &ModerationRules| json!({ "action": r.action.as_str(), "words": r.words });
            let change =
                Change::new("moderation.set", Some(domain), name).before(snapshot(&before)).after(snapshot(&rules));
            self.deps.audit(actor, change).await;
        }
        Ok(rules)
    }

    async fn administered(&self, actor: Actor<'_>, domain: &str) -> Result<(DomainId, String)> {
        crate::accounts::administered_domain(self.accounts.as_ref(), actor, domain).await
    }

    async fn matcher(&self, domain: DomainId) -> Result<Option<Arc<Matcher>>> {
        let now = self.deps.clock.now_ms();
        if let Some((read_at, matcher)) = self.cache.lock().unwrap_or_else(|e| e.into_inner()).get(&domain)
            && now - read_at < MODERATION_CACHE_SECS * 1000
        {
            return Ok(matcher.clone());
        }
        let rules = self.store.moderation_rules(domain).await?.unwrap_or_default();
        let matcher = if rules.words.is_empty() {
            None
        } else {
            let words = AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::LeftmostLongest)
                .build(&rules.words)
                .map_err(|e| Error::Internal(format!("forbidden words: {e}")))?;
            Some(Arc::new(Matcher { action: rules.action, words }))
        };
        self.cache.lock().unwrap_or_else(|e| e.into_inner()).insert(domain, (now, matcher.clone()));
        Ok(matcher)
    }

    /// Applies the sender's domain's rules to a message about to be sent (or an edit's new
    /// body): masks it in place if it has to, or refuses it with `invalid_field`. Each decision
    /// is recorded.
    pub(crate) async fn check(
        &self,
        sender: &Principal,
        conversation: ConversationId,
        kind_: &str,
        body: &mut Value,
    ) -> Result<()> {
        if kind_ != kind::TEXT && kind_ != kind::MARKDOWN {
            return Ok(());
        }
        let Some(matcher) = self.matcher(sender.account.domain_id).await? else { return Ok(()) };
        let Some(text) = body.get("text").and_then(Value::as_str) else { return Ok(()) };
        match verdict(&matcher, text) {
            Verdict::Clean => Ok(()),
            Verdict::Masked(masked, found) => {
                let action = match matcher.action {
                    ModerationAction::Block => "moderation.block",
                    ModerationAction::Mask => "moderation.mask",
                };
                let change =
                    Change::new(action, Some(sender.account.domain_id), format!("conversation {}", conversation.0))
                        .after(json!({ "words": found }));
                self.deps.audit(Actor::Account(sender), change).await;
                if matcher.action == ModerationAction::Block {
                    return Err(Error::invalid("body.text", "contains a word this domain does not allow"));
                }
                body["text"] = Value::String(masked);
                Ok(())
            }
        }
    }
}

fn verdict(matcher: &Matcher, text: &str) -> Verdict {
    let mut masked = String::with_capacity(text.len());
    let mut found: Vec<String> = Vec::new();
    let mut last = 0;
    for m in matcher.words.find_iter(text) {
        masked.push_str(&text[last..m.start()]);
        let word = &text[m.start()..m.end()];
        masked.extend(std::iter::repeat_n('*', word.chars().count()));
        if !found.iter().any(|f| f.eq_ignore_ascii_case(word)) {
            found.push(word.to_owned());
        }
        last = m.end();
    }
    if found.is_empty() {
        return Verdict::Clean;
    }
    masked.push_str(&text[last..]);
    Verdict::Masked(masked, found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matcher(words: &[&str]) -> Matcher {
        let words = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            .build(words)
            .unwrap_or_else(|e| panic!("{e}"));
        Matcher { action: ModerationAction::Mask, words }
    }

    #[test]
    fn words_are_masked_character_for_character_wherever_they_are_ignoring_ascii_case() {
        let m = matcher(&["赌博", "spam", "spammer"]);
        assert_eq!(verdict(&m, "周末一起打球"), Verdict::Clean);
        assert_eq!(
            verdict(&m, "不要赌博，也别当 SPAMMER 或 Spam"),
            Verdict::Masked(
                "不要**，也别当 ******* 或 ****".into(),
                vec!["赌博".into(), "SPAMMER".into(), "Spam".into()]
            )
        );
    }
}
