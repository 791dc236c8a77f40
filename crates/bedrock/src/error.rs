//! Translation failures: the client sent something Bedrock cannot be given.

/// A request that cannot be translated; always the client's fault (HTTP 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct TranslateError {
    /// What is wrong, without echoing request content.
    pub message: String,
    /// JSON path of the offending field, e.g. `messages[2].tool_calls[0].function.arguments`.
    pub param: Option<String>,
}

impl TranslateError {
    pub fn new(message: impl Into<String>, param: impl Into<String>) -> Self {
        // Paths can hold client-chosen keys: keep them short.
        Self { message: message.into(), param: Some(openai::clip(&param.into()).into_owned()) }
    }

    pub fn without_param(message: impl Into<String>) -> Self {
        Self { message: message.into(), param: None }
    }
}

/// SDK builders only fail when a required field is unset, which our code always sets;
/// report it as the request that could not be built rather than panicking.
impl From<aws_smithy_types::error::operation::BuildError> for TranslateError {
    fn from(err: aws_smithy_types::error::operation::BuildError) -> Self {
        Self::without_param(format!("request could not be built: {err}"))
    }
}
