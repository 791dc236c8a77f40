//! Gives memory back to the system once a burst of connections and streams has ended.
//!
//! glibc's allocator keeps the pages freed by closed connections and streams in its arenas:
//! without help, the resident size of a gateway that held 1 000 streams stays at that peak for
//! good (BENCHMARKS.md); under a steady mixed load its arenas also fragment, and the resident
//! size creeps up. `malloc_trim(0)` returns every whole free page of every arena. It walks and
//! locks the arenas in turn (3–7 ms after 1 000 streams), so it runs on a blocking thread, at
//! most once per check interval: after the load fell well below its peak, or when the resident
//! size grew by 5 % while the load did not (never in the middle of a burst, when nothing is free).

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

/// How often the trimmer looks at the load.
const CHECK_EVERY: Duration = Duration::from_secs(5);

/// How far the load must have fallen from its peak before a trim is worth its walk over the arenas.
const FALL_BEFORE_TRIM: i64 = 64;

/// Growth of the resident size since the last trim that is worth a trim when the load has not
/// grown with it: 5 % (the soak's budget for growth under a steady load), at least 2 MiB.
const CREEP_BEFORE_TRIM_PERCENT: u64 = 5;
const CREEP_BEFORE_TRIM_MIN_KIB: u64 = 2 * 1024;

/// Client connections and streams open now (each holds buffers while it lives).
static LOAD: AtomicI64 = AtomicI64::new(0);
/// The highest `LOAD` since the last trim.
static PEAK: AtomicI64 = AtomicI64::new(0);

/// One unit of load (an open client connection or stream) while it lives.
#[derive(Debug)]
pub struct Held(());

impl Held {
    pub fn new() -> Self {
        let now = LOAD.fetch_add(1, Ordering::Relaxed) + 1;
        PEAK.fetch_max(now, Ordering::Relaxed);
        Self(())
    }
}

impl Default for Held {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        LOAD.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Whether a load of `now`, after a peak of `peak`, is a burst that ended.
fn burst_ended(peak: i64, now: i64) -> bool {
    peak - now >= FALL_BEFORE_TRIM
}

/// The resident size and the load just after the last trim.
#[derive(Debug, Clone, Copy)]
struct Settled {
    rss_kib: u64,
    load: i64,
}

/// Whether the resident size crept up by 5 % since `settled` while the load stayed about the
/// same (a growing load holds what it allocated: nothing to give back).
fn crept(settled: Settled, rss_kib: u64, load: i64) -> bool {
    let creep = (settled.rss_kib * CREEP_BEFORE_TRIM_PERCENT / 100).max(CREEP_BEFORE_TRIM_MIN_KIB);
    rss_kib >= settled.rss_kib + creep && load - settled.load < FALL_BEFORE_TRIM
}

/// This process's resident size (`VmRSS`), in KiB; `None` without `/proc`.
fn resident_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find_map(|line| line.strip_prefix("VmRSS:"))?;
    line.split_whitespace().next()?.parse().ok()
}

/// Starts the trimmer: every `CHECK_EVERY`, after a burst ended or when the resident size crept
/// up under a steady load, the allocator's free pages go back to the system.
pub fn spawn_trimmer() -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(CHECK_EVERY);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut settled = None;
        loop {
            ticks.tick().await;
            let load = LOAD.load(Ordering::Relaxed);
            let rss = resident_kib();
            let creeping = settled.zip(rss).is_some_and(|(settled, rss)| crept(settled, rss, load));
            let trimmed = burst_ended(PEAK.load(Ordering::Relaxed), load) || creeping;
            if trimmed {
                PEAK.store(load, Ordering::Relaxed);
                trim().await;
            }
            // Creep is measured from just after a trim (read again: the trim changed it), or
            // from the latest peak of a rising load (what a rising load allocates is in use).
            if trimmed || settled.is_none() || load >= PEAK.load(Ordering::Relaxed) {
                let rss = if trimmed { resident_kib() } else { rss };
                settled = rss.map(|rss_kib| Settled { rss_kib, load });
            }
        }
    })
}

async fn trim() {
    let started = std::time::Instant::now();
    let released = tokio::task::spawn_blocking(release_free_pages).await.unwrap_or(false);
    tracing::debug!(released, took_us = started.elapsed().as_micros(), "returned free allocator pages to the system");
}

/// glibc: `malloc_trim(0)`; whether anything was released.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn release_free_pages() -> bool {
    // SAFETY: `malloc_trim` takes no pointers and locks each arena while it works on it, so it
    // may run beside allocations on other threads; it only releases pages nothing uses.
    unsafe { libc::malloc_trim(0) == 1 }
}

/// Other allocators (musl, macOS) return freed memory themselves, or offer no such call.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn release_free_pages() -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_burst_of_closed_streams_triggers_a_trim() {
        assert!(!burst_ended(0, 0));
        assert!(!burst_ended(100, 40));
        assert!(burst_ended(100, 36));
        assert!(burst_ended(1000, 0));
    }

    #[test]
    fn a_creeping_resident_size_under_a_steady_load_triggers_a_trim() {
        let settled = Settled { rss_kib: 100 * 1024, load: 32 };
        assert!(!crept(settled, 104 * 1024, 32));
        assert!(crept(settled, 105 * 1024, 40));
        assert!(!crept(settled, 150 * 1024, 32 + FALL_BEFORE_TRIM), "a grown load holds its memory");
        let small = Settled { rss_kib: 20 * 1024, load: 0 };
        assert!(!crept(small, 21 * 1024, 0), "at least 2 MiB");
        assert!(crept(small, 22 * 1024, 0));
    }

    #[test]
    fn the_resident_size_is_read_from_proc() {
        let kib = resident_kib().unwrap();
        assert!(kib > 100 && kib < 16 * 1024 * 1024, "{kib} KiB");
    }

    #[test]
    fn the_peak_follows_the_most_load_at_once() {
        let first = Held::new();
        let second = Held::new();
        let peak = PEAK.load(Ordering::Relaxed);
        drop(second);
        assert!(PEAK.load(Ordering::Relaxed) >= peak && peak >= 2);
        assert!(LOAD.load(Ordering::Relaxed) < peak);
        drop(first);
    }
}
