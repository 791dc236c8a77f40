use aws_sdk_bedrockruntime::types::{ConversationRole, ReasoningTextBlock, ToolUseBlock};
use aws_smithy_types::Blob;
use openai::FinishReason;

use super::*;

const META: CompletionMeta<'static> = CompletionMeta { id: "chatcmpl-x", created: 9, model: "m" };

fn result(blocks: Vec<ContentBlock>, stop: StopReason) -> ConverseResult {
    let message = Message::builder().role(ConversationRole::Assistant).set_content(Some(blocks)).build().unwrap();
    let usage = TokenUsage::builder().input_tokens(3).output_tokens(4).total_tokens(7).build().unwrap();
    ConverseResult { message: Some(message), stop_reason: stop, usage: Some(usage) }
}

fn tool_use(id: &str, name: &str) -> ContentBlock {
    ContentBlock::ToolUse(
        ToolUseBlock::builder()
            .tool_use_id(id)
            .name(name)
            .input(crate::document::to_document(&serde_json::json!({"a": 1})))
            .build()
            .unwrap(),
    )
}

fn reasoning(text: &str, signature: Option<&str>) -> ContentBlock {
    let block = ReasoningTextBlock::builder().text(text).set_signature(signature.map(str::to_owned)).build().unwrap();
    ContentBlock::ReasoningContent(ReasoningContentBlock::ReasoningText(block))
}

fn plain(result: &ConverseResult) -> ChatCompletion {
    chat_completion_from_converse(result, META, ResponseOptions::default())
}

#[test]
fn text_blocks_are_all_kept() {
    let completion =
        plain(&result(vec![ContentBlock::Text("a".into()), ContentBlock::Text("b".into())], StopReason::EndTurn));
    let choice = &completion.choices[0];
    assert_eq!(choice.message.content.as_deref(), Some("a\n\nb"));
    assert_eq!(choice.finish_reason, FinishReason::Stop);
    assert_eq!((completion.usage.prompt_tokens, completion.usage.total_tokens), (3, 7));
    assert_eq!(completion.id, "chatcmpl-x");
}

#[test]
fn text_and_tool_calls_both_survive() {
    let completion = plain(&result(
        vec![ContentBlock::Text("checking".into()), tool_use("t1", "get"), tool_use("t2", "get")],
        StopReason::ToolUse,
    ));
    let message = &completion.choices[0].message;
    assert_eq!(message.content.as_deref(), Some("checking"));
    let calls = message.tool_calls.as_ref().unwrap();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].function.arguments, r#"{"a":1}"#);
    assert_eq!(completion.choices[0].finish_reason, FinishReason::ToolCalls);
}

#[test]
fn tool_calls_kept_whatever_the_stop_reason() {
    let completion = plain(&result(vec![tool_use("t1", "get")], StopReason::MaxTokens));
    let message = &completion.choices[0].message;
    assert_eq!(message.content, None);
    assert_eq!(message.tool_calls.as_ref().unwrap().len(), 1);
    assert_eq!(completion.choices[0].finish_reason, FinishReason::Length);
}

#[test]
fn reasoning_goes_to_reasoning_content_with_signed_blocks() {
    let redacted = ContentBlock::ReasoningContent(ReasoningContentBlock::RedactedContent(Blob::new(vec![1, 2])));
    let completion = plain(&result(
        vec![reasoning("hmm", Some("sig")), redacted, ContentBlock::Text("42".into())],
        StopReason::EndTurn,
    ));
    let message = &completion.choices[0].message;
    assert_eq!(message.reasoning_content.as_deref(), Some("hmm"));
    assert_eq!(message.content.as_deref(), Some("42"));
    assert_eq!(
        message.thinking_blocks.as_deref().unwrap(),
        &[
            ThinkingBlock::Thinking { thinking: "hmm".into(), signature: Some("sig".into()) },
            ThinkingBlock::RedactedThinking { data: "AQI=".into() }
        ]
    );
}

#[test]
fn unsigned_reasoning_has_no_thinking_blocks() {
    let completion =
        plain(&result(vec![reasoning("r1 thoughts", None), ContentBlock::Text("x".into())], StopReason::EndTurn));
    assert_eq!(completion.choices[0].message.thinking_blocks, None);
    assert_eq!(completion.choices[0].message.reasoning_content.as_deref(), Some("r1 thoughts"));
}

#[test]
fn think_tags_inline_the_reasoning() {
    let options = ResponseOptions { reasoning_format: ReasoningFormat::ThinkTags, structured_tool: None };
    let completion = chat_completion_from_converse(
        &result(vec![reasoning("hmm", Some("s")), ContentBlock::Text("42".into())], StopReason::EndTurn),
        META,
        options,
    );
    let message = &completion.choices[0].message;
    assert_eq!(message.content.as_deref(), Some("<think>hmm</think>42"));
    assert_eq!(message.reasoning_content, None);
}

#[test]
fn structured_tool_input_becomes_the_content() {
    let options =
        ResponseOptions { reasoning_format: ReasoningFormat::default(), structured_tool: Some("json_response") };
    let completion = chat_completion_from_converse(
        &result(vec![tool_use("t", "json_response")], StopReason::ToolUse),
        META,
        options,
    );
    let choice = &completion.choices[0];
    assert_eq!(choice.message.content.as_deref(), Some(r#"{"a":1}"#));
    assert_eq!(choice.message.tool_calls, None);
    assert_eq!(choice.finish_reason, FinishReason::Stop);
}
