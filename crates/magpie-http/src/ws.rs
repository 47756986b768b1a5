//! The WebSocket transport at `/v1/ws`.
//!
//! Each connection runs one task that reads client frames and writes queued frames. What the
//! server sends to a connection goes through one bounded queue; when it is full the
//! connection is closed (`slow_consumer`) rather than buffering without bound. The registry
//! can ask a connection to close at any time (revocation, shutdown).

use std::net::IpAddr;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::http::HeaderMap;
use axum::http::header::SEC_WEBSOCKET_PROTOCOL;
use axum::response::{IntoResponse, Response};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use magpie_core::model::{AccountId, ConversationId, DomainId, Principal, RevokeReason, SessionId};
use magpie_wire::{self as wire, ErrorCode, ServerFrame, close_code};
use serde_json::value::RawValue;
use tokio::sync::{mpsc, watch};

use crate::extract::{ClientIp, bearer};
use crate::registry::{self, CloseCommand, ConnLimit, Frame, revoked, slow_consumer};
use crate::{ApiError, AppState, convert, error, ops};

/// A frame larger than this many times `ws_frame_bytes_max` is not read at all: the
/// connection is closed with 1009. Between the two limits the client gets a typed error.
const PROTOCOL_CAP_FACTOR: usize = 4;
/// How long one frame may take to write before the client counts as a slow consumer.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the final frames of a closing connection may take to send.
const CLOSE_SEND_TIMEOUT: Duration = Duration::from_secs(5);
/// The socket's read buffer: enough for the usual frame in one read (it grows for a larger
/// one). Every connection holds one, so it is small: 4 KiB made an idle connection 12.2 KB,
/// 1 KiB 9.1 KB (`magpie bench connect --connections 10000`).
const READ_BUFFER_BYTES: usize = 1024;
/// Queued frames written together before one flush.
const WRITE_BATCH_MAX: usize = 64;

/// `GET /v1/ws`: upgrades to a WebSocket authenticated by the session token, taken from
/// `Authorization: Bearer <token>` or, for browsers, the subprotocol `magpie.bearer.<token>`
/// offered beside `magpie.v1`.
pub async fn upgrade(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let ws = match ws {
        Ok(ws) => ws,
        Err(rejection) => return ApiError::new(ErrorCode::MalformedRequest, rejection.body_text()).into_response(),
    };
    let Some(token) = token_from_headers(&headers) else {
        return ApiError::new(
            ErrorCode::Unauthenticated,
            "send Authorization: Bearer <token> or offer the subprotocol magpie.bearer.<token>",
        )
        .into_response();
    };
    let principal = match state.core.auth.authenticate(&token).await {
        Ok(p) => p,
        Err(e) => return ApiError::from(e).into_response(),
    };
    // A bot's token takes the WebSocket only if it reads and sends in all the bot's
    // conversations: the stream carries all of them, and every request.
    if let Some(scope) = &principal.session.scope
        && (scope.hook || !scope.read || !scope.send || scope.conversations.is_some())
    {
        let message = "this token may not open a WebSocket: that needs read and send in all the bot's conversations";
        return ApiError::new(ErrorCode::Forbidden, message).into_response();
    }
    let ip = ip.and_then(|ip| ip.parse::<IpAddr>().ok());
    if let Err(limit) = state.live.admits(principal.session.id, principal.account.id, ip, state.conn_limits()) {
        return limit_error(limit).into_response();
    }
    let cap = state.settings.ws_frame_bytes_max.saturating_mul(PROTOCOL_CAP_FACTOR);
    // Only the ids wait for the upgrade: the connection authenticates again once registered.
    let (session, account, domain) = (principal.session.id, principal.account.id, principal.account.domain_id);
    let device = principal.session.device.clone();
    drop(principal);
    ws.protocols([wire::WS_PROTOCOL])
        // The default read buffer is 128 KiB per connection, allocated up front: most of an
        // idle connection's memory. Frames are small; the buffer grows for a large one.
        .read_buffer_size(READ_BUFFER_BYTES)
        .max_message_size(cap)
        .max_frame_size(cap)
        .on_upgrade(move |socket| {
            let (sink, stream) = socket.split();
            Box::pin(serve(state, session, account, domain, ip, device, token, sink, stream))
        })
}

