//! Interactive cards: a `card` message whose body is `{"card": "interactive", …}`, a declarative
//! layout of blocks (text, fields, an image, a divider, a note) and rows of elements (buttons,
//! selects, date pickers, text inputs). A person presses a button; the server sends the action,
//! with what the person chose and typed in the card's inputs, to the app of the bot that sent
//! the card (its event subscription that takes `card_action`), signed as every request to an app
//! is, and waits for the answer. The app may answer with a new body for the card: the server
//! appends it as an edit by the bot, stamped with who acted (`acted`), so every device of every
//! member converges on it from the log.
//!
//! The layout (version 1, docs/protocol.md "Interactive cards"):
//!
//! ```text
//! {"card": "interactive", "title"?: str, "blocks": [block, …]}
//! block   = {"type": "text", "text": markdown}
//!         | {"type": "fields", "fields": [{"label": str, "value": str}, …]}
//!         | {"type": "image", "url": "http(s)://…", "alt"?: str}   (fetched by the server)
//!         | {"type": "divider"}
//!         | {"type": "note", "text": str}
//!         | {"type": "actions", "elements": [element, …]}
//! element = {"type": "button", "id", "label", "style"?: "default"|"primary"|"danger", "value"?, "confirm"?}
//!         | {"type": "select", "id", "label"?, "placeholder"?, "options": [{"label", "value"}, …], "initial"?}
//!         | {"type": "date", "id", "label"?, "initial"?: "YYYY-MM-DD"}
//!         | {"type": "input", "id", "label", "placeholder"?, "multiline"?: bool, "max_chars"?: 1..=2000}
//! ```
//!
//! Every error names the field it is about by its path (`body.blocks[2].elements[0].label`).

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value, json};

use crate::messages::Messages;
use crate::model::{ConversationId, Principal, Seq};
use crate::ports::{AccountStore, BotStore};
use crate::webhooks::{Call, EventKind};
use crate::{Deps, Error, Result, Stores};

/// The `card` of an interactive card's body.
pub const INTERACTIVE: &str = "interactive";
/// Most blocks in a card.
pub const BLOCKS_MAX: usize = 50;
/// Most elements (buttons, selects, dates, inputs) in a card, in all its rows.
pub const ELEMENTS_MAX: usize = 25;
/// Most fields in one `fields` block.
pub const FIELDS_MAX: usize = 20;
/// Most options of one select.
pub const OPTIONS_MAX: usize = 100;
/// A card's body as JSON, in bytes, as a client or an app sends it.
pub const CARD_BYTES_MAX: usize = 16 * 1024;
/// What the server's `acted` stamp may add to a stored card, in bytes (names and a label are
/// bounded; this is well above them).
pub const ACTED_BYTES_MAX: usize = 2 * 1024;
/// The text of a `text` block, in characters.
pub const TEXT_CHARS_MAX: usize = 4000;
/// Titles, labels, placeholders, notes and field values, in characters.
pub const LABEL_CHARS_MAX: usize = 256;
/// A button's label, in characters (it is one line).
pub const BUTTON_LABEL_CHARS_MAX: usize = 40;
/// A button's or option's `value`, in characters: the app's own reference.
pub const VALUE_CHARS_MAX: usize = 2000;
/// An element's `id`, in bytes.
pub const ID_BYTES_MAX: usize = 64;
/// The most a text input may take, in characters, and what it takes unless it says.
pub const INPUT_CHARS_MAX: usize = 2000;
pub const INPUT_CHARS_DEFAULT: usize = 500;

/// How long a card's action waits for the app's answer.
pub const ACTION_TIMEOUT: Duration = Duration::from_secs(5);
/// Most card actions waiting for their apps at once, on this node.
pub const ACTIONS_IN_FLIGHT_MAX: usize = 256;
/// Most requests to apps (card actions and slash commands) one account has waiting at once, on
/// this node: so that one person pressing at an app that hangs does not hold them all.
pub const PER_ACCOUNT_IN_FLIGHT_MAX: usize = 4;

