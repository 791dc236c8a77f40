//! Streaming behaviour: chunks forwarded as they arrive (arrival spread), and memory with
//! many streams held open at once.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::http::{Http, Timing};
use crate::procfs::memory;
use crate::report::{note, Report};
use crate::stats::ms;
use crate::workloads::{direct_twin, get, stream_call};
use crate::Target;

/// Directives of the spread test: 20 words = 7 text deltas, 50 ms between events.
const SPREAD_TEXT: &str = "Spread test.\n#chunk-delay 50\n#words 20";

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

/// What the open-streams test saw.
#[derive(Debug, Default)]
struct Held {
    most_open: usize,
    emulator_open: usize,
    peak_rss: f64,
    ok: usize,
}

/// Opens `count` streams at once (each lasts about 2–3 s: `#chunk-delay 100`, `#words 60`),
/// sampling the gateway's RSS and the emulator's open-stream count while they are held.
pub async fn hold_open(http: &Http, target: &Target, count: usize, report: &mut Report) -> Result<(), String> {
    let call = stream_call(&target.gateway, &target.key, "Hold.\n#chunk-delay 100\n#words 60");
    let open = Arc::new(AtomicUsize::new(0));
    let ok = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..count)
        .map(|_| {
            let (http, call, open, ok) = (http.clone(), call.clone(), Arc::clone(&open), Arc::clone(&ok));
            tokio::spawn(async move {
                open.fetch_add(1, Ordering::Relaxed);
                if http.send(&call, false).await.is_ok_and(|t| t.status == 200) {
                    ok.fetch_add(1, Ordering::Relaxed);
                }
                open.fetch_sub(1, Ordering::Relaxed);
            })
        })
        .collect();
    let mut held = sample_while_open(http, target, &open, &tasks).await;
    for task in tasks {
        let _ignored = task.await;
    }
    held.ok = ok.load(Ordering::Relaxed);
    let mem = memory(target.pid)?;
    let name = &format!("{count} concurrent open streams");
    let seen = format!(
        "{} ok; most open at once: {} client-side, {} at the emulator",
        held.ok, held.most_open, held.emulator_open
    );
    report.info(name, "streams", seen);
    let value = format!("{:.1} (VmHWM {:.1})", held.peak_rss, mem.hwm_mib);
    report.check(name, "gateway RSS while held (MiB)", value, "≤ 100", held.peak_rss <= 100.0);
    Ok(())
}

async fn sample_while_open(
    http: &Http,
    target: &Target,
    open: &AtomicUsize,
    tasks: &[tokio::task::JoinHandle<()>],
) -> Held {
    let deadline = Instant::now() + Duration::from_secs(60);
    let stats = get(&format!("{}/_emulator/stats", target.emulator));
    let mut held = Held::default();
    while Instant::now() < deadline && !tasks.iter().all(tokio::task::JoinHandle::is_finished) {
        tokio::time::sleep(Duration::from_millis(50)).await;
        held.most_open = held.most_open.max(open.load(Ordering::Relaxed));
        held.peak_rss = held.peak_rss.max(memory(target.pid).map_or(0.0, |m| m.rss_mib));
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
