//! The Anthropic Messages face: Messages requests → the chat face's request (so the
//! capability table, content, tool, reasoning and caching rules apply unchanged) → Converse
//! parts; Converse answers and streams → Anthropic messages and events.

pub mod request;
pub mod response;
pub mod stream;

pub use request::{messages_plan, translate_messages_plan, MessagesPlan};
pub use response::{message_from_converse, stop_reason, usage, MessageMeta};
pub use stream::MessagesStreamTranslator;
