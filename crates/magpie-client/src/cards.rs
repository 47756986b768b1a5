//! For bots that send interactive cards (docs/protocol.md, "Interactive cards"): a typed
//! builder for a card's body, and the app's answers to a card's action and to a slash command.
//!
//! ```
//! use magpie_client::cards::{self, Button, ButtonStyle, Card, Input};
//!
//! let card = Card::new()
//!     .title("Leave request")
//!     .text("**Ann** asks for two days off")
//!     .fields([("From", "2026-12-10"), ("Days", "2")])
//!     .actions([
//!         Input::new("note", "Note").max_chars(200).into(),
//!         Button::new("approve", "Approve").style(ButtonStyle::Primary).value("leave-17").into(),
//!         Button::new("reject", "Reject").style(ButtonStyle::Danger).confirm("Reject this request?").into(),
//!     ]);
//! let message = card.to_message("leave-17"); // send with `send_message`
//! let answer = cards::update(&Card::new().note("Approved by Mark")); // answer a `card_action`
//! ```
//!
//! The types give every body the shape the server reads: each block and element carries the
//! fields it needs, optional ones are left out unless set, a button's style is one the server
//! knows. The bounds that depend on the data (lengths, how many blocks and elements, ids that
//! are distinct and of `A-Z a-z 0-9 _ - .`) are checked by the server alone, so that there is one
//! copy of those rules; a card that breaks one is refused with the path of the field, such as
//! `body.blocks[2].elements[0].label`.

use magpie_wire as wire;
use serde::Serialize;
use serde_json::Value;

/// The message kind of a card.
pub const KIND: &str = "card";
/// The most a text input may take, in characters, and what it takes unless it says.
pub const INPUT_CHARS_MAX: u16 = 2000;

/// The body of an interactive card: an optional title and blocks, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Card {
    card: Interactive,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<String>,
    blocks: Vec<Block>,
}

/// The `card` field of every interactive card's body, `"interactive"`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum Interactive {
    #[default]
    Interactive,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Block {
    Text {
        text: String,
    },
    Fields {
        fields: Vec<Field>,
    },
    Image {
        url: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        alt: Option<String>,
    },
    Divider,
    Note {
        text: String,
    },
    Actions {
        elements: Vec<Element>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
struct Field {
    label: String,
    value: String,
}

impl Card {
    /// A card without a title or blocks; the server takes one with 1 to 50 blocks.
    pub fn new() -> Card {
        Card::default()
    }

    /// Its title, at most 256 characters.
    pub fn title(mut self, title: impl Into<String>) -> Card {
        self.title = Some(title.into());
        self
    }

    /// A block of markdown, 1 to 4,000 characters.
    pub fn text(self, markdown: impl Into<String>) -> Card {
        self.block(Block::Text { text: markdown.into() })
    }

    /// A block of 1 to 20 `(label, value)` pairs, each 1 to 256 characters.
    pub fn fields<L, V>(self, fields: impl IntoIterator<Item = (L, V)>) -> Card
    where
        L: Into<String>,
        V: Into<String>,
    {
        let fields = fields.into_iter().map(|(label, value)| Field { label: label.into(), value: value.into() });
        self.block(Block::Fields { fields: fields.collect() })
    }

    /// A block with the image at `url` (`http://` or `https://`), described by `alt`. The
    /// server fetches it and serves it to the members, who never contact its site.
    pub fn image(self, url: impl Into<String>, alt: impl Into<String>) -> Card {
        self.block(Block::Image { url: url.into(), alt: Some(alt.into()) })
    }

    /// [`Card::image`] without a description.
    pub fn image_without_alt(self, url: impl Into<String>) -> Card {
        self.block(Block::Image { url: url.into(), alt: None })
    }

    /// A line between blocks.
    pub fn divider(self) -> Card {
        self.block(Block::Divider)
    }

    /// A block of small text, 1 to 256 characters.
    pub fn note(self, text: impl Into<String>) -> Card {
        self.block(Block::Note { text: text.into() })
    }

    /// A row of 1 to 25 elements. A card has at most 25 elements in all its rows, each with an
    /// id of its own.
    pub fn actions(self, elements: impl IntoIterator<Item = Element>) -> Card {
        self.block(Block::Actions { elements: elements.into_iter().collect() })
    }

    fn block(mut self, block: Block) -> Card {
        self.blocks.push(block);
        self
    }

    /// The body of a message of kind [`KIND`], or of an answer's `update`.
    pub fn to_body(&self) -> Value {
        // Serializing strings, booleans, integers, lists and structs into a `Value` cannot
        // fail: serde_json fails only on maps whose keys are not strings, and there are none.
        serde_json::to_value(self).unwrap_or_default()
    }

    /// A message with this card and this client id (see [`crate::text_message`]).
    pub fn to_message(&self, client_msg_id: &str) -> wire::SendRequest {
        wire::SendRequest {
            client_msg_id: client_msg_id.to_owned(),
            kind: KIND.to_owned(),
            body: self.to_body(),
            mentions: vec![],
            mention_all: false,
            reply_to: None,
            thread: None,
            broadcast: false,
        }
    }
}

/// One element of a row of [`Card::actions`]; each element type converts into it with `into()`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Element {
    Button(Button),
    Select(Select),
    Date(DatePicker),
    Input(Input),
}

impl From<Button> for Element {
    fn from(button: Button) -> Element {
        Element::Button(button)
    }
}

impl From<Select> for Element {
    fn from(select: Select) -> Element {
        Element::Select(select)
    }
}

impl From<DatePicker> for Element {
    fn from(date: DatePicker) -> Element {
        Element::Date(date)
    }
}

impl From<Input> for Element {
    fn from(input: Input) -> Element {
        Element::Input(input)
    }
}

/// How a button looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ButtonStyle {
    Default,
    Primary,
    Danger,
}

