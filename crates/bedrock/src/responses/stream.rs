//! Converse (streamed or not) → a Responses `response` and its typed events.
//!
//! One state machine serves both: a stream feeds it Bedrock events as they arrive, a
//! non-streamed answer is replayed block by block with `emit` off. At most one output
//! item is open at a time; it is closed (its `.done` events written) when another starts.

use aws_sdk_bedrockruntime::types::{
    ContentBlock, ContentBlockDelta, ContentBlockStart, ConverseStreamOutput, ReasoningContentBlock,
    ReasoningContentBlockDelta, StopReason, TokenUsage,
};
use base64::Engine as _;
use openai::responses::events::Sequenced;
use openai::responses::object::OutputContent;
use openai::responses::{
    IncompleteDetails, InputItem, InputPart, InputTokensDetails, OutputItem, OutputTokensDetails, ResponseError,
    ResponseObject, ResponseStatus, ResponseUsage, StreamEvent, TextOrList,
};
use openai::ThinkingBlock;

use super::sealed::seal;
use crate::document::to_value;
use crate::response::{ConverseResult, TEXT_BLOCK_SEPARATOR};
use crate::usage::usage_from_bedrock;

/// How the answer is shaped.
#[derive(Debug, Clone, Default)]
pub struct ResponsesStreamOptions {
    /// The tool standing for `text.format`: its input is the answer text.
    pub structured_tool: Option<String>,
    /// `include: ["reasoning.encrypted_content"]`.
    pub include_encrypted: bool,
    /// `reasoning.summary` asked: reasoning is also sent as a summary.
    pub summary: bool,
    /// Write SSE events (off when only the final response is wanted).
    pub emit: bool,
    /// Function name → its `namespace` group (echoed on function calls).
    pub namespaces: Vec<(String, String)>,
}

/// The finished response, and its output as input items (reasoning always sealed) for
/// continuing the conversation with `previous_response_id`.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamedResponse {
    pub response: ResponseObject,
    pub output_items: Vec<InputItem>,
}

/// Bedrock counts no reasoning tokens apart; a token is about four characters of text.
const CHARS_PER_TOKEN: u64 = 4;

#[derive(Debug)]
enum Open {
    Message { index: usize, id: String, text: String, block: i32 },
    Call { index: usize, id: String, call_id: String, name: String, arguments: String, block: i32 },
    Reasoning { index: usize, id: String, text: String, pending: String, blocks: Vec<ThinkingBlock> },
}

/// Numbers events and writes them as SSE frames.
#[derive(Debug)]
struct Writer {
    sequence: u64,
    emit: bool,
}

impl Writer {
    fn write(&mut self, event: StreamEvent<'_>, out: &mut Vec<u8>) {
        if !self.emit {
            return;
        }
        let start = out.len();
        out.extend_from_slice(b"event: ");
        out.extend_from_slice(event.name().as_bytes());
        out.extend_from_slice(b"\ndata: ");
        let sequenced = Sequenced { event, sequence_number: self.sequence };
        if serde_json::to_writer(&mut *out, &sequenced).is_err() {
            out.truncate(start);
            return;
        }
        out.extend_from_slice(b"\n\n");
        self.sequence += 1;
    }
}

/// The Responses state machine of one answer.
#[derive(Debug)]
pub struct ResponsesStream {
    response: ResponseObject,
    output_items: Vec<InputItem>,
    options: ResponsesStreamOptions,
    writer: Writer,
    started: bool,
    finished: bool,
    open: Option<Open>,
    structured_block: Option<i32>,
    stop: Option<StopReason>,
    usage: Option<TokenUsage>,
    reasoning_chars: u64,
    next_item: usize,
}

impl ResponsesStream {
    /// `response` is the in-progress skeleton (see `ResponseObject::in_progress`).
    pub fn new(response: ResponseObject, options: ResponsesStreamOptions) -> Self {
        let writer = Writer { sequence: 0, emit: options.emit };
        Self {
            response,
            output_items: Vec::new(),
            options,
            writer,
            started: false,
            finished: false,
            open: None,
            structured_block: None,
            stop: None,
            usage: None,
            reasoning_chars: 0,
            next_item: 0,
        }
    }

