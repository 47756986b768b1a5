//! Bots (issue 18, "Bots, webhooks, slash commands, interactive cards and a workbench"): the
//! accounts of apps, their tokens and their incoming webhooks.
//!
//! A bot is an account like any other (`name@domain`, a profile, memberships), marked as a bot
//! and with no password: it never logs in. It acts with **tokens**, which are sessions made by
//! the people who manage it (its owner and the domain's administrators), each with a
//! [`TokenScope`]: which of the bot's conversations it reaches (all, or a list), and whether it
//! reads, sends or both. So a token is checked, rate-limited, listed and revoked like any
//! session: a revoked token stops at once, on every node, and its WebSockets close.
//!
//! An **incoming webhook** is a token of its own kind: it is good only for
//! `POST /v1/hooks/{token}`, which posts to its one conversation as the bot, and never as a
//! bearer token (a URL ends up in shell histories and CI logs; what it leaks can do no more).
//!
//! Who may make a bot: a domain's administrators, and its members where the domain lets them
//! ([`crate::model::Domain::members_make_bots`]), at most [`BOTS_PER_MEMBER_MAX`] each.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;

use crate::accounts::Accounts;
use crate::audit::Change;
use crate::auth::{TOKEN_PREFIX, token_hash};
use crate::model::{
    Account, AccountId, Actor, ConversationId, Domain, NewBot, NewSession, Principal, RevokeReason, Role, Session,
    SessionId, SessionSelector, TokenScope,
};
use crate::names::{self, AccountAddr, DomainName, LoginName};
use crate::ports::{AccountStore, BotStore, ConversationLog, SessionStore, Stores};
use crate::{Deps, Error, Result};

/// Longest description of a bot, in characters.
pub const BOT_DESCRIPTION_CHARS_MAX: usize = 512;
/// Most bots one member (not an administrator) owns.
pub const BOTS_PER_MEMBER_MAX: usize = 10;
/// Most bots a list returns.
pub const BOTS_LIST_LEN_MAX: usize = 500;
/// Most live tokens (incoming webhooks included) one bot holds.
pub const TOKENS_PER_BOT_MAX: usize = 50;
/// Longest name of a token or webhook, in characters.
pub const TOKEN_NAME_CHARS_MAX: usize = 64;
/// Most conversations one token's scope names.
pub const SCOPE_CONVERSATIONS_MAX: usize = 100;
/// Longest a token may be made to live, in days (ten years); a token given no lifetime lives
/// until it is revoked.
pub const TOKEN_TTL_DAYS_MAX: u32 = 3653;

/// A bot and what its managers see of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bot {
    pub account: Account,
    /// Who made it (and manages it besides the domain's administrators); none for the
    /// operator's.
    pub owner: Option<AccountId>,
    pub owner_addr: Option<AccountAddr>,
    pub description: String,
}

/// A token just made: the secret is shown now and never again.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub token: String,
    pub session: Session,
}

/// A new bot, as asked for.
#[derive(Debug, Clone, Default)]
pub struct BotRequest {
    /// The login name; the bot is made in the caller's domain unless `domain` names another
    /// (a server administrator's, or the operator's).
    pub name: String,
    pub domain: Option<String>,
    pub display_name: Option<String>,
    pub description: Option<String>,
}

/// A change to a bot: `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct BotUpdate {
    pub display_name: Option<String>,
    pub description: Option<String>,
    pub avatar: Option<String>,
}

/// A token to be made for a bot.
#[derive(Debug, Clone)]
pub struct TokenRequest {
    pub name: String,
    pub conversations: Option<Vec<ConversationId>>,
    pub read: bool,
    pub send: bool,
    /// `None`: until revoked.
    pub ttl_days: Option<u32>,
}

#[derive(Clone)]
pub struct Bots {
    deps: Arc<Deps>,
    accounts: Accounts,
    auth: crate::auth::Auth,
    account_store: Arc<dyn AccountStore>,
    sessions: Arc<dyn SessionStore>,
    store: Arc<dyn BotStore>,
    log: Arc<dyn ConversationLog>,
    /// Only to check that an avatar naming a file names an image of the setter's.
    files: Arc<dyn crate::ports::FileStore>,
}

