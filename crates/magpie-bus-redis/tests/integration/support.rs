//! What the tests build on: the shared Redis's URL, a fresh prefix per test, a private Redis
//! that a test may kill and start again, and waits with deadlines.

use std::future::Future;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// How long one test may take before it counts as hung. Generous: the machine may be loaded.
pub const TEST_TIME_MAX: Duration = Duration::from_secs(120);
/// How long a test waits for something that should happen soon (a wake, a reconnect, a TTL).
pub const WAIT_MAX: Duration = Duration::from_secs(30);
/// Pause between two looks at a condition that has no event to wait on (a key's expiry in
/// Redis, a process accepting connections).
const POLL_PAUSE: Duration = Duration::from_millis(50);

/// The shared Redis of this test run.
pub fn redis_url() -> String {
    std::env::var("MAGPIE_TEST_REDIS_URL").unwrap_or_else(|_| {
        panic!("MAGPIE_TEST_REDIS_URL is not set: run scripts/test, or: dir=$(scripts/services up); source $dir/env")
    })
}

/// A deployment prefix no other test uses.
pub fn prefix() -> String {
    format!("test-{:016x}", rand::random::<u64>())
}

/// Runs a test's body, failing it if it outlives [`TEST_TIME_MAX`].
pub async fn within<F: Future<Output = ()>>(test: F) {
    tokio::time::timeout(TEST_TIME_MAX, test).await.expect("the test did not finish in time");
}

/// Waits until `check` holds, looking every [`POLL_PAUSE`], for at most [`WAIT_MAX`].
pub async fn until<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + WAIT_MAX;
    while !check().await {
        assert!(tokio::time::Instant::now() < deadline, "waited {WAIT_MAX:?} for {what}");
        tokio::time::sleep(POLL_PAUSE).await;
    }
}

/// A `redis-server` of one test's own, on a free port and in a temporary directory, that the
/// test may kill and start again on the same port. Killed when dropped.
pub struct PrivateRedis {
    port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

impl PrivateRedis {
    pub async fn start() -> PrivateRedis {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut redis = PrivateRedis { port, dir: tempfile::tempdir().unwrap(), child: None };
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

    /// Starts the server (again) on its port, empty, and waits until it answers.
    pub async fn restart(&mut self) {
        assert!(self.child.is_none(), "the private Redis is running already");
        self.child = Some(spawn_redis(self.port, self.dir.path()));
        let client = redis::Client::open(self.url()).unwrap();
        until("the private Redis to answer", || async {
            let Ok(mut connection) = client.get_multiplexed_async_connection().await else { return false };
            redis::cmd("PING").query_async::<String>(&mut connection).await.is_ok()
        })
        .await;
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.kill();
    }
}

fn spawn_redis(port: u16, dir: &Path) -> Child {
    let log = std::fs::OpenOptions::new().create(true).append(true).open(dir.join("redis.log")).unwrap();
    Command::new("redis-server")
        .args(["--bind", "127.0.0.1", "--port", &port.to_string(), "--save", "", "--appendonly", "no"])
        .arg("--dir")
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("redis-server (Debian's redis-server package) must be installed")
}
