//! The HTTP server loop: accepts TCP connections and serves them with hyper, with the bounds
//! that keep clients without an account from denying service to others.
//!
//! - **A request head must arrive in time.** hyper's header read timeout runs from the moment a
//!   connection is accepted and again while a kept-alive connection waits for its next request,
//!   so a socket that sends nothing, or half a header (slowloris), is closed after
//!   `header_read_timeout_secs`.
//! - **Bodies and writes must make progress.** A request body that delivers nothing for
//!   `body_idle_timeout_secs` fails; a write that makes no progress for
//!   `write_stall_timeout_secs` fails the connection (a client that stopped reading).
//! - **Connections are bounded**, in all (`connections_max`, kept under the process's open-file
//!   limit by the binary) and per client IP for connections that are not WebSockets
//!   (`http_connections_per_ip_max`). At a bound, the oldest connection that is between
//!   requests (or has not sent one yet) is closed to make room; only when every connection is
//!   busy is the new one turned away. So idle sockets can never lock out a client that sends a
//!   request, and an attacker's sockets churn among themselves.
//!
//! - **TLS, when configured,** must finish its handshake within `header_read_timeout_secs`
//!   (a connection in its handshake is idle: it goes at once to make room); ALPN picks HTTP/2
//!   (bounded to [`H2_STREAMS_MAX`] streams, a [`HEAD_BUFFER_BYTES_MAX`] header list and a
//!   send buffer per stream; no head timeout, but idle ones make room like any other) or
//!   HTTP/1.1, which carries the WebSockets. A connection asked to make room that has not
//!   closed [`EVICTION_GRACE`] later is dropped.
//!
//! WebSockets count toward `connections_max` for as long as they live (their socket carries
//! the same guard), but are never closed to make room: they are bounded by the registry's own
//! limits per session, account, IP and server.

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, Response, StatusCode, header};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tower::ServiceExt;
use tower_http::timeout::TimeoutBody;

use crate::Metrics;

/// Largest request head (request line and headers) read, in bytes; a larger one is refused
/// with 431 by hyper. It also bounds the read buffer each connection may grow.
const HEAD_BUFFER_BYTES_MAX: usize = 64 * 1024;
/// Headers one request may carry.
const HEADERS_MAX: usize = 100;
/// How long the loop backs off when the process is out of file descriptors, after making
/// room, before it accepts again.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(10);
/// Concurrent requests (streams) one HTTP/2 connection may have open.
pub const H2_STREAMS_MAX: u32 = 32;
/// Bytes of response one HTTP/2 stream may have buffered for a client that does not read.
const H2_SEND_BUFFER_BYTES_MAX: usize = 64 * 1024;
/// How long a connection asked to make room may take to close gracefully before it is dropped
/// (a client that ignores HTTP/2's GOAWAY would otherwise keep its place for good).
const EVICTION_GRACE: Duration = Duration::from_secs(5);
/// How often an idle HTTP/2 connection is pinged, and how long the answer may take before the
/// connection is closed as dead.
const H2_KEEPALIVE: Duration = Duration::from_secs(30);

/// Bounds and timings of the connection layer.
#[derive(Debug, Clone, Copy)]
pub struct ConnSettings {
    /// Open TCP connections of the whole server, WebSockets included.
    pub connections_max: usize,
    /// Open connections of one client IP that are not WebSockets; 0 turns the bound off (it
    /// is off behind a trusted proxy, where every connection comes from the proxy).
    pub http_connections_per_ip_max: usize,
    /// Time a client has to send a whole request head, from the connection's start or from
    /// the end of its previous request.
    pub header_read_timeout_secs: u64,
    /// A request body that delivers nothing for this long fails.
    pub body_idle_timeout_secs: u64,
    /// A write that makes no progress for this long ends the connection.
    pub write_stall_timeout_secs: u64,
}

/// What the loop knows of one open connection.
struct ConnState {
    ip: IpAddr,
    /// Requests whose response has not been sent whole yet.
    in_flight: AtomicU32,
    /// Upgraded to a WebSocket: never closed to make room.
    upgraded: AtomicBool,
    /// Asked to close to make room; not counted against the bounds any more.
    evicting: AtomicBool,
    /// Wakes the connection's task when it is asked to close.
    evict: Notify,
}