impl Bots {
    pub(crate) fn new(deps: Arc<Deps>, stores: &Stores, accounts: Accounts, auth: crate::auth::Auth) -> Bots {
        Bots {
            deps,
            accounts,
            auth,
            account_store: stores.accounts.clone(),
            sessions: stores.sessions.clone(),
            store: stores.bots.clone(),
            log: stores.log.clone(),
            files: stores.files.clone(),
        }
    }

    /// Makes a bot. Administrators make bots in the domains they administer; a member in its
    /// own domain where the domain lets members, up to [`BOTS_PER_MEMBER_MAX`]. The maker owns
    /// it; the operator's bots (made with the CLI) have no owner but the domain's
    /// administrators.
    pub async fn create(&self, actor: Actor<'_>, request: BotRequest) -> Result<Bot> {
        let domain = match (&request.domain, actor) {
            (Some(name), _) => self.domain(name).await?,
            (None, Actor::Account(p)) => self.domain(p.account.addr.domain.as_str()).await?,
            (None, Actor::Operator) => return Err(Error::invalid("domain", "name the bot's domain")),
        };
        let owner = match actor {
            Actor::Operator => None,
            Actor::Account(p) => {
                if p.account.bot {
                    return Err(Error::Forbidden);
                }
                if !actor.may_administer(domain.id) {
                    if p.account.domain_id != domain.id {
                        return Err(Error::NotFound("domain"));
                    }
                    if !domain.members_make_bots {
                        return Err(Error::Forbidden);
                    }
                    let mine = self.store.bots(domain.id, Some(p.account.id), BOTS_PER_MEMBER_MAX + 1).await?;
                    if mine.len() >= BOTS_PER_MEMBER_MAX {
                        return Err(Error::LimitExceeded("a member owns at most 10 bots"));
                    }
                }
                Some(p.account.id)
            }
        };
        let name = LoginName::parse(&request.name)?;
        let display_name = match request.display_name.as_deref() {
            Some(d) => names::display_name(d)?,
            None => name.as_str().to_owned(),
        };
        let description = description(request.description.as_deref().unwrap_or_default())?;
        let bot = NewBot { owner, description: description.clone() };
        let account = self.accounts.insert_bot(&domain, name, display_name, bot).await?;
        let bot = self.store.bot(account.id).await?.ok_or(Error::NotFound("bot"))?;
        let change = Change::new("bot.create", Some(domain.id), account.addr.to_string())
            .after(json!({ "display_name": account.profile.display_name, "description": description }));
        self.deps.audit(actor, change).await;
        Ok(bot)
    }

    /// The bots the caller manages: all of a domain's for its administrators (`domain`, or
    /// the caller's own), a member's own otherwise.
    pub async fn list(&self, actor: Actor<'_>, domain: Option<&str>) -> Result<Vec<Bot>> {
        let domain = match (domain, actor) {
            (Some(name), _) => self.domain(name).await?,
            (None, Actor::Account(p)) => self.domain(p.account.addr.domain.as_str()).await?,
            (None, Actor::Operator) => return Err(Error::invalid("domain", "name the domain")),
        };
        let owner = match actor {
            _ if actor.may_administer(domain.id) => None,
            Actor::Account(p) if p.account.domain_id == domain.id => Some(p.account.id),
            _ => return Err(Error::NotFound("domain")),
        };
        Ok(self.store.bots(domain.id, owner, BOTS_LIST_LEN_MAX).await?)
    }

    /// One bot, for those who manage it.
    pub async fn get(&self, actor: Actor<'_>, addr: &str) -> Result<Bot> {
        let addr = AccountAddr::parse(addr)?;
        let account = match actor {
            Actor::Account(p) if p.account.addr.domain != addr.domain && p.account.role != Role::ServerAdmin => None,
            _ => {
                let domain = self.account_store.domain_by_name(&addr.domain).await?;
                match domain {
                    Some(d) => self.account_store.account_by_name(d.id, &addr.name).await?,
                    None => None,
                }
            }
        };
        let bot = match account.filter(|a| a.bot) {
            Some(a) => self.store.bot(a.id).await?,
            None => None,
        };
        let bot = bot.ok_or(Error::NotFound("bot"))?;
        let manages = match actor {
            Actor::Operator => true,
            Actor::Account(p) => actor.may_administer(bot.account.domain_id) || Some(p.account.id) == bot.owner,
        };
        if !manages {
            return Err(Error::NotFound("bot"));
        }
        Ok(bot)
    }

