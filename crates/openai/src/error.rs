//! The OpenAI error envelope: `{"error":{"message","type","param","code"}}`.

use serde::Serialize;

/// Top-level error body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// Error details; `param` and `code` are always present, null when unknown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorDetail {
    pub message: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub param: Option<String>,
    pub code: Option<&'static str>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nulls_are_explicit() {
        let body = ErrorBody {
            error: ErrorDetail { message: "m".into(), kind: "invalid_request_error", param: None, code: None },
        };
        assert_eq!(
            serde_json::to_string(&body).unwrap(),
            r#"{"error":{"message":"m","type":"invalid_request_error","param":null,"code":null}}"#
        );
    }
}