impl ConnState {
    fn is_evictable(&self) -> bool {
        self.in_flight.load(Ordering::SeqCst) == 0
            && !self.upgraded.load(Ordering::SeqCst)
            && !self.evicting.load(Ordering::SeqCst)
    }
}

/// Every open connection, oldest first (ids rise), and the count of plain HTTP connections
/// per IP.
#[derive(Default)]
struct Table {
    conns: BTreeMap<u64, Arc<ConnState>>,
    http_per_ip: HashMap<IpAddr, usize>,
    /// Connections asked to close that have not closed yet.
    evicting: usize,
    next_id: u64,
}

/// The shared connection table.
pub struct Connections {
    table: Mutex<Table>,
    settings: ConnSettings,
    metrics: Arc<Metrics>,
}

/// Why a new connection was turned away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    ServerFull,
    IpFull,
}

impl Connections {
    fn new(settings: ConnSettings, metrics: Arc<Metrics>) -> Arc<Connections> {
        Arc::new(Connections { table: Mutex::new(Table::default()), settings, metrics })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Admits a new connection from `ip`, closing the oldest idle one (of that IP, or of the
    /// server) if a bound is reached.
    fn admit(self: &Arc<Self>, ip: IpAddr) -> Result<Slot, Refusal> {
        let mut table = self.lock();
        let per_ip_max = self.settings.http_connections_per_ip_max;
        if per_ip_max > 0 && table.http_per_ip.get(&ip).copied().unwrap_or(0) >= per_ip_max {
            self.evict_oldest(&mut table, Some(ip)).ok_or(Refusal::IpFull)?;
        }
        if table.conns.len() - table.evicting >= self.settings.connections_max {
            self.evict_oldest(&mut table, None).ok_or(Refusal::ServerFull)?;
        }
        let id = table.next_id;
        table.next_id += 1;
        let state = Arc::new(ConnState {
            ip,
            in_flight: AtomicU32::new(0),
            upgraded: AtomicBool::new(false),
            evicting: AtomicBool::new(false),
            evict: Notify::new(),
        });
        table.conns.insert(id, state.clone());
        *table.http_per_ip.entry(ip).or_default() += 1;
        self.metrics.tcp_connections.inc();
        Ok(Slot { conns: self.clone(), id, state })
    }

    /// Asks the oldest idle connection (of `ip`, if given) to close; `None` if none is idle.
    fn evict_oldest(&self, table: &mut Table, ip: Option<IpAddr>) -> Option<()> {
        let victim = table.conns.values().find(|c| ip.is_none_or(|ip| c.ip == ip) && c.is_evictable())?.clone();
        victim.evicting.store(true, Ordering::SeqCst);
        table.evicting += 1;
        if let Some(n) = table.http_per_ip.get_mut(&victim.ip) {
            *n = n.saturating_sub(1);
        }
        // notify_one keeps the wake-up if the task is between its polls.
        victim.evict.notify_one();
        self.metrics.connections_evicted.inc();
        Some(())
    }

    /// The connection became a WebSocket: it no longer counts as plain HTTP for its IP.
    fn upgraded(&self, state: &ConnState) {
        let mut table = self.lock();
        if !state.upgraded.swap(true, Ordering::SeqCst)
            && !state.evicting.load(Ordering::SeqCst)
            && let Some(n) = table.http_per_ip.get_mut(&state.ip)
        {
            *n = n.saturating_sub(1);
        }
    }

    fn release(&self, id: u64) {
        let mut table = self.lock();
        let Some(state) = table.conns.remove(&id) else { return };
        if state.evicting.load(Ordering::SeqCst) {
            table.evicting -= 1;
        } else if !state.upgraded.load(Ordering::SeqCst)
            && let Some(n) = table.http_per_ip.get_mut(&state.ip)
        {
            *n = n.saturating_sub(1);
        }
        if table.http_per_ip.get(&state.ip) == Some(&0) {
            table.http_per_ip.remove(&state.ip);
        }
        debug_assert!(table.evicting <= table.conns.len(), "more connections evicting than open");
        self.metrics.tcp_connections.dec();
    }

    /// Open connections that are not WebSockets.
    fn plain_http(&self) -> usize {
        self.lock().conns.values().filter(|c| !c.upgraded.load(Ordering::SeqCst)).count()
    }
}

/// One admitted connection's place in the table, given back when its socket closes (which,
/// for a WebSocket, is when the WebSocket ends: the socket carries the slot).
struct Slot {
    conns: Arc<Connections>,
    id: u64,
    state: Arc<ConnState>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.conns.release(self.id);
    }
}

/// The socket as hyper sees it: it carries the connection's slot, and fails a write that
/// makes no progress for the stall timeout.
struct Socket {
    tcp: TcpStream,
    _slot: Slot,
    stall: Duration,
    stalled_since: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl Socket {
    /// Called when a write-side operation is pending: arms the stall timer (once) and fails
    /// if it has run out.
    fn pending_write(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let stall = self.stall;
        let timer = self.stalled_since.get_or_insert_with(|| Box::pin(tokio::time::sleep(stall)));
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, "write stalled"))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn progressed(&mut self) {
        self.stalled_since = None;
    }
}

impl AsyncRead for Socket {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tcp).poll_read(cx, buf)
    }
}

