//! Added latency: the same request direct to the emulator and through the gateway,
//! alternately, one at a time; percentiles of the per-pair differences.

use std::time::{Duration, Instant};

use crate::http::{Call, Http};
use crate::report::Report;
use crate::stats::{ms, p50_90_99};
use crate::workloads::{direct_twin, Workload};
use crate::Target;

/// Per-pair differences (gateway − direct), in ms.
#[derive(Debug, Default)]
struct Samples {
    total: Vec<f64>,
    first_byte: Vec<f64>,
    direct_total: Vec<f64>,
    gateway_total: Vec<f64>,
}

pub async fn added_latency(
    http: &Http,
    target: &Target,
    workload: Workload,
    pairs: usize,
    limit: Duration,
    report: &mut Report,
) -> Result<(), String> {
    let via = workload.gateway_call(&target.gateway, &target.key);
    let direct = direct_twin(http, &via, workload.operation(), &target.emulator).await?;
    for _ in 0..20 {
        http.send_ok(&direct).await?;
        http.send_ok(&via).await?;
    }
    let samples = sample_pairs(http, &direct, &via, pairs, limit).await?;
    write_rows(workload, samples, report);
    Ok(())
}

async fn sample_pairs(
    http: &Http,
    direct: &Call,
    via: &Call,
    pairs: usize,
    limit: Duration,
) -> Result<Samples, String> {
    let deadline = Instant::now() + limit;
    let mut samples = Samples::default();
    for i in 0..pairs {
        if Instant::now() > deadline {
            break;
        }
        // Alternate the order so neither side always runs on a warmer cache.
        let (d, g) = if i % 2 == 0 {
            let d = http.send_ok(direct).await?;
            (d, http.send_ok(via).await?)
        } else {
            let g = http.send_ok(via).await?;
            (http.send_ok(direct).await?, g)
        };
        samples.total.push(ms(g.total) - ms(d.total));
        samples.first_byte.push(ms(g.first_byte) - ms(d.first_byte));
        samples.direct_total.push(ms(d.total));
        samples.gateway_total.push(ms(g.total));
    }
    Ok(samples)
}

fn write_rows(workload: Workload, mut s: Samples, report: &mut Report) {
    let name = workload.name();
    let n = s.total.len();
    let (d50, _, d99) = p50_90_99(&mut s.direct_total);
    let (g50, _, g99) = p50_90_99(&mut s.gateway_total);
    report.info(name, "direct / via gateway p50, p99 (ms)", format!("{d50:.3}, {d99:.3} / {g50:.3}, {g99:.3} (n={n})"));
    let (p50, p90, p99) = p50_90_99(&mut s.total);
    let value = format!("{p50:.3} / {p90:.3} / {p99:.3}");
    if workload == Workload::Chat {
        let met = p50 <= 0.25 && p99 <= 1.0;
        report.check(name, "added latency p50/p90/p99 (ms)", value, "p50 ≤ 0.25, p99 ≤ 1", met);
    } else {
        report.info(name, "added latency p50/p90/p99 (ms)", value);
    }
    if workload.is_stream() {
        let (f50, f90, f99) = p50_90_99(&mut s.first_byte);
        report.info(name, "added time to first byte p50/p90/p99 (ms)", format!("{f50:.3} / {f90:.3} / {f99:.3}"));
    }
}
