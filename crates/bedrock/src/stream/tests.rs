use aws_sdk_bedrockruntime::types::{
    ContentBlockDeltaEvent, ContentBlockStopEvent, ConversationRole, StopReason, TokenUsage,
};
use serde_json::{json, Value};

use super::*;
use crate::test_events::{start, stop, text, tool_input, tool_start, usage};

fn frames(out: &[u8]) -> Vec<Value> {
    let text = std::str::from_utf8(out).unwrap();
    assert!(text.ends_with("\n\n"), "frames end with a blank line: {text:?}");
    text.split("\n\n")
        .filter(|f| !f.is_empty())
        .map(|f| {
            let data = f.strip_prefix("data: ").unwrap();
            if data == "[DONE]" {
                Value::String("[DONE]".into())
            } else {
                serde_json::from_str(data).unwrap()
            }
        })
        .collect()
}

fn translator(include_usage: bool) -> StreamTranslator {
    StreamTranslator::new(
        "chatcmpl-1".into(),
        "m".into(),
        5,
        StreamOptions { include_usage, ..StreamOptions::default() },
    )
}

fn run(t: &mut StreamTranslator, events: &[ConverseStreamOutput]) -> Vec<Value> {
    let mut out = Vec::new();
    for event in events {
        t.on_event(event, &mut out);
    }
    t.on_end(&mut out);
    frames(&out)
}

