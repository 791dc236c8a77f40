//! `POST /chat/completions` request.

use serde::{Deserialize, Deserializer};

use crate::content::MessageContent;
use crate::parse::{parse_json, ParseError};
use crate::tools::{Tool, ToolCall, ToolChoice};

/// A chat completion request. Unknown fields are ignored, as OpenAI clients send many.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ChatCompletionRequest {
    #[serde(default)]
    pub model: Option<String>,
    pub messages: Vec<ChatMessage>,
    #[serde(default, deserialize_with = "null_as_false")]
    pub stream: bool,
    #[serde(default)]
    pub stream_options: Option<StreamOptions>,
    #[serde(default)]
    pub temperature: Option<f32>,
    #[serde(default)]
    pub top_p: Option<f32>,
    #[serde(default)]
    pub max_tokens: Option<u32>,
    #[serde(default)]
    pub max_completion_tokens: Option<u32>,
    #[serde(default)]
    pub stop: Option<StopSequences>,
    #[serde(default)]
    pub n: Option<u32>,
    #[serde(default)]
    pub tools: Option<Vec<Tool>>,
    #[serde(default)]
    pub tool_choice: Option<ToolChoice>,
    #[serde(default)]
    pub parallel_tool_calls: Option<bool>,
    #[serde(default)]
    pub reasoning_effort: Option<ReasoningEffort>,
    #[serde(default)]
    pub response_format: Option<ResponseFormat>,
    /// Accepted for compatibility; Bedrock returns no log probabilities (always `null`).
    #[serde(default)]
    pub logprobs: Option<bool>,
    #[serde(default)]
    pub user: Option<String>,
    /// Provider-specific fields; filled by [`parse_chat_request`], not by serde.
    #[serde(skip)]
    pub extra: PassThrough,
}

/// Fields beyond OpenAI's that clients send for Bedrock/Anthropic features. The OpenAI SDKs'
/// `extra_body=` merges keys into the top level; the Python reference read them from a literal
/// `extra_body` object. Both are accepted; the literal object wins on conflicts.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct PassThrough {
    /// Anthropic extended thinking, e.g. `{"type":"enabled","budget_tokens":2048}`.
    #[serde(default)]
    pub thinking: Option<serde_json::Value>,
    #[serde(default)]
    pub top_k: Option<u32>,
    #[serde(default)]
    pub anthropic_beta: Option<serde_json::Value>,
    #[serde(default, rename = "additionalModelRequestFields")]
    pub additional_model_request_fields: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(default)]
    pub prompt_caching: Option<PromptCaching>,
    #[serde(default, rename = "guardrailConfig")]
    pub guardrail_config: Option<GuardrailConfig>,
    /// `reasoning_content` (default) or `think_tags`.
    #[serde(default)]
    pub reasoning_format: Option<ReasoningFormat>,
    #[serde(default)]
    pub extra_body: Option<Box<PassThrough>>,
}

impl PassThrough {
    /// Top-level fields overlaid with those of a literal `extra_body` object.
    pub fn merged(mut self) -> Self {
        let Some(inner) = self.extra_body.take() else { return self };
        let inner = inner.merged();
        Self {
            thinking: inner.thinking.or(self.thinking),
            top_k: inner.top_k.or(self.top_k),
            anthropic_beta: inner.anthropic_beta.or(self.anthropic_beta),
            additional_model_request_fields: inner
                .additional_model_request_fields
                .or(self.additional_model_request_fields),
            prompt_caching: inner.prompt_caching.or(self.prompt_caching),
            guardrail_config: inner.guardrail_config.or(self.guardrail_config),
            reasoning_format: inner.reasoning_format.or(self.reasoning_format),
            extra_body: None,
        }
    }
}

/// Per-request prompt-cache switches (the reference's `prompt_caching`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub struct PromptCaching {
    #[serde(default)]
    pub system: Option<bool>,
    #[serde(default)]
    pub messages: Option<bool>,
}