fn limit_error(limit: ConnLimit) -> ApiError {
    match limit {
        ConnLimit::Session => ApiError::new(ErrorCode::LimitExceeded, "this session has too many open connections"),
        ConnLimit::Account => ApiError::new(ErrorCode::LimitExceeded, "this account has too many open connections"),
        ConnLimit::Ip => ApiError::new(ErrorCode::LimitExceeded, "too many open connections from this address"),
        ConnLimit::Server => ApiError::new(ErrorCode::Unavailable, "the server is at its connection limit"),
    }
}

/// The session token of an upgrade: `Authorization: Bearer`, or the `magpie.bearer.<token>`
/// subprotocol that browsers offer.
pub fn token_from_headers(headers: &HeaderMap) -> Option<String> {
    if let Some(token) = bearer(headers) {
        return Some(token.to_owned());
    }
    headers
        .get_all(SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|p| p.trim().strip_prefix(wire::WS_BEARER_PROTOCOL_PREFIX).map(str::to_owned))
}

/// One connection, from its upgrade to its close.
///
/// An idle connection is mostly this future, so it keeps little across its long wait: what
/// runs only once (authentication, the hello, presence, the goodbye) is boxed and gone when
/// done, the socket comes already split, and the state it holds is a few pointers (the core
/// behind an `Arc`). `magpie bench connect` measures what a connection costs. Boxed by the
/// upgrade, so that the connection's task holds only a pointer to it.
#[allow(clippy::too_many_arguments)]
async fn serve(
    state: AppState,
    session: SessionId,
    account: AccountId,
    domain: DomainId,
    ip: Option<IpAddr>,
    device: Option<String>,
    token: String,
    mut sink: SplitSink<WebSocket, Message>,
    mut stream: SplitStream<WebSocket>,
) {
    let queue_len_max = state.settings.ws_send_queue_len_max;
    let now = state.core.clock.now_ms();
    let registered = state.live.register(session, account, domain, ip, device, now, queue_len_max, state.conn_limits());
    let Ok(mut handle) = registered else {
        // Filled up between the check before the upgrade and now: 1013, try again later.
        let close = CloseFrame { code: close_code::TRY_AGAIN_LATER, reason: Utf8Bytes::from_static("at_capacity") };
        let _ = tokio::time::timeout(CLOSE_SEND_TIMEOUT, sink.send(Message::Close(Some(close)))).await;
        return;
    };
    // A revocation that landed between the upgrade's check and the registration above would
    // have missed this connection: check once more now that it is registered.
    let (end, online) = match Box::pin(open(&state, &token, session, &mut sink)).await {
        Err(end) => (end, None),
        Ok(principal) => {
            // The session's end as a deadline on tokio's clock.
            let expires_in_ms = u64::try_from(principal.session.expires_at_ms - state.core.clock.now_ms()).unwrap_or(0);
            let expiry = tokio::time::sleep_until(tokio::time::Instant::now() + Duration::from_millis(expires_in_ms));
            let mut conn = Connection::new(&state, principal, handle.sender.clone());
            let end = tokio::select! {
                end = conn.read_loop(&mut stream) => end,
                end = write_loop(&mut sink, &state, &mut handle.frames, &mut handle.close) => end,
                () = expiry => End::Close(revoked(RevokeReason::Expired)),
            };
            (end, Some(conn.principal))
        }
    };
    drop(token);
    let _ = tokio::time::timeout(CLOSE_SEND_TIMEOUT, Box::pin(goodbye(&mut sink, &state, end))).await;
    state.live.unregister(session, handle.id);
    // After the goodbye, so that the close frame never waits for the announcement.
    if let Some(principal) = online {
        Box::pin(state.core.presence.disconnected(&principal)).await;
    }
}

/// Authenticates the connection once more, sends the hello and announces the account online:
/// its caller, or how the connection ends instead.
async fn open(
    state: &AppState,
    token: &str,
    session: SessionId,
    sink: &mut SplitSink<WebSocket, Message>,
) -> Result<Principal, End> {
    let principal = match state.core.auth.authenticate(token).await {
        Ok(principal) => principal,
        Err(magpie_core::Error::AccountDisabled) => return Err(End::Close(revoked(RevokeReason::AccountDisabled))),
        Err(magpie_core::Error::Unauthenticated) => return Err(End::Close(revoked(RevokeReason::Revoked))),
        // The store failed: the token may well be fine, so do not tell the client it is dead.
        Err(_) => {
            return Err(End::Close(CloseCommand {
                code: close_code::INTERNAL_ERROR,
                reason: "internal",
                last_frame: None,
            }));
        }
    };
    let hello = ServerFrame::Hello(wire::Hello {
        session: convert::session(&principal.session, session),
        me: convert::me(&principal.account),
        heartbeat_interval_secs: state.settings.ws_heartbeat_interval_secs,
        idle_timeout_secs: state.settings.ws_idle_timeout_secs,
        frame_bytes_max: state.settings.ws_frame_bytes_max,
    });
    if !send_frame(sink, state, &hello).await {
        return Err(End::Gone);
    }
    state.core.presence.connected(&principal).await;
    Ok(principal)
}

