use super::*;
use crate::test_events::{block_stop, delta, start, stop, tool_start};
use aws_sdk_bedrockruntime::types::{
    ConverseStreamMetadataEvent, ConverseStreamMetrics, TokenUsage, ToolUseBlockDelta,
};
use aws_smithy_types::Blob;
use serde_json::Value;

fn metadata() -> ConverseStreamOutput {
    let usage = TokenUsage::builder()
        .input_tokens(5)
        .output_tokens(9)
        .total_tokens(17)
        .cache_read_input_tokens(3)
        .build()
        .unwrap();
    let metrics = ConverseStreamMetrics::builder().latency_ms(1).build().unwrap();
    ConverseStreamOutput::Metadata(ConverseStreamMetadataEvent::builder().usage(usage).metrics(metrics).build())
}

/// The events as (name, data) pairs, checking the SSE framing on the way.
fn events(out: &[u8]) -> Vec<(String, Value)> {
    let text = std::str::from_utf8(out).unwrap();
    assert!(text.ends_with("\n\n"), "{text}");
    text.split_terminator("\n\n")
        .map(|frame| {
            let (event, data) = frame.split_once('\n').unwrap();
            let name = event.strip_prefix("event: ").unwrap().to_owned();
            let data: Value = serde_json::from_str(data.strip_prefix("data: ").unwrap()).unwrap();
            assert_eq!(data["type"], name.as_str());
            (name, data)
        })
        .collect()
}

fn run(input: &[ConverseStreamOutput], end: bool) -> Vec<(String, Value)> {
    let mut translator = MessagesStreamTranslator::new("msg_1".into(), "claude".into(), vec!["END".into()]);
    let mut out = Vec::new();
    for event in input {
        translator.on_event(event, &mut out);
    }
    if end {
        translator.on_end(&mut out);
    }
    events(&out)
}

fn names(events: &[(String, Value)]) -> Vec<&str> {
    events.iter().map(|(n, _)| n.as_str()).collect()
}

#[test]
fn text_stream_event_by_event() {
    let events = run(
        &[
            start(),
            delta(0, ContentBlockDelta::Text("Hel".into())),
            delta(0, ContentBlockDelta::Text("lo".into())),
            block_stop(0),
            stop("stop_sequence"),
            metadata(),
        ],
        true,
    );
    assert_eq!(
        names(&events),
        [
            "message_start",
            "ping",
            "content_block_start",
            "content_block_delta",
            "content_block_delta",
            "content_block_stop",
            "message_delta",
            "message_stop"
        ]
    );
    let message = &events[0].1["message"];
    assert_eq!((message["id"].as_str(), message["model"].as_str()), (Some("msg_1"), Some("claude")));
    assert_eq!(message["content"], serde_json::json!([]));
    assert_eq!(events[2].1["content_block"], serde_json::json!({"type": "text", "text": ""}));
    assert_eq!(events[3].1["delta"], serde_json::json!({"type": "text_delta", "text": "Hel"}));
    assert_eq!(events[6].1["delta"], serde_json::json!({"stop_reason": "stop_sequence", "stop_sequence": "END"}));
    assert_eq!(events[6].1["usage"]["output_tokens"], 9);
    assert_eq!(events[6].1["usage"]["cache_read_input_tokens"], 3);
}

