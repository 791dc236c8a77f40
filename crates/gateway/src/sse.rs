//! The SSE body of a streamed chat completion: Bedrock events in, OpenAI chunks out, as
//! they arrive, with keep-alive comments during long silences.

use std::convert::Infallible;
use std::time::Duration;

use aws_sdk_bedrockruntime::types::ConverseStreamOutput;
use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use bedrock::StreamTranslator;
use bytes::Bytes;

use crate::error::ApiError;
use crate::upstream::EventStream;

/// An SSE comment: ignored by clients, keeps proxies and load balancers from closing an
/// idle connection while a model thinks.
const KEEP_ALIVE: &[u8] = b": keep-alive\n\n";

/// A stream translator of one face: Bedrock events in, that face's SSE frames out.
pub trait SseTranslator: Send + 'static {
    fn on_event(&mut self, event: &ConverseStreamOutput, out: &mut Vec<u8>);
    /// The Bedrock stream ended normally.
    fn on_end(&mut self, out: &mut Vec<u8>);
    /// The Bedrock stream failed mid-way: the face's error event.
    fn on_failure(&mut self, error: ApiError, out: &mut Vec<u8>);
    /// What to send during long silences.
    fn keep_alive(&self) -> &'static [u8] {
        KEEP_ALIVE
    }
}

impl SseTranslator for StreamTranslator {
    fn on_event(&mut self, event: &ConverseStreamOutput, out: &mut Vec<u8>) {
        StreamTranslator::on_event(self, event, out);
    }

    fn on_end(&mut self, out: &mut Vec<u8>) {
        StreamTranslator::on_end(self, out);
    }

    fn on_failure(&mut self, error: ApiError, out: &mut Vec<u8>) {
        self.on_error(&error.body(), out);
    }
}

struct Pump<T> {
    upstream: EventStream,
    translator: T,
    keepalive: Duration,
    debug: bool,
    done: bool,
}

impl<T: SseTranslator> Pump<T> {
    /// The next bytes to send, or `None` when the stream is over.
    async fn next_bytes(&mut self) -> Option<Bytes> {
        if self.done {
            return None;
        }
        let mut out = Vec::new();
        // A face may have nothing left to say at the end (its last event already went out).
        while out.is_empty() && !self.done {
            // `recv` only awaits the next body frame, so abandoning it on timeout loses nothing.
            match tokio::time::timeout(self.keepalive, self.upstream.next()).await {
                Err(_) => return Some(Bytes::from_static(self.translator.keep_alive())),
                Ok(Ok(Some(event))) => self.translator.on_event(&event, &mut out),
                Ok(Ok(None)) => {
                    self.translator.on_end(&mut out);
                    self.done = true;
                }
                Ok(Err(error)) => {
                    tracing::warn!(code = error.class.code, "Bedrock stream failed mid-way");
                    self.translator.on_failure(ApiError::Upstream(error), &mut out);
                    self.done = true;
                }
            }
        }
        if out.is_empty() {
            return None;
        }
        if self.debug {
            tracing::info!(chunk = %String::from_utf8_lossy(&out), "stream chunk");
        }
        Some(Bytes::from(out))
    }
}

/// Builds the streaming response. Dropping the body (client gone) drops the upstream
/// stream, which closes the Bedrock connection so generation stops.
pub fn stream_response<T: SseTranslator>(
    upstream: EventStream,
    translator: T,
    keepalive: Duration,
    debug: bool,
) -> Response {
    let pump = Pump { upstream, translator, keepalive, debug, done: false };
    let body = futures::stream::unfold(pump, |mut pump| async move {
        pump.next_bytes().await.map(|bytes| (Ok::<_, Infallible>(bytes), pump))
    });
    sse_response(Body::from_stream(body))
}

/// An SSE response with the headers that stop intermediaries from buffering it.
pub fn sse_response(body: Body) -> Response {
    let mut response = Response::new(body);
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
}
