//! `TestServer`: a real server process, and helpers that read like the scenarios they serve.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use magpie_client::{Client, Connection, wire};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};

pub const PASSWORD: &str = "correct horse battery staple";
/// How long a test waits for something that should happen at once.
pub const PROMPTLY: Duration = Duration::from_secs(1);
/// How long a test waits for something that should happen, on a loaded machine.
pub const EVENTUALLY: Duration = Duration::from_secs(10);

/// Settings for tests that create many accounts: cheap password hashing, no per-IP limit.
pub const FAST: &[(&str, &str)] = &[
    ("MAGPIE_ARGON2_MEMORY_KIB", "256"),
    ("MAGPIE_ARGON2_ITERATIONS", "1"),
    ("MAGPIE_REQUESTS_PER_IP_PER_SEC_MAX", "0"),
    ("MAGPIE_REQUESTS_PER_SESSION_PER_SEC_MAX", "0"),
];

pub struct TestServer {
    child: Option<Child>,
    pub url: String,
    /// Shared by the nodes of a [`Cluster`].
    dir: std::sync::Arc<tempfile::TempDir>,
    env: Vec<(String, String)>,
    /// Where the server keeps its state beyond the data directory: nothing for the embedded
    /// defaults; a database and a bus prefix of its own in cluster mode ([`Backend::from_env`]).
    backend: Settings,
    /// The server's open-file limit, if the test sets one (soft and hard alike).
    open_files_max: Option<u64>,
    /// Where the server's log goes, if the test reads it (else to the test's stderr).
    log: Option<PathBuf>,
}

/// A WebSocket without the SDK, for tests of what the SDK would not send or would read for them.
pub type RawSocket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A logged-in account.
pub struct User {
    pub account: String,
    pub client: Client,
    pub login: wire::LoginResponse,
}

impl TestServer {
    pub async fn start() -> TestServer {
        TestServer::start_with(&[]).await
    }

    /// Starts a server with extra `MAGPIE_*` environment settings.
    pub async fn start_with(env: &[(&str, &str)]) -> TestServer {
        let dir = std::sync::Arc::new(tempfile::tempdir().unwrap());
        let env = env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        let backend = Backend::from_env().await;
        let mut server =
            TestServer { child: None, url: String::new(), dir, env, backend, open_files_max: None, log: None };
        server.spawn().await;
        server
    }

    /// Starts a server on the embedded defaults (SQLite in its data directory) whatever the
    /// run's backend, with extra settings.
    pub async fn start_embedded(env: &[(&str, &str)]) -> TestServer {
        TestServer::start_embedded_in(tempfile::tempdir().unwrap(), env).await
    }

    /// Starts a server on the embedded defaults on a data directory the test filled (a restored
    /// backup, say), with extra settings.
    pub async fn start_embedded_in(dir: tempfile::TempDir, env: &[(&str, &str)]) -> TestServer {
        let dir = std::sync::Arc::new(dir);
        let env = env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        let mut server = TestServer {
            child: None,
            url: String::new(),
            dir,
            env,
            backend: Settings::default(),
            open_files_max: None,
            log: None,
        };
        server.spawn().await;
        server
    }

    /// Moves this stopped server onto other backend settings (after `magpie admin migrate`,
    /// say) and starts it again on the same data directory.
    pub async fn start_on(&mut self, backend: Settings) {
        self.backend = backend;
        self.spawn().await;
    }

    /// Starts a server that writes its log to a file the test can read with
    /// [`TestServer::log`], with extra settings (`MAGPIE_LOG` among them).
    pub async fn start_logging(env: &[(&str, &str)]) -> TestServer {
        let dir = std::sync::Arc::new(tempfile::tempdir().unwrap());
        let log = Some(dir.path().join("server.log"));
        let env = env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        let backend = Backend::from_env().await;
        let mut server = TestServer { child: None, url: String::new(), dir, env, backend, open_files_max: None, log };
        server.spawn().await;
        server
    }

