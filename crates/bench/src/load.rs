//! Throughput at fixed concurrency for a bounded time and count, with the gateway's CPU
//! seconds (from /proc) and its peak RSS over the run.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::http::{Call, Http};
use crate::procfs::{cpu_seconds, memory};

/// Limits of one load run.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    pub concurrency: usize,
    pub duration: Duration,
    pub max_requests: usize,
}

#[derive(Debug, Default, Clone, Copy)]
pub struct LoadResult {
    pub ok: usize,
    pub failed: usize,
    pub elapsed: f64,
    /// CPU seconds the watched process used during the run.
    pub cpu: f64,
    /// SSE events received (streams only).
    pub events: usize,
    pub peak_rss_mib: f64,
}

impl LoadResult {
    pub fn per_second(&self) -> f64 {
        self.ok as f64 / self.elapsed.max(1e-9)
    }

    /// Watched-process CPU µs per successful request.
    pub fn cpu_us_per_request(&self) -> f64 {
        self.cpu * 1e6 / (self.ok.max(1) as f64)
    }
}

#[derive(Default)]
struct Counters {
    issued: AtomicUsize,
    ok: AtomicUsize,
    failed: AtomicUsize,
    events: AtomicUsize,
}

pub async fn run(http: &Http, call: &Call, bounds: Bounds, pid: u32) -> Result<LoadResult, String> {
    let counters = Arc::new(Counters::default());
    let deadline = Instant::now() + bounds.duration;
    let cpu_before = cpu_seconds(pid)?;
    let started = Instant::now();
    let sampler = tokio::spawn(sample_rss(pid, Arc::clone(&counters), bounds.max_requests, deadline));
    let workers: Vec<_> = (0..bounds.concurrency)
        .map(|_| tokio::spawn(worker(http.clone(), call.clone(), Arc::clone(&counters), bounds.max_requests, deadline)))
        .collect();
    for worker in workers {
        worker.await.map_err(|e| e.to_string())?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let cpu = cpu_seconds(pid)? - cpu_before;
    let peak_rss_mib = sampler.await.unwrap_or(0.0).max(memory(pid).map_or(0.0, |m| m.rss_mib));
    Ok(LoadResult {
        ok: counters.ok.load(Ordering::Relaxed),
        failed: counters.failed.load(Ordering::Relaxed),
        elapsed,
        cpu,
        events: counters.events.load(Ordering::Relaxed),
        peak_rss_mib,
    })
}

async fn worker(http: Http, call: Call, counters: Arc<Counters>, max: usize, deadline: Instant) {
    while Instant::now() < deadline && counters.issued.fetch_add(1, Ordering::Relaxed) < max {
        match http.send(&call, false).await {
            Ok(t) if t.status == 200 => {
                counters.ok.fetch_add(1, Ordering::Relaxed);
                counters.events.fetch_add(t.sse_events(), Ordering::Relaxed);
            }
            _ => {
                counters.failed.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// Peak VmRSS (MiB) sampled every 100 ms until the run ends (the caller aborts it).
async fn sample_rss(pid: u32, counters: Arc<Counters>, max: usize, deadline: Instant) -> f64 {
    let mut peak: f64 = 0.0;
    while Instant::now() < deadline && counters.issued.load(Ordering::Relaxed) < max {
        peak = peak.max(memory(pid).map_or(0.0, |m| m.rss_mib));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    peak
}
