//! Anthropic Messages API wire types.
//!
//! Requests are parsed as the Anthropic SDKs send them (unknown top-level fields are
//! ignored; unknown content-block types are rejected with their path); responses and
//! stream events are produced exactly in Anthropic's shape. No I/O, no Bedrock.

pub mod error;
pub mod request;
pub mod response;
pub mod stream;

pub use error::{error_type_for_status, ErrorBody, ErrorDetail};
pub use request::{
    CacheControl, ContentBlock, DocumentSource, ImageSource, InputMessage, MessageContent, MessagesRequest,
    OutputConfig, Role, SystemPrompt, TextBlock, Thinking, ToolChoice, ToolDefinition, ToolResultContent,
};
pub use response::{CountTokensResponse, Message, ResponseBlock, StopReason, Usage};
pub use stream::{BlockDelta, MessageDeltaBody, StreamEvent};
