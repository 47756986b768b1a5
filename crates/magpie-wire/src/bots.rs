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
