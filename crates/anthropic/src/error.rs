//! `{"type":"error","error":{"type","message"}}`, the body of every Anthropic failure
//! (and of the `error` stream event).

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorBody {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorDetail {
    /// `invalid_request_error`, `authentication_error`, `permission_error`, `not_found_error`,
    /// `request_too_large`, `rate_limit_error`, `api_error` or `overloaded_error`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub message: String,
}

impl ErrorBody {
    pub fn new(kind: &'static str, message: String) -> Self {
        Self { kind: "error", error: ErrorDetail { kind, message } }
    }
}

/// Anthropic's error type for an HTTP status.
pub fn error_type_for_status(status: u16) -> &'static str {
    match status {
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        503 | 529 => "overloaded_error",
        400..=499 => "invalid_request_error",
        _ => "api_error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape_and_types() {
        let body = serde_json::to_value(ErrorBody::new("not_found_error", "m".into())).unwrap();
        assert_eq!(body, serde_json::json!({"type":"error","error":{"type":"not_found_error","message":"m"}}));
        let cases = [
            (400, "invalid_request_error"),
            (401, "authentication_error"),
            (403, "permission_error"),
            (404, "not_found_error"),
            (405, "invalid_request_error"),
            (413, "request_too_large"),
            (429, "rate_limit_error"),
            (500, "api_error"),
            (502, "api_error"),
            (503, "overloaded_error"),
        ];
        for (status, kind) in cases {
            assert_eq!(error_type_for_status(status), kind, "{status}");
        }
    }
}
