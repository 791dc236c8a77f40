//! `POST /chat/completions` request.

use serde::{Deserialize, Deserializer};

use crate::content::MessageContent;
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
    pub user: Option<String>,
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
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
        assert!(err.message.contains("robot"));
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
