//! TLS in the binary (issue 22): `magpie serve` terminates TLS from certificate files, serves
//! REST over HTTP/1.1 and HTTP/2 and the WebSocket over wss, sends HSTS when asked, reads the
//! files again when they change, and obtains its certificate from an ACME CA (Debian's
//! Pebble, a real RFC 8555 server) by TLS-ALPN-01 on its own listener.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures_util::{SinkExt as _, StreamExt as _};
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName};

use crate::harness::{EVENTUALLY, PASSWORD, TestServer};

/// A certificate authority of the test's own.
struct TestCa {
    pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl TestCa {
    fn new(name: &str) -> TestCa {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(rcgen::DnType::CommonName, name);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::DigitalSignature];
        let key = KeyPair::generate().unwrap();
        let pem = params.self_signed(&key).unwrap().pem();
        TestCa { pem, issuer: Issuer::new(params, key) }
    }

    /// A server certificate for localhost and 127.0.0.1 (PEM chain, PEM key).
    fn leaf(&self) -> (String, String) {
        let params = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        (cert.pem(), key.serialize_pem())
    }

    fn roots(&self) -> rustls::RootCertStore {
        roots_of(&self.pem)
    }
}

fn roots_of(pem: &str) -> rustls::RootCertStore {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    roots
}

fn client_config(roots: rustls::RootCertStore, alpn: &[&[u8]]) -> Arc<rustls::ClientConfig> {
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    // Every handshake in full: a resumed session shows the certificate of the session it
    // resumes, not the one the server presents now.
    config.resumption = rustls::client::Resumption::disabled();
    Arc::new(config)
}

/// Writes `bytes` to `path` as a renewal would: a new file renamed over the old one.
fn replace(path: &Path, bytes: &str) {
    let tmp = path.with_extension("new");
    std::fs::write(&tmp, bytes).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

fn address(server: &TestServer) -> String {
    server.url.strip_prefix("https://").expect("an https:// server").to_owned()
}

/// Opens TLS to the server, offering `alpn`; the handshake's negotiated protocol and the leaf
/// certificate the server presented.
async fn handshake(
    server: &TestServer,
    config: Arc<rustls::ClientConfig>,
    name: &str,
) -> tokio_rustls::client::TlsStream<tokio::net::TcpStream> {
    let tcp = tokio::net::TcpStream::connect(address(server)).await.unwrap();
    let name = ServerName::try_from(name.to_owned()).unwrap();
    tokio_rustls::TlsConnector::from(config).connect(name, tcp).await.unwrap()
}

fn leaf_of(stream: &tokio_rustls::client::TlsStream<tokio::net::TcpStream>) -> Vec<u8> {
    stream.get_ref().1.peer_certificates().unwrap()[0].to_vec()
}

fn der_of(pem: &str) -> Vec<u8> {
    CertificateDer::from_pem_slice(pem.as_bytes()).unwrap().to_vec()
}

/// An HTTP/1.1 client that trusts `roots`.
fn http_client(roots: rustls::RootCertStore) -> reqwest::Client {
    reqwest::Client::builder().use_preconfigured_tls((*client_config(roots, &[b"http/1.1"])).clone()).build().unwrap()
}

/// A server administrator's token, over TLS.
async fn admin_token(server: &TestServer, http: &reqwest::Client, base: &str) -> String {
    let account = server.create("root", &["--server-admin"]).await;
    let login = http
        .post(format!("{base}/v1/auth/login"))
        .json(&serde_json::json!({ "account": account, "password": PASSWORD, "device": "console" }))
        .send()
        .await
        .unwrap();
    login.json::<serde_json::Value>().await.unwrap()["token"].as_str().unwrap().to_owned()
}

/// The console dashboard's `tls`, and the expiry `/metrics` reports.
async fn tls_status(http: &reqwest::Client, base: &str, token: &str) -> (serde_json::Value, i64) {
    let dashboard: serde_json::Value =
        http.get(format!("{base}/v1/admin/dashboard")).bearer_auth(token).send().await.unwrap().json().await.unwrap();
    let metrics = http.get(format!("{base}/metrics")).send().await.unwrap().text().await.unwrap();
    let expiry = metrics
        .lines()
        .find_map(|l| l.strip_prefix("magpie_tls_certificate_expiry_timestamp_seconds "))
        .expect("the expiry gauge")
        .trim()
        .parse()
        .unwrap();
    (dashboard["tls"].clone(), expiry)
}

fn expiry_of(pem: &str) -> i64 {
    let der = der_of(pem);
    x509_parser::parse_x509_certificate(&der).unwrap().1.validity().not_after.timestamp()
}

struct Files {
    _dir: tempfile::TempDir,
    cert: PathBuf,
    key: PathBuf,
}

fn files(pair: &(String, String)) -> Files {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert, &pair.0).unwrap();
    std::fs::write(&key, &pair.1).unwrap();
    Files { _dir: dir, cert, key }
}