/// Says goodbye as the connection's end asks.
async fn goodbye(sink: &mut SplitSink<WebSocket, Message>, state: &AppState, end: End) {
    match end {
        End::Close(cmd) => {
            if let Some(frame) = &cmd.last_frame {
                send_frame(sink, state, frame).await;
            }
            let close = CloseFrame { code: cmd.code, reason: Utf8Bytes::from_static(cmd.reason) };
            let _ = sink.send(Message::Close(Some(close))).await;
        }
        // The reply to the client's close frame is queued inside the socket: flush it, so
        // that the client sees a clean close.
        End::PeerClosed => {
            let _ = sink.close().await;
        }
        End::Gone => {}
    }
}

/// How a connection ends.
enum End {
    /// The server closes it, with this code, reason and last frame.
    Close(CloseCommand),
    /// The client sent a close frame.
    PeerClosed,
    /// The socket failed or vanished; nothing more can be sent.
    Gone,
}

async fn send_frame(sink: &mut SplitSink<WebSocket, Message>, state: &AppState, frame: &ServerFrame) -> bool {
    let Ok(text) = serde_json::to_string(frame) else { return false };
    state.metrics.ws_frames_out.inc();
    sink.send(Message::Text(text.into())).await.is_ok()
}

/// Resolves when the registry asks this connection to close.
async fn close_requested(close: &mut watch::Receiver<Option<CloseCommand>>) -> End {
    loop {
        if close.changed().await.is_err() {
            return End::Gone;
        }
        if let Some(cmd) = close.borrow_and_update().clone() {
            return End::Close(cmd);
        }
    }
}

/// Writes queued frames and heartbeats until the registry asks the connection to close or
/// the socket fails. A write that does not finish within [`WRITE_TIMEOUT`] (a client that
/// stopped reading) closes the connection as a slow consumer, and a close request is obeyed
/// even while a write is stuck.
async fn write_loop(
    sink: &mut SplitSink<WebSocket, Message>,
    state: &AppState,
    frames: &mut mpsc::Receiver<Frame>,
    close: &mut watch::Receiver<Option<CloseCommand>>,
) -> End {
    let period = Duration::from_secs(state.settings.ws_heartbeat_interval_secs.max(1));
    let mut heartbeat = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    loop {
        let message = tokio::select! {
            biased;
            end = close_requested(close) => return end,
            frame = frames.recv() => match frame {
                Some(frame) => {
                    state.metrics.ws_frames_out.inc();
                    Message::Text(Utf8Bytes::clone(&frame))
                }
                None => return End::Gone,
            },
            _ = heartbeat.tick() => Message::Ping(Default::default()),
        };
        // Whatever else is queued goes out with it, in one flush: under load a connection
        // gets many pushes at once, and one write for all of them saves a syscall each.
        let write = async {
            sink.feed(message).await?;
            for _ in 1..WRITE_BATCH_MAX {
                let Ok(frame) = frames.try_recv() else { break };
                state.metrics.ws_frames_out.inc();
                sink.feed(Message::Text(Utf8Bytes::clone(&frame))).await?;
            }
            sink.flush().await
        };
        tokio::select! {
            biased;
            end = close_requested(close) => return end,
            sent = tokio::time::timeout(WRITE_TIMEOUT, write) => match sent {
                Ok(Ok(())) => {}
                Ok(Err(_)) => return End::Gone,
                Err(_) => return End::Close(slow_consumer()),
            },
        }
    }
}

/// The reading side of one connection: its caller, its rate budget, its reply queue.
struct Connection<'a> {
    state: &'a AppState,
    principal: Principal,
    replies: mpsc::Sender<Frame>,
    budget: FrameBudget,
}

