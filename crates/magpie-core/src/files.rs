//! Files: resumable uploads (the tus protocol's model), content-addressed storage, quotas.
//!
//! An upload is created with its length, receives its bytes in one or more appends at the
//! offset the server holds, and becomes a file when the last byte is in. The file keeps the
//! upload's id, an opaque random string, so a client that knows its upload knows its file.
//! Bytes are stored once per content: the blob store keys them by their SHA-256, so two
//! uploads of the same content share one blob, while each counts against its uploader's quota.
//!
//! Who may read a file: its uploader, and the readers of every message that refers to it, for
//! as long as that message is not recalled.

use std::sync::Arc;

use base64::Engine;
use rand::RngCore;

use crate::model::{AccountId, Principal};
use crate::names;
use crate::ports::{FileStore, Stores};
use crate::{Deps, Error, Result, Unit};

/// Longest file name kept, in characters. Names are labels only: never used as paths.
pub const FILE_NAME_CHARS_MAX: usize = 255;
/// Longest declared media type, in bytes.
pub const MEDIA_TYPE_BYTES_MAX: usize = 127;
/// What every file and upload counts against the quota at least, so that the quota bounds the
/// number of files too (empty files included).
pub const FILE_BYTES_MIN: u64 = 4096;
/// Image types that get thumbnails.
pub(crate) const RASTER_TYPES: [&str; 4] = ["image/png", "image/jpeg", "image/gif", "image/webp"];
/// Uploads or files deleted by one prune pass.
const PRUNE_BATCH_LEN: usize = 1000;
/// Bytes at the start of a file that type detection and image headers are read from (a JPEG's
/// size can follow up to 64 KiB of metadata).
pub const SNIFF_BYTES: usize = 128 * 1024;

/// A file's (and its upload's) id: 128 random bits, URL-safe base64. Unguessable.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FileId(String);

impl FileId {
    pub fn random() -> FileId {
        let mut bytes = [0u8; 16];
        rand::rng().fill_bytes(&mut bytes);
        FileId(format!("f{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// A client-supplied id: shape only; existence is the store's to say.
    pub fn parse(s: &str) -> Result<FileId> {
        let ok = s.len() == 23
            && s.starts_with('f')
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok { Ok(FileId(s.to_owned())) } else { Err(Error::NotFound("file")) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for FileId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// An upload in progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub id: FileId,
    pub account: AccountId,
    pub length: u64,
    pub offset: u64,
    pub name: Option<String>,
    pub declared_type: Option<String>,
    pub created_at_ms: i64,
    pub expires_at_ms: i64,
}

/// A complete file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    pub id: FileId,
    pub account: AccountId,
    /// The SHA-256 of the content, lower-case hex: the blob's key and the file's ETag.
    pub sha256: String,
    pub size: u64,
    /// Detected from the content, never taken from the name or the client.
    pub media_type: String,
    pub name: Option<String>,
    pub created_at_ms: i64,
    /// An image's size in pixels, upright (after its EXIF orientation).
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// A blurhash of an image, for a placeholder while it loads.
    pub blurhash: Option<String>,
    /// An image's thumbnails, smallest first.
    pub thumbnails: Vec<ThumbnailRef>,
    /// The playing time of an MP4/MOV/M4A whose header comes first, in milliseconds.
    pub duration_ms: Option<u64>,
}

/// A stored thumbnail of an image file (a JPEG blob).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThumbnailRef {
    /// The longest side it was made for (one of [`crate::images::THUMBNAIL_SIDES`]).
    pub side: u32,
    pub sha256: String,
    pub size: u64,
    pub width: u32,
    pub height: u32,
}

/// A checksum a client sends with a chunk (tus checksum extension).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkChecksum {
    Sha1([u8; 20]),
    Sha256([u8; 32]),
}

/// What an append did.
#[derive(Debug, Clone)]
pub enum Appended {
    /// More bytes are expected.
    Partial(Upload),
    /// That was the last byte: the upload is now this file.
    Complete(StoredFile),
}

/// A byte range of a file to read, both ends inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    pub first: u64,
    pub last: u64,
}

#[derive(Clone)]
pub struct Files {
    deps: Arc<Deps>,
    file_store: Arc<dyn FileStore>,
    decoding: Arc<DecodeBudget>,
    /// Uploads that a request is writing to now: one writer per upload at a time.
    writing: Arc<std::sync::Mutex<std::collections::HashSet<FileId>>>,
}

/// The right to write to one upload, given back when dropped (also when the request is
/// cancelled).
struct Writing<'a> {
    set: &'a std::sync::Mutex<std::collections::HashSet<FileId>>,
    id: FileId,
}