impl AsyncWrite for Socket {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match Pin::new(&mut self.tcp).poll_write(cx, buf) {
            Poll::Ready(r) => {
                self.progressed();
                Poll::Ready(r)
            }
            Poll::Pending => self.pending_write(cx).map(|r| r.map(|()| 0)),
        }
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match Pin::new(&mut self.tcp).poll_write_vectored(cx, bufs) {
            Poll::Ready(r) => {
                self.progressed();
                Poll::Ready(r)
            }
            Poll::Pending => self.pending_write(cx).map(|r| r.map(|()| 0)),
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.tcp.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match Pin::new(&mut self.tcp).poll_flush(cx) {
            Poll::Ready(r) => {
                self.progressed();
                Poll::Ready(r)
            }
            Poll::Pending => self.pending_write(cx),
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tcp).poll_shutdown(cx)
    }
}

/// Keeps a request counted as in flight until its response body is sent whole (or dropped).
struct InFlight(Arc<ConnState>);

impl InFlight {
    fn start(state: &Arc<ConnState>) -> InFlight {
        state.in_flight.fetch_add(1, Ordering::SeqCst);
        InFlight(state.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A response body that holds its request's [`InFlight`] guard.
struct GuardedBody {
    inner: Body,
    _guard: InFlight,
}

impl http_body::Body for GuardedBody {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// Serves `router` on `listener` until `shutdown` resolves, then stops accepting, lets each
/// connection finish the request it is serving, and returns once every plain HTTP connection
/// has closed (WebSockets are the registry's to close) or `grace` has passed.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    settings: ConnSettings,
    metrics: Arc<Metrics>,
    tls: Option<Arc<rustls::ServerConfig>>,
    shutdown: impl Future<Output = ()>,
    grace: Duration,
) -> io::Result<()> {
    let conns = Connections::new(settings, metrics);
    let tls = tls.map(tokio_rustls::TlsAcceptor::from);
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut closed = Box::pin(stop_tx.closed());
    tokio::pin!(shutdown);
    loop {
        let (tcp, addr) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors (or another transient failure): make room and
                    // try again shortly, instead of spinning on the error.
                    tracing::warn!(error = %e, "accept failed");
                    {
                        let mut table = conns.lock();
                        let _ = conns.evict_oldest(&mut table, None);
                    }
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
        };
        let slot = match conns.admit(addr.ip()) {
            Ok(slot) => slot,
            Err(refusal) => {
                // Closed at once: a flood of refused connections must not hold descriptors.
                conns.metrics.connections_refused.inc();
                tracing::debug!(%addr, ?refusal, "connection refused: every connection is busy");
                drop(tcp);
                continue;
            }
        };
        // Replies and pushes are small frames: send each at once instead of letting Nagle hold
        // it back until the client's delayed ACK (up to 40 ms on Linux).
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot set TCP_NODELAY");
        }
        let conn = Conn { addr, router: router.clone(), settings, conns: conns.clone(), stop: stop_rx.clone() };
        tokio::spawn(serve_connection(tcp, slot, tls.clone(), conn));
    }
    drop(listener);
    let _ = stop_tx.send(true);
    // Wait until the plain HTTP connections are gone (each holds a receiver of the stop
    // signal while hyper serves it), or the grace period ends.
    drop(stop_rx);
    let drained = tokio::time::timeout(grace, &mut closed).await;
    if drained.is_err() {
        tracing::warn!(connections = conns.plain_http(), "HTTP connections still open after the grace period");
    }
    Ok(())
}

/// What serving one connection needs besides its socket.
struct Conn {
    addr: SocketAddr,
    router: Router,
    settings: ConnSettings,
    conns: Arc<Connections>,
    stop: watch::Receiver<bool>,
}

async fn serve_connection(tcp: TcpStream, slot: Slot, tls: Option<tokio_rustls::TlsAcceptor>, conn: Conn) {
    let state = slot.state.clone();
    let socket = Socket {
        tcp,
        _slot: slot,
        stall: Duration::from_secs(conn.settings.write_stall_timeout_secs),
        stalled_since: None,
    };
    match tls {
        None => serve_http1(TokioIo::new(socket), state, conn).await,
        // Boxed: the TLS handshake and HTTP/2 would make every plain connection's task as
        // large as theirs.
        Some(acceptor) => Box::pin(serve_tls(acceptor, socket, state, conn)).await,
    }
}

async fn serve_tls(acceptor: tokio_rustls::TlsAcceptor, socket: Socket, state: Arc<ConnState>, mut conn: Conn) {
    // The handshake is bounded like a request head: a client that opens a socket and stalls
    // in the middle of it is closed after the same time.
    let handshake = Duration::from_secs(conn.settings.header_read_timeout_secs.max(1));
    // A connection in its handshake is idle: asked to make room, or the server stopping, it
    // goes at once.
    let accepted = tokio::select! {
        accepted = tokio::time::timeout(handshake, acceptor.accept(socket)) => accepted,
        () = state.evict.notified() => return,
        _ = conn.stop.wait_for(|s| *s) => return,
    };
    let stream = match accepted {
        Ok(Ok(stream)) => stream,
        Ok(Err(e)) => {
            tracing::debug!(addr = %conn.addr, error = %e, "TLS handshake failed");
            return;
        }
        Err(_) => {
            tracing::debug!(addr = %conn.addr, "TLS handshake timed out");
            return;
        }
    };
    match stream.get_ref().1.alpn_protocol() {
        // A TLS-ALPN-01 validator only looks at the certificate (RFC 8737 §3).
        Some(crate::tls::ALPN_ACME) => {}
        Some(crate::tls::ALPN_H2) => Box::pin(serve_http2(TokioIo::new(stream), state, conn)).await,
        _ => serve_http1(TokioIo::new(stream), state, conn).await,
    }
}

/// The hyper service of one connection: routes each request, counts it as in flight until its
/// response is sent, and marks the connection upgraded when it becomes a WebSocket.
fn service(
    service_state: Arc<ConnState>,
    conn: &Conn,
) -> impl hyper::service::Service<
    Request<Incoming>,
    Response = Response<Body>,
    Error = Infallible,
    Future = impl Future<Output = Result<Response<Body>, Infallible>> + Send + use<>,
> + Clone
+ use<> {
    let (addr, router, conns) = (conn.addr, conn.router.clone(), conn.conns.clone());
    let body_idle = Duration::from_secs(conn.settings.body_idle_timeout_secs.max(1));
    hyper::service::service_fn(move |mut request: Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(addr));
        let guard = InFlight::start(&service_state);
        let wants_upgrade = request.headers().contains_key(header::UPGRADE);
        let request = request.map(|body| Body::new(TimeoutBody::new(body_idle, body)));
        let response = router.clone().oneshot(request);
        let (state, conns) = (service_state.clone(), conns.clone());
        async move {
            let response: Response<Body> = match response.await {
                Ok(r) => r,
                Err(never) => match never {},
            };
            if wants_upgrade && response.status() == StatusCode::SWITCHING_PROTOCOLS {
                conns.upgraded(&state);
            }
            Ok::<_, Infallible>(response.map(|inner| Body::new(GuardedBody { inner, _guard: guard })))
        }
    })
}

