//! CloudWatch Embedded Metric Format: one JSON line per request on stdout, which the Lambda
//! and ECS (awslogs) log pipelines turn into CloudWatch metrics with no agent.

use std::io::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Map, Value};

use crate::record::RecordData;

/// The gateway's error code for Bedrock throttling (the alarm's metric counts these).
pub const THROTTLED: &str = "rate_limit_exceeded";

/// The EMF document of one request. Dimensions: per model, and none (the service-wide
/// view the throttling alarm watches). `model` is already bounded.
pub fn line(namespace: &str, model: &str, data: &RecordData, latency: Duration, status: u16) -> Value {
    let mut metrics = vec![("Requests", "Count", json!(1)), ("Latency", "Milliseconds", json!(millis(latency)))];
    if let Some(first) = data.first_token {
        metrics.push(("TimeToFirstToken", "Milliseconds", json!(millis(first))));
    }
    let failed = status >= 400 || data.upstream_error.is_some();
    metrics.extend([
        ("InputTokens", "Count", json!(data.tokens.input)),
        ("OutputTokens", "Count", json!(data.tokens.output)),
        ("CacheReadTokens", "Count", json!(data.tokens.cache_read)),
        ("CacheWriteTokens", "Count", json!(data.tokens.cache_write)),
        ("Errors", "Count", json!(u8::from(failed))),
        ("UpstreamErrors", "Count", json!(u8::from(data.upstream_error.is_some()))),
        ("Throttles", "Count", json!(u8::from(data.upstream_error == Some(THROTTLED)))),
    ]);
    document(namespace, model, &metrics)
}

fn document(namespace: &str, model: &str, metrics: &[(&str, &str, Value)]) -> Value {
    let definitions: Vec<Value> = metrics.iter().map(|(name, unit, _)| json!({"Name": name, "Unit": unit})).collect();
    let mut root = Map::new();
    root.insert(
        "_aws".into(),
        json!({
            "Timestamp": unix_millis(),
            "CloudWatchMetrics": [{
                "Namespace": namespace,
                "Dimensions": [["Model"], []],
                "Metrics": definitions,
            }],
        }),
    );
    root.insert("Model".into(), json!(model));
    for (name, _, value) in metrics {
        root.insert((*name).into(), value.clone());
    }
    Value::Object(root)
}

/// Writes the request's EMF line on stdout (one write, so lines never interleave).
pub fn write_line(namespace: &str, model: &str, data: &RecordData, latency: Duration, status: u16) {
    let mut text = line(namespace, model, data, latency, status).to_string();
    text.push('\n');
    if let Err(error) = std::io::stdout().lock().write_all(text.as_bytes()) {
        tracing::debug!(%error, "could not write an EMF line");
    }
}

fn millis(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0
}

fn unix_millis() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_declared_metric_has_a_value_and_the_dimension_is_present() {
        let data = RecordData { upstream_error: Some(THROTTLED), ..RecordData::default() };
        let value = line("NS", "m1", &data, Duration::from_millis(12), 429);
        let meta = &value["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(meta["Namespace"], "NS");
        assert_eq!(value["Model"], "m1");
        for metric in meta["Metrics"].as_array().unwrap() {
            assert!(value.get(metric["Name"].as_str().unwrap()).is_some(), "{metric} has no value");
        }
        assert_eq!(value["Throttles"], 1);
        assert_eq!(value["Errors"], 1);
        assert!(value.get("TimeToFirstToken").is_none());
    }
}
