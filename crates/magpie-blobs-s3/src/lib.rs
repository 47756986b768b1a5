//! The [`BlobStore`] on S3-compatible object storage, for cluster mode: every node of a
//! cluster opens the same bucket, and an upload begun on one node can be resumed, finished or
//! discarded on any other, because nothing about it lives in one node's memory or disk.
//!
//! # Configuration
//!
//! An operator writes one URL and sets two environment variables:
//!
//! ```text
//! s3://BUCKET[/PREFIX][?endpoint=URL][&region=NAME]
//! MAGPIE_S3_ACCESS_KEY_ID=…   MAGPIE_S3_SECRET_ACCESS_KEY=…
//! ```
//!
//! for example `s3://magpie/files?endpoint=http://10.0.0.5:3900&region=garage` for a Garage
//! cluster, or `s3://acme-magpie?region=eu-central-1` for AWS. [`S3Config::from_url`] reads
//! the URL and [`S3Credentials::from_env`] the variables; [`S3Blobs::open`] builds the client
//! (it sends nothing), and [`S3Blobs::check`] makes one request to prove that the bucket is
//! there and the key may use it.
//!
//! # Layout
//!
//! Under the prefix (complete blobs under the same names as in the local store's directory,
//! so that moving them from one to the other is a copy):
//!
//! - `sha256/<first two hex digits>/<sha256>`: a complete blob, named by the SHA-256 of its
//!   content, stored once however many files share it.
//! - `uploads/<upload id>/started`: an empty object that says the upload exists.
//! - `uploads/<upload id>/<offset, 20 digits>`: one chunk of a partial upload, holding the
//!   bytes from that offset. An upload is its chunks in order; they cover it from byte 0
//!   without gap or overlap, which every read of them checks.
//!
//! # How uploads work without local state
//!
//! Each append writes its bytes as chunk objects of at most [`S3Config::chunk_bytes_max`]
//! bytes, and returns once their PUTs have: an object store acknowledges a PUT only when the
//! object is durable, so an acknowledged offset survives the node. The upload's length is the
//! end of its last chunk, found by listing them (one request per thousand chunks). A last
//! chunk shorter than half the chunk size is rewritten together with the next append's first
//! bytes, so an upload sent in tiny appends still has at most two chunks per chunk size of
//! its length. Cutting an upload back deletes the chunks past the cut from the last one down,
//! so that a node dying half-way leaves a shorter upload rather than a gap, then rewrites the
//! chunk that straddles the cut. Finishing streams the chunks twice: once to hash them (a
//! content that is stored already costs no write), then into the blob with a multipart upload
//! whose bytes are hashed again and must match; an upload of at most one part is read once
//! and written with one PUT.
//!
//! Requires an object store with read-after-write consistency for PUT, DELETE and LIST
//! (AWS S3 since 2020, Garage, MinIO, Ceph RGW).
//!
//! # Housekeeping the bucket should do
//!
//! A node that dies in the middle of a finish leaves an incomplete multipart upload, and one
//! that dies in the middle of a discard leaves chunks that nothing refers to. Neither is ever
//! read, but both take space: give the bucket a lifecycle rule that aborts incomplete
//! multipart uploads after a day and expires objects under `uploads/` some days after the
//! server's upload expiry.

mod config;

use std::sync::Arc;

use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use futures_util::{StreamExt, TryStreamExt};
use magpie_core::files::{ByteRange, FileId, FinishedBlob, SNIFF_BYTES, Written};
use magpie_core::ports::BlobStore;
use magpie_core::{Error, StoreError, Unit};
use object_store::aws::AmazonS3Builder;
use object_store::path::Path;
use object_store::prefix::PrefixStore;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt, PutPayload, RetryConfig, WriteMultipart};
use sha1::Digest as _;
use tokio::io::{AsyncRead, AsyncReadExt};

pub use config::{
    ACCESS_KEY_ID_ENV, CHUNK_BYTES_LIMIT, CHUNK_BYTES_MAX_DEFAULT, ConfigError, REGION_DEFAULT,
    RETRY_TIMEOUT_SECS_DEFAULT, S3Config, S3Credentials, SECRET_ACCESS_KEY_ENV,
};