    /// Translates one Bedrock stream event.
    pub fn on_event(&mut self, event: &ConverseStreamOutput, out: &mut Vec<u8>) {
        self.ensure_started(out);
        match event {
            ConverseStreamOutput::ContentBlockStart(start) => {
                if let Some(ContentBlockStart::ToolUse(tool)) = start.start() {
                    self.tool_start(start.content_block_index(), tool.tool_use_id(), tool.name(), out);
                }
            }
            ConverseStreamOutput::ContentBlockDelta(delta) => {
                if let Some(d) = delta.delta() {
                    self.on_delta(delta.content_block_index(), d, out);
                }
            }
            ConverseStreamOutput::ContentBlockStop(stop) => self.block_stop(stop.content_block_index(), out),
            ConverseStreamOutput::MessageStop(stop) => {
                self.stop = Some(stop.stop_reason().clone());
                self.close(out);
            }
            ConverseStreamOutput::Metadata(meta) => self.usage = meta.usage().cloned(),
            _ => {}
        }
    }

    fn on_delta(&mut self, block: i32, delta: &ContentBlockDelta, out: &mut Vec<u8>) {
        match delta {
            ContentBlockDelta::Text(text) => self.text(block, text, out),
            ContentBlockDelta::ToolUse(tool) => self.tool_delta(block, tool.input(), out),
            ContentBlockDelta::ReasoningContent(ReasoningContentBlockDelta::Text(text)) => self.reasoning(text, out),
            ContentBlockDelta::ReasoningContent(ReasoningContentBlockDelta::Signature(signature)) => {
                self.signature(signature);
            }
            ContentBlockDelta::ReasoningContent(ReasoningContentBlockDelta::RedactedContent(data)) => {
                self.redacted(data.as_ref(), out);
            }
            _ => {}
        }
    }

    /// Plays a complete (non-streamed) Converse answer through the same states.
    pub fn replay(&mut self, result: &ConverseResult, out: &mut Vec<u8>) {
        self.ensure_started(out);
        let blocks = result.message.as_ref().map_or(&[][..], |m| m.content());
        for (index, block) in (0i32..).zip(blocks) {
            self.replay_block(index, block, out);
        }
        self.stop = Some(result.stop_reason.clone());
        self.usage.clone_from(&result.usage);
        self.on_end(out);
    }

    fn replay_block(&mut self, index: i32, block: &ContentBlock, out: &mut Vec<u8>) {
        match block {
            ContentBlock::Text(text) => self.text(index, text, out),
            ContentBlock::ReasoningContent(ReasoningContentBlock::ReasoningText(reasoning)) => {
                self.reasoning(reasoning.text(), out);
                if let Some(signature) = reasoning.signature() {
                    self.signature(signature);
                }
            }
            ContentBlock::ReasoningContent(ReasoningContentBlock::RedactedContent(data)) => {
                self.redacted(data.as_ref(), out);
            }
            ContentBlock::ToolUse(tool) => {
                self.tool_start(index, tool.tool_use_id(), tool.name(), out);
                self.tool_delta(index, &to_value(tool.input()).to_string(), out);
                self.block_stop(index, out);
            }
            _ => {}
        }
    }

    /// The stream ended normally: the last item closes and the response completes (or is
    /// incomplete, on max tokens or a content filter).
    pub fn on_end(&mut self, out: &mut Vec<u8>) {
        self.ensure_started(out);
        self.close(out);
        self.finished = true;
        self.response.usage = Some(self.usage());
        let incomplete = self.stop.as_ref().and_then(incomplete_reason);
        self.response.status =
            if incomplete.is_some() { ResponseStatus::Incomplete } else { ResponseStatus::Completed };
        self.response.incomplete_details = incomplete.map(|reason| IncompleteDetails { reason });
        let event = match incomplete {
            Some(_) => StreamEvent::Incomplete { response: &self.response },
            None => StreamEvent::Completed { response: &self.response },
        };
        self.writer.write(event, out);
    }