impl<'a> Connection<'a> {
    fn new(state: &'a AppState, principal: Principal, replies: mpsc::Sender<Frame>) -> Self {
        let budget = FrameBudget::new(state.settings.ws_frames_per_sec_max, Instant::now());
        Connection { state, principal, replies, budget }
    }

    /// Reads frames until the client leaves or the connection must be closed.
    async fn read_loop(&mut self, stream: &mut futures_util::stream::SplitStream<WebSocket>) -> End {
        let idle = Duration::from_secs(self.state.settings.ws_idle_timeout_secs.max(1));
        loop {
            let message = match tokio::time::timeout(idle, stream.next()).await {
                Err(_) => {
                    let cmd = CloseCommand { code: close_code::IDLE_TIMEOUT, reason: "idle_timeout", last_frame: None };
                    return End::Close(cmd);
                }
                Ok(None) => return End::Gone,
                Ok(Some(Err(e))) => return too_big(e),
                Ok(Some(Ok(message))) => message,
            };
            // Text, binary and ping frames all count against the rate budget, so that a flood of
            // any of them ends in a 4029 close; pongs answer the server's own pings and are free.
            let is_ping = matches!(message, Message::Ping(_));
            let text = match message {
                Message::Text(text) => Some(text),
                Message::Binary(_) | Message::Ping(_) => None,
                Message::Pong(_) => continue,
                Message::Close(_) => return End::PeerClosed,
            };
            self.state.metrics.ws_frames_in.inc();
            match self.budget.take(Instant::now()) {
                Spend::Granted => {}
                // A flood closes the connection. So does a ping past the budget: no client
                // needs one, and the close replaces the pong the socket would have sent.
                Spend::Exhausted => return End::Close(rate_limited()),
                Spend::Refused if is_ping => return End::Close(rate_limited()),
                Spend::Refused => {
                    let mut err = wire::ErrorBody::new(ErrorCode::RateLimited, "too many frames; slow down").error;
                    err.retry_after_secs = Some(1);
                    let id = text.as_deref().and_then(wire::frame_id);
                    if let Err(close) = self.reply(Answer::Error { id, error: err }) {
                        return End::Close(close);
                    }
                    continue;
                }
            }
            if is_ping {
                continue;
            }
            let answer = match text {
                Some(text) => self.handle_text(&text).await,
                None => {
                    let err = wire::ErrorBody::new(ErrorCode::MalformedFrame, "send JSON text frames, not binary");
                    Answer::Error { id: None, error: err.error }
                }
            };
            if let Err(close) = self.reply(answer) {
                return End::Close(close);
            }
        }
    }

