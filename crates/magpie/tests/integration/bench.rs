//! A smoke run of every `magpie bench` scenario at tiny scale against a real server, so that
//! the load generator never rots. The figures are not asserted: the bench's own exit status
//! says whether anything was lost or duplicated, and its JSON must carry the counts.

use tokio::process::Command;

use crate::harness::{FAST, PASSWORD, TestServer};

async fn bench(server: &TestServer, admin: &str, scenario: &[&str]) -> serde_json::Value {
    let pid = server.pid().to_string();
    let admin = format!("{admin}:{PASSWORD}");
    let mut args = vec!["bench", "--url", &server.url, "--admin", &admin, "--server-pid", &pid, "--json"];
    args.extend_from_slice(scenario);
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

    let ramp = bench(
        &server,
        &admin,
        &["ramp", "--users", "4", "--start", "20", "--step", "20", "--max-rate", "40", "--step-secs", "1"],
    )
    .await;
    assert!(!ramp["steps"].as_array().unwrap().is_empty(), "{ramp}");
}
