//! Converse response → `chat.completion`.

use aws_sdk_bedrockruntime::types::{ContentBlock, Message, ReasoningContentBlock, StopReason, TokenUsage};
use openai::{AssistantMessage, ChatCompletion, Choice, FunctionCall, ToolCall};

use crate::document::to_value;
use crate::stop_reason::finish_reason;
use crate::usage::usage_from_bedrock;

/// Separator between distinct text blocks (the same in streaming).
pub const TEXT_BLOCK_SEPARATOR: &str = "\n\n";

/// The parts of a Converse response the translation needs.
#[derive(Debug, Clone, PartialEq)]
pub struct ConverseResult {
    pub message: Option<Message>,
    pub stop_reason: StopReason,
    pub usage: Option<TokenUsage>,
}

/// Identity of the completion, chosen by the caller (ids are random, time is I/O).
#[derive(Debug, Clone, Copy)]
pub struct CompletionMeta<'a> {
    pub id: &'a str,
    pub created: u64,
    pub model: &'a str,
}

/// Builds the OpenAI response, keeping every text block together with every tool call.
pub fn chat_completion_from_converse(result: &ConverseResult, meta: CompletionMeta<'_>) -> ChatCompletion {
    let blocks = result.message.as_ref().map_or(&[][..], Message::content);
    let mut text = String::new();
    let mut reasoning = String::new();
    let mut tool_calls = Vec::new();
    for block in blocks {
        match block {
            ContentBlock::Text(t) => push_separated(&mut text, t),
            ContentBlock::ReasoningContent(ReasoningContentBlock::ReasoningText(r)) => reasoning.push_str(r.text()),
            ContentBlock::ToolUse(tool_use) => tool_calls.push(ToolCall {
                id: tool_use.tool_use_id().to_owned(),
                kind: "function".to_owned(),
                function: FunctionCall {
                    name: tool_use.name().to_owned(),
                    arguments: to_value(tool_use.input()).to_string(),
                },
            }),
            _ => {}
        }
    }
    let message = AssistantMessage {
        role: "assistant",
        content: (!text.is_empty() || tool_calls.is_empty()).then_some(text),
        reasoning_content: (!reasoning.is_empty()).then_some(reasoning),
        tool_calls: (!tool_calls.is_empty()).then_some(tool_calls),
        refusal: None,
    };
    ChatCompletion {
        id: meta.id.to_owned(),
        object: "chat.completion",
        created: meta.created,
        model: meta.model.to_owned(),
        choices: vec![Choice { index: 0, message, finish_reason: finish_reason(&result.stop_reason), logprobs: None }],
        usage: result.usage.as_ref().map(usage_from_bedrock).unwrap_or_default(),
        system_fingerprint: None,
    }
}

fn push_separated(text: &mut String, block: &str) {
    if !text.is_empty() {
        text.push_str(TEXT_BLOCK_SEPARATOR);
    }
    text.push_str(block);
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_bedrockruntime::types::{ConversationRole, ReasoningTextBlock, ToolUseBlock};
    use openai::FinishReason;

    const META: CompletionMeta<'static> = CompletionMeta { id: "chatcmpl-x", created: 9, model: "m" };

    fn result(blocks: Vec<ContentBlock>, stop: StopReason) -> ConverseResult {
        let message = Message::builder().role(ConversationRole::Assistant).set_content(Some(blocks)).build().unwrap();
        let usage = TokenUsage::builder().input_tokens(3).output_tokens(4).total_tokens(7).build().unwrap();
        ConverseResult { message: Some(message), stop_reason: stop, usage: Some(usage) }
    }

    fn tool_use(id: &str) -> ContentBlock {
        ContentBlock::ToolUse(
            ToolUseBlock::builder()
                .tool_use_id(id)
                .name("get")
                .input(crate::document::to_document(&serde_json::json!({"a": 1})))
                .build()
                .unwrap(),
        )
    }

    #[test]
    fn text_blocks_are_all_kept() {
        let completion = chat_completion_from_converse(
            &result(vec![ContentBlock::Text("a".into()), ContentBlock::Text("b".into())], StopReason::EndTurn),
            META,
        );
        let choice = &completion.choices[0];
        assert_eq!(choice.message.content.as_deref(), Some("a\n\nb"));
        assert_eq!(choice.finish_reason, FinishReason::Stop);
        assert_eq!((completion.usage.prompt_tokens, completion.usage.total_tokens), (3, 7));
        assert_eq!(completion.id, "chatcmpl-x");
    }

    #[test]
    fn text_and_tool_calls_both_survive() {
        let completion = chat_completion_from_converse(
            &result(vec![ContentBlock::Text("checking".into()), tool_use("t1"), tool_use("t2")], StopReason::ToolUse),
            META,
        );
        let message = &completion.choices[0].message;
        assert_eq!(message.content.as_deref(), Some("checking"));
        let calls = message.tool_calls.as_ref().unwrap();
        assert_eq!(calls.len(), 2);
        assert_eq!(calls[0].function.arguments, r#"{"a":1}"#);
        assert_eq!(completion.choices[0].finish_reason, FinishReason::ToolCalls);
    }

    #[test]
    fn tool_calls_kept_whatever_the_stop_reason() {
        let completion = chat_completion_from_converse(&result(vec![tool_use("t1")], StopReason::MaxTokens), META);
        let message = &completion.choices[0].message;
        assert_eq!(message.content, None);
        assert_eq!(message.tool_calls.as_ref().unwrap().len(), 1);
        assert_eq!(completion.choices[0].finish_reason, FinishReason::Length);
    }

    #[test]
    fn reasoning_goes_to_reasoning_content() {
        let reasoning = ReasoningTextBlock::builder().text("hmm").signature("sig").build().unwrap();
        let completion = chat_completion_from_converse(
            &result(
                vec![
                    ContentBlock::ReasoningContent(ReasoningContentBlock::ReasoningText(reasoning)),
                    ContentBlock::Text("42".into()),
                ],
                StopReason::EndTurn,
            ),
            META,
        );
        let message = &completion.choices[0].message;
        assert_eq!(message.reasoning_content.as_deref(), Some("hmm"));
        assert_eq!(message.content.as_deref(), Some("42"));
    }
}