    async fn handle_text(&self, text: &str) -> Answer {
        let frame_max = self.state.settings.ws_frame_bytes_max;
        if text.len() > frame_max {
            let mut err =
                wire::ErrorBody::new(ErrorCode::TooLarge, format!("frames are limited to {frame_max} bytes")).error;
            err.field = Some("frame".to_owned());
            return Answer::Error { id: wire::frame_id(text), error: err };
        }
        let raw: wire::RawRequest<'_> = match serde_json::from_str(text) {
            Ok(raw) => raw,
            Err(e) => {
                let message = format!("not a request frame: {}", error::json_message(&e));
                let err = wire::ErrorBody::new(ErrorCode::MalformedFrame, message).error;
                return Answer::Error { id: wire::frame_id(text), error: err };
            }
        };
        let id = raw.id;
        let request = match raw.request() {
            Ok(request) => request,
            Err(e) => return Answer::Error { id: Some(id), error: error::data_error(&raw.kind, &e) },
        };
        // Boxed: the future of the largest request would otherwise sit inline in every
        // connection's task for its whole life, idle or not.
        match Box::pin(self.dispatch(request)).await {
            Ok(data) => Answer::Reply { id, data },
            Err(error) => Answer::Error { id: Some(id), error },
        }
    }

    async fn dispatch(&self, request: wire::Request) -> Result<Box<RawValue>, wire::ErrorDetail> {
        use wire::Request as R;
        let core = &self.state.core;
        let p = &self.principal;
        if p.session.scope.is_some() && !bot_may(&request) {
            let message = "a bot's token may not make this request (see docs/protocol.md, Bots)";
            return Err(wire::ErrorBody::new(ErrorCode::Forbidden, message).error);
        }
        match request {
            R::Ping(_) => answer(Ok(wire::Empty {})),
            R::GetMe(_) => answer(core.accounts.me(p).await.map(|me| convert::me(&me))),
            R::ListSessions(_) => answer(core.auth.sessions(p).await.map(|sessions| wire::SessionList {
                sessions: sessions.iter().map(|s| convert::session(s, p.session.id)).collect(),
            })),
            R::CreateConversation(r) => answer(ops::create_conversation(core, p, r).await),
            R::GetConversation(r) => answer(ops::get_conversation(core, p, r.conversation).await),
            R::ListConversations(r) => answer(ops::list_conversations(core, p, r).await),
            R::ListMembers(r) => answer(ops::list_members(core, p, r.conversation).await),
            R::AddMembers(r) => answer(ops::add_members(core, p, r.conversation, r.data).await),
            R::RemoveMembers(r) => answer(ops::remove_members(core, p, r.conversation, r.data).await),
            R::Leave(r) => answer(ops::leave(core, p, r.conversation).await),
            R::UpdateGroup(r) => answer(ops::update_group(core, p, r.conversation, r.data).await),
            R::SetRole(r) => {
                let role = r.data.role.ok_or_else(|| missing("role"))?;
                answer(ops::set_role(core, p, r.conversation, &r.data.member, role).await)
            }
            R::TransferOwnership(r) => answer(ops::transfer_ownership(core, p, r.conversation, &r.data.member).await),
            R::MuteMember(r) => {
                answer(ops::mute_member(core, p, r.conversation, &r.data.member, r.data.until_ms).await)
            }
            R::Dissolve(r) => answer(ops::dissolve(core, p, r.conversation).await),
            R::UpdateSettings(r) => answer(ops::update_settings(core, p, r.conversation, r.data).await),
            R::Send(r) => answer(ops::send(core, p, r.conversation, r.data).await),
            R::Forward(r) => answer(ops::forward(core, p, r.conversation, r.data).await),
            R::Edit(r) => answer(ops::edit(core, p, r.conversation, r.seq, r.data).await),
            R::Recall(r) => answer(ops::recall(core, p, r.conversation, r.seq, r.data).await),
            R::React(r) => answer(ops::react(core, p, r.conversation, r.seq, r.data).await),
            R::Hide(r) => answer(ops::hide(core, p, r.conversation, r.data).await.map(|()| wire::Empty {})),
            R::Pin(r) => answer(ops::pin(core, p, r.conversation, r.seq, true).await),
            R::Unpin(r) => answer(ops::pin(core, p, r.conversation, r.seq, false).await),
            R::ListPins(r) => answer(ops::list_pins(core, p, r.conversation).await),
            R::GetMessages(r) => answer(ops::get_messages(core, p, r.conversation, r.data).await),
            R::GetThread(r) => answer(ops::get_thread(core, p, r.conversation, r.root, r.data).await),
            R::UpdateThread(r) => answer(ops::update_thread(core, p, r.conversation, r.root, r.data).await),
            R::ListThreads(r) => answer(ops::list_threads(core, p, r).await),
            R::MarkRead(r) => answer(ops::mark_read(core, p, r.conversation, r.data).await),
            R::MarkDelivered(r) => answer(ops::mark_delivered(core, p, r.conversation, r.data).await),
            R::GetReceipts(r) => {
                let seq = r.seq.ok_or_else(|| missing("seq"))?;
                answer(ops::get_receipts(core, p, r.conversation, seq).await)
            }
            R::Sync(r) => answer(ops::sync(core, p, r).await),
            R::ListContacts(_) => answer(ops::list_contacts(core, p).await),
            R::ListFriendRequests(_) => answer(ops::list_friend_requests(core, p).await),
            R::SendFriendRequest(r) => answer(ops::send_friend_request(core, p, r).await),
            R::AcceptFriendRequest(r) => answer(core.contacts.accept(p, &r.account).await.map(|()| wire::Empty {})),
            R::RejectFriendRequest(r) => answer(core.contacts.reject(p, &r.account).await.map(|()| wire::Empty {})),
            R::RemoveContact(r) => answer(core.contacts.remove(p, &r.account).await.map(|()| wire::Empty {})),
            R::ListBlocked(_) => answer(ops::list_blocked(core, p).await),
            R::Block(r) => answer(core.contacts.block(p, &r.account, true).await.map(|()| wire::Empty {})),
            R::Unblock(r) => answer(core.contacts.block(p, &r.account, false).await.map(|()| wire::Empty {})),
            R::Typing(r) => {
                answer(core.presence.typing(p, ConversationId(r.conversation)).await.map(|()| wire::Empty {}))
            }
            R::SetPresence(r) => answer(ops::set_presence(core, p, r).await),
            R::GetPresence(r) => answer(ops::get_presence(core, p, &r.accounts).await),
            R::ListStickers(_) => answer(ops::list_stickers(core, p).await),
            R::SaveMessage(r) => answer(ops::save_message(core, p, r).await),
            R::ListSaved(r) => answer(ops::list_saved(core, p, r).await),
            R::ListNotifications(r) => answer(ops::list_notifications(core, p, r).await),
            R::ReadNotifications(r) => answer(ops::read_notifications(core, p, r).await),
            R::GetSaved(r) => answer(ops::get_saved(core, p, r.id).await),
            R::UpdateSaved(r) => answer(ops::update_saved(core, p, r.id, r.data).await),
            R::RemoveSaved(r) => answer(ops::remove_saved(core, p, r.id).await.map(|()| wire::Empty {})),
            R::ScheduleMessage(r) => answer(ops::schedule_message(core, p, r.conversation, r.data).await),
            R::ListScheduled(r) => answer(ops::list_scheduled(core, p, r.conversation).await),
            R::GetScheduled(r) => answer(ops::get_scheduled(core, p, r.id).await),
            R::UpdateScheduled(r) => answer(ops::update_scheduled(core, p, r.id, r.data).await),
            R::CancelScheduled(r) => answer(ops::cancel_scheduled(core, p, r.id).await.map(|()| wire::Empty {})),
            R::SendScheduled(r) => answer(ops::send_scheduled(core, p, r.id).await),
            R::SearchMessages(r) => answer(ops::search_messages(core, p, r).await),
            R::SearchFiles(r) => answer(ops::search_files(core, p, r).await),
            R::SearchPeople(r) => answer(ops::search_people(core, p, r).await),
            R::SearchGroups(r) => answer(ops::search_groups(core, p, r).await),
            R::SearchDepartments(r) => answer(ops::search_departments(core, p, r).await),
            R::GetDepartments(_) => answer(ops::department_tree(core, p).await),
            R::ListDepartmentMembers(r) => answer(ops::department_members(core, p, r).await),
            R::GetPlacements(r) => answer(ops::placements(core, p, &r.account).await),
            R::Unknown(kind) => {
                let shown: String = kind.chars().take(64).collect();
                Err(wire::ErrorBody::new(ErrorCode::UnknownFrameType, format!("unknown frame type {shown:?}")).error)
            }
        }
    }

    /// Queues an answer for this connection; a full queue closes it as a slow consumer.
    fn reply(&self, answer: Answer) -> Result<(), CloseCommand> {
        let text = match answer {
            Answer::Reply { id, data } => serde_json::to_string(&ServerFrame::Reply { id, data }),
            Answer::Error { id, error } => {
                self.state.metrics.count_error(error.code);
                serde_json::to_string(&ServerFrame::Error { id, error })
            }
        };
        let text = text.map_err(|_| slow_consumer())?;
        self.replies.try_send(registry::frame(text)).map_err(|_| slow_consumer())
    }
}