/// Requests waiting for apps on this node: at most so many in all, and at most
/// [`PER_ACCOUNT_IN_FLIGHT_MAX`] of one account's.
pub(crate) struct InFlight {
    total: tokio::sync::Semaphore,
    accounts: std::sync::Mutex<std::collections::HashMap<crate::model::AccountId, usize>>,
}

/// A request's place among those in flight, given back when it is dropped.
pub(crate) struct Seat<'a> {
    flight: &'a InFlight,
    account: crate::model::AccountId,
    _permit: tokio::sync::SemaphorePermit<'a>,
}

impl InFlight {
    pub(crate) fn new(total: usize) -> InFlight {
        InFlight { total: tokio::sync::Semaphore::new(total), accounts: Default::default() }
    }

    /// A seat for one of `account`'s requests, or `unavailable` (`busy` says why) when the node
    /// or the account has as many waiting as it may.
    pub(crate) fn enter(&self, account: crate::model::AccountId, busy: &'static str) -> Result<Seat<'_>> {
        let permit = self.total.try_acquire().map_err(|_| Error::Unavailable(busy))?;
        let mut accounts = self.accounts.lock().unwrap_or_else(|e| e.into_inner());
        let mine = accounts.entry(account).or_default();
        if *mine >= PER_ACCOUNT_IN_FLIGHT_MAX {
            return Err(Error::LimitExceeded(
                "you have as many requests waiting for apps as you may; wait for their answers",
            ));
        }
        *mine += 1;
        Ok(Seat { flight: self, account, _permit: permit })
    }
}

impl Drop for Seat<'_> {
    fn drop(&mut self) {
        let mut accounts = self.flight.accounts.lock().unwrap_or_else(|e| e.into_inner());
        if let std::collections::hash_map::Entry::Occupied(mut e) = accounts.entry(self.account) {
            *e.get_mut() -= 1;
            if *e.get() == 0 {
                e.remove();
            }
        }
    }
}
/// Most inputs sent with one action (a card has at most [`ELEMENTS_MAX`] elements).
pub const ACTION_INPUTS_MAX: usize = ELEMENTS_MAX;
/// The app's `toast`, in characters.
pub const TOAST_CHARS_MAX: usize = 256;

/// A press of a card's button, as a member sends it.
#[derive(Debug, Clone, Default)]
pub struct ActionRequest {
    /// The button's id.
    pub action: String,
    /// What the member chose and typed in the card's inputs, by their ids.
    pub inputs: BTreeMap<String, String>,
}

/// What came of an action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionOutcome {
    /// The seq of the edit that updated the card, if the app answered with a new card.
    pub updated: Option<Seq>,
    /// A short answer for the member who acted only, if the app gave one.
    pub toast: Option<String>,
}

/// Card actions: a member's press of a button goes to the card's app and its answer updates
/// the card (see the module's doc).
#[derive(Clone)]
pub struct Cards {
    deps: Arc<Deps>,
    bots: Arc<dyn BotStore>,
    accounts: Arc<dyn AccountStore>,
    messages: Messages,
    in_flight: Arc<InFlight>,
}

impl Cards {
    pub(crate) fn new(deps: Arc<Deps>, stores: &Stores, messages: Messages) -> Cards {
        Cards {
            deps,
            bots: stores.bots.clone(),
            accounts: stores.accounts.clone(),
            messages,
            in_flight: Arc::new(InFlight::new(ACTIONS_IN_FLIGHT_MAX)),
        }
    }

