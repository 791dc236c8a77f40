//! Streaming `chat.completion.chunk` objects.
//!
//! Borrowed `id`/`model` keep per-chunk serialisation allocation-free on those fields.

use serde::Serialize;

use crate::chat::ThinkingBlock;
use crate::response::{FinishReason, Usage};

/// One SSE chunk.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChatCompletionChunk<'a> {
    pub id: &'a str,
    pub object: &'static str,
    pub created: u64,
    pub model: &'a str,
    pub system_fingerprint: Option<&'a str>,
    pub choices: Vec<ChunkChoice>,
    /// OpenAI sends `"usage": null` on every chunk but the usage chunk when usage is requested.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<Option<Usage>>,
}

/// A chunk's choice.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChunkChoice {
    pub index: u32,
    pub delta: Delta,
    pub finish_reason: Option<FinishReason>,
    pub logprobs: Option<serde_json::Value>,
}

/// The incremental part of a message.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Delta {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning_content: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<ToolCallDelta>>,
    /// A completed, signed reasoning block (sent once its signature arrives).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thinking_blocks: Option<Vec<ThinkingBlock>>,
}

/// A fragment of a tool call; `id`, `type` and `name` come only in the first fragment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ToolCallDelta {
    pub index: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<&'static str>,
    pub function: FunctionCallDelta,
}

/// Function name (first fragment) and an arguments fragment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FunctionCallDelta {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub arguments: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn content_chunk_shape() {
        let chunk = ChatCompletionChunk {
            id: "c",
            object: "chat.completion.chunk",
            created: 1,
            model: "m",
            system_fingerprint: None,
            choices: vec![ChunkChoice {
                index: 0,
                delta: Delta { content: Some("x".into()), ..Delta::default() },
                finish_reason: None,
                logprobs: None,
            }],
            usage: Some(None),
        };
        assert_eq!(
            serde_json::to_value(&chunk).unwrap(),
            json!({"id":"c","object":"chat.completion.chunk","created":1,"model":"m",
                   "system_fingerprint":null,"usage":null,
                   "choices":[{"index":0,"delta":{"content":"x"},"finish_reason":null,"logprobs":null}]})
        );
    }
}
