//! The SSE body of a streamed answer, for every face: Bedrock events in, the face's frames
//! out, as they arrive, with keep-alives during long silences.

use std::convert::Infallible;
use std::pin::Pin;
use std::time::Duration;

use aws_sdk_bedrockruntime::types::ConverseStreamOutput;
use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use bedrock::{ConverseParts, ConverseResult, StreamTranslator};
use bytes::Bytes;
use futures::future::BoxFuture;
use futures::StreamExt as _;
use tokio::time::{Instant, Sleep};

use crate::error::{ApiError, UpstreamError};
use crate::upstream::{Bedrock, EventStream};

/// An SSE comment: ignored by clients, keeps proxies and load balancers from closing an
/// idle connection while a model thinks.
const KEEP_ALIVE: &[u8] = b": keep-alive\n\n";

/// A stream translator of one face: Bedrock events in, that face's SSE frames out.
pub trait SseTranslator: Send + 'static {
    fn on_event(&mut self, event: &ConverseStreamOutput, out: &mut Vec<u8>);
    /// The Bedrock stream ended normally.
    fn on_end(&mut self, out: &mut Vec<u8>);
    /// The Bedrock stream failed mid-way: the face's error event.
    fn on_error(&mut self, error: &ApiError, out: &mut Vec<u8>);
    /// Work that must finish before the last frames leave (e.g. storing the answer, so a
    /// client that reads the end of the stream can already refer to it).
    fn before_last(&mut self) -> Option<BoxFuture<'static, ()>> {
        None
    }
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

    fn on_error(&mut self, error: &ApiError, out: &mut Vec<u8>) {
        StreamTranslator::on_error(self, &error.body(), out);
    }
}

/// How long a stream may be silent: a keep-alive after `keepalive`; an error event when the
/// first event takes over `first_event` (a model may think long) or, after it, when Bedrock is
/// silent for `stall`.
#[derive(Debug, Clone, Copy)]
pub struct StreamTiming {
    pub keepalive: Duration,
    pub first_event: Duration,
    pub stall: Duration,
}

struct Pump<T> {
    upstream: EventStream,
    translator: T,
    timing: StreamTiming,
    debug: bool,
    done: bool,
    started: Instant,
    /// When the last Bedrock event arrived (none yet: the first may take long).
    last_event: Option<Instant>,
    /// When the client last got bytes: keep-alives follow `timing.keepalive` after it.
    quiet_since: Instant,
    /// One timer for the stream's life, re-armed only when it fires: an event costs a clock
    /// read, not a timer registration.
    timer: Pin<Box<Sleep>>,
}

/// What waiting on Bedrock gave: what `EventStream::next` gives, or `None` for a keep-alive tick.
type Waited = Option<Result<Option<ConverseStreamOutput>, UpstreamError>>;

impl<T: SseTranslator> Pump<T> {
    fn new(upstream: EventStream, translator: T, timing: StreamTiming, debug: bool) -> Self {
        let now = Instant::now();
        let timer = Box::pin(tokio::time::sleep_until(now + timing.keepalive.min(timing.first_event)));
        Self {
            upstream,
            translator,
            timing,
            debug,
            done: false,
            started: now,
            last_event: None,
            quiet_since: now,
            timer,
        }
    }

    /// The next Bedrock event, a keep-alive tick, or the failure of a stream silent too long.
    async fn wait_upstream(&mut self) -> Waited {
        loop {
            tokio::select! {
                biased;
                // `recv` only awaits the next body frame, so abandoning it for the timer loses nothing.
                next = self.upstream.next() => {
                    if matches!(next, Ok(Some(_))) {
                        let now = Instant::now();
                        self.last_event = Some(now);
                        self.quiet_since = now;
                    }
                    return Some(next);
                }
                () = self.timer.as_mut() => {
                    if let Some(waited) = self.on_timer(Instant::now()) {
                        return waited;
                    }
                }
            }
        }
    }

    /// When silence ends the stream: `first_event` after the start, then `stall` after an event.
    fn give_up_at(&self) -> Instant {
        self.last_event.map_or(self.started + self.timing.first_event, |at| at + self.timing.stall)
    }

