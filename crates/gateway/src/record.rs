//! The per-request record: what the access log, the metrics and EMF report about one
//! request. The access-log middleware creates it and makes it current for the handler's
//! task; the Bedrock calls (`upstream.rs`) fill in the model, tokens, finish reason and
//! upstream latency, so every face is covered without per-face code. Streams carry the
//! record with them and the middleware's body guard reports it when the body ends.

use std::fmt::Write as _;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use opentelemetry::global::BoxedSpan;

use aws_sdk_bedrockruntime::types::{
    ContentBlock, ContentBlockDelta, ConverseStreamOutput, ReasoningContentBlockDelta, StopReason, TokenUsage,
};
use sha2::{Digest, Sha256};

use crate::error::UpstreamError;
pub use crate::otel::RequestParams;

tokio::task_local! {
    static CURRENT: Arc<RequestRecord>;
}

/// One request's facts, filled as they become known.
pub struct RequestRecord {
    pub started: Instant,
    data: Mutex<RecordData>,
    /// The server span's context, when traces are on.
    trace: OnceLock<opentelemetry::Context>,
    /// The last Bedrock call's span, ended with the request (then its tokens are known); with
    /// the call's end time unless it is a stream still running.
    client_span: Mutex<Option<(BoxedSpan, Option<SystemTime>)>>,
    /// What must live exactly as long as the request (its count on a routing target).
    held: Mutex<Vec<Box<dyn std::any::Any + Send>>>,
}

#[derive(Debug, Default, Clone)]
pub struct RecordData {
    /// Short, stable name of the API key (never the key).
    pub api_key: Option<String>,
    /// The Bedrock model id called (unfolded; the reporters fold it).
    pub model: Option<String>,
    pub tokens: Tokens,
    pub first_token: Option<Duration>,
    /// Total time spent waiting for Bedrock calls to answer (or start streaming).
    pub upstream: Duration,
    pub finish_reason: Option<String>,
    /// The gateway's code of the last Bedrock failure.
    pub upstream_error: Option<&'static str>,
    /// Routing targets tried (more than 1 after a fallback; 0 before routing ran).
    pub attempts: u32,
    /// A stream's input estimate, set when Bedrock accepted it: a stream that ends without
    /// Bedrock's usage (the client went away, the stream failed) counts this and what it
    /// produced instead.
    pub stream_input_estimate: Option<u64>,
    /// Characters of text, reasoning and tool input streamed so far.
    pub streamed_chars: u64,
    /// Whether Bedrock reported usage.
    pub usage_reported: bool,
    /// Whether `tokens` are estimates (a stream cut before Bedrock's usage).
    pub tokens_estimated: bool,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tokens {
    pub input: u64,
    pub output: u64,
    pub cache_read: u64,
    pub cache_write: u64,
}

impl RequestRecord {
    pub fn new() -> Self {
        Self {
            started: Instant::now(),
            data: Mutex::new(RecordData::default()),
            trace: OnceLock::new(),
            client_span: Mutex::new(None),
            held: Mutex::new(Vec::new()),
        }
    }

    pub fn set_trace(&self, context: opentelemetry::Context) {
        let _first = self.trace.set(context);
    }

    pub fn trace(&self) -> Option<&opentelemetry::Context> {
        self.trace.get()
    }

    /// Keeps a call's span open until the request ends (ending the previous call's).
    fn hold_client_span(&self, span: BoxedSpan, ended: Option<SystemTime>) {
        let previous =
            self.client_span.lock().unwrap_or_else(std::sync::PoisonError::into_inner).replace((span, ended));
        if let Some((span, ended)) = previous {
            crate::otel::end_client_span(span, &RecordData::default(), ended);
        }
    }

    /// Ends the last call's span with what the request learnt.
    pub fn end_client_span(&self, data: &RecordData) {
        let held = self.client_span.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take();
        if let Some((span, ended)) = held {
            crate::otel::end_client_span(span, data, ended);
        }
    }

    fn data(&self) -> MutexGuard<'_, RecordData> {
        // A poisoned record still holds what was known; reporting it beats losing it.
        self.data.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// What is known so far; a stream without Bedrock's usage is counted by estimate.
    pub fn snapshot(&self) -> RecordData {
        let mut data = self.data().clone();
        if let (Some(input), false) = (data.stream_input_estimate, data.usage_reported) {
            data.tokens.input += input;
            data.tokens.output += data.streamed_chars.div_ceil(4);
            data.tokens_estimated = true;
        }
        data
    }