/// A button: pressing it sends the action, with what the member set in the card's selects,
/// dates and inputs, to the bot's app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Button {
    id: String,
    label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    style: Option<ButtonStyle>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    confirm: Option<String>,
}

impl Button {
    /// A button named `id` (the action the app gets) that shows `label` (1 to 40 characters).
    pub fn new(id: impl Into<String>, label: impl Into<String>) -> Button {
        Button { id: id.into(), label: label.into(), style: None, value: None, confirm: None }
    }

    pub fn style(mut self, style: ButtonStyle) -> Button {
        self.style = Some(style);
        self
    }

    /// The app's own reference, up to 2,000 characters, sent back with the action.
    pub fn value(mut self, value: impl Into<String>) -> Button {
        self.value = Some(value.into());
        self
    }

    /// A question (at most 256 characters) the client asks before it sends the press.
    pub fn confirm(mut self, question: impl Into<String>) -> Button {
        self.confirm = Some(question.into());
        self
    }
}

/// A choice of one of 1 to 100 options.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Select {
    id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    label: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    placeholder: Option<String>,
    options: Vec<SelectOption>,
    #[serde(skip_serializing_if = "Option::is_none")]
    initial: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
struct SelectOption {
    label: String,
    value: String,
}

impl Select {
    /// A select named `id`, without options yet: add 1 to 100 with [`Select::option`].
    pub fn new(id: impl Into<String>) -> Select {
        Select { id: id.into(), label: None, placeholder: None, options: vec![], initial: None }
    }

    pub fn label(mut self, label: impl Into<String>) -> Select {
        self.label = Some(label.into());
        self
    }

    /// What it shows while nothing is chosen.
    pub fn placeholder(mut self, placeholder: impl Into<String>) -> Select {
        self.placeholder = Some(placeholder.into());
        self
    }

    /// An option that shows `label` and is sent as `value` (distinct among the options), in
    /// the order of a [`Button`]'s id and label.
    pub fn option(mut self, value: impl Into<String>, label: impl Into<String>) -> Select {
        self.options.push(SelectOption { label: label.into(), value: value.into() });
        self
    }

    /// The option chosen at first, by its value.
    pub fn initial(mut self, value: impl Into<String>) -> Select {
        self.initial = Some(value.into());
        self
    }
}

/// A date picker (element type `date`); the app gets the day as `YYYY-MM-DD`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DatePicker {
    id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    label: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    initial: Option<String>,
}

impl DatePicker {
    pub fn new(id: impl Into<String>) -> DatePicker {
        DatePicker { id: id.into(), label: None, initial: None }
    }

    pub fn label(mut self, label: impl Into<String>) -> DatePicker {
        self.label = Some(label.into());
        self
    }

    /// The day shown at first, `YYYY-MM-DD`.
    pub fn initial(mut self, day: impl Into<String>) -> DatePicker {
        self.initial = Some(day.into());
        self
    }
}

/// A text input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Input {
    id: String,
    label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    placeholder: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    multiline: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_chars: Option<u16>,
}

impl Input {
    /// A one-line input named `id` that shows `label`, taking up to 500 characters unless
    /// [`Input::max_chars`] says.
    pub fn new(id: impl Into<String>, label: impl Into<String>) -> Input {
        Input { id: id.into(), label: label.into(), placeholder: None, multiline: false, max_chars: None }
    }

