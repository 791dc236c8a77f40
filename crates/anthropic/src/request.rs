//! `POST /v1/messages` and `POST /v1/messages/count_tokens` request bodies.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// A Messages request. `max_tokens` is required by Anthropic for `/messages` (checked by the
/// translation, so the error names it like Anthropic does) and absent from `count_tokens`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct MessagesRequest {
    #[serde(default)]
    pub model: Option<String>,
    pub messages: Vec<InputMessage>,
    #[serde(default)]
    pub max_tokens: Option<u32>,
    #[serde(default)]
    pub system: Option<SystemPrompt>,
    #[serde(default)]
    pub stop_sequences: Option<Vec<String>>,
    #[serde(default, deserialize_with = "null_as_false")]
    pub stream: bool,
    #[serde(default)]
    pub temperature: Option<f32>,
    #[serde(default)]
    pub top_p: Option<f32>,
    #[serde(default)]
    pub top_k: Option<u32>,
    #[serde(default)]
    pub tools: Option<Vec<ToolDefinition>>,
    #[serde(default)]
    pub tool_choice: Option<ToolChoice>,
    #[serde(default)]
    pub thinking: Option<Thinking>,
    /// `{"user_id": ...}`: accepted; Bedrock has no field for it.
    #[serde(default)]
    pub metadata: Option<Value>,
    /// Top-level automatic caching: a cache point at the end of the conversation.
    #[serde(default)]
    pub cache_control: Option<CacheControl>,
    /// `{"effort": "low" | "medium" | "high" | "max"}`, read with adaptive thinking.
    #[serde(default)]
    pub output_config: Option<OutputConfig>,
}

/// `output_config`; only `effort` has a Bedrock meaning (Claude's adaptive thinking).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct OutputConfig {
    #[serde(default)]
    pub effort: Option<String>,
}

fn null_as_false<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    Ok(Option::<bool>::deserialize(deserializer)?.unwrap_or(false))
}

/// `system`: a string or a list of text blocks.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum SystemPrompt {
    Text(String),
    Blocks(Vec<TextBlock>),
}

/// A `{"type":"text","text":...}` block of `system`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TextBlock {
    pub text: String,
    #[serde(default)]
    pub cache_control: Option<CacheControl>,
}

/// `{"type":"ephemeral","ttl":"5m"}`: marks the end of a cacheable prefix.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CacheControl {
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub ttl: Option<String>,
}

/// The author of a message. Recent clients (Claude Code) also send `system` messages
/// inside `messages`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Assistant,
    System,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct InputMessage {
    pub role: Role,
    pub content: MessageContent,
}

/// A message's `content`: a string or a list of blocks.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum MessageContent {
    Text(String),
    Blocks(Vec<ContentBlock>),
}

/// One content block of an input message.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentBlock {
    Text {
        text: String,
        #[serde(default)]
        cache_control: Option<CacheControl>,
    },
    Image {
        source: ImageSource,
        #[serde(default)]
        cache_control: Option<CacheControl>,
    },
    Document {
        source: DocumentSource,
        #[serde(default)]
        title: Option<String>,
        #[serde(default)]
        cache_control: Option<CacheControl>,
    },
    ToolUse {
        id: String,
        name: String,
        #[serde(default)]
        input: Value,
        #[serde(default)]
        cache_control: Option<CacheControl>,
    },
    ToolResult {
        tool_use_id: String,
        #[serde(default)]
        content: Option<ToolResultContent>,
        #[serde(default)]
        is_error: Option<bool>,
        #[serde(default)]
        cache_control: Option<CacheControl>,
    },
    Thinking {
        thinking: String,
        #[serde(default)]
        signature: Option<String>,
    },
    RedactedThinking {
        data: String,
    },
}

/// `source` of an image block.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ImageSource {
    Base64 { media_type: String, data: String },
    Url { url: String },
    File { file_id: String },
}

/// `source` of a document block.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DocumentSource {
    Base64 { media_type: String, data: String },
    Text { media_type: String, data: String },
    Content { content: MessageContent },
    Url { url: String },
    File { file_id: String },
}

/// `content` of a tool result: a string or blocks (text, image, document).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum ToolResultContent {
    Text(String),
    Blocks(Vec<ContentBlock>),
}

/// An entry of `tools`. Client tools have no `type` (or `"custom"`); Anthropic's server
/// tools (`bash_20250124`, `web_search_20250305`, …) carry a versioned type.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ToolDefinition {
    pub name: String,
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub input_schema: Option<Value>,
    #[serde(default)]
    pub cache_control: Option<CacheControl>,
}

/// `tool_choice`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToolChoice {
    Auto {
        #[serde(default)]
        disable_parallel_tool_use: Option<bool>,
    },
    Any {
        #[serde(default)]
        disable_parallel_tool_use: Option<bool>,
    },
    Tool {
        name: String,
        #[serde(default)]
        disable_parallel_tool_use: Option<bool>,
    },
    None,
}

/// `thinking`: extended thinking with a token budget, adaptive thinking, or off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Thinking {
    Enabled { budget_tokens: u32 },
    Adaptive,
    Disabled,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(value: Value) -> MessagesRequest {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn full_request_parses() {
        let req = parse(json!({
            "model": "claude", "max_tokens": 10, "stream": null, "top_k": 3, "metadata": {"user_id": "u"},
            "system": [{"type": "text", "text": "s", "cache_control": {"type": "ephemeral"}}],
            "thinking": {"type": "enabled", "budget_tokens": 2048},
            "tool_choice": {"type": "tool", "name": "f", "disable_parallel_tool_use": true},
            "tools": [{"name": "f", "input_schema": {"type": "object"}}],
            "messages": [
                {"role": "user", "content": [
                    {"type": "text", "text": "hi"},
                    {"type": "image", "source": {"type": "url", "url": "https://x/y.png"}},
                    {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "d"}, "title": "t"}]},
                {"role": "assistant", "content": [
                    {"type": "thinking", "thinking": "t", "signature": "s"},
                    {"type": "tool_use", "id": "1", "name": "f", "input": {"a": 1}}]},
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "1", "content": "ok", "is_error": true}]}
            ]
        }));
        assert!(!req.stream);
        assert_eq!(req.thinking, Some(Thinking::Enabled { budget_tokens: 2048 }));
        assert!(matches!(req.system, Some(SystemPrompt::Blocks(ref b)) if b[0].cache_control.is_some()));
        assert!(matches!(req.tool_choice, Some(ToolChoice::Tool { ref name, .. }) if name == "f"));
        assert_eq!(req.messages.len(), 3);
    }

    #[test]
    fn string_content_and_system() {
        let req = parse(json!({"system": "be brief", "messages": [{"role": "user", "content": "hi"}]}));
        assert_eq!(req.system, Some(SystemPrompt::Text("be brief".into())));
        assert_eq!(req.messages[0].content, MessageContent::Text("hi".into()));
        assert_eq!(req.max_tokens, None);
    }

    #[test]
    fn unknown_block_types_are_rejected() {
        let bad = json!({"messages": [{"role": "user", "content": [{"type": "hologram"}]}]});
        assert!(serde_json::from_value::<MessagesRequest>(bad).is_err());
    }
}