#[tokio::test]
async fn https_and_wss_from_certificate_files_with_http2_and_hsts() {
    let ca = TestCa::new("Magpie test CA");
    let pair = ca.leaf();
    let f = files(&pair);
    let server = TestServer::start_with(&[
        ("MAGPIE_TLS_CERT", f.cert.to_str().unwrap()),
        ("MAGPIE_TLS_KEY", f.key.to_str().unwrap()),
        ("MAGPIE_TLS_HSTS_MAX_AGE_SECS", "31536000"),
    ])
    .await;
    assert!(server.url.starts_with("https://"), "{}", server.url);
    let account = server.create("alice", &[]).await;

    // HTTP/1.1 over TLS, as a browser without HTTP/2 or a script would: sign in.
    let http = reqwest::Client::builder()
        .use_preconfigured_tls((*client_config(ca.roots(), &[b"http/1.1"])).clone())
        .build()
        .unwrap();
    let login = http
        .post(format!("{}/v1/auth/login", server.url))
        .json(&serde_json::json!({ "account": account, "password": PASSWORD, "device": "tls test" }))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    assert_eq!(login.version(), reqwest::Version::HTTP_11);
    assert_eq!(login.headers()["strict-transport-security"], "max-age=31536000");
    let token = login.json::<serde_json::Value>().await.unwrap()["token"].as_str().unwrap().to_owned();
    // The web client's page carries it too.
    let page = http.get(format!("{}/", server.url)).send().await.unwrap();
    assert_eq!(page.headers()["strict-transport-security"], "max-age=31536000");

    // HTTP/2 when the client offers it, as browsers do: several requests on one connection.
    let stream = handshake(&server, client_config(ca.roots(), &[b"h2", b"http/1.1"]), "localhost").await;
    assert_eq!(stream.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    assert_eq!(leaf_of(&stream), der_of(&pair.0));
    let (mut send, connection) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(stream),
    )
    .await
    .unwrap();
    tokio::spawn(connection);
    for _ in 0..3 {
        let request = hyper::Request::get(format!("{}/v1/me", server.url))
            .header("authorization", format!("Bearer {token}"))
            .body(http_body_util::Empty::<hyper::body::Bytes>::new())
            .unwrap();
        let response = send.send_request(request).await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.version(), hyper::Version::HTTP_2);
        assert_eq!(response.headers()["strict-transport-security"], "max-age=31536000");
        use http_body_util::BodyExt as _;
        let body = response.into_body().collect().await.unwrap().to_bytes();
        let me: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(me["account"], account.as_str());
    }

    // The WebSocket over wss: the server says hello, and answers a request.
    use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
    let mut request = format!("wss://{}/v1/ws", address(&server)).into_client_request().unwrap();
    request.headers_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    let connector = tokio_tungstenite::Connector::Rustls(client_config(ca.roots(), &[]));
    let (mut ws, _) =
        tokio_tungstenite::connect_async_tls_with_config(request, None, false, Some(connector)).await.unwrap();
    let hello = tokio::time::timeout(EVENTUALLY, ws.next()).await.unwrap().unwrap().unwrap();
    assert!(hello.to_text().unwrap().contains("\"hello\""), "{hello:?}");
    ws.send(tokio_tungstenite::tungstenite::Message::text(r#"{"id":7,"type":"get_me"}"#)).await.unwrap();
    let reply = tokio::time::timeout(EVENTUALLY, ws.next()).await.unwrap().unwrap().unwrap();
    let reply: serde_json::Value = serde_json::from_str(reply.to_text().unwrap()).unwrap();
    assert_eq!((reply["type"].as_str(), reply["id"].as_i64()), (Some("reply"), Some(7)), "{reply}");
    assert_eq!(reply["data"]["account"], account.as_str());

    // Nothing is served in the clear on the TLS port.
    let plain = reqwest::get(format!("http://{}/healthz", address(&server))).await;
    assert!(plain.is_err() || !plain.unwrap().status().is_success());

    // A client that does not trust the CA gets no connection.
    let stranger = TestCa::new("another CA");
    let tcp = tokio::net::TcpStream::connect(address(&server)).await.unwrap();
    let refused = tokio_rustls::TlsConnector::from(client_config(stranger.roots(), &[]))
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await;
    assert!(refused.is_err());
}

#[tokio::test]
async fn a_renewed_certificate_is_served_without_a_restart_and_a_broken_one_is_not() {
    let ca = TestCa::new("Magpie test CA");
    let first = ca.leaf();
    let f = files(&first);
    let server = TestServer::start_logging(&[
        ("MAGPIE_LOG", "warn,magpie::tls=info"),
        ("MAGPIE_TLS_CERT", f.cert.to_str().unwrap()),
        ("MAGPIE_TLS_KEY", f.key.to_str().unwrap()),
    ])
    .await;
    let config = client_config(ca.roots(), &[b"http/1.1"]);
    assert_eq!(leaf_of(&handshake(&server, config.clone(), "localhost").await), der_of(&first.0));
    let http = http_client(ca.roots());
    let token = admin_token(&server, &http, &server.url).await;
    let (status, expiry) = tls_status(&http, &server.url, &token).await;
    assert_eq!(status["source"], "files");
    assert_eq!(status["names"], serde_json::json!(["localhost"]));
    assert_eq!(status["expires_at_ms"], expiry_of(&first.0) * 1000);
    assert!(status.get("error").is_none(), "{status}");
    assert_eq!(expiry, expiry_of(&first.0));
    // A connection opened now lives through the renewal.
    let mut before = handshake(&server, config.clone(), "localhost").await;

    // The renewal writes the key, then the certificate, each renamed into place.
    let second = ca.leaf();
    replace(&f.key, &second.1);
    replace(&f.cert, &second.0);
    server.wait_for_log("TLS certificate reloaded", 1).await;
    assert_eq!(leaf_of(&handshake(&server, config.clone(), "localhost").await), der_of(&second.0));
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    before.write_all(b"GET /healthz HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n").await.unwrap();
    let mut answer = String::new();
    before.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

    // A key that does not fit the certificate keeps the second pair in service. (The renewal
    // above may have been seen half done, with the same warning.)
    let third = ca.leaf();
    let warned = server.log().matches("TLS certificate not reloaded").count();
    replace(&f.key, &third.1);
    server.wait_for_log("TLS certificate not reloaded", warned + 1).await;
    assert_eq!(leaf_of(&handshake(&server, config.clone(), "localhost").await), der_of(&second.0));
    // The console says so, with the certificate still in service.
    let (status, _) = tls_status(&http, &server.url, &token).await;
    assert!(status["error"].as_str().is_some_and(|e| e.contains("does not fit")), "{status}");
    assert_eq!(status["expires_at_ms"], expiry_of(&second.0) * 1000);
    // Its certificate arrives: the third pair is whole, and served.
    replace(&f.cert, &third.0);
    server.wait_for_log("TLS certificate reloaded", 2).await;
    assert_eq!(leaf_of(&handshake(&server, config, "localhost").await), der_of(&third.0));
    let (status, expiry) = tls_status(&http, &server.url, &token).await;
    assert!(status.get("error").is_none(), "{status}");
    assert_eq!(expiry, expiry_of(&third.0));
}

#[tokio::test]
async fn a_server_whose_certificate_files_do_not_load_does_not_start() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.pem");
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_magpie"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("MAGPIE_TLS_CERT", &missing)
        .env("MAGPIE_TLS_KEY", &missing)
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot read the certificate"), "{stderr}");
    assert!(output.stdout.is_empty(), "it never listened");
}