/// What a frame costs against a connection's budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Spend {
    /// Within the budget: handle it.
    Granted,
    /// Over the budget: refuse it.
    Refused,
    /// So far over the budget for so long that the connection is closed.
    Exhausted,
}

/// A connection's frame budget: a token bucket of `rate` frames per second with bursts of
/// twice that, and an overdraft of refused frames that drains at the same rate. Past `rate`
/// refused frames net of the drain (a second's worth) the connection is closed. A client a
/// little over the rate keeps getting `rate_limited` answers; a flood is closed within about a
/// second, however its frames are paced (pacing used to reset a count of refusals in a row).
struct FrameBudget {
    rate: f64,
    tokens: f64,
    overdraft: f64,
    at: Instant,
}

impl FrameBudget {
    fn new(frames_per_sec_max: u32, now: Instant) -> FrameBudget {
        let rate = f64::from(frames_per_sec_max.max(1));
        FrameBudget { rate, tokens: rate * 2.0, overdraft: 0.0, at: now }
    }

    fn take(&mut self, now: Instant) -> Spend {
        let earned = now.saturating_duration_since(self.at).as_secs_f64() * self.rate;
        self.at = now;
        self.tokens = (self.tokens + earned).min(self.rate * 2.0);
        self.overdraft = (self.overdraft - earned).max(0.0);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            return Spend::Granted;
        }
        self.overdraft += 1.0;
        if self.overdraft > self.rate { Spend::Exhausted } else { Spend::Refused }
    }
}

