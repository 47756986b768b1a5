//! The local-disk [`BlobStore`]: partial uploads under `uploads/`, complete content under
//! `sha256/<first two hex digits>/<sha256>`. Paths are made only from server-made names (a
//! validated file id, a computed digest), never from anything a client named.
//!
//! An append is made durable (`sync_data`) before it is reported, so an offset the server
//! acknowledged survives a crash. A finished upload is renamed into place, or dropped if its
//! content is stored already: each content is kept once.

use std::io::SeekFrom;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use magpie_core::files::{ByteRange, FileId, FinishedBlob, SNIFF_BYTES, Written};
use magpie_core::ports::BlobStore;
use magpie_core::{Error, StoreError, Unit};
use sha1::Digest as _;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

/// Bytes copied per read while appending or hashing.
const COPY_BUFFER_BYTES: usize = 64 * 1024;

/// Numbers the temporary files of `put` in this process: two puts of the same content at once
/// (eight uploads of one picture make the same thumbnails) each write their own and rename it.
/// With the process id in the name, they differ across every store on the directory, in this
/// process (two stores opened on it) and in others (`magpie admin` beside the server).
static PUTS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

pub struct LocalBlobs {
    root: PathBuf,
}

impl LocalBlobs {
    /// A store under `root` (created if missing).
    pub fn open(root: &Path) -> std::io::Result<LocalBlobs> {
        std::fs::create_dir_all(root.join("uploads"))?;
        std::fs::create_dir_all(root.join("sha256"))?;
        Ok(LocalBlobs { root: root.to_owned() })
    }

    fn partial(&self, id: &FileId) -> PathBuf {
        self.root.join("uploads").join(id.as_str())
    }

    fn blob(&self, sha256: &str) -> Result<PathBuf, StoreError> {
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()) {
            return Err(StoreError::Other(format!("not a sha256 digest: {sha256:?}")));
        }
        Ok(self.root.join("sha256").join(&sha256[..2]).join(sha256))
    }
}

fn io(e: std::io::Error) -> StoreError {
    StoreError::Other(format!("blob store: {e}"))
}

#[async_trait]
impl BlobStore for LocalBlobs {
    async fn start(&self, upload: &FileId) -> Result<(), StoreError> {
        let file = tokio::fs::File::create(self.partial(upload)).await.map_err(io)?;
        file.sync_all().await.map_err(io)
    }

