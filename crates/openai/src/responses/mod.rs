//! The Responses API (`POST /responses`): request, response object and stream events.

pub mod events;
pub mod object;
pub mod request;

pub use events::StreamEvent;
pub use object::{
    IncompleteDetails, InputTokensDetails, OutputItem, OutputTokensDetails, ResponseError, ResponseObject,
    ResponseStatus, ResponseUsage,
};
pub use request::{
    parse_responses_request, FunctionCallOutput, InputItem, InputPart, ItemContent, ReasoningConfig, ResponsesInput,
    ResponsesRequest, ResponsesTool, ResponsesToolChoice, TextConfig, TextFormat, TextOrList,
};
