use aws_sdk_bedrockruntime::types::{ConversationRole, Message, ReasoningTextBlock, ToolUseBlock};
use openai::responses::{parse_responses_request, ResponseObject};
use serde_json::{json, Value};

use super::*;
use crate::document::to_document;
use crate::test_events::{block_stop, delta, start, stop, text, tool_input, tool_start, usage};

/// `(event name, data)` of each SSE frame, checking the frame shape and the numbering.
fn events(out: &[u8]) -> Vec<(String, Value)> {
    let text = std::str::from_utf8(out).unwrap();
    let parsed: Vec<(String, Value)> = text
        .split("\n\n")
        .filter(|f| !f.is_empty())
        .map(|frame| {
            let (event, data) = frame.split_once('\n').unwrap();
            let name = event.strip_prefix("event: ").unwrap().to_owned();
            let data: Value = serde_json::from_str(data.strip_prefix("data: ").unwrap()).unwrap();
            assert_eq!(data["type"], name.as_str());
            (name, data)
        })
        .collect();
    for (i, (_, data)) in parsed.iter().enumerate() {
        assert_eq!(data["sequence_number"], i as u64, "numbered in order");
    }
    parsed
}

fn names(events: &[(String, Value)]) -> Vec<&str> {
    events.iter().map(|(name, _)| name.as_str()).collect()
}

