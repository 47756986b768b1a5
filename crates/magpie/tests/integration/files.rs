//! Files: tus uploads (resume, checksums, termination), dedup, quotas, safe downloads.

use magpie_client::wire::ErrorCode;
use reqwest::Method;

use crate::harness::{EVENTUALLY, TestServer};

const TUS: (&str, &str) = ("tus-resumable", "1.0.0");

fn tus() -> (&'static str, String) {
    (TUS.0, TUS.1.to_owned())
}

fn patch_headers(offset: usize) -> Vec<(&'static str, String)> {
    vec![tus(), ("upload-offset", offset.to_string()), ("content-type", "application/offset+octet-stream".to_owned())]
}

/// Bytes that no type detector recognises.
fn noise(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7919 % 251) as u8 ^ 0x80).collect()
}

#[tokio::test]
async fn a_tus_upload_resumes_after_a_cut_connection_and_downloads_whole() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let c = &alice.client;
    let options = c.request_with(Method::OPTIONS, "/v1/uploads", &[], None).await.unwrap();
    assert_eq!(options.status, 204);
    assert_eq!(options.header("tus-version"), Some("1.0.0"));
    assert!(options.header("tus-extension").unwrap().contains("checksum"));

    let data = noise(300_000);
    let created = c
        .request_with(Method::POST, "/v1/uploads", &[tus(), ("upload-length", data.len().to_string())], None)
        .await
        .unwrap();
    assert_eq!(created.status, 201);
    assert!(created.header("upload-expires").is_some());
    let location = created.header("location").unwrap().to_owned();

    // The PATCH announces all 300 000 bytes, but the connection breaks after 100 000.
    {
        use tokio::io::AsyncWriteExt;
        let addr = server.url.strip_prefix("http://").unwrap();
        let mut socket = tokio::net::TcpStream::connect(addr).await.unwrap();
        let head = format!(
            "PATCH {location} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\nTus-Resumable: 1.0.0\r\n\
             Upload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\nContent-Length: {}\r\n\r\n",
            c.token().unwrap(),
            data.len()
        );
        socket.write_all(head.as_bytes()).await.unwrap();
        socket.write_all(&data[..100_000]).await.unwrap();
        socket.flush().await.unwrap();
        // The sender stops mid-body: the server sees the body end early, records what came,
        // and answers before closing. Wait for that answer, not for the clock.
        socket.shutdown().await.unwrap();
        let mut answer = Vec::new();
        let read = tokio::time::timeout(EVENTUALLY, tokio::io::AsyncReadExt::read_to_end(&mut socket, &mut answer));
        read.await.expect("the server never answered the cut request").unwrap();
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with("HTTP/1.1 422"), "{answer}");
    }
    // The server kept what arrived; the client resumes from there.
    let offset = c.upload_offset(&location).await.unwrap();
    assert!(offset > 0 && offset <= 100_000, "offset {offset}");
    let rest = reqwest::Body::from(data[offset..].to_vec());
    let done = c.request_with(Method::PATCH, &location, &patch_headers(offset), Some(rest)).await.unwrap();
    assert_eq!(done.status, 204);
    assert_eq!(done.header("upload-offset"), Some("300000"));

    let id = location.rsplit('/').next().unwrap();
    assert_eq!(c.download(id).await.unwrap(), data);
    let info = c.file_info(id).await.unwrap();
    assert_eq!((info.size, info.media_type.as_str()), (300_000, "application/octet-stream"));
    // A finished upload still answers HEAD, complete, for a client that missed the last answer.
    assert_eq!(c.upload_offset(&location).await.unwrap(), 300_000);
}

