//! The Anthropic face's errors: the same `ApiError`s (one classification, one status
//! table), answered in Anthropic's `{"type":"error","error":{"type","message"}}` shape.

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use bedrock::TranslateError;

use crate::error::{ApiError, UpstreamError};

/// An `ApiError` raised on the Anthropic face.
#[derive(Debug)]
pub struct AnthropicError(pub ApiError);

impl From<ApiError> for AnthropicError {
    fn from(error: ApiError) -> Self {
        Self(error)
    }
}

impl From<TranslateError> for AnthropicError {
    fn from(error: TranslateError) -> Self {
        Self(error.into())
    }
}

impl From<UpstreamError> for AnthropicError {
    fn from(error: UpstreamError) -> Self {
        Self(error.into())
    }
}

impl AnthropicError {
    /// The Anthropic error body for this error.
    pub fn body(&self) -> anthropic::ErrorBody {
        let detail = self.detail();
        anthropic::ErrorBody::new(detail.kind, detail.message)
    }

    /// Type and message, as the `error` object and the `error` stream event carry them.
    pub fn detail(&self) -> anthropic::ErrorDetail {
        error_detail(&self.0)
    }
}

/// Type and message of a gateway error in this face's terms.
pub fn error_detail(error: &ApiError) -> anthropic::ErrorDetail {
    let kind = anthropic::error_type_for_status(error.status().as_u16());
    anthropic::ErrorDetail { kind, message: message(error) }
}

/// Anthropic prefixes validation messages with the field's path (`max_tokens: ...`).
fn message(error: &ApiError) -> String {
    let openai = error.body().error;
    match (error, openai.param.map(anthropic_path)) {
        (ApiError::Unauthorized, _) => "invalid x-api-key".to_owned(),
        (_, Some(param)) if !openai.message.starts_with(&param) => format!("{param}: {}", openai.message),
        _ => openai.message,
    }
}

/// Paths named by the shared chat rules, in this face's terms: chat message indexes do not
/// match Anthropic's (system and tool results are messages there), so only the field is named.
fn anthropic_path(param: String) -> String {
    if param.starts_with("messages[") {
        return "messages".to_owned();
    }
    match param.as_str() {
        "max_completion_tokens" => "max_tokens".to_owned(),
        "stop" => "stop_sequences".to_owned(),
        _ => param,
    }
}

impl IntoResponse for AnthropicError {
    /// The shared response (status, Retry-After, the access log's record) with an Anthropic body.
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self.body()).unwrap_or_default();
        let mut response = self.0.into_response();
        *response.body_mut() = Body::from(body);
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bedrock::{classify_upstream, UpstreamErrorKind};

    fn json(error: ApiError) -> (u16, serde_json::Value) {
        let response = AnthropicError(error).into_response();
        let status = response.status().as_u16();
        let body = futures::executor::block_on(axum::body::to_bytes(response.into_body(), 1 << 16)).unwrap();
        (status, serde_json::from_slice(&body).unwrap())
    }

    #[test]
    fn statuses_and_types_follow_anthropic() {
        let throttled = ApiError::Upstream(UpstreamError {
            class: classify_upstream(UpstreamErrorKind::Service, Some("ThrottlingException")),
            message: "slow down".into(),
        });
        let cases = [
            (ApiError::Unauthorized, 401, "authentication_error", "invalid x-api-key"),
            (ApiError::ModelNotFound { model: "m".into() }, 404, "not_found_error", ""),
            (
                TranslateError::new("Field required", "max_tokens").into(),
                400,
                "invalid_request_error",
                "max_tokens: Field required",
            ),
            (throttled, 429, "rate_limit_error", "slow down"),
            (ApiError::Internal("secret".into()), 500, "api_error", ""),
            (
                TranslateError::new("no images", "messages[2].content[1]").into(),
                400,
                "invalid_request_error",
                "messages: no images",
            ),
            (
                TranslateError::new("too few", "max_completion_tokens").into(),
                400,
                "invalid_request_error",
                "max_tokens: too few",
            ),
        ];
        for (error, status, kind, message) in cases {
            let (got, body) = json(error);
            assert_eq!(got, status);
            assert_eq!(body["type"], "error");
            assert_eq!(body["error"]["type"], kind);
            assert!(body["error"]["message"].as_str().unwrap().starts_with(message), "{body}");
            assert!(!body["error"]["message"].as_str().unwrap().contains("secret"));
        }
    }
}
