//! The WebSocket half of the SDK: one connection, requests correlated by `id`, and a stream
//! of what the server pushes.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::stream::SplitSink;
use futures_util::{SinkExt, StreamExt};
use magpie_wire::{self as wire, ErrorDetail, Event, Request, ServerFrame};
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot, watch};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::rest::{Client, Error, Result};

/// Pushed frames buffered for the application; past this the connection is dropped.
const INCOMING_LEN_MAX: usize = 4096;
/// The close code reported when the application let [`INCOMING_LEN_MAX`] pushed frames pile up.
pub const SLOW_APPLICATION: u16 = magpie_wire::close_code::SLOW_CONSUMER;

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;
type Pending = Arc<Mutex<HashMap<u64, oneshot::Sender<std::result::Result<Box<RawValue>, ErrorDetail>>>>>;

/// Something the server sent that is not the answer to a request.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    Event(Event),
    /// An error frame without a request id (a frame the server could not read).
    Error(ErrorDetail),
}

/// How a connection ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseInfo {
    pub code: u16,
    pub reason: String,
}

/// A live connection to `/v1/ws`.
pub struct Connection {
    hello: wire::Hello,
    sink: Arc<tokio::sync::Mutex<SplitSink<Socket, Message>>>,
    pending: Pending,
    next_id: AtomicU64,
    incoming: mpsc::Receiver<Incoming>,
    closed: watch::Receiver<Option<CloseInfo>>,
    /// The task reading the socket; it holds the socket's other half.
    reader: tokio::task::AbortHandle,
}

/// Dropping a connection closes its socket: the reading task goes with it.
impl Drop for Connection {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

impl Client {
    /// Opens the WebSocket, authenticated by `Authorization: Bearer`.
    pub async fn connect(&self) -> Result<Connection> {
        let token = self.token().ok_or(Error::NoToken)?;
        self.open(&[("authorization", format!("Bearer {token}"))]).await
    }

    /// Opens the WebSocket the way a browser must: the token in a `magpie.bearer.<token>`
    /// subprotocol offered beside `magpie.v1`.
    pub async fn connect_with_subprotocol(&self) -> Result<Connection> {
        let token = self.token().ok_or(Error::NoToken)?;
        let protocols = format!("{}, {}{token}", wire::WS_PROTOCOL, wire::WS_BEARER_PROTOCOL_PREFIX);
        self.open(&[("sec-websocket-protocol", protocols)]).await
    }