impl<'a> Writing<'a> {
    /// Takes the upload, or `Conflict` if another request is writing to it.
    fn take(set: &'a std::sync::Mutex<std::collections::HashSet<FileId>>, id: &FileId) -> Result<Writing<'a>> {
        let mut writing = set.lock().unwrap_or_else(|e| e.into_inner());
        if !writing.insert(id.clone()) {
            return Err(Error::Conflict("another request is writing to this upload; resume from its offset".into()));
        }
        Ok(Writing { set, id: id.clone() })
    }
}

impl Drop for Writing<'_> {
    fn drop(&mut self) {
        self.set.lock().unwrap_or_else(|e| e.into_inner()).remove(&self.id);
    }
}

/// What image decoding may take at once: memory, counted in KiB (each decode reserves what its
/// header says it will hold at its peak), and decodes.
struct DecodeBudget {
    memory_kib: tokio::sync::Semaphore,
    memory_kib_max: u64,
    decodes: tokio::sync::Semaphore,
}

impl Files {
    pub(crate) fn new(deps: Arc<Deps>, stores: &Stores) -> Files {
        let settings = &deps.settings;
        let memory_kib_max = (settings.image_decode_memory_bytes_max / 1024)
            .min(u64::try_from(tokio::sync::Semaphore::MAX_PERMITS).unwrap_or(u64::MAX));
        let decoding = Arc::new(DecodeBudget {
            memory_kib: tokio::sync::Semaphore::new(usize::try_from(memory_kib_max).unwrap_or(0)),
            memory_kib_max,
            decodes: tokio::sync::Semaphore::new(settings.image_decode_concurrency_max.max(1)),
        });
        Files { deps, file_store: stores.files.clone(), decoding, writing: Arc::default() }
    }

    /// Starts an upload of `length` bytes, if it fits the size limit and the caller's quota.
    pub async fn create_upload(
        &self,
        caller: &Principal,
        length: u64,
        name: Option<&str>,
        declared_type: Option<&str>,
    ) -> Result<Upload> {
        let settings = &self.deps.settings;
        if length > settings.upload_bytes_max {
            return Err(Error::too_large(
                "upload",
                usize::try_from(settings.upload_bytes_max).unwrap_or(usize::MAX),
                Unit::Bytes,
            ));
        }
        let name = name.map(|n| names::file_name(n, FILE_NAME_CHARS_MAX)).transpose()?.filter(|n| !n.is_empty());
        let declared_type = declared_type.map(media_type).transpose()?;
        let now = self.deps.clock.now_ms();
        let upload = Upload {
            id: FileId::random(),
            account: caller.account.id,
            length,
            offset: 0,
            name,
            declared_type,
            created_at_ms: now,
            expires_at_ms: now + self.expiry_ms(),
        };
        if !self.file_store.create_upload(&upload, settings.quota_bytes_per_account).await? {
            return Err(Error::LimitExceeded("the upload would pass your storage quota"));
        }
        // The row comes first: a blob file without one would never be pruned, while a row
        // without its blob file is refused at the first append and expires.
        if let Err(e) = self.deps.blobs.start(&upload.id).await {
            self.file_store.delete_upload(&upload.id).await?;
            return Err(e.into());
        }
        if length == 0 {
            // Nothing to wait for: the empty upload is a file at once.
            self.finish(upload.clone()).await?;
        }
        Ok(upload)
    }

