//! The test server's configuration, and a fresh key prefix per test.

use magpie_blobs_s3::{S3Config, S3Credentials};

/// The test server's bucket with a key prefix of its own, or a message that says how to start
/// one.
pub fn config() -> S3Config {
    let var = |name: &str| {
        std::env::var(name).unwrap_or_else(|_| {
            panic!(
                "{name} is not set: run scripts/test, or start the services with \
                 `dir=$(scripts/services up); source $dir/env`"
            )
        })
    };
    let credentials = S3Credentials {
        access_key_id: var("MAGPIE_TEST_S3_ACCESS_KEY_ID"),
        secret_access_key: var("MAGPIE_TEST_S3_SECRET_ACCESS_KEY"),
    };
    let mut config = S3Config::from_url(&var("MAGPIE_TEST_S3_URL"), credentials).unwrap();
    let test = format!("test-{:016x}", rand::random::<u64>());
    config.prefix = if config.prefix.is_empty() { test } else { format!("{}/{test}", config.prefix) };
    config
}
