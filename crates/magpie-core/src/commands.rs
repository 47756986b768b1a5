//! Slash commands: an app registers `/command`s for its bot, with a description and a hint of
//! their arguments; in a conversation the bot is a member of, the composer offers them as a
//! member types `/`, and an invocation goes to the bot's app at once (its event subscription that
//! takes `command`), signed as every request to an app is. The app's answer is shown to the
//! member who invoked it only (`ephemeral`, the default) or posted by the bot for everyone
//! (`in_channel`).
//!
//! A command's name is unique in its domain, so `/name` in a conversation names one command of
//! one bot; a bot has at most [`COMMANDS_PER_BOT_MAX`].

use std::sync::Arc;

use serde_json::{Value, json};

use crate::bots::Bots;
use crate::content::{self, kind};
use crate::messages::Messages;
use crate::model::{AccountId, Actor, ConversationId, Principal, Seq};
use crate::ports::{AccountStore, BotStore};
use crate::webhooks::{Call, EventKind};
use crate::{Deps, Error, Result, Stores};

/// Most commands of one bot.
pub const COMMANDS_PER_BOT_MAX: usize = 25;
/// A command's name, in bytes: `[a-z][a-z0-9_-]*`.
pub const NAME_BYTES_MAX: usize = 32;
/// A command's description, in characters.
pub const DESCRIPTION_CHARS_MAX: usize = 100;
/// A command's hint of its arguments (`[days] [reason]`), in characters.
pub const HINT_CHARS_MAX: usize = 100;
/// What follows the command's name in an invocation, in characters.
pub const TEXT_CHARS_MAX: usize = 2000;
/// Most invocations waiting for their apps at once, on this node.
pub const INVOCATIONS_IN_FLIGHT_MAX: usize = 256;

/// One command of a bot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    pub bot: AccountId,
    /// Without its `/`.
    pub name: String,
    pub description: String,
    pub hint: String,
}

/// A command as its bot's managers give it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewCommand {
    pub name: String,
    pub description: String,
    pub hint: String,
}

/// A command offered in a conversation, with its bot's address and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offered {
    pub command: Command,
    pub bot_addr: String,
    pub bot_name: String,
}

/// Where an app's answer to an invocation goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseType {
    /// To the member who invoked it only.
    Ephemeral,
    /// Posted by the bot in the conversation.
    InChannel,
}

impl ResponseType {
    pub fn as_str(self) -> &'static str {
        match self {
            ResponseType::Ephemeral => "ephemeral",
            ResponseType::InChannel => "in_channel",
        }
    }
}

/// What came of an invocation: the app's message (if it answered one), and the seq it was
/// posted at when it went `in_channel`.
#[derive(Debug, Clone, PartialEq)]
pub struct Invoked {
    pub response_type: ResponseType,
    /// The answer as a message: `kind` and `body` (a text answer is `markdown`).
    pub message: Option<(String, Value)>,
    pub seq: Option<Seq>,
}

#[derive(Clone)]
pub struct Commands {
    deps: Arc<Deps>,
    bots: Bots,
    store: Arc<dyn BotStore>,
    accounts: Arc<dyn AccountStore>,
    messages: Messages,
    in_flight: Arc<crate::cards::InFlight>,
}

impl Commands {
    pub(crate) fn new(deps: Arc<Deps>, stores: &Stores, bots: Bots, messages: Messages) -> Commands {
        Commands {
            deps,
            bots,
            store: stores.bots.clone(),
            accounts: stores.accounts.clone(),
            messages,
            in_flight: Arc::new(crate::cards::InFlight::new(INVOCATIONS_IN_FLIGHT_MAX)),
        }
    }

    /// The bot's commands, in its order, for those who manage it.
    pub async fn list(&self, actor: Actor<'_>, bot: &str) -> Result<Vec<Command>> {
        let bot = self.bots.get(actor, bot).await?;
        Ok(self.store.bot_commands(bot.account.id).await?)
    }

