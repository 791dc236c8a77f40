//! Gateway integration tests: the router in-process (`oneshot`) against the in-process
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test harness: failing loudly is the point")]
//! emulator, and the real binary on port 0.

mod binary;
mod helpers;
mod router;