    pub fn placeholder(mut self, placeholder: impl Into<String>) -> Input {
        self.placeholder = Some(placeholder.into());
        self
    }

    /// Several lines.
    pub fn multiline(mut self) -> Input {
        self.multiline = true;
        self
    }

    /// The most it takes, in characters: 1 to [`INPUT_CHARS_MAX`]; a number outside is taken
    /// as the nearest of those, since the server refuses any other.
    pub fn max_chars(mut self, chars_max: u16) -> Input {
        self.max_chars = Some(chars_max.clamp(1, INPUT_CHARS_MAX));
        self
    }
}

/// An answer to a card's action that replaces the card, for every member, with `card`.
pub fn update(card: &Card) -> wire::CardActionAnswer {
    wire::CardActionAnswer { update: Some(card.to_body()), toast: None }
}

/// An answer to a card's action that leaves the card as it is and shows `text` (at most 256
/// characters) to the member who pressed only.
pub fn toast(text: impl Into<String>) -> wire::CardActionAnswer {
    wire::CardActionAnswer { update: None, toast: Some(text.into()) }
}

/// [`update`] and [`toast`] at once.
pub fn update_with_toast(card: &Card, text: impl Into<String>) -> wire::CardActionAnswer {
    wire::CardActionAnswer { update: Some(card.to_body()), toast: Some(text.into()) }
}

/// The `response_type` of a [`wire::CommandAnswer`] for the caller only (the default).
pub const EPHEMERAL: &str = "ephemeral";
/// The `response_type` of a [`wire::CommandAnswer`] that the bot posts in the conversation.
pub const IN_CHANNEL: &str = "in_channel";

/// An answer to a slash command: markdown for the caller only, kept nowhere.
pub fn ephemeral(text: impl Into<String>) -> wire::CommandAnswer {
    command_text(EPHEMERAL, text.into())
}

/// An answer to a slash command: markdown the bot posts in the conversation (for the caller
/// only where the caller may not post).
pub fn in_channel(text: impl Into<String>) -> wire::CommandAnswer {
    command_text(IN_CHANNEL, text.into())
}

/// [`ephemeral`] with a card instead of text.
pub fn ephemeral_card(card: &Card) -> wire::CommandAnswer {
    command_card(EPHEMERAL, card)
}

/// [`in_channel`] with a card instead of text.
pub fn in_channel_card(card: &Card) -> wire::CommandAnswer {
    command_card(IN_CHANNEL, card)
}

fn command_text(response_type: &str, text: String) -> wire::CommandAnswer {
    wire::CommandAnswer { response_type: Some(response_type.to_owned()), text: Some(text), kind: None, body: None }
}

