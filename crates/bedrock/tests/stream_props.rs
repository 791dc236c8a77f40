//! Property tests of every face's stream translator: any sequence of ConverseStream events
//! (in any order, with any indices, texts, tool names and stop reasons) never panics, every
//! frame is well-formed JSON, and the stream always ends with the face's finish event or,
//! when the upstream failed, its error event.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test harness")]

#[path = "../src/test_events.rs"]
#[allow(dead_code, reason = "shared with the unit tests")]
mod test_events;

use aws_sdk_bedrockruntime::primitives::Blob;
use aws_sdk_bedrockruntime::types::{
    ContentBlockDelta, ConverseStreamMetadataEvent, ConverseStreamOutput, ReasoningContentBlockDelta, TokenUsage,
};
use bedrock::anthropic::MessagesStreamTranslator;
use bedrock::completions::{CompletionMeta, CompletionStreamTranslator};
use bedrock::responses::stream::{ResponsesStream, ResponsesStreamOptions};
use bedrock::{StreamOptions, StreamTranslator};
use openai::responses::{parse_responses_request, ResponseObject};
use openai::{ErrorBody, ErrorDetail, ReasoningFormat};
use proptest::prelude::*;
use serde_json::Value;

/// Cases per property: enough to cover the event kinds many times, small enough for CI (< 1 s).
const CASES: u32 = 256;

fn block() -> impl Strategy<Value = i32> {
    prop_oneof![0..4i32, any::<i32>()]
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![".{0,12}", Just("</think>".to_owned()), Just("\"\\\n\u{0}".to_owned())]
}

fn stop_reason() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("end_turn".to_owned()),
        Just("tool_use".to_owned()),
        Just("max_tokens".to_owned()),
        Just("stop_sequence".to_owned()),
        Just("guardrail_intervened".to_owned()),
        Just("content_filtered".to_owned()),
        "[a-z_]{0,10}",
    ]
}

fn reasoning(block: i32) -> impl Strategy<Value = ConverseStreamOutput> {
    prop_oneof![
        text().prop_map(ReasoningContentBlockDelta::Text),
        text().prop_map(ReasoningContentBlockDelta::Signature),
        proptest::collection::vec(any::<u8>(), 0..8)
            .prop_map(|b| ReasoningContentBlockDelta::RedactedContent(Blob::new(b))),
    ]
    .prop_map(move |r| test_events::delta(block, ContentBlockDelta::ReasoningContent(r)))
}

fn usage() -> impl Strategy<Value = ConverseStreamOutput> {
    (any::<bool>(), 0..1_000_000i32, 0..1_000_000i32).prop_map(|(with_usage, input, output)| {
        let usage = TokenUsage::builder().input_tokens(input).output_tokens(output).total_tokens(input + output);
        let meta = ConverseStreamMetadataEvent::builder().set_usage(with_usage.then(|| usage.build().unwrap()));
        ConverseStreamOutput::Metadata(meta.build())
    })
}

/// One arbitrary ConverseStream event.
fn event() -> impl Strategy<Value = ConverseStreamOutput> {
    prop_oneof![
        Just(test_events::start()),
        (block(), text(), "[a-z_]{0,8}").prop_map(|(b, id, name)| test_events::tool_start(b, &id, &name)),
        (block(), text()).prop_map(|(b, t)| test_events::text(b, &t)),
        (block(), text()).prop_map(|(b, t)| test_events::tool_input(b, &t)),
        block().prop_flat_map(reasoning),
        block().prop_map(test_events::block_stop),
        stop_reason().prop_map(|r| test_events::stop(r.as_str())),
        usage(),
    ]
}

/// A stream: its events and whether the upstream failed after them.
fn stream() -> impl Strategy<Value = (Vec<ConverseStreamOutput>, bool)> {
    (proptest::collection::vec(event(), 0..24), any::<bool>())
}

/// The SSE frames of `out`: (event name if any, data), every data a JSON value or `[DONE]`.
fn frames(out: &[u8]) -> Vec<(Option<String>, String)> {
    let text = std::str::from_utf8(out).expect("frames are UTF-8");
    assert!(text.is_empty() || text.ends_with("\n\n"), "frames end with a blank line: {text:?}");
    let frames: Vec<_> = text.split("\n\n").filter(|f| !f.is_empty()).map(frame).collect();
    for (_, data) in &frames {
        if data != "[DONE]" {
            serde_json::from_str::<Value>(data).unwrap_or_else(|e| panic!("{e}: {data}"));
        }
    }
    frames
}