    /// Replaces the bot's commands with `commands`, in that order (none: it has none). Each name
    /// must be free in the domain (or the bot's own already).
    pub async fn set(&self, actor: Actor<'_>, bot: &str, commands: Vec<NewCommand>) -> Result<Vec<Command>> {
        let bot = self.bots.get(actor, bot).await?;
        if commands.len() > COMMANDS_PER_BOT_MAX {
            return Err(Error::invalid("commands", format!("a bot has at most {COMMANDS_PER_BOT_MAX} commands")));
        }
        let mut seen = std::collections::HashSet::new();
        for (i, c) in commands.iter().enumerate() {
            check_name(&format!("commands[{i}].name"), &c.name)?;
            if !seen.insert(c.name.as_str()) {
                return Err(Error::invalid(format!("commands[{i}].name"), format!("/{} is named twice", c.name)));
            }
            check_label(&format!("commands[{i}].description"), &c.description, DESCRIPTION_CHARS_MAX, false)?;
            check_label(&format!("commands[{i}].hint"), &c.hint, HINT_CHARS_MAX, true)?;
        }
        if let Err(taken) = self.store.set_bot_commands(bot.account.id, bot.account.domain_id, &commands).await? {
            let at = commands.iter().position(|c| c.name == taken).unwrap_or_default();
            return Err(Error::invalid(
                format!("commands[{at}].name"),
                format!("/{taken} is a command of another bot of this domain"),
            ));
        }
        let change =
            crate::audit::Change::new("bot.commands_set", Some(bot.account.domain_id), bot.account.addr.to_string())
                .after(json!({"commands": commands.iter().map(|c| c.name.as_str()).collect::<Vec<_>>()}));
        self.deps.audit(actor, change).await;
        Ok(self.store.bot_commands(bot.account.id).await?)
    }

    /// The commands a member may invoke in the conversation: those of its bots, by name.
    pub async fn offered(&self, caller: &Principal, id: ConversationId) -> Result<Vec<Offered>> {
        self.messages.member_of(caller, id).await?;
        let commands = self.store.conversation_commands(id).await?;
        let mut out = Vec::with_capacity(commands.len());
        let mut names: std::collections::HashMap<AccountId, (String, String)> = std::collections::HashMap::new();
        for command in commands {
            if let std::collections::hash_map::Entry::Vacant(v) = names.entry(command.bot) {
                let Some(bot) = self.accounts.account_by_id(command.bot).await? else { continue };
                if bot.disabled {
                    continue;
                }
                v.insert((bot.addr.to_string(), bot.profile.display_name));
            }
            let Some((bot_addr, bot_name)) = names.get(&command.bot).cloned() else { continue };
            out.push(Offered { command, bot_addr, bot_name });
        }
        Ok(out)
    }

    /// Invokes `/name text` in the conversation: asks the command's app at once and answers its
    /// answer, posted by the bot when the app says `in_channel`. The caller must be a member; the
    /// command a bot's that is a member too. An app that does not answer within
    /// [`crate::cards::ACTION_TIMEOUT`], answers an error or something not valid gives
    /// [`Error::AppFailed`].
    pub async fn invoke(&self, caller: &Principal, id: ConversationId, name: &str, text: &str) -> Result<Invoked> {
        check_name("command", name)?;
        check_label("text", text, TEXT_CHARS_MAX, true)?;
        self.messages.member_of(caller, id).await?;
        let command = self.store.conversation_commands(id).await?.into_iter().find(|c| c.name == name);
        let command = command.ok_or_else(|| Error::invalid("command", format!("no bot here has /{name}")))?;
        let bot = self.accounts.account_by_id(command.bot).await?.ok_or(Error::NotFound("bot"))?;
        let (subscription, secret) =
            crate::cards::app_of(self.store.as_ref(), &bot, EventKind::Command, "commands").await?;
        let sender = self.deps.webhooks.get().ok_or(Error::Unavailable("apps are not reached from this server"))?;
        let _seat =
            self.in_flight.enter(caller.account.id, "too many commands are waiting for their apps; retry shortly")?;
        let now = self.deps.clock.now_ms();
        let event = json!({
            "type": EventKind::Command.as_str(),
            "id": format!("{}.{}.{:016x}", subscription.id, id.0, rand::random::<u64>()),
            "subscription": subscription.id,
            "bot": bot.addr.to_string(),
            "conversation": id.0,
            "command": format!("/{name}"),
            "text": text,
            "user": {"account": caller.account.addr.to_string(), "name": caller.account.profile.display_name},
            "at_ms": now,
        });
        let call = Call {
            subscription: subscription.id,
            url: &subscription.url,
            secret: &secret,
            body: &event,
            timeout: crate::cards::ACTION_TIMEOUT,
        };
        let answer = sender.call(call).await.map_err(Error::AppFailed)?.unwrap_or(Value::Null);
        let (mut response_type, message) = answer_of(&answer, self.messages.limits())?;
        // The bot speaks for the caller in the conversation only where the caller may post
        // itself; elsewhere its answer is the caller's alone.
        if response_type == ResponseType::InChannel && self.messages.may_post_now(caller, id).await.is_err() {
            response_type = ResponseType::Ephemeral;
        }
        let seq = match (&message, response_type) {
            (Some((kind, body)), ResponseType::InChannel) => {
                let posted = self.messages.post_as_bot(bot.id, id, kind.clone(), body.clone()).await;
                match posted {
                    Ok(ack) => Some(ack.entry.seq),
                    Err(e @ (Error::InvalidField { .. } | Error::Forbidden | Error::TooLarge { .. })) => {
                        return Err(Error::AppFailed(format!(
                            "the app's answer could not be posted by {}: {e}",
                            bot.addr
                        )));
                    }
                    Err(e) => return Err(e),
                }
            }
            _ => None,
        };
        Ok(Invoked { response_type, message, seq })
    }
}

