//! Serde types for the Bedrock Runtime Converse JSON (camelCase, as botocore
//! and the Rust SDK send it). Independent of any other crate of the workspace.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Body of `POST /model/{modelId}/converse` and `.../converse-stream`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConverseRequest {
    #[serde(default)]
    pub messages: Vec<Message>,
    #[serde(default)]
    pub system: Vec<SystemBlock>,
    pub inference_config: Option<InferenceConfig>,
    pub tool_config: Option<ToolConfig>,
    pub guardrail_config: Option<Value>,
    pub additional_model_request_fields: Option<Value>,
    pub prompt_variables: Option<Value>,
    pub additional_model_response_field_paths: Option<Vec<String>>,
    pub request_metadata: Option<Map<String, Value>>,
    pub performance_config: Option<Value>,
    pub service_tier: Option<Value>,
    pub output_config: Option<Value>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Message {
    pub role: String,
    #[serde(default)]
    pub content: Vec<ContentBlock>,
}

/// A union: exactly one member is expected to be set.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContentBlock {
    pub text: Option<String>,
    pub image: Option<ImageBlock>,
    pub document: Option<DocumentBlock>,
    pub tool_use: Option<ToolUseBlock>,
    pub tool_result: Option<ToolResultBlock>,
    pub reasoning_content: Option<Value>,
    pub cache_point: Option<Value>,
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl ContentBlock {
    /// How many union members are set.
    pub fn member_count(&self) -> usize {
        let known = [
            self.text.is_some(),
            self.image.is_some(),
            self.document.is_some(),
            self.tool_use.is_some(),
            self.tool_result.is_some(),
            self.reasoning_content.is_some(),
            self.cache_point.is_some(),
        ];
        known.iter().filter(|set| **set).count() + self.other.len()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageBlock {
    pub format: String,
    pub source: ImageSource,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageSource {
    /// Base64 text, as JSON carries blobs.
    pub bytes: Option<String>,
    pub s3_location: Option<Value>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DocumentBlock {
    pub format: Option<String>,
    pub name: Option<String>,
    pub source: Option<Value>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolUseBlock {
    pub tool_use_id: String,
    pub name: String,
    #[serde(default)]
    pub input: Value,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolResultBlock {
    pub tool_use_id: String,
    #[serde(default)]
    pub content: Vec<Value>,
    pub status: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SystemBlock {
    pub text: Option<String>,
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InferenceConfig {
    pub max_tokens: Option<i64>,
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
    pub stop_sequences: Option<Vec<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolConfig {
    #[serde(default)]
    pub tools: Vec<Tool>,
    pub tool_choice: Option<ToolChoice>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tool {
    pub tool_spec: Option<ToolSpec>,
    pub cache_point: Option<Value>,
    pub system_tool: Option<Value>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolSpec {
    pub name: String,
    pub description: Option<String>,
    pub input_schema: InputSchema,
    pub strict: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct InputSchema {
    pub json: Option<Value>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ToolChoice {
    pub auto: Option<Value>,
    pub any: Option<Value>,
    pub tool: Option<SpecificTool>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SpecificTool {
    pub name: String,
}

/// `usage` of ConverseResponse and of the stream's `metadata` event.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub total_tokens: u64,
    pub cache_read_input_tokens: u64,
    pub cache_write_input_tokens: u64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Metrics {
    pub latency_ms: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct OutputMessage {
    pub role: &'static str,
    pub content: Vec<Value>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ConverseOutput {
    pub message: OutputMessage,
}

/// Body of a successful Converse response.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConverseResponse {
    pub output: ConverseOutput,
    pub stop_reason: String,
    pub usage: Usage,
    pub metrics: Metrics,
}
