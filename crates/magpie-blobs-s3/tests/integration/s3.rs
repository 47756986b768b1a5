//! What only the S3 adapter has: the check of bucket and key, errors by what the caller can do
//! about them, and the layout of its objects (the local store's, so that moving one into the
//! other is a copy), chunks included.

use std::time::Duration;

use futures_util::TryStreamExt;
use magpie_blobs_s3::{S3Blobs, S3Config, S3Credentials};
use magpie_core::files::FileId;
use magpie_core::ports::BlobStore;
use magpie_core::{Error, StoreError};
use object_store::aws::AmazonS3Builder;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};

use crate::support::config;

/// A client of the bucket that bypasses the store, to look at its objects.
fn raw(config: &S3Config) -> object_store::aws::AmazonS3 {
    let mut builder = AmazonS3Builder::new()
        .with_bucket_name(&config.bucket)
        .with_region(&config.region)
        .with_access_key_id(&config.credentials.access_key_id)
        .with_secret_access_key(&config.credentials.secret_access_key)
        .with_allow_http(true);
    if let Some(endpoint) = &config.endpoint {
        builder = builder.with_endpoint(endpoint);
    }
    builder.build().unwrap()
}

/// The names of every object under the config's prefix, relative to it, sorted.
async fn objects(config: &S3Config) -> Vec<String> {
    let prefix = Path::parse(&config.prefix).unwrap();
    let listed: Vec<_> = raw(config).list(Some(&prefix)).try_collect().await.unwrap();
    let mut names: Vec<String> = listed
        .iter()
        .map(|meta| meta.location.as_ref().strip_prefix(&format!("{}/", config.prefix)).unwrap().to_owned())
        .collect();
    names.sort();
    names
}

fn reader(bytes: Vec<u8>) -> Box<dyn tokio::io::AsyncRead + Send + Unpin> {
    Box::new(std::io::Cursor::new(bytes))
}

/// `check` passes with the right key on the right bucket, and fails with a wrong secret or on
/// a bucket that is not there; so do the calls of a store configured so.
#[tokio::test]
async fn check_proves_the_bucket_and_the_key() {
    let right = config();
    S3Blobs::open(&right).unwrap().check().await.unwrap();

    let wrong_secret = S3Config {
        credentials: S3Credentials { secret_access_key: "0".repeat(64), ..right.credentials.clone() },
        ..right.clone()
    };
    let store = S3Blobs::open(&wrong_secret).unwrap();
    assert!(matches!(store.check().await, Err(StoreError::Other(_))));
    assert!(matches!(store.put(b"x".to_vec()).await, Err(StoreError::Other(_))));

    let no_bucket = S3Config { bucket: format!("{}-missing", right.bucket), ..right.clone() };
    assert!(matches!(S3Blobs::open(&no_bucket).unwrap().check().await, Err(StoreError::Other(_))));
}

/// A server that does not answer makes every call fail as `Unavailable` (worth retrying),
/// once the retries run out.
#[tokio::test]
async fn a_server_that_does_not_answer_is_unavailable() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let config = S3Config {
        endpoint: Some(format!("http://127.0.0.1:{port}")),
        retry_timeout: Duration::from_millis(200),
        ..config()
    };
    let store = S3Blobs::open(&config).unwrap();
    assert!(matches!(store.check().await, Err(StoreError::Unavailable(_))));
    let id = FileId::random();
    assert!(matches!(store.start(&id).await, Err(StoreError::Unavailable(_))));
    let append = store.append(&id, 0, 10, false, reader(b"x".to_vec())).await;
    assert!(matches!(append, Err(Error::Store(StoreError::Unavailable(_)))), "{append:?}");
}

/// Blobs sit at `sha256/<two hex digits>/<sha256>` under the prefix, as in the local store's
/// directory; an upload is a `started` marker and chunks named by their offsets, at most
/// `chunk_bytes_max` long, and nothing of it is left once it is finished.
#[tokio::test]
async fn objects_are_laid_out_as_documented() {
    let config = S3Config { chunk_bytes_max: 1000, ..config() };
    let store = S3Blobs::open(&config).unwrap();
    let sha256 = store.put(b"thumbnail".to_vec()).await.unwrap();
    assert_eq!(objects(&config).await, [format!("sha256/{}/{sha256}", &sha256[..2])]);
    store.remove(&sha256).await.unwrap();
    assert!(objects(&config).await.is_empty());

    let id = FileId::random();
    store.start(&id).await.unwrap();
    store.append(&id, 0, u64::MAX, false, reader(vec![7; 2500])).await.unwrap();
    let dir = format!("uploads/{id}");
    let chunk = |offset: u64| format!("{dir}/{offset:020}");
    assert_eq!(objects(&config).await, [chunk(0), chunk(1000), chunk(2000), format!("{dir}/started")]);
    let blob = store.finish(&id).await.unwrap();
    assert_eq!(objects(&config).await, [format!("sha256/{}/{}", &blob.sha256[..2], blob.sha256)]);
}

/// An upload sent in tiny appends is still kept in few chunks: a short last chunk is rewritten
/// with the next append's bytes, so there are at most two chunks per chunk length.
#[tokio::test]
async fn tiny_appends_make_few_chunks() {
    let config = S3Config { chunk_bytes_max: 1000, ..config() };
    let store = S3Blobs::open(&config).unwrap();
    let id = FileId::random();
    store.start(&id).await.unwrap();
    let mut all = Vec::new();
    for i in 0..100u8 {
        let piece = vec![i; 37];
        store.append(&id, all.len() as u64, u64::MAX, false, reader(piece.clone())).await.unwrap();
        all.extend_from_slice(&piece);
    }
    let chunks = objects(&config).await.len() - 1;
    assert!(chunks <= 2 * all.len() / 1000 + 1, "{chunks} chunks for {} bytes", all.len());
    assert_eq!(store.upload_head(&id, 10_000).await.unwrap(), all);
}

/// Every read of an upload checks that its chunks cover it without a gap: a chunk gone (which
/// the store itself never leaves behind) is corruption, not a shorter upload.
#[tokio::test]
async fn a_chunk_gone_from_the_middle_is_corruption() {
    let config = S3Config { chunk_bytes_max: 1000, ..config() };
    let store = S3Blobs::open(&config).unwrap();
    let id = FileId::random();
    store.start(&id).await.unwrap();
    store.append(&id, 0, u64::MAX, false, reader(vec![1; 3000])).await.unwrap();
    let middle = Path::parse(format!("{}/uploads/{id}/{:020}", config.prefix, 1000)).unwrap();
    raw(&config).delete(&middle).await.unwrap();
    assert!(matches!(store.upload_head(&id, 10).await, Err(StoreError::Corrupt(_))));
    assert!(matches!(store.finish(&id).await, Err(StoreError::Corrupt(_))));
    let append = store.append(&id, 3000, u64::MAX, false, reader(vec![2])).await;
    assert!(matches!(append, Err(Error::Store(StoreError::Corrupt(_)))), "{append:?}");
    store.discard(&id).await.unwrap();
    assert!(objects(&config).await.is_empty(), "a discard takes whatever is left");
}
