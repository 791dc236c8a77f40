//! Logging: JSON for containers and Lambda, text on a terminal; an access line per
//! request with its id, and no request content unless DEBUG is on.

use std::io::IsTerminal;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use tracing_subscriber::EnvFilter;

use crate::error::LoggedError;

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

/// One access-log line per request: method, route (not the raw path, which can hold ids),
/// status, latency, request id and, on failure, the error's category.
pub async fn access_log(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route =
        request.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let request_id = request.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let response = next.run(request).await;
    let status = response.status().as_u16();
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    match response.extensions().get::<LoggedError>() {
        Some(LoggedError(error)) => {
            tracing::warn!(%method, route, status, latency_ms, request_id, error, "request failed");
        }
        None => tracing::info!(%method, route, status, latency_ms, request_id, "request"),
    }
    response
}
