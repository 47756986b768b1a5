//! Bots, their tokens and their incoming webhooks (`/v1/bots`, `/v1/hooks/{token}`).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A bot, as the people who manage it (its owner and the domain's administrators) see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Bot {
    /// `name@domain`.
    pub account: String,
    pub display_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar: Option<String>,
    pub description: String,
    /// Who made it; absent for a bot the operator made with the CLI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Turned off: its tokens and webhooks were revoked, and it makes no new ones.
    pub disabled: bool,
    pub created_at_ms: i64,
}

/// `GET /v1/bots`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BotList {
    pub bots: Vec<Bot>,
}

/// `POST /v1/bots`: a bot in the caller's domain (or `domain`, for a server administrator).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct CreateBotRequest {
    /// The login name, e.g. `approvals`.
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// The login name if absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// What it is for, at most 512 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// `PATCH /v1/bots/{account}`: absent fields stay as they are; `disabled: true` revokes every
/// token and webhook of the bot at once.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct UpdateBotRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// A file id of the bot's manager's image, or a URL; `""` clears it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
}

/// What a bot's token may do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TokenScope {
    /// Only these of the bot's conversations; absent: every conversation the bot is in, now
    /// and later. A token kept to some conversations reaches only per-conversation endpoints
    /// (no `/v1/sync`, no WebSocket, no search).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversations: Option<Vec<i64>>,
    /// Read messages, members and the domain's directory.
    pub read: bool,
    /// Send, edit, recall, react and upload.
    pub send: bool,
}

/// One of a bot's tokens. The secret itself is shown once, when the token is made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BotToken {
    pub id: i64,
    pub name: String,
    pub scope: TokenScope,
    pub created_at_ms: i64,
    /// Within a minute.
    pub last_used_at_ms: i64,
    /// Absent: until revoked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at_ms: Option<i64>,
}

/// `GET /v1/bots/{account}/tokens`: the live tokens, newest first.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BotTokenList {
    pub tokens: Vec<BotToken>,
}

fn yes() -> bool {
    true
}

/// `POST /v1/bots/{account}/tokens`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreateBotTokenRequest {
    /// What the token is for, e.g. `ci`, at most 64 characters.
    pub name: String,
    /// Only these conversations (at most 100, each the bot is a member of when used); absent
    /// for all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversations: Option<Vec<i64>>,
    /// Default `true`.
    #[serde(default = "yes")]
    pub read: bool,
    /// Default `true`.
    #[serde(default = "yes")]
    pub send: bool,
    /// Days it lives, 1 to 3,653; absent: until revoked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_days: Option<u32>,
}

/// A token just made or rotated: `token` is shown now and never again; use it as
/// `Authorization: Bearer <token>`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct IssuedBotToken {
    pub token: String,
    #[serde(flatten)]
    pub info: BotToken,
}

/// One of a bot's incoming webhooks: a secret URL that posts to one conversation as the bot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct IncomingWebhook {
    pub id: i64,
    pub name: String,
    pub conversation: i64,
    pub created_at_ms: i64,
    /// Within a minute.
    pub last_used_at_ms: i64,
}

/// `GET /v1/bots/{account}/webhooks`: newest first.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct IncomingWebhookList {
    pub webhooks: Vec<IncomingWebhook>,
}

/// `POST /v1/bots/{account}/webhooks`: the bot must be a member of the conversation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreateWebhookRequest {
    pub name: String,
    pub conversation: i64,
}

/// A webhook just made or rotated: `path` (the server's origin goes before it) is shown now
/// and never again.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreatedWebhook {
    /// `/v1/hooks/{token}`: `POST` a message there.
    pub path: String,
    #[serde(flatten)]
    pub webhook: IncomingWebhook,
}

