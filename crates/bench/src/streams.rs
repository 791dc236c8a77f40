//! Streaming behaviour: chunks forwarded as they arrive (arrival spread), memory with many
//! streams held open at once, and CPU per event with many slow (paced) streams.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::http::{Http, Timing};
use crate::procfs::{cpu_seconds, memory, open_fds};
use crate::report::{note, Report};
use crate::stats::ms;
use crate::workloads::{direct_twin, get, stream_call};
use crate::Target;

/// Directives of the spread test: 20 words = 7 text deltas, 50 ms between events.
const SPREAD_TEXT: &str = "Spread test.\n#chunk-delay 50\n#words 20";
/// The memory test's streams: about 2.5 s each, one event every 100 ms.
const HOLD_TEXT: &str = "Hold.\n#chunk-delay 100\n#words 60";
/// Beyond a few thousand streams, opening them all takes seconds: these last about 20 s.
const LONG_HOLD_TEXT: &str = "Hold.\n#chunk-delay 1000\n#words 60";
/// Paced streams, like a real model: one event every 500 ms (2 events/s), about 9 s each.
const PACED_TEXT: &str = "Paced.\n#chunk-delay 500\n#words 40";
/// The same pace with fewer events: the difference of the two runs is the cost of the extra
/// events alone, without each stream's fixed cost (two new connections and a request).
const PACED_SHORT_TEXT: &str = "Paced.\n#chunk-delay 500\n#words 10";
/// Longest a hold may take, from the first request to the last stream's end.
const HOLD_DEADLINE: Duration = Duration::from_secs(180);
/// Streams opened per second: a burst of thousands of connects at once overflows the listen
/// backlogs (SYNs dropped and retried seconds later), which real traffic does not do.
const OPENED_PER_SECOND: u64 = 2000;
/// How long after the last stream closed the RSS is read again (memory given back? the gateway
/// looks every 5 s whether a burst of connections and streams ended).
const SETTLE: Duration = Duration::from_secs(8);

/// Arrival times (ms from request start) of the body frames.
fn arrivals(t: &Timing) -> Vec<f64> {
    t.frames.iter().map(|(at, _)| ms(*at)).collect()
}

fn listing(times: &[f64]) -> String {
    times.iter().map(|t| format!("{t:.0}")).collect::<Vec<_>>().join(" ")
}

/// With `#chunk-delay 50` the emulator sends one event every 50 ms: the client must see the
/// gateway's chunks spread out the same way, not bunched at the end.
pub async fn spread(http: &Http, target: &Target, report: &mut Report) -> Result<(), String> {
    let via = stream_call(&target.gateway, &target.key, SPREAD_TEXT);
    let direct = direct_twin(http, &via, "ConverseStream", &target.emulator).await?;
    let d = arrivals(&http.send_ok(&direct).await?);
    let g = arrivals(&http.send_ok(&via).await?);
    let span = |v: &[f64]| v.last().copied().unwrap_or(0.0) - v.first().copied().unwrap_or(0.0);
    let name = "stream, #chunk-delay 50 #words 20";
    report.info(name, "frame arrivals direct (ms)", listing(&d));
    report.info(name, "frame arrivals via gateway (ms)", listing(&g));
    // Buffering would put every gateway frame within a few ms of the last one.
    let met = g.len() >= 5 && span(&g) >= 0.8 * span(&d);
    let value = format!("first→last {:.0} ms via gateway vs {:.0} ms direct, {} frames", span(&g), span(&d), g.len());
    report.check(name, "chunks forwarded as they arrive", value, "spread ≈ direct", met);
    Ok(())
}