    /// An upload of the caller's that has not expired.
    pub async fn upload(&self, caller: &Principal, id: &FileId) -> Result<Upload> {
        let upload = self.file_store.upload(id).await?.ok_or(Error::NotFound("upload"))?;
        if upload.account != caller.account.id || upload.expires_at_ms <= self.deps.clock.now_ms() {
            return Err(Error::NotFound("upload"));
        }
        Ok(upload)
    }

    /// Appends bytes at `offset`, which must be the upload's current offset. The chunk is
    /// kept only if it fits the declared length and matches `checksum` (if given); otherwise
    /// it is discarded and the offset stays where it was.
    pub async fn append(
        &self,
        caller: &Principal,
        id: &FileId,
        offset: u64,
        checksum: Option<ChunkChecksum>,
        data: Box<dyn tokio::io::AsyncRead + Send + Unpin>,
    ) -> Result<Appended> {
        // Two appends at one offset would each write after the same byte: one at a time.
        let _writing = Writing::take(&self.writing, id)?;
        let upload = self.upload(caller, id).await?;
        if offset != upload.offset {
            return Err(Error::Conflict(format!("the upload is at offset {}, not {offset}", upload.offset)));
        }
        let room = upload.length - upload.offset;
        let written = self.deps.blobs.append(id, offset, room, checksum.is_some(), data).await;
        let written = match written {
            Ok(w) => w,
            Err(e) => {
                // Whatever part of the chunk reached the disk is not counted: the client
                // resumes from the offset the server still holds.
                self.deps.blobs.truncate(id, offset).await?;
                return Err(e);
            }
        };
        if written.interrupted && checksum.is_some() {
            // A chunk with a checksum is all or nothing.
            self.deps.blobs.truncate(id, offset).await?;
            return Err(Error::invalid("body", "the upload was cut off; resume from the offset"));
        }
        let matches = match checksum {
            None => true,
            Some(ChunkChecksum::Sha1(want)) => written.sha1 == Some(want),
            Some(ChunkChecksum::Sha256(want)) => written.sha256 == Some(want),
        };
        if !matches {
            self.deps.blobs.truncate(id, offset).await?;
            return Err(Error::ChecksumMismatch);
        }
        let upload = Upload {
            offset: offset + written.bytes,
            expires_at_ms: self.deps.clock.now_ms() + self.expiry_ms(),
            ..upload
        };
        if upload.offset == upload.length && !written.interrupted {
            // The last byte is in. The offset is not recorded first: an upload whose offset
            // equals its length is a file to every client (tus), and the file only exists once
            // `finish` made it (after the thumbnails, which may wait for the decode budget). A
            // crash before then leaves the old offset, and the client sends the end again.
            return self.finish(upload).await;
        }
        // Bytes that arrived before a cut count, so that the client resumes after them.
        self.file_store.set_upload_offset(id, upload.offset, upload.expires_at_ms).await?;
        if written.interrupted {
            return Err(Error::invalid("body", "the upload was cut off; resume from the offset"));
        }
        Ok(Appended::Partial(upload))
    }

    /// Abandons an upload (tus termination): its bytes go, its quota comes back.
    pub async fn terminate(&self, caller: &Principal, id: &FileId) -> Result<()> {
        let _writing = Writing::take(&self.writing, id)?;
        self.upload(caller, id).await?;
        self.file_store.delete_upload(id).await?;
        self.deps.blobs.discard(id).await?;
        Ok(())
    }

