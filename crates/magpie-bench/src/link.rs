//! One connection of a bench user, to Magpie or to an XMPP server: the scenarios are written
//! once against this.

use magpie_wire as wire;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use anyhow::{Context, Result};
use futures_util::{StreamExt, TryStreamExt, stream};
use tokio::sync::mpsc;

use crate::native::{self, Conn, Pushed};
use crate::xmpp::{self, XmppConn};
use crate::{BenchArgs, Target};

/// Resolves to true when the server acknowledged the message.
pub type AckFuture = Pin<Box<dyn Future<Output = bool> + Send>>;

/// Where a message goes.
#[derive(Debug, Clone)]
pub enum Dest {
    /// A Magpie conversation.
    Conversation(i64),
    /// An XMPP JID: a bare JID for `chat`, a room for `groupchat`.
    Jid(String),
    Room(String),
}

pub enum Link {
    Native(Conn),
    Xmpp(XmppConn),
}

/// A user the bench can connect: its address, and how to log in.
#[derive(Clone)]
pub struct User {
    /// `name@domain`; also how the user's messages show their sender.
    pub address: String,
    /// The login name (the part before `@`).
    pub name: String,
    /// Magpie: a session token from login.
    token: Option<String>,
    /// Magpie: the node (an index into `--url`) that this user logged in on, and whose
    /// WebSocket it connects to.
    pub node: usize,
}

impl User {
    /// Magpie: the session token the user logged in with.
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }
}

impl Link {
    pub async fn open(args: &BenchArgs, user: &User) -> Result<(Link, mpsc::Receiver<Pushed>)> {
        match &args.target {
            Target::Magpie => {
                let account =
                    native::Account { address: user.address.clone(), token: user.token.clone().context("no token")? };
                let (conn, pushes) = Conn::open(&native::ws_url(args.node_url(user.node)), &account).await?;
                Ok((Link::Native(conn), pushes))
            }
            Target::Xmpp => {
                let (conn, pushes) = XmppConn::open(&xmpp_server(args), &user.name, &args.password).await?;
                Ok((Link::Xmpp(conn), pushes))
            }
        }
    }

    /// Sends one bench message; `id` is unique per sender (Magpie's client_msg_id).
    pub async fn send(&self, dest: &Dest, id: &str, stamp: u64, n: u64) -> Result<AckFuture> {
        match (self, dest) {
            (Link::Native(conn), Dest::Conversation(conversation)) => {
                let send = wire::SendRequest {
                    client_msg_id: id.to_owned(),
                    kind: "text".to_owned(),
                    body: native::body(stamp, n),
                    mentions: vec![],
                    mention_all: false,
                    reply_to: None,
                    thread: None,
                    broadcast: false,
                };
                let request = wire::Request::Send(wire::InConversation { conversation: *conversation, data: send });
                let answer = conn.start(&request).await?;
                Ok(Box::pin(async move { matches!(answer.await, Ok(Ok(_))) }))
            }
            (Link::Xmpp(conn), Dest::Jid(jid)) => {
                let ack = conn.chat(jid, stamp, n).await?;
                Ok(Box::pin(async move { ack.await.is_ok() }))
            }
            (Link::Xmpp(conn), Dest::Room(room)) => {
                let ack = conn.groupchat(room, stamp, n).await?;
                Ok(Box::pin(async move { ack.await.is_ok() }))
            }
            _ => anyhow::bail!("destination {dest:?} does not fit this connection"),
        }
    }

    /// A 1:1 chat from this user to `peer`.
    pub async fn direct_with(&self, peer: &User) -> Result<Dest> {
        match self {
            Link::Native(conn) => {
                let direct = wire::CreateConversationRequest::Direct { peer: peer.address.clone() };
                let c: wire::Conversation = conn.request(&wire::Request::CreateConversation(direct)).await?;
                Ok(Dest::Conversation(c.id))
            }
            Link::Xmpp(_) => Ok(Dest::Jid(peer.address.clone())),
        }
    }

    pub async fn close(&self) {
        match self {
            Link::Native(conn) => conn.close().await,
            Link::Xmpp(conn) => conn.close().await,
        }
    }

    pub fn native(&self) -> Option<&Conn> {
        match self {
            Link::Native(conn) => Some(conn),
            Link::Xmpp(_) => None,
        }
    }

    pub fn xmpp(&self) -> Option<&XmppConn> {
        match self {
            Link::Xmpp(conn) => Some(conn),
            Link::Native(_) => None,
        }
    }
}

pub fn xmpp_server(args: &BenchArgs) -> xmpp::Server {
    xmpp::Server {
        addr: args.xmpp_addr.clone(),
        domain: args.domain.clone(),
        muc: args.muc.clone().unwrap_or_else(|| format!("conference.{}", args.domain)),
    }
}

/// The bench's first `n` users, created when asked (`--admin` for Magpie, `--register` for
/// XMPP) and, on Magpie, logged in, each on its node ([`BenchArgs::node_of`]). Accounts are
/// created through the first node: in a cluster every node reads the same database.
pub async fn users(args: &BenchArgs, n: usize) -> Result<Vec<User>> {
    let names: Vec<String> = (0..n).map(|i| format!("{}{i}", args.prefix)).collect();
    let address = |name: &str| format!("{name}@{}", args.domain);
    match args.target {
        Target::Magpie => {
            if args.admin.is_some() {
                let client = &admin(args).await?;
                stream::iter(
                    names.iter().map(|name| async move {
                        native::ensure_account(client, &address(name), &args.password).await
                    }),
                )
                .buffer_unordered(args.concurrency)
                .try_collect::<Vec<()>>()
                .await?;
            }
            stream::iter(names.iter().enumerate().map(|(i, name)| async move {
                let node = args.node_of(i);
                let account = native::login(args.node_url(node), &address(name), &args.password).await?;
                Ok::<_, anyhow::Error>(User {
                    address: account.address,
                    name: name.clone(),
                    token: Some(account.token),
                    node,
                })
            }))
            .buffered(args.concurrency)
            .try_collect()
            .await
        }
        Target::Xmpp => {
            if args.register {
                let server = xmpp_server(args);
                stream::iter(names.iter().map(|name| {
                    let server = server.clone();
                    async move { xmpp::register(&server, name, &args.password).await }
                }))
                .buffer_unordered(args.concurrency)
                .try_collect::<Vec<()>>()
                .await?;
            }
            Ok(names
                .iter()
                .map(|name| User { address: address(name), name: name.clone(), token: None, node: 0 })
                .collect())
        }
    }
}

/// A REST session of the domain admin of `--admin` (`name@domain:password`), on the first node.
pub async fn admin(args: &BenchArgs) -> Result<magpie_client::Client> {
    let admin = args.admin.as_deref().context("--admin name@domain:password is needed")?;
    let (who, password) = admin.split_once(':').context("--admin is name@domain:password")?;
    let (client, _) = magpie_client::Client::new(args.node_url(0))?.login(who, password).await?;
    Ok(client)
}

/// Connects every user, `concurrency` at a time.
pub async fn open_all(args: &BenchArgs, users: &[User]) -> Result<Vec<(Arc<Link>, mpsc::Receiver<Pushed>)>> {
    stream::iter(users.iter().map(|u| async move {
        let (link, pushes) = Link::open(args, u).await?;
        Ok::<_, anyhow::Error>((Arc::new(link), pushes))
    }))
    .buffered(args.concurrency)
    .try_collect()
    .await
}