/// Bytes per part of the multipart upload that `finish` writes a large blob with, and the
/// largest upload it reads once and writes with one PUT. S3 wants at least 5 MiB in every part
/// but the last and at most 10,000 parts, so this allows blobs of up to 80 GiB.
pub const PART_BYTES: usize = 8 * 1024 * 1024;
/// Parts of one blob uploading at once while `finish` reads the next: with the part being
/// filled, a finish holds at most this many parts plus one in memory.
const PARTS_IN_FLIGHT_MAX: usize = 2;
/// Bytes asked of an append's reader per read.
const COPY_BUFFER_BYTES: usize = 64 * 1024;
/// The name of the object that says an upload exists.
const STARTED: &str = "started";
/// Digits of a chunk's offset in its name: `u64::MAX` has 20, so names sort as offsets do.
const OFFSET_DIGITS: usize = 20;

/// The blob store on an S3-compatible bucket. Cheap to share: clones of the client share
/// their connections.
#[derive(Debug, Clone)]
pub struct S3Blobs {
    store: Arc<dyn ObjectStore>,
    chunk_bytes_max: usize,
}

/// One chunk of a partial upload, as the listing shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Chunk {
    offset: u64,
    bytes: u64,
}

impl Chunk {
    fn end(&self) -> u64 {
        self.offset + self.bytes
    }
}