async fn serve_http1<I>(io: I, state: Arc<ConnState>, conn: Conn)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(conn.settings.header_read_timeout_secs.max(1)))
        .max_buf_size(HEAD_BUFFER_BYTES_MAX)
        .max_headers(HEADERS_MAX);
    let served = builder.serve_connection(io, service(state.clone(), &conn)).with_upgrades();
    tokio::pin!(served);
    drive(served, |c| c.graceful_shutdown(), &state, conn).await;
}

async fn serve_http2<I>(io: I, state: Arc<ConnState>, conn: Conn)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let mut builder = hyper::server::conn::http2::Builder::new(TokioExecutor::new());
    builder
        .timer(TokioTimer::new())
        .max_concurrent_streams(H2_STREAMS_MAX)
        .max_send_buf_size(H2_SEND_BUFFER_BYTES_MAX)
        .max_header_list_size(HEAD_BUFFER_BYTES_MAX as u32)
        .keep_alive_interval(H2_KEEPALIVE)
        .keep_alive_timeout(H2_KEEPALIVE);
    let served = builder.serve_connection(io, service(state.clone(), &conn));
    tokio::pin!(served);
    drive(served, |c| c.graceful_shutdown(), &state, conn).await;
}

/// Runs a connection to its end, closing it gracefully (the request in progress finishes) when
/// it is asked to make room or the server stops.
async fn drive<F, E>(mut served: Pin<&mut F>, graceful: impl Fn(Pin<&mut F>), state: &ConnState, mut conn: Conn)
where
    F: Future<Output = Result<(), E>>,
    E: std::fmt::Display,
{
    let mut closing = false;
    // Set when the connection is asked to make room: past it, the connection is dropped.
    let mut evicted: Option<Pin<Box<tokio::time::Sleep>>> = None;
    loop {
        tokio::select! {
            result = served.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(addr = %conn.addr, error = %e, "connection ended with an error");
                }
                return;
            }
            () = async { if let Some(deadline) = evicted.as_mut() { deadline.await } else { std::future::pending().await } } => {
                tracing::debug!(addr = %conn.addr, "connection dropped: it did not close when asked to make room");
                return;
            }
            () = state.evict.notified(), if !closing => {
                closing = true;
                evicted = Some(Box::pin(tokio::time::sleep(EVICTION_GRACE)));
                graceful(served.as_mut());
            }
            _ = conn.stop.wait_for(|s| *s), if !closing => {
                closing = true;
                graceful(served.as_mut());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conns(max: usize, per_ip: usize) -> Arc<Connections> {
        let settings = ConnSettings {
            connections_max: max,
            http_connections_per_ip_max: per_ip,
            header_read_timeout_secs: 10,
            body_idle_timeout_secs: 10,
            write_stall_timeout_secs: 10,
        };
        Connections::new(settings, Arc::new(Metrics::new()))
    }

    const A: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1));
    const B: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 2));

    #[test]
    fn at_the_bound_the_oldest_idle_connection_makes_room() {
        let conns = conns(2, 0);
        let first = conns.admit(A).ok();
        let second = conns.admit(A).ok();
        let (Some(first), Some(second)) = (first, second) else { panic!("not admitted") };
        // The first is busy: the second, idle, is the one asked to go.
        let _busy = InFlight::start(&first.state);
        let third = conns.admit(B);
        assert!(third.is_ok());
        assert!(second.state.evicting.load(Ordering::SeqCst));
        assert!(!first.state.evicting.load(Ordering::SeqCst));
        // Everyone is now busy or leaving: the next is refused.
        let third = third.ok();
        let _busy_third = third.as_ref().map(|t| InFlight::start(&t.state));
        assert_eq!(conns.admit(B).err(), Some(Refusal::ServerFull));
        drop(second);
        assert_eq!(conns.lock().evicting, 0);
    }

    #[test]
    fn websockets_are_never_evicted_and_do_not_count_per_ip() {
        let conns = conns(10, 1);
        let Ok(ws) = conns.admit(A) else { panic!("not admitted") };
        conns.upgraded(&ws.state);
        // A's only plain HTTP place is free again.
        let Ok(http) = conns.admit(A) else { panic!("not admitted") };
        // A is at its bound: its idle plain connection goes, the WebSocket stays.
        assert!(conns.admit(A).is_ok());
        assert!(http.state.evicting.load(Ordering::SeqCst));
        assert!(!ws.state.evicting.load(Ordering::SeqCst));
    }

    #[test]
    fn releasing_every_slot_empties_the_table() {
        let conns = conns(3, 2);
        let slots: Vec<Slot> = (0..5).filter_map(|_| conns.admit(A).ok()).collect();
        assert_eq!(slots.len(), 5, "idle ones are evicted to make room");
        drop(slots);
        let table = conns.lock();
        assert!(table.conns.is_empty() && table.http_per_ip.is_empty() && table.evicting == 0);
    }
}