    /// Bedrock accepted a stream whose input is estimated at `input_estimate` tokens.
    pub fn stream_opened(&self, input_estimate: u64) {
        self.data().stream_input_estimate = Some(input_estimate);
    }

    /// Keeps `value` alive until the request ends.
    pub fn hold(&self, value: Box<dyn std::any::Any + Send>) {
        self.held.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(value);
    }

    /// Routing chose the target that answered, after `attempts` tries.
    pub fn routed(&self, _place: &str, attempts: u32) {
        self.data().attempts = attempts;
    }

    pub fn set_api_key(&self, label: String) {
        self.data().api_key = Some(label);
    }

    /// A Bedrock call to `model` answered (or failed) after `elapsed`.
    pub fn upstream_call(&self, model: &str, elapsed: Duration, error: Option<&'static str>) {
        let mut data = self.data();
        if data.model.as_deref() != Some(model) {
            data.model = Some(model.to_owned());
        }
        data.upstream += elapsed;
        if error.is_some() {
            data.upstream_error = error;
        }
    }

    pub fn usage(&self, usage: Option<&TokenUsage>) {
        if let Some(usage) = usage {
            let mut data = self.data();
            data.tokens.add(usage);
            data.usage_reported = true;
        }
    }

    pub fn input_tokens(&self, count: Option<u64>) {
        if let Some(count) = count {
            self.data().tokens.input += count;
        }
    }

    pub fn finish(&self, reason: Option<&StopReason>) {
        if let Some(reason) = reason {
            self.data().finish_reason = Some(reason.as_str().to_owned());
        }
    }

    pub fn stream_failed(&self, error: &UpstreamError) {
        self.data().upstream_error = Some(error.class.code);
    }

