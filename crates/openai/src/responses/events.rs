//! Typed stream events of `POST /responses` with `stream: true`.
//!
//! Each is sent as `event: <type>` + `data: <json>`; `sequence_number` orders them.

use serde::Serialize;

use super::object::{OutputContent, OutputItem, ResponseObject};

/// One streamed event; `sequence_number` is added by the writer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type")]
pub enum StreamEvent<'a> {
    #[serde(rename = "response.created")]
    Created { response: &'a ResponseObject },
    #[serde(rename = "response.in_progress")]
    InProgress { response: &'a ResponseObject },
    #[serde(rename = "response.completed")]
    Completed { response: &'a ResponseObject },
    #[serde(rename = "response.incomplete")]
    Incomplete { response: &'a ResponseObject },
    #[serde(rename = "response.failed")]
    Failed { response: &'a ResponseObject },
    #[serde(rename = "response.output_item.added")]
    OutputItemAdded { output_index: usize, item: &'a OutputItem },
    #[serde(rename = "response.output_item.done")]
    OutputItemDone { output_index: usize, item: &'a OutputItem },
    #[serde(rename = "response.content_part.added")]
    ContentPartAdded { item_id: &'a str, output_index: usize, content_index: usize, part: &'a OutputContent },
    #[serde(rename = "response.content_part.done")]
    ContentPartDone { item_id: &'a str, output_index: usize, content_index: usize, part: &'a OutputContent },
    #[serde(rename = "response.output_text.delta")]
    OutputTextDelta { item_id: &'a str, output_index: usize, content_index: usize, delta: &'a str, logprobs: [(); 0] },
    #[serde(rename = "response.output_text.done")]
    OutputTextDone { item_id: &'a str, output_index: usize, content_index: usize, text: &'a str, logprobs: [(); 0] },
    #[serde(rename = "response.function_call_arguments.delta")]
    FunctionCallArgumentsDelta { item_id: &'a str, output_index: usize, delta: &'a str },
    #[serde(rename = "response.function_call_arguments.done")]
    FunctionCallArgumentsDone { item_id: &'a str, output_index: usize, name: &'a str, arguments: &'a str },
    #[serde(rename = "response.reasoning_text.delta")]
    ReasoningTextDelta { item_id: &'a str, output_index: usize, content_index: usize, delta: &'a str },
    #[serde(rename = "response.reasoning_text.done")]
    ReasoningTextDone { item_id: &'a str, output_index: usize, content_index: usize, text: &'a str },
    #[serde(rename = "response.reasoning_summary_part.added")]
    ReasoningSummaryPartAdded { item_id: &'a str, output_index: usize, summary_index: usize, part: &'a OutputContent },
    #[serde(rename = "response.reasoning_summary_part.done")]
    ReasoningSummaryPartDone { item_id: &'a str, output_index: usize, summary_index: usize, part: &'a OutputContent },
    #[serde(rename = "response.reasoning_summary_text.delta")]
    ReasoningSummaryTextDelta { item_id: &'a str, output_index: usize, summary_index: usize, delta: &'a str },
    #[serde(rename = "response.reasoning_summary_text.done")]
    ReasoningSummaryTextDone { item_id: &'a str, output_index: usize, summary_index: usize, text: &'a str },
    /// A failure mid-stream (followed by `response.failed`).
    #[serde(rename = "error")]
    Error { code: &'a str, message: &'a str, param: Option<&'a str> },
}

impl StreamEvent<'_> {
    /// The SSE `event:` name (the `type` field).
    pub fn name(&self) -> &'static str {
        match self {
            Self::Created { .. } => "response.created",
            Self::InProgress { .. } => "response.in_progress",
            Self::Completed { .. } => "response.completed",
            Self::Incomplete { .. } => "response.incomplete",
            Self::Failed { .. } => "response.failed",
            Self::OutputItemAdded { .. } => "response.output_item.added",
            Self::OutputItemDone { .. } => "response.output_item.done",
            Self::ContentPartAdded { .. } => "response.content_part.added",
            Self::ContentPartDone { .. } => "response.content_part.done",
            Self::OutputTextDelta { .. } => "response.output_text.delta",
            Self::OutputTextDone { .. } => "response.output_text.done",
            Self::FunctionCallArgumentsDelta { .. } => "response.function_call_arguments.delta",
            Self::FunctionCallArgumentsDone { .. } => "response.function_call_arguments.done",
            Self::ReasoningTextDelta { .. } => "response.reasoning_text.delta",
            Self::ReasoningTextDone { .. } => "response.reasoning_text.done",
            Self::ReasoningSummaryPartAdded { .. } => "response.reasoning_summary_part.added",
            Self::ReasoningSummaryPartDone { .. } => "response.reasoning_summary_part.done",
            Self::ReasoningSummaryTextDelta { .. } => "response.reasoning_summary_text.delta",
            Self::ReasoningSummaryTextDone { .. } => "response.reasoning_summary_text.done",
            Self::Error { .. } => "error",
        }
    }
}

/// An event with its position in the stream.
#[derive(Debug, Serialize)]
pub struct Sequenced<'a> {
    #[serde(flatten)]
    pub event: StreamEvent<'a>,
    pub sequence_number: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn delta_shape() {
        let event = Sequenced {
            event: StreamEvent::OutputTextDelta {
                item_id: "msg_1",
                output_index: 0,
                content_index: 0,
                delta: "hi",
                logprobs: [],
            },
            sequence_number: 4,
        };
        assert_eq!(
            serde_json::to_value(&event).unwrap(),
            json!({"type":"response.output_text.delta","item_id":"msg_1","output_index":0,"content_index":0,
                   "delta":"hi","logprobs":[],"sequence_number":4})
        );
        assert_eq!(event.event.name(), "response.output_text.delta");
    }
}