/// Debian's Pebble on free ports, validating TLS-ALPN-01 on `tls_port`.
struct Pebble {
    child: tokio::process::Child,
    directory: String,
    management: String,
    /// The CA of Pebble's own HTTPS (the directory's), made by the test.
    api_ca_pem: PathBuf,
    api_roots: String,
    _dir: tempfile::TempDir,
}

impl Pebble {
    async fn start(tls_port: u16) -> Pebble {
        let dir = tempfile::tempdir().unwrap();
        let ca = TestCa::new("Pebble API CA");
        let (cert, key) = ca.leaf();
        std::fs::write(dir.path().join("api-cert.pem"), &cert).unwrap();
        std::fs::write(dir.path().join("api-key.pem"), &key).unwrap();
        let api_ca_pem = dir.path().join("api-ca.pem");
        std::fs::write(&api_ca_pem, &ca.pem).unwrap();
        let (listen, management) = (free_port(), free_port());
        let config = serde_json::json!({ "pebble": {
            "listenAddress": format!("127.0.0.1:{listen}"),
            "managementListenAddress": format!("127.0.0.1:{management}"),
            "certificate": dir.path().join("api-cert.pem"),
            "privateKey": dir.path().join("api-key.pem"),
            "httpPort": free_port(),
            "tlsPort": tls_port,
            "ocspResponderURL": "",
            "externalAccountBindingRequired": false,
        }});
        let config_path = dir.path().join("pebble.json");
        std::fs::write(&config_path, config.to_string()).unwrap();
        let mut child = tokio::process::Command::new("pebble")
            .arg("-config")
            .arg(&config_path)
            // Validate at once, and accept every good nonce: the test is about Magpie.
            .env("PEBBLE_VA_NOSLEEP", "1")
            .env("PEBBLE_WFE_NONCEREJECT", "0")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("pebble (Debian's package pebble; scripts/test installs it)");
        // Pebble says where it listens once it does.
        use tokio::io::AsyncBufReadExt as _;
        let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let ready = tokio::time::timeout(EVENTUALLY, async {
            while let Some(line) = lines.next_line().await.unwrap() {
                if line.contains("Listening on") {
                    return;
                }
            }
            panic!("pebble ended before it listened");
        })
        .await;
        assert!(ready.is_ok(), "pebble did not start");
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let mut stderr = tokio::io::BufReader::new(child.stderr.take().unwrap()).lines();
        tokio::spawn(async move { while let Ok(Some(_)) = stderr.next_line().await {} });
        Pebble {
            child,
            directory: format!("https://127.0.0.1:{listen}/dir"),
            management: format!("https://127.0.0.1:{management}"),
            api_ca_pem,
            api_roots: ca.pem,
            _dir: dir,
        }
    }