    /// The timer fired: the stream's failure or a keep-alive when one is due; otherwise (events
    /// came meanwhile) the timer is moved to the next moment silence must be looked at.
    fn on_timer(&mut self, now: Instant) -> Option<Waited> {
        let give_up_at = self.give_up_at();
        if now >= give_up_at {
            let (silence, first) = match self.last_event {
                Some(_) => (self.timing.stall, false),
                None => (self.timing.first_event, true),
            };
            return Some(Some(Err(self.upstream.silent(silence, first))));
        }
        let due = now >= self.quiet_since + self.timing.keepalive;
        if due {
            self.quiet_since = now;
        }
        self.timer.as_mut().reset((self.quiet_since + self.timing.keepalive).min(give_up_at));
        due.then_some(None)
    }

    /// The next bytes to send, or `None` when the stream is over.
    async fn next_bytes(&mut self) -> Option<Bytes> {
        if self.done {
            return None;
        }
        let mut out = Vec::with_capacity(bedrock::stream::FRAME_CAPACITY);
        // A face may have nothing left to say at the end (its last event already went out).
        while out.is_empty() && !self.done {
            match self.wait_upstream().await {
                None => return Some(Bytes::from_static(self.translator.keep_alive())),
                Some(Ok(Some(event))) => self.translator.on_event(&event, &mut out),
                Some(Ok(None)) => {
                    self.translator.on_end(&mut out);
                    self.done = true;
                }
                Some(Err(error)) => {
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
    timing: StreamTiming,
    debug: bool,
) -> Response {
    let pump = Pump::new(upstream, translator, timing, debug);
    let body = futures::stream::unfold(pump, |mut pump| async move {
        pump.next_bytes().await.map(|bytes| (Ok::<_, Infallible>(bytes), pump))
    });
    sse_response(Body::from_stream(body))
}

/// How a face turns a finished Converse answer into its stream frames.
pub type Replay<T> = Box<dyn FnOnce(&mut T, &ConverseResult, &mut Vec<u8>) + Send>;

/// Models that cannot stream a request are called with Converse and the answer is replayed
/// as the face's stream. A call that answers within one keep-alive interval gets a plain
/// response, so a quick failure keeps its status code; a slower one gets the SSE headers and
/// keep-alives at once, so idle-timeout proxies (ALB, API Gateway, nginx) do not cut it, and
/// its failure becomes the face's error event. Dropping the body (client gone) drops the call.
pub async fn replay_converse<T: SseTranslator>(
    bedrock: &Bedrock,
    parts: ConverseParts,
    translator: T,
    replay: Replay<T>,
    keepalive: Duration,
) -> Result<Response, ApiError> {
    let bedrock = bedrock.clone();
    let mut call: BoxFuture<'static, Result<ConverseResult, UpstreamError>> =
        Box::pin(async move { bedrock.converse(parts).await });
    match tokio::time::timeout(keepalive, &mut call).await {
        Ok(answer) => {
            let out = finish_replay(translator, replay, Ok(answer?)).await;
            Ok(sse_response(Body::from(out)))
        }
        Err(_) => Ok(pending_response(call, translator, replay, keepalive)),
    }
}

/// The frames of a replayed answer (or of its failure), once any work before the last frame is done.
async fn finish_replay<T: SseTranslator>(
    mut translator: T,
    replay: Replay<T>,
    answer: Result<ConverseResult, UpstreamError>,
) -> Vec<u8> {
    let mut out = Vec::new();
    match answer {
        Ok(result) => replay(&mut translator, &result, &mut out),
        Err(error) => {
            tracing::warn!(code = error.class.code, "Bedrock call failed after the stream started");
            translator.on_error(&ApiError::Upstream(error), &mut out);
        }
    }
    if let Some(work) = translator.before_last() {
        work.await;
    }
    out
}

fn pending_response<T: SseTranslator>(
    call: BoxFuture<'static, Result<ConverseResult, UpstreamError>>,
    translator: T,
    replay: Replay<T>,
    keepalive: Duration,
) -> Response {
    let keep_alive = translator.keep_alive();
    let state = Some((call, translator, replay));
    let body = futures::stream::unfold(state, move |state| async move {
        let (mut call, translator, replay) = state?;
        match tokio::time::timeout(keepalive, &mut call).await {
            Err(_) => Some((Ok::<_, Infallible>(Bytes::from_static(keep_alive)), Some((call, translator, replay)))),
            Ok(answer) => Some((Ok(Bytes::from(finish_replay(translator, replay, answer).await)), None)),
        }
    });
    // A first keep-alive with the headers: some proxies count only body bytes as activity.
    let first = futures::stream::once(async move { Ok(Bytes::from_static(keep_alive)) });
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
