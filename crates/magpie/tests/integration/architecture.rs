//! The invariants of `docs/ARCHITECTURE.md` that a program can check: which crate may depend on
//! which (read from `cargo metadata`, through every dependency, not only the direct ones), where
//! SQL may be written, what the core's source may not reach for, and the lints every crate
//! inherits. ARCHITECTURE.md names each test here beside its invariant: change one, change the
//! other.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

/// Crates that speak HTTP or WebSocket.
const HTTP: &[&str] = &[
    "axum",
    "axum-core",
    "http",
    "http-body",
    "hyper",
    "hyper-util",
    "reqwest",
    "tower",
    "tower-http",
    "tungstenite",
    "tokio-tungstenite",
];
/// Crates that reach a database, a bus, object storage or a directory.
const STORAGE: &[&str] = &[
    "rusqlite",
    "libsqlite3-sys",
    "sqlx",
    "sqlx-core",
    "postgres",
    "tokio-postgres",
    "diesel",
    "redis",
    "object_store",
    "ldap3",
];
/// The protocol's crate and the OpenAPI derives that only the protocol and the transport use.
const WIRE: &[&str] = &["magpie-wire", "utoipa"];
/// What the bench's PostgreSQL baseline (`magpie bench search --postgres`) may depend on: the
/// PostgreSQL client, to measure PostgreSQL's own full-text search as a peer.
const BENCH_BASELINE_CLIENTS: &[&str] = &["tokio-postgres", "postgres-protocol", "postgres-types"];
/// The adapter crates, which decide where state lives: only the binary depends on them.
const ADAPTERS: &[&str] = &[
    "magpie-store-sqlite",
    "magpie-store-postgres",
    "magpie-bus-redis",
    "magpie-blobs",
    "magpie-blobs-s3",
    "magpie-fetch",
    "magpie-push",
    "magpie-ldap",
];
/// Adapters that reach their service over HTTP as its client (S3 is an HTTP API), and the
/// server-side HTTP crates that they still may not reach.
const HTTP_CLIENT_ADAPTERS: &[&str] = &["magpie-blobs-s3", "magpie-fetch", "magpie-push"];
const HTTP_SERVER: &[&str] = &["axum", "axum-core", "tungstenite", "tokio-tungstenite"];

/// The repository's root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// The workspace's crates and their dependencies on this platform, as cargo resolves them.
struct Workspace {
    /// Package id → crate name.
    names: HashMap<String, String>,
    /// Package id → the ids of its normal dependencies (not dev, not build).
    normal: HashMap<String, Vec<String>>,
    /// The workspace's own crates: name → (package id, manifest path).
    members: HashMap<String, (String, PathBuf)>,
}