    /// Changes a bot's display name, description or avatar.
    pub async fn update(&self, actor: Actor<'_>, addr: &str, update: BotUpdate) -> Result<Bot> {
        let bot = self.get(actor, addr).await?;
        let mut before = serde_json::Map::new();
        let mut after = serde_json::Map::new();
        if update.display_name.is_some() || update.avatar.is_some() {
            let profile = crate::accounts::ProfileUpdate {
                display_name: update.display_name.clone(),
                avatar: update.avatar.clone(),
                ..Default::default()
            };
            let patch = crate::accounts::validate_patch(profile)?;
            if let Some(name) = &patch.display_name {
                before.insert("display_name".into(), json!(bot.account.profile.display_name));
                after.insert("display_name".into(), json!(name));
            }
            if let Some(avatar) = &patch.avatar {
                // An image the person setting it uploaded, as for their own avatar: an avatar
                // is readable by the whole domain.
                if let Some(file) = avatar {
                    let uploader = match actor {
                        Actor::Operator => None,
                        Actor::Account(p) => Some(p.account.id),
                    };
                    crate::files::check_avatar_of(self.files.as_ref(), uploader, file).await?;
                }
                before.insert("avatar".into(), json!(bot.account.profile.avatar));
                after.insert("avatar".into(), json!(avatar));
            }
            self.accounts.apply_profile(bot.account.id, &patch).await?;
        }
        if let Some(text) = &update.description {
            let text = description(text)?;
            before.insert("description".into(), json!(bot.description));
            after.insert("description".into(), json!(text));
            self.store.set_bot_description(bot.account.id, &text).await?;
        }
        if !after.is_empty() {
            let change = Change::new("bot.update", Some(bot.account.domain_id), bot.account.addr.to_string())
                .before(before.into())
                .after(after.into());
            self.deps.audit(actor, change).await;
        }
        self.get(actor, addr).await
    }

    /// Turns a bot off (every token and webhook stops at once) or on again (its tokens stay
    /// revoked: new ones are made).
    pub async fn set_disabled(&self, actor: Actor<'_>, addr: &str, disabled: bool) -> Result<Bot> {
        let bot = self.get(actor, addr).await?;
        self.accounts.apply_disabled(&bot.account, disabled).await?;
        let change = Change::new(
            if disabled { "bot.disable" } else { "bot.enable" },
            Some(bot.account.domain_id),
            bot.account.addr.to_string(),
        )
        .before(json!({ "disabled": bot.account.disabled }))
        .after(json!({ "disabled": disabled }));
        self.deps.audit(actor, change).await;
        self.get(actor, addr).await
    }

    /// The bot's live tokens (not its incoming webhooks), newest first.
    pub async fn tokens(&self, actor: Actor<'_>, addr: &str) -> Result<Vec<Session>> {
        let bot = self.get(actor, addr).await?;
        Ok(self.live(bot.account.id).await?.into_iter().filter(|s| !is_hook(s)).collect())
    }

    /// The bot's incoming webhooks, newest first.
    pub async fn hooks(&self, actor: Actor<'_>, addr: &str) -> Result<Vec<Session>> {
        let bot = self.get(actor, addr).await?;
        Ok(self.live(bot.account.id).await?.into_iter().filter(is_hook).collect())
    }

    /// Makes a token for the bot; the token is answered now and never again.
    pub async fn issue_token(&self, actor: Actor<'_>, addr: &str, request: TokenRequest) -> Result<IssuedToken> {
        let bot = self.get(actor, addr).await?;
        let name = token_name(&request.name)?;
        if !request.read && !request.send {
            return Err(Error::invalid("scope", "a token reads, sends or both"));
        }
        if let Some(list) = &request.conversations {
            if list.is_empty() {
                return Err(Error::invalid("conversations", "name at least one, or leave it out for all"));
            }
            if list.len() > SCOPE_CONVERSATIONS_MAX {
                return Err(Error::invalid("conversations", format!("name at most {SCOPE_CONVERSATIONS_MAX}")));
            }
        }
        if request.ttl_days.is_some_and(|d| d == 0 || d > TOKEN_TTL_DAYS_MAX) {
            return Err(Error::invalid("ttl_days", format!("must be 1 to {TOKEN_TTL_DAYS_MAX}")));
        }
        let mut conversations = request.conversations.clone();
        if let Some(list) = &mut conversations {
            list.sort();
            list.dedup();
        }
        let scope = TokenScope { conversations, read: request.read, send: request.send, hook: false, app: None };
        let issued = self.issue(&bot, name, scope, request.ttl_days).await?;
        let change = Change::new("bot.token_create", Some(bot.account.domain_id), bot.account.addr.to_string()).after(
            json!({ "token": issued.session.id, "name": issued.session.device, "scope": scope_json(&issued.session) }),
        );
        self.deps.audit(actor, change).await;
        Ok(issued)
    }