    /// The root Pebble issues under (made anew at each start).
    async fn issuing_root(&self) -> String {
        let client = reqwest::Client::builder()
            .use_preconfigured_tls((*client_config(roots_of(&self.api_roots), &[b"http/1.1"])).clone())
            .build()
            .unwrap();
        client.get(format!("{}/roots/0", self.management)).send().await.unwrap().text().await.unwrap()
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[tokio::test]
async fn a_certificate_from_an_acme_ca_by_tls_alpn_01_kept_across_restarts() {
    let port = free_port();
    let mut pebble = Pebble::start(port).await;
    let listen = format!("127.0.0.1:{port}");
    let mut server = TestServer::start_logging_at(
        &listen,
        &[
            ("MAGPIE_LOG", "warn,magpie::tls=info"),
            ("MAGPIE_TLS_ACME_DOMAINS", "localhost"),
            ("MAGPIE_TLS_ACME_DIRECTORY", &pebble.directory),
            ("MAGPIE_TLS_ACME_DIRECTORY_CA", pebble.api_ca_pem.to_str().unwrap()),
            ("MAGPIE_TLS_ACME_CONTACT", "admin@localhost"),
        ],
    )
    .await;
    assert_eq!(server.url, format!("https://{listen}"));
    server.wait_for_log("TLS certificate obtained by ACME", 1).await;

    // A client that trusts Pebble's root reaches the server by its name.
    let root = pebble.issuing_root().await;
    let config = client_config(roots_of(&root), &[b"http/1.1"]);
    let stream = handshake(&server, config.clone(), "localhost").await;
    let issued = leaf_of(&stream);
    let (_, leaf) = x509_parser::parse_x509_certificate(&issued).unwrap();
    let san = leaf.subject_alternative_name().unwrap().unwrap();
    assert!(format!("{:?}", san.value.general_names).contains("localhost"));
    // The console shows where it came from and when it expires.
    // By its name, as the certificate has no other.
    let http = reqwest::Client::builder()
        .use_preconfigured_tls((*client_config(roots_of(&root), &[b"http/1.1"])).clone())
        .resolve("localhost", listen.parse().unwrap())
        .build()
        .unwrap();
    let base = format!("https://localhost:{port}");
    let token = admin_token(&server, &http, &base).await;
    let (status, expiry) = tls_status(&http, &base, &token).await;
    assert_eq!((status["source"].as_str(), status["names"].clone()), (Some("acme"), serde_json::json!(["localhost"])));
    assert_eq!(expiry, leaf.validity().not_after.timestamp());
    // A client that offers acme-tls/1 among other protocols is an ordinary client: it gets
    // the certificate in service, not a validator's.
    let mixed = handshake(&server, client_config(roots_of(&root), &[b"acme-tls/1", b"http/1.1"]), "localhost").await;
    assert_eq!(leaf_of(&mixed), issued);
    assert_eq!(mixed.get_ref().1.alpn_protocol(), Some(&b"http/1.1"[..]));
    // The key and the certificate are kept, the key readable by the owner alone.
    let kept = server.path("tls/acme/key.pem");
    use std::os::unix::fs::PermissionsExt as _;
    assert_eq!(std::fs::metadata(&kept).unwrap().permissions().mode() & 0o777, 0o600);

    // The CA goes away; a restart presents the kept certificate at once, asking nobody.
    pebble.child.kill().await.unwrap();
    server.restart().await;
    server.wait_for_log("TLS certificate loaded from the ACME cache", 1).await;
    let stream = handshake(&server, config, "localhost").await;
    assert_eq!(leaf_of(&stream), issued);
    assert_eq!(server.log().matches("TLS certificate obtained by ACME").count(), 1);
}