    /// Sends the caller's press of a button of the interactive card `seq` to the app of the bot
    /// that sent it, and applies the app's answer: a new card (`update`), appended as an edit
    /// by the bot that records who acted, and a `toast` for the caller. The caller must be a
    /// member that may read the card; the button and the inputs must be the card's as it is
    /// now. An app that does not answer within [`ACTION_TIMEOUT`], answers an error, or answers
    /// a card that is not valid gives [`Error::AppFailed`], and the card stays as it was.
    pub async fn act(
        &self,
        caller: &Principal,
        id: ConversationId,
        seq: Seq,
        request: ActionRequest,
    ) -> Result<ActionOutcome> {
        if request.inputs.len() > ACTION_INPUTS_MAX {
            return Err(Error::invalid("inputs", format!("at most {ACTION_INPUTS_MAX} inputs")));
        }
        let card = self.messages.card_to_act_on(caller, id, seq).await?;
        // The card as it was pressed: the app's answer replaces that card and no later one.
        let version = card.edited_at_ms;
        let body = card.body.clone().unwrap_or_default();
        let actions = actions_of(&body)?;
        let button = actions.check(&request.action, &request.inputs)?;
        let not_an_app = || Error::invalid("seq", "this card is not an app's: it takes no actions");
        let bot = self.accounts.account_by_id(card.sender).await?.filter(|a| a.bot).ok_or_else(not_an_app)?;
        let (subscription, secret) = app_of(self.bots.as_ref(), &bot, EventKind::CardAction, "card actions").await?;
        let sender = self.deps.webhooks.get().ok_or(Error::Unavailable("apps are not reached from this server"))?;
        let _seat = self
            .in_flight
            .enter(caller.account.id, "too many card actions are waiting for their apps; retry shortly")?;
        let now = self.deps.clock.now_ms();
        let mut pressed = json!({"id": button.id, "label": button.label});
        if let Some(value) = &button.value {
            pressed["value"] = json!(value);
        }
        let event = json!({
            "type": EventKind::CardAction.as_str(),
            "id": format!("{}.{}.{}.{:016x}", subscription.id, id.0, seq.0, rand::random::<u64>()),
            "subscription": subscription.id,
            "bot": bot.addr.to_string(),
            "conversation": id.0,
            "seq": seq.0,
            "user": {"account": caller.account.addr.to_string(), "name": caller.account.profile.display_name},
            "action": pressed,
            "inputs": request.inputs,
            "card": body,
            "at_ms": now,
        });
        let call = Call {
            subscription: subscription.id,
            url: &subscription.url,
            secret: &secret,
            body: &event,
            timeout: ACTION_TIMEOUT,
        };
        let answer = sender.call(call).await.map_err(Error::AppFailed)?.unwrap_or(Value::Null);
        let (update, toast) = answer_of(&answer)?;
        let updated = match update {
            Some(mut update) => {
                update["acted"] = json!({
                    "by": caller.account.addr.to_string(),
                    "name": caller.account.profile.display_name,
                    "action": button.id,
                    "label": button.label,
                    "at_ms": now,
                });
                match self.messages.update_card(bot.id, id, seq, update, version).await {
                    Ok(ack) => Some(ack.entry.seq),
                    // Another press's answer, or the app's own edit, came first: the card stays
                    // as that left it.
                    Err(Error::Conflict(_)) => None,
                    Err(e) => return Err(e),
                }
            }
            None => None,
        };
        Ok(ActionOutcome { updated, toast })
    }
}

impl Cards {
    /// The image of block `block` of the interactive card `seq`, for a member who may read the
    /// card: a JPEG the server made of the block's `url` (see
    /// [`crate::previews::LinkPreviews::card_image`]), and its SHA-256.
    pub async fn image(
        &self,
        previews: &crate::previews::LinkPreviews,
        caller: &Principal,
        id: ConversationId,
        seq: Seq,
        block: usize,
    ) -> Result<(Vec<u8>, String)> {
        let card = self.messages.card_to_act_on(caller, id, seq).await?;
        let url = card
            .body
            .as_ref()
            .and_then(|b| b.get("blocks"))
            .and_then(|b| b.get(block))
            .filter(|b| b.get("type").and_then(Value::as_str) == Some("image"))
            .and_then(|b| b.get("url"))
            .and_then(Value::as_str)
            .ok_or(Error::NotFound("image"))?;
        previews.card_image(caller, url).await
    }
}