#[test]
fn text_stream_event_by_event() {
    let mut t = translator(false);
    let mut out = Vec::new();
    t.on_event(&start(), &mut out);
    assert_eq!(
        frames(&out),
        vec![
            json!({"id":"chatcmpl-1","object":"chat.completion.chunk","created":5,"model":"m","system_fingerprint":null,
                    "choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null,"logprobs":null}]})
        ]
    );
    out.clear();
    t.on_event(&text(0, "Hel"), &mut out);
    assert_eq!(frames(&out)[0]["choices"][0]["delta"], json!({"content":"Hel"}));
    out.clear();
    let stop_event = ContentBlockStopEvent::builder().content_block_index(0).build().unwrap();
    t.on_event(&ConverseStreamOutput::ContentBlockStop(stop_event), &mut out);
    assert!(out.is_empty(), "contentBlockStop emits nothing");
    t.on_event(&stop("end_turn"), &mut out);
    let finish = frames(&out);
    assert_eq!(finish[0]["choices"][0]["finish_reason"], "stop");
    assert_eq!(finish[0]["choices"][0]["delta"], json!({}));
    out.clear();
    t.on_event(&usage(3, 2), &mut out);
    assert!(out.is_empty(), "no usage chunk unless include_usage");
    t.on_end(&mut out);
    assert_eq!(out, DONE_FRAME);
}

#[test]
fn usage_chunk_when_requested() {
    let frames = run(&mut translator(true), &[start(), text(0, "x"), stop("end_turn"), usage(3, 2)]);
    assert_eq!(frames.len(), 5);
    assert_eq!(frames[0]["usage"], Value::Null);
    assert!(frames[0].as_object().unwrap().contains_key("usage"));
    let usage = &frames[3];
    assert_eq!(usage["choices"], json!([]));
    assert_eq!(usage["usage"], json!({"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}));
    assert_eq!(frames[4], "[DONE]");
}

#[test]
fn tool_calls_get_contiguous_zero_based_indexes() {
    let frames = run(
        &mut translator(false),
        &[
            start(),
            text(0, "let me check"),
            tool_start(1, "t1", "get"),
            tool_input(1, "{\"a\":"),
            tool_input(1, "1}"),
            tool_start(2, "t2", "get"),
            tool_input(2, "{}"),
            stop("tool_use"),
        ],
    );
    let calls: Vec<&Value> = frames.iter().filter_map(|f| f["choices"][0]["delta"].get("tool_calls")).collect();
    assert_eq!(calls.len(), 5);
    assert_eq!(calls[0], &json!([{"index":0,"id":"t1","type":"function","function":{"name":"get","arguments":""}}]));
    assert_eq!(calls[1], &json!([{"index":0,"function":{"arguments":"{\"a\":"}}]));
    assert_eq!(calls[3][0]["index"], 1);
    assert_eq!(calls[3][0]["id"], "t2");
    assert_eq!(frames[frames.len() - 2]["choices"][0]["finish_reason"], "tool_calls");
}

#[test]
fn a_tool_call_in_block_zero_is_index_zero() {
    let frames =
        run(&mut translator(false), &[start(), tool_start(0, "t", "get"), tool_input(0, "{}"), stop("tool_use")]);
    assert_eq!(frames[1]["choices"][0]["delta"]["tool_calls"][0]["index"], 0);
}

#[test]
fn separate_text_blocks_are_separated() {
    let frames = run(&mut translator(false), &[start(), text(0, "a"), text(0, "b"), text(2, "c"), stop("end_turn")]);
    let content: String = frames.iter().filter_map(|f| f["choices"][0]["delta"]["content"].as_str()).collect();
    assert_eq!(content, "ab\n\nc");
}

#[test]
fn reasoning_streams_as_reasoning_content() {
    let reasoning = ConverseStreamOutput::ContentBlockDelta(
        ContentBlockDeltaEvent::builder()
            .content_block_index(0)
            .delta(ContentBlockDelta::ReasoningContent(ReasoningContentBlockDelta::Text("think".into())))
            .build()
            .unwrap(),
    );
    let frames = run(&mut translator(false), &[start(), reasoning, text(1, "answer"), stop("end_turn")]);
    assert_eq!(frames[1]["choices"][0]["delta"], json!({"reasoning_content":"think"}));
    assert_eq!(frames[2]["choices"][0]["delta"], json!({"content":"answer"}));
}

#[test]
fn role_comes_first_even_without_message_start() {
    let frames = run(&mut translator(false), &[text(0, "x")]);
    assert_eq!(frames[0]["choices"][0]["delta"]["role"], "assistant");
    assert_eq!(frames[1]["choices"][0]["delta"]["content"], "x");
    assert_eq!(frames[2]["choices"][0]["finish_reason"], "stop");
    assert_eq!(frames[3], "[DONE]");
}

#[test]
fn errors_end_without_done() {
    let mut t = translator(false);
    let mut out = Vec::new();
    t.on_event(&start(), &mut out);
    let error = ErrorBody {
        error: openai::ErrorDetail { message: "slow down".into(), kind: "rate_limit_error", param: None, code: None },
    };
    t.on_error(&error, &mut out);
    let frames = frames(&out);
    assert_eq!(frames.last().unwrap()["error"]["type"], "rate_limit_error");
    assert!(!frames.contains(&Value::String("[DONE]".into())));
}

#[test]
fn replay_emits_a_whole_completion_as_chunks() {
    use crate::response::{chat_completion_from_converse, CompletionMeta, ConverseResult};
    use aws_sdk_bedrockruntime::types::{ContentBlock, Message, ToolUseBlock};
    let tool = ToolUseBlock::builder()
        .tool_use_id("t1")
        .name("get")
        .input(crate::document::to_document(&json!({"q": 1})))
        .build()
        .unwrap();
    let message = Message::builder()
        .role(ConversationRole::Assistant)
        .content(ContentBlock::Text("hi".into()))
        .content(ContentBlock::ToolUse(tool))
        .build()
        .unwrap();
    let usage = TokenUsage::builder().input_tokens(1).output_tokens(1).total_tokens(2).build().unwrap();
    let result = ConverseResult { message: Some(message), stop_reason: StopReason::ToolUse, usage: Some(usage) };
    let completion = chat_completion_from_converse(
        &result,
        CompletionMeta { id: "chatcmpl-1", created: 5, model: "m" },
        Default::default(),
    );
    let mut out = Vec::new();
    translator(true).replay(&completion, &mut out);
    let frames = frames(&out);
    assert_eq!(frames.len(), 6);
    assert_eq!(frames[0]["choices"][0]["delta"]["role"], "assistant");
    assert_eq!(frames[1]["choices"][0]["delta"], json!({"content": "hi"}));
    assert_eq!(frames[1]["choices"][0]["delta"]["content"], "hi");
    assert_eq!(
        frames[2]["choices"][0]["delta"]["tool_calls"][0]["function"],
        json!({"name":"get","arguments":"{\"q\":1}"})
    );
    assert_eq!(frames[3]["choices"][0]["finish_reason"], "tool_calls");
    assert_eq!(frames[4]["usage"]["total_tokens"], 2);
    assert_eq!(frames[5], "[DONE]");
}

fn reasoning_delta(block: i32, delta: ReasoningContentBlockDelta) -> ConverseStreamOutput {
    ConverseStreamOutput::ContentBlockDelta(
        ContentBlockDeltaEvent::builder()
            .content_block_index(block)
            .delta(ContentBlockDelta::ReasoningContent(delta))
            .build()
            .unwrap(),
    )
}

#[test]
fn signatures_close_thinking_blocks() {
    let frames = run(
        &mut translator(false),
        &[
            start(),
            reasoning_delta(0, ReasoningContentBlockDelta::Text("a".into())),
            reasoning_delta(0, ReasoningContentBlockDelta::Text("b".into())),
            reasoning_delta(0, ReasoningContentBlockDelta::Signature("sig".into())),
            text(1, "answer"),
            stop("end_turn"),
        ],
    );
    assert_eq!(
        frames[3]["choices"][0]["delta"],
        json!({"thinking_blocks": [{"type": "thinking", "thinking": "ab", "signature": "sig"}]})
    );
}

#[test]
fn think_tags_wrap_reasoning_in_content() {
    let options = StreamOptions { reasoning_format: ReasoningFormat::ThinkTags, ..StreamOptions::default() };
    let mut t = StreamTranslator::new("c".into(), "m".into(), 1, options);
    let frames = run(
        &mut t,
        &[
            start(),
            reasoning_delta(0, ReasoningContentBlockDelta::Text("hm".into())),
            reasoning_delta(0, ReasoningContentBlockDelta::Text("m".into())),
            text(1, "42"),
            stop("end_turn"),
        ],
    );
    let content: String = frames.iter().filter_map(|f| f["choices"][0]["delta"]["content"].as_str()).collect();
    assert_eq!(content, "<think>hmm</think>42");
}

#[test]
fn think_tag_closes_before_finish() {
    let options = StreamOptions { reasoning_format: ReasoningFormat::ThinkTags, ..StreamOptions::default() };
    let mut t = StreamTranslator::new("c".into(), "m".into(), 1, options);
    let frames =
        run(&mut t, &[start(), reasoning_delta(0, ReasoningContentBlockDelta::Text("x".into())), stop("max_tokens")]);
    let content: String = frames.iter().filter_map(|f| f["choices"][0]["delta"]["content"].as_str()).collect();
    assert_eq!(content, "<think>x</think>");
    assert_eq!(frames[frames.len() - 2]["choices"][0]["finish_reason"], "length");
}

#[test]
fn structured_tool_streams_as_content() {
    let options = StreamOptions { structured_tool: Some("get".into()), ..StreamOptions::default() };
    let mut t = StreamTranslator::new("c".into(), "m".into(), 1, options);
    let frames = run(
        &mut t,
        &[start(), tool_start(0, "t", "get"), tool_input(0, "{\"a\":"), tool_input(0, "1}"), stop("tool_use")],
    );
    let content: String = frames.iter().filter_map(|f| f["choices"][0]["delta"]["content"].as_str()).collect();
    assert_eq!(content, "{\"a\":1}");
    assert!(frames.iter().all(|f| f["choices"][0]["delta"].get("tool_calls").is_none()));
    assert_eq!(frames[frames.len() - 2]["choices"][0]["finish_reason"], "stop");
}

/// The frame the wire type gives when serialised whole, for comparison with the shared head.
fn whole_frame(id: &str, model: &str, choice: Option<ChunkChoice>, usage: Option<Option<Usage>>) -> Vec<u8> {
    let choices = choice.into_iter().collect();
    let chunk =
        ChatCompletionChunk { id, object: CHUNK_OBJECT, created: 7, model, system_fingerprint: None, choices, usage };
    let mut out = Vec::new();
    write_frame(&chunk, &mut out);
    out
}

#[test]
fn every_kind_of_chunk_is_byte_for_byte_the_wire_type_serialised_whole() {
    let (id, model) = ("chatcmpl-\"quoted\"\\id", "us.model/é\u{1}\nv1:0");
    let content = Delta { content: Some("He said \"hi\"\n\t\u{7f} — ok \u{1F600}".into()), ..Delta::default() };
    let role = Delta { role: Some("assistant"), content: Some(String::new()), ..Delta::default() };
    let usage = Usage { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7, ..Usage::default() };
    for include_usage in [false, true] {
        let options = StreamOptions { include_usage, ..StreamOptions::default() };
        let t = StreamTranslator::new(id.into(), model.into(), 7, options);
        let cases = [
            (Some(choice(role.clone(), None)), None),
            (Some(choice(content.clone(), None)), None),
            (Some(choice(Delta::default(), Some(FinishReason::Stop))), None),
            (None, Some(usage.clone())),
        ];
        for (chunk_choice, chunk_usage) in cases {
            let mut fast = Vec::new();
            t.write_chunk(chunk_choice.clone(), chunk_usage.clone(), &mut fast);
            let expected = whole_frame(id, model, chunk_choice, include_usage.then_some(chunk_usage));
            assert_eq!(String::from_utf8(fast).unwrap(), String::from_utf8(expected).unwrap());
        }
    }
}