    /// A file the caller may read: its own, or one a message the caller can read refers to
    /// (until that message is recalled). Anything else, other domains included, is `not_found`.
    pub async fn file(&self, caller: &Principal, id: &FileId) -> Result<StoredFile> {
        let file = self.file_store.file(id).await?.ok_or(Error::NotFound("file"))?;
        if file.account == caller.account.id {
            return Ok(file);
        }
        // A bot's token that does not read every conversation of the bot reaches only what
        // the bot uploaded: a file shared elsewhere is out of its scope. An app's token reads
        // what its user reads (the routes it may call are its scopes').
        let narrow = caller
            .session
            .scope
            .as_ref()
            .is_some_and(|s| s.app.is_none() && (!s.read || s.hook || s.conversations.is_some()));
        if narrow || !self.file_store.file_shared_with(id, caller.account.id).await? {
            return Err(Error::NotFound("file"));
        }
        Ok(file)
    }

    /// A link to a file that works without a session until it expires, for places that
    /// cannot send a token (an `<img>` tag, a download manager). Returns the expiry and the
    /// signature; only someone who may read the file gets one.
    pub async fn link(&self, caller: &Principal, id: &FileId) -> Result<(i64, String)> {
        self.file(caller, id).await?;
        let ttl_ms = crate::settings::millis(self.deps.settings.file_link_ttl_secs);
        let expires_at_ms = self.deps.clock.now_ms().saturating_add(ttl_ms);
        Ok((expires_at_ms, self.sign(id, expires_at_ms)?))
    }

    /// The file a signed link names, if the signature is right and the link has not expired.
    pub async fn file_by_link(&self, id: &FileId, expires_at_ms: i64, signature: &str) -> Result<StoredFile> {
        use hmac::Mac;
        let given = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(signature).unwrap_or_default();
        let valid = self.mac(id, expires_at_ms)?.verify_slice(&given).is_ok();
        if !valid || expires_at_ms <= self.deps.clock.now_ms() {
            return Err(Error::NotFound("file"));
        }
        self.file_store.file(id).await?.ok_or(Error::NotFound("file"))
    }

    /// HMAC-SHA256 over the file id and the expiry, keyed by `file_link_key`.
    fn mac(&self, id: &FileId, expires_at_ms: i64) -> Result<hmac::Hmac<sha2::Sha256>> {
        use hmac::Mac;
        let mut mac = <hmac::Hmac<sha2::Sha256> as Mac>::new_from_slice(&self.deps.settings.file_link_key)
            .map_err(|e| Error::Internal(format!("file link key: {e}")))?;
        mac.update(format!("{id}\n{expires_at_ms}").as_bytes());
        Ok(mac)
    }

