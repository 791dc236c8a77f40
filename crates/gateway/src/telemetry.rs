//! Logging: JSON for containers and Lambda, text on a terminal; an access line per
//! request with its id, and no request content unless DEBUG is on.

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use tracing_subscriber::EnvFilter;

use crate::body_end::OnEnd;
use crate::error::LoggedError;
use crate::metrics::{metrics, status_class, ModelLabel, RequestLabels, TokenLabels};
use crate::record::{RecordData, RequestRecord, Tokens};
use crate::state::AppState;

/// The SDK logs credential and endpoint chatter at info; keep ours, quiet theirs.
const DEFAULT_FILTER: &str = "info,aws_config=warn,aws_smithy_runtime=warn,aws_smithy_runtime_api=warn,hyper=warn";

/// Installs the global subscriber (once; later calls are ignored).
pub fn init(format: &str) {
    let filter = EnvFilter::try_from_env("RUST_LOG").unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let json = match format {
        "json" => true,
        "text" => false,
        _ => !std::io::stderr().is_terminal(),
    };
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _already_set =
        if json { builder.json().flatten_event(true).with_current_span(false).try_init() } else { builder.try_init() };
}

/// One access-log line per request, written when its response body ends (so a stream is
/// reported with its tokens and finish reason): method, route (not the raw path, which can
/// hold ids), status, latency, request id, model, API key name, tokens, time to first token,
/// upstream latency, finish reason and, on failure, the error's category. The same moment
/// updates the metrics and writes the EMF line.
pub async fn access_log(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let record = Arc::new(RequestRecord::new());
    let route =
        request.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let request_id = request.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let method = request.method().to_string();
    if crate::otel::enabled() {
        record.set_trace(crate::otel::server_span(request.headers(), &method, &route));
    }
    let response = crate::record::scope(Arc::clone(&record), next.run(request)).await;
    let status = response.status().as_u16();
    let error = response.extensions().get::<LoggedError>().map(|LoggedError(e)| e.clone());
    let streaming = is_event_stream(&response);
    let held = streaming.then(crate::memory::Held::new);
    let report = Report { state, record, method, route, request_id, status, error, streaming, _held: held };
    if report.streaming {
        metrics().open_streams.inc();
    }
    response.map(|body| Body::new(OnEnd::new(body, move |completed| report.emit(completed))))
}

fn is_event_stream(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/event-stream"))
}

/// What is known of a request when its response leaves; reported when its body ends.
struct Report {
    state: AppState,
    record: Arc<RequestRecord>,
    method: String,
    route: String,
    request_id: String,
    status: u16,
    error: Option<String>,
    streaming: bool,
    /// A stream counts for the allocator trimmer until it ends.
    _held: Option<crate::memory::Held>,
}

impl Report {
    fn emit(self, completed: bool) {
        let data = self.record.snapshot();
        let latency = self.record.started.elapsed();
        let model = bounded_model(&self.state, data.model.as_deref());
        if self.streaming {
            metrics().open_streams.dec();
        }
        if !completed {
            metrics().client_disconnects.inc();
        }
        count_request(&self, &data, &model, latency);
        if let Some(trace) = self.record.trace() {
            self.record.end_client_span(&data);
            crate::otel::end_server_span(trace, self.status, completed);
        }
        self.log(&data, latency, completed);
        if self.state.config.metrics_emf {
            crate::emf::write_line(&self.state.config.metrics_emf_namespace, &model, &data, latency, self.status);
        }
    }

    fn log(&self, data: &RecordData, latency: Duration, completed: bool) {
        let (method, route, status, request_id) = (&self.method, &self.route, self.status, &self.request_id);
        let latency_ms = millis(latency);
        let model = data.model.as_deref().unwrap_or("");
        let api_key = data.api_key.as_deref().unwrap_or("");
        let (tokens_in, tokens_out) = (data.tokens.input, data.tokens.output);
        let ttft_ms = data.first_token.map(millis);
        let upstream_ms = millis(data.upstream);
        let finish_reason = data.finish_reason.as_deref().unwrap_or("");
        let upstream_error = data.upstream_error.unwrap_or("");
        let attempts = data.attempts;
        // One field list for both levels (tracing needs the level at compile time).
        macro_rules! access_line {
            ($level:ident, $error:expr, $message:literal) => {
                tracing::$level!(
                    method,
                    route,
                    status,
                    latency_ms,
                    request_id,
                    model,
                    api_key,
                    tokens_in,
                    tokens_out,
                    ttft_ms,
                    upstream_ms,
                    finish_reason,
                    upstream_error,
                    attempts,
                    completed,
                    error = $error,
                    $message
                )
            };
        }
        match &self.error {
            Some(error) => access_line!(warn, error.as_str(), "request failed"),
            None => access_line!(info, tracing::field::Empty, "request"),
        }
    }
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// The model as a label: catalogue models by id, others folded into one value, so a client
/// cannot grow the label set.
pub fn bounded_model(state: &AppState, model: Option<&str>) -> String {
    match model {
        None => crate::metrics::NO_MODEL.to_owned(),
        Some(id) if state.catalog.snapshot().get(id).is_some() => id.to_owned(),
        Some(_) => crate::metrics::OTHER_MODEL.to_owned(),
    }
}

/// The request counters and histograms, once per request.
fn count_request(report: &Report, data: &RecordData, model: &str, latency: Duration) {
    let api_key = data.api_key.clone().unwrap_or_else(|| "none".to_owned());
    let labels = RequestLabels {
        route: report.route.clone(),
        model: model.to_owned(),
        status_class: status_class(report.status),
        api_key,
    };
    metrics().requests.get_or_create(&labels).inc();
    let model_label = ModelLabel { model: model.to_owned() };
    metrics().request_duration.get_or_create(&model_label).observe(latency.as_secs_f64());
    if let Some(first) = data.first_token {
        metrics().time_to_first_token.get_or_create(&model_label).observe(first.as_secs_f64());
    }
    count_tokens(model, &labels.api_key, data.tokens);
}

fn count_tokens(model: &str, api_key: &str, tokens: Tokens) {
    let kinds = [
        ("input", tokens.input),
        ("output", tokens.output),
        ("cache_read", tokens.cache_read),
        ("cache_write", tokens.cache_write),
    ];
    for (kind, count) in kinds.into_iter().filter(|(_, count)| *count > 0) {
        let labels = TokenLabels { model: model.to_owned(), r#type: kind, api_key: api_key.to_owned() };
        metrics().tokens.get_or_create(&labels).inc_by(count);
    }
}