#[tokio::test]
async fn chunks_are_checked_offsets_enforced_and_uploads_terminated() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let c = &alice.client;
    let created =
        c.request_with(Method::POST, "/v1/uploads", &[tus(), ("upload-length", "10".into())], None).await.unwrap();
    let location = created.header("location").unwrap().to_owned();
    use base64::Engine;
    use sha2::Digest;
    let wrong = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(b"other"));
    let mut headers = patch_headers(0);
    headers.push(("upload-checksum", format!("sha256 {wrong}")));
    let r = c.request_with(Method::PATCH, &location, &headers, Some("01234".into())).await.unwrap();
    assert_eq!(r.status, 460);
    assert_eq!(c.upload_offset(&location).await.unwrap(), 0, "a mismatched chunk is discarded");
    let right = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(b"01234"));
    let mut headers = patch_headers(0);
    headers.push(("upload-checksum", format!("sha256 {right}")));
    let r = c.request_with(Method::PATCH, &location, &headers, Some("01234".into())).await.unwrap();
    assert_eq!(r.status, 204);
    // Not at the server's offset: 409. More than the declared length: 413. No version: 412.
    let r = c.request_with(Method::PATCH, &location, &patch_headers(2), Some("xx".into())).await.unwrap();
    assert_eq!(r.status, 409);
    let r = c.request_with(Method::PATCH, &location, &patch_headers(5), Some("0123456789".into())).await.unwrap();
    assert_eq!(r.status, 413);
    assert_eq!(c.upload_offset(&location).await.unwrap(), 5);
    let r = c.request_with(Method::HEAD, &location, &[], None).await.unwrap();
    assert_eq!(r.status, 412);
    let mut plain = patch_headers(5);
    plain[2].1 = "application/octet-stream".into();
    assert_eq!(c.request_with(Method::PATCH, &location, &plain, Some("56789".into())).await.unwrap().status, 415);
    // Someone else's upload does not exist for you.
    let bob = server.user("bob").await;
    assert_eq!(bob.client.request_with(Method::HEAD, &location, &[tus()], None).await.unwrap().status, 404);
    // Termination ends it.
    assert_eq!(c.request_with(Method::DELETE, &location, &[tus()], None).await.unwrap().status, 204);
    assert_eq!(c.request_with(Method::HEAD, &location, &[tus()], None).await.unwrap().status, 404);
}

#[tokio::test]
async fn the_same_content_is_stored_once_and_quotas_count_every_copy() {
    // What the data directory's files hold is part of what this checks, so it runs on the
    // embedded store in either run; a bucket's side is held by the blob conformance suite
    // (magpie_store_tests::blobs) and the store's file checks.
    let server = TestServer::start_embedded(&[("MAGPIE_QUOTA_MIB_PER_ACCOUNT", "1")]).await;
    let alice = server.user("alice").await;
    let data = noise(400_000);
    let a = alice.client.upload(&data, Some("one.bin"), 150_000).await.unwrap();
    let b = alice.client.upload(&data, Some("two.bin"), 1_000_000).await.unwrap();
    assert_ne!(a, b);
    let (ia, ib) = (alice.client.file_info(&a).await.unwrap(), alice.client.file_info(&b).await.unwrap());
    assert_eq!(ia.sha256, ib.sha256);
    let blobs = walk(&server.path("files/sha256"));
    assert_eq!(blobs.len(), 1, "one blob for one content: {blobs:?}");
    // 800 000 bytes used of 1 MiB: another 400 000 does not fit.
    let err = alice.client.upload(&data, None, 1_000_000).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::LimitExceeded));
    let too_big = alice
        .client
        .request_with(Method::POST, "/v1/uploads", &[tus(), ("upload-length", "999999999999".into())], None)
        .await
        .unwrap();
    assert_eq!(too_big.status, 413);
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = vec![];
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() { out.extend(walk(&path)) } else { out.push(path) }
    }
    out
}

#[tokio::test]
async fn downloads_are_typed_by_content_ranged_cached_and_private() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let c = &alice.client;
    // A PNG signature, named as something else: the type comes from the bytes.
    let mut png = png_header(32, 32);
    png.extend(noise(1000));
    let image = c.upload(&png, Some("../../etc/passwd"), 1 << 20).await.unwrap();
    let r = c.request_with(Method::GET, &format!("/v1/files/{image}"), &[], None).await.unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("image/png"));
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(r.header("content-disposition"), Some("inline; filename*=UTF-8''..%2F..%2Fetc%2Fpasswd"));
    let etag = r.header("etag").unwrap().to_owned();
    let cached =
        c.request_with(Method::GET, &format!("/v1/files/{image}"), &[("if-none-match", etag)], None).await.unwrap();
    assert_eq!(cached.status, 304);
    let part = c
        .request_with(Method::GET, &format!("/v1/files/{image}"), &[("range", "bytes=1-3".into())], None)
        .await
        .unwrap();
    assert_eq!(part.status, 206);
    assert_eq!(part.body, b"PNG");
    assert_eq!(part.header("content-range"), Some(format!("bytes 1-3/{}", png.len()).as_str()));
    let outside = c
        .request_with(Method::GET, &format!("/v1/files/{image}"), &[("range", "bytes=99999-".into())], None)
        .await
        .unwrap();
    assert_eq!(outside.status, 416);

    let html = c.upload(b"<html><script>alert(1)</script></html>", Some("page.html"), 1 << 20).await.unwrap();
    let r = c.request_with(Method::GET, &format!("/v1/files/{html}"), &[], None).await.unwrap();
    assert!(r.header("content-disposition").unwrap().starts_with("attachment"));
    assert_ne!(r.header("content-type"), Some("text/html"));

    // Other accounts, other domains, made-up and path-like ids: not found.
    let bob = server.user("bob").await;
    assert_eq!(bob.client.download(&image).await.unwrap_err().code(), Some(ErrorCode::NotFound));
    for id in ["..%2F..%2Fetc%2Fpasswd", "%2e%2e", "f\u{0}", "fＡＡＡＡＡＡＡＡＡＡＡＡＡＡＡＡＡＡＡＡＡＡ"]
    {
        let r = c.request_with(Method::GET, &format!("/v1/files/{id}"), &[], None).await.unwrap();
        assert_eq!(r.status, 404, "{id:?}");
    }
}