/// A Bedrock guardrail to apply (Bedrock's own field names).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct GuardrailConfig {
    #[serde(rename = "guardrailIdentifier")]
    pub guardrail_identifier: String,
    #[serde(rename = "guardrailVersion")]
    pub guardrail_version: String,
    #[serde(default)]
    pub trace: Option<String>,
}

/// How reasoning text is returned.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasoningFormat {
    /// `reasoning_content` fields (DeepSeek/OpenRouter convention).
    #[default]
    ReasoningContent,
    /// Inline `<think>...</think>` in `content`.
    ThinkTags,
}

/// `response_format`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ResponseFormat {
    Text,
    JsonObject,
    JsonSchema { json_schema: JsonSchemaFormat },
}

/// The schema of a `json_schema` response format.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct JsonSchemaFormat {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub schema: Option<serde_json::Value>,
    #[serde(default)]
    pub strict: Option<bool>,
}

/// Parses a chat request, including the provider-specific fields at the top level and in a
/// literal `extra_body` (a second, cheap pass that skips everything else).
pub fn parse_chat_request(body: &[u8]) -> Result<ChatCompletionRequest, ParseError> {
    let mut request: ChatCompletionRequest = parse_json(body)?;
    request.extra = parse_json::<PassThrough>(body)?.merged();
    Ok(request)
}

fn null_as_false<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    Ok(Option::<bool>::deserialize(deserializer)?.unwrap_or(false))
}

/// `stream_options`; `include_usage` asks for a final usage chunk.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct StreamOptions {
    #[serde(default)]
    pub include_usage: Option<bool>,
}

/// `stop`: one string or a list of strings.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum StopSequences {
    One(String),
    Many(Vec<String>),
}

impl StopSequences {
    pub fn into_vec(self) -> Vec<String> {
        match self {
            Self::One(stop) => vec![stop],
            Self::Many(stops) => stops,
        }
    }
}

/// `reasoning_effort` values accepted by OpenAI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReasoningEffort {
    None,
    Minimal,
    Low,
    Medium,
    High,
}

/// One message of the conversation.
///
/// A flat struct rather than an enum tagged by `role`: serde buffers tagged enums, which
/// costs an extra pass and loses the path of a bad field (`messages[1].content`).
/// Which fields a role requires is checked by the translation, with the same paths.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ChatMessage {
    pub role: Role,
    #[serde(default)]
    pub content: Option<MessageContent>,
    #[serde(default)]
    pub name: Option<String>,
    /// Assistant messages: the calls it made.
    #[serde(default)]
    pub tool_calls: Option<Vec<ToolCall>>,
    /// Tool messages: the call this answers.
    #[serde(default)]
    pub tool_call_id: Option<String>,
    /// Assistant messages: reasoning we returned earlier (DeepSeek/OpenRouter convention).
    #[serde(default)]
    pub reasoning_content: Option<String>,
    /// Assistant messages: signed thinking blocks we returned earlier, sent back so Claude
    /// can continue a thinking + tool-use conversation.
    #[serde(default)]
    pub thinking_blocks: Option<Vec<ThinkingBlock>>,
}

impl ChatMessage {
    /// A message of `role` with nothing in it yet (translations from other faces fill it).
    pub fn new(role: Role) -> Self {
        Self {
            role,
            content: None,
            name: None,
            tool_calls: None,
            tool_call_id: None,
            reasoning_content: None,
            thinking_blocks: None,
        }
    }
}

/// A reasoning block with what Bedrock needs to accept it back (LiteLLM's convention).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ThinkingBlock {
    Thinking {
        thinking: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        signature: Option<String>,
    },
    RedactedThinking {
        /// Base64 of the opaque redacted content.
        data: String,
    },
}

