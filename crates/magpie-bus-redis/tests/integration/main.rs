//! The Redis adapters against a real Redis: the one `scripts/services up` starts (its URL in
//! `MAGPIE_TEST_REDIS_URL`), and for the tests that kill Redis, a private `redis-server` of
//! their own. Each test names its deployment with a random prefix, so tests share the Redis
//! without meeting.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod bus;
mod counters;
mod presence;
mod support;