#[tokio::test]
async fn a_file_in_a_message_is_readable_by_its_readers_until_recalled() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    assert!(server.admin(&["domain", "add", "other.example"], "").await.status.success());
    let eve = server.login(&server.create("eve@other.example", &[]).await).await;
    let team = crate::harness::group(&alice, "team", &["bob@localhost"]).await;
    let data = noise(5000);
    let id = alice.client.upload(&data, Some("plan.bin"), 1 << 20).await.unwrap();

    // Before any message refers to it, only alice reads it.
    assert_eq!(bob.client.download(&id).await.unwrap_err().code(), Some(ErrorCode::NotFound));
    let msg = magpie_client::wire::SendRequest {
        client_msg_id: "file-1".into(),
        kind: "file".into(),
        body: serde_json::json!({"file": id, "name": "plan.bin", "size": 5000}),
        mentions: vec![],
        mention_all: false,
        reply_to: None,
        thread: None,
        broadcast: false,
    };
    let sent = alice.client.send_message(team.id, &msg).await.unwrap();
    assert_eq!(bob.client.download(&id).await.unwrap(), data);
    for outsider in [&carol, &eve] {
        assert_eq!(outsider.client.download(&id).await.unwrap_err().code(), Some(ErrorCode::NotFound));
    }
    // Nobody shares a file they cannot read.
    let bobs_chat = bob.client.open_direct("carol@localhost").await.unwrap();
    let mut theft = msg.clone();
    theft.client_msg_id = "steal".into();
    let foreign = carol.client.upload(b"carol's secret", None, 1 << 20).await.unwrap();
    theft.body = serde_json::json!({"file": foreign, "name": "x"});
    let err = bob.client.send_message(bobs_chat.id, &theft).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::InvalidField));

    // A recall takes the file back from the readers; the uploader keeps it.
    alice.client.recall(team.id, sent.seq, None).await.unwrap();
    assert_eq!(bob.client.download(&id).await.unwrap_err().code(), Some(ErrorCode::NotFound));
    assert_eq!(alice.client.download(&id).await.unwrap(), data);
}

#[tokio::test]
async fn a_standard_tus_client_resumes_an_interrupted_upload() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let data = noise(400_000);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("upload.bin");
    std::fs::write(&path, &data).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/tus-client/upload.mjs");
    let out = tokio::process::Command::new("node")
        .arg(script)
        .arg(&server.url)
        .arg(alice.client.token().unwrap())
        .arg(&path)
        .output()
        .await
        .expect("node runs (scripts/test installs tus-js-client)");
    assert!(out.status.success(), "tus-js-client failed: {}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let resumed_from = report["resumedFrom"].as_u64().unwrap();
    assert!(resumed_from >= 2 * 64 * 1024, "the second client started over: {report}");
    let id = report["url"].as_str().unwrap().rsplit('/').next().unwrap().to_owned();
    assert_eq!(alice.client.download(&id).await.unwrap(), data);
    assert_eq!(alice.client.file_info(&id).await.unwrap().name.as_deref(), Some("tus-js-client.bin"));
}

