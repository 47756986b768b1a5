//! Bots' rows (magpie_core::bots): who made each and what it is for. Their accounts are
//! written with them (see `insert_account`); their tokens are sessions. Their outgoing
//! webhooks' subscriptions and events are in `webhooks.rs`.

use async_trait::async_trait;
use magpie_core::apps::{App, AppId, AppPatch, AppScope, AppToken, Family, Kept, NewApp, OAuthCode, Spends};
use magpie_core::bots::Bot;
use magpie_core::commands::{Command, NewCommand};
use magpie_core::model::{AccountId, ConversationId, DomainId, SessionId};
use magpie_core::names::{AccountAddr, DomainName, LoginName};
use magpie_core::ports::BotStore;
use magpie_core::webhooks::{
    NewSubscription, NewWebhookEvent, Subscription, SubscriptionPatch, WebhookBatch, WebhookOutcome,
};
use rusqlite::{OptionalExtension, Row, params};

use crate::accounts::{ACCOUNT_COLUMNS, account_from_row};
use crate::chat::corrupt;
use crate::{SqliteStore, StoreResult, apps, webhooks};

/// A bot's account columns (`a`, `d`), then its row's and its owner's name and domain.
fn select() -> String {
    format!(
        "SELECT {ACCOUNT_COLUMNS}, b.owner_id, b.description, o.name, od.name \
         FROM bots b JOIN accounts a ON a.id = b.account_id JOIN domains d ON d.id = a.domain_id \
         LEFT JOIN accounts o ON o.id = b.owner_id LEFT JOIN domains od ON od.id = o.domain_id"
    )
}

fn command_from_row(r: &Row<'_>) -> rusqlite::Result<Command> {
    Ok(Command { bot: AccountId(r.get(0)?), name: r.get(1)?, description: r.get(2)?, hint: r.get(3)? })
}

fn bot_from_row(row: &Row<'_>) -> rusqlite::Result<Bot> {
    let account = account_from_row(row)?;
    let at = crate::accounts::ACCOUNT_COLUMN_COUNT;
    let owner: Option<i64> = row.get(at)?;
    let owner_addr = match (row.get::<_, Option<String>>(at + 2)?, row.get::<_, Option<String>>(at + 3)?) {
        (Some(name), Some(domain)) => Some(AccountAddr {
            name: LoginName::parse(&name).map_err(|_| corrupt(at + 2, "login name"))?,
            domain: DomainName::parse(&domain).map_err(|_| corrupt(at + 3, "domain name"))?,
        }),
        _ => None,
    };
    Ok(Bot { account, owner: owner.map(AccountId), owner_addr, description: row.get(at + 1)? })
}