    /// Replaces a token with a new secret of the same name, scope and lifetime; the old one
    /// stops at once.
    pub async fn rotate_token(&self, actor: Actor<'_>, addr: &str, id: SessionId) -> Result<IssuedToken> {
        let bot = self.get(actor, addr).await?;
        let old = self.live(bot.account.id).await?.into_iter().find(|s| s.id == id).ok_or(Error::NotFound("token"))?;
        let scope = old.scope.clone().ok_or(Error::NotFound("token"))?;
        let name = old.device.clone().unwrap_or_default();
        // The new secret ends when the old one would have: rotating never lengthens a token.
        let now = self.deps.clock.now_ms();
        let issued = self.issue_for(&bot, name, scope, now, old.expires_at_ms, Some(id)).await?;
        self.revoke(&bot, id).await?;
        let action = if is_hook(&old) { "bot.webhook_rotate" } else { "bot.token_rotate" };
        let change = Change::new(action, Some(bot.account.domain_id), bot.account.addr.to_string())
            .before(json!({ "token": old.id }))
            .after(json!({ "token": issued.session.id }));
        self.deps.audit(actor, change).await;
        Ok(issued)
    }

    /// Revokes one of the bot's tokens or webhooks: it stops at once, everywhere.
    pub async fn revoke_token(&self, actor: Actor<'_>, addr: &str, id: SessionId) -> Result<()> {
        let bot = self.get(actor, addr).await?;
        let old = self.live(bot.account.id).await?.into_iter().find(|s| s.id == id).ok_or(Error::NotFound("token"))?;
        self.revoke(&bot, id).await?;
        let action = if is_hook(&old) { "bot.webhook_delete" } else { "bot.token_revoke" };
        let change = Change::new(action, Some(bot.account.domain_id), bot.account.addr.to_string())
            .before(json!({ "token": id, "name": old.device }));
        self.deps.audit(actor, change).await;
        Ok(())
    }

    /// Makes an incoming webhook: a secret that posts to `conversation`, of which the bot is
    /// a member, as the bot.
    pub async fn create_hook(
        &self,
        actor: Actor<'_>,
        addr: &str,
        conversation: ConversationId,
        name: &str,
    ) -> Result<IssuedToken> {
        let bot = self.get(actor, addr).await?;
        let name = token_name(name)?;
        let found = self.log.conversation(conversation).await?;
        let member = self.log.member(conversation, bot.account.id).await?;
        let ok = found.is_some_and(|c| c.domain_id == bot.account.domain_id && !c.dissolved)
            && member.is_some_and(|m| m.is_active());
        if !ok {
            return Err(Error::NotFound("conversation"));
        }
        let scope =
            TokenScope { conversations: Some(vec![conversation]), read: false, send: true, hook: true, app: None };
        let issued = self.issue(&bot, name, scope, None).await?;
        let change = Change::new("bot.webhook_create", Some(bot.account.domain_id), bot.account.addr.to_string())
            .after(json!({ "token": issued.session.id, "name": issued.session.device, "conversation": conversation }));
        self.deps.audit(actor, change).await;
        Ok(issued)
    }

    /// The bot and conversation behind an incoming webhook's token; anything else (a bearer
    /// token, a revoked or unknown one, a disabled bot) is `not_found`, as if there were none.
    pub async fn hook(&self, token: &str) -> Result<(Principal, ConversationId)> {
        let principal = match self.auth.authenticate(token).await {
            Ok(p) => p,
            Err(Error::Unauthenticated | Error::AccountDisabled) => return Err(Error::NotFound("webhook")),
            Err(e) => return Err(e),
        };
        let conversation = match &principal.session.scope {
            Some(TokenScope { hook: true, conversations: Some(list), .. }) if list.len() == 1 => list[0],
            _ => return Err(Error::NotFound("webhook")),
        };
        Ok((principal, conversation))
    }