/// `POST /v1/hooks/{token}` (JSON, or a form with the JSON in `payload`): Slack's incoming
/// webhook format, whose `text` is Slack's mrkdwn (`*bold*`, `_italic_`, `~strike~`,
/// `<url|label>`, code) and becomes a `markdown` message; or Magpie's own `kind` and `body`,
/// as `POST /v1/conversations/{id}/messages` takes them. `username`, `icon_url`,
/// `icon_emoji` and `channel` are accepted and ignored: the message is the bot's, in the
/// webhook's conversation.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct HookMessage {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Slack's switch: `false` posts `text` as plain text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mrkdwn: Option<bool>,
    /// A Magpie message kind (with `body`), instead of `text`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub body: Option<serde_json::Value>,
    /// Makes the post idempotent: the same id again posts nothing new (also the
    /// `Idempotency-Key` header).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_msg_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon_emoji: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
}

/// One of a bot's event subscriptions (outgoing webhooks): Magpie POSTs the events of the
/// conversations the bot is a member of to `url`, signed with the subscription's secret
/// (protocol.md, "Outgoing webhooks"). The secret is shown once, when it is made or rotated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct EventSubscription {
    pub id: i64,
    pub url: String,
    /// Of `message` (every new message), `mention` (new messages that mention the bot),
    /// `member` (members joined or left), `update` (edits, recalls, reactions).
    pub events: Vec<String>,
    /// Disabled by a person, or by its failure budget (then `disabled_at_ms` says when).
    pub enabled: bool,
    /// Requests that failed in a row.
    pub failures: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_success_ms: Option<i64>,
    /// When its failures disabled it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled_at_ms: Option<i64>,
    /// Events waiting to be delivered.
    pub pending: u64,
    /// Events dropped because 100,000 waited.
    pub dropped: u64,
    pub created_at_ms: i64,
}

/// `GET /v1/bots/{account}/subscriptions`: oldest first.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EventSubscriptionList {
    pub subscriptions: Vec<EventSubscription>,
}

/// `POST /v1/bots/{account}/subscriptions`: at most 10 per bot.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct CreateEventSubscriptionRequest {
    /// `https://…` (or `http://`), at most 2,048 bytes, at a public address unless the server
    /// allows others.
    pub url: String,
    /// At least one of `message`, `mention`, `member`, `update`, `card_action`, `command`.
    pub events: Vec<String>,
}

/// `PATCH /v1/bots/{account}/subscriptions/{id}`: absent fields stay as they are. Enabling a
/// subscription its failures disabled delivers what waited, in order.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct UpdateEventSubscriptionRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
}

/// A subscription just made, or its secret rotated: `secret` (`whsec_…`) is shown now and never
/// again; it signs every request (`X-Magpie-Signature`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct IssuedEventSubscription {
    pub secret: String,
    #[serde(flatten)]
    pub info: EventSubscription,
}

/// The body of one request to an app: events of one or more of the bot's conversations, each
/// conversation's together and in seq order.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WebhookDelivery {
    pub subscription: i64,
    /// The bot, `name@domain`.
    pub bot: String,
    pub events: Vec<WebhookEvent>,
}

/// One event of a [`WebhookDelivery`].
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WebhookEvent {
    /// Unique per subscription and the same on a retry: an app that saw it skips it.
    pub id: String,
    /// `message`, `mention`, `member` or `update`.
    #[serde(rename = "type")]
    pub kind: String,
    pub conversation: i64,
    pub seq: i64,
    /// The entry as it is when sent, as the bot sees it (a message, a system notice of members,
    /// or an edit, recall or reaction naming its `target`); absent when it is gone (retention).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry: Option<crate::Entry>,
}

/// `POST /v1/conversations/{id}/messages/{seq}/actions`: a member presses a button of an app's
/// interactive card. The server asks the app at once and waits for its answer (at most 5 s).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct CardActionRequest {
    /// The button's `id`.
    pub action: String,
    /// What the member chose and typed in the card's selects, date pickers and inputs, by
    /// their `id`s (those left alone are left out).
    #[serde(default)]
    pub inputs: std::collections::BTreeMap<String, String>,
}

