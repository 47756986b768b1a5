//! `magpie admin bot …`: bots, their tokens and incoming webhooks, as the operator (who may
//! manage every domain's). Each change is in the audit log, as from the console.

use clap::Subcommand;
use magpie_core::Core;
use magpie_core::bots::{Bot, BotRequest, TokenRequest};
use magpie_core::model::{Actor, ConversationId, Session, SessionId};

#[derive(Debug, Subcommand)]
pub enum BotCommand {
    /// Make a bot (an account that acts only with tokens): NAME, or NAME@DOMAIN.
    Create {
        name: String,
        #[arg(long)]
        display_name: Option<String>,
        /// What it is for.
        #[arg(long)]
        description: Option<String>,
    },
    /// The domain's bots, one per line: account, display name, owner, state.
    List {
        #[arg(long)]
        domain: Option<String>,
    },
    /// Turn a bot off (every token and webhook stops at once) or on again.
    Disable {
        bot: String,
    },
    Enable {
        bot: String,
    },
    /// The bot's tokens and webhooks, one per line.
    Tokens {
        bot: String,
    },
    /// Make a token for the bot and print it: the only time it is shown.
    Token {
        bot: String,
        /// What the token is for.
        #[arg(long)]
        name: String,
        /// Only this conversation (repeat for more); all the bot's by default.
        #[arg(long = "conversation")]
        conversations: Vec<i64>,
        /// Read only: no sending.
        #[arg(long, conflicts_with = "send_only")]
        read_only: bool,
        /// Send only: no reading.
        #[arg(long)]
        send_only: bool,
        /// Days it lives (until revoked if absent).
        #[arg(long)]
        ttl_days: Option<u32>,
    },
    /// Make an incoming webhook to a conversation the bot is in, and print its path (POST a
    /// Slack-style `{"text": …}` there): the only time it is shown.
    Webhook {
        bot: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        conversation: i64,
    },
    /// Revoke one of the bot's tokens or webhooks by its id.
    Revoke {
        bot: String,
        id: i64,
    },
}

pub async fn run(core: &Core, default_domain: &str, command: BotCommand) -> anyhow::Result<()> {
    let op = Actor::Operator;
    let addr = |name: &str| if name.contains('@') { name.to_owned() } else { format!("{name}@{default_domain}") };
    let b = &core.bots;
    match command {
        BotCommand::Create { name, display_name, description } => {
            let (name, domain) = match name.split_once('@') {
                Some((n, d)) => (n.to_owned(), d.to_owned()),
                None => (name, default_domain.to_owned()),
            };
            let request = BotRequest { name, domain: Some(domain), display_name, description };
            print_bot(&b.create(op, request).await?);
        }
        BotCommand::List { domain } => {
            for bot in b.list(op, Some(domain.as_deref().unwrap_or(default_domain))).await? {
                print_bot(&bot);
            }
        }
        BotCommand::Disable { bot } => print_bot(&b.set_disabled(op, &addr(&bot), true).await?),
        BotCommand::Enable { bot } => print_bot(&b.set_disabled(op, &addr(&bot), false).await?),
        BotCommand::Tokens { bot } => {
            for t in b.tokens(op, &addr(&bot)).await? {
                print_token("token", &t);
            }
            for t in b.hooks(op, &addr(&bot)).await? {
                print_token("webhook", &t);
            }
        }
        BotCommand::Token { bot, name, conversations, read_only, send_only, ttl_days } => {
            let request = TokenRequest {
                name,
                conversations: (!conversations.is_empty())
                    .then(|| conversations.into_iter().map(ConversationId).collect()),
                read: !send_only,
                send: !read_only,
                ttl_days,
            };
            let issued = b.issue_token(op, &addr(&bot), request).await?;
            eprintln!("token {} made; it is shown only now:", issued.session.id.0);
            println!("{}", issued.token);
        }
        BotCommand::Webhook { bot, name, conversation } => {
            let issued = b.create_hook(op, &addr(&bot), ConversationId(conversation), &name).await?;
            eprintln!("webhook {} made; its path is shown only now:", issued.session.id.0);
            println!("/v1/hooks/{}", issued.token);
        }
        BotCommand::Revoke { bot, id } => {
            b.revoke_token(op, &addr(&bot), SessionId(id)).await?;
            println!("revoked {id}");
        }
    }
    Ok(())
}

fn print_bot(bot: &Bot) {
    let owner = bot.owner_addr.as_ref().map_or_else(|| "-".to_owned(), ToString::to_string);
    let state = if bot.account.disabled { "disabled" } else { "enabled" };
    println!("{}\t{}\towner={owner}\t{state}", bot.account.addr, bot.account.profile.display_name);
}

fn print_token(what: &str, t: &Session) {
    let scope = t.scope.as_ref();
    let conversations = scope
        .and_then(|s| s.conversations.as_ref())
        .map_or_else(|| "all".to_owned(), |c| c.iter().map(|c| c.0.to_string()).collect::<Vec<_>>().join(","));
    let read = scope.is_some_and(|s| s.read);
    let send = scope.is_some_and(|s| s.send);
    println!(
        "{what} {}\t{}\tconversations={conversations}\tread={read}\tsend={send}",
        t.id.0,
        t.device.as_deref().unwrap_or("")
    );
}
