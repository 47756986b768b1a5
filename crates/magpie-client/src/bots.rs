//! Bots (docs/protocol.md, "Bots"): making and managing them, their tokens and incoming
//! webhooks, and posting to a webhook.

use magpie_wire as wire;
use reqwest::Method;

use crate::rest::{Client, Error, Result, encode};

const NO_BODY: Option<&()> = None;

impl Client {
    /// `GET /v1/bots`: the bots the caller manages (`domain`: a server administrator's choice).
    pub async fn bots(&self, domain: Option<&str>) -> Result<wire::BotList> {
        let path = match domain {
            Some(d) => format!("/v1/bots?domain={}", encode(d)),
            None => "/v1/bots".to_owned(),
        };
        self.call(Method::GET, &path, NO_BODY).await
    }

    /// `POST /v1/bots`.
    pub async fn create_bot(&self, req: &wire::CreateBotRequest) -> Result<wire::Bot> {
        self.call(Method::POST, "/v1/bots", Some(req)).await
    }

    /// `GET /v1/bots/{account}`.
    pub async fn bot(&self, account: &str) -> Result<wire::Bot> {
        self.call(Method::GET, &format!("/v1/bots/{}", encode(account)), NO_BODY).await
    }

    /// `PATCH /v1/bots/{account}`.
    pub async fn update_bot(&self, account: &str, req: &wire::UpdateBotRequest) -> Result<wire::Bot> {
        self.call(Method::PATCH, &format!("/v1/bots/{}", encode(account)), Some(req)).await
    }

    /// `GET /v1/bots/{account}/tokens`.
    pub async fn bot_tokens(&self, account: &str) -> Result<wire::BotTokenList> {
        self.call(Method::GET, &format!("/v1/bots/{}/tokens", encode(account)), NO_BODY).await
    }

    /// `POST /v1/bots/{account}/tokens`: the secret is in the answer, and only there.
    pub async fn create_bot_token(
        &self,
        account: &str,
        req: &wire::CreateBotTokenRequest,
    ) -> Result<wire::IssuedBotToken> {
        self.call(Method::POST, &format!("/v1/bots/{}/tokens", encode(account)), Some(req)).await
    }

    /// `DELETE /v1/bots/{account}/tokens/{id}`.
    pub async fn revoke_bot_token(&self, account: &str, id: i64) -> Result<()> {
        self.call_empty(Method::DELETE, &format!("/v1/bots/{}/tokens/{id}", encode(account)), NO_BODY).await
    }

    /// `POST /v1/bots/{account}/tokens/{id}/rotate`.
    pub async fn rotate_bot_token(&self, account: &str, id: i64) -> Result<wire::IssuedBotToken> {
        self.call(Method::POST, &format!("/v1/bots/{}/tokens/{id}/rotate", encode(account)), NO_BODY).await
    }

    /// `GET /v1/bots/{account}/webhooks`.
    pub async fn bot_webhooks(&self, account: &str) -> Result<wire::IncomingWebhookList> {
        self.call(Method::GET, &format!("/v1/bots/{}/webhooks", encode(account)), NO_BODY).await
    }

    /// `POST /v1/bots/{account}/webhooks`: the path (the secret) is in the answer, and only there.
    pub async fn create_webhook(
        &self,
        account: &str,
        req: &wire::CreateWebhookRequest,
    ) -> Result<wire::CreatedWebhook> {
        self.call(Method::POST, &format!("/v1/bots/{}/webhooks", encode(account)), Some(req)).await
    }

    /// `DELETE /v1/bots/{account}/webhooks/{id}`.
    pub async fn delete_webhook(&self, account: &str, id: i64) -> Result<()> {
        self.call_empty(Method::DELETE, &format!("/v1/bots/{}/webhooks/{id}", encode(account)), NO_BODY).await
    }

    /// `POST /v1/bots/{account}/webhooks/{id}/rotate`.
    pub async fn rotate_webhook(&self, account: &str, id: i64) -> Result<wire::CreatedWebhook> {
        self.call(Method::POST, &format!("/v1/bots/{}/webhooks/{id}/rotate", encode(account)), NO_BODY).await
    }

