//! Percentiles of durations, in milliseconds.

use std::time::Duration;

/// The `p`-th percentile (nearest rank) of `values` in ms; 0 when empty.
pub fn percentile(values: &mut [f64], p: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * values.len() as f64).ceil() as usize;
    values[rank.clamp(1, values.len()) - 1]
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// p50 / p90 / p99 as "a / b / c".
pub fn p50_90_99(values: &mut [f64]) -> (f64, f64, f64) {
    (percentile(values, 50.0), percentile(values, 90.0), percentile(values, 99.0))
}