    async fn live(&self, bot: AccountId) -> Result<Vec<Session>> {
        Ok(self.sessions.sessions(bot, self.deps.clock.now_ms()).await?)
    }

    async fn issue(&self, bot: &Bot, name: String, scope: TokenScope, ttl_days: Option<u32>) -> Result<IssuedToken> {
        let now = self.deps.clock.now_ms();
        let expires_at_ms = ttl_days.map_or(i64::MAX, |d| now.saturating_add(i64::from(d) * 24 * 3600 * 1000));
        self.issue_for(bot, name, scope, now, expires_at_ms, None).await
    }

    /// Makes a token made at `now` (the instant its lifetime was counted from); `replacing` one
    /// that is revoked right after (a rotation), which does not count against the bound.
    async fn issue_for(
        &self,
        bot: &Bot,
        name: String,
        scope: TokenScope,
        now: i64,
        expires_at_ms: i64,
        replacing: Option<SessionId>,
    ) -> Result<IssuedToken> {
        if bot.account.disabled {
            return Err(Error::AccountDisabled);
        }
        // A bot's tokens are never pushed out to make room (as a person's oldest logins are):
        // past the bound, making one is refused. The count is read before the write, so two
        // made at once may both pass it; none is ever revoked for it.
        let live = self.live(bot.account.id).await?;
        if live.iter().filter(|s| Some(s.id) != replacing).count() >= TOKENS_PER_BOT_MAX {
            return Err(Error::LimitExceeded("a bot holds at most 50 tokens and webhooks"));
        }
        let token_bytes: [u8; 32] = rand::random();
        let token = format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(token_bytes));
        let new = NewSession {
            account_id: bot.account.id,
            token_hash: token_hash(&token),
            device: Some(name),
            ip: None,
            created_at_ms: now,
            expires_at_ms,
            sessions_per_account_max: usize::MAX,
            scope: Some(scope),
        };
        let (session, evicted) = self.sessions.create_session(new).await?;
        self.deps.live.close_sessions(&evicted, RevokeReason::Revoked);
        Ok(IssuedToken { token, session })
    }

    async fn revoke(&self, bot: &Bot, id: SessionId) -> Result<()> {
        let now = self.deps.clock.now_ms();
        let revoked =
            self.sessions.revoke_sessions(bot.account.id, SessionSelector::One(id), RevokeReason::Revoked, now).await?;
        self.deps.live.close_sessions(&revoked, RevokeReason::Revoked);
        Ok(())
    }

    async fn domain(&self, name: &str) -> Result<Domain> {
        let name = DomainName::parse(name)?;
        self.account_store.domain_by_name(&name).await?.ok_or(Error::NotFound("domain"))
    }
}

/// Is this session an incoming webhook's?
pub fn is_hook(session: &Session) -> bool {
    session.scope.as_ref().is_some_and(|s| s.hook)
}

fn scope_json(session: &Session) -> serde_json::Value {
    session.scope.as_ref().map_or(
        serde_json::Value::Null,
        |s| json!({ "conversations": s.conversations, "read": s.read, "send": s.send }),
    )
}

fn description(text: &str) -> Result<String> {
    names::free_text("description", text, BOT_DESCRIPTION_CHARS_MAX)
}

fn token_name(name: &str) -> Result<String> {
    let name = names::free_text("name", name, TOKEN_NAME_CHARS_MAX)?;
    if name.is_empty() {
        return Err(Error::invalid("name", "must not be empty"));
    }
    Ok(name)
}

/// Slack's mrkdwn (what scripts post to Slack's incoming webhooks) as the CommonMark of a
/// `markdown` message: `*bold*` becomes `**bold**`, `~strike~` `~~strike~~`, `<url|label>` a
/// link, `<@id>` and `<#id|name>` plain `@id` and `#name`, `<!here>` `@here`, the three
/// entities Slack asks for (`&amp;`, `&lt;`, `&gt;`) their characters; `_italic_`, code and
/// block quotes mean the same in both. Code (inline and fenced) is left as it is.
pub fn slack_to_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let blocks: Vec<&str> = text.split("```").collect();
    let last = blocks.len() - 1;
    for (i, block) in blocks.iter().enumerate() {
        if i % 2 == 1 && i != last {
            // Slack's fences may sit inside a line; CommonMark's stand on their own.
            if !out.is_empty() && !out.ends_with('\n') {
                out.push('\n');
            }
            out.push_str("```\n");
            out.push_str(&unescape(block.trim_matches('\n')));
            out.push_str("\n```\n");
            continue;
        }
        if i % 2 == 1 {
            // An unclosed fence is text.
            out.push_str("```");
        }
        let spans: Vec<&str> = block.split('`').collect();
        let last_span = spans.len() - 1;
        for (j, span) in spans.iter().enumerate() {
            if j % 2 == 1 && j != last_span {
                out.push('`');
                out.push_str(&unescape(span));
                out.push('`');
            } else {
                if j % 2 == 1 {
                    out.push('`');
                }
                prose(span, &mut out);
            }
        }
    }
    out
}