    fn sign(&self, id: &FileId, expires_at_ms: i64) -> Result<String> {
        use hmac::Mac;
        let tag = self.mac(id, expires_at_ms)?.finalize().into_bytes();
        Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(tag))
    }

    /// Reads a file's bytes, all or one range.
    pub async fn read(
        &self,
        sha256: &str,
        range: Option<ByteRange>,
    ) -> Result<Box<dyn tokio::io::AsyncRead + Send + Unpin>> {
        Ok(self.deps.blobs.read(sha256, range).await?)
    }

    /// Deletes expired uploads, and files no message ever referred to once they are
    /// `unshared_file_retention_secs` old, with the blobs no file uses any more. Returns how
    /// many uploads and blobs went. Bounded per call; the caller runs it periodically.
    pub async fn prune(&self) -> Result<(usize, usize)> {
        let now = self.deps.clock.now_ms();
        let uploads = self.file_store.take_expired_uploads(now, PRUNE_BATCH_LEN).await?;
        for id in &uploads {
            self.deps.blobs.discard(id).await?;
        }
        let keep_ms = crate::settings::millis(self.deps.settings.unshared_file_retention_secs);
        let blobs = self.file_store.take_unshared_files(now.saturating_sub(keep_ms), PRUNE_BATCH_LEN).await?;
        for sha256 in &blobs {
            self.deps.blobs.remove(sha256).await?;
        }
        Ok((uploads.len(), blobs.len()))
    }

    /// The caller's stored bytes and the bytes its open uploads have reserved, each counted as
    /// at least [`FILE_BYTES_MIN`].
    pub async fn bytes_used(&self, caller: &Principal) -> Result<u64> {
        Ok(self.file_store.bytes_used(caller.account.id).await?)
    }

    async fn finish(&self, upload: Upload) -> Result<Appended> {
        // Where a photo was taken is nobody else's business: blank out a JPEG's GPS data
        // before the content is hashed and shared.
        let head = self.deps.blobs.upload_head(&upload.id, SNIFF_BYTES).await?;
        if detect_media_type(&head) == "image/jpeg" {
            for range in crate::images::location_ranges(&head) {
                let zeros = vec![0u8; range.len()];
                self.deps.blobs.overwrite(&upload.id, u64::try_from(range.start).unwrap_or(0), zeros).await?;
            }
        }
        let blob = self.deps.blobs.finish(&upload.id).await?;
        let media_type = detect_media_type(&blob.head);
        // Each kind of file has its own size limit, by the type its content shows.
        let settings = &self.deps.settings;
        let (kind, kind_max) = match media_type.split('/').next().unwrap_or_default() {
            "image" => ("image", settings.image_bytes_max),
            "audio" => ("audio", settings.audio_bytes_max),
            "video" => ("video", settings.video_bytes_max),
            _ => ("file", settings.upload_bytes_max),
        };
        if blob.size > kind_max {
            self.refuse(&upload.id, &blob.sha256).await?;
            return Err(Error::too_large(kind, usize::try_from(kind_max).unwrap_or(usize::MAX), Unit::Bytes));
        }
        let duration_ms = crate::images::mp4_duration_ms(&blob.head);
        let mut media_type = media_type;
        let mut whole: Option<Vec<u8>> = None;
        let mut size = image_size(&media_type, &blob.head);
        if size.is_none() && media_type.starts_with("image/") {
            // The size marker lies past the head (a JPEG may carry any amount of metadata
            // first): read the whole image, which its kind's size limit bounds.
            let bytes = self.read_whole(&blob.sha256, blob.size).await?;
            size = image_size(&media_type, &bytes);
            whole = Some(bytes);
        }
        if size.is_none() && media_type.starts_with("image/") {
            // An image whose size nobody can tell cannot be held to the pixel bound: it is
            // kept as plain bytes, never shown inline nor decoded.
            media_type = "application/octet-stream".to_owned();
        }
        // A decompression bomb: refused before anything decodes it.
        let pixels_max = self.deps.settings.image_pixels_max;
        if let Some((w, h)) = size
            && u64::from(w) * u64::from(h) > pixels_max
        {
            self.refuse(&upload.id, &blob.sha256).await?;
            return Err(Error::too_large("image", usize::try_from(pixels_max).unwrap_or(usize::MAX), Unit::Pixels));
        }
        let (mut width, mut height) = (size.map(|s| s.0), size.map(|s| s.1));
        let (mut blurhash, mut thumbnails) = (None, vec![]);
        if RASTER_TYPES.contains(&media_type.as_str()) {
            let bytes = match whole {
                Some(bytes) => bytes,
                None => self.read_whole(&blob.sha256, blob.size).await?,
            };
            if let Some(processed) = self.process_image(bytes).await? {
                width = Some(processed.width);
                height = Some(processed.height);
                blurhash = processed.blurhash;
                for t in processed.thumbnails {
                    let size = u64::try_from(t.jpeg.len()).unwrap_or(u64::MAX);
                    let sha256 = self.deps.blobs.put(t.jpeg).await?;
                    thumbnails.push(ThumbnailRef { side: t.side, sha256, size, width: t.width, height: t.height });
                }
            }
        }
        let file = StoredFile {
            id: upload.id.clone(),
            account: upload.account,
            sha256: blob.sha256,
            size: blob.size,
            media_type,
            name: upload.name,
            created_at_ms: self.deps.clock.now_ms(),
            width,
            height,
            blurhash,
            thumbnails,
            duration_ms,
        };
        self.file_store.complete_upload(&file).await?;
        Ok(Appended::Complete(file))
    }

    /// Drops a finished upload that breaks a rule: its row, and its bytes unless another
    /// file has the same content.
    async fn refuse(&self, id: &FileId, sha256: &str) -> Result<()> {
        self.file_store.delete_upload(id).await?;
        if !self.file_store.blob_in_use(sha256).await? {
            self.deps.blobs.remove(sha256).await?;
        }
        Ok(())
    }

    /// A blob's bytes, all of them (the callers bound `size` by a kind's size limit).
    async fn read_whole(&self, sha256: &str, size: u64) -> Result<Vec<u8>> {
        use tokio::io::AsyncReadExt;
        let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        let reader = self.deps.blobs.read(sha256, None).await?;
        reader.take(size).read_to_end(&mut bytes).await.map_err(|e| Error::Internal(format!("read image: {e}")))?;
        Ok(bytes)
    }

    /// Decodes an image on the blocking pool into thumbnails and a blurhash, within the decode
    /// budget: it first reserves the memory its header says the decode will hold at its
    /// peak, and a decode slot, waiting for both if other decodes hold them. An image that
    /// would need more than the whole budget is not decoded (it gets no thumbnails).
    pub(crate) async fn process_image(&self, bytes: Vec<u8>) -> Result<Option<crate::images::Processed>> {
        let file_bytes = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
        let (bytes, cost) = tokio::task::spawn_blocking(move || {
            let cost = crate::images::decode_cost(&bytes);
            (bytes, cost)
        })
        .await
        .map_err(|e| Error::Internal(format!("image task: {e}")))?;
        let Some(cost) = cost else { return Ok(None) };
        let peak_bytes = cost.peak_bytes(file_bytes);
        let peak_kib = peak_bytes.div_ceil(1024);
        if peak_kib > self.decoding.memory_kib_max {
            tracing::info!(
                width = cost.width,
                height = cost.height,
                peak_bytes,
                "image too large to decode; no thumbnails"
            );
            return Ok(None);
        }
        let closed = |_| Error::Internal("image decoding stopped".into());
        let _memory =
            self.decoding.memory_kib.acquire_many(u32::try_from(peak_kib).unwrap_or(u32::MAX)).await.map_err(closed)?;
        let _slot = self.decoding.decodes.acquire().await.map_err(closed)?;
        let pixels_max = self.deps.settings.image_pixels_max;
        let work = tokio::task::spawn_blocking(move || crate::images::process(&bytes, pixels_max, peak_bytes));
        work.await.map_err(|e| Error::Internal(format!("image task: {e}")))
    }

    fn expiry_ms(&self) -> i64 {
        crate::settings::millis(self.deps.settings.upload_expiry_secs)
    }
}