/// What came of a card's action.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct CardActionResult {
    /// The seq of the `edit` entry by the bot that updated the card, if the app answered with
    /// a new card; every member's devices get it as any edit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_seq: Option<i64>,
    /// A short text from the app for the member who acted only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub toast: Option<String>,
}

/// What an app is sent when a member presses a button of one of its bot's interactive cards
/// (to its subscription that takes `card_action`), signed as deliveries are. The app answers
/// `200` with nothing, or with a [`CardActionAnswer`].
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CardActionEvent {
    /// `card_action`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Unique per action.
    pub id: String,
    pub subscription: i64,
    /// The bot, `name@domain`.
    pub bot: String,
    pub conversation: i64,
    /// The card's seq.
    pub seq: i64,
    /// Who pressed it.
    pub user: CardActionUser,
    pub action: CardActionButton,
    /// What the member chose and typed in the card's inputs, by their ids.
    pub inputs: std::collections::BTreeMap<String, String>,
    /// The card's body as it was when the button was pressed.
    pub card: serde_json::Value,
    pub at_ms: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CardActionUser {
    /// `name@domain`.
    pub account: String,
    pub name: String,
}

/// The button pressed, as the card had it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CardActionButton {
    pub id: String,
    pub label: String,
    /// Absent when the button has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// An app's answer to a [`CardActionEvent`]: both fields may be left out.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct CardActionAnswer {
    /// The card's new body (an interactive card; `"card": "interactive"` may be left out). The
    /// server stamps it with `acted` (who pressed which button, when) and appends it as an edit
    /// by the bot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update: Option<serde_json::Value>,
    /// Up to 256 characters shown to the member who acted only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub toast: Option<String>,
}

/// One slash command of a bot.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BotCommand {
    /// Without its `/`: 1 to 32 bytes of `a-z 0-9 _ -`, starting with a letter; unique in the
    /// domain.
    pub name: String,
    /// 1 to 100 characters.
    pub description: String,
    /// What its arguments are (`[days] [reason]`), up to 100 characters; may be empty.
    #[serde(default)]
    pub hint: String,
}

/// `GET` and `PUT /v1/bots/{account}/commands`: the bot's commands, in its order (at most 25).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct BotCommandList {
    pub commands: Vec<BotCommand>,
}

/// A command offered in a conversation: one of a member bot's.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OfferedCommand {
    pub name: String,
    pub description: String,
    pub hint: String,
    /// The bot, `name@domain`.
    pub bot: String,
    /// The bot's display name.
    pub bot_name: String,
}

/// `GET /v1/conversations/{id}/commands`: the commands its members may invoke, by name.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OfferedCommandList {
    pub commands: Vec<OfferedCommand>,
}

/// `POST /v1/conversations/{id}/commands`: invokes a command.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct InvokeCommandRequest {
    /// The command's name, with or without its `/`.
    pub command: String,
    /// What follows the name, up to 2,000 characters.
    #[serde(default)]
    pub text: String,
}

/// What came of an invocation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CommandResult {
    /// `ephemeral`: the answer is for the caller only (shown by its client, kept nowhere);
    /// `in_channel`: the bot posted it in the conversation at `seq`.
    pub response_type: String,
    /// The answer's message kind and body, if the app answered one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<i64>,
}

/// What an app is sent when a member invokes one of its bot's commands (to its subscription
/// that takes `command`), signed as deliveries are. The app answers `200` with nothing, or with
/// a [`CommandAnswer`].
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CommandEvent {
    /// `command`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Unique per invocation.
    pub id: String,
    pub subscription: i64,
    pub bot: String,
    pub conversation: i64,
    /// With its `/`: `/leave`.
    pub command: String,
    /// What followed the name.
    pub text: String,
    pub user: CardActionUser,
    pub at_ms: i64,
}

/// An app's answer to a [`CommandEvent`]: a `text` (markdown) or a message `kind` with its
/// `body` (a card, say), shown to the caller only (`ephemeral`, the default) or posted by the
/// bot (`in_channel`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct CommandAnswer {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<serde_json::Value>,
}