fn translator(options: ResponsesStreamOptions) -> ResponsesStream {
    let request = parse_responses_request(br#"{"input":"hi"}"#).unwrap();
    ResponsesStream::new(ResponseObject::in_progress(&request, "resp_abc".into(), 7, "m".into()), options)
}

fn streaming() -> ResponsesStreamOptions {
    ResponsesStreamOptions { emit: true, ..ResponsesStreamOptions::default() }
}

fn run(mut stream: ResponsesStream, input: &[ConverseStreamOutput]) -> (Vec<(String, Value)>, ResponsesStream) {
    let mut out = Vec::new();
    for event in input {
        stream.on_event(event, &mut out);
    }
    stream.on_end(&mut out);
    (events(&out), stream)
}

#[test]
fn text_answer_event_by_event() {
    let input = [start(), text(0, "Hel"), text(0, "lo"), block_stop(0), stop(StopReason::EndTurn), usage(3, 2)];
    let (events, stream) = run(translator(streaming()), &input);
    assert_eq!(
        names(&events),
        [
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.content_part.added",
            "response.output_text.delta",
            "response.output_text.delta",
            "response.output_text.done",
            "response.content_part.done",
            "response.output_item.done",
            "response.completed",
        ]
    );
    assert_eq!(events[0].1["response"]["status"], "in_progress");
    assert_eq!(
        events[2].1["item"],
        json!({"type":"message","id":"msg_abc001","status":"in_progress","role":"assistant","content":[]})
    );
    assert_eq!(events[4].1["delta"], "Hel");
    assert_eq!(events[4].1["item_id"], "msg_abc001");
    assert_eq!(events[6].1["text"], "Hello");
    assert_eq!(events[8].1["item"]["status"], "completed");
    let completed = &events[9].1["response"];
    assert_eq!(completed["status"], "completed");
    assert_eq!(completed["output"][0]["content"][0]["text"], "Hello");
    assert_eq!(
        completed["usage"],
        json!({"input_tokens":3,"input_tokens_details":{"cached_tokens":0},"output_tokens":2,
               "output_tokens_details":{"reasoning_tokens":0},"total_tokens":5})
    );
    let finished = stream.finished().unwrap();
    assert_eq!(finished.output_items[0].role.as_deref(), Some("assistant"));
}

#[test]
fn separate_text_blocks_join_like_chat() {
    let input = [start(), text(0, "a"), block_stop(0), text(1, "b"), stop(StopReason::EndTurn)];
    let (events, _) = run(translator(streaming()), &input);
    let done = events.iter().find(|(n, _)| n == "response.output_text.done").unwrap();
    assert_eq!(done.1["text"], format!("a{TEXT_BLOCK_SEPARATOR}b"));
}

#[test]
fn text_then_tool_call_are_two_items() {
    let input = [
        start(),
        text(0, "Let me check."),
        block_stop(0),
        tool_start(1, "toolu_1", "get_weather"),
        tool_input(1, "{\"city\":"),
        tool_input(1, "\"Paris\"}"),
        block_stop(1),
        stop(StopReason::ToolUse),
    ];
    let (events, stream) = run(translator(streaming()), &input);
    let names = names(&events);
    let call_added = names.iter().rposition(|n| *n == "response.output_item.added").unwrap();
    assert_eq!(events[call_added].1["output_index"], 1);
    assert_eq!(events[call_added].1["item"]["call_id"], "toolu_1");
    assert_eq!(events[call_added].1["item"]["arguments"], "");
    let deltas: Vec<&Value> = events
        .iter()
        .filter(|(n, _)| n == "response.function_call_arguments.delta")
        .map(|(_, d)| &d["delta"])
        .collect();
    assert_eq!(deltas, ["{\"city\":", "\"Paris\"}"]);
    let done = events.iter().find(|(n, _)| n == "response.function_call_arguments.done").unwrap();
    assert_eq!(done.1["arguments"], "{\"city\":\"Paris\"}");
    assert_eq!(done.1["name"], "get_weather");
    assert_eq!(*names.last().unwrap(), "response.completed", "a tool call is a completed response");
    let finished = stream.finished().unwrap();
    assert_eq!(finished.response.output.len(), 2);
    assert_eq!(finished.output_items[1].call_id.as_deref(), Some("toolu_1"));
}

#[test]
fn empty_tool_input_becomes_an_empty_object() {
    let input = [start(), tool_start(0, "t", "now"), block_stop(0), stop(StopReason::ToolUse)];
    let (events, _) = run(translator(streaming()), &input);
    let done = events.iter().find(|(n, _)| n == "response.function_call_arguments.done").unwrap();
    assert_eq!(done.1["arguments"], "{}");
}

#[test]
fn structured_tool_streams_as_text() {
    let options = ResponsesStreamOptions { structured_tool: Some("json_answer".into()), ..streaming() };
    let input = [
        start(),
        tool_start(0, "t", "json_answer"),
        tool_input(0, "{\"a\":1}"),
        block_stop(0),
        stop(StopReason::ToolUse),
    ];
    let (events, stream) = run(translator(options), &input);
    assert!(!names(&events).contains(&"response.function_call_arguments.delta"));
    let done = events.iter().find(|(n, _)| n == "response.output_text.done").unwrap();
    assert_eq!(done.1["text"], "{\"a\":1}");
    assert_eq!(stream.finished().unwrap().response.status, ResponseStatus::Completed);
}

fn reasoning_input() -> Vec<ConverseStreamOutput> {
    vec![
        start(),
        delta(0, ContentBlockDelta::ReasoningContent(ReasoningContentBlockDelta::Text("Think".into()))),
        delta(0, ContentBlockDelta::ReasoningContent(ReasoningContentBlockDelta::Text("ing hard".into()))),
        delta(0, ContentBlockDelta::ReasoningContent(ReasoningContentBlockDelta::Signature("sig".into()))),
        block_stop(0),
        text(1, "Answer"),
        stop(StopReason::EndTurn),
        usage(5, 10),
    ]
}

#[test]
fn reasoning_with_summary_and_encrypted_content() {
    let options = ResponsesStreamOptions { include_encrypted: true, summary: true, ..streaming() };
    let (events, stream) = run(translator(options), &reasoning_input());
    let names = names(&events);
    assert_eq!(
        names[2..8],
        [
            "response.output_item.added",
            "response.reasoning_summary_part.added",
            "response.reasoning_text.delta",
            "response.reasoning_summary_text.delta",
            "response.reasoning_text.delta",
            "response.reasoning_summary_text.delta",
        ]
    );
    let done =
        events.iter().find(|(n, d)| n == "response.output_item.done" && d["item"]["type"] == "reasoning").unwrap();
    let item = &done.1["item"];
    assert_eq!(item["summary"], json!([{"type":"summary_text","text":"Thinking hard"}]));
    assert_eq!(item["content"], json!([{"type":"reasoning_text","text":"Thinking hard"}]));
    let sealed = item["encrypted_content"].as_str().unwrap();
    assert_eq!(
        crate::responses::sealed::unseal(sealed).unwrap(),
        vec![ThinkingBlock::Thinking { thinking: "Thinking hard".into(), signature: Some("sig".into()) }]
    );
    let usage = stream.finished().unwrap().response.usage.unwrap();
    assert_eq!(usage.output_tokens_details.reasoning_tokens, 4, "13 characters ≈ 4 tokens");
}

#[test]
fn encrypted_content_is_kept_for_history_even_when_not_returned() {
    let (events, stream) = run(translator(streaming()), &reasoning_input());
    assert!(!names(&events).contains(&"response.reasoning_summary_text.delta"));
    let finished = stream.finished().unwrap();
    let OutputItem::Reasoning { encrypted_content, .. } = &finished.response.output[0] else { panic!("reasoning") };
    assert!(encrypted_content.is_none());
    assert!(finished.output_items[0].encrypted_content.is_some());
}

#[test]
fn reasoning_tokens_never_exceed_output_tokens() {
    let mut input = reasoning_input();
    input.pop();
    input.push(usage(5, 1));
    let (_, stream) = run(translator(streaming()), &input);
    let usage = stream.finished().unwrap().response.usage.unwrap();
    assert_eq!(usage.output_tokens_details.reasoning_tokens, 1);
}

#[test]
fn max_tokens_and_filters_are_incomplete() {
    for (reason, detail) in
        [(StopReason::MaxTokens, "max_output_tokens"), (StopReason::GuardrailIntervened, "content_filter")]
    {
        let (events, _) = run(translator(streaming()), &[start(), text(0, "x"), stop(reason)]);
        let (name, data) = events.last().unwrap();
        assert_eq!(name, "response.incomplete");
        assert_eq!(data["response"]["incomplete_details"]["reason"], detail);
    }
}

#[test]
fn failure_ends_with_error_then_failed() {
    let mut stream = translator(streaming());
    let mut out = Vec::new();
    stream.on_event(&start(), &mut out);
    stream.on_event(&text(0, "partial"), &mut out);
    stream.on_error("rate_limit_exceeded", "slow down", &mut out);
    let events = events(&out);
    let tail: Vec<&str> = names(&events).into_iter().rev().take(2).collect();
    assert_eq!(tail, ["response.failed", "error"]);
    let failed = &events.last().unwrap().1["response"];
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["error"], json!({"code":"rate_limit_exceeded","message":"slow down"}));
    assert!(stream.finished().is_none(), "a failed response is not stored");
}