    async fn open(&self, headers: &[(&'static str, String)]) -> Result<Connection> {
        let url = match self.base_url().split_once("://") {
            Some(("https", rest)) => format!("wss://{rest}/v1/ws"),
            Some((_, rest)) => format!("ws://{rest}/v1/ws"),
            None => return Err(Error::BadUrl(self.base_url().to_owned())),
        };
        let mut request = url.into_client_request().map_err(|e| Error::WebSocket(Box::new(e)))?;
        for (name, value) in headers {
            let value = HeaderValue::from_str(value).map_err(|_| Error::NoToken)?;
            request.headers_mut().insert(*name, value);
        }
        let (socket, _) = match tokio_tungstenite::connect_async(request).await {
            Ok(ok) => ok,
            Err(tungstenite::Error::Http(response)) => {
                let status = response.status().as_u16();
                let body = response.body().as_deref().map(String::from_utf8_lossy).unwrap_or_default().into_owned();
                return Err(match serde_json::from_str::<wire::ErrorBody>(&body) {
                    Ok(b) => Error::Api { status, detail: b.error },
                    Err(_) => Error::Unexpected { status, body },
                });
            }
            Err(e) => return Err(Error::WebSocket(Box::new(e))),
        };
        let (sink, mut stream) = socket.split();
        let hello = match stream.next().await {
            Some(Ok(Message::Text(text))) => match ServerFrame::from_json(&text) {
                Ok(ServerFrame::Hello(hello)) => hello,
                _ => return Err(Error::Decode { what: "hello frame", reason: text.to_string() }),
            },
            Some(Ok(Message::Close(frame))) => {
                let (code, reason) = frame.map_or((1005, String::new()), |f| (f.code.into(), f.reason.to_string()));
                return Err(Error::Closed { code, reason });
            }
            Some(Err(e)) => return Err(Error::WebSocket(Box::new(e))),
            _ => return Err(Error::Closed { code: 1006, reason: "closed before hello".into() }),
        };
        let pending: Pending = Arc::default();
        let (incoming_tx, incoming) = mpsc::channel(INCOMING_LEN_MAX);
        let (closed_tx, closed) = watch::channel(None);
        let sink = Arc::new(tokio::sync::Mutex::new(sink));
        let reader =
            tokio::spawn(read_loop(stream, sink.clone(), pending.clone(), incoming_tx, closed_tx)).abort_handle();
        Ok(Connection { hello, sink, pending, next_id: AtomicU64::new(1), incoming, closed, reader })
    }
}

async fn read_loop(
    mut stream: futures_util::stream::SplitStream<Socket>,
    sink: Arc<tokio::sync::Mutex<SplitSink<Socket, Message>>>,
    pending: Pending,
    incoming: mpsc::Sender<Incoming>,
    closed: watch::Sender<Option<CloseInfo>>,
) {
    let info = loop {
        let message = match stream.next().await {
            Some(Ok(m)) => m,
            Some(Err(e)) => break CloseInfo { code: 1006, reason: e.to_string() },
            None => break CloseInfo { code: 1006, reason: "connection lost".into() },
        };
        let text = match message {
            Message::Text(text) => text,
            Message::Close(frame) => {
                break frame.map_or(CloseInfo { code: 1005, reason: String::new() }, |f| CloseInfo {
                    code: u16::from(f.code),
                    reason: f.reason.to_string(),
                });
            }
            _ => continue,
        };
        let frame = match ServerFrame::from_json(&text) {
            Ok(frame) => frame,
            Err(e) => {
                // A frame this SDK cannot read: if it answers a request, that request fails
                // rather than waiting for ever.
                if let Some(id) = wire::frame_id(&text) {
                    let waiter = pending.lock().unwrap_or_else(|e| e.into_inner()).remove(&id);
                    if let Some(waiter) = waiter {
                        let reason = format!("the server's answer could not be read: {e}");
                        let _ = waiter.send(Err(wire::ErrorBody::new(wire::ErrorCode::Unknown, reason).error));
                    }
                }
                continue;
            }
        };
        let pushed = match frame {
            ServerFrame::Reply { id, data } => Err((id, Ok(data))),
            ServerFrame::Error { id: Some(id), error } => Err((id, Err(error))),
            ServerFrame::Error { id: None, error } => Ok(Some(Incoming::Error(error))),
            ServerFrame::Event(event) => Ok(Some(Incoming::Event(event))),
            ServerFrame::Hello(_) => Ok(None),
        };
        let answer = match pushed {
            Err(answer) => Some(answer),
            Ok(None) => None,
            // Like the server, the SDK does not buffer without bound: an application that
            // stops reading pushed frames loses the connection (and catches up by sync)
            // instead of stalling every reply behind them.
            Ok(Some(item)) => match incoming.try_send(item) {
                Ok(()) | Err(mpsc::error::TrySendError::Closed(_)) => None,
                Err(mpsc::error::TrySendError::Full(_)) => {
                    let reason = "pushed frames were not read";
                    // Close the socket for real, so that the server sees it go at once.
                    let frame = tungstenite::protocol::CloseFrame {
                        code: CloseCode::from(SLOW_APPLICATION),
                        reason: reason.into(),
                    };
                    let _ = sink.lock().await.send(Message::Close(Some(frame))).await;
                    break CloseInfo { code: SLOW_APPLICATION, reason: reason.into() };
                }
            },
        };
        if let Some((id, result)) = answer {
            let waiter = pending.lock().unwrap_or_else(|e| e.into_inner()).remove(&id);
            if let Some(waiter) = waiter {
                let _ = waiter.send(result);
            }
        }
    };
    // Mark the connection closed first, then fail every request still waiting (their senders
    // drop with the map entries): a request added in between sees the mark and gives up.
    let _ = closed.send(Some(info));
    pending.lock().unwrap_or_else(|e| e.into_inner()).clear();
}

impl Connection {
    /// The server's first frame: the session, the account and the connection's limits.
    pub fn hello(&self) -> &wire::Hello {
        &self.hello
    }

    /// Sends a request and waits for its reply's `data`.
    pub async fn request(&self, request: &Request) -> Result<Box<RawValue>> {
        let data = request.data().map_err(|e| Error::Decode { what: "request", reason: e.to_string() })?;
        self.request_raw(request.kind(), data).await
    }

    /// Sends a request of any `type` with any `data` (JSON), as it is: for tools and tests of
    /// how the server treats what no typed request would send.
    pub async fn request_raw(&self, kind: &str, data: Box<RawValue>) -> Result<Box<RawValue>> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        self.pending.lock().unwrap_or_else(|e| e.into_inner()).insert(id, tx);
        // The reading task clears waiters when it ends; one added after that would wait forever.
        if self.closed.borrow().is_some() {
            self.pending.lock().unwrap_or_else(|e| e.into_inner()).remove(&id);
            return Err(self.closed_error());
        }
        let frame = wire::RequestFrame { id, kind: kind.to_owned(), data };
        let text =
            serde_json::to_string(&frame).map_err(|e| Error::Decode { what: "request", reason: e.to_string() })?;
        if let Err(e) = self.send_raw(text).await {
            self.pending.lock().unwrap_or_else(|e| e.into_inner()).remove(&id);
            return Err(e);
        }
        match rx.await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(detail)) => Err(Error::Api { status: detail.code.http_status(), detail }),
            Err(_) => Err(self.closed_error()),
        }
    }

