//! OpenAI API wire types.
//!
//! Requests are parsed leniently (unknown fields are ignored, as the OpenAI SDKs and
//! the Python reference expect); responses are produced exactly in OpenAI's shape.
//! This crate has no I/O and knows nothing about Bedrock.

pub mod chat;
pub mod chunk;
pub mod clip;
pub mod completions;
pub mod content;
pub mod embeddings;
pub mod error;
pub mod images;
pub mod models;
pub mod parse;
pub mod response;
pub mod responses;
pub mod tools;

pub use chat::{
    parse_chat_request, ChatCompletionRequest, ChatMessage, GuardrailConfig, JsonSchemaFormat, PassThrough,
    PromptCaching, ReasoningEffort, ReasoningFormat, ResponseFormat, Role, StopSequences, StreamOptions, ThinkingBlock,
};
pub use chunk::{ChatCompletionChunk, ChunkChoice, Delta, ToolCallDelta};
pub use clip::{clip, clip_to};
pub use completions::{Completion, CompletionChoice, CompletionRequest, Prompt};
pub use content::{ContentPart, FilePart, ImageUrl, MessageContent};
pub use embeddings::{
    Embedding, EmbeddingInput, EmbeddingList, EmbeddingRequest, EmbeddingUsage, EmbeddingVector, EncodingFormat,
};
pub use error::{ErrorBody, ErrorDetail};
pub use images::{Image, ImageExtras, ImageGenerationRequest, ImagesResponse};
pub use models::{Model, ModelList};
pub use parse::{parse_json, ParseError};
pub use response::{
    AssistantMessage, ChatCompletion, Choice, CompletionTokensDetails, FinishReason, PromptTokensDetails, Usage,
};
pub use tools::{FunctionCall, FunctionDefinition, Tool, ToolCall, ToolChoice};
