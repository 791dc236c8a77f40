//! Non-streaming chat completion response, exactly in OpenAI's shape.

use serde::Serialize;

use crate::chat::ThinkingBlock;
use crate::tools::ToolCall;

/// `chat.completion` object.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChatCompletion {
    pub id: String,
    pub object: &'static str,
    pub created: u64,
    pub model: String,
    pub choices: Vec<Choice>,
    pub usage: Usage,
    pub system_fingerprint: Option<String>,
}

/// One choice; OpenAI always sends `logprobs` (null when not requested).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Choice {
    pub index: u32,
    pub message: AssistantMessage,
    pub finish_reason: FinishReason,
    pub logprobs: Option<serde_json::Value>,
}

/// The assistant's reply.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AssistantMessage {
    pub role: &'static str,
    /// Null when the reply is only tool calls, as OpenAI does.
    pub content: Option<String>,
    /// Reasoning text (DeepSeek/OpenRouter convention read by Open WebUI, Cline, NextChat).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning_content: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<ToolCall>>,
    /// Signed reasoning blocks, to be sent back on the next turn (LiteLLM's convention).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thinking_blocks: Option<Vec<ThinkingBlock>>,
    pub refusal: Option<String>,
}

/// Why generation stopped, in OpenAI's vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    Stop,
    Length,
    ToolCalls,
    ContentFilter,
}

/// Token accounting.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub total_tokens: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt_tokens_details: Option<PromptTokensDetails>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completion_tokens_details: Option<CompletionTokensDetails>,
}

/// Prompt-cache accounting: reads as OpenAI's `cached_tokens`, writes as our extension.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PromptTokensDetails {
    pub cached_tokens: u64,
    /// Tokens written to the prompt cache (Bedrock reports them; OpenAI has no field).
    pub cache_creation_tokens: u64,
}

/// Completion breakdown.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CompletionTokensDetails {
    pub reasoning_tokens: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn serialises_in_openai_shape() {
        let completion = ChatCompletion {
            id: "chatcmpl-1".into(),
            object: "chat.completion",
            created: 7,
            model: "m".into(),
            choices: vec![Choice {
                index: 0,
                message: AssistantMessage {
                    role: "assistant",
                    content: Some("hi".into()),
                    reasoning_content: None,
                    tool_calls: None,
                    thinking_blocks: None,
                    refusal: None,
                },
                finish_reason: FinishReason::ToolCalls,
                logprobs: None,
            }],
            usage: Usage { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3, ..Usage::default() },
            system_fingerprint: None,
        };
        assert_eq!(
            serde_json::to_value(&completion).unwrap(),
            json!({
                "id": "chatcmpl-1", "object": "chat.completion", "created": 7, "model": "m",
                "choices": [{"index": 0, "finish_reason": "tool_calls", "logprobs": null,
                             "message": {"role": "assistant", "content": "hi", "refusal": null}}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3},
                "system_fingerprint": null
            })
        );
    }
}