impl Workspace {
    fn get() -> &'static Workspace {
        static WORKSPACE: OnceLock<Workspace> = OnceLock::new();
        WORKSPACE.get_or_init(Workspace::load)
    }

    fn load() -> Workspace {
        let cargo = env!("CARGO");
        // Only this platform's dependencies: the others need not even be downloaded.
        let version = Command::new(cargo).arg("-vV").output().unwrap();
        let version = String::from_utf8(version.stdout).unwrap();
        let host = version.lines().find_map(|l| l.strip_prefix("host: ")).expect("cargo -vV names the host");
        let out = Command::new(cargo)
            .current_dir(root())
            .args(["metadata", "--format-version", "1", "--locked", "--filter-platform", host])
            .output()
            .unwrap();
        assert!(out.status.success(), "cargo metadata failed:\n{}", String::from_utf8_lossy(&out.stderr));
        let meta: Value = serde_json::from_slice(&out.stdout).unwrap();
        let text = |v: &Value| v.as_str().unwrap().to_owned();
        let mut names = HashMap::new();
        let mut manifests = HashMap::new();
        for package in meta["packages"].as_array().unwrap() {
            names.insert(text(&package["id"]), text(&package["name"]));
            manifests.insert(text(&package["id"]), PathBuf::from(text(&package["manifest_path"])));
        }
        let members = meta["workspace_members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|id| (names[&text(id)].clone(), (text(id), manifests[&text(id)].clone())))
            .collect();
        let mut normal = HashMap::new();
        for node in meta["resolve"]["nodes"].as_array().unwrap() {
            let deps = node["deps"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|d| d["dep_kinds"].as_array().unwrap().iter().any(|k| k["kind"].is_null()))
                .map(|d| text(&d["pkg"]))
                .collect();
            normal.insert(text(&node["id"]), deps);
        }
        Workspace { names, normal, members }
    }

    fn id(&self, member: &str) -> &str {
        &self.members.get(member).unwrap_or_else(|| panic!("{member} is not a crate of the workspace")).0
    }

    /// The names of the crates `member` depends on directly.
    fn direct(&self, member: &str) -> BTreeSet<&str> {
        self.normal[self.id(member)].iter().map(|id| self.names[id].as_str()).collect()
    }

    /// The shortest chain of normal dependencies from `member` to a crate named `to`, if any.
    fn chain(&self, member: &str, to: &str) -> Option<Vec<&str>> {
        let start = self.id(member);
        let mut parent: HashMap<&str, &str> = HashMap::new();
        let mut queue = VecDeque::from([start]);
        while let Some(id) = queue.pop_front() {
            if self.names[id] == to {
                let mut chain = vec![self.names[id].as_str()];
                let mut at = id;
                while let Some(p) = parent.get(at) {
                    chain.push(self.names[*p].as_str());
                    at = p;
                }
                chain.reverse();
                return Some(chain);
            }
            for dep in &self.normal[id] {
                if dep != start && !parent.contains_key(dep.as_str()) {
                    parent.insert(dep, id);
                    queue.push_back(dep);
                }
            }
        }
        None
    }

    /// The chains by which `member` reaches any of `forbidden`, directly or through other crates.
    fn reached(&self, member: &str, forbidden: &[&str]) -> Vec<String> {
        forbidden.iter().filter_map(|name| self.chain(member, name)).map(|chain| chain.join(" → ")).collect()
    }

    /// Asserts that `member` depends on none of `forbidden`, directly or through other crates.
    fn assert_reaches_none(&self, member: &str, forbidden: &[&str], rule: &str) {
        assert_none(&self.reached(member, forbidden), rule);
    }

    /// The workspace's crates other than these.
    fn members_except(&self, except: &[&str]) -> Vec<&str> {
        self.members.keys().map(String::as_str).filter(|m| !except.contains(m)).collect()
    }
}

fn assert_none(found: &[String], rule: &str) {
    assert!(found.is_empty(), "docs/ARCHITECTURE.md: {rule}; but\n  {}", found.join("\n  "));
}

#[test]
fn core_depends_on_no_http_database_or_wire_crate() {
    let ws = Workspace::get();
    let forbidden = [HTTP, STORAGE, WIRE, &ws.members_except(&["magpie-core"])].concat();
    ws.assert_reaches_none("magpie-core", &forbidden, "magpie-core depends on no HTTP, database or wire crate");
}

#[test]
fn wire_depends_on_no_magpie_crate_runtime_http_or_database() {
    let ws = Workspace::get();
    let forbidden = [HTTP, STORAGE, &["tokio"], &ws.members_except(&["magpie-wire"])].concat();
    ws.assert_reaches_none("magpie-wire", &forbidden, "magpie-wire is types: no other Magpie crate, no runtime");
}

#[test]
fn search_depends_on_no_magpie_crate_runtime_http_or_database() {
    let ws = Workspace::get();
    let forbidden = [HTTP, STORAGE, &["tokio"], &ws.members_except(&["magpie-search"])].concat();
    ws.assert_reaches_none(
        "magpie-search",
        &forbidden,
        "magpie-search is an index in a directory: no other Magpie crate, no runtime, no database",
    );
}

#[test]
fn transport_reaches_state_only_through_the_core() {
    let forbidden = [STORAGE, ADAPTERS, &["magpie-store-tests"]].concat();
    Workspace::get().assert_reaches_none("magpie-http", &forbidden, "magpie-http depends on no adapter");
}

#[test]
fn clients_depend_on_the_protocol_alone() {
    let ws = Workspace::get();
    let server = ws.members_except(&["magpie-wire", "magpie-client"]);
    let mut found = vec![];
    for client in ["magpie-client", "magpie-bench"] {
        assert!(ws.chain(client, "magpie-wire").is_some(), "{client} speaks the protocol through magpie-wire");
        let forbidden: Vec<&str> = [STORAGE, &server]
            .concat()
            .into_iter()
            .filter(|c| *c != client)
            // The bench's search baseline measures PostgreSQL itself, as a peer in a database
            // of its own (crates/magpie-bench/src/baseline_pg.rs), never Magpie's.
            .filter(|c| !(client == "magpie-bench" && BENCH_BASELINE_CLIENTS.contains(c)))
            .collect();
        found.extend(ws.reached(client, &forbidden));
    }
    assert_none(&found, "the SDK and the bench see the protocol, not the server");
}