/// The app's answer to an invocation: nothing, or `{"response_type"?, "text"?}` or
/// `{"response_type"?, "kind", "body"}`, checked as a message of that kind.
fn answer_of(answer: &Value, limits: content::BodyLimits) -> Result<(ResponseType, Option<(String, Value)>)> {
    let app = |why: String| Error::AppFailed(format!("the app's answer {why}"));
    let answer = match answer {
        Value::Null => return Ok((ResponseType::Ephemeral, None)),
        Value::Object(o) => o,
        _ => return Err(app("is not a JSON object".into())),
    };
    let response_type = match answer.get("response_type").and_then(Value::as_str) {
        None | Some("ephemeral") => ResponseType::Ephemeral,
        Some("in_channel") => ResponseType::InChannel,
        Some(other) => return Err(app(format!("has a response_type {other:?} that is not ephemeral or in_channel"))),
    };
    let message = match (answer.get("text"), answer.get("kind"), answer.get("body")) {
        (_, Some(Value::String(kind)), Some(body)) => Some((kind.clone(), body.clone())),
        (Some(Value::String(text)), None, None) => Some((kind::MARKDOWN.to_owned(), json!({"text": text}))),
        (None, None, None) => None,
        _ => return Err(app("has neither a text nor a kind with a body".into())),
    };
    if let Some((kind, body)) = &message {
        content::validate(kind, body, limits).map_err(|e| app(format!("is not a message that may be sent: {e}")))?;
    }
    Ok((response_type, message))
}

fn check_name(field: &str, name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= NAME_BYTES_MAX
        && name.as_bytes()[0].is_ascii_lowercase()
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(field.to_owned(), "must be 1-32 bytes of a-z, 0-9, _ and -, starting with a letter"))
    }
}

fn check_label(field: &str, text: &str, chars_max: usize, empty_ok: bool) -> Result<()> {
    if !empty_ok && text.trim().is_empty() {
        return Err(Error::invalid(field.to_owned(), "must not be empty"));
    }
    if text.chars().count() > chars_max {
        return Err(Error::invalid(field.to_owned(), format!("is longer than {chars_max} characters")));
    }
    if text.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(Error::invalid(
            field.to_owned(),
            "must not contain control characters other than newlines and tabs",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: content::BodyLimits = content::BodyLimits { body_bytes_max: 65536, text_chars_max: 10000 };

    #[test]
    fn names_are_short_lowercase_words() {
        for good in ["leave", "a", "out-of-office", "v2_report"] {
            assert!(check_name("command", good).is_ok(), "{good}");
        }
        for bad in ["", "Leave", "2fa", "/leave", "请假", "a b", &"x".repeat(33)] {
            assert!(check_name("command", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_answer_is_a_text_or_a_message_shown_to_one_or_posted() {
        assert_eq!(answer_of(&Value::Null, LIMITS).unwrap(), (ResponseType::Ephemeral, None));
        let (to, message) = answer_of(&json!({"text": "3 days left"}), LIMITS).unwrap();
        assert_eq!((to, message), (ResponseType::Ephemeral, Some(("markdown".into(), json!({"text": "3 days left"})))));
        let card = json!({"card": "interactive", "blocks": [{"type": "divider"}]});
        let (to, message) =
            answer_of(&json!({"response_type": "in_channel", "kind": "card", "body": card}), LIMITS).unwrap();
        assert_eq!((to, message), (ResponseType::InChannel, Some(("card".into(), card))));
        for bad in [
            json!("text"),
            json!({"response_type": "everyone", "text": "x"}),
            json!({"text": 3}),
            json!({"kind": "card", "body": {"card": "interactive", "blocks": []}}),
            json!({"kind": "text"}),
        ] {
            assert!(matches!(answer_of(&bad, LIMITS), Err(Error::AppFailed(_))), "{bad}");
        }
    }
}