    /// The stream failed: an `error` event, then `response.failed`.
    pub fn on_error(&mut self, code: &str, message: &str, out: &mut Vec<u8>) {
        self.ensure_started(out);
        self.writer.write(StreamEvent::Error { code, message, param: None }, out);
        self.response.status = ResponseStatus::Failed;
        self.response.error = Some(ResponseError { code: code.to_owned(), message: message.to_owned() });
        self.writer.write(StreamEvent::Failed { response: &self.response }, out);
    }

    /// The response once `on_end` ran (`None` for a failed or unfinished stream).
    pub fn finished(&self) -> Option<StreamedResponse> {
        self.finished
            .then(|| StreamedResponse { response: self.response.clone(), output_items: self.output_items.clone() })
    }

    fn ensure_started(&mut self, out: &mut Vec<u8>) {
        if !self.started {
            self.started = true;
            self.writer.write(StreamEvent::Created { response: &self.response }, out);
            self.writer.write(StreamEvent::InProgress { response: &self.response }, out);
        }
    }

    fn item_id(&mut self, prefix: &str) -> String {
        self.next_item += 1;
        let base = self.response.id.strip_prefix("resp_").unwrap_or(&self.response.id);
        format!("{prefix}_{base}{:03}", self.next_item)
    }

    fn text(&mut self, block: i32, text: &str, out: &mut Vec<u8>) {
        match &mut self.open {
            Some(Open::Message { block: open_block, .. }) if *open_block != block => {
                *open_block = block;
                self.message_delta(TEXT_BLOCK_SEPARATOR, out);
            }
            Some(Open::Message { .. }) => {}
            _ => self.open_message(block, out),
        }
        self.message_delta(text, out);
    }

    fn open_message(&mut self, block: i32, out: &mut Vec<u8>) {
        self.close(out);
        let (index, id) = (self.response.output.len(), self.item_id("msg"));
        let item =
            OutputItem::Message { id: id.clone(), status: "in_progress", role: "assistant", content: Vec::new() };
        self.writer.write(StreamEvent::OutputItemAdded { output_index: index, item: &item }, out);
        let part = OutputContent::output_text(String::new());
        let added = StreamEvent::ContentPartAdded { item_id: &id, output_index: index, content_index: 0, part: &part };
        self.writer.write(added, out);
        self.open = Some(Open::Message { index, id, text: String::new(), block });
    }

    fn message_delta(&mut self, delta: &str, out: &mut Vec<u8>) {
        let Some(Open::Message { index, id, text, .. }) = &mut self.open else { return };
        text.push_str(delta);
        let event =
            StreamEvent::OutputTextDelta { item_id: id, output_index: *index, content_index: 0, delta, logprobs: [] };
        self.writer.write(event, out);
    }

    fn tool_start(&mut self, block: i32, call_id: &str, name: &str, out: &mut Vec<u8>) {
        if self.options.structured_tool.as_deref() == Some(name) {
            self.structured_block = Some(block);
            return self.open_message(block, out);
        }
        self.close(out);
        let (index, id) = (self.response.output.len(), self.item_id("fc"));
        let item = OutputItem::FunctionCall {
            id: id.clone(),
            call_id: call_id.to_owned(),
            name: name.to_owned(),
            arguments: String::new(),
            status: "in_progress",
            namespace: self.namespace_of(name),
        };
        self.writer.write(StreamEvent::OutputItemAdded { output_index: index, item: &item }, out);
        let (call_id, name, arguments) = (call_id.to_owned(), name.to_owned(), String::new());
        self.open = Some(Open::Call { index, id, call_id, name, arguments, block });
    }

    fn namespace_of(&self, name: &str) -> Option<String> {
        self.options.namespaces.iter().find(|(function, _)| function == name).map(|(_, namespace)| namespace.clone())
    }