fn command_card(response_type: &str, card: &Card) -> wire::CommandAnswer {
    wire::CommandAnswer {
        response_type: Some(response_type.to_owned()),
        text: None,
        kind: Some(KIND.to_owned()),
        body: Some(card.to_body()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// The leave-approval card of docs/apps.md ("Interactive cards"), as the guide writes it.
    fn leave_request() -> Card {
        Card::new()
            .title("请假申请 Leave request")
            .text("**Ann** asks for two days off")
            .fields([("From", "2026-12-10"), ("Days", "2")])
            .actions([
                Input::new("note", "Note").max_chars(200).into(),
                Button::new("approve", "Approve").style(ButtonStyle::Primary).value("leave-17").into(),
                Button::new("reject", "Reject").style(ButtonStyle::Danger).confirm("Reject this request?").into(),
            ])
    }

    #[test]
    fn the_guides_card_is_built_as_the_guide_writes_it() {
        let guide = json!({"card": "interactive", "title": "请假申请 Leave request", "blocks": [
        {"type": "text", "text": "**Ann** asks for two days off"},
        {"type": "fields", "fields": [{"label": "From", "value": "2026-12-10"}, {"label": "Days", "value": "2"}]},
        {"type": "actions", "elements": [
          {"type": "input", "id": "note", "label": "Note", "max_chars": 200},
          {"type": "button", "id": "approve", "label": "Approve", "style": "primary", "value": "leave-17"},
          {"type": "button", "id": "reject", "label": "Reject", "style": "danger", "confirm": "Reject this request?"}
        ]}]});
        assert_eq!(leave_request().to_body(), guide);
        let message = leave_request().to_message("leave-17");
        assert_eq!((message.client_msg_id.as_str(), message.kind.as_str()), ("leave-17", "card"));
        assert_eq!(message.body, guide);
    }

    #[test]
    fn every_block_and_element_has_the_shape_the_server_reads() {
        let card = Card::new()
            .text("*hi*")
            .fields([("A".to_owned(), "1".to_owned())])
            .image("https://example.com/a.png", "A chart")
            .image_without_alt("http://example.com/b.png")
            .divider()
            .note("small")
            .actions([
                Button::new("ok", "OK").style(ButtonStyle::Default).into(),
                Select::new("who")
                    .label("Who")
                    .placeholder("Pick one")
                    .option("me", "Me")
                    .option("you", "You")
                    .initial("you")
                    .into(),
                DatePicker::new("day").label("Day").initial("2026-12-10").into(),
            ])
            .actions([Input::new("why", "Why").placeholder("Because…").multiline().max_chars(2000).into()]);
        assert_eq!(
            card.to_body(),
            json!({"card": "interactive", "blocks": [
                {"type": "text", "text": "*hi*"},
                {"type": "fields", "fields": [{"label": "A", "value": "1"}]},
                {"type": "image", "url": "https://example.com/a.png", "alt": "A chart"},
                {"type": "image", "url": "http://example.com/b.png"},
                {"type": "divider"},
                {"type": "note", "text": "small"},
                {"type": "actions", "elements": [
                    {"type": "button", "id": "ok", "label": "OK", "style": "default"},
                    {"type": "select", "id": "who", "label": "Who", "placeholder": "Pick one",
                     "options": [{"label": "Me", "value": "me"}, {"label": "You", "value": "you"}], "initial": "you"},
                    {"type": "date", "id": "day", "label": "Day", "initial": "2026-12-10"}
                ]},
                {"type": "actions", "elements": [
                    {"type": "input", "id": "why", "label": "Why", "placeholder": "Because…", "multiline": true,
                     "max_chars": 2000}
                ]}
            ]}),
        );
    }

    #[test]
    fn optional_fields_are_left_out_until_set() {
        let bare = Card::new().actions([
            Button::new("b", "B").into(),
            Select::new("s").option("v", "V").into(),
            DatePicker::new("d").into(),
            Input::new("i", "I").into(),
        ]);
        assert_eq!(
            bare.to_body(),
            json!({"card": "interactive", "blocks": [{"type": "actions", "elements": [
                {"type": "button", "id": "b", "label": "B"},
                {"type": "select", "id": "s", "options": [{"label": "V", "value": "v"}]},
                {"type": "date", "id": "d"},
                {"type": "input", "id": "i", "label": "I"}
            ]}]}),
            "no title, style, value, confirm, label, placeholder, initial, multiline or max_chars",
        );
        let confirmed = Card::new().actions([Button::new("b", "B").confirm("Sure?").into()]);
        assert_eq!(confirmed.to_body()["blocks"][0]["elements"][0]["confirm"], json!("Sure?"));
    }

    #[test]
    fn an_inputs_max_chars_is_one_the_server_takes() {
        let max_chars = |n| serde_json::to_value(Input::new("i", "I").max_chars(n)).unwrap()["max_chars"].clone();
        assert_eq!(max_chars(0), json!(1));
        assert_eq!(max_chars(500), json!(500));
        assert_eq!(max_chars(u16::MAX), json!(INPUT_CHARS_MAX));
    }

    #[test]
    fn answers_to_an_action_carry_only_what_they_say() {
        let card = Card::new().note("Approved by Mark");
        let answer = |a: wire::CardActionAnswer| serde_json::to_value(a).unwrap();
        let body = json!({"card": "interactive", "blocks": [{"type": "note", "text": "Approved by Mark"}]});
        assert_eq!(answer(update(&card)), json!({"update": body}));
        assert_eq!(answer(toast("Approved")), json!({"toast": "Approved"}));
        assert_eq!(answer(update_with_toast(&card, "Approved")), json!({"update": body, "toast": "Approved"}));
    }

    #[test]
    fn answers_to_a_command_say_who_sees_them() {
        let answer = |a: wire::CommandAnswer| serde_json::to_value(a).unwrap();
        assert_eq!(answer(ephemeral("12 days")), json!({"response_type": "ephemeral", "text": "12 days"}));
        assert_eq!(answer(in_channel("Off today")), json!({"response_type": "in_channel", "text": "Off today"}));
        let card = Card::new().divider();
        let body = json!({"card": "interactive", "blocks": [{"type": "divider"}]});
        assert_eq!(answer(ephemeral_card(&card)), json!({"response_type": "ephemeral", "kind": "card", "body": body}));
        assert_eq!(
            answer(in_channel_card(&card)),
            json!({"response_type": "in_channel", "kind": "card", "body": body})
        );
    }
}