    /// [`TestServer::start_logging`] on a given address ("127.0.0.1:PORT"): for a server that
    /// another process must know the port of before it starts.
    pub async fn start_logging_at(listen: &str, env: &[(&str, &str)]) -> TestServer {
        let dir = std::sync::Arc::new(tempfile::tempdir().unwrap());
        let log = Some(dir.path().join("server.log"));
        let env = env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        let backend = Backend::from_env().await;
        let url = format!("http://{listen}");
        let mut server = TestServer { child: None, url, dir, env, backend, open_files_max: None, log };
        server.spawn().await;
        server
    }

    /// Waits until the server's log (see [`TestServer::start_logging`]) holds `needle` at least
    /// `n` times; looks again on each change the file system reports of the log, watched
    /// before the first look so that no line is missed.
    pub async fn wait_for_log(&self, needle: &str, n: usize) {
        use notify::Watcher;
        let path = self.log.clone().expect("a server started with start_logging");
        let (changed, mut changes) = tokio::sync::mpsc::unbounded_channel();
        // Writes only: this function's own reads of the log are events too.
        let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
            if event.is_ok_and(|e| matches!(e.kind, notify::EventKind::Modify(_) | notify::EventKind::Create(_))) {
                let _ = changed.send(());
            }
        })
        .expect("a file system watcher");
        watcher.watch(&path, notify::RecursiveMode::NonRecursive).expect("watching the log");
        let deadline = tokio::time::Instant::now() + EVENTUALLY * 3;
        loop {
            if self.log().matches(needle).count() >= n {
                return;
            }
            let more = tokio::time::timeout_at(deadline, changes.recv()).await;
            assert!(more.is_ok(), "the log never said {needle:?} {n} time(s):\n{}", self.log());
        }
    }

    /// What the server has logged so far (see [`TestServer::start_logging`]).
    pub fn log(&self) -> String {
        self.log.as_ref().map(|p| std::fs::read_to_string(p).unwrap()).unwrap_or_default()
    }

    /// Starts a server whose process may hold at most `open_files_max` open files, as under
    /// the usual default of services and shells (1024), with extra settings.
    pub async fn start_with_open_files(open_files_max: u64, env: &[(&str, &str)]) -> TestServer {
        let dir = std::sync::Arc::new(tempfile::tempdir().unwrap());
        let env = env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        let backend = Backend::from_env().await;
        let open_files_max = Some(open_files_max);
        let mut server = TestServer { child: None, url: String::new(), dir, env, backend, open_files_max, log: None };
        server.spawn().await;
        server
    }

    async fn spawn(&mut self) {
        // prlimit (util-linux) sets the limit on the process it starts, which keeps it.
        let mut command = match self.open_files_max {
            None => Command::new(env!("CARGO_BIN_EXE_magpie")),
            Some(n) => {
                let mut c = Command::new("prlimit");
                c.arg(format!("--nofile={n}:{n}")).arg("--").arg(env!("CARGO_BIN_EXE_magpie"));
                c
            }
        };
        let mut child = command
            .arg("--data-dir")
            .arg(self.dir.path())
            // A restart listens where the first start did, so that clients keep working.
            .args(["serve", "--listen", self.url.split_once("://").map_or("127.0.0.1:0", |(_, address)| address)])
            .env("MAGPIE_LOG", "warn")
            .envs(self.backend.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(Stdio::piped())
            .stderr(match &self.log {
                None => Stdio::inherit(),
                Some(path) => std::fs::OpenOptions::new().create(true).append(true).open(path).unwrap().into(),
            })
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let line = tokio::time::timeout(EVENTUALLY, lines.next_line()).await.unwrap().unwrap().unwrap();
        let url = line.strip_prefix("magpie listening on ").unwrap_or_else(|| panic!("unexpected first line {line:?}"));
        self.url = url.to_owned();
        // Keep draining stdout so that the server never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        self.child = Some(child);
    }

    /// A client that is not logged in.
    pub fn anonymous(&self) -> Client {
        Client::new(&self.url).unwrap()
    }

    /// Runs `magpie admin …` against this server's data directory, feeding `stdin`.
    pub async fn admin(&self, args: &[&str], stdin: &str) -> std::process::Output {
        self.admin_with(args, stdin, &[]).await
    }

    /// [`TestServer::admin`] with extra environment settings.
    pub async fn admin_with(&self, args: &[&str], stdin: &str, env: &[(String, String)]) -> std::process::Output {
        let mut child = Command::new(env!("CARGO_BIN_EXE_magpie"))
            .envs(self.backend.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .arg("--data-dir")
            .arg(self.dir.path())
            .arg("admin")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut input = child.stdin.take().unwrap();
        input.write_all(stdin.as_bytes()).await.unwrap();
        drop(input);
        child.wait_with_output().await.unwrap()
    }

    /// Creates an account with the admin CLI (extra flags such as `--admin` allowed).
    pub async fn create(&self, name: &str, flags: &[&str]) -> String {
        let mut args = vec!["user", "add", name, "--password-stdin"];
        args.extend_from_slice(flags);
        let out = self.admin(&args, &format!("{PASSWORD}\n")).await;
        assert!(out.status.success(), "user add failed: {}", String::from_utf8_lossy(&out.stderr));
        if name.contains('@') { name.to_owned() } else { format!("{name}@localhost") }
    }

    /// Creates an account with the admin CLI and logs it in.
    pub async fn user(&self, name: &str) -> User {
        let account = self.create(name, &[]).await;
        self.login(&account).await
    }

    /// Creates a domain admin of `localhost` and logs it in.
    pub async fn admin_user(&self, name: &str) -> User {
        let account = self.create(name, &["--admin"]).await;
        self.login(&account).await
    }

    /// Logs an existing account in again: a new session, as from another device.
    pub async fn login(&self, account: &str) -> User {
        let (client, login) = self.anonymous().login(account, PASSWORD).await.unwrap();
        User { account: account.to_owned(), client, login }
    }

    /// Opens a WebSocket with `token` in the `Authorization` header, without the SDK: nothing is
    /// read from it yet, not even the `hello`.
    pub async fn raw_websocket(&self, token: &str) -> RawSocket {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
        let url = format!("ws://{}/v1/ws", self.url.strip_prefix("http://").unwrap());
        let mut request = url.into_client_request().unwrap();
        request.headers_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
        tokio_tungstenite::connect_async(request).await.unwrap().0
    }

    /// Stops the server gracefully (SIGTERM) and waits for it to exit; returns its status.
    pub async fn stop(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().unwrap();
        let pid = child.id().unwrap();
        let status = std::process::Command::new("kill").args(["-TERM", &pid.to_string()]).status().unwrap();
        assert!(status.success());
        tokio::time::timeout(Duration::from_secs(30), child.wait()).await.unwrap().unwrap()
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().and_then(|c| c.id()).unwrap()
    }

    /// Kills the server with SIGKILL (no shutdown at all) and waits for it to be gone.
    pub async fn kill(&mut self) {
        let mut child = self.child.take().unwrap();
        child.start_kill().unwrap();
        child.wait().await.unwrap();
    }

    /// Creates `n` accounts `{prefix}{i}` through an admin's REST calls and logs each in.
    /// Start the server with [`FAST`] so that this does not wait on password hashing.
    pub async fn crowd(&self, admin: &User, prefix: &str, n: usize) -> Vec<User> {
        let mut users = Vec::with_capacity(n);
        for i in 0..n {
            let account = format!("{prefix}{i}@localhost");
            let req = wire::CreateAccountRequest {
                account: account.clone(),
                password: PASSWORD.to_owned(),
                display_name: None,
                role: None,
            };
            admin.client.admin_create_account(&req).await.unwrap();
            users.push(self.login(&account).await);
        }
        users
    }

    /// Starts a server that [`TestServer::stop`] stopped, on the same data directory.
    pub async fn restart_stopped(&mut self) {
        self.spawn().await;
    }

    /// Stops the server gracefully and starts it again with other `MAGPIE_*` settings.
    pub async fn restart_with(&mut self, env: &[(&str, &str)]) {
        self.env = env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        self.restart().await;
    }

    /// Stops the server gracefully and starts it again on the same data directory.
    pub async fn restart(&mut self) {
        let status = self.stop().await;
        assert!(status.success(), "server exited with {status}");
        self.spawn().await;
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }
}

/// The nodes of one cluster: servers on one PostgreSQL database and one Redis bus prefix, all
/// in cluster mode whatever the run's backend, sharing one data directory (the files they
/// store and the key that signs file links, as docs/cluster.md asks of a deployment).
pub struct Cluster {
    pub nodes: Vec<TestServer>,
}

impl Cluster {
    /// Starts `n` nodes of a new cluster, with extra `MAGPIE_*` settings.
    pub async fn start(n: usize, env: &[(&str, &str)]) -> Cluster {
        Cluster::start_on(n, env, Backend::fresh().await).await
    }

    /// Starts `n` nodes of a cluster on these backend settings (see [`Backend::on`]).
    pub async fn start_on(n: usize, env: &[(&str, &str)], backend: Settings) -> Cluster {
        let dir = std::sync::Arc::new(tempfile::tempdir().unwrap());
        let env: Vec<(String, String)> = env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        let mut nodes = Vec::with_capacity(n);
        for i in 0..n {
            // The nodes share the data directory; each keeps a search index of its own.
            let mut env = env.clone();
            let index = dir.path().join(format!("search-node-{i}"));
            env.push(("MAGPIE_SEARCH_INDEX_DIR".to_owned(), index.display().to_string()));
            nodes.push(TestServer {
                child: None,
                url: String::new(),
                dir: dir.clone(),
                env,
                backend: backend.clone(),
                open_files_max: None,
                log: None,
            });
        }
        // All at once, as an operator's nodes may start: they migrate the new database once.
        futures_util::future::join_all(nodes.iter_mut().map(TestServer::spawn)).await;
        Cluster { nodes }
    }

    /// Starts one more node, as the first node's settings but with a search index directory
    /// of its own that does not exist yet (a new node), and returns it.
    pub async fn add_node(&mut self) -> &TestServer {
        let first = &self.nodes[0];
        let mut env: Vec<(String, String)> =
            first.env.iter().filter(|(k, _)| k != "MAGPIE_SEARCH_INDEX_DIR").cloned().collect();
        let index = first.dir.path().join(format!("search-node-{}", self.nodes.len()));
        env.push(("MAGPIE_SEARCH_INDEX_DIR".to_owned(), index.display().to_string()));
        let mut node = TestServer {
            child: None,
            url: String::new(),
            dir: first.dir.clone(),
            env,
            backend: first.backend.clone(),
            open_files_max: None,
            log: None,
        };
        node.spawn().await;
        self.nodes.push(node);
        self.nodes.last().unwrap()
    }
}

/// Which deployment the integration suite runs against: the embedded defaults, or (with
/// `MAGPIE_TEST_CLUSTER=1`, as `scripts/test` runs it a second time) cluster mode on the
/// PostgreSQL and Redis that `scripts/services` started.
pub struct Backend;

impl Backend {
    /// Whether this run is in cluster mode.
    pub fn cluster() -> bool {
        std::env::var("MAGPIE_TEST_CLUSTER").is_ok_and(|v| v == "1")
    }

    /// The settings that put one server on a backend of its own: none for the embedded
    /// defaults; in cluster mode a new database and a new bus prefix.
    pub async fn from_env() -> Settings {
        if Backend::cluster() { Backend::fresh().await } else { Settings::default() }
    }

    /// A new, empty PostgreSQL database and a new bus prefix on the run's Redis: the settings
    /// of a cluster of its own, for one server or for every node of one cluster.
    pub async fn fresh() -> Settings {
        let hint = "run scripts/test, or start the services with `dir=$(scripts/services up); source $dir/env`";
        let server = std::env::var("MAGPIE_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| panic!("MAGPIE_TEST_POSTGRES_URL is not set: {hint}"));
        let redis = std::env::var("MAGPIE_TEST_REDIS_URL")
            .unwrap_or_else(|_| panic!("MAGPIE_TEST_REDIS_URL is not set: {hint}"));
        let mut backend = Backend::on(&server, &redis).await;
        backend.vars.extend(Backend::bucket());
        backend
    }

    /// A new prefix in the run's S3 bucket (Garage, from `scripts/services`), with its key.
    pub fn bucket() -> Vec<(String, String)> {
        let var = |name: &str| {
            std::env::var(name).unwrap_or_else(|_| {
                panic!("{name} is not set: run scripts/test, or start the services with `dir=$(scripts/services up); source $dir/env`")
            })
        };
        let url = var("MAGPIE_TEST_S3_URL");
        let prefix = format!("magpie-test-{:016x}", rand::random::<u64>());
        let (bucket, query) = url.split_once('?').expect("an s3:// URL with its endpoint");
        vec![
            ("MAGPIE_BLOBS".to_owned(), format!("{}/{prefix}?{query}", bucket.trim_end_matches('/'))),
            ("MAGPIE_S3_ACCESS_KEY_ID".to_owned(), var("MAGPIE_TEST_S3_ACCESS_KEY_ID")),
            ("MAGPIE_S3_SECRET_ACCESS_KEY".to_owned(), var("MAGPIE_TEST_S3_SECRET_ACCESS_KEY")),
        ]
    }

    /// A new, empty database on the PostgreSQL server at `postgres` and a new bus prefix on
    /// the Redis at `redis`. The database is dropped with the last copy of the settings (the
    /// servers and clusters that use it), so that a run's databases do not fill the disk.
    pub async fn on(postgres: &str, redis: &str) -> Settings {
        let (server, redis) = (postgres.to_owned(), redis.to_owned());
        let name = format!("magpie_test_{:016x}", rand::random::<u64>());
        let (client, connection) = tokio_postgres::connect(&server, tokio_postgres::NoTls).await.unwrap();
        tokio::spawn(connection);
        client.batch_execute(&format!("CREATE DATABASE {name}")).await.unwrap();
        let (base, _) = server.rsplit_once('/').expect("a URL with a database name");
        Settings {
            vars: vec![
                ("MAGPIE_DATABASE".to_owned(), format!("{base}/{name}")),
                ("MAGPIE_DATABASE_POOL_SIZE".to_owned(), "4".to_owned()),
                ("MAGPIE_BUS".to_owned(), redis),
                ("MAGPIE_BUS_PREFIX".to_owned(), name.clone()),
            ],
            _database: Some(std::sync::Arc::new(ScratchDatabase { server, name })),
        }
    }
}

/// Backend settings: the `MAGPIE_*` variables that put a server on them, and the test database
/// they name, if the harness made one.
#[derive(Clone, Default)]
pub struct Settings {
    vars: Vec<(String, String)>,
    /// Held for its drop.
    _database: Option<std::sync::Arc<ScratchDatabase>>,
}

impl Settings {
    pub fn iter(&self) -> std::slice::Iter<'_, (String, String)> {
        self.vars.iter()
    }
}

/// A database the harness made for one test, dropped when the test is done with it (its
/// servers killed by then, or their sessions ended by the drop).
struct ScratchDatabase {
    server: String,
    name: String,
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        let (server, sql) = (self.server.clone(), format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
        // A runtime of its own on a thread of its own: drop may run inside the test's runtime,
        // which cannot be blocked on. A server gone by then (a test's private PostgreSQL) is
        // no error: its database went with it.
        let dropping = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async {
                let connect = tokio_postgres::connect(&server, tokio_postgres::NoTls);
                if let Ok(Ok((client, connection))) = tokio::time::timeout(EVENTUALLY, connect).await {
                    tokio::spawn(connection);
                    let _ = tokio::time::timeout(EVENTUALLY, client.batch_execute(&sql)).await;
                }
            });
        });
        let _ = dropping.join();
    }
}