/// The author of a message. `developer` is OpenAI's newer name for `system`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    #[serde(alias = "developer")]
    System,
    User,
    Assistant,
    Tool,
    /// Legacy function-result messages; rejected with a clear error by the translation.
    Function,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_json;

    #[test]
    fn minimal_request_with_unknown_fields() {
        let req: ChatCompletionRequest = parse_json(
            br#"{"model":"m","messages":[{"role":"user","content":"hi"}],"seed":1,"logit_bias":{},"stream":null}"#,
        )
        .unwrap();
        assert_eq!(req.model.as_deref(), Some("m"));
        assert!(!req.stream);
        assert_eq!(req.messages.len(), 1);
    }

    #[test]
    fn developer_is_system() {
        let msg: ChatMessage = serde_json::from_str(r#"{"role":"developer","content":"be brief"}"#).unwrap();
        assert_eq!(msg.role, Role::System);
    }

    #[test]
    fn assistant_with_null_content_and_tool_calls() {
        let msg: ChatMessage = serde_json::from_str(
            r#"{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]}"#,
        )
        .unwrap();
        assert_eq!(msg.role, Role::Assistant);
        assert!(msg.content.is_none());
        assert_eq!(msg.tool_calls.unwrap()[0].function.name, "f");
    }

    #[test]
    fn unknown_role_is_rejected_with_path() {
        let err = parse_json::<ChatCompletionRequest>(br#"{"messages":[{"role":"robot","content":"x"}]}"#).unwrap_err();
        assert_eq!(err.param.as_deref(), Some("messages[0].role"));
        assert!(!err.message.contains("robot"), "values are never echoed");
        assert!(err.message.contains("expected one of"));
    }

    #[test]
    fn pass_through_from_top_level_and_extra_body() {
        let req = parse_chat_request(
            br#"{"messages":[],"top_k":5,"thinking":{"type":"enabled"},"prompt_caching":{"system":true},
                 "extra_body":{"top_k":7,"guardrailConfig":{"guardrailIdentifier":"g","guardrailVersion":"1"}}}"#,
        )
        .unwrap();
        assert_eq!(req.extra.top_k, Some(7), "the literal extra_body wins");
        assert!(req.extra.thinking.is_some());
        assert_eq!(req.extra.prompt_caching.unwrap().system, Some(true));
        assert_eq!(req.extra.guardrail_config.unwrap().guardrail_identifier, "g");
        assert!(req.extra.extra_body.is_none());
    }

    #[test]
    fn pass_through_errors_have_paths() {
        let err = parse_chat_request(br#"{"messages":[],"extra_body":{"top_k":"many"}}"#).unwrap_err();
        assert_eq!(err.param.as_deref(), Some("extra_body.top_k"));
    }

    #[test]
    fn response_formats() {
        let req = parse_chat_request(
            br#"{"messages":[],"response_format":{"type":"json_schema","json_schema":{"name":"P","schema":{"type":"object"}}}}"#,
        )
        .unwrap();
        let Some(ResponseFormat::JsonSchema { json_schema }) = req.response_format else { panic!() };
        assert_eq!(json_schema.name, "P");
        let req = parse_chat_request(br#"{"messages":[],"response_format":{"type":"json_object"}}"#).unwrap();
        assert_eq!(req.response_format, Some(ResponseFormat::JsonObject));
    }

    #[test]
    fn thinking_blocks_on_assistant_messages() {
        let msg: ChatMessage = serde_json::from_str(
            r#"{"role":"assistant","content":"x","thinking_blocks":[{"type":"thinking","thinking":"t","signature":"s"},{"type":"redacted_thinking","data":"AAA="}]}"#,
        )
        .unwrap();
        assert_eq!(msg.thinking_blocks.unwrap().len(), 2);
    }

    #[test]
    fn stop_forms() {
        let one: StopSequences = serde_json::from_str(r#""x""#).unwrap();
        assert_eq!(one.into_vec(), vec!["x"]);
        let many: StopSequences = serde_json::from_str(r#"["a","b"]"#).unwrap();
        assert_eq!(many.into_vec(), vec!["a", "b"]);
    }

    #[test]
    fn reasoning_effort_values() {
        for (text, effort) in [("\"minimal\"", ReasoningEffort::Minimal), ("\"high\"", ReasoningEffort::High)] {
            assert_eq!(serde_json::from_str::<ReasoningEffort>(text).unwrap(), effort);
        }
        assert!(serde_json::from_str::<ReasoningEffort>("\"extreme\"").is_err());
    }
}