#[tokio::test]
async fn expired_uploads_and_files_never_shared_are_deleted_and_their_blobs_with_them() {
    // What the data directory's files hold is part of what this checks, so it runs on the
    // embedded store in either run; a bucket's side is held by the blob conformance suite
    // (magpie_store_tests::blobs) and the store's file checks.
    let mut server = TestServer::start_embedded(&[]).await;
    let alice = server.user("alice").await;
    server.user("bob").await;
    let chat = alice.client.open_direct("bob@localhost").await.unwrap();
    let kept_alone = alice.client.upload(&noise(3000), None, 1 << 20).await.unwrap();
    let shared = alice.client.upload(b"shared content", Some("s.txt"), 1 << 20).await.unwrap();
    let msg = magpie_client::wire::SendRequest {
        client_msg_id: "f1".into(),
        kind: "file".into(),
        body: serde_json::json!({"file": shared, "name": "s.txt"}),
        mentions: vec![],
        mention_all: false,
        reply_to: None,
        thread: None,
        broadcast: false,
    };
    alice.client.send_message(chat.id, &msg).await.unwrap();
    // An upload that expires at once.
    server.restart_with(&[("MAGPIE_UPLOAD_EXPIRY_SECS", "0")]).await;
    let expired = alice
        .client
        .request_with(Method::POST, "/v1/uploads", &[tus(), ("upload-length", "10".into())], None)
        .await
        .unwrap();
    assert_eq!(expired.status, 201);
    assert_eq!(walk(&server.path("files/uploads")).len(), 1);
    assert_eq!(walk(&server.path("files/sha256")).len(), 2);

    // With no grace for unshared files, the pass at start removes all but the shared file.
    // The server prunes before it announces itself, so once it is up the pass is done.
    server.restart_with(&[("MAGPIE_UNSHARED_FILE_RETENTION_SECS", "0")]).await;
    assert_eq!(alice.client.download(&kept_alone).await.unwrap_err().code(), Some(ErrorCode::NotFound));
    assert_eq!(alice.client.download(&shared).await.unwrap(), b"shared content");
    assert!(walk(&server.path("files/uploads")).is_empty());
    assert_eq!(walk(&server.path("files/sha256")).len(), 1, "the unshared file's blob is gone");
}

#[tokio::test]
async fn a_bot_uploads_a_small_file_in_one_request() {
    let server = TestServer::start().await;
    let bot = server.user("bot").await;
    let mut pdf = b"%PDF-1.4\n".to_vec();
    pdf.extend(noise(2000));
    let info = bot.client.upload_once(pdf.clone(), "季度报告.pdf").await.unwrap();
    assert_eq!(
        (info.size, info.media_type.as_str(), info.name.as_deref()),
        (2009, "application/pdf", Some("季度报告.pdf"))
    );
    assert_eq!(bot.client.download(&info.id).await.unwrap(), pdf);
    let err = bot.client.upload_once(vec![0; 16 * 1024 * 1024 + 1], "big.bin").await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::TooLarge));
}

/// The start of a PNG of this size: signature and header chunk, enough to read its size.
fn png_header(width: u32, height: u32) -> Vec<u8> {
    let mut png = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13];
    png.extend_from_slice(b"IHDR");
    png.extend_from_slice(&width.to_be_bytes());
    png.extend_from_slice(&height.to_be_bytes());
    png.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
    png
}

#[tokio::test]
async fn images_report_their_size_and_decompression_bombs_are_refused() {
    // What the data directory's files hold is part of what this checks, so it runs on the
    // embedded store in either run; a bucket's side is held by the blob conformance suite
    // (magpie_store_tests::blobs) and the store's file checks.
    let server = TestServer::start_embedded(&[]).await;
    let alice = server.user("alice").await;
    let small = alice.client.upload_once(png_header(640, 480), "small.png").await.unwrap();
    assert_eq!((small.media_type.as_str(), small.width, small.height), ("image/png", Some(640), Some(480)));
    let bomb = png_header(20_000, 20_000);
    let err = alice.client.upload_once(bomb.clone(), "bomb.png").await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::TooLarge));
    // By tus, too: the last chunk is refused and nothing stays behind.
    let err = alice.client.upload(&bomb, Some("bomb.png"), 1 << 20).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::TooLarge));
    assert_eq!(walk(&server.path("files/sha256")).len(), 1, "only the small image is stored");
    assert!(walk(&server.path("files/uploads")).is_empty());
}