#[test]
fn thinking_then_tool_use() {
    let events = run(
        &[
            start(),
            delta(0, ContentBlockDelta::ReasoningContent(ReasoningContentBlockDelta::Text("hmm".into()))),
            delta(0, ContentBlockDelta::ReasoningContent(ReasoningContentBlockDelta::Signature("sig".into()))),
            block_stop(0),
            tool_start(1, "tu1", "get"),
            delta(1, ContentBlockDelta::ToolUse(ToolUseBlockDelta::builder().input("{\"ci").build().unwrap())),
            delta(1, ContentBlockDelta::ToolUse(ToolUseBlockDelta::builder().input("ty\":1}").build().unwrap())),
            block_stop(1),
            stop("tool_use"),
            metadata(),
        ],
        true,
    );
    assert_eq!(events[2].1["content_block"], serde_json::json!({"type": "thinking", "thinking": "", "signature": ""}));
    assert_eq!(events[3].1["delta"], serde_json::json!({"type": "thinking_delta", "thinking": "hmm"}));
    assert_eq!(events[4].1["delta"], serde_json::json!({"type": "signature_delta", "signature": "sig"}));
    assert_eq!(events[5].1, serde_json::json!({"type": "content_block_stop", "index": 0}));
    assert_eq!(
        events[6].1["content_block"],
        serde_json::json!({"type": "tool_use", "id": "tu1", "name": "get", "input": {}})
    );
    assert_eq!(events[6].1["index"], 1);
    assert_eq!(events[7].1["delta"], serde_json::json!({"type": "input_json_delta", "partial_json": "{\"ci"}));
    assert_eq!(events[9].1, serde_json::json!({"type": "content_block_stop", "index": 1}));
    assert_eq!(events[10].1["delta"]["stop_reason"], "tool_use");
    assert_eq!(events.len(), 12);
}

#[test]
fn redacted_thinking_is_one_whole_block_and_text_after_it_opens_another() {
    let redacted = ContentBlockDelta::ReasoningContent(ReasoningContentBlockDelta::RedactedContent(Blob::new(vec![1])));
    let events = run(&[start(), delta(0, redacted), delta(1, ContentBlockDelta::Text("a".into()))], true);
    assert_eq!(
        names(&events),
        [
            "message_start",
            "ping",
            "content_block_start",
            "content_block_stop",
            "content_block_start",
            "content_block_delta",
            "content_block_stop",
            "message_delta",
            "message_stop"
        ]
    );
    assert_eq!(events[2].1["content_block"], serde_json::json!({"type": "redacted_thinking", "data": "AQ=="}));
    assert_eq!(events[4].1["index"], 1);
    assert_eq!(events[7].1["delta"]["stop_reason"], "end_turn", "no stop event: end_turn");
}

#[test]
fn a_failure_mid_stream_ends_with_an_error_event() {
    let mut translator = MessagesStreamTranslator::new("msg_1".into(), "m".into(), Vec::new());
    let mut out = Vec::new();
    translator.on_event(&start(), &mut out);
    translator.on_event(&delta(0, ContentBlockDelta::Text("a".into())), &mut out);
    translator.on_error(ErrorDetail { kind: "overloaded_error", message: "busy".into() }, &mut out);
    translator.on_end(&mut out);
    let events = events(&out);
    assert_eq!(
        names(&events),
        ["message_start", "ping", "content_block_start", "content_block_delta", "content_block_stop", "error"]
    );
    assert_eq!(events[5].1["error"], serde_json::json!({"type": "overloaded_error", "message": "busy"}));
}

#[test]
fn replay_emits_the_same_sequence() {
    let message = Message {
        id: "msg_1".into(),
        kind: "message",
        role: "assistant",
        content: vec![
            ResponseBlock::Text { text: "hi".into() },
            ResponseBlock::ToolUse { id: "t".into(), name: "f".into(), input: serde_json::json!({"a": 1}) },
        ],
        model: "m".into(),
        stop_reason: Some(StopReason::ToolUse),
        stop_sequence: None,
        usage: Usage { input_tokens: 4, output_tokens: 6, ..Usage::default() },
    };
    let mut translator = MessagesStreamTranslator::new("msg_1".into(), "m".into(), Vec::new());
    let mut out = Vec::new();
    translator.replay(&message, &mut out);
    let events = events(&out);
    assert_eq!(
        names(&events),
        [
            "message_start",
            "ping",
            "content_block_start",
            "content_block_delta",
            "content_block_stop",
            "content_block_start",
            "content_block_delta",
            "content_block_stop",
            "message_delta",
            "message_stop"
        ]
    );
    assert_eq!(events[0].1["message"]["usage"]["input_tokens"], 4);
    assert_eq!(events[6].1["delta"], serde_json::json!({"type": "input_json_delta", "partial_json": "{\"a\":1}"}));
    assert_eq!(events[8].1["usage"]["output_tokens"], 6);
}