fn rate_limited() -> CloseCommand {
    CloseCommand { code: close_code::RATE_LIMITED, reason: "rate_limited", last_frame: None }
}

/// A read error that is a frame over the protocol cap gets a 1009 close; any other read
/// error means the peer is gone or broken, and the socket is dropped without more ado.
fn too_big(err: axum::Error) -> End {
    let inner = err.into_inner();
    match inner.downcast_ref::<tungstenite::Error>() {
        Some(tungstenite::Error::Capacity(_)) => {
            End::Close(CloseCommand { code: close_code::MESSAGE_TOO_BIG, reason: "frame_too_large", last_frame: None })
        }
        _ => End::Gone,
    }
}

/// A request's answer, before it is encoded.
enum Answer {
    Reply { id: u64, data: Box<RawValue> },
    Error { id: Option<u64>, error: wire::ErrorDetail },
}

/// A core result as a reply's `data` (encoded once, straight from its wire type) or an error
/// frame's detail.
/// The requests a bot's token may make over the WebSocket: those of the REST routes it may call
/// (`BOT_ROUTES` in `extract.rs`). Only a token that reads and sends in every conversation of the
/// bot opens a WebSocket at all, so no request here needs more.
fn bot_may(request: &wire::Request) -> bool {
    use wire::Request as R;
    matches!(
        request,
        R::Ping(_)
            | R::GetMe(_)
            | R::CreateConversation(_)
            | R::GetConversation(_)
            | R::ListConversations(_)
            | R::ListMembers(_)
            | R::Send(_)
            | R::Edit(_)
            | R::Recall(_)
            | R::React(_)
            | R::ListPins(_)
            | R::GetMessages(_)
            | R::GetThread(_)
            | R::MarkRead(_)
            | R::Sync(_)
            | R::Typing(_)
            | R::SearchMessages(_)
    )
}

fn answer<T: serde::Serialize>(result: magpie_core::Result<T>) -> Result<Box<RawValue>, wire::ErrorDetail> {
    let value = result.map_err(|e| error::detail(&e))?;
    serde_json::value::to_raw_value(&value)
        .map_err(|e| error::detail(&magpie_core::Error::Internal(format!("encode reply: {e}"))))
}

fn missing(field: &str) -> wire::ErrorDetail {
    let mut err = wire::ErrorBody::new(ErrorCode::MalformedRequest, format!("{field} is required")).error;
    err.field = Some(field.to_owned());
    err
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Spends one frame every `gap` for `frames` frames; the first refusal and the close.
    fn pace(rate: u32, gap: Duration, frames: u32) -> (Option<u32>, Option<u32>) {
        let start = Instant::now();
        let mut budget = FrameBudget::new(rate, start);
        let (mut refused, mut closed) = (None, None);
        for i in 0..frames {
            match budget.take(start + gap * i) {
                Spend::Granted => {}
                Spend::Refused => refused = refused.or(Some(i)),
                Spend::Exhausted => {
                    closed = Some(i);
                    break;
                }
            }
        }
        (refused, closed)
    }

    #[test]
    fn a_client_within_the_rate_is_never_refused() {
        assert_eq!(pace(50, Duration::from_millis(21), 10_000), (None, None));
    }

    #[test]
    fn a_burst_of_twice_the_rate_passes() {
        assert_eq!(pace(50, Duration::ZERO, 100), (None, None));
        assert_eq!(pace(50, Duration::ZERO, 101).0, Some(100));
    }

    #[test]
    fn frames_paced_a_millisecond_apart_are_closed_within_about_a_second() {
        // 1,000 frames a second against 50: the old count of refusals in a row was reset by
        // every token earned in between, so this flood was never closed.
        let (refused, closed) = pace(50, Duration::from_millis(1), 5_000);
        assert!(refused.is_some());
        let closed = closed.unwrap_or(u32::MAX);
        assert!(closed < 1_200, "closed after {closed} frames");
    }

    #[test]
    fn a_client_a_little_over_the_rate_is_refused_but_not_closed() {
        let (refused, closed) = pace(50, Duration::from_millis(18), 20_000);
        assert!(refused.is_some());
        assert_eq!(closed, None);
    }
}