    /// A stream event: the first content delta sets the time to first token (once).
    pub fn stream_event(&self, event: &ConverseStreamOutput) {
        match event {
            ConverseStreamOutput::ContentBlockDelta(event) => {
                let chars = event.delta.as_ref().map_or(0, delta_chars);
                let mut data = self.data();
                if data.first_token.is_none() {
                    data.first_token = Some(self.started.elapsed());
                }
                data.streamed_chars += chars;
            }
            ConverseStreamOutput::MessageStop(stop) => self.finish(Some(&stop.stop_reason)),
            ConverseStreamOutput::Metadata(meta) => self.usage(meta.usage.as_ref()),
            _ => {}
        }
    }
}

impl Default for RequestRecord {
    fn default() -> Self {
        Self::new()
    }
}

impl Tokens {
    fn add(&mut self, usage: &TokenUsage) {
        self.input += non_negative(usage.input_tokens);
        self.output += non_negative(usage.output_tokens);
        self.cache_read += usage.cache_read_input_tokens.map_or(0, non_negative);
        self.cache_write += usage.cache_write_input_tokens.map_or(0, non_negative);
    }
}

/// Characters a delta carries (text, reasoning text, tool input).
fn delta_chars(delta: &ContentBlockDelta) -> u64 {
    let text = match delta {
        ContentBlockDelta::Text(text) => text.as_str(),
        ContentBlockDelta::ToolUse(tool) => tool.input.as_str(),
        ContentBlockDelta::ReasoningContent(ReasoningContentBlockDelta::Text(text)) => text.as_str(),
        _ => "",
    };
    text.chars().count() as u64
}

/// The input of a Converse request, estimated as a quarter of its text's characters (system,
/// messages, tool results); images and documents are not counted.
pub fn estimate_input_tokens(parts: &bedrock::ConverseParts) -> u64 {
    let system = parts.system.iter().filter_map(|s| s.as_text().ok()).map(|t| t.chars().count());
    let blocks = parts.messages.iter().flat_map(|m| m.content.iter());
    let content = blocks.map(|block| match block {
        ContentBlock::Text(text) => text.chars().count(),
        ContentBlock::ToolResult(result) => {
            result.content.iter().filter_map(|c| c.as_text().ok()).map(|t| t.chars().count()).sum()
        }
        _ => 0,
    });
    (system.sum::<usize>() + content.sum::<usize>()).div_ceil(4) as u64
}

fn non_negative(count: i32) -> u64 {
    u64::try_from(count).unwrap_or(0)
}

/// Runs `work` with `record` as the current request's record.
pub async fn scope<F: std::future::Future>(record: Arc<RequestRecord>, work: F) -> F::Output {
    CURRENT.scope(record, work).await
}

/// The current request's record, when called from a request's task.
pub fn current() -> Option<Arc<RequestRecord>> {
    CURRENT.try_with(Arc::clone).ok()
}

/// The label of an API key in metrics and logs: `key-` and the first 8 hex digits of its
/// SHA-256 digest. Stable across restarts, distinct per key in practice, and it reveals
/// nothing usable about the key.
pub fn key_label(key: &str) -> String {
    let digest = Sha256::digest(key.as_bytes());
    let mut label = String::with_capacity(12);
    label.push_str("key-");
    for byte in &digest[..4] {
        let _infallible = write!(label, "{byte:02x}");
    }
    label
}

/// Times one Bedrock call of the current request: its duration, model and failure go to
/// the record and the metrics.
pub async fn timed_call<T>(
    operation: &'static str,
    model: &str,
    call: impl std::future::Future<Output = Result<T, UpstreamError>>,
) -> Result<T, UpstreamError> {
    timed_call_with(operation, model, RequestParams::default(), call).await
}

/// As [`timed_call`], with the inference parameters the trace reports.
pub async fn timed_call_with<T>(
    operation: &'static str,
    model: &str,
    params: RequestParams,
    call: impl std::future::Future<Output = Result<T, UpstreamError>>,
) -> Result<T, UpstreamError> {
    let record = current();
    let span = record.as_ref().and_then(|r| r.trace()).map(|c| crate::otel::client_span(c, operation, model, params));
    let started = Instant::now();
    let result = call.await;
    let elapsed = started.elapsed();
    let error = result.as_ref().err().map(|e| e.class.code);
    crate::metrics::metrics().bedrock_call(operation, elapsed, error);
    if let Some(record) = record {
        record.upstream_call(model, elapsed, error);
        let still_streaming = operation == "ConverseStream" && error.is_none();
        if let Some(span) = span {
            record.hold_client_span(span, (!still_streaming).then(SystemTime::now));
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_bedrockruntime::types::{ContentBlockDeltaEvent, MessageStopEvent};

    #[test]
    fn key_labels_are_short_stable_and_not_the_key() {
        let label = key_label("sk-secret-123");
        assert_eq!(label, key_label("sk-secret-123"));
        assert_eq!(label.len(), 12);
        assert!(label.starts_with("key-") && !label.contains("secret"));
        assert_ne!(label, key_label("sk-secret-124"));
    }

    #[test]
    fn usage_adds_up_and_ignores_negative_counts() {
        let record = RequestRecord::new();
        let usage = TokenUsage::builder()
            .input_tokens(10)
            .output_tokens(5)
            .total_tokens(15)
            .cache_read_input_tokens(3)
            .cache_write_input_tokens(-1)
            .build()
            .unwrap();
        record.usage(Some(&usage));
        record.input_tokens(Some(2));
        assert_eq!(record.snapshot().tokens, Tokens { input: 12, output: 5, cache_read: 3, cache_write: 0 });
    }

    #[test]
    fn the_first_delta_sets_time_to_first_token_once() {
        let record = RequestRecord::new();
        let delta = ConverseStreamOutput::ContentBlockDelta(
            ContentBlockDeltaEvent::builder().content_block_index(0).build().unwrap(),
        );
        record.stream_event(&delta);
        let first = record.snapshot().first_token.unwrap();
        std::thread::sleep(Duration::from_millis(2));
        record.stream_event(&delta);
        assert_eq!(record.snapshot().first_token, Some(first));
        let stop = MessageStopEvent::builder().stop_reason(StopReason::MaxTokens).build().unwrap();
        record.stream_event(&ConverseStreamOutput::MessageStop(stop));
        assert_eq!(record.snapshot().finish_reason.as_deref(), Some("max_tokens"));
    }
}
