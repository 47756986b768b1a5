//! A lean client of Magpie's WebSocket protocol for the load generator: one task reads, one
//! writes; requests are pipelined and matched to their replies by id; `entry` events go to a
//! channel that the scenario drains.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use futures_util::{SinkExt, StreamExt};
use magpie_wire as wire;
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;
use tokio::sync::{Mutex, mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

/// How long a setup request may take before the bench gives up.
const SETUP_TIMEOUT: Duration = Duration::from_secs(60);

/// A request's answer: its reply's `data`, or its error.
pub type Answer = Result<Box<serde_json::value::RawValue>, wire::ErrorDetail>;
type Pending = Arc<Mutex<HashMap<u64, oneshot::Sender<Answer>>>>;

/// A logged-in account of the bench.
#[derive(Clone)]
pub struct Account {
    pub address: String,
    pub token: String,
}

/// Logs `address` in over REST.
pub async fn login(base_url: &str, address: &str, password: &str) -> Result<Account> {
    let client = magpie_client::Client::new(base_url)?;
    let (_, answer) = client.login(address, password).await.with_context(|| format!("login {address}"))?;
    Ok(Account { address: address.to_owned(), token: answer.token })
}

/// Creates `address` through an admin's REST session; an account that exists already is fine.
pub async fn ensure_account(admin: &magpie_client::Client, address: &str, password: &str) -> Result<()> {
    let req = wire::CreateAccountRequest {
        account: address.to_owned(),
        password: password.to_owned(),
        display_name: None,
        role: None,
    };
    match admin.admin_create_account(&req).await {
        Ok(_) => Ok(()),
        Err(magpie_client::Error::Api { detail, .. }) if detail.code == wire::ErrorCode::AlreadyExists => Ok(()),
        Err(e) => Err(anyhow!("create {address}: {e}")),
    }
}

/// An entry pushed to a connection, reduced to what the bench measures.
#[derive(Debug)]
pub struct Pushed {
    pub conversation: i64,
    pub sender: String,
    /// The bench's send stamp (microseconds on the bench clock) and message number, when the
    /// entry is one of the bench's messages.
    pub stamp: Option<(u64, u64)>,
}

/// One open WebSocket.
pub struct Conn {
    out: mpsc::Sender<Message>,
    pending: Pending,
    /// Set by the reader when the socket has closed, before it fails what is pending.
    closed: Arc<std::sync::atomic::AtomicBool>,
    next_id: AtomicU64,
}

impl Conn {
    /// Connects `account` and waits for `hello`. Pushed entries go to the returned receiver
    /// (bounded: a bench that stops draining it stops reading the socket, as a slow client).
    pub async fn open(ws_url: &str, account: &Account) -> Result<(Conn, mpsc::Receiver<Pushed>)> {
        let mut request = ws_url.into_client_request()?;
        request.headers_mut().insert("authorization", HeaderValue::from_str(&format!("Bearer {}", account.token))?);
        // TCP_NODELAY, as any chat client should: a frame goes out when it is written.
        let (stream, _) =
            tokio_tungstenite::connect_async_with_config(request, None, true).await.context("websocket connect")?;
        let (mut sink, mut source) = stream.split();

        // The first frame is hello.
        match source.next().await {
            Some(Ok(Message::Text(text))) => match serde_json::from_str::<wire::ServerFrame>(&text)? {
                wire::ServerFrame::Hello(_) => {}
                other => bail!("expected hello, got {other:?}"),
            },
            other => bail!("expected hello, got {other:?}"),
        }

        let (out, mut out_rx) = mpsc::channel::<Message>(1024);
        tokio::spawn(async move {
            while let Some(message) = out_rx.recv().await {
                // Batch whatever else is queued into the same flush.
                if sink.feed(message).await.is_err() {
                    return;
                }
                while let Ok(more) = out_rx.try_recv() {
                    if sink.feed(more).await.is_err() {
                        return;
                    }
                }
                if sink.flush().await.is_err() {
                    return;
                }
            }
            let _ = sink.close().await;
        });

        let pending: Pending = Arc::default();
        let (pushes, pushed) = mpsc::channel(4096);
        let reader_pending = pending.clone();
        let closed = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let reader_closed = closed.clone();
        tokio::spawn(async move {
            while let Some(Ok(message)) = source.next().await {
                let Message::Text(text) = message else { continue };
                let Ok(frame) = serde_json::from_str::<Incoming<'_>>(&text) else { continue };
                match (&*frame.kind, frame.id, frame.event.as_deref(), frame.data) {
                    ("reply", Some(id), _, Some(data)) => {
                        if let Some(tx) = reader_pending.lock().await.remove(&id) {
                            let _ = tx.send(Ok(data.to_owned()));
                        }
                    }
                    ("error", Some(id), _, _) => {
                        let Some(error) = frame.error else { continue };
                        if let Some(tx) = reader_pending.lock().await.remove(&id) {
                            let _ = tx.send(Err(error));
                        }
                    }
                    ("event", _, Some("entry"), Some(data)) => {
                        let Ok(entry) = serde_json::from_str::<PushedEntry<'_>>(data.get()) else { continue };
                        let stamp = entry.body.and_then(|b| b.stamp());
                        let pushed =
                            Pushed { conversation: entry.conversation, sender: entry.sender.into_owned(), stamp };
                        if pushes.send(pushed).await.is_err() {
                            // Nobody listens for pushes on this connection: keep serving replies.
                        }
                    }
                    _ => {}
                }
            }
            // The socket closed: fail every request still waiting, and (with `closed` set
            // first) every request started from now on, which would otherwise wait forever.
            reader_closed.store(true, Ordering::SeqCst);
            reader_pending.lock().await.clear();
        });

        Ok((Conn { out, pending, closed, next_id: AtomicU64::new(1) }, pushed))
    }

    /// Sends a request and returns a future for its answer, so that callers can pipeline.
    pub async fn start(&self, request: &wire::Request) -> Result<oneshot::Receiver<Answer>> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        self.pending.lock().await.insert(id, tx);
        if self.closed.load(Ordering::SeqCst) {
            self.pending.lock().await.remove(&id);
            bail!("connection closed");
        }
        let frame = wire::RequestFrame::new(id, request)?;
        self.out.send(Message::text(serde_json::to_string(&frame)?)).await.map_err(|_| anyhow!("connection closed"))?;
        Ok(rx)
    }

    /// Sends a request and waits for its answer, read as `T`.
    pub async fn request<T: serde::de::DeserializeOwned>(&self, request: &wire::Request) -> Result<T> {
        let kind = request.kind().to_owned();
        let answer = self.start(request).await?;
        match tokio::time::timeout(SETUP_TIMEOUT, answer).await {
            Ok(Ok(Ok(data))) => Ok(serde_json::from_str(data.get()).with_context(|| format!("{kind}: the reply"))?),
            Ok(Ok(Err(error))) => bail!("{kind}: {} ({})", error.message, error.code.as_str()),
            Ok(Err(_)) => bail!("{kind}: connection closed"),
            Err(_) => bail!("{kind}: no answer within {SETUP_TIMEOUT:?}"),
        }
    }

    /// Closes the connection cleanly.
    pub async fn close(&self) {
        let _ = self.out.send(Message::Close(None)).await;
    }
}

