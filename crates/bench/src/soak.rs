//! A bounded soak: a mixed workload (every face, streams, tool calls, embeddings, bad
//! requests, mid-stream upstream failures and clients that hang up mid-stream) for a fixed
//! time, printing the gateway's RSS and open descriptors at every interval, then the RSS
//! growth after warm-up.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::Method;
use serde_json::json;

use crate::http::{Call, Http};
use crate::procfs::{cpu_seconds, memory, open_fds};
use crate::report::{note, Report};
use crate::workloads::{chat_body, stream_call, Workload, CHAT_MODEL};

/// Limits and pacing of one soak.
#[derive(Debug, Clone, Copy)]
pub struct SoakBounds {
    pub duration: Duration,
    pub warm_up: Duration,
    pub interval: Duration,
    pub concurrency: usize,
}

/// How a soak request is sent: read whole, or dropped after the first body frame.
#[derive(Debug, Clone)]
struct Mixed {
    call: Call,
    hang_up: bool,
}

fn post(gateway: &str, key: &str, path: &str, body: &serde_json::Value) -> Call {
    Call {
        method: Method::POST,
        url: format!("{gateway}{path}"),
        auth: format!("Bearer {key}"),
        body: Some(Bytes::from(body.to_string())),
    }
}

/// The mix, one entry per request kind (workers walk it round-robin from different offsets).
fn mix(gateway: &str, key: &str) -> Vec<Mixed> {
    let whole = |call| Mixed { call, hang_up: false };
    let messages = json!({"model": CHAT_MODEL, "max_tokens": 256, "stream": true,
        "messages": [{"role": "user", "content": "Hi.\n#words 40"}]});
    let responses = json!({"model": CHAT_MODEL, "stream": true, "input": "Hi.\n#words 40"});
    let wrong_key = post(gateway, "not-a-key", "/v1/chat/completions", &chat_body("hi", false));
    vec![
        whole(Workload::Chat.gateway_call(gateway, key)),
        whole(Workload::Stream.gateway_call(gateway, key)),
        whole(Workload::Tool.gateway_call(gateway, key)),
        whole(Workload::Embed.gateway_call(gateway, key)),
        whole(post(gateway, key, "/v1/messages", &messages)),
        whole(post(gateway, key, "/v1/responses", &responses)),
        whole(stream_call(gateway, key, "Fail mid-way.\n#words 30\n#stream-error throttling")),
        whole(stream_call(gateway, key, "Upstream drops.\n#words 30\n#drop")),
        whole(post(gateway, key, "/v1/chat/completions", &json!({"model": CHAT_MODEL, "messages": "not a list"}))),
        whole(wrong_key),
        Mixed { call: stream_call(gateway, key, "Hang up.\n#chunk-delay 20\n#words 60"), hang_up: true },
        Mixed { call: stream_call(gateway, key, "Hang up early.\n#delay 50\n#words 30"), hang_up: true },
    ]
}

#[derive(Default)]
struct Tally {
    sent: AtomicUsize,
    answered: AtomicUsize,
    transport_errors: AtomicUsize,
}

/// One sample of the gateway.
#[derive(Debug, Clone, Copy)]
struct Sample {
    at: Duration,
    rss: f64,
    fds: usize,
}

pub async fn soak(
    http: &Http,
    gateway: &str,
    key: &str,
    pid: u32,
    bounds: SoakBounds,
    report: &mut Report,
) -> Result<(), String> {
    let mix = Arc::new(mix(gateway, key));
    let tally = Arc::new(Tally::default());
    let started = Instant::now();
    let deadline = started + bounds.duration;
    let cpu_before = cpu_seconds(pid)?;
    let workers: Vec<_> = (0..bounds.concurrency)
        .map(|offset| tokio::spawn(worker(http.clone(), Arc::clone(&mix), Arc::clone(&tally), offset, deadline)))
        .collect();
    let samples = sample(pid, started, deadline, bounds.interval, &tally).await;
    for worker in workers {
        let _ignored = worker.await;
    }
    let cpu = cpu_seconds(pid)? - cpu_before;
    summarise(&samples, bounds, &tally, cpu, report);
    Ok(())
}

async fn worker(http: Http, mix: Arc<Vec<Mixed>>, tally: Arc<Tally>, offset: usize, deadline: Instant) {
    let mut next = offset;
    while Instant::now() < deadline {
        let request = &mix[next % mix.len()];
        next += 1;
        tally.sent.fetch_add(1, Ordering::Relaxed);
        let answered = match request.hang_up {
            true => http.send_and_hang_up(&request.call).await,
            false => http.send(&request.call, false).await.map(|t| t.status),
        };
        match answered {
            Ok(_) => tally.answered.fetch_add(1, Ordering::Relaxed),
            Err(_) => tally.transport_errors.fetch_add(1, Ordering::Relaxed),
        };
    }
}

/// Samples RSS and descriptors every `interval` until the deadline, printing each sample.
async fn sample(pid: u32, started: Instant, deadline: Instant, interval: Duration, tally: &Tally) -> Vec<Sample> {
    let mut samples = Vec::new();
    while Instant::now() < deadline {
        tokio::time::sleep(interval.min(deadline.saturating_duration_since(Instant::now()))).await;
        let (Ok(mem), Ok(fds)) = (memory(pid), open_fds(pid)) else {
            note("the gateway is gone");
            break;
        };
        let s = Sample { at: started.elapsed(), rss: mem.rss_mib, fds };
        let sent = tally.sent.load(Ordering::Relaxed);
        note(&format!("soak t={:>4.0}s rss={:.1} MiB fds={} requests={sent}", s.at.as_secs_f64(), s.rss, s.fds));
        samples.push(s);
    }
    samples
}

fn summarise(samples: &[Sample], bounds: SoakBounds, tally: &Tally, cpu: f64, report: &mut Report) {
    let name = format!("soak {} s, concurrency {}", bounds.duration.as_secs(), bounds.concurrency);
    let series = samples.iter().map(|s| format!("{:.0}s {:.1}/{}", s.at.as_secs_f64(), s.rss, s.fds));
    report.info(&name, "RSS (MiB) / open fds over time", series.collect::<Vec<_>>().join(", "));
    let sent = tally.sent.load(Ordering::Relaxed);
    let value = format!(
        "{sent} sent, {} answered, {} transport errors; gateway CPU {cpu:.1} s",
        tally.answered.load(Ordering::Relaxed),
        tally.transport_errors.load(Ordering::Relaxed)
    );
    report.info(&name, "requests", value);
    let after_warm_up: Vec<&Sample> = samples.iter().filter(|s| s.at >= bounds.warm_up).collect();
    let (Some(first), Some(last)) = (after_warm_up.first(), after_warm_up.last()) else {
        report.check(&name, "RSS growth after warm-up", "no samples".to_owned(), "< 5 %", false);
        return;
    };
    let growth = (last.rss - first.rss) / first.rss.max(1e-9) * 100.0;
    let peak = after_warm_up.iter().map(|s| s.rss).fold(0.0, f64::max);
    let value = format!("{growth:+.1} % ({:.1} → {:.1} MiB, peak {peak:.1})", first.rss, last.rss);
    report.check(&name, "RSS growth after warm-up", value, "< 5 %", growth < 5.0);
    let fds = format!("{} → {} (max {})", first.fds, last.fds, after_warm_up.iter().map(|s| s.fds).max().unwrap_or(0));
    report.info(&name, "open fds after warm-up", fds);
}