impl S3Blobs {
    /// A store on the configured bucket. Builds the client only: nothing is sent, so a wrong
    /// key or a missing bucket shows at the first request, or at [`S3Blobs::check`].
    pub fn open(config: &S3Config) -> Result<S3Blobs, ConfigError> {
        if config.chunk_bytes_max == 0 || config.chunk_bytes_max > CHUNK_BYTES_LIMIT {
            return Err(ConfigError::ChunkBytes(config.chunk_bytes_max));
        }
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&config.bucket)
            .with_region(&config.region)
            .with_access_key_id(&config.credentials.access_key_id)
            .with_secret_access_key(&config.credentials.secret_access_key)
            .with_allow_http(config.allow_http)
            .with_retry(RetryConfig { retry_timeout: config.retry_timeout, ..RetryConfig::default() });
        if let Some(endpoint) = &config.endpoint {
            builder = builder.with_endpoint(endpoint);
        }
        let s3 = builder.build()?;
        let store: Arc<dyn ObjectStore> = if config.prefix.is_empty() {
            Arc::new(s3)
        } else {
            let prefix = Path::parse(&config.prefix)
                .map_err(|_| ConfigError::Invalid(format!("{:?} is not a usable key prefix", config.prefix)))?;
            Arc::new(PrefixStore::new(s3, prefix))
        };
        Ok(S3Blobs { store, chunk_bytes_max: config.chunk_bytes_max })
    }

    /// Makes one listing request under the prefix: `Ok` if the bucket is there and the key may
    /// list it. For start-up and readiness checks.
    pub async fn check(&self) -> Result<(), StoreError> {
        let mut listing = self.store.list(None);
        listing.try_next().await.map_err(store_error)?;
        Ok(())
    }

    fn upload_dir(upload: &FileId) -> Path {
        Path::from_iter(["uploads", upload.as_str()])
    }

    fn chunk_path(upload: &FileId, offset: u64) -> Path {
        Self::upload_dir(upload).join(format!("{offset:0OFFSET_DIGITS$}"))
    }

    fn blob_path(sha256: &str) -> Result<Path, StoreError> {
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()) {
            return Err(StoreError::Other(format!("not a sha256 digest: {sha256:?}")));
        }
        Ok(Path::from_iter(["sha256", &sha256[..2], sha256]))
    }

    /// The objects under an upload's folder: whether it was started, and its chunks in order,
    /// checked to cover the upload from byte 0 without gap or overlap.
    async fn listing(&self, upload: &FileId) -> Result<(bool, Vec<Chunk>), StoreError> {
        let dir = Self::upload_dir(upload);
        let mut started = false;
        let mut chunks = Vec::new();
        let mut listing = self.store.list(Some(&dir));
        while let Some(meta) = listing.try_next().await.map_err(store_error)? {
            let name = meta.location.prefix_match(&dir).and_then(|mut rest| match (rest.next(), rest.next()) {
                (Some(name), None) => Some(name),
                _ => None,
            });
            let Some(name) = name else {
                return Err(StoreError::Corrupt(format!("blob store: a stray object {}", meta.location)));
            };
            if name.as_ref() == STARTED {
                started = true;
                continue;
            }
            let offset = (name.as_ref().len() == OFFSET_DIGITS)
                .then(|| name.as_ref().parse::<u64>().ok())
                .flatten()
                .ok_or_else(|| StoreError::Corrupt(format!("blob store: a stray object {}", meta.location)))?;
            chunks.push(Chunk { offset, bytes: meta.size });
        }
        chunks.sort_by_key(|c| c.offset);
        let mut end = 0u64;
        for chunk in &chunks {
            if chunk.offset != end {
                return Err(StoreError::Corrupt(format!(
                    "blob store: upload {upload} has a chunk at {} where {end} was expected",
                    chunk.offset
                )));
            }
            if chunk.bytes > CHUNK_BYTES_LIMIT as u64 {
                return Err(StoreError::Corrupt(format!(
                    "blob store: upload {upload} has a chunk of {} bytes at {}",
                    chunk.bytes, chunk.offset
                )));
            }
            end = chunk.end();
        }
        Ok((started, chunks))
    }

    /// The chunks of an upload that was started (an error if it was not, or is gone).
    async fn chunks(&self, upload: &FileId) -> Result<Vec<Chunk>, StoreError> {
        let (started, chunks) = self.listing(upload).await?;
        if !started {
            return Err(StoreError::Other(format!("blob store: no upload {upload}")));
        }
        Ok(chunks)
    }

    /// Bytes `from..to` of one chunk, which must be there in full.
    async fn chunk_bytes(&self, upload: &FileId, chunk: Chunk, from: u64, to: u64) -> Result<Bytes, StoreError> {
        let path = Self::chunk_path(upload, chunk.offset);
        let bytes = self.store.get_range(&path, from..to).await.map_err(store_error)?;
        if bytes.len() as u64 != to - from {
            return Err(StoreError::Corrupt(format!(
                "blob store: chunk {path} gave {} bytes of {from}..{to}",
                bytes.len()
            )));
        }
        Ok(bytes)
    }

    async fn put_chunk(&self, upload: &FileId, offset: u64, bytes: Bytes) -> Result<(), StoreError> {
        self.store.put(&Self::chunk_path(upload, offset), PutPayload::from(bytes)).await.map_err(store_error)?;
        Ok(())
    }

    /// Deletes the chunks that start at or after `offset`, from the last one down, so that a
    /// call cut short leaves a shorter upload rather than one with a gap. Returns the chunks
    /// that are left.
    async fn delete_from(&self, upload: &FileId, chunks: &[Chunk], offset: u64) -> Result<Vec<Chunk>, StoreError> {
        let keep = chunks.partition_point(|c| c.offset < offset);
        for chunk in chunks[keep..].iter().rev() {
            delete(&*self.store, &Self::chunk_path(upload, chunk.offset)).await?;
        }
        Ok(chunks[..keep].to_vec())
    }

    /// Cuts an upload back to `offset` bytes (if it is longer).
    async fn cut(&self, upload: &FileId, chunks: &[Chunk], offset: u64) -> Result<(), StoreError> {
        let kept = self.delete_from(upload, chunks, offset).await?;
        if let Some(&last) = kept.last()
            && last.end() > offset
        {
            let head = self.chunk_bytes(upload, last, 0, offset - last.offset).await?;
            self.put_chunk(upload, last.offset, head).await?;
        }
        Ok(())
    }

    /// Whether an object is there.
    async fn exists(&self, path: &Path) -> Result<bool, StoreError> {
        match self.store.head(path).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(store_error(e)),
        }
    }

    /// The pieces of one chunk's content as they arrive.
    async fn pieces(&self, upload: &FileId, chunk: Chunk) -> Result<Pieces, StoreError> {
        let path = Self::chunk_path(upload, chunk.offset);
        let stream = self.store.get(&path).await.map_err(store_error)?.into_stream();
        Ok(Pieces { stream, path, seen: 0, bytes: chunk.bytes })
    }

    /// Writes an upload's chunks into the blob at `target` with a multipart upload, hashing
    /// them again: they must still be the content named `sha256`, or nothing is written.
    async fn write_multipart(
        &self,
        upload: &FileId,
        chunks: &[Chunk],
        target: &Path,
        sha256: &str,
    ) -> Result<(), StoreError> {
        let multipart = self.store.put_multipart(target).await.map_err(store_error)?;
        let mut writer = WriteMultipart::new_with_chunk_size(multipart, PART_BYTES);
        let mut hasher = sha2::Sha256::new();
        let copied: Result<(), StoreError> = async {
            for &chunk in chunks {
                let mut pieces = self.pieces(upload, chunk).await?;
                while let Some(piece) = pieces.next().await? {
                    hasher.update(&piece);
                    writer.wait_for_capacity(PARTS_IN_FLIGHT_MAX).await.map_err(store_error)?;
                    writer.put(piece);
                }
            }
            if hex(&hasher.finalize()) != sha256 {
                return Err(StoreError::Conflict(format!(
                    "blob store: upload {upload} changed while it was being finished"
                )));
            }
            Ok(())
        }
        .await;
        match copied {
            Ok(()) => writer.finish().await.map(|_| ()).map_err(store_error),
            Err(e) => {
                // The parts sent so far go; if even that fails, the bucket's lifecycle rule
                // for incomplete multipart uploads takes them.
                let _ = writer.abort().await;
                Err(e)
            }
        }
    }
}

