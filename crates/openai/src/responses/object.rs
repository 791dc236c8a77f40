//! The `response` object and its output items, exactly in OpenAI's shape.

use serde::Serialize;

use super::request::{ResponsesRequest, TextConfig, TextFormat};

/// A `response` object (returned, streamed inside events, and stored).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResponseObject {
    pub id: String,
    pub object: &'static str,
    pub created_at: u64,
    pub status: ResponseStatus,
    pub error: Option<ResponseError>,
    pub incomplete_details: Option<IncompleteDetails>,
    pub instructions: Option<String>,
    pub max_output_tokens: Option<u32>,
    pub model: String,
    pub output: Vec<OutputItem>,
    pub parallel_tool_calls: bool,
    pub previous_response_id: Option<String>,
    pub reasoning: serde_json::Value,
    pub store: bool,
    pub temperature: Option<f32>,
    pub text: serde_json::Value,
    pub tool_choice: serde_json::Value,
    pub tools: serde_json::Value,
    pub top_p: Option<f32>,
    pub truncation: &'static str,
    pub usage: Option<ResponseUsage>,
    pub user: Option<String>,
    pub metadata: serde_json::Value,
}

impl ResponseObject {
    /// A response being generated, echoing the request's settings as OpenAI does.
    pub fn in_progress(request: &ResponsesRequest, id: String, created_at: u64, model: String) -> Self {
        let json = |value: serde_json::Result<serde_json::Value>| value.unwrap_or(serde_json::Value::Null);
        let text = request
            .text
            .clone()
            .filter(|t| t.format.is_some())
            .unwrap_or(TextConfig { format: Some(TextFormat::Text) });
        Self {
            id,
            object: "response",
            created_at,
            status: ResponseStatus::InProgress,
            error: None,
            incomplete_details: None,
            instructions: request.instructions.clone(),
            max_output_tokens: request.max_output_tokens,
            model,
            output: Vec::new(),
            parallel_tool_calls: request.parallel_tool_calls.unwrap_or(true),
            previous_response_id: request.previous_response_id.clone(),
            reasoning: json(serde_json::to_value(request.reasoning.clone().unwrap_or_default())),
            store: request.stored(),
            temperature: request.temperature,
            text: json(serde_json::to_value(text)),
            tool_choice: request.tool_choice.as_ref().map_or_else(|| "auto".into(), |c| c.to_value()),
            tools: json(serde_json::to_value(request.tools.clone().unwrap_or_default())),
            top_p: request.top_p,
            truncation: "disabled",
            usage: None,
            user: request.user.clone(),
            metadata: serde_json::Value::Object(request.metadata.clone().unwrap_or_default()),
        }
    }
}

/// Where a response is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseStatus {
    InProgress,
    Completed,
    Incomplete,
    Failed,
}

/// Why a failed response failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResponseError {
    pub code: String,
    pub message: String,
}

/// Why a response is incomplete: `max_output_tokens` or `content_filter`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IncompleteDetails {
    pub reason: &'static str,
}

/// One output item.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OutputItem {
    Message {
        id: String,
        status: &'static str,
        role: &'static str,
        content: Vec<OutputContent>,
    },
    FunctionCall {
        id: String,
        call_id: String,
        name: String,
        arguments: String,
        status: &'static str,
        /// The `namespace` tool group the function was offered in.
        #[serde(skip_serializing_if = "Option::is_none")]
        namespace: Option<String>,
    },
    Reasoning {
        id: String,
        summary: Vec<OutputContent>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        content: Vec<OutputContent>,
        encrypted_content: Option<String>,
        status: &'static str,
    },
}

impl OutputItem {
    pub fn id(&self) -> &str {
        match self {
            Self::Message { id, .. } | Self::FunctionCall { id, .. } | Self::Reasoning { id, .. } => id,
        }
    }
}

/// A content part of an output item.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OutputContent {
    OutputText { text: String, annotations: Vec<serde_json::Value>, logprobs: Vec<serde_json::Value> },
    SummaryText { text: String },
    ReasoningText { text: String },
}

impl OutputContent {
    pub fn output_text(text: String) -> Self {
        Self::OutputText { text, annotations: Vec::new(), logprobs: Vec::new() }
    }
}

/// Token accounting in the Responses shape.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ResponseUsage {
    pub input_tokens: u64,
    pub input_tokens_details: InputTokensDetails,
    pub output_tokens: u64,
    pub output_tokens_details: OutputTokensDetails,
    pub total_tokens: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct InputTokensDetails {
    pub cached_tokens: u64,
}

/// `reasoning_tokens` is an estimate: Bedrock does not count reasoning apart.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OutputTokensDetails {
    pub reasoning_tokens: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn items_serialise_in_openai_shape() {
        let message = OutputItem::Message {
            id: "msg_1".into(),
            status: "completed",
            role: "assistant",
            content: vec![OutputContent::output_text("hi".into())],
        };
        assert_eq!(
            serde_json::to_value(&message).unwrap(),
            json!({"type":"message","id":"msg_1","status":"completed","role":"assistant",
                   "content":[{"type":"output_text","text":"hi","annotations":[],"logprobs":[]}]})
        );
        let reasoning = OutputItem::Reasoning {
            id: "rs_1".into(),
            summary: vec![],
            content: vec![],
            encrypted_content: None,
            status: "completed",
        };
        assert_eq!(
            serde_json::to_value(&reasoning).unwrap(),
            json!({"type":"reasoning","id":"rs_1","summary":[],"encrypted_content":null,"status":"completed"})
        );
    }
}