#[test]
fn adapters_and_their_suite_know_no_transport_or_protocol() {
    let ws = Workspace::get();
    let forbidden = [HTTP, WIRE, &["magpie-http", "magpie-client"]].concat();
    let client_forbidden = [HTTP_SERVER, WIRE, &["magpie-http", "magpie-client"]].concat();
    let mut found: Vec<String> = ADAPTERS
        .iter()
        .flat_map(|adapter| {
            let rule = if HTTP_CLIENT_ADAPTERS.contains(adapter) { &client_forbidden } else { &forbidden };
            ws.reached(adapter, rule)
        })
        .collect();
    found.extend(ws.reached("magpie-store-tests", &[&forbidden[..], STORAGE, ADAPTERS].concat()));
    assert_none(&found, "adapters know the core's ports, not the wire; the conformance suite knows no adapter");
}

#[test]
fn only_the_binary_chooses_adapters() {
    let ws = Workspace::get();
    let mut users: Vec<&str> =
        ws.members.keys().map(String::as_str).filter(|m| ADAPTERS.iter().any(|a| ws.direct(m).contains(a))).collect();
    users.sort_unstable();
    assert_eq!(users, ["magpie"], "docs/ARCHITECTURE.md: only the binary depends on an adapter");
}

#[test]
fn only_the_transport_turns_core_types_into_wire_types() {
    let ws = Workspace::get();
    let mut both: Vec<&str> = ws
        .members_except(&["magpie"])
        .into_iter()
        .filter(|m| ws.direct(m).contains("magpie-core") && ws.direct(m).contains("magpie-wire"))
        .collect();
    both.sort_unstable();
    assert_eq!(both, ["magpie-http"], "docs/ARCHITECTURE.md: only magpie-http, of the libraries, sees both sides");
}

/// Every file under `dir` whose name ends with `.{ext}`, leaving out build output and npm's.
fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut found = vec![];
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy();
            if path.is_dir() {
                if !["target", "node_modules", ".git"].contains(&name.as_ref()) {
                    dirs.push(path);
                }
            } else if name.ends_with(&format!(".{ext}")) {
                found.push(path);
            }
        }
    }
    assert!(!found.is_empty(), "no .{ext} file under {}", dir.display());
    found
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

fn shown(path: &Path) -> String {
    path.strip_prefix(root()).unwrap_or(path).display().to_string()
}

/// Does `text` hold an SQL update, `UPDATE <table> SET`?
fn has_update_set(text: &str) -> bool {
    text.match_indices("UPDATE ").any(|(i, m)| {
        let rest = &text[i + m.len()..];
        let table = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
        table > 0 && rest[table..].starts_with(" SET ")
    })
}

#[test]
fn sql_lives_only_in_the_store_adapters() {
    let root = root();
    let adapters = [root.join("crates/magpie-store-sqlite"), root.join("crates/magpie-store-postgres")];
    // The bench's search baseline is a peer's SQL, run on a database of its own.
    let baseline = root.join("crates/magpie-bench/src/baseline_pg.rs");
    let in_adapter = |p: &Path| adapters.iter().any(|a| p.starts_with(a)) || p == baseline;
    // Each keyword with the space that follows it in a statement.
    let keywords: Vec<String> =
        ["SELECT", "INSERT INTO", "INSERT OR", "DELETE FROM", "CREATE TABLE", "CREATE INDEX", "PRAGMA"]
            .iter()
            .map(|k| format!("{k} "))
            .collect();
    let mut found = vec![];
    for dir in [root.join("crates"), root.join("fuzz")] {
        for path in files(&dir, "rs").into_iter().filter(|p| !in_adapter(p)) {
            let text = read(&path);
            found.extend(
                keywords.iter().filter(|k| text.contains(k.as_str())).map(|k| format!("{}: {k:?}", shown(&path))),
            );
            if has_update_set(&text) {
                found.push(format!("{}: an UPDATE … SET", shown(&path)));
            }
        }
    }
    let sql_files = files(&root.join("crates"), "sql");
    found.extend(sql_files.iter().filter(|p| !in_adapter(p)).map(|p| shown(p)));
    assert_none(&found, "SQL lives only in the store adapters");
}