/// Where a request of `kind` to the bot's app goes (`what` names such requests): its first
/// enabled subscription that takes them, and that subscription's secret. A bot that is turned
/// off, or has no such subscription, is the app's failure.
pub(crate) async fn app_of(
    store: &dyn BotStore,
    bot: &crate::model::Account,
    kind: EventKind,
    what: &str,
) -> Result<(crate::webhooks::Subscription, String)> {
    if bot.disabled {
        return Err(Error::AppFailed(format!("{} is turned off", bot.addr)));
    }
    let subscription =
        store
            .subscriptions(bot.id)
            .await?
            .into_iter()
            .find(|s| s.enabled && s.events.contains(&kind))
            .ok_or_else(|| Error::AppFailed(format!("{} has no subscription that takes {what}", bot.addr)))?;
    let secret = store.subscription_secret(subscription.id).await?.ok_or(Error::NotFound("subscription"))?;
    Ok((subscription, secret))
}

/// The app's answer to an action: nothing, or an object with a new card (`update`) and a short
/// text for the person who acted (`toast`), each checked.
fn answer_of(answer: &Value) -> Result<(Option<Value>, Option<String>)> {
    let app = |why: String| Error::AppFailed(format!("the app's answer {why}"));
    let answer = match answer {
        Value::Null => return Ok((None, None)),
        Value::Object(o) => o,
        _ => return Err(app("is not a JSON object".into())),
    };
    let update = match answer.get("update") {
        None | Some(Value::Null) => None,
        Some(card) => {
            let mut card = card.clone();
            if card.get("card").is_none() && card.is_object() {
                card["card"] = json!(INTERACTIVE);
            }
            if !is_interactive(&card) {
                return Err(app("has an update that is not an interactive card".into()));
            }
            validate(&card).map_err(|e| {
                app(format!("has an update that is not valid: {}", e.to_string().replacen("body", "update", 1)))
            })?;
            Some(card)
        }
    };
    let toast = match answer.get("toast") {
        None | Some(Value::Null) => None,
        Some(Value::String(t)) if t.chars().count() <= TOAST_CHARS_MAX && !t.trim().is_empty() => Some(t.clone()),
        Some(_) => return Err(app(format!("has a toast that is not a text of 1 to {TOAST_CHARS_MAX} characters"))),
    };
    Ok((update, toast))
}