/// Slack's three entities back to their characters (in code and link targets: no Markdown
/// meaning there).
fn unescape(text: &str) -> String {
    text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
}

/// Is `c` a place where Slack's emphasis may open or close (not inside a word)?
fn emphasis_boundary(c: Option<char>) -> bool {
    c.is_none_or(|c| c.is_whitespace() || "()[]{}\"'.,;:!?-".contains(c))
}

/// `text` as Markdown that means only the characters: every character with a meaning there
/// escaped.
fn literal(text: &str, out: &mut String) {
    for c in text.chars() {
        if "\\`*_[]<>~&#!|()".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
}

/// Text outside code: links, mentions, entities and emphasis, in one pass (no input makes it
/// slower than linear: the closing bracket and each emphasis's closing mark are found from
/// tables made beforehand, and emphasis opens without recursion).
fn prose(text: &str, out: &mut String) {
    let chars: Vec<char> = text.chars().collect();
    let n = chars.len();
    // The first `>` or line end at or after each place.
    let mut stop = vec![n; n + 1];
    for i in (0..n).rev() {
        stop[i] = if chars[i] == '>' || chars[i] == '\n' { i } else { stop[i + 1] };
    }
    // The first place at or after each place, on its line, where a mark may close emphasis.
    let closers = |mark: char| {
        let mut next = vec![n; n + 1];
        for i in (0..n).rev() {
            next[i] = if chars[i] == '\n' {
                n
            } else if chars[i] == mark
                && i > 0
                && !chars[i - 1].is_whitespace()
                && emphasis_boundary(chars.get(i + 1).copied())
            {
                i
            } else {
                next[i + 1]
            };
        }
        next
    };
    let (stars, tildes) = (closers('*'), closers('~'));
    // Emphasis opened and not yet closed: where each closes, innermost last.
    let mut open: Vec<(usize, &str)> = Vec::new();
    let mut i = 0;
    while i < n {
        let limit = open.last().map_or(n, |&(at, _)| at);
        if i == limit {
            if let Some((_, mark)) = open.pop() {
                out.push_str(mark);
            }
            i += 1;
            continue;
        }
        let c = chars[i];
        let prev = if i == 0 { None } else { Some(chars[i - 1]) };
        match c {
            '<' if stop[i + 1] < limit && chars[stop[i + 1]] == '>' => {
                let end = stop[i + 1];
                let inner: String = chars[i + 1..end].iter().collect();
                angle(&inner, out);
                i = end + 1;
                continue;
            }
            '&' => {
                let rest: String = chars[i..n.min(i + 5)].iter().collect();
                let (width, escaped) = if rest.starts_with("&lt;") {
                    (4, "\\<")
                } else if rest.starts_with("&gt;") {
                    (4, "\\>")
                } else if rest.starts_with("&amp;") {
                    // A bare `&` before a name would read as an entity of its own.
                    let next = chars.get(i + 5);
                    (5, if next.is_some_and(|c| c.is_alphanumeric() || *c == '#') { "\\&" } else { "&" })
                } else {
                    (1, "&")
                };
                out.push_str(escaped);
                i += width;
                continue;
            }
            '*' | '~' if emphasis_boundary(prev) && chars.get(i + 1).is_some_and(|n| !n.is_whitespace() && *n != c) => {
                let table = if c == '*' { &stars } else { &tildes };
                let close = table[(i + 2).min(n)];
                if close < limit {
                    let mark = if c == '*' { "**" } else { "~~" };
                    out.push_str(mark);
                    open.push((close, mark));
                } else {
                    out.push(c);
                }
            }
            '<' => out.push_str("\\<"),
            _ => out.push(c),
        }
        i += 1;
    }
}

/// What Slack writes in angle brackets: a link, a mention, a channel, a special mention or a
/// date; anything else is shown as it was written.
fn angle(inner: &str, out: &mut String) {
    let (target, label) = match inner.split_once('|') {
        Some((t, l)) => (t, Some(unescape(l))),
        None => (inner, None),
    };
    if let Some(id) = target.strip_prefix('@') {
        out.push('@');
        literal(label.as_deref().unwrap_or(id).trim_start_matches('@'), out);
    } else if let Some(id) = target.strip_prefix('#') {
        out.push('#');
        literal(label.as_deref().unwrap_or(id).trim_start_matches('#'), out);
    } else if let Some(special) = target.strip_prefix('!') {
        // `<!date^…|fallback>` is a date, shown by its fallback; the others mention a crowd.
        if special.starts_with("date^") {
            literal(label.as_deref().unwrap_or_default(), out);
        } else {
            out.push('@');
            let name = special.split('^').next().unwrap_or_default();
            literal(label.as_deref().unwrap_or(name).trim_start_matches('@'), out);
        }
    } else if ["http://", "https://", "mailto:"].iter().any(|s| target.starts_with(s))
        && !target.chars().any(char::is_whitespace)
    {
        let mut url = String::new();
        for c in unescape(target).chars() {
            match c {
                '<' | '>' | '(' | ')' | ' ' | '"' => url.push_str(&format!("%{:02X}", u32::from(c))),
                c => url.push(c),
            }
        }
        match label {
            Some(label) => {
                out.push('[');
                literal(&label, out);
                out.push_str("](");
                out.push_str(&url);
                out.push(')');
            }
            None => {
                out.push('<');
                out.push_str(&url);
                out.push('>');
            }
        }
    } else {
        out.push_str("\\<");
        literal(&unescape(inner), out);
        out.push_str("\\>");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slacks_mrkdwn_becomes_commonmark() {
        let cases = [
            ("plain words", "plain words"),
            ("*bold* and _italic_ and ~gone~", "**bold** and _italic_ and ~~gone~~"),
            ("2*3*4 stays, a * b * c too", "2*3*4 stays, a * b * c too"),
            (
                "see <https://example.com/a?b=1&amp;c=2|the docs> or <https://x.example>",
                "see [the docs](https://example.com/a?b=1&c=2) or <https://x.example>",
            ),
            ("hi <@U024BE7LH>, <!here> in <#C024BE7LR|general>", "hi @U024BE7LH, @here in #general"),
            ("a &lt;b&gt; &amp; c, &amp;lt;", "a \\<b\\> & c, \\&lt;"),
            ("run `*not bold*` now", "run `*not bold*` now"),
            ("```let x = 1 &lt; 2;```", "```\nlet x = 1 < 2;\n```\n"),
            ("see:```code```after", "see:\n```\ncode\n```\nafter"),
            ("*[deploy]* done", "**[deploy]** done"),
            ("*bold ~and struck~ too*", "**bold ~~and struck~~ too**"),
            ("unclosed *bold and `tick", "unclosed *bold and `tick"),
            // What could be HTML or a link is shown as written.
            ("<img src=x onerror=alert(1)>", "\\<img src=x onerror=alert\\(1\\)\\>"),
            ("<https://a.example|&lt;b&gt;[x]>", "[\\<b\\>\\[x\\]](https://a.example)"),
            ("<javascript:alert(1)|click>", "\\<javascript:alert\\(1\\)\\|click\\>"),
            ("<https://a.example/x(1)>", "<https://a.example/x%281%29>"),
            ("<!date^1392734382^{date}|Feb 18, 2014>", "Feb 18, 2014"),
            ("<!subteam^SAZ94GDB8|@oncall>", "@oncall"),
        ];
        for (slack, markdown) in cases {
            assert_eq!(slack_to_markdown(slack), markdown, "{slack}");
        }
    }

    #[test]
    fn hostile_mrkdwn_is_converted_in_one_pass() {
        // Each of these made the first converter scan the rest of the text again at every
        // character; now they take one pass each.
        for text in ["<".repeat(100_000), "*a ".repeat(40_000), "~x *y ".repeat(20_000)] {
            let out = slack_to_markdown(&text);
            assert!(out.len() >= text.len() / 2, "the text is kept");
        }
    }
}