/// One chunk's content as it arrives, checked at its end to be as long as the listing said.
struct Pieces {
    stream: futures_util::stream::BoxStream<'static, object_store::Result<Bytes>>,
    path: Path,
    seen: u64,
    bytes: u64,
}

impl Pieces {
    async fn next(&mut self) -> Result<Option<Bytes>, StoreError> {
        match self.stream.try_next().await.map_err(store_error)? {
            Some(piece) => {
                self.seen += piece.len() as u64;
                Ok(Some(piece))
            }
            None if self.seen != self.bytes => Err(StoreError::Corrupt(format!(
                "blob store: chunk {} has {} bytes, not {}",
                self.path, self.seen, self.bytes
            ))),
            None => Ok(None),
        }
    }
}

/// Deletes an object; one that is not there is deleted already.
async fn delete(store: &dyn ObjectStore, path: &Path) -> Result<(), StoreError> {
    match store.delete(path).await {
        Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
        Err(e) => Err(store_error(e)),
    }
}

/// The `StoreError` for what the object store said, by what the caller can do about it: a
/// request that never got an answer, even after object_store's retries, is `Unavailable`;
/// anything else (a missing object, as the local store reports it; a refused key) is `Other`.
fn store_error(e: object_store::Error) -> StoreError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    while let Some(err) = source {
        if err.downcast_ref::<object_store::client::HttpError>().is_some() {
            return StoreError::Unavailable(format!("blob store: {e}"));
        }
        source = err.source();
    }
    StoreError::Other(format!("blob store: {e}"))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[async_trait]
impl BlobStore for S3Blobs {
    async fn start(&self, upload: &FileId) -> Result<(), StoreError> {
        // A start over an existing upload empties it, as creating the local file does.
        let (_, chunks) = self.listing(upload).await?;
        self.delete_from(upload, &chunks, 0).await?;
        self.store.put(&Self::upload_dir(upload).join(STARTED), PutPayload::default()).await.map_err(store_error)?;
        Ok(())
    }