/// What a card's person may do in it: its buttons and inputs, as the validation found them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CardActions {
    pub buttons: Vec<Button>,
    pub inputs: Vec<Input>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Button {
    pub id: String,
    pub label: String,
    pub value: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    pub id: String,
    pub kind: InputKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputKind {
    /// One of these values.
    Select(Vec<String>),
    /// A day, `YYYY-MM-DD`.
    Date,
    /// Text of at most this many characters.
    Text { chars_max: usize },
}

impl CardActions {
    pub fn is_empty(&self) -> bool {
        self.buttons.is_empty() && self.inputs.is_empty()
    }

    /// The button `action` and what was chosen and typed in the inputs, checked against the
    /// card: each input named is one of the card's and its value fits it.
    pub fn check(&self, action: &str, inputs: &BTreeMap<String, String>) -> Result<&Button> {
        let button = self
            .buttons
            .iter()
            .find(|b| b.id == action)
            .ok_or_else(|| Error::invalid("action", format!("the card has no button {action:?}")))?;
        for (id, value) in inputs {
            let field = || format!("inputs.{id}");
            let input = self
                .inputs
                .iter()
                .find(|i| &i.id == id)
                .ok_or_else(|| Error::invalid(field(), "the card has no such input"))?;
            match &input.kind {
                InputKind::Select(values) if !values.contains(value) => {
                    return Err(Error::invalid(field(), "is not one of the select's options"));
                }
                InputKind::Date if !is_date(value) => return Err(Error::invalid(field(), "must be a day, YYYY-MM-DD")),
                InputKind::Text { chars_max } => {
                    if value.chars().count() > *chars_max {
                        return Err(Error::invalid(field(), format!("is longer than {chars_max} characters")));
                    }
                    no_controls(&field(), value)?;
                }
                _ => {}
            }
        }
        Ok(button)
    }
}

/// Is this `card` body an interactive card's?
pub fn is_interactive(body: &Value) -> bool {
    body.get("card").and_then(Value::as_str) == Some(INTERACTIVE)
}

/// Checks an interactive card's body as a client or an app sends it, and answers its buttons and
/// inputs. `acted` is the server's to write, so a body that has it is refused.
pub fn validate(body: &Value) -> Result<CardActions> {
    if body.get("acted").is_some() {
        return Err(Error::invalid("body.acted", "is written by the server"));
    }
    read(body, CARD_BYTES_MAX)
}

/// The buttons and inputs of a card as it is stored (its `acted` included, which may take it
/// past [`CARD_BYTES_MAX`] by up to [`ACTED_BYTES_MAX`]), or an error if it is not an
/// interactive card.
pub fn actions_of(body: &Value) -> Result<CardActions> {
    read(body, CARD_BYTES_MAX + ACTED_BYTES_MAX)
}

fn read(body: &Value, bytes_max: usize) -> Result<CardActions> {
    let card = body.as_object().ok_or_else(|| Error::invalid("body", "must be a JSON object"))?;
    let bytes = serde_json::to_string(body).map(|s| s.len()).unwrap_or(usize::MAX);
    if bytes > bytes_max {
        return Err(Error::too_large("body", bytes_max, crate::Unit::Bytes));
    }
    opt_text(card, "body", "title", LABEL_CHARS_MAX)?;
    let blocks = array(card, "body", "blocks", 1, BLOCKS_MAX)?;
    let mut out = CardActions::default();
    let mut ids = HashSet::new();
    for (i, block) in blocks.iter().enumerate() {
        let path = format!("body.blocks[{i}]");
        let block = object(block, &path)?;
        match kind(block, &path)? {
            "text" => text(block, &path, "text", TEXT_CHARS_MAX).map(drop)?,
            "note" => text(block, &path, "text", LABEL_CHARS_MAX).map(drop)?,
            "divider" => {}
            "image" => {
                // The server fetches it (clients never contact the image's site).
                let url = text(block, &path, "url", crate::content::URL_BYTES_MAX)?;
                if !(url.starts_with("https://") || url.starts_with("http://")) {
                    return Err(Error::invalid(format!("{path}.url"), "must be an http(s):// URL"));
                }
                opt_text(block, &path, "alt", LABEL_CHARS_MAX)?;
            }
            "fields" => {
                let fields = array(block, &path, "fields", 1, FIELDS_MAX)?;
                for (j, field) in fields.iter().enumerate() {
                    let path = format!("{path}.fields[{j}]");
                    let field = object(field, &path)?;
                    text(field, &path, "label", LABEL_CHARS_MAX)?;
                    text(field, &path, "value", LABEL_CHARS_MAX)?;
                }
            }
            "actions" => {
                let elements = array(block, &path, "elements", 1, ELEMENTS_MAX)?;
                for (j, element) in elements.iter().enumerate() {
                    let path = format!("{path}.elements[{j}]");
                    if out.buttons.len() + out.inputs.len() == ELEMENTS_MAX {
                        return Err(Error::invalid(path, format!("a card has at most {ELEMENTS_MAX} elements")));
                    }
                    element_of(object(element, &path)?, &path, &mut ids, &mut out)?;
                }
            }
            other => {
                return Err(Error::invalid(
                    format!("{path}.type"),
                    format!("{other:?} is not text, fields, image, divider, note or actions"),
                ));
            }
        }
    }
    Ok(out)
}

fn element_of(
    element: &Map<String, Value>,
    path: &str,
    ids: &mut HashSet<String>,
    out: &mut CardActions,
) -> Result<()> {
    let kind = kind(element, path)?;
    let id = text(element, path, "id", ID_BYTES_MAX)?;
    let id_ok =
        id.len() <= ID_BYTES_MAX && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if !id_ok {
        return Err(Error::invalid(format!("{path}.id"), "must be 1-64 bytes of A-Z, a-z, 0-9, _, - and ."));
    }
    if !ids.insert(id.to_owned()) {
        return Err(Error::invalid(format!("{path}.id"), format!("{id:?} is the id of another element")));
    }
    let id = id.to_owned();
    match kind {
        "button" => {
            let label = text(element, path, "label", BUTTON_LABEL_CHARS_MAX)?.to_owned();
            let style = opt_text(element, path, "style", 16)?;
            if style.is_some_and(|s| !matches!(s, "default" | "primary" | "danger")) {
                return Err(Error::invalid(format!("{path}.style"), "must be default, primary or danger"));
            }
            let value = opt_text(element, path, "value", VALUE_CHARS_MAX)?.map(str::to_owned);
            opt_text(element, path, "confirm", LABEL_CHARS_MAX)?;
            out.buttons.push(Button { id, label, value });
        }
        "select" => {
            opt_text(element, path, "label", LABEL_CHARS_MAX)?;
            opt_text(element, path, "placeholder", LABEL_CHARS_MAX)?;
            let options = array(element, path, "options", 1, OPTIONS_MAX)?;
            let mut values = Vec::with_capacity(options.len());
            for (k, option) in options.iter().enumerate() {
                let path = format!("{path}.options[{k}]");
                let option = object(option, &path)?;
                text(option, &path, "label", LABEL_CHARS_MAX)?;
                let value = text(option, &path, "value", VALUE_CHARS_MAX)?;
                if values.iter().any(|v| v == value) {
                    return Err(Error::invalid(format!("{path}.value"), "is the value of another option"));
                }
                values.push(value.to_owned());
            }
            if let Some(initial) = opt_text(element, path, "initial", VALUE_CHARS_MAX)?
                && !values.iter().any(|v| v == initial)
            {
                return Err(Error::invalid(format!("{path}.initial"), "is not one of the options' values"));
            }
            out.inputs.push(Input { id, kind: InputKind::Select(values) });
        }
        "date" => {
            opt_text(element, path, "label", LABEL_CHARS_MAX)?;
            if let Some(initial) = opt_text(element, path, "initial", 10)?
                && !is_date(initial)
            {
                return Err(Error::invalid(format!("{path}.initial"), "must be a day, YYYY-MM-DD"));
            }
            out.inputs.push(Input { id, kind: InputKind::Date });
        }
        "input" => {
            text(element, path, "label", LABEL_CHARS_MAX)?;
            opt_text(element, path, "placeholder", LABEL_CHARS_MAX)?;
            if element.get("multiline").is_some_and(|m| !m.is_boolean()) {
                return Err(Error::invalid(format!("{path}.multiline"), "must be true or false"));
            }
            let chars_max = match element.get("max_chars") {
                None => INPUT_CHARS_DEFAULT,
                Some(n) => match n.as_u64() {
                    Some(n @ 1..) if n as usize <= INPUT_CHARS_MAX => n as usize,
                    _ => {
                        return Err(Error::invalid(
                            format!("{path}.max_chars"),
                            format!("must be a whole number from 1 to {INPUT_CHARS_MAX}"),
                        ));
                    }
                },
            };
            out.inputs.push(Input { id, kind: InputKind::Text { chars_max } });
        }
        other => {
            return Err(Error::invalid(
                format!("{path}.type"),
                format!("{other:?} is not button, select, date or input"),
            ));
        }
    }
    Ok(())
}

fn object<'a>(value: &'a Value, path: &str) -> Result<&'a Map<String, Value>> {
    value.as_object().ok_or_else(|| Error::invalid(path.to_owned(), "must be a JSON object"))
}

