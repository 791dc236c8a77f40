//! Bedrock error kinds: HTTP status, `x-amzn-ErrorType`, JSON body and
//! event-stream exception frames.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::inspect::aws_response;

/// Every error the emulator can produce, named like the Smithy shapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    Validation,
    AccessDenied,
    ResourceNotFound,
    ModelTimeout,
    ModelError,
    ModelNotReady,
    Throttling,
    ServiceQuotaExceeded,
    InternalServer,
    ServiceUnavailable,
    ModelStreamError,
    MissingAuthenticationToken,
    UnrecognizedClient,
    InvalidSignature,
}

impl ErrorKind {
    /// The shape name botocore maps to `client.exceptions.<name>`.
    pub fn type_name(self) -> &'static str {
        match self {
            Self::Validation => "ValidationException",
            Self::AccessDenied => "AccessDeniedException",
            Self::ResourceNotFound => "ResourceNotFoundException",
            Self::ModelTimeout => "ModelTimeoutException",
            Self::ModelError => "ModelErrorException",
            Self::ModelNotReady => "ModelNotReadyException",
            Self::Throttling => "ThrottlingException",
            Self::ServiceQuotaExceeded => "ServiceQuotaExceededException",
            Self::InternalServer => "InternalServerException",
            Self::ServiceUnavailable => "ServiceUnavailableException",
            Self::ModelStreamError => "ModelStreamErrorException",
            Self::MissingAuthenticationToken => "MissingAuthenticationTokenException",
            Self::UnrecognizedClient => "UnrecognizedClientException",
            Self::InvalidSignature => "InvalidSignatureException",
        }
    }

    /// HTTP status from the `error` trait of the service model.
    pub fn status(self) -> StatusCode {
        match self {
            Self::Validation | Self::ServiceQuotaExceeded => StatusCode::BAD_REQUEST,
            Self::AccessDenied
            | Self::MissingAuthenticationToken
            | Self::UnrecognizedClient
            | Self::InvalidSignature => StatusCode::FORBIDDEN,
            Self::ResourceNotFound => StatusCode::NOT_FOUND,
            Self::ModelTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::ModelError | Self::ModelStreamError => StatusCode::FAILED_DEPENDENCY,
            Self::ModelNotReady | Self::Throttling => StatusCode::TOO_MANY_REQUESTS,
            Self::InternalServer => StatusCode::INTERNAL_SERVER_ERROR,
            Self::ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The member name of `ConverseStreamOutput` used as `:exception-type`.
    pub fn stream_member(self) -> &'static str {
        match self {
            Self::Throttling => "throttlingException",
            Self::Validation => "validationException",
            Self::ServiceUnavailable => "serviceUnavailableException",
            Self::ModelStreamError => "modelStreamErrorException",
            _ => "internalServerException",
        }
    }

    /// Parses the KIND of an `#error KIND` / `#stream-error KIND` directive.
    pub fn from_directive(kind: &str) -> Option<Self> {
        Some(match kind.trim().to_ascii_lowercase().as_str() {
            "validation" => Self::Validation,
            "access-denied" | "access_denied" | "accessdenied" => Self::AccessDenied,
            "not-found" | "resource-not-found" | "notfound" => Self::ResourceNotFound,
            "model-timeout" | "timeout" => Self::ModelTimeout,
            "model-error" => Self::ModelError,
            "model-not-ready" | "not-ready" => Self::ModelNotReady,
            "throttling" | "throttle" => Self::Throttling,
            "quota" | "service-quota" | "service-quota-exceeded" => Self::ServiceQuotaExceeded,
            "internal" | "internal-server" => Self::InternalServer,
            "unavailable" | "service-unavailable" => Self::ServiceUnavailable,
            "model-stream-error" | "stream" => Self::ModelStreamError,
            _ => return None,
        })
    }

    /// The message real Bedrock sends for a scripted error of this kind.
    pub fn default_message(self) -> &'static str {
        match self {
            Self::Validation => "The request failed validation (scripted by #error).",
            Self::AccessDenied => "You don't have access to the model with the specified model ID.",
            Self::ResourceNotFound => "The requested resource could not be found.",
            Self::ModelTimeout => "Model has timed out in processing the request. Try your request again.",
            Self::ModelError => "The model returned an error (scripted by #error).",
            Self::ModelNotReady => "Model is not ready for inference. Wait and try your request again.",
            Self::Throttling => "Too many requests, please wait before trying again.",
            Self::ServiceQuotaExceeded => "Your request exceeds the service quota for your account.",
            Self::InternalServer => "The system encountered an unexpected error during processing. Try your request again.",
            Self::ServiceUnavailable => "Bedrock is unable to process your request.",
            Self::ModelStreamError => "The model stream was interrupted (scripted by #stream-error).",
            Self::MissingAuthenticationToken => "Missing Authentication Token",
            Self::UnrecognizedClient => "The security token included in the request is invalid.",
            Self::InvalidSignature => "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
        }
    }
}

/// An error response: kind plus message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind:?}: {message}")]
pub struct ApiError {
    pub kind: ErrorKind,
    pub message: String,
}

impl ApiError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self { kind, message: message.into() }
    }

    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Validation, message)
    }

    pub fn scripted(kind: ErrorKind) -> Self {
        Self::new(kind, kind.default_message())
    }

    /// The JSON body `{"message": ...}`.
    pub fn body(&self) -> Vec<u8> {
        serde_json::json!({ "message": self.message }).to_string().into_bytes()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let error_type = format!("{}:http://internal.amazon.com/coral/com.amazon.bedrock/", self.kind.type_name());
        let body = axum::body::Body::from(self.body());
        let mut response = aws_response(self.kind.status(), "application/json", body);
        if let Ok(value) = HeaderValue::from_str(&error_type) {
            response.headers_mut().insert("x-amzn-errortype", value);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_the_service_model() {
        assert_eq!(ErrorKind::ServiceQuotaExceeded.status(), StatusCode::BAD_REQUEST);
        assert_eq!(ErrorKind::ModelNotReady.status().as_u16(), 429);
        assert_eq!(ErrorKind::ModelError.status().as_u16(), 424);
        assert_eq!(ErrorKind::ModelTimeout.status().as_u16(), 408);
    }

    #[test]
    fn directive_kinds_parse() {
        assert_eq!(ErrorKind::from_directive("throttling"), Some(ErrorKind::Throttling));
        assert_eq!(ErrorKind::from_directive("quota"), Some(ErrorKind::ServiceQuotaExceeded));
        assert_eq!(ErrorKind::from_directive("nonsense"), None);
    }

    #[test]
    fn response_carries_error_type_header() {
        let response = ApiError::validation("bad").into_response();
        assert_eq!(response.status().as_u16(), 400);
        let header = response.headers().get("x-amzn-errortype").map(|v| v.to_str().ok());
        assert!(matches!(header, Some(Some(v)) if v.starts_with("ValidationException:")));
    }
}