    async fn append(
        &self,
        upload: &FileId,
        offset: u64,
        room_bytes: u64,
        digest: bool,
        mut data: Box<dyn AsyncRead + Send + Unpin>,
    ) -> Result<Written, Error> {
        let chunks = self.chunks(upload).await?;
        let len = chunks.last().map_or(0, Chunk::end);
        if offset > len {
            return Err(
                StoreError::Other(format!("blob store: upload {upload} is {len} bytes long, not {offset}")).into()
            );
        }
        let kept = self.delete_from(upload, &chunks, offset).await?;
        // The chunk this append's bytes continue: one the offset cuts (it must be rewritten
        // anyway) or a short one (merged, to keep chunks few). Its kept bytes start the
        // first chunk this append writes.
        let mut pending = BytesMut::with_capacity(self.chunk_bytes_max);
        let mut at = offset;
        let mut dirty = false;
        if let Some(&last) = kept.last()
            && (last.end() > offset || last.bytes < (self.chunk_bytes_max / 2) as u64)
        {
            pending.extend_from_slice(&self.chunk_bytes(upload, last, 0, offset - last.offset).await?);
            at = last.offset;
            dirty = last.end() > offset;
        }
        let (mut sha1, mut sha256) = (sha1::Sha1::new(), sha2::Sha256::new());
        let mut buf = vec![0u8; COPY_BUFFER_BYTES];
        let mut written = 0u64;
        let mut interrupted = false;
        loop {
            let n = match data.read(&mut buf).await {
                Ok(n) => n,
                // The sender went away mid-chunk: keep what arrived, durably, and say so.
                Err(_) => {
                    interrupted = true;
                    break;
                }
            };
            if n == 0 {
                break;
            }
            let mut piece = &buf[..n];
            written += n as u64;
            if written > room_bytes {
                // Nothing of the chunk is kept: back to where the append began.
                let chunks = self.chunks(upload).await?;
                self.cut(upload, &chunks, offset).await?;
                let max = usize::try_from(room_bytes).unwrap_or(usize::MAX);
                return Err(Error::too_large("body", max, Unit::Bytes));
            }
            if digest {
                sha1.update(piece);
                sha256.update(piece);
            }
            while !piece.is_empty() {
                let take = piece.len().min(self.chunk_bytes_max - pending.len());
                pending.extend_from_slice(&piece[..take]);
                piece = &piece[take..];
                dirty = true;
                if pending.len() == self.chunk_bytes_max {
                    let full = pending.split().freeze();
                    let bytes = full.len() as u64;
                    self.put_chunk(upload, at, full).await?;
                    at += bytes;
                    dirty = false;
                }
            }
        }
        if dirty && !pending.is_empty() {
            self.put_chunk(upload, at, pending.freeze()).await?;
        }
        Ok(Written {
            bytes: written,
            interrupted,
            sha1: digest.then(|| sha1.finalize().into()),
            sha256: digest.then(|| sha256.finalize().into()),
        })
    }

    async fn upload_head(&self, upload: &FileId, len: usize) -> Result<Vec<u8>, StoreError> {
        let chunks = self.chunks(upload).await?;
        let want = u64::try_from(len).unwrap_or(u64::MAX).min(chunks.last().map_or(0, Chunk::end));
        let mut head = Vec::with_capacity(usize::try_from(want).unwrap_or(0));
        for &chunk in chunks.iter().take_while(|c| c.offset < want) {
            let to = chunk.bytes.min(want - chunk.offset);
            head.extend_from_slice(&self.chunk_bytes(upload, chunk, 0, to).await?);
        }
        Ok(head)
    }

    async fn overwrite(&self, upload: &FileId, offset: u64, bytes: Vec<u8>) -> Result<(), StoreError> {
        let chunks = self.chunks(upload).await?;
        let len = chunks.last().map_or(0, Chunk::end);
        let end = offset.checked_add(bytes.len() as u64).filter(|&end| end <= len).ok_or_else(|| {
            StoreError::Other(format!(
                "blob store: upload {upload} is {len} bytes long; cannot overwrite {} bytes at {offset}",
                bytes.len()
            ))
        })?;
        for &chunk in chunks.iter().filter(|c| c.offset < end && c.end() > offset) {
            let mut content = BytesMut::from(self.chunk_bytes(upload, chunk, 0, chunk.bytes).await?);
            let (from, to) = (offset.max(chunk.offset), end.min(chunk.end()));
            let index = |at: u64, base: u64| usize::try_from(at - base).unwrap_or(usize::MAX);
            content[index(from, chunk.offset)..index(to, chunk.offset)]
                .copy_from_slice(&bytes[index(from, offset)..index(to, offset)]);
            self.put_chunk(upload, chunk.offset, content.freeze()).await?;
        }
        Ok(())
    }

