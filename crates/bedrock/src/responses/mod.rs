//! The Responses API face over the same core as chat.
//!
//! The request side converts Responses items into the chat request types, so every chat
//! rule (capabilities, content, tools, reasoning, caching, structured output) applies
//! unchanged; the response side builds output items and typed events from Converse.

pub mod request;
pub mod sealed;
pub mod stream;

pub use request::{responses_to_chat, translate_converted, ChatConversion};
pub use stream::{ResponsesStream, ResponsesStreamOptions, StreamedResponse};
