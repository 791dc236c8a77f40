//! Bedrock error codes → HTTP status and OpenAI error type, in one table.
//!
//! Used for errors before a response starts (HTTP status) and inside a stream (error event).

/// How a Bedrock failure is reported to an OpenAI client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpstreamClass {
    pub status: u16,
    pub openai_type: &'static str,
    pub code: &'static str,
    /// Whether the client may retry later (sets `Retry-After`).
    pub retryable: bool,
}

/// The broad kinds of upstream failure that do not come with an AWS error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpstreamErrorKind {
    /// A service error with an AWS error code (e.g. `ThrottlingException`).
    Service,
    /// The request timed out (SDK operation or attempt timeout).
    Timeout,
    /// Could not connect or the connection broke.
    Dispatch,
    /// Bedrock answered something the SDK could not parse.
    Response,
}

const fn class(status: u16, openai_type: &'static str, code: &'static str, retryable: bool) -> UpstreamClass {
    UpstreamClass { status, openai_type, code, retryable }
}

/// Status and type for an upstream failure. `code` is the AWS error code when there is one.
pub fn classify_upstream(kind: UpstreamErrorKind, code: Option<&str>) -> UpstreamClass {
    match kind {
        UpstreamErrorKind::Timeout => class(504, "api_error", "upstream_timeout", true),
        UpstreamErrorKind::Dispatch => class(502, "api_error", "upstream_unreachable", true),
        UpstreamErrorKind::Response => class(502, "api_error", "upstream_bad_response", true),
        UpstreamErrorKind::Service => classify_code(code.unwrap_or("")),
    }
}

/// Whether a validation failure says the input does not fit the model's context window
/// ("Input is too long for requested model.", Claude's "prompt is too long: …", and
/// the "maximum context length" wording of other providers).
pub fn is_context_overflow(gateway_code: &str, message: &str) -> bool {
    if gateway_code != "validation_error" {
        return false;
    }
    let message = message.to_ascii_lowercase();
    ["too long", "context length", "context window", "too many input tokens"].iter().any(|m| message.contains(m))
}

fn classify_code(code: &str) -> UpstreamClass {
    // Error codes arrive as `ThrottlingException` (HTTP) or `throttlingException` (event stream).
    let code = code.strip_suffix("Exception").unwrap_or(code);
    match code.to_ascii_lowercase().as_str() {
        "validation" => class(400, "invalid_request_error", "validation_error", false),
        "accessdenied" | "unrecognizedclient" | "invalidsignature" | "expiredtoken" | "missingauthenticationtoken" => {
            class(403, "permission_error", "access_denied", false)
        }
        "resourcenotfound" => class(404, "not_found_error", "model_not_found", false),
        "throttling" | "toomanyrequests" => class(429, "rate_limit_error", "rate_limit_exceeded", true),
        "servicequotaexceeded" => class(429, "rate_limit_error", "quota_exceeded", true),
        "modelnotready" => class(503, "api_error", "model_not_ready", true),
        "serviceunavailable" => class(503, "api_error", "service_unavailable", true),
        "modeltimeout" => class(504, "api_error", "model_timeout", true),
        "modelerror" | "modelstreamerror" => class(502, "api_error", "model_error", false),
        "internalserver" => class(502, "api_error", "upstream_internal_error", true),
        _ => class(502, "api_error", "upstream_error", false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bedrock_code_has_a_row() {
        let cases = [
            ("ValidationException", 400, "invalid_request_error"),
            ("validationException", 400, "invalid_request_error"),
            ("AccessDeniedException", 403, "permission_error"),
            ("UnrecognizedClientException", 403, "permission_error"),
            ("ResourceNotFoundException", 404, "not_found_error"),
            ("ThrottlingException", 429, "rate_limit_error"),
            ("throttlingException", 429, "rate_limit_error"),
            ("ServiceQuotaExceededException", 429, "rate_limit_error"),
            ("ModelNotReadyException", 503, "api_error"),
            ("ServiceUnavailableException", 503, "api_error"),
            ("ModelTimeoutException", 504, "api_error"),
            ("ModelErrorException", 502, "api_error"),
            ("modelStreamErrorException", 502, "api_error"),
            ("InternalServerException", 502, "api_error"),
            ("SomethingNew", 502, "api_error"),
        ];
        for (code, status, kind) in cases {
            let c = classify_upstream(UpstreamErrorKind::Service, Some(code));
            assert_eq!((c.status, c.openai_type), (status, kind), "{code}");
        }
    }

    #[test]
    fn transport_failures() {
        assert_eq!(classify_upstream(UpstreamErrorKind::Timeout, None).status, 504);
        assert_eq!(classify_upstream(UpstreamErrorKind::Dispatch, None).status, 502);
        assert_eq!(classify_upstream(UpstreamErrorKind::Response, None).status, 502);
        assert!(classify_upstream(UpstreamErrorKind::Service, Some("ThrottlingException")).retryable);
    }

    #[test]
    fn context_overflow_is_recognised_in_validation_errors_only() {
        assert!(is_context_overflow(
            "validation_error",
            "Bedrock ValidationException: Input is too long for requested model."
        ));
        assert!(is_context_overflow("validation_error", "prompt is too long: 250000 tokens > 200000 maximum"));
        assert!(!is_context_overflow("validation_error", "messages: field required"));
        assert!(!is_context_overflow("rate_limit_exceeded", "Input is too long"));
    }
}