fn kind<'a>(object: &'a Map<String, Value>, path: &str) -> Result<&'a str> {
    object
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::invalid(format!("{path}.type"), "is missing (a string naming what this is)"))
}

fn array<'a>(object: &'a Map<String, Value>, path: &str, name: &str, min: usize, max: usize) -> Result<&'a [Value]> {
    let field = || format!("{path}.{name}");
    let items = object.get(name).ok_or_else(|| Error::invalid(field(), "is missing"))?;
    let items = items.as_array().ok_or_else(|| Error::invalid(field(), "must be a list"))?;
    if items.len() < min || items.len() > max {
        return Err(Error::invalid(field(), format!("must have from {min} to {max} items")));
    }
    Ok(items)
}

/// A required string field: not empty, at most `chars_max` characters, no control characters
/// but newlines and tabs.
fn text<'a>(object: &'a Map<String, Value>, path: &str, name: &str, chars_max: usize) -> Result<&'a str> {
    match opt_text(object, path, name, chars_max)? {
        Some(t) if !t.trim().is_empty() => Ok(t),
        Some(_) => Err(Error::invalid(format!("{path}.{name}"), "must not be empty")),
        None => Err(Error::invalid(format!("{path}.{name}"), "is missing")),
    }
}

fn opt_text<'a>(object: &'a Map<String, Value>, path: &str, name: &str, chars_max: usize) -> Result<Option<&'a str>> {
    let Some(value) = object.get(name) else { return Ok(None) };
    let field = || format!("{path}.{name}");
    let text = value.as_str().ok_or_else(|| Error::invalid(field(), "must be a string"))?;
    if text.chars().count() > chars_max {
        return Err(Error::invalid(field(), format!("is longer than {chars_max} characters")));
    }
    no_controls(&field(), text)?;
    Ok(Some(text))
}

