//! Allocation guard: how many heap allocations the hot pure code makes per translated
//! request and per stream chunk, counted by a wrapper around the system allocator and
//! asserted against ceilings. Counts are deterministic (no timing), so a change that adds
//! allocations to the hot path fails CI.
//!
//! Updating a ceiling: run `cargo nextest run -p bedrock --test alloc_guard --no-capture`
//! (or `cargo test -p bedrock --test alloc_guard -- --nocapture`), read the `measured` lines,
//! and set the ceiling to the new count plus a small margin (≈ 10 %, at least 1) in the same
//! commit as the change that explains it. Lower it when an optimisation lands.
//!
//! Everything runs in one `#[test]`: the counters are process-wide, so parallel tests
//! would count each other's allocations.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr, reason = "test harness")]

#[path = "../src/test_events.rs"]
#[allow(dead_code, reason = "shared with the unit tests, which use other builders")]
mod test_events;

use std::alloc::System;

use aws_sdk_bedrockruntime::types::{ContentBlock, ConversationRole, Message, StopReason, TokenUsage};
use bedrock::anthropic::MessagesStreamTranslator;
use bedrock::response::{CompletionMeta, ResponseOptions};
use bedrock::stream::FRAME_CAPACITY;
use bedrock::{chat_completion_from_converse, translate_chat_request, ConverseResult, StreamOptions, StreamTranslator};
use bedrock::{ConverseParts, TranslateOptions};
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const MODEL: &str = "us.anthropic.claude-3-5-haiku-20241022-v1:0";
const AGENT_REQUEST: &str = include_str!("../fixtures/agent_request.json");
const SHORT_REQUEST: &str = r#"{"model":"us.anthropic.claude-3-5-haiku-20241022-v1:0","messages":[{"role":"user","content":"Hello there, how are you?"}]}"#;
/// Events per stream measurement: the count per chunk is the total over this many.
const CHUNKS: usize = 64;

/// Ceilings (allocations, i.e. alloc + realloc calls). See the module comment to update.
/// Measured 2026-12-03: 25, 397, 7; per chunk 2 (frame buffer, content string; the choices
/// vector went with the shared chunk head), 3 (plus the arguments string), 1 (the frame buffer only).
const CEILING_SHORT_REQUEST: usize = 28;
const CEILING_AGENT_REQUEST: usize = 420;
const CEILING_CHAT_RESPONSE: usize = 8;
const CEILING_TEXT_CHUNK: f64 = 2.1;
const CEILING_TOOL_CHUNK: f64 = 3.1;
const CEILING_MESSAGES_TEXT_CHUNK: f64 = 1.1;

/// Allocations (new blocks plus reallocations) made while `work` runs.
fn allocations<T>(work: impl FnOnce() -> T) -> (usize, T) {
    let region = Region::new(GLOBAL);
    let result = work();
    let change = region.change();
    (change.allocations + change.reallocations, result)
}

fn options() -> TranslateOptions<'static> {
    TranslateOptions { model_id: MODEL, foundation_id: None, image_input: true, prompt_caching: false, guardrail: None }
}

/// Parsing an OpenAI body and translating it to Converse parts, as the chat route does.
fn translate(body: &str) -> ConverseParts {
    let request = openai::parse_chat_request(body.as_bytes()).unwrap();
    translate_chat_request(&request, &options()).unwrap().parts
}

/// The Converse answer → `chat.completion` JSON, as the chat route does.
fn respond(result: &ConverseResult) -> Vec<u8> {
    let meta = CompletionMeta { id: "chatcmpl-0123456789abcdef0123456789abcdef", created: 1_763_900_000, model: MODEL };
    let completion = chat_completion_from_converse(result, meta, ResponseOptions::default());
    serde_json::to_vec(&completion).unwrap()
}

fn converse_answer() -> ConverseResult {
    let message = Message::builder()
        .role(ConversationRole::Assistant)
        .content(ContentBlock::Text("Hello! I am doing well, thank you for asking.".to_owned()))
        .build()
        .unwrap();
    let usage = TokenUsage::builder().input_tokens(12).output_tokens(11).total_tokens(23).build().unwrap();
    ConverseResult { message: Some(message), stop_reason: StopReason::EndTurn, usage: Some(usage) }
}

/// Average allocations per event over `CHUNKS` events, each translated into its own frame
/// buffer as the gateway's SSE body does.
fn per_chunk(mut on_event: impl FnMut(&mut Vec<u8>)) -> f64 {
    on_event(&mut Vec::with_capacity(FRAME_CAPACITY)); // steady state: the role chunk is out
    let (count, ()) = allocations(|| {
        for _ in 0..CHUNKS {
            let mut out = Vec::with_capacity(FRAME_CAPACITY);
            on_event(&mut out);
            assert!(!out.is_empty());
        }
    });
    count as f64 / CHUNKS as f64
}

fn chat_translator() -> StreamTranslator {
    let options = StreamOptions { include_usage: true, ..StreamOptions::default() };
    let mut translator =
        StreamTranslator::new("chatcmpl-0123456789abcdef0123456789abcdef".to_owned(), MODEL.to_owned(), 1, options);
    translator.on_event(&test_events::start(), &mut Vec::new());
    translator
}

fn check_count(name: &str, measured: usize, ceiling: usize) {
    eprintln!("measured: {name}: {measured} allocations (ceiling {ceiling})");
    assert!(measured <= ceiling, "{name}: {measured} allocations, ceiling {ceiling} (see alloc_guard.rs to update)");
}

fn check_rate(name: &str, measured: f64, ceiling: f64) {
    eprintln!("measured: {name}: {measured:.2} allocations per chunk (ceiling {ceiling:.2})");
    assert!(measured <= ceiling, "{name}: {measured:.2} per chunk, ceiling {ceiling:.2} (see alloc_guard.rs)");
}

#[test]
fn hot_paths_stay_under_their_allocation_ceilings() {
    // Warm lazily initialised statics (e.g. the SDK's, serde's) outside the measured regions.
    let _warm = (translate(AGENT_REQUEST), respond(&converse_answer()));

    let (short, _) = allocations(|| translate(SHORT_REQUEST));
    check_count("short chat request (parse + translate)", short, CEILING_SHORT_REQUEST);
    let (agent, _) = allocations(|| translate(AGENT_REQUEST));
    check_count("agent chat request (parse + translate)", agent, CEILING_AGENT_REQUEST);
    let answer = converse_answer();
    let (response, _) = allocations(|| respond(&answer));
    check_count("chat response (translate + serialise)", response, CEILING_CHAT_RESPONSE);

    let text = test_events::text(0, "lorem ipsum dolor ");
    let mut translator = chat_translator();
    check_rate("chat text chunk", per_chunk(|out| translator.on_event(&text, out)), CEILING_TEXT_CHUNK);
    let mut translator = chat_translator();
    translator.on_event(&test_events::tool_start(1, "tooluse_abc", "get_weather"), &mut Vec::new());
    let input = test_events::tool_input(1, "{\"city\":");
    check_rate("chat tool-input chunk", per_chunk(|out| translator.on_event(&input, out)), CEILING_TOOL_CHUNK);
    let mut messages = MessagesStreamTranslator::new("msg_0123456789abcdef".to_owned(), MODEL.to_owned(), Vec::new());
    messages.on_event(&test_events::start(), &mut Vec::new());
    messages.on_event(&test_events::text(0, "hi"), &mut Vec::new());
    let rate = per_chunk(|out| messages.on_event(&text, out));
    check_rate("messages text chunk", rate, CEILING_MESSAGES_TEXT_CHUNK);
}
