//! [`S3Blobs`](magpie_blobs_s3::S3Blobs) against a real S3-compatible server: the Garage that
//! `scripts/services up` starts (`MAGPIE_TEST_S3_URL` and its key in
//! `MAGPIE_TEST_S3_ACCESS_KEY_ID`, `MAGPIE_TEST_S3_SECRET_ACCESS_KEY`). Each test keeps its
//! objects under a random key prefix, so tests share the bucket without meeting.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod conformance;
mod s3;
mod support;