    async fn truncate(&self, upload: &FileId, offset: u64) -> Result<(), StoreError> {
        let chunks = self.chunks(upload).await?;
        self.cut(upload, &chunks, offset).await
    }

    async fn finish(&self, upload: &FileId) -> Result<FinishedBlob, StoreError> {
        let chunks = self.chunks(upload).await?;
        let size = chunks.last().map_or(0, Chunk::end);
        // An upload of at most one part is kept in memory on the first pass and put whole.
        let whole = size <= PART_BYTES as u64;
        let mut hasher = sha2::Sha256::new();
        let mut head = Vec::with_capacity(SNIFF_BYTES.min(usize::try_from(size).unwrap_or(0)));
        let mut content = BytesMut::with_capacity(if whole { usize::try_from(size).unwrap_or(0) } else { 0 });
        for &chunk in &chunks {
            let mut pieces = self.pieces(upload, chunk).await?;
            while let Some(piece) = pieces.next().await? {
                hasher.update(&piece);
                if head.len() < SNIFF_BYTES {
                    head.extend_from_slice(&piece[..piece.len().min(SNIFF_BYTES - head.len())]);
                }
                if whole {
                    content.extend_from_slice(&piece);
                }
            }
        }
        let sha256 = hex(&hasher.finalize());
        let target = Self::blob_path(&sha256)?;
        if !self.exists(&target).await? {
            if whole {
                self.store.put(&target, PutPayload::from(content.freeze())).await.map_err(store_error)?;
            } else {
                self.write_multipart(upload, &chunks, &target, &sha256).await?;
            }
        }
        // The blob is in place (or was already): the upload goes.
        self.discard(upload).await?;
        Ok(FinishedBlob { sha256, size, head })
    }

    async fn discard(&self, upload: &FileId) -> Result<(), StoreError> {
        // The marker goes first, so that an upload half discarded is no upload at all.
        delete(&*self.store, &Self::upload_dir(upload).join(STARTED)).await?;
        let locations = self.store.list(Some(&Self::upload_dir(upload))).map_ok(|meta| meta.location).boxed();
        let mut deleted = self.store.delete_stream(locations);
        while let Some(result) = deleted.next().await {
            match result {
                Ok(_) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(store_error(e)),
            }
        }
        Ok(())
    }

    async fn put(&self, bytes: Vec<u8>) -> Result<String, StoreError> {
        let sha256 = hex(&sha2::Sha256::digest(&bytes));
        let target = Self::blob_path(&sha256)?;
        // A PUT replaces an object whole and at once, so two puts of one content racing each
        // other leave that content either way.
        if !self.exists(&target).await? {
            self.store.put(&target, PutPayload::from(bytes)).await.map_err(store_error)?;
        }
        Ok(sha256)
    }

    async fn remove(&self, sha256: &str) -> Result<(), StoreError> {
        delete(&*self.store, &Self::blob_path(sha256)?).await
    }

    async fn read(
        &self,
        sha256: &str,
        range: Option<ByteRange>,
    ) -> Result<Box<dyn AsyncRead + Send + Unpin>, StoreError> {
        let path = Self::blob_path(sha256)?;
        if let Some(r) = range
            && r.first > r.last
        {
            return Err(StoreError::Other(format!("blob store: an empty range {}-{}", r.first, r.last)));
        }
        let options = GetOptions {
            range: range.map(|r| GetRange::Bounded(r.first..r.last.saturating_add(1))),
            ..GetOptions::default()
        };
        match self.store.get_opts(&path, options).await {
            Ok(result) => {
                let stream = result.into_stream().map_err(std::io::Error::from);
                Ok(Box::new(tokio_util::io::StreamReader::new(stream)))
            }
            Err(e @ object_store::Error::NotFound { .. }) => Err(store_error(e)),
            Err(e) => match range {
                // A range that starts past the end is refused (416); the local store reads
                // what is there, which is nothing.
                Some(r) => match self.store.head(&path).await {
                    Ok(meta) if meta.size <= r.first => Ok(Box::new(tokio::io::empty())),
                    _ => Err(store_error(e)),
                },
                None => Err(store_error(e)),
            },
        }
    }
}
