//! Gateway integration tests: the router in-process (`oneshot`) against the in-process
//! emulator, and the real binary on port 0.

mod binary;
mod helpers;
mod router;
