//! The measurement suite against one running gateway.

use std::time::{Duration, Instant};

use crate::http::{loopback, Http};
use crate::load::{run, Bounds, LoadResult};
use crate::procfs::memory;
use crate::report::{note, Report};
use crate::workloads::{direct_twin, get, Workload, ALL};
use crate::{latency, streams, SuiteArgs, Target};

pub async fn suite(args: SuiteArgs) -> Result<(), String> {
    let target = Target {
        gateway: loopback(&args.gateway)?,
        emulator: loopback(&args.emulator)?,
        key: args.key.clone(),
        pid: args.pid,
        emulator_pid: args.emulator_pid,
    };
    let http = Http::new();
    wait_for_models(&http, &target).await?;
    let mut report = Report::new(&args.label);
    let idle = memory(target.pid)?;
    report.check("idle", "gateway VmRSS (MiB)", format!("{:.1}", idle.rss_mib), "≤ 30", idle.rss_mib <= 30.0);
    if args.streams_only {
        return stream_holds(&http, &target, &args, &mut report).await;
    }
    let workloads: &[Workload] = if args.quick { &[Workload::Chat] } else { &ALL };
    for &workload in workloads {
        note(&format!("latency: {}", workload.name()));
        latency::added_latency(&http, &target, workload, args.pairs, Duration::from_secs(30), &mut report).await?;
    }
    let loaded: &[Workload] = if args.quick { &[Workload::Chat, Workload::Stream] } else { &ALL };
    let bounds = Bounds {
        concurrency: args.concurrency,
        duration: Duration::from_secs(args.seconds),
        max_requests: args.max_requests,
    };
    let mut chat_cpu = None;
    for &workload in loaded {
        note(&format!("throughput: {}", workload.name()));
        let result = throughput(&http, &target, workload, bounds, &mut report).await?;
        if workload == Workload::Chat {
            chat_cpu = Some(result.cpu_us_per_request());
        }
        if workload == Workload::Stream {
            per_chunk(&result, chat_cpu, &mut report);
        }
    }
    if !args.quick {
        streams::spread(&http, &target, &mut report).await?;
        stream_holds(&http, &target, &args, &mut report).await?;
    }
    Ok(())
}

/// Many streams at once: memory (`--streams`), then CPU per event of paced streams (`--paced`).
async fn stream_holds(http: &Http, target: &Target, args: &SuiteArgs, report: &mut Report) -> Result<(), String> {
    if args.streams > 0 {
        note(&format!("holding {} streams open", args.streams));
        streams::hold_open(http, target, args.streams, report).await?;
    }
    if args.paced > 0 {
        note(&format!("holding {} paced streams", args.paced));
        streams::paced(http, target, args.paced, report).await?;
    }
    Ok(())
}

/// GET /v1/models until it lists something (at most 30 s).
async fn wait_for_models(http: &Http, target: &Target) -> Result<(), String> {
    let mut call = get(&format!("{}/v1/models", target.gateway));
    call.auth = format!("Bearer {}", target.key);
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(t) = http.send(&call, true).await {
            let list: serde_json::Value = serde_json::from_slice(&t.body).unwrap_or_default();
            if list["data"].as_array().is_some_and(|d| !d.is_empty()) {
                return Ok(());
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Err("the gateway listed no models within 30 s".to_owned())
}

async fn throughput(
    http: &Http,
    target: &Target,
    workload: Workload,
    bounds: Bounds,
    report: &mut Report,
) -> Result<LoadResult, String> {
    let call = workload.gateway_call(&target.gateway, &target.key);
    let direct = direct_twin(http, &call, workload.operation(), &target.emulator).await?;
    // Direct runs watch the emulator (when known): the CPU an axum + serde server needs per request.
    let alone = run(http, &direct, bounds, target.emulator_pid.unwrap_or(target.pid)).await?;
    let via = run(http, &call, bounds, target.pid).await?;
    let name = workload.name();
    let c = bounds.concurrency;
    let value = format!(
        "{:.0} via gateway, {:.0} direct ({} ok, {} failed)",
        via.per_second(),
        alone.per_second(),
        via.ok,
        via.failed
    );
    report.info(name, &format!("throughput at concurrency {c} (req/s)"), value);
    let cpu = via.cpu_us_per_request();
    let figure = "gateway CPU per request (µs) = CPU s per 1000 req × 1000";
    if workload == Workload::Chat {
        report.check(name, figure, format!("{cpu:.0}"), "≤ 100 (stretch 50)", cpu <= 100.0);
    } else {
        report.info(name, figure, format!("{cpu:.0}"));
    }
    if target.emulator_pid.is_some() {
        report.info(name, "emulator CPU per request, direct (µs)", format!("{:.0}", alone.cpu_us_per_request()));
    }
    report.info(name, "gateway peak VmRSS under load (MiB)", format!("{:.1}", via.peak_rss_mib));
    Ok(via)
}

/// Per forwarded chunk: all of a stream's CPU over its chunks, and the marginal cost
/// (stream request minus a non-stream request, over the chunks).
fn per_chunk(stream: &LoadResult, chat_cpu_us: Option<f64>, report: &mut Report) {
    let chunks = stream.events as f64 / stream.ok.max(1) as f64;
    let per_request = stream.cpu_us_per_request();
    let all_in = per_request / chunks.max(1.0);
    let marginal = chat_cpu_us.map_or(all_in, |chat| (per_request - chat) / chunks.max(1.0));
    let name = Workload::Stream.name();
    let value = format!("{marginal:.2} marginal, {all_in:.2} all-in ({chunks:.0} chunks per stream)");
    report.check(name, "gateway CPU per forwarded chunk (µs)", value, "≤ 5", marginal <= 5.0);
}
