//! Compliance exports' archives (the core's `ArchiveMaker`): a ZIP written into a temporary
//! file in the data directory (not `/tmp`, which may be small or in memory) by one blocking
//! thread, fed through a bounded channel so that an export's memory does not grow with its
//! size. The file has no name: it goes when the export is done with it, or with the process.

use async_trait::async_trait;
use std::io::{Seek, Write};

use magpie_core::export::{ArchiveMaker, ArchiveWriter};
use magpie_core::{Error, Result};

/// Pieces the channel holds before the export waits for the writer.
const PIECES_QUEUED_MAX: usize = 16;

pub struct ZipArchives {
    /// Where the temporary files go.
    pub dir: std::path::PathBuf,
}

enum Piece {
    Begin(String),
    Bytes(Vec<u8>),
}

struct ZipWriter {
    tx: tokio::sync::mpsc::Sender<Piece>,
    thread: tokio::task::JoinHandle<std::io::Result<std::fs::File>>,
}

impl ArchiveMaker for ZipArchives {
    fn start(&self) -> Result<Box<dyn ArchiveWriter>> {
        let file = tempfile::tempfile_in(&self.dir)
            .map_err(|e| Error::Internal(format!("a temporary file for the archive in {}: {e}", self.dir.display())))?;
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Piece>(PIECES_QUEUED_MAX);
        let thread = tokio::task::spawn_blocking(move || {
            let mut zip = zip::ZipWriter::new(file);
            let options = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated)
                .large_file(true);
            while let Some(piece) = rx.blocking_recv() {
                match piece {
                    Piece::Begin(name) => zip.start_file(name, options).map_err(std::io::Error::other)?,
                    Piece::Bytes(bytes) => zip.write_all(&bytes)?,
                }
            }
            let mut file = zip.finish().map_err(std::io::Error::other)?;
            file.flush()?;
            file.rewind()?;
            Ok(file)
        });
        Ok(Box::new(ZipWriter { tx, thread }))
    }
}

impl ZipWriter {
    async fn send(&self, piece: Piece) -> Result<()> {
        self.tx.send(piece).await.map_err(|_| Error::Internal("the archive writer stopped".to_owned()))
    }
}

#[async_trait]
impl ArchiveWriter for ZipWriter {
    async fn begin(&mut self, name: &str) -> Result<()> {
        self.send(Piece::Begin(name.to_owned())).await
    }

    async fn write(&mut self, bytes: Vec<u8>) -> Result<()> {
        self.send(Piece::Bytes(bytes)).await
    }

    async fn finish(self: Box<Self>) -> Result<Box<dyn tokio::io::AsyncRead + Send + Unpin>> {
        let ZipWriter { tx, thread } = *self;
        drop(tx);
        let file = thread
            .await
            .map_err(|e| Error::Internal(format!("the archive writer: {e}")))?
            .map_err(|e| Error::Internal(format!("writing the archive: {e}")))?;
        Ok(Box::new(tokio::io::BufReader::new(tokio::fs::File::from_std(file))))
    }
}
