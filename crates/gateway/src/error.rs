//! Every failure a client can see, and the one place they become HTTP responses.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bedrock::{TranslateError, UpstreamClass};
use openai::{ErrorBody, ErrorDetail, ParseError};

/// A request that failed, classified by who is at fault.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The body is not valid JSON or not the expected shape.
    #[error("invalid request body: {}", .0.message)]
    BadBody(ParseError),
    /// The request is well-formed but cannot be served as asked.
    #[error("invalid request: {0}")]
    Translate(#[from] TranslateError),
    #[error("missing or invalid API key")]
    Unauthorized,
    #[error("unknown model")]
    ModelNotFound { model: String },
    #[error("no such route")]
    RouteNotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("request body larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    /// Bedrock (or the way to it) failed.
    #[error("upstream error: {0}")]
    Upstream(#[from] UpstreamError),
    /// A stored Responses API response that does not exist for this key.
    #[error("stored response not found")]
    ResponseNotFound { id: String, why: Option<String> },
    /// A bug or an unexpected state of ours; details are logged, never sent.
    #[error("internal error: {0}")]
    Internal(String),
    /// MAX_CONCURRENT_REQUESTS requests are already in flight.
    #[error("too many concurrent requests")]
    Overloaded,
}

/// A Bedrock failure, already classified.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct UpstreamError {
    pub class: UpstreamClass,
    /// Safe to show: Bedrock's own message (it never echoes prompt content) or ours.
    pub message: String,
}

/// What a client is told when Bedrock's answer could not be read (details go to the log).
pub const UNREADABLE_RESPONSE: &str = "Amazon Bedrock sent a response the gateway could not read";

impl UpstreamError {
    /// Bedrock answered, but not in a shape the gateway can read.
    pub fn unreadable_response() -> Self {
        Self {
            class: bedrock::classify_upstream(bedrock::UpstreamErrorKind::Response, None),
            message: UNREADABLE_RESPONSE.to_owned(),
        }
    }
}

/// Seconds a client should wait before retrying a throttled or unavailable request.
const RETRY_AFTER_SECONDS: &str = "1";

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadBody(_) | Self::Translate(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::ModelNotFound { .. } | Self::RouteNotFound | Self::ResponseNotFound { .. } => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Upstream(e) => StatusCode::from_u16(e.class.status).unwrap_or(StatusCode::BAD_GATEWAY),
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Overloaded => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The OpenAI error envelope for this error.
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                message: self.message(),
                kind: self.openai_type(),
                param: self.param(),
                code: self.code(),
            },
        }
    }

    fn openai_type(&self) -> &'static str {
        match self {
            Self::Upstream(e) => e.class.openai_type,
            Self::Internal(_) | Self::Overloaded => "api_error",
            Self::BadBody(_)
            | Self::Translate(_)
            | Self::Unauthorized
            | Self::ModelNotFound { .. }
            | Self::ResponseNotFound { .. }
            | Self::RouteNotFound
            | Self::MethodNotAllowed
            | Self::PayloadTooLarge { .. } => "invalid_request_error",
        }
    }

    fn code(&self) -> Option<&'static str> {
        match self {
            Self::BadBody(_) | Self::Translate(_) | Self::Internal(_) | Self::ResponseNotFound { .. } => None,
            Self::Unauthorized => Some("invalid_api_key"),
            Self::ModelNotFound { .. } => Some("model_not_found"),
            Self::RouteNotFound => Some("unknown_url"),
            Self::MethodNotAllowed => Some("method_not_allowed"),
            Self::PayloadTooLarge { .. } => Some("request_too_large"),
            Self::Upstream(e) => Some(e.class.code),
            Self::Overloaded => Some("server_overloaded"),
        }
    }

    fn param(&self) -> Option<String> {
        match self {
            Self::BadBody(e) => e.param.clone(),
            Self::Translate(e) => e.param.clone(),
            Self::ModelNotFound { .. } => Some("model".to_owned()),
            _ => None,
        }
    }

    fn message(&self) -> String {
        match self {
            Self::BadBody(e) => e.message.clone(),
            Self::Translate(e) => e.message.clone(),
            Self::Unauthorized => "Incorrect or missing API key. Send it as `Authorization: Bearer <key>`.".to_owned(),
            Self::ModelNotFound { model } => {
                format!("The model `{}` does not exist or you do not have access to it.", openai::clip(model))
            }
            Self::RouteNotFound => "Unknown request URL.".to_owned(),
            Self::ResponseNotFound { id, why } => match why {
                Some(why) => format!("Response with id '{id}' not found: {why}."),
                None => format!("Response with id '{id}' not found."),
            },
            Self::MethodNotAllowed => "Method not allowed for this URL.".to_owned(),
            Self::PayloadTooLarge { limit } => format!("The request body is larger than the limit of {limit} bytes."),
            Self::Upstream(e) => e.message.clone(),
            Self::Internal(_) => "The server had an error while processing your request.".to_owned(),
            Self::Overloaded => "The server is handling as many requests as it can; retry shortly.".to_owned(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let mut response = (status, axum::Json(self.body())).into_response();
        let headers = response.headers_mut();
        match &self {
            Self::Unauthorized => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            Self::Upstream(e)
                if e.class.retryable
                    && (status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::SERVICE_UNAVAILABLE) =>
            {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static(RETRY_AFTER_SECONDS));
            }
            Self::Overloaded => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static(RETRY_AFTER_SECONDS));
            }
            _ => {}
        }
        // Kept for the logging middleware, which logs each failure once.
        response.extensions_mut().insert(LoggedError(self.to_string()));
        response
    }
}