#[tokio::test]
async fn a_signed_link_works_without_a_session_until_it_expires() {
    let mut server = TestServer::start().await;
    let alice = server.user("alice").await;
    let id = alice.client.upload(b"for an img tag", Some("a.txt"), 1 << 20).await.unwrap();
    let link = alice.client.request_with(Method::POST, &format!("/v1/files/{id}/link"), &[], None).await.unwrap();
    assert_eq!(link.status, 200);
    let link: magpie_client::wire::FileLink = serde_json::from_slice(&link.body).unwrap();
    let anonymous = server.anonymous();
    let r = anonymous.request_with(Method::GET, &link.url, &[], None).await.unwrap();
    assert_eq!((r.status, r.body.as_slice()), (200, b"for an img tag".as_slice()));
    // Without the link, no session, no file; a forged signature is nothing either.
    assert_eq!(anonymous.request_with(Method::GET, &format!("/v1/files/{id}"), &[], None).await.unwrap().status, 401);
    let forged = link.url.replace("sig=", "sig=x");
    assert_eq!(anonymous.request_with(Method::GET, &forged, &[], None).await.unwrap().status, 404);
    let later = link.url.replace(&link.expires_at_ms.to_string(), &(link.expires_at_ms + 1).to_string());
    assert_eq!(anonymous.request_with(Method::GET, &later, &[], None).await.unwrap().status, 404);
    // Nobody gets a link to a file they cannot read.
    let bob = server.user("bob").await;
    let r = bob.client.request_with(Method::POST, &format!("/v1/files/{id}/link"), &[], None).await.unwrap();
    assert_eq!(r.status, 404);
    // Links outlive a restart, and stop at their expiry.
    server.restart().await;
    assert_eq!(anonymous.request_with(Method::GET, &link.url, &[], None).await.unwrap().status, 200);
    server.restart_with(&[("MAGPIE_FILE_LINK_TTL_SECS", "0")]).await;
    let link = alice.client.request_with(Method::POST, &format!("/v1/files/{id}/link"), &[], None).await.unwrap();
    let link: magpie_client::wire::FileLink = serde_json::from_slice(&link.body).unwrap();
    assert_eq!(anonymous.request_with(Method::GET, &link.url, &[], None).await.unwrap().status, 404);
}

/// A JPEG of `width`×`height` whose EXIF says to turn it a quarter clockwise (orientation 6),
/// as a phone held upright writes it.
fn sideways_jpeg(width: u32, height: u32) -> Vec<u8> {
    let pixels = image::RgbImage::from_fn(width, height, |x, _| image::Rgb([(x % 256) as u8, 90, 200]));
    let mut jpeg = Vec::new();
    pixels.write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90)).unwrap();
    let mut exif = b"Exif\0\0MM\0\x2a\0\0\0\x08\0\x01".to_vec();
    exif.extend_from_slice(&[0x01, 0x12, 0x00, 0x03, 0, 0, 0, 1, 0x00, 0x06, 0, 0, 0, 0, 0, 0]);
    let mut out = vec![0xff, 0xd8, 0xff, 0xe1];
    out.extend_from_slice(&((exif.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&exif);
    out.extend_from_slice(&jpeg[2..]);
    out
}

#[tokio::test]
async fn images_get_upright_thumbnails_without_metadata_and_a_blurhash() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let photo = sideways_jpeg(600, 200);
    let info = alice.client.upload_once(photo, "IMG_0001.jpg").await.unwrap();
    assert_eq!((info.media_type.as_str(), info.width, info.height), ("image/jpeg", Some(200), Some(600)), "upright");
    let blurhash = info.blurhash.clone().unwrap();
    let sides: Vec<(u32, u32, u32)> = info.thumbnails.iter().map(|t| (t.side, t.width, t.height)).collect();
    assert_eq!(sides, vec![(256, 85, 256), (1024, 200, 600)]);
    let r = alice
        .client
        .request_with(Method::GET, &format!("/v1/files/{}/thumbnail?side=256", info.id), &[], None)
        .await
        .unwrap();
    assert_eq!((r.status, r.header("content-type")), (200, Some("image/jpeg")));
    assert!(r.body.starts_with(&[0xff, 0xd8]));
    assert!(!r.body.windows(4).any(|w| w == b"Exif"), "thumbnails carry no metadata");
    let decoded = image::load_from_memory(&r.body).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (85, 256));
    let missing = alice
        .client
        .request_with(Method::GET, &format!("/v1/files/{}/thumbnail?side=99", info.id), &[], None)
        .await
        .unwrap();
    assert_eq!(missing.status, 404);

    // An image message gets the size and blurhash from its file, for every client to lay out.
    let chat = alice.client.open_direct("bob@localhost").await.unwrap();
    let msg = magpie_client::wire::SendRequest {
        client_msg_id: "img-1".into(),
        kind: "image".into(),
        body: serde_json::json!({"file": info.id}),
        mentions: vec![],
        mention_all: false,
        reply_to: None,
        thread: None,
        broadcast: false,
    };
    alice.client.send_message(chat.id, &msg).await.unwrap();
    let page = bob.client.messages(chat.id, Default::default()).await.unwrap();
    let body = page.entries[0].body.clone().unwrap();
    assert_eq!((body["width"].as_u64(), body["height"].as_u64()), (Some(200), Some(600)));
    assert_eq!(body["blurhash"].as_str(), Some(blurhash.as_str()));
    // Bob, a reader of the message, sees the thumbnail too.
    let r = bob.client.request_with(Method::GET, &format!("/v1/files/{}/thumbnail", info.id), &[], None).await.unwrap();
    assert_eq!(r.status, 200);
}

