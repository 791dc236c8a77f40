//! OpenTelemetry traces, off unless `OTEL_EXPORTER_OTLP_ENDPOINT` (or
//! `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set: OTLP over HTTP/protobuf, a server span per
//! request (child of the client's W3C `traceparent`) and a client span per Bedrock call with
//! the GenAI semantic-convention attributes. Spans go through a batch processor with a bounded
//! queue on the runtime: a slow or absent collector drops spans, never delays a request.

use std::sync::OnceLock;
use std::time::SystemTime;

use axum::http::HeaderMap;
use opentelemetry::propagation::Extractor;
use opentelemetry::trace::{Span, SpanKind, Status, TraceContextExt, Tracer};
use opentelemetry::{global, Context, KeyValue};
use opentelemetry_otlp::WithExportConfig as _;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::span_processor_with_async_runtime::BatchSpanProcessor;
use opentelemetry_sdk::trace::{BatchConfigBuilder, SdkTracerProvider};

use crate::record::RecordData;

const TRACER: &str = "bedrock-gateway";
/// Spans waiting for export beyond this are dropped (OTEL_BSP_MAX_QUEUE_SIZE overrides it).
const MAX_QUEUE: usize = 2048;

static ENABLED: OnceLock<bool> = OnceLock::new();

/// Whether traces are exported (decided once, at start).
pub fn enabled() -> bool {
    ENABLED.get().copied().unwrap_or(false)
}

fn configured() -> bool {
    let set = |name: &str| std::env::var(name).is_ok_and(|v| !v.trim().is_empty());
    let disabled = std::env::var("OTEL_SDK_DISABLED").is_ok_and(|v| v.trim().eq_ignore_ascii_case("true"))
        || std::env::var("OTEL_TRACES_EXPORTER").is_ok_and(|v| v.trim().eq_ignore_ascii_case("none"));
    !disabled && (set("OTEL_EXPORTER_OTLP_ENDPOINT") || set("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))
}

/// Starts the exporter when the OTEL_* variables ask for it; keep the provider to flush at exit.
pub fn init() -> Option<SdkTracerProvider> {
    if !configured() {
        let _first = ENABLED.set(false);
        return None;
    }
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
        .build();
    let exporter = match exporter {
        Ok(exporter) => exporter,
        Err(error) => {
            tracing::warn!(%error, "OpenTelemetry traces are off: the OTLP exporter could not be built");
            let _first = ENABLED.set(false);
            return None;
        }
    };
    let config = BatchConfigBuilder::default().with_max_queue_size(queue_size()).build();
    let processor =
        BatchSpanProcessor::builder(exporter, opentelemetry_sdk::runtime::Tokio).with_batch_config(config).build();
    let mut resource = opentelemetry_sdk::Resource::builder();
    if std::env::var("OTEL_SERVICE_NAME").is_err() {
        resource = resource.with_service_name(TRACER);
    }
    let provider = SdkTracerProvider::builder().with_span_processor(processor).with_resource(resource.build()).build();
    global::set_tracer_provider(provider.clone());
    global::set_text_map_propagator(TraceContextPropagator::new());
    let _first = ENABLED.set(true);
    tracing::info!("OpenTelemetry traces exported over OTLP/HTTP");
    Some(provider)
}

fn queue_size() -> usize {
    std::env::var("OTEL_BSP_MAX_QUEUE_SIZE").ok().and_then(|v| v.trim().parse().ok()).unwrap_or(MAX_QUEUE)
}

/// Flushes what is queued (bounded by the exporter's timeout) at shutdown.
pub fn shutdown(provider: Option<SdkTracerProvider>) {
    if let Some(Err(error)) = provider.map(|p| p.shutdown()) {
        tracing::debug!(%error, "OpenTelemetry shutdown");
    }
}

struct Headers<'a>(&'a HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(axum::http::HeaderName::as_str).collect()
    }
}