/// What the access log records about a failed request (never request content).
#[derive(Debug, Clone)]
pub struct LoggedError(pub String);

#[cfg(test)]
mod tests {
    use super::*;
    use bedrock::{classify_upstream, UpstreamErrorKind};

    fn upstream(code: &str) -> ApiError {
        ApiError::Upstream(UpstreamError {
            class: classify_upstream(UpstreamErrorKind::Service, Some(code)),
            message: "m".into(),
        })
    }

    #[test]
    fn every_variant_has_status_and_type() {
        let cases: Vec<(ApiError, u16, &str)> = vec![
            (
                ApiError::BadBody(ParseError { message: "m".into(), param: Some("messages".into()) }),
                400,
                "invalid_request_error",
            ),
            (ApiError::Translate(TranslateError::new("m", "n")), 400, "invalid_request_error"),
            (ApiError::Unauthorized, 401, "invalid_request_error"),
            (ApiError::ModelNotFound { model: "x".into() }, 404, "invalid_request_error"),
            (ApiError::RouteNotFound, 404, "invalid_request_error"),
            (ApiError::MethodNotAllowed, 405, "invalid_request_error"),
            (ApiError::PayloadTooLarge { limit: 1 }, 413, "invalid_request_error"),
            (upstream("ThrottlingException"), 429, "rate_limit_error"),
            (upstream("AccessDeniedException"), 403, "permission_error"),
            (ApiError::Internal("secret detail".into()), 500, "api_error"),
            (ApiError::Overloaded, 503, "api_error"),
        ];
        for (error, status, kind) in cases {
            assert_eq!(error.status().as_u16(), status, "{error:?}");
            assert_eq!(error.body().error.kind, kind, "{error:?}");
        }
    }

    #[test]
    fn internal_details_are_not_sent() {
        let body = ApiError::Internal("secret detail".into()).body();
        assert!(!body.error.message.contains("secret"));
    }

    #[test]
    fn throttling_sets_retry_after_and_401_sets_www_authenticate() {
        let response = upstream("ThrottlingException").into_response();
        assert_eq!(response.headers()[header::RETRY_AFTER], RETRY_AFTER_SECONDS);
        let response = ApiError::Unauthorized.into_response();
        assert_eq!(response.headers()[header::WWW_AUTHENTICATE], "Bearer");
        let response = upstream("ValidationException").into_response();
        assert!(response.headers().get(header::RETRY_AFTER).is_none());
        let response = ApiError::Overloaded.into_response();
        assert_eq!(response.headers()[header::RETRY_AFTER], RETRY_AFTER_SECONDS);
    }

    #[test]
    fn a_long_model_name_is_cut_in_the_404() {
        let model = "m".repeat(100_000);
        let message = ApiError::ModelNotFound { model }.body().error.message;
        assert!(message.len() < 400, "{} bytes", message.len());
        assert!(message.contains(&format!("{}…`", "m".repeat(openai::clip::MAX_ECHOED_CHARS))));
    }

    #[test]
    fn a_long_param_path_is_cut() {
        let body = ApiError::Translate(TranslateError::new("bad", "k".repeat(5000))).body();
        assert!(body.error.param.is_some_and(|p| p.ends_with('…') && p.chars().count() <= 201));
    }

    #[test]
    fn param_carries_the_path() {
        let body = ApiError::Translate(TranslateError::new("bad", "messages[1].content")).body();
        assert_eq!(body.error.param.as_deref(), Some("messages[1].content"));
    }
}