    async fn append(
        &self,
        upload: &FileId,
        offset: u64,
        room_bytes: u64,
        digest: bool,
        mut data: Box<dyn AsyncRead + Send + Unpin>,
    ) -> Result<Written, Error> {
        let mut file = tokio::fs::OpenOptions::new().write(true).open(self.partial(upload)).await.map_err(io)?;
        let len = file.metadata().await.map_err(io)?.len();
        if offset > len {
            // Extending the file would make up bytes nobody sent.
            return Err(
                StoreError::Other(format!("blob store: upload {upload} is {len} bytes long, not {offset}")).into()
            );
        }
        file.set_len(offset).await.map_err(io)?;
        file.seek(SeekFrom::Start(offset)).await.map_err(io)?;
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
            let chunk = &buf[..n];
            written += n as u64;
            if written > room_bytes {
                // Nothing of the chunk is kept: back to where the append began.
                file.set_len(offset).await.map_err(io)?;
                let max = usize::try_from(room_bytes).unwrap_or(usize::MAX);
                return Err(Error::too_large("body", max, Unit::Bytes));
            }
            if digest {
                sha1.update(chunk);
                sha256.update(chunk);
            }
            file.write_all(chunk).await.map_err(io)?;
        }
        file.flush().await.map_err(io)?;
        file.sync_data().await.map_err(io)?;
        Ok(Written {
            bytes: written,
            interrupted,
            sha1: digest.then(|| sha1.finalize().into()),
            sha256: digest.then(|| sha256.finalize().into()),
        })
    }

    async fn upload_head(&self, upload: &FileId, len: usize) -> Result<Vec<u8>, StoreError> {
        let file = tokio::fs::File::open(self.partial(upload)).await.map_err(io)?;
        let mut head = Vec::with_capacity(len);
        file.take(u64::try_from(len).unwrap_or(u64::MAX)).read_to_end(&mut head).await.map_err(io)?;
        Ok(head)
    }

    async fn overwrite(&self, upload: &FileId, offset: u64, bytes: Vec<u8>) -> Result<(), StoreError> {
        let mut file = tokio::fs::OpenOptions::new().write(true).open(self.partial(upload)).await.map_err(io)?;
        let len = file.metadata().await.map_err(io)?.len();
        if offset.checked_add(bytes.len() as u64).is_none_or(|end| end > len) {
            return Err(StoreError::Other(format!(
                "blob store: upload {upload} is {len} bytes long; cannot overwrite {} bytes at {offset}",
                bytes.len()
            )));
        }
        file.seek(SeekFrom::Start(offset)).await.map_err(io)?;
        file.write_all(&bytes).await.map_err(io)?;
        file.sync_data().await.map_err(io)
    }

    async fn truncate(&self, upload: &FileId, offset: u64) -> Result<(), StoreError> {
        let file = tokio::fs::OpenOptions::new().write(true).open(self.partial(upload)).await.map_err(io)?;
        // Cuts only: setting a larger length would make up bytes nobody sent.
        if file.metadata().await.map_err(io)?.len() > offset {
            file.set_len(offset).await.map_err(io)?;
            file.sync_data().await.map_err(io)?;
        }
        Ok(())
    }

    async fn finish(&self, upload: &FileId) -> Result<FinishedBlob, StoreError> {
        let partial = self.partial(upload);
        let mut file = tokio::fs::File::open(&partial).await.map_err(io)?;
        let mut hasher = sha2::Sha256::new();
        let mut head = Vec::with_capacity(SNIFF_BYTES);
        let mut buf = vec![0u8; COPY_BUFFER_BYTES];
        let mut size = 0u64;
        loop {
            let n = file.read(&mut buf).await.map_err(io)?;
            if n == 0 {
                break;
            }
            let chunk = &buf[..n];
            if head.len() < SNIFF_BYTES {
                head.extend_from_slice(&chunk[..chunk.len().min(SNIFF_BYTES - head.len())]);
            }
            hasher.update(chunk);
            size += n as u64;
        }
        let sha256: String = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
        let target = self.blob(&sha256)?;
        if tokio::fs::try_exists(&target).await.map_err(io)? {
            // The same content is stored already: keep one copy.
            tokio::fs::remove_file(&partial).await.map_err(io)?;
        } else {
            let dir = target.parent().ok_or_else(|| StoreError::Other("blob path without a parent".into()))?;
            tokio::fs::create_dir_all(dir).await.map_err(io)?;
            tokio::fs::rename(&partial, &target).await.map_err(io)?;
            // Make the rename itself durable.
            tokio::fs::File::open(dir).await.map_err(io)?.sync_all().await.map_err(io)?;
        }
        Ok(FinishedBlob { sha256, size, head })
    }

    async fn discard(&self, upload: &FileId) -> Result<(), StoreError> {
        match tokio::fs::remove_file(self.partial(upload)).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io(e)),
        }
    }

    async fn put(&self, bytes: Vec<u8>) -> Result<String, StoreError> {
        let sha256: String = sha2::Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
        let target = self.blob(&sha256)?;
        if !tokio::fs::try_exists(&target).await.map_err(io)? {
            let dir = target.parent().ok_or_else(|| StoreError::Other("blob path without a parent".into()))?;
            tokio::fs::create_dir_all(dir).await.map_err(io)?;
            // Written aside and renamed, so that a half-written blob never has the real name.
            let n = PUTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let temp = self.root.join("uploads").join(format!("put-{sha256}-{}-{n}", std::process::id()));
            let mut file = tokio::fs::File::create(&temp).await.map_err(io)?;
            file.write_all(&bytes).await.map_err(io)?;
            file.sync_all().await.map_err(io)?;
            tokio::fs::rename(&temp, &target).await.map_err(io)?;
            tokio::fs::File::open(dir).await.map_err(io)?.sync_all().await.map_err(io)?;
        }
        Ok(sha256)
    }

    async fn remove(&self, sha256: &str) -> Result<(), StoreError> {
        match tokio::fs::remove_file(self.blob(sha256)?).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io(e)),
        }
    }

    async fn read(
        &self,
        sha256: &str,
        range: Option<ByteRange>,
    ) -> Result<Box<dyn AsyncRead + Send + Unpin>, StoreError> {
        if let Some(r) = range
            && r.first > r.last
        {
            return Err(StoreError::Other(format!("blob store: an empty range {}-{}", r.first, r.last)));
        }
        let mut file = tokio::fs::File::open(self.blob(sha256)?).await.map_err(io)?;
        match range {
            None => Ok(Box::new(file)),
            Some(r) => {
                file.seek(SeekFrom::Start(r.first)).await.map_err(io)?;
                Ok(Box::new(file.take(r.last - r.first + 1)))
            }
        }
    }
}