impl User {
    pub async fn connect(&self) -> Connection {
        self.client.connect().await.unwrap()
    }
}

/// A `file` message naming an uploaded file.
pub fn file_message(id: &str, name: &str, size: usize, client_msg_id: &str) -> wire::SendRequest {
    wire::SendRequest {
        client_msg_id: client_msg_id.into(),
        kind: "file".into(),
        body: serde_json::json!({"file": id, "name": name, "size": size}),
        mentions: vec![],
        mention_all: false,
        reply_to: None,
        thread: None,
        broadcast: false,
    }
}

/// The next `entry` event on a connection, skipping other pushes; panics after [`EVENTUALLY`].
pub async fn next_entry(live: &mut Connection) -> wire::Entry {
    let deadline = tokio::time::Instant::now() + EVENTUALLY;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match live.next_incoming(left).await {
            Some(magpie_client::Incoming::Event(wire::Event::Entry(entry))) => return *entry,
            Some(_) => continue,
            None => panic!("no entry arrived within {EVENTUALLY:?}"),
        }
    }
}

/// The next account event on a connection, skipping other pushes and the notification centre's
/// events (its follower writes them a moment after what caused them, so they come in no fixed
/// order with the rest: tests of the centre read them with [`next_account_event_any`]); panics
/// after [`EVENTUALLY`].
pub async fn next_account_event(live: &mut Connection) -> wire::AccountEventFrame {
    loop {
        let frame = next_account_event_any(live).await;
        if !matches!(
            frame.event,
            wire::AccountEvent::NotificationAdded { .. }
                | wire::AccountEvent::NotificationsRead { .. }
                | wire::AccountEvent::NotificationsRemoved { .. }
        ) {
            return frame;
        }
    }
}