    fn tool_delta(&mut self, block: i32, delta: &str, out: &mut Vec<u8>) {
        if self.structured_block == Some(block) {
            return self.message_delta(delta, out);
        }
        let Some(Open::Call { index, id, arguments, block: open_block, .. }) = &mut self.open else { return };
        if *open_block == block {
            arguments.push_str(delta);
            let event = StreamEvent::FunctionCallArgumentsDelta { item_id: id, output_index: *index, delta };
            self.writer.write(event, out);
        }
    }

    fn block_stop(&mut self, block: i32, out: &mut Vec<u8>) {
        if matches!(&self.open, Some(Open::Call { block: open, .. }) if *open == block) {
            self.close(out);
        }
    }

    fn ensure_reasoning(&mut self, out: &mut Vec<u8>) {
        if matches!(self.open, Some(Open::Reasoning { .. })) {
            return;
        }
        self.close(out);
        let (index, id) = (self.response.output.len(), self.item_id("rs"));
        let item = OutputItem::Reasoning {
            id: id.clone(),
            summary: Vec::new(),
            content: Vec::new(),
            encrypted_content: None,
            status: "in_progress",
        };
        self.writer.write(StreamEvent::OutputItemAdded { output_index: index, item: &item }, out);
        if self.options.summary {
            let part = OutputContent::SummaryText { text: String::new() };
            let event = StreamEvent::ReasoningSummaryPartAdded {
                item_id: &id,
                output_index: index,
                summary_index: 0,
                part: &part,
            };
            self.writer.write(event, out);
        }
        self.open =
            Some(Open::Reasoning { index, id, text: String::new(), pending: String::new(), blocks: Vec::new() });
    }

    fn reasoning(&mut self, delta: &str, out: &mut Vec<u8>) {
        self.ensure_reasoning(out);
        let Some(Open::Reasoning { index, id, text, pending, .. }) = &mut self.open else { return };
        text.push_str(delta);
        pending.push_str(delta);
        let (item_id, output_index) = (id.as_str(), *index);
        let event = StreamEvent::ReasoningTextDelta { item_id, output_index, content_index: 0, delta };
        self.writer.write(event, out);
        if self.options.summary {
            let event = StreamEvent::ReasoningSummaryTextDelta { item_id, output_index, summary_index: 0, delta };
            self.writer.write(event, out);
        }
    }

    fn signature(&mut self, signature: &str) {
        if let Some(Open::Reasoning { pending, blocks, .. }) = &mut self.open {
            let thinking = std::mem::take(pending);
            blocks.push(ThinkingBlock::Thinking { thinking, signature: Some(signature.to_owned()) });
        }
    }

    fn redacted(&mut self, data: &[u8], out: &mut Vec<u8>) {
        self.ensure_reasoning(out);
        if let Some(Open::Reasoning { blocks, .. }) = &mut self.open {
            let data = base64::engine::general_purpose::STANDARD.encode(data);
            blocks.push(ThinkingBlock::RedactedThinking { data });
        }
    }

    /// Writes the `.done` events of the open item and adds it to the output.
    fn close(&mut self, out: &mut Vec<u8>) {
        let (item, history) = match self.open.take() {
            None => return,
            Some(Open::Message { index, id, text, .. }) => self.close_message(index, id, text, out),
            Some(Open::Call { index, id, call_id, name, arguments, .. }) => {
                self.close_call(index, id, call_id, name, arguments, out)
            }
            Some(Open::Reasoning { index, id, text, blocks, .. }) => {
                self.close_reasoning(index, id, text, &blocks, out)
            }
        };
        let output_index = self.response.output.len();
        self.writer.write(StreamEvent::OutputItemDone { output_index, item: &item }, out);
        self.response.output.push(item);
        self.output_items.push(history);
    }