#[test]
fn every_table_is_strict() {
    let mut tables = 0;
    let mut loose = vec![];
    for path in files(&root().join("crates/magpie-store-sqlite/migrations"), "sql") {
        let text = read(&path);
        let sql: Vec<&str> = text.lines().map(|l| l.split("--").next().unwrap_or_default()).collect();
        for statement in sql.join("\n").split(';').filter(|s| s.contains("CREATE TABLE")) {
            tables += 1;
            if !statement.contains("STRICT") {
                loose.push(format!("{}: {}", shown(&path), statement.trim().lines().next().unwrap_or_default()));
            }
        }
    }
    assert!(tables > 0, "the migrations create no table");
    assert_none(&loose, "every table is STRICT");
}

/// The modules `text` names right after `krate::`, including each of a `krate::{a, b::{c}}`.
fn modules_used(text: &str, krate: &str) -> Vec<String> {
    let ident = |s: &str| -> String { s.trim().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect() };
    let prefix = format!("{krate}::");
    let mut modules = vec![];
    for (i, _) in text.match_indices(&prefix) {
        if text[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let rest = &text[i + prefix.len()..];
        let Some(group) = rest.strip_prefix('{') else {
            modules.push(ident(rest));
            continue;
        };
        // The group's items at its own level, up to its closing brace.
        let (mut depth, mut item) = (0, String::new());
        for c in group.chars() {
            match c {
                '}' if depth == 0 => break,
                ',' if depth == 0 => {
                    modules.push(ident(&item));
                    item.clear();
                    continue;
                }
                '{' => depth += 1,
                '}' => depth -= 1,
                _ => {}
            }
            item.push(c);
        }
        modules.push(ident(&item));
    }
    modules
}

#[test]
fn the_core_does_no_io_of_its_own() {
    let root = root();
    let mut found = vec![];
    for path in files(&root.join("crates/magpie-core/src"), "rs") {
        let text = read(&path);
        for krate in ["std", "tokio"] {
            for module in modules_used(&text, krate) {
                // (`io` is allowed: byte streams pass through the core as `AsyncRead`s.)
                if ["fs", "net", "process", "env"].contains(&module.as_str()) {
                    found.push(format!("{}: {krate}::{module}", shown(&path)));
                }
            }
        }
    }
    assert_none(&found, "the core does no IO of its own");
}

#[test]
fn wall_clock_time_comes_from_the_clock_port() {
    let root = root();
    let reads = ["SystemTime::now", "UNIX_EPOCH.elapsed", "now_utc", "Utc::now", "Local::now"];
    let ports = root.join("crates/magpie-core/src/ports.rs");
    let mut found = vec![];
    for src in ["crates/magpie-core/src", "crates/magpie-http/src"] {
        for path in files(&root.join(src), "rs") {
            let text = read(&path);
            // The system clock's one reader: inside `impl Clock for SystemClock { … }`.
            let clock = (path == ports)
                .then(|| text.find("impl Clock for SystemClock {"))
                .flatten()
                .map(|start| start..start + text[start..].find("\n}").unwrap_or(0));
            for read in reads {
                for (i, _) in text.match_indices(read) {
                    if !clock.as_ref().is_some_and(|c| c.contains(&i)) {
                        found.push(format!("{}: {read}", shown(&path)));
                    }
                }
            }
        }
    }
    assert_none(&found, "the core and the transport read the wall clock only through Clock");
}

#[test]
fn every_crate_inherits_the_workspace_lints() {
    let workspace: toml::Table = read(&root().join("Cargo.toml")).parse().unwrap();
    let lints = &workspace["workspace"]["lints"];
    assert_eq!(lints["rust"]["unsafe_code"].as_str(), Some("forbid"));
    assert_eq!(lints["clippy"]["unwrap_used"].as_str(), Some("deny"));
    assert_eq!(lints["clippy"]["expect_used"].as_str(), Some("deny"));
    for (name, (_, manifest)) in &Workspace::get().members {
        let manifest: toml::Table = read(manifest).parse().unwrap();
        let inherits = manifest.get("lints").and_then(|l| l.get("workspace")).and_then(toml::Value::as_bool);
        assert_eq!(inherits, Some(true), "docs/ARCHITECTURE.md: {name} must say [lints] workspace = true");
    }
}