/// A sideways JPEG whose EXIF also says where it was taken (39°54'27.12" N).
fn located_jpeg() -> (Vec<u8>, Vec<u8>) {
    let pixels = image::RgbImage::from_fn(300, 100, |x, _| image::Rgb([(x % 256) as u8, 90, 200]));
    let mut jpeg = Vec::new();
    pixels.write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90)).unwrap();
    let latitude: Vec<u8> = [39u32, 1, 54, 1, 2712, 100].iter().flat_map(|n| n.to_be_bytes()).collect();
    let mut tiff = b"MM\0\x2a\0\0\0\x08\0\x02".to_vec();
    tiff.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0]); // orientation 6
    tiff.extend_from_slice(&[0x88, 0x25, 0, 4, 0, 0, 0, 1, 0, 0, 0, 38]); // GPS directory at 38
    tiff.extend_from_slice(&[0, 0, 0, 0]);
    tiff.extend_from_slice(&[0, 2]);
    tiff.extend_from_slice(&[0, 1, 0, 2, 0, 0, 0, 2, b'N', 0, 0, 0]); // latitude ref
    tiff.extend_from_slice(&[0, 2, 0, 5, 0, 0, 0, 3, 0, 0, 0, 68]); // latitude at 68
    tiff.extend_from_slice(&[0, 0, 0, 0]);
    tiff.extend_from_slice(&latitude);
    let mut exif = b"Exif\0\0".to_vec();
    exif.extend_from_slice(&tiff);
    let mut out = vec![0xff, 0xd8, 0xff, 0xe1];
    out.extend_from_slice(&((exif.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&exif);
    out.extend_from_slice(&jpeg[2..]);
    (out, latitude)
}

#[tokio::test]
async fn a_photo_loses_where_it_was_taken_but_keeps_its_orientation() {
    let server = TestServer::start().await;
    let alice = server.user("alice").await;
    let (photo, latitude) = located_jpeg();
    assert!(photo.windows(latitude.len()).any(|w| w == latitude.as_slice()));
    let info = alice.client.upload(&photo, Some("beijing.jpg"), 1 << 20).await.unwrap();
    let stored = alice.client.download(&info).await.unwrap();
    assert_eq!(stored.len(), photo.len(), "blanked in place, nothing else changed");
    assert!(!stored.windows(latitude.len()).any(|w| w == latitude.as_slice()), "the latitude is still there");
    let info = alice.client.file_info(&info).await.unwrap();
    assert_eq!((info.width, info.height), (Some(100), Some(300)), "the orientation still applies");
    let upright = image::load_from_memory(&stored).unwrap();
    assert_eq!((upright.width(), upright.height()), (300, 100), "the pixels are the camera's");
}

fn small_png() -> Vec<u8> {
    let pixels = image::RgbaImage::from_fn(64, 64, |x, y| image::Rgba([x as u8 * 4, y as u8 * 4, 0, 255]));
    let mut png = Vec::new();
    pixels.write_with_encoder(image::codecs::png::PngEncoder::new(&mut png)).unwrap();
    png
}

#[tokio::test]
async fn domain_admins_make_sticker_packs_that_every_member_lists_sees_and_sends() {
    let server = TestServer::start().await;
    let admin = server.admin_user("admin").await;
    let alice = server.user("alice").await;
    server.user("bob").await;
    assert!(server.admin(&["domain", "add", "other.example"], "").await.status.success());
    let eve = server.login(&server.create("eve@other.example", &[]).await).await;
    let json = |v: serde_json::Value| Some(reqwest::Body::from(v.to_string()));
    let ct = || ("content-type", "application/json".to_owned());

    let denied = alice
        .client
        .request_with(Method::POST, "/v1/admin/stickers", &[ct()], json(serde_json::json!({"name": "x"})))
        .await
        .unwrap();
    assert_eq!(denied.status, 403);
    let pack = admin
        .client
        .request_with(Method::POST, "/v1/admin/stickers", &[ct()], json(serde_json::json!({"name": "喜鹊"})))
        .await
        .unwrap();
    let pack: magpie_client::wire::StickerPackInfo = serde_json::from_slice(&pack.body).unwrap();
    let image = admin.client.upload_once(small_png(), "wave.png").await.unwrap();
    let path = format!("/v1/admin/stickers/{}/stickers", pack.id);
    let body = json(serde_json::json!({"file": image.id, "emoji": "👋"}));
    let added = admin.client.request_with(Method::POST, &path, &[ct()], body).await.unwrap();
    assert_eq!(added.status, 200);

    // Every member lists the pack, over REST and the WebSocket, and sees the sticker's image.
    let list = alice.client.request_with(Method::GET, "/v1/stickers", &[], None).await.unwrap();
    let list: magpie_client::wire::StickerPackList = serde_json::from_slice(&list.body).unwrap();
    assert_eq!(list.packs.len(), 1);
    let sticker = &list.packs[0].stickers[0];
    assert_eq!(
        (sticker.id.as_str(), sticker.emoji.as_deref(), sticker.width),
        (image.id.as_str(), Some("👋"), Some(64))
    );
    let live = alice.connect().await;
    let over_ws: magpie_client::wire::StickerPackList = live.stickers().await.unwrap();
    assert_eq!(over_ws, list);
    assert_eq!(alice.client.download(&image.id).await.unwrap(), small_png());
    assert_eq!(eve.client.download(&image.id).await.unwrap_err().code(), Some(ErrorCode::NotFound));
    let eves = eve.client.request_with(Method::GET, "/v1/stickers", &[], None).await.unwrap();
    assert_eq!(eves.body, br#"{"packs":[]}"#);

    // Sending one: a sticker of the domain's packs, nothing else.
    let chat = alice.client.open_direct("bob@localhost").await.unwrap();
    let mut msg = magpie_client::text_message("s1", "");
    msg.kind = "sticker".into();
    msg.body = serde_json::json!({"pack": pack.id, "sticker": image.id});
    alice.client.send_message(chat.id, &msg).await.unwrap();
    msg.client_msg_id = "s2".into();
    msg.body = serde_json::json!({"pack": pack.id, "sticker": "fAAAAAAAAAAAAAAAAAAAAAA"});
    assert_eq!(alice.client.send_message(chat.id, &msg).await.unwrap_err().code(), Some(ErrorCode::InvalidField));
    msg.body = serde_json::json!({"pack": "p999", "sticker": image.id});
    assert_eq!(alice.client.send_message(chat.id, &msg).await.unwrap_err().code(), Some(ErrorCode::InvalidField));
}

/// The start of an MP4 whose header says it plays for `ms` milliseconds.
fn mp4(ms: u32) -> Vec<u8> {
    let mut out = vec![0, 0, 0, 20];
    out.extend_from_slice(b"ftypisom\0\0\x02\0isom");
    let mut mvhd = vec![0u8; 100];
    mvhd[12..16].copy_from_slice(&1000u32.to_be_bytes());
    mvhd[16..20].copy_from_slice(&ms.to_be_bytes());
    let mut mvhd_box = ((mvhd.len() + 8) as u32).to_be_bytes().to_vec();
    mvhd_box.extend_from_slice(b"mvhd");
    mvhd_box.extend_from_slice(&mvhd);
    out.extend_from_slice(&((mvhd_box.len() + 8) as u32).to_be_bytes());
    out.extend_from_slice(b"moov");
    out.extend_from_slice(&mvhd_box);
    out.extend(noise(500));
    out
}

#[tokio::test]
async fn videos_take_their_duration_from_their_header_and_kinds_have_their_own_size_limits() {
    let server = TestServer::start_with(&[("MAGPIE_IMAGE_BYTES_MAX", "2000")]).await;
    let alice = server.user("alice").await;
    server.user("bob").await;
    let video = alice.client.upload_once(mp4(4321), "clip.mp4").await.unwrap();
    assert_eq!((video.media_type.as_str(), video.duration_ms), ("video/mp4", Some(4321)));
    let chat = alice.client.open_direct("bob@localhost").await.unwrap();
    let mut msg = magpie_client::text_message("v1", "");
    msg.kind = "video".into();
    msg.body = serde_json::json!({"file": video.id, "duration_ms": 999});
    alice.client.send_message(chat.id, &msg).await.unwrap();
    let page = alice.client.messages(chat.id, Default::default()).await.unwrap();
    assert_eq!(page.entries[0].body.as_ref().unwrap()["duration_ms"], 4321, "the header wins over the client");

    // Images have a smaller limit here than other files.
    let mut big_image = png_header(100, 100);
    big_image.extend(noise(3000));
    let err = alice.client.upload_once(big_image, "big.png").await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::TooLarge));
    assert_eq!(err.detail().unwrap().field.as_deref(), Some("image"));
    alice.client.upload_once(noise(3000), "fine.bin").await.unwrap();
}