/// What a hold saw.
#[derive(Debug, Default)]
struct Held {
    most_open: usize,
    emulator_open: usize,
    idle_rss: f64,
    peak_rss: f64,
    peak_fds: usize,
    /// RSS `SETTLE` after the last stream closed.
    rss_after: f64,
    ok: usize,
    /// SSE events the clients received, over every stream.
    events: usize,
    /// Gateway CPU seconds from the first request to the last stream's end.
    cpu: f64,
    /// The emulator's, over the same time (when its PID is known): a reference for the cost
    /// of one wake-up and one write per event on this machine.
    emulator_cpu: Option<f64>,
}

impl Held {
    fn per_stream_kib(&self, count: usize) -> f64 {
        (self.peak_rss - self.idle_rss) * 1024.0 / count.max(1) as f64
    }
}

/// Shared counters of the stream tasks.
#[derive(Default)]
struct Live {
    open: AtomicUsize,
    ok: AtomicUsize,
    events: AtomicUsize,
}

/// Opens `count` streams of `text` at once and samples the gateway (RSS, descriptors) and
/// the emulator's open-stream count until they have all ended. The streams' clients hang up
/// once done (their own connection pool is dropped), as the many clients of a burst would.
async fn hold(http: &Http, target: &Target, count: usize, text: &str) -> Result<Held, String> {
    let call = stream_call(&target.gateway, &target.key, text);
    let streams = Http::new();
    let live = Arc::new(Live::default());
    let idle_rss = memory(target.pid)?.rss_mib;
    let cpu_before = cpu_seconds(target.pid)?;
    let emulator_before = target.emulator_pid.and_then(|pid| cpu_seconds(pid).ok());
    let tasks: Vec<_> = (0..count)
        .map(|i| {
            let (http, call, live) = (streams.clone(), call.clone(), Arc::clone(&live));
            let start = Duration::from_micros(i as u64 * 1_000_000 / OPENED_PER_SECOND);
            tokio::spawn(async move {
                tokio::time::sleep(start).await;
                live.open.fetch_add(1, Ordering::Relaxed);
                if let Ok(t) = http.send(&call, false).await.map_err(|e| note(&e)) {
                    if t.status == 200 {
                        live.ok.fetch_add(1, Ordering::Relaxed);
                        live.events.fetch_add(t.sse_events(), Ordering::Relaxed);
                    }
                }
                live.open.fetch_sub(1, Ordering::Relaxed);
            })
        })
        .collect();
    let mut held = sample_while_open(http, target, &live, &tasks).await;
    for task in tasks {
        task.abort(); // only those still running past the deadline
        let _ignored = task.await;
    }
    held.cpu = cpu_seconds(target.pid)? - cpu_before;
    held.emulator_cpu = emulator_before
        .and_then(|before| target.emulator_pid.and_then(|pid| cpu_seconds(pid).ok()).map(|after| after - before));
    held.ok = live.ok.load(Ordering::Relaxed);
    held.events = live.events.load(Ordering::Relaxed);
    held.idle_rss = idle_rss;
    drop(streams);
    tokio::time::sleep(SETTLE).await;
    held.rss_after = memory(target.pid)?.rss_mib;
    Ok(held)
}

async fn sample_while_open(http: &Http, target: &Target, live: &Live, tasks: &[tokio::task::JoinHandle<()>]) -> Held {
    let deadline = Instant::now() + HOLD_DEADLINE;
    let stats = get(&format!("{}/_emulator/stats", target.emulator));
    let mut held = Held::default();
    while Instant::now() < deadline && !tasks.iter().all(tokio::task::JoinHandle::is_finished) {
        tokio::time::sleep(Duration::from_millis(100)).await;
        held.most_open = held.most_open.max(live.open.load(Ordering::Relaxed));
        held.peak_rss = held.peak_rss.max(memory(target.pid).map_or(0.0, |m| m.rss_mib));
        held.peak_fds = held.peak_fds.max(open_fds(target.pid).unwrap_or(0));
        match http.send(&stats, true).await {
            Ok(t) => {
                let value: serde_json::Value = serde_json::from_slice(&t.body).unwrap_or_default();
                let now = value["open_streams"].as_u64().unwrap_or(0);
                held.emulator_open = held.emulator_open.max(usize::try_from(now).unwrap_or(0));
            }
            Err(e) => note(&e),
        }
    }
    held
}

