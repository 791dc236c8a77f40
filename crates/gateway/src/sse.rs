//! The SSE body of a streamed chat completion: Bedrock events in, OpenAI chunks out, as
//! they arrive, with keep-alive comments during long silences.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use bedrock::StreamTranslator;
use bytes::Bytes;
use futures::future::BoxFuture;
use futures::StreamExt as _;

use crate::error::ApiError;
use crate::upstream::EventStream;

/// An SSE comment: ignored by clients, keeps proxies and load balancers from closing an
/// idle connection while a model thinks.
const KEEP_ALIVE: &[u8] = b": keep-alive\n\n";

/// Turns Bedrock stream events into the SSE frames of one API face.
pub trait SseTranslator: Send + 'static {
    fn on_event(&mut self, event: &aws_sdk_bedrockruntime::types::ConverseStreamOutput, out: &mut Vec<u8>);
    /// The upstream stream ended normally.
    fn on_end(&mut self, out: &mut Vec<u8>);
    /// The upstream stream failed mid-way.
    fn on_error(&mut self, error: &ApiError, out: &mut Vec<u8>);
    /// Work that must finish before the last frames leave (e.g. storing the answer, so a
    /// client that reads the end of the stream can already refer to it).
    fn before_last(&mut self) -> Option<BoxFuture<'static, ()>> {
        None
    }
}

impl SseTranslator for StreamTranslator {
    fn on_event(&mut self, event: &aws_sdk_bedrockruntime::types::ConverseStreamOutput, out: &mut Vec<u8>) {
        StreamTranslator::on_event(self, event, out);
    }

    fn on_end(&mut self, out: &mut Vec<u8>) {
        StreamTranslator::on_end(self, out);
    }

    fn on_error(&mut self, error: &ApiError, out: &mut Vec<u8>) {
        StreamTranslator::on_error(self, &error.body(), out);
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
        while out.is_empty() {
            // `recv` only awaits the next body frame, so abandoning it on timeout loses nothing.
            match tokio::time::timeout(self.keepalive, self.upstream.next()).await {
                Err(_) => return Some(Bytes::from_static(KEEP_ALIVE)),
                Ok(Ok(Some(event))) => self.translator.on_event(&event, &mut out),
                Ok(Ok(None)) => {
                    self.translator.on_end(&mut out);
                    self.done = true;
                }
                Ok(Err(error)) => {
                    tracing::warn!(code = error.class.code, "Bedrock stream failed mid-way");
                    self.translator.on_error(&ApiError::Upstream(error), &mut out);
                    self.done = true;
                }
            }
        }
        if self.done {
            if let Some(work) = self.translator.before_last() {
                work.await;
            }
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

/// A Converse call whose answer is replayed as a stream (models that cannot stream a request).
pub type PendingCompletion = Pin<Box<dyn Future<Output = Result<openai::ChatCompletion, ApiError>> + Send>>;

/// Streams the replay of a Converse call that is still running: the headers and a first
/// keep-alive comment go out now, more follow while it runs, so idle-timeout proxies do not cut a slow
/// answer; its failure becomes an error event. Dropping the body (client gone) drops the call.
pub fn pending_response(call: PendingCompletion, translator: StreamTranslator, keepalive: Duration) -> Response {
    let state = Some((call, translator));
    let body = futures::stream::unfold(state, move |state| async move {
        let (mut call, mut translator) = state?;
        let mut out = Vec::new();
        match tokio::time::timeout(keepalive, &mut call).await {
            Err(_) => return Some((Ok::<_, Infallible>(Bytes::from_static(KEEP_ALIVE)), Some((call, translator)))),
            Ok(Ok(completion)) => translator.replay(&completion, &mut out),
            Ok(Err(error)) => {
                tracing::warn!(status = error.status().as_u16(), "Bedrock call failed after the stream started");
                translator.on_error(&error.body(), &mut out);
            }
        }
        Some((Ok(Bytes::from(out)), None))
    });
    // A first comment with the headers: some proxies count only body bytes as activity.
    let first = futures::stream::once(async { Ok(Bytes::from_static(KEEP_ALIVE)) });
    sse_response(Body::from_stream(first.chain(body)))
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