/// The request's server span, child of the client's `traceparent` when it sent one.
pub fn server_span(headers: &HeaderMap, method: &str, route: &str) -> Context {
    let parent = global::get_text_map_propagator(|p| p.extract(&Headers(headers)));
    let tracer = global::tracer(TRACER);
    let span = tracer
        .span_builder(format!("{method} {route}"))
        .with_kind(SpanKind::Server)
        .with_attributes([
            KeyValue::new("http.request.method", method.to_owned()),
            KeyValue::new("http.route", route.to_owned()),
        ])
        .start_with_context(&tracer, &parent);
    parent.with_span(span)
}

/// Ends the server span with the response's status.
pub fn end_server_span(context: &Context, status: u16, completed: bool) {
    let span = context.span();
    span.set_attribute(KeyValue::new("http.response.status_code", i64::from(status)));
    if status >= 500 {
        span.set_attribute(KeyValue::new("error.type", status.to_string()));
        span.set_status(Status::error(""));
    }
    if !completed {
        span.add_event("client disconnected", Vec::new());
    }
    span.end();
}

/// What a Bedrock call was asked, for the client span.
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestParams {
    pub max_tokens: Option<i32>,
    pub temperature: Option<f32>,
    pub top_p: Option<f32>,
}

/// The GenAI operation name of a Bedrock operation.
fn operation_name(operation: &str) -> &'static str {
    match operation {
        "Converse" | "ConverseStream" => "chat",
        "CountTokens" => "count_tokens",
        _ => "invoke_model",
    }
}

/// A client span for one Bedrock call, child of the request's server span.
pub fn client_span(
    parent: &Context,
    operation: &str,
    model: &str,
    params: RequestParams,
) -> opentelemetry::global::BoxedSpan {
    let tracer = global::tracer(TRACER);
    let name = operation_name(operation);
    let mut attributes = vec![
        KeyValue::new("gen_ai.operation.name", name),
        KeyValue::new("gen_ai.provider.name", "aws.bedrock"),
        KeyValue::new("gen_ai.request.model", model.to_owned()),
        KeyValue::new("aws.bedrock.operation", operation.to_owned()),
    ];
    attributes.extend(params.max_tokens.map(|v| KeyValue::new("gen_ai.request.max_tokens", i64::from(v))));
    attributes.extend(params.temperature.map(|v| KeyValue::new("gen_ai.request.temperature", f64::from(v))));
    attributes.extend(params.top_p.map(|v| KeyValue::new("gen_ai.request.top_p", f64::from(v))));
    tracer
        .span_builder(format!("{name} {model}"))
        .with_kind(SpanKind::Client)
        .with_attributes(attributes)
        .start_with_context(&tracer, parent)
}

/// Ends a Bedrock call's span with what the request learnt (tokens, finish reason, failure).
pub fn end_client_span(mut span: opentelemetry::global::BoxedSpan, data: &RecordData, ended: Option<SystemTime>) {
    if let Some(model) = &data.model {
        span.set_attribute(KeyValue::new("gen_ai.response.model", model.clone()));
    }
    span.set_attribute(KeyValue::new("gen_ai.usage.input_tokens", to_i64(data.tokens.input)));
    span.set_attribute(KeyValue::new("gen_ai.usage.output_tokens", to_i64(data.tokens.output)));
    if let Some(reason) = &data.finish_reason {
        let reasons = opentelemetry::Array::String(vec![reason.clone().into()]);
        span.set_attribute(KeyValue::new("gen_ai.response.finish_reasons", opentelemetry::Value::Array(reasons)));
    }
    if let Some(kind) = data.upstream_error {
        span.set_attribute(KeyValue::new("error.type", kind));
        span.set_status(Status::error(kind));
    }
    match ended {
        Some(at) => span.end_with_timestamp(at),
        None => span.end(),
    }
}

fn to_i64(count: u64) -> i64 {
    i64::try_from(count).unwrap_or(i64::MAX)
}
