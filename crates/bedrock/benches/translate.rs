//! Criterion benches for the hot pure code of a request: OpenAI request → Converse parts,
//! one Bedrock stream event → SSE frames, and chunk serialisation.
//! Run with `cargo bench -p bedrock --bench translate` (or `scripts/bench --criterion`).

#![expect(clippy::expect_used, reason = "benchmark fixtures are constants; a failure is a bug in the bench")]

use std::hint::black_box;

use aws_sdk_bedrockruntime::types::{
    ContentBlockDelta, ContentBlockDeltaEvent, ContentBlockStart, ContentBlockStartEvent, ConversationRole,
    ConverseStreamOutput, MessageStartEvent, ToolUseBlockDelta, ToolUseBlockStart,
};
use bedrock::stream::write_frame;
use bedrock::{translate_chat_request, StreamOptions, StreamTranslator, TranslateOptions};
use criterion::{criterion_group, criterion_main, Criterion};
use openai::{ChatCompletionChunk, ChunkChoice, Delta};

const MODEL: &str = "us.anthropic.claude-3-5-haiku-20241022-v1:0";

/// A realistic agent-style request: system prompt, six turns (with a tool call and its
/// result), two tools, sampling settings.
const REQUEST: &str = include_str!("../fixtures/agent_request.json");

fn translate(c: &mut Criterion) {
    let request = openai::parse_chat_request(REQUEST.as_bytes()).expect("valid request");
    let options = TranslateOptions {
        model_id: MODEL,
        foundation_id: None,
        image_input: true,
        prompt_caching: false,
        guardrail: None,
    };
    translate_chat_request(&request, &options).expect("translatable request");
    c.bench_function("parse_chat_request (system + 6 turns + 2 tools)", |b| {
        b.iter(|| openai::parse_chat_request(black_box(REQUEST.as_bytes())))
    });
    c.bench_function("translate_chat_request (system + 6 turns + 2 tools)", |b| {
        b.iter(|| translate_chat_request(black_box(&request), black_box(&options)))
    });
}

fn text_delta() -> ConverseStreamOutput {
    ConverseStreamOutput::ContentBlockDelta(
        ContentBlockDeltaEvent::builder()
            .content_block_index(0)
            .delta(ContentBlockDelta::Text("lorem ipsum dolor ".to_owned()))
            .build()
            .expect("complete event"),
    )
}

fn tool_events() -> (ConverseStreamOutput, ConverseStreamOutput) {
    let start = ConverseStreamOutput::ContentBlockStart(
        ContentBlockStartEvent::builder()
            .content_block_index(1)
            .start(ContentBlockStart::ToolUse(
                ToolUseBlockStart::builder().tool_use_id("tooluse_abc").name("get_weather").build().expect("start"),
            ))
            .build()
            .expect("complete event"),
    );
    let delta = ConverseStreamOutput::ContentBlockDelta(
        ContentBlockDeltaEvent::builder()
            .content_block_index(1)
            .delta(ContentBlockDelta::ToolUse(ToolUseBlockDelta::builder().input("{\"city\":").build().expect("delta")))
            .build()
            .expect("complete event"),
    );
    (start, delta)
}

/// A translator that has already sent its role chunk (the steady state of a stream).
fn started_translator() -> StreamTranslator {
    let options = StreamOptions { include_usage: true, ..StreamOptions::default() };
    let mut translator = StreamTranslator::new("chatcmpl-0123456789abcdef".to_owned(), MODEL.to_owned(), 1, options);
    let start = MessageStartEvent::builder().role(ConversationRole::Assistant).build().expect("start");
    translator.on_event(&ConverseStreamOutput::MessageStart(start), &mut Vec::new());
    translator
}

fn stream_events(c: &mut Criterion) {
    let text = text_delta();
    let (tool_start, tool_delta) = tool_events();
    let mut translator = started_translator();
    translator.on_event(&tool_start, &mut Vec::new());
    let mut out = Vec::with_capacity(512);
    c.bench_function("StreamTranslator::on_event (text delta)", |b| {
        b.iter(|| {
            out.clear();
            translator.on_event(black_box(&text), &mut out);
            black_box(out.len())
        })
    });
    c.bench_function("StreamTranslator::on_event (tool delta)", |b| {
        b.iter(|| {
            out.clear();
            translator.on_event(black_box(&tool_delta), &mut out);
            black_box(out.len())
        })
    });
}

fn chunk_serialisation(c: &mut Criterion) {
    let mut out = Vec::with_capacity(512);
    c.bench_function("write_frame (text chunk)", |b| {
        b.iter(|| {
            out.clear();
            let chunk = ChatCompletionChunk {
                id: "chatcmpl-0123456789abcdef",
                object: "chat.completion.chunk",
                created: 1_763_900_000,
                model: MODEL,
                system_fingerprint: None,
                choices: vec![ChunkChoice {
                    index: 0,
                    delta: Delta { content: Some(black_box("lorem ipsum dolor ").to_owned()), ..Delta::default() },
                    finish_reason: None,
                    logprobs: None,
                }],
                usage: Some(None),
            };
            write_frame(&chunk, &mut out);
            black_box(out.len())
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2)).sample_size(50);
    targets = translate, stream_events, chunk_serialisation
}
criterion_main!(benches);
