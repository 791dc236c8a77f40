//! Converse response → `chat.completion`.

use aws_sdk_bedrockruntime::types::{ContentBlock, Message, ReasoningContentBlock, StopReason, TokenUsage};
use base64::Engine as _;
use openai::{
    AssistantMessage, ChatCompletion, Choice, FinishReason, FunctionCall, ReasoningFormat, ThinkingBlock, ToolCall,
};

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

/// How the answer is shaped for the client.
#[derive(Debug, Clone, Copy, Default)]
pub struct ResponseOptions<'a> {
    pub reasoning_format: ReasoningFormat,
    /// The tool standing for `response_format`: its input becomes the content.
    pub structured_tool: Option<&'a str>,
}

/// What the blocks of an answer add up to.
#[derive(Default)]
struct Collected {
    text: String,
    reasoning: String,
    thinking_blocks: Vec<ThinkingBlock>,
    tool_calls: Vec<ToolCall>,
    structured: Option<String>,
}

fn collect(blocks: &[ContentBlock], structured_tool: Option<&str>) -> Collected {
    let mut out = Collected::default();
    for block in blocks {
        match block {
            ContentBlock::Text(t) => push_separated(&mut out.text, t),
            ContentBlock::ReasoningContent(ReasoningContentBlock::ReasoningText(r)) => {
                out.reasoning.push_str(r.text());
                out.thinking_blocks.push(ThinkingBlock::Thinking {
                    thinking: r.text().to_owned(),
                    signature: r.signature().map(str::to_owned),
                });
            }
            ContentBlock::ReasoningContent(ReasoningContentBlock::RedactedContent(data)) => {
                let data = base64::engine::general_purpose::STANDARD.encode(data.as_ref());
                out.thinking_blocks.push(ThinkingBlock::RedactedThinking { data });
            }
            ContentBlock::ToolUse(tool_use) if Some(tool_use.name()) == structured_tool => {
                out.structured = Some(to_value(tool_use.input()).to_string());
            }
            ContentBlock::ToolUse(tool_use) => out.tool_calls.push(ToolCall {
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
    out
}

/// Builds the OpenAI response, keeping every text block together with every tool call.
pub fn chat_completion_from_converse(
    result: &ConverseResult,
    meta: CompletionMeta<'_>,
    options: ResponseOptions<'_>,
) -> ChatCompletion {
    let blocks = result.message.as_ref().map_or(&[][..], Message::content);
    let collected = collect(blocks, options.structured_tool);
    let mut finish = finish_reason(&result.stop_reason);
    // A structured answer arrives as a tool call, but for the client it is the reply.
    let text = match collected.structured {
        Some(json) if collected.tool_calls.is_empty() => {
            if finish == FinishReason::ToolCalls {
                finish = FinishReason::Stop;
            }
            json
        }
        _ => collected.text,
    };
    let (content, reasoning_content) = match options.reasoning_format {
        ReasoningFormat::ThinkTags if !collected.reasoning.is_empty() => {
            (format!("<think>{}</think>{text}", collected.reasoning), None)
        }
        _ => (text, (!collected.reasoning.is_empty()).then_some(collected.reasoning)),
    };
    let signed =
        collected.thinking_blocks.iter().any(|b| !matches!(b, ThinkingBlock::Thinking { signature: None, .. }));
    let message = AssistantMessage {
        role: "assistant",
        content: (!content.is_empty() || collected.tool_calls.is_empty()).then_some(content),
        reasoning_content,
        tool_calls: (!collected.tool_calls.is_empty()).then_some(collected.tool_calls),
        thinking_blocks: signed.then_some(collected.thinking_blocks),
        refusal: None,
    };
    ChatCompletion {
        id: meta.id.to_owned(),
        object: "chat.completion",
        created: meta.created,
        model: meta.model.to_owned(),
        choices: vec![Choice { index: 0, message, finish_reason: finish, logprobs: None }],
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
mod tests;
