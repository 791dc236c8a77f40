//! One module per endpoint.

pub mod anthropic;
pub mod chat;
pub mod completions;
pub mod embeddings;
pub mod health;
pub mod images;
pub mod models;
pub mod responses;

use axum::body::Body;

use crate::error::ApiError;

/// Reads a request body up to `limit` bytes; larger bodies get 413 in the OpenAI shape.
pub async fn read_body(body: Body, limit: usize) -> Result<bytes::Bytes, ApiError> {
    axum::body::to_bytes(body, limit).await.map_err(|error| {
        let too_large = std::error::Error::source(&error).is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
        if too_large {
            ApiError::PayloadTooLarge { limit }
        } else {
            ApiError::BadBody(openai::ParseError { message: "the request body could not be read".into(), param: None })
        }
    })
}

/// Reads a request body within the size limit; logs its content only when DEBUG is on.
pub async fn read_request(
    state: &crate::state::AppState,
    request: axum::extract::Request,
    what: &'static str,
) -> Result<bytes::Bytes, ApiError> {
    let body = read_body(request.into_body(), state.config.max_request_body_bytes).await?;
    if state.config.debug {
        tracing::info!(body = %String::from_utf8_lossy(&body), "{what} request");
    }
    Ok(body)
}

/// An InvokeModel answer we could not read; the detail is logged, not sent.
pub fn unreadable(detail: String) -> ApiError {
    tracing::warn!(%detail, "unreadable InvokeModel answer");
    ApiError::Upstream(crate::error::UpstreamError::unreadable_response())
}

/// Fallback for unknown routes.
pub async fn not_found() -> ApiError {
    ApiError::RouteNotFound
}

/// Fallback for known routes with the wrong method.
pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
