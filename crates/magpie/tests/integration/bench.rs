//! A smoke run of every `magpie bench` scenario at tiny scale against a real server (against a
//! two-node cluster for `direct`, and, over XMPP, against Prosody), so that the load generator
//! never rots. The figures are not
//! asserted: the bench's own exit status says whether anything was lost or duplicated, and its
//! JSON must carry the counts.

use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

use crate::harness::{Backend, Cluster, FAST, PASSWORD, TestServer};

async fn bench(server: &TestServer, admin: &str, scenario: &[&str]) -> serde_json::Value {
    let pid = server.pid().to_string();
    let admin = format!("{admin}:{PASSWORD}");
    run(&["bench", "--url", &server.url, "--admin", &admin, "--server-pid", &pid, "--json"], scenario).await
}

/// Runs `magpie` with these options and this scenario; its JSON result, once it succeeded.
async fn run(options: &[&str], scenario: &[&str]) -> serde_json::Value {
    let args = [options, scenario].concat();
    let out = Command::new(env!("CARGO_BIN_EXE_magpie")).args(&args).output().await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "magpie {args:?}: {stdout}{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

#[tokio::test]
async fn every_bench_scenario_runs_against_a_real_server_without_loss() {
    let env: Vec<(&str, &str)> = FAST.iter().copied().chain([("MAGPIE_WS_FRAMES_PER_SEC_MAX", "10000")]).collect();
    let server = TestServer::start_with(&env).await;
    let admin = server.create("benchadmin", &["--admin"]).await;

    let connect = bench(&server, &admin, &["connect", "--connections", "20", "--rate", "200", "--hold", "0"]).await;
    assert_eq!(connect["connections"], 20);
    assert!(connect["server_rss_after_bytes"].as_u64().unwrap() > 0, "{connect}");

    let direct =
        bench(&server, &admin, &["direct", "--users", "6", "--rate", "60", "--duration", "1", "--peers", "2"]).await;
    assert!(direct["acked"].as_u64().unwrap() > 0, "{direct}");
    assert_eq!(direct["delivered"], direct["acked"], "{direct}");
    assert_eq!(direct["lost"], 0);

    let group = bench(&server, &admin, &["group", "--members", "8", "--messages", "5", "--rate", "20"]).await;
    assert_eq!(group["delivered"], 5 * 7, "{group}");

    let sync = bench(&server, &admin, &["sync", "--clients", "3", "--messages", "10"]).await;
    assert_eq!(sync["entries"], 30, "{sync}");
    assert_eq!(sync["gap_free"], true);

    // Up to two attempts per rate, as compare.sh may ask on a busy machine.
    let steps = ["ramp", "--users", "4", "--start", "20", "--step", "20", "--max-rate", "40", "--step-secs", "1"];
    let ramp = bench(&server, &admin, &[&steps[..], &["--tries", "2"]].concat()).await;
    assert!(!ramp["steps"].as_array().unwrap().is_empty(), "{ramp}");
}

/// `webhooks` at tiny scale: the bench's app gets every event of the bot's groups once, in
/// order, signed with the subscription's secret; and the baseline runs without a subscription.
#[tokio::test]
async fn the_webhooks_bench_delivers_every_event_once_in_order_and_signed() {
    let env: Vec<(&str, &str)> = FAST
        .iter()
        .copied()
        .chain([("MAGPIE_WS_FRAMES_PER_SEC_MAX", "10000"), ("MAGPIE_WEBHOOKS_PRIVATE_RANGES_ALLOWED", "127.0.0.1")])
        .collect();
    let server = TestServer::start_with(&env).await;
    let admin = server.create("benchadmin", &["--admin"]).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let listen = format!("127.0.0.1:{port}");
    let small = ["webhooks", "--conversations", "5", "--messages", "50", "--listen", &listen];

    let hooks = bench(&server, &admin, &small).await;
    assert_eq!((&hooks["events"], &hooks["events_expected"]), (&50.into(), &50.into()), "{hooks}");
    for zero in ["duplicates", "order_violations", "bad_signatures", "events_beyond_bound"] {
        assert_eq!(hooks[zero], 0, "{zero}: {hooks}");
    }
    assert!(hooks["requests"].as_u64().unwrap() > 0, "{hooks}");
    assert_eq!(hooks["commit_to_delivery"]["count"], 50, "{hooks}");

    let baseline = bench(&server, &admin, &[&small[..], &["--no-subscription"]].concat()).await;
    assert_eq!((&baseline["subscription"], &baseline["events"]), (&false.into(), &0.into()), "{baseline}");
    assert!(baseline["sends_per_sec"].as_f64().unwrap() > 0.0, "{baseline}");
}

/// `search` at tiny scale: the corpus loads through the server, every probe is found, every
/// query answers; then the same corpus and queries on PostgreSQL (simple FTS and pg_trgm).
#[tokio::test]
async fn the_search_bench_runs_against_a_real_server_and_postgresql() {
    let env: Vec<(&str, &str)> = FAST
        .iter()
        .copied()
        .chain([
            ("MAGPIE_WS_FRAMES_PER_SEC_MAX", "10000"),
            ("MAGPIE_SEARCH_QUERIES_PER_ACCOUNT_PER_MIN_MAX", "1000000"),
        ])
        .collect();
    let server = TestServer::start_with(&env).await;
    let admin = server.create("benchadmin", &["--admin"]).await;
    let small =
        ["search", "--messages", "300", "--users", "8", "--groups", "3", "--idle-probes", "2", "--repeats", "2"];
    let search = bench(&server, &admin, &small).await;
    let magpie = &search["engines"][0];
    assert_eq!(magpie["engine"], "magpie", "{search}");
    assert_eq!(magpie["acked"], 300, "{search}");
    assert_eq!(magpie["probes_never_found"], 0, "{search}");
    assert!(magpie["ack_to_searchable_idle"]["count"].as_u64().unwrap() >= 2, "{search}");
    let queries = magpie["queries"].as_array().unwrap();
    assert!(queries.iter().any(|q| q["q"] == "的" && q["matches"].as_u64().unwrap() > 0), "{search}");

    // The baseline, on a database of its own.
    let backend = Backend::fresh().await;
    let database = backend.iter().find(|(k, _)| k == "MAGPIE_DATABASE").map(|(_, v)| v.as_str()).unwrap();
    let baseline = run(&["bench", "--json"], &[&small[..], &["--postgres", database]].concat()).await;
    let engines: Vec<&str> =
        baseline["engines"].as_array().unwrap().iter().map(|e| e["engine"].as_str().unwrap()).collect();
    assert_eq!(engines, ["postgres-simple", "postgres-trgm"], "{baseline}");
    for engine in baseline["engines"].as_array().unwrap() {
        assert!(engine["index_bytes"].as_u64().unwrap() > 0, "{baseline}");
        assert_eq!(engine["queries"].as_array().unwrap().len(), queries.len(), "{baseline}");
    }
}

#[tokio::test]
async fn the_bench_spreads_its_users_over_the_nodes_of_a_cluster() {
    let env: Vec<(&str, &str)> = FAST.iter().copied().chain([("MAGPIE_WS_FRAMES_PER_SEC_MAX", "10000")]).collect();
    let cluster = Cluster::start(2, &env).await;
    let [a, b] = &cluster.nodes[..] else { unreachable!() };
    let admin = format!("{}:{PASSWORD}", a.create("benchadmin", &["--admin"]).await);
    // Node A's URL given with --url, node B's after a comma; the pids both ways too.
    let (pid_a, pid_b) = (a.pid().to_string(), b.pid().to_string());
    let options = ["bench", "--url", &a.url, "--url", &b.url, "--admin", &admin, "--server-pid", &pid_a];
    let options = [&options[..], &["--server-pid", &pid_b, "--json"]].concat();
    // Users alternate between the nodes, and each chats with the next user (on the other node)
    // and the one after (on its own): half the messages cross from one node to the other.
    let direct = run(&options, &["direct", "--users", "6", "--rate", "60", "--duration", "1", "--peers", "2"]).await;
    assert!(direct["acked"].as_u64().unwrap() > 0, "{direct}");
    assert_eq!(direct["delivered"], direct["acked"], "{direct}");
    assert_eq!(direct["lost"], 0);
    let nodes = direct["nodes"].as_array().unwrap();
    let pids: Vec<String> = nodes.iter().map(|n| n["pid"].to_string()).collect();
    assert_eq!(pids, [pid_a, pid_b], "{direct}");
    assert!(nodes.iter().all(|n| n["cpu_secs"].as_f64().is_some()), "{direct}");
}

/// Prosody, from Debian's package, with `bench/compare.sh`'s config on a free port: what the
/// bench's XMPP driver is checked against.
struct Prosody {
    _dir: tempfile::TempDir,
    child: tokio::process::Child,
    addr: String,
}

impl Prosody {
    async fn start() -> Prosody {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let template = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../bench/prosody.cfg.lua.in"))
            .expect("bench/prosody.cfg.lua.in");
        let config = template
            // To stdout, where the start is awaited.
            .replace("\"@DIR@/prosody.log\"", "\"*console\"")
            .replace("@DIR@", dir.path().to_str().unwrap())
            .replace("@PORT@", &port.to_string())
            .replace("@DOMAIN@", "localhost")
            .replace("@ARCHIVE@", "false")
            .replace("@MAM_MODULE@", "")
            .replace("@MUC_MAM_MODULE@", "");
        std::fs::create_dir_all(dir.path().join("data")).unwrap();
        let path = dir.path().join("prosody.cfg.lua");
        std::fs::write(&path, config).unwrap();
        let mut child = Command::new("prosody")
            .arg("--config")
            .arg(&path)
            .arg("-F")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("prosody (scripts/test installs it)");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let started = async {
            while let Some(line) = lines.next_line().await.unwrap() {
                if line.contains("Activated service 'c2s'") {
                    return;
                }
            }
            panic!("prosody exited before its c2s service started");
        };
        tokio::time::timeout(std::time::Duration::from_secs(30), started).await.expect("prosody's c2s within 30 s");
        // Keep reading, so that a full pipe never stalls it.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Prosody { _dir: dir, child, addr: format!("127.0.0.1:{port}") }
    }

    async fn bench(&self, scenario: &[&str]) -> serde_json::Value {
        let pid = self.child.id().unwrap().to_string();
        let options =
            ["bench", "--target", "xmpp", "--xmpp-addr", &self.addr, "--register", "--server-pid", &pid, "--json"];
        run(&options, scenario).await
    }
}

#[tokio::test]
async fn the_xmpp_driver_runs_every_scenario_against_prosody_without_loss() {
    let prosody = Prosody::start().await;

    let connect = prosody.bench(&["connect", "--connections", "10", "--rate", "200", "--hold", "0"]).await;
    assert_eq!(connect["connections"], 10, "{connect}");

    let direct = prosody.bench(&["direct", "--users", "4", "--rate", "40", "--duration", "1", "--peers", "2"]).await;
    assert!(direct["acked"].as_u64().unwrap() > 0, "{direct}");
    assert_eq!(direct["delivered"], direct["acked"], "{direct}");

    let group = prosody.bench(&["group", "--members", "5", "--messages", "5", "--rate", "20"]).await;
    assert_eq!(group["delivered"], 5 * 4, "{group}");

    let sync = prosody.bench(&["sync", "--clients", "3", "--messages", "5"]).await;
    assert_eq!(sync["entries"], 15, "{sync}");
    assert_eq!(sync["gap_free"], true);
}