fn frame(text: &str) -> (Option<String>, String) {
    let (name, data) = match text.split_once('\n') {
        Some((event, data)) => (Some(event.strip_prefix("event: ").expect("event line").to_owned()), data),
        None => (None, text),
    };
    (name, data.strip_prefix("data: ").expect("data line").to_owned())
}

fn json(data: &str) -> Value {
    serde_json::from_str(data).unwrap()
}

fn error_body() -> ErrorBody {
    let message = "Bedrock ThrottlingException: slow down".to_owned();
    ErrorBody { error: ErrorDetail { message, kind: "rate_limit_error", param: None, code: Some("throttled") } }
}

/// Chat and legacy completions: a finish chunk then `[DONE]`, or an error frame last.
fn assert_openai_ending(out: &[u8], failed: bool) {
    let frames = frames(out);
    let (_, last) = frames.last().expect("at least one frame");
    if failed {
        assert!(json(last)["error"]["message"].is_string(), "error last: {last}");
        return;
    }
    assert_eq!(last, "[DONE]");
    let finishes = frames.iter().filter(|(_, d)| d != "[DONE]" && !json(d)["choices"][0]["finish_reason"].is_null());
    assert_eq!(finishes.count(), 1, "exactly one finish chunk");
}

fn run_chat(events: &[ConverseStreamOutput], failed: bool, options: StreamOptions) {
    let mut translator = StreamTranslator::new("chatcmpl-1".into(), "m".into(), 1, options);
    let mut out = Vec::new();
    for event in events {
        translator.on_event(event, &mut out);
    }
    match failed {
        true => translator.on_error(&error_body(), &mut out),
        false => translator.on_end(&mut out),
    }
    assert_openai_ending(&out, failed);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: CASES, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn chat_streams_end_with_a_finish_or_an_error((events, failed) in stream(), think_tags: bool, usage: bool,
        structured in proptest::option::of("[a-z_]{0,3}")) {
        let reasoning_format = if think_tags { ReasoningFormat::ThinkTags } else { ReasoningFormat::ReasoningContent };
        run_chat(&events, failed, StreamOptions { include_usage: usage, reasoning_format, structured_tool: structured });
    }

    #[test]
    fn completions_streams_end_with_a_finish_or_an_error((events, failed) in stream(), usage: bool) {
        let meta = CompletionMeta { id: "cmpl-1", created: 1, model: "m" };
        let mut translator = CompletionStreamTranslator::new(meta, usage);
        let mut out = Vec::new();
        for event in &events {
            translator.on_event(event, &mut out);
        }
        match failed {
            true => translator.on_error(&error_body(), &mut out),
            false => translator.on_end(&mut out),
        }
        assert_openai_ending(&out, failed);
    }

    #[test]
    fn messages_streams_end_with_message_stop_or_an_error((events, failed) in stream()) {
        let mut translator = MessagesStreamTranslator::new("msg_1".into(), "m".into(), vec!["STOP".into()]);
        let mut out = Vec::new();
        for event in &events {
            translator.on_event(event, &mut out);
        }
        match failed {
            true => translator.on_error(anthropic::ErrorDetail { kind: "overloaded_error", message: "busy".into() }, &mut out),
            false => translator.on_end(&mut out),
        }
        let frames = frames(&out);
        let names: Vec<_> = frames.iter().map(|(name, _)| name.clone().expect("named events")).collect();
        let last = names.last().expect("at least one event");
        prop_assert_eq!(last.as_str(), if failed { "error" } else { "message_stop" });
        prop_assert_eq!(names.iter().filter(|n| *n == "message_start").count(), usize::from(!failed || names.len() > 1));
    }

    #[test]
    fn responses_streams_end_completed_incomplete_or_failed((events, failed) in stream(), summary: bool) {
        let request = parse_responses_request(br#"{"input":"hi"}"#).unwrap();
        let response = ResponseObject::in_progress(&request, "resp_1".into(), 1, "m".into());
        let options = ResponsesStreamOptions { emit: true, summary, ..ResponsesStreamOptions::default() };
        let mut translator = ResponsesStream::new(response, options);
        let mut out = Vec::new();
        for event in &events {
            translator.on_event(event, &mut out);
        }
        match failed {
            true => translator.on_error("throttled", "busy", &mut out),
            false => translator.on_end(&mut out),
        }
        let frames = frames(&out);
        let last = frames.last().and_then(|(name, _)| name.clone()).expect("named events");
        let endings: &[&str] = if failed { &["response.failed"] } else { &["response.completed", "response.incomplete"] };
        prop_assert!(endings.contains(&last.as_str()), "last event {}", last);
        prop_assert_eq!(translator.finished().is_some(), !failed);
    }
}
