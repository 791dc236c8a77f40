//! Gateway integration tests: the router in-process (`oneshot`) against the in-process
//! emulator, and the real binary on port 0.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test harness: failing loudly is the point")]

mod binary;
mod embeddings;
mod faces;
mod hardening;
mod helpers;
mod metrics;
mod props;
mod router;