/// The SHA-256 of some bytes, lower-case hex.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// An avatar (of a profile or a group) that names a file must name an image its setter
/// uploaded: every account of the uploader's domain may read a file that is an avatar (see
/// [`FileStore::file_shared_with`]), so nobody may make a file they were only shown (an image of
/// a conversation) readable by their whole domain. Any other reference (a URL) is not a file's.
pub(crate) async fn check_avatar(file_store: &dyn FileStore, caller: &Principal, avatar: &str) -> Result<()> {
    check_avatar_of(file_store, Some(caller.account.id), avatar).await
}

/// [`check_avatar`] for an image that `uploader` uploaded; with no uploader (the operator, who
/// uploads nothing), only a URL.
pub(crate) async fn check_avatar_of(
    file_store: &dyn FileStore,
    uploader: Option<crate::model::AccountId>,
    avatar: &str,
) -> Result<()> {
    let Ok(id) = FileId::parse(avatar) else {
        return Ok(());
    };
    match (file_store.file(&id).await?, uploader) {
        (Some(file), Some(uploader))
            if file.account == uploader && file.media_type.starts_with("image/") && file.width.is_some() =>
        {
            Ok(())
        }
        _ => Err(Error::invalid("avatar", "no such image of yours")),
    }
}

/// What the blob store reports of an append.
#[derive(Debug, Clone, Copy)]
pub struct Written {
    pub bytes: u64,
    /// The data stopped with an error (the client's connection broke): `bytes` is what
    /// arrived before, durably written.
    pub interrupted: bool,
    pub sha1: Option<[u8; 20]>,
    pub sha256: Option<[u8; 32]>,
}

