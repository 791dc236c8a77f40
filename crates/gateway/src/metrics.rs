//! Prometheus metrics: one registry per process, updated once per request (when its
//! response body ends), per Bedrock call and per catalogue refresh; never per chunk.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::LazyLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Metric, Registry};

/// Label of requests made before any model was known, or of models not in the catalogue.
pub const NO_MODEL: &str = "none";
pub const OTHER_MODEL: &str = "other";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub route: String,
    pub model: String,
    pub status_class: &'static str,
    pub api_key: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ModelLabel {
    pub model: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TokenLabels {
    pub model: String,
    /// `input`, `output`, `cache_read` or `cache_write`.
    pub r#type: &'static str,
    /// The key's name (keys of the configuration file) or label (`key-` and 8 hex digits).
    pub api_key: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct LimitLabels {
    pub api_key: String,
    /// `requests_per_minute`, `tokens_per_minute`, `daily_tokens`, `monthly_tokens` or
    /// `max_concurrent_streams`.
    pub limit: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OperationLabel {
    pub operation: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabel {
    pub outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ErrorLabel {
    /// The gateway's error code for the Bedrock failure (e.g. `rate_limit_exceeded`).
    pub kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct BuildLabels {
    pub version: &'static str,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

/// Every metric of the gateway.
pub struct Metrics {
    registry: Registry,
    pub requests: Family<RequestLabels, Counter>,
    pub request_duration: HistogramFamily<ModelLabel>,
    pub time_to_first_token: HistogramFamily<ModelLabel>,
    pub bedrock_duration: HistogramFamily<OperationLabel>,
    pub tokens: Family<TokenLabels, Counter>,
    pub upstream_errors: Family<ErrorLabel, Counter>,
    pub routing: RoutingMetrics,
    pub open_streams: Gauge,
    pub client_disconnects: Counter,
    catalog_age: Gauge<f64, AtomicU64>,
    pub catalog_refresh_failures: Counter,
    /// Unix seconds of the last successful catalogue refresh (0: none yet).
    catalog_refreshed_at: AtomicU64,
    started_at: u64,
    /// Requests refused by a key's limits.
    pub rate_limited_requests: Family<LimitLabels, Counter>,
    /// Redis calls of the limits that failed or were skipped while Redis rested.
    pub limiter_unavailable: Counter,
}

/// What routing through the configuration file does.
pub struct RoutingMetrics {
    /// Requests moved to the next routing target, by the failure that moved them.
    pub fallbacks: Family<ErrorLabel, Counter>,
    /// Configuration file reloads, by outcome.
    pub config_reloads: Family<OutcomeLabel, Counter>,
}

impl RoutingMetrics {
    fn register(r: &mut Registry) -> Self {
        let fallbacks_help = "Requests sent to the next routing target after a failure, by kind of failure";
        Self {
            fallbacks: add(r, "routing_fallbacks", fallbacks_help, Family::default()),
            config_reloads: add(
                r,
                "config_reloads",
                "Configuration file reloads (SIGHUP), by outcome",
                Family::default(),
            ),
        }
    }
}

/// The model catalogue's age and its failed refreshes.
fn catalog_metrics(r: &mut Registry) -> (Gauge<f64, AtomicU64>, Counter) {
    let age_help = "Seconds since the model catalogue was last refreshed (since start if never)";
    (
        add(r, "model_catalog_age_seconds", age_help, Gauge::default()),
        add(r, "model_catalog_refresh_failures", "Failed model catalogue refreshes", Counter::default()),
    )
}

/// Latency buckets from 50 ms to ~7 min (model calls are slow and vary widely).
fn latency_histogram() -> Histogram {
    Histogram::new([0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0])
}

static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

/// The process's metrics.
pub fn metrics() -> &'static Metrics {
    &METRICS
}

impl Metrics {
    fn new() -> Self {
        let mut registry = Registry::with_prefix("gateway");
        let r = &mut registry;
        let (rate_limited_requests, limiter_unavailable) = limit_metrics(r);
        let (catalog_age, catalog_refresh_failures) = catalog_metrics(r);
        Self {
            requests: add(
                r,
                "requests",
                "Requests by route template, model, status class and API key name",
                Family::default(),
            ),
            request_duration: add(
                r,
                "request_duration_seconds",
                "Request duration until the response body ended, by model",
                histograms(),
            ),
            time_to_first_token: add(
                r,
                "time_to_first_token_seconds",
                "Time from request to the first streamed token, by model",
                histograms(),
            ),
            bedrock_duration: add(
                r,
                "bedrock_call_duration_seconds",
                "Bedrock call duration (until the answer or the stream's start), by operation",
                histograms(),
            ),
            tokens: add(
                r,
                "tokens",
                "Tokens by model and type (input, output, cache_read, cache_write)",
                Family::default(),
            ),
            upstream_errors: add(r, "upstream_errors", "Bedrock failures by kind", Family::default()),
            routing: RoutingMetrics::register(r),
            open_streams: add(r, "open_streams", "SSE responses being sent", Gauge::default()),
            client_disconnects: add(
                r,
                "client_disconnects",
                "Responses the client stopped reading before their end",
                Counter::default(),
            ),
            catalog_age,
            catalog_refresh_failures,
            catalog_refreshed_at: AtomicU64::new(0),
            started_at: unix_seconds(),
            rate_limited_requests,
            limiter_unavailable,
            registry: with_build_info(registry),
        }
    }

    /// A Bedrock call ended after `elapsed`, failing with `error_kind` when it failed.
    pub fn bedrock_call(&self, operation: &'static str, elapsed: Duration, error_kind: Option<&'static str>) {
        self.bedrock_duration.get_or_create(&OperationLabel { operation }).observe(elapsed.as_secs_f64());
        if let Some(kind) = error_kind {
            self.upstream_error(kind);
        }
    }

    pub fn upstream_error(&self, kind: &'static str) {
        self.upstream_errors.get_or_create(&ErrorLabel { kind }).inc();
    }

    pub fn config_reload(&self, ok: bool) {
        let outcome = if ok { "success" } else { "failure" };
        self.routing.config_reloads.get_or_create(&OutcomeLabel { outcome }).inc();
    }

    pub fn fallback(&self, kind: &'static str) {
        self.routing.fallbacks.get_or_create(&ErrorLabel { kind }).inc();
    }

    /// A key's request was refused by `limit`.
    pub fn rate_limited(&self, api_key: &str, limit: &'static str) {
        self.rate_limited_requests.get_or_create(&LimitLabels { api_key: api_key.to_owned(), limit }).inc();
    }

    pub fn catalog_refreshed(&self) {
        self.catalog_refreshed_at.store(unix_seconds(), Ordering::Relaxed);
    }

    pub fn catalog_refresh_failed(&self) {
        self.catalog_refresh_failures.inc();
    }

    /// The text exposition: OpenMetrics when the scraper asks for it, else Prometheus text.
    pub fn render(&self, openmetrics: bool) -> Result<String, std::fmt::Error> {
        let refreshed = self.catalog_refreshed_at.load(Ordering::Relaxed);
        let since = if refreshed == 0 { self.started_at } else { refreshed };
        // Lossless for any realistic age (f64 holds integers up to 2^53 exactly).
        self.catalog_age.set(unix_seconds().saturating_sub(since) as f64);
        let mut text = String::with_capacity(8 * 1024);
        prometheus_client::encoding::text::encode_registry(&mut text, &self.registry)?;
        if openmetrics {
            prometheus_client::encoding::text::encode_eof(&mut text)?;
            return Ok(text);
        }
        Ok(to_prometheus_text(&text))
    }
}

/// The OpenMetrics exposition as Prometheus text 0.0.4: there, a counter's HELP and TYPE
/// lines name its `_total` sample (OpenMetrics names the family without the suffix).
fn to_prometheus_text(openmetrics: &str) -> String {
    let counters: std::collections::HashSet<&str> =
        openmetrics.lines().filter_map(|line| line.strip_prefix("# TYPE ")?.strip_suffix(" counter")).collect();
    let mut text = String::with_capacity(openmetrics.len() + counters.len() * 12);
    for line in openmetrics.lines() {
        text.push_str(&counter_comment(line, &counters).unwrap_or_else(|| line.to_owned()));
        text.push('\n');
    }
    text
}

/// A counter's HELP or TYPE line with the family renamed to its sample's name.
fn counter_comment(line: &str, counters: &std::collections::HashSet<&str>) -> Option<String> {
    let (kind, rest) = ["# HELP ", "# TYPE "].iter().find_map(|p| Some((*p, line.strip_prefix(p)?)))?;
    let (name, tail) = rest.split_once(' ')?;
    counters.contains(name).then(|| format!("{kind}{name}_total {tail}"))
}

/// The metrics of keys' limits (docs/keys.md).
fn limit_metrics(r: &mut Registry) -> (Family<LimitLabels, Counter>, Counter) {
    let refused =
        add(r, "rate_limited_requests", "Requests refused by a key's limits, by key name and limit", Family::default());
    let unavailable = add(
        r,
        "limiter_unavailable",
        "Limit and usage calls to Redis that failed (REDIS_FAIL_MODE applied)",
        Counter::default(),
    );
    (refused, unavailable)
}

/// Registers `metric` and returns the handle the gateway updates.
fn add<M: Metric + Clone>(registry: &mut Registry, name: &str, help: &str, metric: M) -> M {
    registry.register(name, help, metric.clone());
    metric
}

fn histograms<L: Clone + std::hash::Hash + Eq>() -> HistogramFamily<L> {
    Family::new_with_constructor(latency_histogram as fn() -> Histogram)
}

fn with_build_info(mut registry: Registry) -> Registry {
    let build_info = Family::<BuildLabels, Gauge>::default();
    build_info.get_or_create(&BuildLabels { version: env!("CARGO_PKG_VERSION") }).set(1);
    registry.register("build_info", "Build of the running gateway (always 1)", build_info);
    registry
}

fn unix_seconds() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// `2xx`, `4xx`…: a bounded label for a status code.
pub fn status_class(status: u16) -> &'static str {
    match status {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

const OPENMETRICS_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
const PROMETHEUS_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// `GET /metrics`: no API key; mounted only where the operator enabled it.
pub async fn serve_metrics(headers: HeaderMap) -> Response {
    let openmetrics = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("application/openmetrics-text"));
    match metrics().render(openmetrics) {
        Ok(text) => {
            let kind = if openmetrics { OPENMETRICS_TYPE } else { PROMETHEUS_TYPE };
            ([(header::CONTENT_TYPE, HeaderValue::from_static(kind))], text).into_response()
        }
        Err(error) => crate::error::ApiError::Internal(format!("metrics encoding: {error}")).into_response(),
    }
}

/// The router of the separate metrics listener (`METRICS_ADDR`).
pub fn metrics_router() -> axum::Router {
    axum::Router::new().route("/metrics", axum::routing::get(serve_metrics))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_classes_are_bounded() {
        assert_eq!(status_class(200), "2xx");
        assert_eq!(status_class(429), "4xx");
        assert_eq!(status_class(504), "5xx");
        assert_eq!(status_class(0), "5xx");
    }

    #[test]
    fn the_exposition_names_every_family_and_ends_openmetrics_with_eof() {
        metrics().catalog_refresh_failed();
        let text = metrics().render(false).unwrap();
        for name in [
            "gateway_requests_total",
            "gateway_time_to_first_token_seconds",
            "gateway_build_info",
            "gateway_open_streams",
        ] {
            assert!(text.contains(&format!("# TYPE {name} ")), "{name} missing in {text}");
        }
        assert!(!text.contains("# EOF"));
        assert!(text.contains("# TYPE gateway_requests_total counter\n"));
        assert!(text.contains("# HELP gateway_client_disconnects_total "));
        assert!(text.contains("# TYPE gateway_open_streams gauge\n"));
        let openmetrics = metrics().render(true).unwrap();
        assert!(openmetrics.ends_with("# EOF\n"));
        assert!(openmetrics.contains("# TYPE gateway_requests counter\n"));
    }
}
