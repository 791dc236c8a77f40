//! The four workloads, as sent to the gateway, and their direct-to-emulator twins (the
//! exact Converse / InvokeModel request the gateway made, read back from the emulator's
//! `/_emulator/requests`).

use bytes::Bytes;
use http::Method;
use serde_json::{json, Value};

use crate::http::{Call, Http};

pub const CHAT_MODEL: &str = "us.anthropic.claude-3-5-haiku-20241022-v1:0";
pub const EMBED_MODEL: &str = "cohere.embed-english-v3";
/// Any SigV4-shaped header: the emulator checks signatures only with --verify-sigv4.
const FAKE_SIGV4: &str = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261123/us-east-1/bedrock/aws4_request, \
SignedHeaders=content-type;host;x-amz-date, Signature=0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    /// Short non-streaming chat.
    Chat,
    /// Streaming chat, 300 words (about 100 content chunks).
    Stream,
    /// Streaming tool call.
    Tool,
    /// Embeddings, 8 inputs.
    Embed,
}

pub const ALL: [Workload; 4] = [Workload::Chat, Workload::Stream, Workload::Tool, Workload::Embed];

impl Workload {
    pub fn name(self) -> &'static str {
        match self {
            Self::Chat => "chat (non-stream, short)",
            Self::Stream => "stream (#words 300)",
            Self::Tool => "tool-call stream",
            Self::Embed => "embeddings (8 inputs)",
        }
    }

    pub fn is_stream(self) -> bool {
        matches!(self, Self::Stream | Self::Tool)
    }

    /// The OpenAI request body.
    pub fn gateway_body(self) -> Value {
        match self {
            Self::Chat => chat_body("Hello there! How are you today?", false),
            Self::Stream => chat_body("Tell me a long story about a river.\n#words 300", true),
            Self::Tool => {
                let mut body = chat_body("What is the weather in Paris?\n#tool get_weather {\"city\":\"Paris\"}", true);
                body["tools"] = json!([{"type": "function", "function": {
                    "name": "get_weather", "description": "Current weather for a city",
                    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]);
                body
            }
            Self::Embed => {
                let inputs: Vec<String> =
                    (1..=8).map(|i| format!("Document number {i} about rivers, bridges and the sea.")).collect();
                json!({"model": EMBED_MODEL, "input": inputs})
            }
        }
    }

    fn gateway_path(self) -> &'static str {
        match self {
            Self::Embed => "/v1/embeddings",
            _ => "/v1/chat/completions",
        }
    }

    pub fn gateway_call(self, gateway: &str, key: &str) -> Call {
        Call {
            method: Method::POST,
            url: format!("{gateway}{}", self.gateway_path()),
            auth: format!("Bearer {key}"),
            body: Some(Bytes::from(self.gateway_body().to_string())),
        }
    }

    /// The emulator operation a workload calls.
    pub fn operation(self) -> &'static str {
        match self {
            Self::Chat => "Converse",
            Self::Stream | Self::Tool => "ConverseStream",
            Self::Embed => "InvokeModel",
        }
    }
}

pub fn chat_body(text: &str, stream: bool) -> Value {
    json!({"model": CHAT_MODEL, "stream": stream, "messages": [{"role": "user", "content": text}]})
}

/// Sends `call` through the gateway once, then returns the `operation` request the gateway
/// made to the emulator for it, as a direct call (same path, same JSON body).
pub async fn direct_twin(http: &Http, call: &Call, operation: &str, emulator: &str) -> Result<Call, String> {
    http.send_ok(call).await?;
    let recent = http.send_ok(&get(&format!("{emulator}/_emulator/requests"))).await?;
    let records: Value = serde_json::from_slice(&recent.body).map_err(|e| e.to_string())?;
    let record = records
        .as_array()
        .and_then(|all| all.iter().rev().find(|r| r["operation"] == operation))
        .ok_or_else(|| format!("the emulator saw no {operation} request"))?;
    let path = record["path"].as_str().ok_or("record without path")?;
    let body = Bytes::from(record["body"].to_string());
    Ok(Call { method: Method::POST, url: format!("{emulator}{path}"), auth: FAKE_SIGV4.to_owned(), body: Some(body) })
}

pub fn get(url: &str) -> Call {
    Call { method: Method::GET, url: url.to_owned(), auth: String::new(), body: None }
}

/// A streaming chat with the given directives, through the gateway.
pub fn stream_call(gateway: &str, key: &str, text: &str) -> Call {
    Call {
        method: Method::POST,
        url: format!("{gateway}/v1/chat/completions"),
        auth: format!("Bearer {key}"),
        body: Some(Bytes::from(chat_body(text, true).to_string())),
    }
}