/// The next account event on a connection, whatever it is, skipping other pushes; panics after
/// [`EVENTUALLY`].
pub async fn next_account_event_any(live: &mut Connection) -> wire::AccountEventFrame {
    let deadline = tokio::time::Instant::now() + EVENTUALLY;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match live.next_incoming(left).await {
            Some(magpie_client::Incoming::Event(wire::Event::Account(event))) => return event,
            Some(_) => continue,
            None => panic!("no account event arrived within {EVENTUALLY:?}"),
        }
    }
}

/// The next account event on a connection with a seq above `after`, skipping others: pushes of
/// events committed before the connection opened may still arrive (delivery is at least once;
/// in cluster mode a push can trail its commit by a few milliseconds), and a client skips those
/// by their seq. Panics after [`EVENTUALLY`].
pub async fn next_account_event_after(live: &mut Connection, after: i64) -> wire::AccountEventFrame {
    loop {
        let event = next_account_event(live).await;
        if event.seq > after {
            return event;
        }
    }
}

/// A group owned by `owner` with these members (addresses).
pub async fn group(owner: &User, name: &str, members: &[&str]) -> wire::Conversation {
    let spec = wire::GroupSpec {
        name: name.to_owned(),
        members: members.iter().map(|m| (*m).to_owned()).collect(),
        ..Default::default()
    };
    owner.client.create_conversation(&wire::CreateConversationRequest::Group(spec)).await.unwrap()
}

