use super::*;
use aws_sdk_bedrockruntime::types::{
    ContentBlockDeltaEvent, ConversationRole, ConverseStreamMetadataEvent, ConverseStreamMetrics, MessageStopEvent,
    StopReason, TokenUsage,
};
use openai::parse_json;
use serde_json::{json, Value};

fn request(body: Value) -> CompletionRequest {
    parse_json(body.to_string().as_bytes()).unwrap()
}

#[test]
fn prompts_and_refusals() {
    assert_eq!(prompts(&request(json!({"prompt": "hi"}))).unwrap(), vec!["hi"]);
    assert_eq!(prompts(&request(json!({"prompt": ["a", "b"]}))).unwrap(), vec!["a", "b"]);
    let param = |body: Value| prompts(&request(body)).unwrap_err().param;
    assert_eq!(param(json!({})).as_deref(), Some("prompt"));
    assert_eq!(param(json!({"prompt": [1, 2]})).as_deref(), Some("prompt"));
    assert_eq!(param(json!({"prompt": ["a", " "]})).as_deref(), Some("prompt[1]"));
    assert_eq!(param(json!({"prompt": ["a", "b"], "stream": true})).as_deref(), Some("prompt"));
    assert_eq!(param(json!({"prompt": "a", "n": 2})).as_deref(), Some("n"));
    assert_eq!(param(json!({"prompt": "a", "best_of": 3})).as_deref(), Some("best_of"));
    assert_eq!(param(json!({"prompt": "a", "echo": true})).as_deref(), Some("echo"));
    assert_eq!(param(json!({"prompt": "a", "suffix": "z"})).as_deref(), Some("suffix"));
    assert_eq!(param(json!({"prompt": "a", "logprobs": 2})).as_deref(), Some("logprobs"));
    assert!(prompts(&request(json!({"prompt": "a", "logprobs": 0, "echo": false, "best_of": 1, "suffix": ""}))).is_ok());
}

#[test]
fn chat_request_carries_the_sampling_and_the_default_max_tokens() {
    let req = request(json!({"prompt": "p", "temperature": 0.2, "stop": ["\n"]}));
    let chat = chat_request(&req, "p");
    assert_eq!(chat.max_tokens, Some(DEFAULT_MAX_TOKENS));
    assert_eq!(chat.temperature, Some(0.2));
    assert_eq!(chat.messages[0].content, Some(MessageContent::Text("p".into())));
    let chat = chat_request(&request(json!({"prompt": "p", "max_tokens": 99})), "p");
    assert_eq!(chat.max_tokens, Some(99));
}

fn result(text: &str, stop: &str) -> ConverseResult {
    let message =
        Message::builder().role(ConversationRole::Assistant).content(ContentBlock::Text(text.into())).build().unwrap();
    let usage = TokenUsage::builder().input_tokens(2).output_tokens(3).total_tokens(5).build().unwrap();
    ConverseResult { message: Some(message), stop_reason: StopReason::from(stop), usage: Some(usage) }
}

const META: CompletionMeta<'static> = CompletionMeta { id: "cmpl-1", created: 7, model: "m" };

#[test]
fn one_choice_per_prompt_and_summed_usage() {
    let completion = completion_from_converse(&[result("a", "end_turn"), result("b", "max_tokens")], META);
    let value = serde_json::to_value(&completion).unwrap();
    assert_eq!(value["object"], "text_completion");
    assert_eq!(value["choices"][1], json!({"text": "b", "index": 1, "logprobs": null, "finish_reason": "length"}));
    assert_eq!(value["usage"]["total_tokens"], 10);
}

fn frames(out: &[u8]) -> Vec<String> {
    std::str::from_utf8(out).unwrap().split_terminator("\n\n").map(str::to_owned).collect()
}

#[test]
fn stream_chunks_event_by_event() {
    let mut translator = CompletionStreamTranslator::new(META, true);
    let mut out = Vec::new();
    let text = |t: &str| {
        ConverseStreamOutput::ContentBlockDelta(
            ContentBlockDeltaEvent::builder()
                .content_block_index(0)
                .delta(ContentBlockDelta::Text(t.into()))
                .build()
                .unwrap(),
        )
    };
    translator.on_event(&text("Hel"), &mut out);
    translator.on_event(&text("lo"), &mut out);
    let stop = MessageStopEvent::builder().stop_reason(StopReason::MaxTokens).build().unwrap();
    translator.on_event(&ConverseStreamOutput::MessageStop(stop), &mut out);
    let usage = TokenUsage::builder().input_tokens(1).output_tokens(2).total_tokens(3).build().unwrap();
    let metrics = ConverseStreamMetrics::builder().latency_ms(1).build().unwrap();
    let meta = ConverseStreamMetadataEvent::builder().usage(usage).metrics(metrics).build();
    translator.on_event(&ConverseStreamOutput::Metadata(meta), &mut out);
    translator.on_end(&mut out);
    let frames = frames(&out);
    assert_eq!(frames.len(), 5);
    let chunk = |i: usize| serde_json::from_str::<Value>(frames[i].strip_prefix("data: ").unwrap()).unwrap();
    assert_eq!(chunk(0)["choices"][0], json!({"text": "Hel", "index": 0, "logprobs": null, "finish_reason": null}));
    assert_eq!(chunk(0)["object"], "text_completion");
    assert_eq!(chunk(2)["choices"][0]["finish_reason"], "length");
    assert_eq!((chunk(3)["choices"].clone(), chunk(3)["usage"]["total_tokens"].clone()), (json!([]), json!(3)));
    assert_eq!(frames[4], "data: [DONE]");
}