/// A bench message's body: `{"text": "bench", "r": run, "t": send stamp, "n": message number}`.
pub fn body(stamp_us: u64, n: u64) -> Value {
    serde_json::json!({"text": "bench", "r": run_id(), "t": stamp_us, "n": n})
}

/// This run's id, so that messages of earlier runs (offline storage, say) are not counted.
pub fn run_id() -> u64 {
    static RUN: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *RUN.get_or_init(|| rand::random::<u64>() >> 12)
}

/// What the bench reads of a frame from the server: only the fields it uses. The wire types
/// are internally tagged, which serde reads by buffering every value of the frame first; at
/// 100,000 pushes a second that cost more than the rest of the bench.
#[derive(Deserialize)]
struct Incoming<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    id: Option<u64>,
    #[serde(borrow)]
    event: Option<Cow<'a, str>>,
    #[serde(borrow)]
    data: Option<&'a RawValue>,
    error: Option<wire::ErrorDetail>,
}

/// What the bench reads of a pushed entry.
#[derive(Deserialize)]
struct PushedEntry<'a> {
    conversation: i64,
    #[serde(borrow)]
    sender: Cow<'a, str>,
    body: Option<StampBody>,
}

/// The fields of a bench message's body (see [`body`]).
#[derive(Deserialize)]
struct StampBody {
    r: Option<u64>,
    t: Option<u64>,
    n: Option<u64>,
}

impl StampBody {
    /// The send stamp and number of a message of this run.
    fn stamp(self) -> Option<(u64, u64)> {
        (self.r? == run_id()).then_some((self.t?, self.n?))
    }
}

/// The WebSocket URL of a server at `base_url`.
pub fn ws_url(base_url: &str) -> String {
    let base = base_url.trim_end_matches('/');
    let base = base.replacen("https://", "wss://", 1).replacen("http://", "ws://", 1);
    format!("{base}/v1/ws")
}
