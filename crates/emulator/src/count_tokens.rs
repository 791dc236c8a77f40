//! CountTokens (`POST /model/{modelId}/count-tokens`). As on real Bedrock it serves
//! Anthropic Claude models addressed by their bare foundation-model id (or its ARN):
//! inference-profile ids and other providers' models are a ValidationException.

use axum::body::{Body, Bytes as BodyBytes};
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::catalog::{self, Family, Model};
use crate::errors::ApiError;
use crate::inspect::aws_response;
use crate::wire::{ConverseRequest, Message, SystemBlock, ToolConfig};
use crate::{plan, profiles, validate};

/// Real Bedrock's answer for models (and profile ids) it cannot count for.
pub const UNSUPPORTED: &str = "The provided model doesn't support counting tokens.";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CountTokensRequest {
    input: CountTokensInput,
}

/// A union: exactly one of `converse` / `invokeModel`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CountTokensInput {
    converse: Option<ConverseTokens>,
    invoke_model: Option<InvokeModelTokens>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ConverseTokens {
    #[serde(default)]
    messages: Vec<Message>,
    #[serde(default)]
    system: Vec<SystemBlock>,
    tool_config: Option<ToolConfig>,
    additional_model_request_fields: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct InvokeModelTokens {
    body: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct CountTokensResponse {
    input_tokens: u64,
}

/// `POST /model/{modelId}/count-tokens`
pub async fn count_tokens(Path(model_id): Path<String>, body: BodyBytes) -> Response {
    match count(&model_id, &body) {
        Ok(input_tokens) => {
            let body = serde_json::to_vec(&CountTokensResponse { input_tokens }).unwrap_or_default();
            aws_response(StatusCode::OK, "application/json", Body::from(body))
        }
        Err(error) => error.into_response(),
    }
}

fn count(model_id: &str, body: &[u8]) -> Result<u64, ApiError> {
    let model = countable_model(model_id)?;
    let request: CountTokensRequest = serde_json::from_slice(body).map_err(|e| {
        ApiError::validation(format!("Malformed input request: {e}, please reformat your input and try again."))
    })?;
    match (request.input.converse, request.input.invoke_model) {
        (Some(converse), None) => converse_tokens(converse, model),
        (None, Some(invoke)) => invoke_tokens(&invoke.body),
        _ => Err(ApiError::validation("input must contain exactly one of converse or invokeModel.")),
    }
}

/// The Claude model behind a bare foundation id or foundation-model ARN.
pub fn countable_model(model_id: &str) -> Result<&'static Model, ApiError> {
    let bare = model_id.rsplit_once(":foundation-model/").map_or(model_id, |(_, id)| id);
    let Some(model) = catalog::model(bare) else {
        // Profiles exist but cannot be counted for; unknown ids are 404 as elsewhere.
        profiles::resolve(model_id)?;
        return Err(ApiError::validation(UNSUPPORTED));
    };
    if model.family != Family::Chat || model.provider != "Anthropic" {
        return Err(ApiError::validation(UNSUPPORTED));
    }
    Ok(model)
}

fn converse_tokens(input: ConverseTokens, model: &Model) -> Result<u64, ApiError> {
    let request = ConverseRequest {
        messages: input.messages,
        system: input.system,
        tool_config: input.tool_config,
        additional_model_request_fields: input.additional_model_request_fields,
        ..ConverseRequest::default()
    };
    validate::converse(&request, model, false)?;
    Ok(plan::input_tokens(&request))
}

/// An InvokeModel body (base64 of Anthropic's JSON): the words of every string in it.
fn invoke_tokens(body: &str) -> Result<u64, ApiError> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(body)
        .map_err(|_| ApiError::validation("input.invokeModel.body must be base64-encoded."))?;
    let json: Value = serde_json::from_slice(&bytes)
        .map_err(|_| ApiError::validation("input.invokeModel.body is not valid JSON for this model."))?;
    let messages = json.get("messages").cloned().unwrap_or(Value::Object(Map::new()));
    let system = json.get("system").cloned().unwrap_or(Value::Null);
    Ok((string_words(&messages) + string_words(&system)).max(1))
}

fn string_words(value: &Value) -> u64 {
    match value {
        Value::String(text) => text.split_whitespace().count() as u64,
        Value::Array(items) => items.iter().map(string_words).sum(),
        Value::Object(map) => {
            map.iter().filter(|(k, _)| !matches!(k.as_str(), "type" | "role")).map(|(_, v)| string_words(v)).sum()
        }
        _ => 0,
    }
}

#[cfg(test)]
#[path = "count_tokens_tests.rs"]
mod tests;