/// The body text of a `text` entry.
pub fn text_of(entry: &wire::Entry) -> &str {
    entry.body.as_ref().and_then(|b| b.get("text")).and_then(|t| t.as_str()).unwrap_or_default()
}

/// A free TCP port on the loopback interface.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A `redis-server` of one test's own, on a free port and in a temporary directory, that the
/// test may kill and start again on the same port. Killed when dropped.
pub struct PrivateRedis {
    port: u16,
    dir: tempfile::TempDir,
    child: Option<std::process::Child>,
}

impl PrivateRedis {
    pub async fn start() -> PrivateRedis {
        let mut redis = PrivateRedis { port: free_port(), dir: tempfile::tempdir().unwrap(), child: None };
        redis.restart().await;
        redis
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills the server (`SIGKILL`: no goodbye to its clients) and waits until it is gone.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }

    /// Starts the server (again, empty) on its port and waits until it says it takes
    /// connections (its "Ready to accept connections" line).
    pub async fn restart(&mut self) {
        let mut child = std::process::Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &self.port.to_string(), "--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(self.dir.path())
            .stdout(Stdio::piped())
            .spawn()
            .expect("redis-server (Debian's redis-server; scripts/test installs it)");
        let stdout = child.stdout.take().unwrap();
        self.child = Some(child);
        let ready = tokio::task::spawn_blocking(move || {
            use std::io::BufRead;
            let mut lines = std::io::BufReader::new(stdout).lines();
            let ready = lines.by_ref().map_while(Result::ok).any(|l| l.contains("Ready to accept connections"));
            // Keep draining its log, so that the server never blocks on a full pipe.
            std::thread::spawn(move || lines.for_each(drop));
            ready
        });
        let ready = tokio::time::timeout(EVENTUALLY, ready).await.expect("redis-server did not get ready in time");
        assert!(ready.unwrap(), "redis-server exited before it was ready");
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A PostgreSQL server of one test's own (Debian's PostgreSQL 15, as `scripts/services` starts
/// the shared one), on a free port, that the test may stop and start again. Stopped when
/// dropped. Run as the `postgres` user when the tests run as root (PostgreSQL refuses root).
pub struct PrivatePostgres {
    port: u16,
    dir: tempfile::TempDir,
    running: bool,
}

const PG_BIN: &str = "/usr/lib/postgresql/15/bin";

impl PrivatePostgres {
    pub async fn start() -> PrivatePostgres {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let run = dir.path().join("run");
        std::fs::create_dir(&data).unwrap();
        std::fs::create_dir(&run).unwrap();
        if is_root() {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
            let chown = std::process::Command::new("chown").arg("postgres").arg(&data).arg(&run).status().unwrap();
            assert!(chown.success());
        }
        let out = as_postgres(&format!("{PG_BIN}/initdb"))
            .args(["-U", "magpie", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "-D"])
            .arg(&data)
            .output()
            .unwrap();
        assert!(out.status.success(), "initdb: {}", String::from_utf8_lossy(&out.stderr));
        let mut pg = PrivatePostgres { port: free_port(), dir, running: false };
        pg.start_again().await;
        pg
    }

    /// The URL of its default database.
    pub fn url(&self) -> String {
        format!("postgres://magpie@127.0.0.1:{}/postgres", self.port)
    }

    /// Stops the server (fast: open transactions are rolled back, connections cut).
    pub fn stop(&mut self) {
        self.pg_ctl(&["stop", "-m", "fast", "-w"]);
        self.running = false;
    }

    /// Starts the server (again); it takes connections when this returns.
    pub async fn start_again(&mut self) {
        let options = format!(
            "-c listen_addresses=127.0.0.1 -p {} -k {} -c fsync=off -c max_connections=100",
            self.port,
            self.dir.path().join("run").display()
        );
        let log = self.dir.path().join("run").join("server.log");
        self.pg_ctl(&["start", "-w", "-l", log.to_str().unwrap(), "-o", &options]);
        // `pg_ctl start -w` returns once the server takes connections.
        self.running = true;
    }

    fn pg_ctl(&self, args: &[&str]) {
        let data = self.dir.path().join("data");
        let out = as_postgres(&format!("{PG_BIN}/pg_ctl")).arg("-D").arg(&data).args(args).output().unwrap();
        assert!(out.status.success(), "pg_ctl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        if self.running {
            let data = self.dir.path().join("data");
            let _ = as_postgres(&format!("{PG_BIN}/pg_ctl"))
                .arg("-D")
                .arg(&data)
                .args(["stop", "-m", "immediate"])
                .output();
        }
    }
}

fn is_root() -> bool {
    std::process::Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

/// A command run as the `postgres` user when the tests run as root.
fn as_postgres(program: &str) -> std::process::Command {
    if is_root() {
        let mut command = std::process::Command::new("runuser");
        command.args(["-u", "postgres", "--", program]);
        command
    } else {
        std::process::Command::new(program)
    }
}
