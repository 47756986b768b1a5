//! The blob store conformance suite (`magpie_store_tests::blobs`) against [`LocalBlobs`]: every
//! check on a fresh temporary directory. Two stores opened on one directory are one node
//! before and after a restart.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use async_trait::async_trait;
use magpie_blobs::LocalBlobs;
use magpie_core::ports::BlobStore;
use magpie_store_tests::blobs::BlobFactory;

struct Local;

#[async_trait]
impl BlobFactory for Local {
    type Place = tempfile::TempDir;

    async fn place(&self) -> tempfile::TempDir {
        tempfile::tempdir().unwrap()
    }

    async fn open(&self, dir: &tempfile::TempDir) -> Arc<dyn BlobStore> {
        Arc::new(LocalBlobs::open(dir.path()).unwrap())
    }
}

magpie_store_tests::blob_conformance!(Local);