    fn close_message(&mut self, index: usize, id: String, text: String, out: &mut Vec<u8>) -> (OutputItem, InputItem) {
        let done = StreamEvent::OutputTextDone {
            item_id: &id,
            output_index: index,
            content_index: 0,
            text: &text,
            logprobs: [],
        };
        self.writer.write(done, out);
        let history = InputItem {
            kind: Some("message".to_owned()),
            id: Some(id.clone()),
            role: Some("assistant".to_owned()),
            content: Some(TextOrList::List(vec![InputPart::OutputText { text: text.clone() }])),
            ..InputItem::default()
        };
        let part = OutputContent::output_text(text);
        let done = StreamEvent::ContentPartDone { item_id: &id, output_index: index, content_index: 0, part: &part };
        self.writer.write(done, out);
        (OutputItem::Message { id, status: "completed", role: "assistant", content: vec![part] }, history)
    }

    fn close_call(
        &mut self,
        index: usize,
        id: String,
        call_id: String,
        name: String,
        mut arguments: String,
        out: &mut Vec<u8>,
    ) -> (OutputItem, InputItem) {
        if arguments.trim().is_empty() {
            arguments = "{}".to_owned();
        }
        let done = StreamEvent::FunctionCallArgumentsDone {
            item_id: &id,
            output_index: index,
            name: &name,
            arguments: &arguments,
        };
        self.writer.write(done, out);
        let namespace = self.namespace_of(&name);
        let history = InputItem {
            kind: Some("function_call".to_owned()),
            id: Some(id.clone()),
            call_id: Some(call_id.clone()),
            name: Some(name.clone()),
            arguments: Some(arguments.clone()),
            namespace: namespace.clone(),
            ..InputItem::default()
        };
        (OutputItem::FunctionCall { id, call_id, name, arguments, status: "completed", namespace }, history)
    }

    fn close_reasoning(
        &mut self,
        index: usize,
        id: String,
        text: String,
        blocks: &[ThinkingBlock],
        out: &mut Vec<u8>,
    ) -> (OutputItem, InputItem) {
        self.reasoning_chars += u64::try_from(text.chars().count()).unwrap_or(u64::MAX);
        let (item_id, output_index) = (id.as_str(), index);
        self.writer.write(StreamEvent::ReasoningTextDone { item_id, output_index, content_index: 0, text: &text }, out);
        let mut summary = Vec::new();
        if self.options.summary {
            let event = StreamEvent::ReasoningSummaryTextDone { item_id, output_index, summary_index: 0, text: &text };
            self.writer.write(event, out);
            let part = OutputContent::SummaryText { text: text.clone() };
            let event = StreamEvent::ReasoningSummaryPartDone { item_id, output_index, summary_index: 0, part: &part };
            self.writer.write(event, out);
            summary.push(part);
        }
        let sealed = if blocks.is_empty() { None } else { seal(blocks) };
        let history = InputItem {
            kind: Some("reasoning".to_owned()),
            id: Some(id.clone()),
            summary: Some(Vec::new()),
            encrypted_content: sealed.clone(),
            ..InputItem::default()
        };
        let item = OutputItem::Reasoning {
            id,
            summary,
            content: vec![OutputContent::ReasoningText { text }],
            encrypted_content: sealed.filter(|_| self.options.include_encrypted),
            status: "completed",
        };
        (item, history)
    }

    /// Bedrock's usage in the Responses shape, with reasoning tokens estimated from the
    /// reasoning text (never above the output tokens).
    fn usage(&self) -> ResponseUsage {
        let usage = self.usage.as_ref().map(usage_from_bedrock).unwrap_or_default();
        let cached_tokens = usage.prompt_tokens_details.map_or(0, |d| d.cached_tokens);
        let estimate = self.reasoning_chars.div_ceil(CHARS_PER_TOKEN);
        ResponseUsage {
            input_tokens: usage.prompt_tokens,
            input_tokens_details: InputTokensDetails { cached_tokens },
            output_tokens: usage.completion_tokens,
            output_tokens_details: OutputTokensDetails { reasoning_tokens: estimate.min(usage.completion_tokens) },
            total_tokens: usage.total_tokens,
        }
    }
}

fn incomplete_reason(stop: &StopReason) -> Option<&'static str> {
    match stop {
        StopReason::MaxTokens => Some("max_output_tokens"),
        StopReason::GuardrailIntervened | StopReason::ContentFiltered => Some("content_filter"),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
