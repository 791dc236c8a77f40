//! Converse and ConverseStream handlers.

use std::collections::VecDeque;
use std::time::Duration;

use axum::body::{Body, Bytes as BodyBytes};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use bytes::Bytes;
use serde_json::{json, Value};

use crate::catalog::Family;
use crate::errors::ApiError;
use crate::eventstream::{corrupt, event_frame, exception_frame, malformed};
use crate::inspect::{aws_response, StreamGuard};
use crate::plan::{self, Block, Plan};
use crate::script::StreamFaults;
use crate::wire::{ConverseOutput, ConverseRequest, ConverseResponse, Metrics, OutputMessage};
use crate::{profiles, script, validate, AppState};

const WORDS_PER_DELTA: usize = 3;
const TOOL_INPUT_CHUNK: usize = 24;
const DROP_FLUSH_MS: u64 = 20;

async fn sleep_ms(ms: u64) {
    if ms > 0 {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
}

/// Parses, validates and plans a Converse request.
async fn prepare(model_id: &str, body: &[u8], streaming: bool) -> Result<Plan, ApiError> {
    let model = profiles::resolve(model_id)?;
    if model.family != Family::Chat {
        return Err(ApiError::validation(
            "This action doesn't support the model that you provided. Try again with a supported text or chat model.",
        ));
    }
    if streaming && !model.streaming() {
        return Err(ApiError::validation("The model is unsupported for streaming."));
    }
    let req: ConverseRequest = serde_json::from_slice(body).map_err(|e| {
        ApiError::validation(format!("Malformed input request: {e}, please reformat your input and try again."))
    })?;
    validate::converse(&req, model, streaming)?;
    let script = script::parse(&plan::last_user_text(&req))?;
    if script.error.is_some() {
        sleep_ms(script.delay_ms).await;
    }
    plan::build(&req, script)
}

fn latency(plan: &Plan) -> u64 {
    plan.delay_ms + plan.chunk_delay_ms * plan.blocks.len() as u64 + 1
}

/// `POST /model/{modelId}/converse`
pub async fn converse(Path(model_id): Path<String>, body: BodyBytes) -> Response {
    let plan = match prepare(&model_id, &body, false).await {
        Ok(plan) => plan,
        Err(error) => return error.into_response(),
    };
    sleep_ms(plan.delay_ms).await;
    let response = ConverseResponse {
        output: ConverseOutput {
            message: OutputMessage { role: "assistant", content: plan.blocks.iter().map(plan::block_json).collect() },
        },
        stop_reason: plan.stop_reason.clone(),
        metrics: Metrics { latency_ms: latency(&plan) },
        usage: plan.usage,
    };
    let body = serde_json::to_vec(&response).unwrap_or_default();
    aws_response(StatusCode::OK, "application/json", Body::from(body))
}

/// Splits text after every `per` words, keeping all whitespace.
pub fn split_words(text: &str, per: usize) -> Vec<String> {
    let (mut out, mut start, mut words, mut in_word) = (Vec::new(), 0, 0, false);
    for (i, c) in text.char_indices() {
        if c.is_whitespace() {
            words += usize::from(in_word);
            in_word = false;
        } else {
            if !in_word && words == per {
                out.push(text[start..i].to_string());
                (start, words) = (i, 0);
            }
            in_word = true;
        }
    }
    out.push(text[start..].to_string());
    out
}

fn split_chars(text: &str, per: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    chars.chunks(per.max(1)).map(|c| c.iter().collect()).collect()
}

fn delta(index: usize, delta: Value) -> Bytes {
    event_frame("contentBlockDelta", json!({"contentBlockIndex": index, "delta": delta}))
}

/// The frames of one content block: optional start, deltas, stop.
fn block_frames(index: usize, block: &Block) -> Vec<Bytes> {
    let mut frames = Vec::new();
    match block {
        Block::Text(text) => {
            frames.extend(split_words(text, WORDS_PER_DELTA).into_iter().map(|t| delta(index, json!({"text": t}))));
        }
        Block::Reasoning { text, signature } => {
            let parts = split_words(text, WORDS_PER_DELTA).into_iter();
            frames.extend(parts.map(|t| delta(index, json!({"reasoningContent": {"text": t}}))));
            frames.push(delta(index, json!({"reasoningContent": {"signature": signature}})));
        }
        Block::Redacted(bytes) => {
            let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
            frames.push(delta(index, json!({"reasoningContent": {"redactedContent": encoded}})));
        }
        Block::ToolUse { id, name, input } => {
            let start = json!({"contentBlockIndex": index, "start": {"toolUse": {"toolUseId": id, "name": name}}});
            frames.push(event_frame("contentBlockStart", start));
            let parts = split_chars(&input.to_string(), TOOL_INPUT_CHUNK).into_iter();
            frames.extend(parts.map(|p| delta(index, json!({"toolUse": {"input": p}}))));
        }
    }
    frames.push(event_frame("contentBlockStop", json!({"contentBlockIndex": index})));
    frames
}

/// One thing the body stream emits.
#[derive(Debug)]
enum Step {
    Frame(Bytes),
    Error(ApiError),
    Drop,
    /// Nothing more, until the client goes away.
    Stall,
}

fn steps(plan: &Plan) -> VecDeque<Step> {
    let mut steps = VecDeque::from([Step::Frame(event_frame("messageStart", json!({"role": "assistant"})))]);
    let mut injected = false;
    for (index, block) in plan.blocks.iter().enumerate() {
        let first_delta = usize::from(matches!(block, Block::ToolUse { .. }));
        for (n, frame) in block_frames(index, block).into_iter().enumerate() {
            steps.push_back(Step::Frame(frame));
            if !injected && n == first_delta {
                injected = true;
                steps.extend(plan.stream_error.map(|k| Step::Error(ApiError::scripted(k))));
                steps.extend(plan.drop.then_some(Step::Drop));
            }
        }
    }
    steps.push_back(Step::Frame(event_frame("messageStop", json!({"stopReason": plan.stop_reason}))));
    let metadata = json!({"usage": plan.usage, "metrics": {"latencyMs": latency(plan)}});
    steps.push_back(Step::Frame(event_frame("metadata", metadata)));
    with_faults(steps, plan.faults)
}

/// Applies `#corrupt-frame`, `#malformed-frame`, `#reset-after` and `#stall-after` (frames
/// counted from 1).
fn with_faults(mut steps: VecDeque<Step>, faults: StreamFaults) -> VecDeque<Step> {
    let mut replace = |n: Option<usize>, with: &dyn Fn(&Bytes) -> Bytes| {
        if let Some(Step::Frame(frame)) = n.and_then(|n| steps.get_mut(n - 1)) {
            *frame = with(frame);
        }
    };
    replace(faults.corrupt_frame, &|frame| corrupt(frame));
    replace(faults.malformed_frame, &|_| malformed());
    for (after, step) in [(faults.reset_after, Step::Drop), (faults.stall_after, Step::Stall)] {
        if let Some(n) = after {
            steps.truncate(n);
            steps.push_back(step);
        }
    }
    steps
}

struct Feed {
    steps: VecDeque<Step>,
    guard: StreamGuard,
    delay_ms: u64,
    chunk_delay_ms: u64,
    first: bool,
}

async fn next_chunk(mut feed: Feed) -> Option<(Result<Bytes, std::io::Error>, Feed)> {
    sleep_ms(if feed.first { feed.delay_ms } else { feed.chunk_delay_ms }).await;
    feed.first = false;
    match feed.steps.pop_front() {
        Some(Step::Frame(frame)) => Some((Ok(frame), feed)),
        Some(Step::Error(error)) => {
            feed.steps.clear();
            Some((Ok(exception_frame(&error)), feed))
        }
        Some(Step::Drop) => {
            feed.steps.clear();
            // Let hyper flush what was sent so far, then cut the connection.
            sleep_ms(DROP_FLUSH_MS).await;
            let error = std::io::Error::new(std::io::ErrorKind::ConnectionAborted, "#drop");
            Some((Err(error), feed))
        }
        Some(Step::Stall) => {
            std::future::pending::<()>().await;
            None
        }
        None => {
            feed.guard.completed = true;
            None
        }
    }
}

/// `POST /model/{modelId}/converse-stream`
pub async fn converse_stream(State(app): State<AppState>, Path(model_id): Path<String>, body: BodyBytes) -> Response {
    let plan = match prepare(&model_id, &body, true).await {
        Ok(plan) => plan,
        Err(error) => return error.into_response(),
    };
    let feed = Feed {
        steps: steps(&plan),
        guard: StreamGuard::new(app.inspector.clone()),
        delay_ms: plan.delay_ms,
        chunk_delay_ms: plan.chunk_delay_ms,
        first: true,
    };
    let stream = futures::stream::unfold(feed, next_chunk);
    let body = Body::from_stream(stream);
    aws_response(StatusCode::OK, "application/vnd.amazon.eventstream", body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_words_keeps_every_character() {
        let text = "one two  three four\nfive six seven";
        let parts = split_words(text, 3);
        assert_eq!(parts.concat(), text);
        assert_eq!(parts.len(), 3);
        assert_eq!(split_words("", 3), vec![String::new()]);
    }

    fn kinds(steps: &VecDeque<Step>) -> Vec<&'static str> {
        let kind = |step: &Step| match step {
            Step::Frame(_) => "frame",
            Step::Error(_) => "error",
            Step::Drop => "drop",
            Step::Stall => "stall",
        };
        steps.iter().map(kind).collect()
    }

    fn frames(n: usize) -> VecDeque<Step> {
        (0..n).map(|_| Step::Frame(event_frame("messageStart", json!({"role": "assistant"})))).collect()
    }

    #[test]
    fn stall_and_reset_cut_the_stream_after_n_frames() {
        let stalled = with_faults(frames(5), StreamFaults { stall_after: Some(2), ..StreamFaults::default() });
        assert_eq!(kinds(&stalled), ["frame", "frame", "stall"]);
        let reset = with_faults(frames(5), StreamFaults { reset_after: Some(1), ..StreamFaults::default() });
        assert_eq!(kinds(&reset), ["frame", "drop"]);
    }

    #[test]
    fn corrupt_and_malformed_replace_the_nth_frame() {
        let faults = StreamFaults { corrupt_frame: Some(2), malformed_frame: Some(3), ..StreamFaults::default() };
        let steps = with_faults(frames(4), faults);
        let bytes: Vec<Bytes> =
            steps.iter().filter_map(|s| if let Step::Frame(f) = s { Some(f.clone()) } else { None }).collect();
        let decodes = |b: &Bytes| aws_smithy_eventstream::frame::read_message_from(b.clone()).is_ok();
        assert_eq!(bytes.iter().map(decodes).collect::<Vec<_>>(), [true, false, false, true]);
        assert_eq!(bytes[2], malformed());
        let beyond = with_faults(frames(2), StreamFaults { corrupt_frame: Some(9), ..StreamFaults::default() });
        assert_eq!(kinds(&beyond), ["frame", "frame"]);
    }

    #[test]
    fn split_chars_handles_multibyte() {
        assert_eq!(split_chars("héllo", 2).concat(), "héllo");
    }
}