    /// Sends a request and decodes its reply.
    pub async fn request_as<T: DeserializeOwned>(&self, request: &Request) -> Result<T> {
        let data = self.request(request).await?;
        serde_json::from_str(data.get()).map_err(|e| Error::Decode { what: "reply", reason: e.to_string() })
    }

    pub async fn ping(&self) -> Result<()> {
        self.request(&Request::Ping(wire::Empty {})).await.map(drop)
    }

    pub async fn get_me(&self) -> Result<wire::Me> {
        self.request_as(&Request::GetMe(wire::Empty {})).await
    }

    pub async fn list_sessions(&self) -> Result<Vec<wire::SessionInfo>> {
        self.request_as::<wire::SessionList>(&Request::ListSessions(wire::Empty {})).await.map(|l| l.sessions)
    }

    /// Sends a text frame as it is, without an id or any checking: for tools and tests.
    pub async fn send_raw(&self, text: String) -> Result<()> {
        let mut sink = self.sink.lock().await;
        sink.send(Message::Text(text.into())).await.map_err(|_| self.closed_error())
    }

    /// Sends a binary frame as it is: for tests of how the server treats one.
    pub async fn send_binary(&self, bytes: Vec<u8>) -> Result<()> {
        let mut sink = self.sink.lock().await;
        sink.send(Message::Binary(bytes.into())).await.map_err(|_| self.closed_error())
    }

    /// The next pushed frame, waiting at most `timeout`; `None` on timeout or once closed.
    pub async fn next_incoming(&mut self, timeout: Duration) -> Option<Incoming> {
        tokio::time::timeout(timeout, self.incoming.recv()).await.ok().flatten()
    }

    /// Waits until the server closes the connection, at most `timeout`.
    pub async fn closed(&mut self, timeout: Duration) -> Option<CloseInfo> {
        let wait = self.closed.wait_for(Option::is_some);
        tokio::time::timeout(timeout, wait).await.ok()?.ok()?.clone()
    }

    /// Starts closing the connection from this side; [`Connection::closed`] then reports the
    /// server's answering close frame.
    pub async fn close(&self) -> Result<()> {
        let mut sink = self.sink.lock().await;
        let frame = tungstenite::protocol::CloseFrame { code: CloseCode::Normal, reason: "".into() };
        sink.send(Message::Close(Some(frame))).await.map_err(|e| Error::WebSocket(Box::new(e)))
    }

    fn closed_error(&self) -> Error {
        match self.closed.borrow().clone() {
            Some(info) => Error::Closed { code: info.code, reason: info.reason },
            None => Error::Closed { code: 1006, reason: "connection lost".into() },
        }
    }
}