#[test]
fn replay_of_a_converse_answer_matches_the_stream() {
    let message = Message::builder()
        .role(ConversationRole::Assistant)
        .content(ContentBlock::ReasoningContent(ReasoningContentBlock::ReasoningText(
            ReasoningTextBlock::builder().text("hmm").signature("s").build().unwrap(),
        )))
        .content(ContentBlock::Text("Hi".into()))
        .content(ContentBlock::ToolUse(
            ToolUseBlock::builder().tool_use_id("t1").name("f").input(to_document(&json!({"x": 1}))).build().unwrap(),
        ))
        .build()
        .unwrap();
    let usage = TokenUsage::builder().input_tokens(1).output_tokens(2).total_tokens(3).build().unwrap();
    let result = ConverseResult { message: Some(message), stop_reason: StopReason::ToolUse, usage: Some(usage) };
    let mut silent = translator(ResponsesStreamOptions::default());
    let mut out = Vec::new();
    silent.replay(&result, &mut out);
    assert!(out.is_empty(), "nothing is written when not streaming");
    let response = silent.finished().unwrap().response;
    let kinds: Vec<&str> = response
        .output
        .iter()
        .map(|item| match item {
            OutputItem::Reasoning { .. } => "reasoning",
            OutputItem::Message { .. } => "message",
            OutputItem::FunctionCall { .. } => "function_call",
        })
        .collect();
    assert_eq!(kinds, ["reasoning", "message", "function_call"]);
    let OutputItem::FunctionCall { arguments, .. } = &response.output[2] else { panic!("call") };
    assert_eq!(arguments, "{\"x\":1}");
    let mut streamed = translator(streaming());
    streamed.replay(&result, &mut out);
    assert_eq!(*names(&events(&out)).last().unwrap(), "response.completed");
    assert_eq!(streamed.finished().unwrap().response, response);
}

#[test]
fn calls_of_namespaced_functions_carry_their_namespace() {
    let options = ResponsesStreamOptions { namespaces: vec![("read".into(), "mcp__files".into())], ..streaming() };
    let input = [
        start(),
        tool_start(0, "t1", "read"),
        block_stop(0),
        tool_start(1, "t2", "other"),
        block_stop(1),
        stop(StopReason::ToolUse),
    ];
    let (events, stream) = run(translator(options), &input);
    let added: Vec<&Value> =
        events.iter().filter(|(n, _)| n == "response.output_item.added").map(|(_, d)| &d["item"]).collect();
    assert_eq!(added[0]["namespace"], "mcp__files");
    assert!(added[1].get("namespace").is_none());
    let finished = stream.finished().unwrap();
    assert_eq!(finished.output_items[0].namespace.as_deref(), Some("mcp__files"));
}