/// What the blob store reports when an upload is complete.
#[derive(Debug, Clone)]
pub struct FinishedBlob {
    pub sha256: String,
    pub size: u64,
    /// The first [`SNIFF_BYTES`] bytes, for type detection.
    pub head: Vec<u8>,
}

/// The media type of some content, from its first bytes; `application/octet-stream` when
/// unknown. Text is told apart from binary data so that it can be shown inline safely.
pub fn detect_media_type(head: &[u8]) -> String {
    if let Some(kind) = infer::get(head) {
        return kind.mime_type().to_owned();
    }
    if !head.is_empty() && std::str::from_utf8(head).is_ok() {
        return "text/plain".to_owned();
    }
    "application/octet-stream".to_owned()
}

/// An image's width and height from its header, without decoding it; `None` when no header
/// tells it, or tells a side of 0.
///
/// The decoder's own header reader answers first, so that the pixel bound is checked against
/// the size the decoder will decode: a file may carry several size markers (a JPEG frame
/// header of a kind the decoder skips, then the real one), and another reader may pick another
/// one. Formats the decoders do not know (or a header the head cuts short) fall back to
/// `imagesize`.
pub fn image_size(media_type: &str, head: &[u8]) -> Option<(u32, u32)> {
    if !media_type.starts_with("image/") {
        return None;
    }
    let size = match crate::images::decode_cost(head) {
        Some(cost) => (cost.width, cost.height),
        None => {
            let size = imagesize::blob_size(head).ok()?;
            (u32::try_from(size.width).ok()?, u32::try_from(size.height).ok()?)
        }
    };
    (size.0 > 0 && size.1 > 0).then_some(size)
}

/// A media type a client declares (`filetype` in `Upload-Metadata`), checked and lower-cased.
pub fn media_type(s: &str) -> Result<String> {
    let s = s.trim();
    if s.len() > MEDIA_TYPE_BYTES_MAX {
        return Err(Error::too_large("filetype", MEDIA_TYPE_BYTES_MAX, Unit::Bytes));
    }
    let ok = s.split_once('/').is_some_and(|(a, b)| {
        let token =
            |t: &str| !t.is_empty() && t.bytes().all(|c| c.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(&c));
        token(a) && token(b.split(';').next().unwrap_or_default().trim())
    });
    if ok {
        Ok(s.to_ascii_lowercase())
    } else {
        Err(Error::invalid("filetype", "must be a media type such as image/png"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_ids_are_random_and_shaped() {
        let (a, b) = (FileId::random(), FileId::random());
        assert_ne!(a, b);
        assert_eq!(FileId::parse(a.as_str()).ok(), Some(a));
        for bad in ["", "f", "../etc/passwd", "f%2e%2e", "fAAAAAAAAAAAAAAAAAAAAA/", "gAAAAAAAAAAAAAAAAAAAAAA"] {
            assert!(FileId::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn types_come_from_the_content() {
        let png = [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, b'I', b'H', b'D', b'R'];
        assert_eq!(detect_media_type(&png), "image/png");
        assert_eq!(detect_media_type("你好".as_bytes()), "text/plain");
        assert_eq!(detect_media_type(&[0xff, 0xfe, 0x00, 0x01]), "application/octet-stream");
        assert!(media_type("image/png").is_ok());
        assert!(media_type("../../x").is_err());
    }
}