#[async_trait]
impl BotStore for SqliteStore {
    async fn bots(&self, domain: DomainId, owner: Option<AccountId>, limit: usize) -> StoreResult<Vec<Bot>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(move |c| {
            c.prepare_cached(&format!(
                "{} WHERE b.domain_id = ?1 AND (?2 IS NULL OR b.owner_id = ?2) ORDER BY a.name LIMIT ?3",
                select()
            ))?
            .query_map(params![domain.0, owner.map(|o| o.0), limit], bot_from_row)?
            .collect()
        })
        .await
    }

    async fn bot(&self, account: AccountId) -> StoreResult<Option<Bot>> {
        self.read(move |c| {
            c.prepare_cached(&format!("{} WHERE b.account_id = ?1", select()))?
                .query_row([account.0], bot_from_row)
                .optional()
        })
        .await
    }

    async fn set_bot_description(&self, account: AccountId, description: &str) -> StoreResult<()> {
        let description = description.to_owned();
        self.write(move |tx| {
            tx.execute("UPDATE bots SET description = ?2 WHERE account_id = ?1", params![account.0, description])
                .map(drop)
        })
        .await
    }

    async fn create_subscription(
        &self,
        new: &NewSubscription,
        per_bot_max: usize,
    ) -> StoreResult<Option<Subscription>> {
        webhooks::create_subscription(self, new, per_bot_max).await
    }

    async fn subscriptions(&self, bot: AccountId) -> StoreResult<Vec<Subscription>> {
        webhooks::subscriptions(self, bot).await
    }

    async fn subscription(&self, id: i64) -> StoreResult<Option<Subscription>> {
        webhooks::subscription(self, id).await
    }

    async fn set_bot_commands(
        &self,
        bot: AccountId,
        domain: DomainId,
        commands: &[NewCommand],
    ) -> StoreResult<Result<(), String>> {
        let commands = commands.to_vec();
        self.write(move |tx| {
            let mut taken =
                tx.prepare_cached("SELECT 1 FROM bot_commands WHERE domain_id = ?1 AND name = ?2 AND bot_id <> ?3")?;
            for c in &commands {
                if taken.exists(params![domain.0, c.name, bot.0])? {
                    return Ok(Err(c.name.clone()));
                }
            }
            tx.prepare_cached("DELETE FROM bot_commands WHERE bot_id = ?1")?.execute([bot.0])?;
            let mut insert = tx.prepare_cached(
                "INSERT INTO bot_commands (bot_id, domain_id, name, description, hint, position) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for (i, c) in commands.iter().enumerate() {
                insert.execute(params![
                    bot.0,
                    domain.0,
                    c.name,
                    c.description,
                    c.hint,
                    i64::try_from(i).unwrap_or(0)
                ])?;
            }
            Ok(Ok(()))
        })
        .await
    }

    async fn bot_commands(&self, bot: AccountId) -> StoreResult<Vec<Command>> {
        self.read(move |c| {
            c.prepare_cached(
                "SELECT bot_id, name, description, hint FROM bot_commands WHERE bot_id = ?1 ORDER BY position",
            )?
            .query_map([bot.0], command_from_row)?
            .collect()
        })
        .await
    }

    async fn conversation_commands(&self, conversation: ConversationId) -> StoreResult<Vec<Command>> {
        self.read(move |c| {
            // From the domain's few commands to their bots' memberships: one key lookup each.
            c.prepare_cached(
                "SELECT b.bot_id, b.name, b.description, b.hint FROM bot_commands b \
                 JOIN conversations v ON v.id = ?1 AND v.domain_id = b.domain_id \
                 JOIN members m ON m.conversation_id = ?1 AND m.account_id = b.bot_id \
                 WHERE m.left_seq IS NULL ORDER BY b.name",
            )?
            .query_map([conversation.0], command_from_row)?
            .collect()
        })
        .await
    }

    async fn subscription_secret(&self, id: i64) -> StoreResult<Option<String>> {
        webhooks::subscription_secret(self, id).await
    }

    async fn create_app(&self, new: &NewApp, per_domain_max: usize) -> StoreResult<Option<App>> {
        apps::create_app(self, new, per_domain_max).await
    }

    async fn apps(&self, domain: DomainId) -> StoreResult<Vec<App>> {
        apps::apps(self, domain).await
    }

    async fn app(&self, id: AppId) -> StoreResult<Option<App>> {
        apps::app(self, id).await
    }

    async fn app_by_client_id(&self, client_id: &str) -> StoreResult<Option<(App, [u8; 32])>> {
        apps::app_by_client_id(self, client_id).await
    }

    async fn update_app(&self, id: AppId, patch: &AppPatch) -> StoreResult<Option<App>> {
        apps::update_app(self, id, patch).await
    }

    async fn set_app_secret(&self, id: AppId, hash: [u8; 32]) -> StoreResult<bool> {
        apps::set_app_secret(self, id, hash).await
    }

    async fn delete_app(&self, id: AppId) -> StoreResult<Option<Vec<(AccountId, SessionId)>>> {
        apps::delete_app(self, id).await
    }

    async fn order_apps(&self, domain: DomainId, order: &[AppId]) -> StoreResult<bool> {
        apps::order_apps(self, domain, order).await
    }

    async fn put_oauth_code(&self, hash: &[u8; 32], code: &OAuthCode, per_grant_max: usize) -> StoreResult<()> {
        apps::put_oauth_code(self, hash, code, per_grant_max).await
    }

    async fn take_oauth_code(&self, hash: &[u8; 32]) -> StoreResult<Option<OAuthCode>> {
        apps::take_oauth_code(self, hash).await
    }

    async fn put_app_grant(&self, app: AppId, account: AccountId, scopes: &[AppScope], at_ms: i64) -> StoreResult<()> {
        apps::put_app_grant(self, app, account, scopes, at_ms).await
    }

    async fn app_grant(&self, app: AppId, account: AccountId) -> StoreResult<Option<(Vec<AppScope>, i64)>> {
        apps::app_grant(self, app, account).await
    }

    async fn app_grants(&self, account: AccountId) -> StoreResult<Vec<(AppId, Vec<AppScope>, i64)>> {
        apps::app_grants(self, account).await
    }

    async fn delete_app_grant(
        &self,
        app: AppId,
        account: AccountId,
    ) -> StoreResult<Option<Vec<(AccountId, SessionId)>>> {
        apps::delete_app_grant(self, app, account).await
    }

    async fn oauth_code(&self, hash: &[u8; 32]) -> StoreResult<Option<OAuthCode>> {
        apps::oauth_code(self, hash).await
    }

    async fn put_app_token(&self, token: &AppToken, spends: Spends, per_grant_max: usize) -> StoreResult<Kept> {
        apps::put_app_token(self, token, spends, per_grant_max).await
    }

    async fn app_token(&self, refresh_hash: &[u8; 32]) -> StoreResult<Option<AppToken>> {
        apps::app_token(self, refresh_hash).await
    }

    async fn take_app_token(&self, refresh_hash: &[u8; 32]) -> StoreResult<Option<AppToken>> {
        apps::take_app_token(self, refresh_hash).await
    }

    async fn take_app_family(&self, family: &Family) -> StoreResult<Vec<(AccountId, SessionId)>> {
        apps::take_app_family(self, family).await
    }

    async fn prune_oauth(&self, now_ms: i64) -> StoreResult<u64> {
        apps::prune_oauth(self, now_ms).await
    }

    async fn update_subscription(&self, id: i64, patch: &SubscriptionPatch) -> StoreResult<Option<Subscription>> {
        webhooks::update_subscription(self, id, patch).await
    }

    async fn delete_subscription(&self, id: i64) -> StoreResult<bool> {
        webhooks::delete_subscription(self, id).await
    }

    async fn webhook_subscribers(
        &self,
        conversations: &[ConversationId],
    ) -> StoreResult<Vec<(ConversationId, Subscription)>> {
        webhooks::webhook_subscribers(self, conversations).await
    }

    async fn enqueue_webhook_events(
        &self,
        events: &[NewWebhookEvent],
        now_ms: i64,
        pending_max: usize,
    ) -> StoreResult<u64> {
        webhooks::enqueue_webhook_events(self, events, now_ms, pending_max).await
    }

    async fn claim_webhook_events(
        &self,
        now_ms: i64,
        lease_ms: i64,
        streams_max: usize,
        batch_max: usize,
    ) -> StoreResult<Vec<WebhookBatch>> {
        webhooks::claim_webhook_events(self, now_ms, lease_ms, streams_max, batch_max).await
    }

    async fn webhook_outcomes(
        &self,
        outcomes: &[WebhookOutcome],
        now_ms: i64,
        failures_max: u32,
    ) -> StoreResult<Vec<Subscription>> {
        webhooks::webhook_outcomes(self, outcomes, now_ms, failures_max).await
    }

    async fn prune_webhook_events(&self, before_ms: i64, limit: usize) -> StoreResult<u64> {
        webhooks::prune_webhook_events(self, before_ms, limit).await
    }
}
