//! The blob store conformance suite (`magpie_store_tests::blobs`) against [`S3Blobs`]: every
//! check under a key prefix of its own, with chunks of the suite's piece length so that its
//! offsets fall on and across chunk edges. Two stores opened on one prefix are two nodes.

use std::sync::Arc;

use async_trait::async_trait;
use magpie_blobs_s3::{PART_BYTES, S3Blobs, S3Config};
use magpie_core::ports::BlobStore;
use magpie_store_tests::blobs::{BlobFactory, PIECE_BYTES};

struct S3;

#[async_trait]
impl BlobFactory for S3 {
    type Place = S3Config;

    async fn place(&self) -> S3Config {
        S3Config { chunk_bytes_max: PIECE_BYTES, ..crate::support::config() }
    }

    async fn open(&self, config: &S3Config) -> Arc<dyn BlobStore> {
        Arc::new(S3Blobs::open(config).unwrap())
    }

    /// Two whole multipart parts and a short last one.
    fn large_upload_bytes(&self) -> usize {
        2 * PART_BYTES + 12_345
    }
}

magpie_store_tests::blob_conformance!(S3);