/// The rows every hold reports: streams seen, memory while held and after, descriptors.
fn report_held(name: &str, count: usize, held: &Held, report: &mut Report) {
    let seen = format!(
        "{} ok; most open at once: {} client-side, {} at the emulator",
        held.ok, held.most_open, held.emulator_open
    );
    report.info(name, "streams", seen);
    let per_stream = held.per_stream_kib(count);
    let value = format!("{:.1} (idle {:.1}, {per_stream:.0} KiB per stream)", held.peak_rss, held.idle_rss);
    report.check(name, "gateway RSS while held (MiB)", value, "≤ 60 KiB per stream", per_stream <= 60.0);
    let after = format!("{:.1} ({:+.1} over idle)", held.rss_after, held.rss_after - held.idle_rss);
    report.info(name, &format!("gateway RSS {} s after the last stream closed (MiB)", SETTLE.as_secs()), after);
    report.info(name, "gateway open file descriptors, peak", held.peak_fds.to_string());
    let cpu = format!("{:.2} s ({:.0} µs per stream)", held.cpu, held.cpu * 1e6 / held.ok.max(1) as f64);
    report.info(name, "gateway CPU over the hold", cpu);
}

/// Opens `count` streams at once (each lasts about 2–3 s: `#chunk-delay 100`, `#words 60`;
/// about 20 s beyond 2 000 streams): memory per open stream, and whether it is given back.
pub async fn hold_open(http: &Http, target: &Target, count: usize, report: &mut Report) -> Result<(), String> {
    let text = if count > 2000 { LONG_HOLD_TEXT } else { HOLD_TEXT };
    let held = hold(http, target, count, text).await?;
    let name = format!("{count} concurrent open streams");
    report_held(&name, count, &held, report);
    if count == 1000 {
        report.check(
            &name,
            "gateway RSS with 1 000 streams (MiB)",
            format!("{:.1}", held.peak_rss),
            "≤ 80",
            held.peak_rss <= 80.0,
        );
    }
    Ok(())
}

/// `count` slow streams at once, each sending 2 events/s as a real model does: every chunk
/// is its own wake-up, read and write, so this is the per-chunk cost that matters in production.
/// Reported all-in (each stream's fixed cost spread over its events) and marginal (the extra
/// CPU of a run with more events per stream, over those extra events).
pub async fn paced(http: &Http, target: &Target, count: usize, report: &mut Report) -> Result<(), String> {
    let short = hold(http, target, count, PACED_SHORT_TEXT).await?;
    let held = hold(http, target, count, PACED_TEXT).await?;
    let name = format!("{count} paced streams (2 events/s each)");
    report_held(&name, count, &held, report);
    let per_event = held.cpu * 1e6 / held.events.max(1) as f64;
    report.info(
        &name,
        "gateway CPU per forwarded event, all-in (µs)",
        format!("{per_event:.1} ({} events)", held.events),
    );
    let extra_events = held.events.saturating_sub(short.events);
    let marginal = (held.cpu - short.cpu) * 1e6 / extra_events.max(1) as f64;
    let value =
        format!("{marginal:.1} ({} − {} events, {:.2} − {:.2} s)", held.events, short.events, held.cpu, short.cpu);
    report.check(&name, "gateway CPU per forwarded event, marginal (µs)", value, "≤ 15", marginal <= 15.0);
    if let (Some(long), Some(short)) = (held.emulator_cpu, short.emulator_cpu) {
        let emulator = (long - short) * 1e6 / extra_events.max(1) as f64;
        report.info(
            &name,
            "emulator CPU per sent event, marginal (µs)",
            format!("{emulator:.1} (a timer wake-up and a write)"),
        );
    }
    Ok(())
}