fn no_controls(field: &str, text: &str) -> Result<()> {
    if text.chars().any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r') {
        return Err(Error::invalid(
            field.to_owned(),
            "must not contain control characters other than newlines and tabs",
        ));
    }
    Ok(())
}

/// `YYYY-MM-DD`, a day that exists.
fn is_date(s: &str) -> bool {
    s.len() == 10 && s.parse::<jiff::civil::Date>().is_ok()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn approval() -> Value {
        json!({
            "card": "interactive",
            "title": "Leave request",
            "blocks": [
                {"type": "text", "text": "**Alice** asks for leave"},
                {"type": "fields", "fields": [{"label": "From", "value": "2026-12-10"}, {"label": "Days", "value": "2"}]},
                {"type": "divider"},
                {"type": "actions", "elements": [
                    {"type": "input", "id": "note", "label": "Note", "max_chars": 20},
                    {"type": "select", "id": "who", "options": [{"label": "Me", "value": "me"}, {"label": "You", "value": "you"}]},
                    {"type": "date", "id": "day", "initial": "2026-12-10"},
                    {"type": "button", "id": "approve", "label": "Approve", "style": "primary", "value": "req-1"},
                    {"type": "button", "id": "reject", "label": "Reject", "style": "danger"}
                ]}
            ]
        })
    }

    fn field_of(e: Error) -> String {
        match e {
            Error::InvalidField { field, .. } => field.into_owned(),
            Error::TooLarge { field, .. } => field.to_owned(),
            other => panic!("not a field's error: {other:?}"),
        }
    }

    #[test]
    fn a_card_gives_its_buttons_and_inputs() {
        let actions = validate(&approval()).unwrap();
        let ids: Vec<_> = actions.buttons.iter().map(|b| b.id.as_str()).collect();
        assert_eq!(ids, ["approve", "reject"]);
        assert_eq!(actions.buttons[0].value.as_deref(), Some("req-1"));
        assert_eq!(actions.inputs.len(), 3);
        assert_eq!(actions.inputs[0].kind, InputKind::Text { chars_max: 20 });
    }

    #[test]
    fn errors_name_the_bad_field_by_its_path() {
        let bad = |edit: &dyn Fn(&mut Value)| {
            let mut card = approval();
            edit(&mut card);
            field_of(validate(&card).unwrap_err())
        };
        assert_eq!(bad(&|c| c["blocks"][1]["fields"][1]["label"] = json!("")), "body.blocks[1].fields[1].label");
        assert_eq!(
            bad(&|c| c["blocks"][3]["elements"][3]["style"] = json!("loud")),
            "body.blocks[3].elements[3].style"
        );
        assert_eq!(bad(&|c| c["blocks"][3]["elements"][4]["id"] = json!("approve")), "body.blocks[3].elements[4].id");
        assert_eq!(
            bad(&|c| c["blocks"][3]["elements"][1]["options"] = json!([])),
            "body.blocks[3].elements[1].options"
        );
        assert_eq!(
            bad(&|c| c["blocks"][3]["elements"][2]["initial"] = json!("2026-02-30")),
            "body.blocks[3].elements[2].initial"
        );
        assert_eq!(bad(&|c| c["blocks"][0]["type"] = json!("video")), "body.blocks[0].type");
        assert_eq!(bad(&|c| c["blocks"][2] = json!("divider")), "body.blocks[2]");
        assert_eq!(bad(&|c| c["blocks"] = json!([])), "body.blocks");
        assert_eq!(bad(&|c| c["acted"] = json!({"by": "me@x"})), "body.acted");
        assert_eq!(
            bad(&|c| c["blocks"][0] = json!({"type": "image", "url": "ftp://x.example/a.png"})),
            "body.blocks[0].url"
        );
        assert_eq!(
            bad(&|c| c["blocks"][3]["elements"][0]["max_chars"] = json!(0)),
            "body.blocks[3].elements[0].max_chars"
        );
    }

    #[test]
    fn a_card_is_bounded() {
        let many = vec![json!({"type": "divider"}); BLOCKS_MAX + 1];
        assert!(validate(&json!({"card": "interactive", "blocks": many})).is_err());
        let buttons: Vec<_> =
            (0..=ELEMENTS_MAX).map(|i| json!({"type": "button", "id": format!("b{i}"), "label": "x"})).collect();
        let rows: Vec<_> = buttons.chunks(5).map(|row| json!({"type": "actions", "elements": row})).collect();
        let e = validate(&json!({"card": "interactive", "blocks": rows})).unwrap_err();
        assert_eq!(field_of(e), "body.blocks[5].elements[0]");
        // A stored card may be larger by its `acted` stamp, and still be pressed.
        let near = json!({"card": "interactive", "blocks": [{"type": "note", "text": "x"}], "pad": "y".repeat(CARD_BYTES_MAX - 100)});
        assert!(validate(&near).is_ok());
        let mut stamped = near.clone();
        stamped["acted"] =
            json!({"by": "a@b", "name": "n".repeat(256), "action": "b", "label": "l".repeat(40), "at_ms": 1});
        assert!(actions_of(&stamped).is_ok());
        let big = "x".repeat(CARD_BYTES_MAX);
        assert!(matches!(
            validate(&json!({"card": "interactive", "blocks": [{"type": "note", "text": big}]})),
            Err(Error::TooLarge { .. })
        ));
    }

    #[test]
    fn requests_in_flight_are_bounded_in_all_and_per_account() {
        let (ann, bob) = (crate::model::AccountId(1), crate::model::AccountId(2));
        let flight = InFlight::new(PER_ACCOUNT_IN_FLIGHT_MAX + 1);
        let anns: Vec<_> = (0..PER_ACCOUNT_IN_FLIGHT_MAX).map(|_| flight.enter(ann, "busy").unwrap()).collect();
        assert!(matches!(flight.enter(ann, "busy"), Err(Error::LimitExceeded(_))), "ann has as many as she may");
        let bobs = flight.enter(bob, "busy").unwrap();
        assert!(matches!(flight.enter(bob, "busy"), Err(Error::Unavailable("busy"))), "the node has as many as it may");
        drop(bobs);
        drop(anns);
        assert!(flight.accounts.lock().unwrap().is_empty(), "nothing left behind");
        let _again = flight.enter(ann, "busy").unwrap();
    }

    #[test]
    fn an_action_is_checked_against_the_card() {
        let actions = validate(&approval()).unwrap();
        let inputs = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        assert_eq!(
            actions.check("approve", &inputs(&[("note", "ok"), ("who", "you"), ("day", "2026-12-11")])).unwrap().label,
            "Approve"
        );
        let field = |action: &str, pairs: &[(&str, &str)]| field_of(actions.check(action, &inputs(pairs)).unwrap_err());
        assert_eq!(field("delete", &[]), "action");
        assert_eq!(field("approve", &[("who", "them")]), "inputs.who");
        assert_eq!(field("approve", &[("day", "tomorrow")]), "inputs.day");
        assert_eq!(field("approve", &[("note", &"x".repeat(21))]), "inputs.note");
        assert_eq!(field("approve", &[("other", "x")]), "inputs.other");
        // An input is not a button.
        assert_eq!(field("note", &[]), "action");
    }
}
