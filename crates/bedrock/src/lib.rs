//! Pure translation between OpenAI chat shapes and Amazon Bedrock Converse shapes.
//!
//! No runtime, no network, no `async`: everything here is a function of its inputs,
//! which is what lets it be unit-tested exhaustively. The gateway copies the result
//! onto the SDK's `converse()` / `converse_stream()` builders.

pub mod additional_fields;
pub mod anthropic;
pub mod caching;
pub mod capabilities;
pub mod completions;
pub mod content;
pub mod document;
pub mod embeddings;
pub mod error;
pub mod images;
pub mod inference;
pub mod messages;
pub mod model_id;
pub mod model_params;
pub mod reasoning;
pub mod request;
pub mod response;
pub mod responses;
pub mod stop_reason;
pub mod stream;
pub mod structured;
#[cfg(test)]
mod test_events;
pub mod tools;
pub mod upstream_error;
pub mod usage;

pub use capabilities::Capabilities;
pub use error::TranslateError;
pub use request::{translate_chat_request, ChatTranslation, ConverseParts, Guardrail, TranslateOptions};
pub use response::{chat_completion_from_converse, ConverseResult};
pub use stream::{StreamOptions, StreamTranslator};
pub use upstream_error::{classify_upstream, UpstreamClass, UpstreamErrorKind};