#[tokio::test]
async fn an_uploaded_image_is_an_avatar_its_domain_sees_while_it_is_one() {
    use magpie_client::wire::{UpdateGroupRequest, UpdateProfileRequest};
    let mut server = TestServer::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    assert!(server.admin(&["domain", "add", "other.example"], "").await.status.success());
    let eve = server.login(&server.create("eve@other.example", &[]).await).await;
    let avatar = |a: &str| UpdateProfileRequest { avatar: Some(a.to_owned()), ..Default::default() };

    // Alice's own image: once her avatar, everyone of her domain reads it, nobody else.
    let face = alice.client.upload_once(png_header(64, 64), "face.png").await.unwrap().id;
    assert_eq!(bob.client.download(&face).await.unwrap_err().code(), Some(ErrorCode::NotFound));
    let me = alice.client.update_me(&avatar(&face)).await.unwrap();
    assert_eq!(me.profile.avatar.as_deref(), Some(face.as_str()));
    assert_eq!(bob.client.download(&face).await.unwrap(), png_header(64, 64));
    assert_eq!(eve.client.download(&face).await.unwrap_err().code(), Some(ErrorCode::NotFound));

    // Someone else's image, or a file that is not an image, is refused and changes nothing:
    // nobody makes a file they were shown readable by the whole domain.
    let bobs = bob.client.upload_once(png_header(8, 8), "bob.png").await.unwrap().id;
    let text = alice.client.upload(b"not a picture", Some("a.txt"), 1 << 20).await.unwrap();
    for refused in [&bobs, &text] {
        let err = alice.client.update_me(&avatar(refused)).await.unwrap_err();
        assert_eq!(err.code(), Some(ErrorCode::InvalidField), "{refused}");
        assert_eq!(err.detail().unwrap().field.as_deref(), Some("avatar"));
    }
    assert_eq!(bob.client.download(&text).await.unwrap_err().code(), Some(ErrorCode::NotFound));
    assert_eq!(alice.client.me().await.unwrap().profile.avatar.as_deref(), Some(face.as_str()));

    // A group's avatar, set by its admin: its domain reads it.
    let team = crate::harness::group(&alice, "team", &["bob@localhost"]).await;
    let logo = alice.client.upload_once(png_header(32, 32), "logo.png").await.unwrap().id;
    let set_logo = UpdateGroupRequest { avatar: Some(logo.clone()), ..Default::default() };
    let err = bob.client.update_group(team.id, &set_logo).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::Forbidden), "members do not change a group's info");
    alice.client.update_group(team.id, &set_logo).await.unwrap();
    assert_eq!(bob.client.download(&logo).await.unwrap(), png_header(32, 32));
    assert_eq!(eve.client.download(&logo).await.unwrap_err().code(), Some(ErrorCode::NotFound));

    // Avatars in use outlive the retention of files no message refers to; one replaced by a
    // URL is such a file again, and goes.
    server.restart_with(&[("MAGPIE_UNSHARED_FILE_RETENTION_SECS", "0")]).await;
    assert_eq!(bob.client.download(&face).await.unwrap(), png_header(64, 64));
    assert_eq!(bob.client.download(&logo).await.unwrap(), png_header(32, 32));
    alice.client.update_me(&avatar("https://example.com/alice.png")).await.unwrap();
    assert_eq!(bob.client.download(&face).await.unwrap_err().code(), Some(ErrorCode::NotFound));
    server.restart().await;
    assert_eq!(alice.client.download(&face).await.unwrap_err().code(), Some(ErrorCode::NotFound), "pruned");
    assert_eq!(alice.client.download(&logo).await.unwrap(), png_header(32, 32));
}