    /// `GET /v1/bots/{account}/subscriptions`.
    pub async fn bot_subscriptions(&self, account: &str) -> Result<wire::EventSubscriptionList> {
        self.call(Method::GET, &format!("/v1/bots/{}/subscriptions", encode(account)), NO_BODY).await
    }

    /// `POST /v1/bots/{account}/subscriptions`: the secret is in the answer, and only there.
    pub async fn create_subscription(
        &self,
        account: &str,
        req: &wire::CreateEventSubscriptionRequest,
    ) -> Result<wire::IssuedEventSubscription> {
        self.call(Method::POST, &format!("/v1/bots/{}/subscriptions", encode(account)), Some(req)).await
    }

    /// `PATCH /v1/bots/{account}/subscriptions/{id}`.
    pub async fn update_subscription(
        &self,
        account: &str,
        id: i64,
        req: &wire::UpdateEventSubscriptionRequest,
    ) -> Result<wire::EventSubscription> {
        self.call(Method::PATCH, &format!("/v1/bots/{}/subscriptions/{id}", encode(account)), Some(req)).await
    }

    /// `DELETE /v1/bots/{account}/subscriptions/{id}`.
    pub async fn delete_subscription(&self, account: &str, id: i64) -> Result<()> {
        self.call_empty(Method::DELETE, &format!("/v1/bots/{}/subscriptions/{id}", encode(account)), NO_BODY).await
    }

    /// `POST /v1/bots/{account}/subscriptions/{id}/rotate`.
    pub async fn rotate_subscription(&self, account: &str, id: i64) -> Result<wire::IssuedEventSubscription> {
        self.call(Method::POST, &format!("/v1/bots/{}/subscriptions/{id}/rotate", encode(account)), NO_BODY).await
    }

    /// `GET /v1/bots/{account}/commands`.
    pub async fn bot_commands(&self, account: &str) -> Result<wire::BotCommandList> {
        self.call(Method::GET, &format!("/v1/bots/{}/commands", encode(account)), NO_BODY).await
    }

    /// `PUT /v1/bots/{account}/commands`: replaces the bot's slash commands.
    pub async fn set_bot_commands(&self, account: &str, commands: &[wire::BotCommand]) -> Result<wire::BotCommandList> {
        let req = wire::BotCommandList { commands: commands.to_vec() };
        self.call(Method::PUT, &format!("/v1/bots/{}/commands", encode(account)), Some(&req)).await
    }

    /// `GET /v1/conversations/{id}/commands`: the slash commands of the conversation's bots.
    pub async fn offered_commands(&self, id: i64) -> Result<wire::OfferedCommandList> {
        self.call(Method::GET, &format!("/v1/conversations/{id}/commands"), NO_BODY).await
    }

    /// `POST /v1/conversations/{id}/commands`: invokes `/command text`.
    pub async fn invoke_command(&self, id: i64, command: &str, text: &str) -> Result<wire::CommandResult> {
        let req = wire::InvokeCommandRequest { command: command.to_owned(), text: text.to_owned() };
        self.call(Method::POST, &format!("/v1/conversations/{id}/commands"), Some(&req)).await
    }

    /// `POST {path}` (a webhook's `/v1/hooks/{token}`) with a JSON body, as a script would:
    /// no credential but the path. Answers the server's text (`ok`).
    pub async fn post_webhook(&self, path: &str, body: &serde_json::Value) -> Result<String> {
        let res = reqwest::Client::new().post(format!("{}{path}", self.base_url())).json(body).send().await?;
        let status = res.status();
        let text = res.text().await?;
        if status.is_success() {
            return Ok(text);
        }
        Err(match serde_json::from_str::<wire::ErrorBody>(&text) {
            Ok(b) => Error::Api { status: status.as_u16(), detail: b.error },
            Err(_) => Error::Unexpected { status: status.as_u16(), body: text },
        })
    }
}
