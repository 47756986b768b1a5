//! Bots' rows (magpie_core::bots): who made each and what it is for. Their accounts are
//! written with them (see the account insert); their tokens are sessions. Their outgoing
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
use tokio_postgres::Row;

use crate::accounts::{ACCOUNT_COLUMN_COUNT, ACCOUNT_COLUMNS, account_from_row};
use crate::{PgResult, PgStore, StoreResult, apps, corrupt, read, webhooks, write_tx};

/// A bot's account columns (`a`, `d`), then its row's and its owner's name and domain.
fn select() -> String {
    format!(
        "SELECT {ACCOUNT_COLUMNS}, b.owner_id, b.description, o.name, od.name \
         FROM bots b JOIN accounts a ON a.id = b.account_id JOIN domains d ON d.id = a.domain_id \
         LEFT JOIN accounts o ON o.id = b.owner_id LEFT JOIN domains od ON od.id = o.domain_id"
    )
}

fn bot_from_row(row: &Row) -> PgResult<Bot> {
    let account = account_from_row(row, 0)?;
    let at = ACCOUNT_COLUMN_COUNT;
    let owner: Option<i64> = row.try_get(at)?;
    let owner_addr = match (row.try_get::<_, Option<String>>(at + 2)?, row.try_get::<_, Option<String>>(at + 3)?) {
        (Some(name), Some(domain)) => Some(AccountAddr {
            name: LoginName::parse(&name).map_err(|_| corrupt("login name"))?,
            domain: DomainName::parse(&domain).map_err(|_| corrupt("domain name"))?,
        }),
        _ => None,
    };
    Ok(Bot { account, owner: owner.map(AccountId), owner_addr, description: row.try_get(at + 1)? })
}

fn command_from_row(r: &Row) -> PgResult<Command> {
    Ok(Command { bot: AccountId(r.try_get(0)?), name: r.try_get(1)?, description: r.try_get(2)?, hint: r.try_get(3)? })
}

#[async_trait]
impl BotStore for PgStore {
    async fn bots(&self, domain: DomainId, owner: Option<AccountId>, limit: usize) -> StoreResult<Vec<Bot>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let owner = owner.map(|o| o.0);
        let sql = format!(
            "{} WHERE b.domain_id = $1 AND ($2::bigint IS NULL OR b.owner_id = $2) ORDER BY a.name COLLATE \"C\" LIMIT $3",
            select()
        );
        read!(self, |c| {
            let rows = c.query(&c.prepare_cached(&sql).await?, &[&domain.0, &owner, &limit]).await?;
            rows.iter().map(bot_from_row).collect::<PgResult<Vec<_>>>()?
        })
    }

    async fn bot(&self, account: AccountId) -> StoreResult<Option<Bot>> {
        let sql = format!("{} WHERE b.account_id = $1", select());
        read!(self, |c| {
            let row = c.query_opt(&c.prepare_cached(&sql).await?, &[&account.0]).await?;
            row.map(|r| bot_from_row(&r)).transpose()?
        })
    }

    async fn set_bot_description(&self, account: AccountId, description: &str) -> StoreResult<()> {
        write_tx!(self, |tx| {
            tx.c()
                .execute("UPDATE bots SET description = $2 WHERE account_id = $1", &[&account.0, &description])
                .await?;
        })
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
        let names: Vec<&str> = commands.iter().map(|c| c.name.as_str()).collect();
        write_tx!(self, |tx| {
            let c = tx.c();
            // Another bot's name: nothing written (two bots taking one name at once meet at the
            // unique index, and the loser's write runs again and finds it here).
            let taken = c
                .query_opt(
                    "SELECT name FROM bot_commands WHERE domain_id = $1 AND bot_id <> $2 AND name = ANY($3) \
                     ORDER BY array_position($3, name) LIMIT 1",
                    &[&domain.0, &bot.0, &names],
                )
                .await?;
            if let Some(row) = taken {
                Err(row.try_get::<_, String>(0)?)
            } else {
                c.execute("DELETE FROM bot_commands WHERE bot_id = $1", &[&bot.0]).await?;
                let insert = c
                    .prepare_cached(
                        "INSERT INTO bot_commands (bot_id, domain_id, name, description, hint, position) \
                         VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .await?;
                for (i, command) in commands.iter().enumerate() {
                    let position = i64::try_from(i).unwrap_or(0);
                    c.execute(
                        &insert,
                        &[&bot.0, &domain.0, &command.name, &command.description, &command.hint, &position],
                    )
                    .await?;
                }
                Ok(())
            }
        })
    }

    async fn bot_commands(&self, bot: AccountId) -> StoreResult<Vec<Command>> {
        read!(self, |c| {
            let sql = "SELECT bot_id, name, description, hint FROM bot_commands WHERE bot_id = $1 ORDER BY position";
            let rows = c.query(&c.prepare_cached(sql).await?, &[&bot.0]).await?;
            rows.iter().map(command_from_row).collect::<PgResult<Vec<_>>>()?
        })
    }

    async fn conversation_commands(&self, conversation: ConversationId) -> StoreResult<Vec<Command>> {
        read!(self, |c| {
            let sql = "SELECT b.bot_id, b.name, b.description, b.hint FROM bot_commands b \
                       JOIN conversations v ON v.id = $1 AND v.domain_id = b.domain_id \
                       JOIN members m ON m.conversation_id = $1 AND m.account_id = b.bot_id \
                       WHERE m.left_seq IS NULL ORDER BY b.name COLLATE \"C\"";
            let rows = c.query(&c.prepare_cached(sql).await?, &[&conversation.0]).await?;
            rows.iter().map(command_from_row).collect::<PgResult<Vec<_>>>()?
        })
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
