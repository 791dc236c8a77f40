//! The stateful ConverseStream → Anthropic SSE translator.
//!
//! Bedrock opens text and reasoning blocks implicitly (their first delta), tool blocks
//! explicitly, and reports usage after the stop reason; Anthropic wants every block
//! opened and closed, and stop reason and usage together in `message_delta`.

use anthropic::{BlockDelta, ErrorDetail, Message, MessageDeltaBody, ResponseBlock, StopReason, StreamEvent, Usage};
use aws_sdk_bedrockruntime::types::{
    ContentBlockDelta, ContentBlockStart, ConverseStreamOutput, ReasoningContentBlockDelta,
};
use base64::Engine as _;
use serde_json::json;

use super::response::{stop_reason, usage};

/// The kind of the open Anthropic block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Thinking,
    ToolUse,
}

#[derive(Debug, Clone, Copy)]
struct OpenBlock {
    bedrock_index: i32,
    kind: Kind,
    index: u32,
}

/// Turns one ConverseStream into Anthropic stream events.
#[derive(Debug)]
pub struct MessagesStreamTranslator {
    id: String,
    model: String,
    stop_sequences: Vec<String>,
    started: bool,
    open: Option<OpenBlock>,
    next_index: u32,
    stop: Option<(StopReason, Option<String>)>,
    finished: bool,
}

impl MessagesStreamTranslator {
    pub fn new(id: String, model: String, stop_sequences: Vec<String>) -> Self {
        Self { id, model, stop_sequences, started: false, open: None, next_index: 0, stop: None, finished: false }
    }

    /// Translates one Bedrock event.
    pub fn on_event(&mut self, event: &ConverseStreamOutput, out: &mut Vec<u8>) {
        // After `message_stop` nothing may follow (Bedrock ends with metadata; a stray event must not reopen a block).
        if self.finished {
            return;
        }
        self.ensure_started(Usage::default(), out);
        match event {
            ConverseStreamOutput::ContentBlockStart(start) => {
                if let Some(ContentBlockStart::ToolUse(tool)) = start.start() {
                    let block = ResponseBlock::ToolUse {
                        id: tool.tool_use_id().to_owned(),
                        name: tool.name().to_owned(),
                        input: json!({}),
                    };
                    self.open_block(start.content_block_index(), Kind::ToolUse, block, out);
                }
            }
            ConverseStreamOutput::ContentBlockDelta(delta) => {
                if let Some(d) = delta.delta() {
                    self.on_delta(delta.content_block_index(), d, out);
                }
            }
            ConverseStreamOutput::ContentBlockStop(stop)
                if self.open.is_some_and(|o| o.bedrock_index == stop.content_block_index()) =>
            {
                self.close_block(out);
            }
            ConverseStreamOutput::MessageStop(stop) => {
                self.close_block(out);
                self.stop = Some(stop_reason(stop.stop_reason(), &self.stop_sequences));
            }
            ConverseStreamOutput::Metadata(meta) => {
                let usage = meta.usage().map(usage).unwrap_or_default();
                self.finish(usage, out);
            }
            _ => {}
        }
    }

    fn on_delta(&mut self, block: i32, delta: &ContentBlockDelta, out: &mut Vec<u8>) {
        let delta = match delta {
            ContentBlockDelta::Text(text) if text.is_empty() => return,
            ContentBlockDelta::Text(text) => {
                self.ensure_block(block, Kind::Text, out);
                BlockDelta::TextDelta { text }
            }
            ContentBlockDelta::ToolUse(tool) if self.is_open(block, Kind::ToolUse) => {
                BlockDelta::InputJsonDelta { partial_json: tool.input() }
            }
            ContentBlockDelta::ReasoningContent(ReasoningContentBlockDelta::RedactedContent(data)) => {
                return self.redacted(data.as_ref(), out);
            }
            ContentBlockDelta::ReasoningContent(reasoning) => {
                self.ensure_block(block, Kind::Thinking, out);
                match reasoning {
                    ReasoningContentBlockDelta::Text(text) => BlockDelta::ThinkingDelta { thinking: text },
                    ReasoningContentBlockDelta::Signature(signature) => BlockDelta::SignatureDelta { signature },
                    _ => return,
                }
            }
            _ => return,
        };
        let index = self.open.map_or(0, |o| o.index);
        StreamEvent::ContentBlockDelta { index, delta }.write_sse(out);
    }

    /// Redacted thinking arrives whole: one block, opened and closed at once.
    fn redacted(&mut self, data: &[u8], out: &mut Vec<u8>) {
        self.close_block(out);
        let data = base64::engine::general_purpose::STANDARD.encode(data);
        let index = self.take_index();
        StreamEvent::ContentBlockStart { index, content_block: ResponseBlock::RedactedThinking { data } }
            .write_sse(out);
        StreamEvent::ContentBlockStop { index }.write_sse(out);
    }

    fn is_open(&self, block: i32, kind: Kind) -> bool {
        self.open.is_some_and(|o| o.bedrock_index == block && o.kind == kind)
    }

    fn ensure_block(&mut self, block: i32, kind: Kind, out: &mut Vec<u8>) {
        if self.is_open(block, kind) {
            return;
        }
        let content_block = match kind {
            Kind::Thinking => ResponseBlock::Thinking { thinking: String::new(), signature: String::new() },
            Kind::Text | Kind::ToolUse => ResponseBlock::Text { text: String::new() },
        };
        self.open_block(block, kind, content_block, out);
    }

    fn open_block(&mut self, block: i32, kind: Kind, content_block: ResponseBlock, out: &mut Vec<u8>) {
        self.close_block(out);
        let index = self.take_index();
        self.open = Some(OpenBlock { bedrock_index: block, kind, index });
        StreamEvent::ContentBlockStart { index, content_block }.write_sse(out);
    }

    fn take_index(&mut self) -> u32 {
        let index = self.next_index;
        self.next_index += 1;
        index
    }

    fn close_block(&mut self, out: &mut Vec<u8>) {
        if let Some(open) = self.open.take() {
            StreamEvent::ContentBlockStop { index: open.index }.write_sse(out);
        }
    }

    /// `message_start` and a first `ping`, as Anthropic opens every stream.
    fn ensure_started(&mut self, usage: Usage, out: &mut Vec<u8>) {
        if self.started {
            return;
        }
        self.started = true;
        let message = Message {
            id: self.id.clone(),
            kind: "message",
            role: "assistant",
            content: Vec::new(),
            model: self.model.clone(),
            stop_reason: None,
            stop_sequence: None,
            usage,
        };
        StreamEvent::MessageStart { message }.write_sse(out);
        StreamEvent::Ping.write_sse(out);
    }

    /// `message_delta` (stop reason and usage) and `message_stop`, once.
    fn finish(&mut self, usage: Usage, out: &mut Vec<u8>) {
        if self.finished {
            return;
        }
        self.finished = true;
        self.close_block(out);
        let (stop_reason, stop_sequence) = self.stop.take().unwrap_or((StopReason::EndTurn, None));
        let delta = MessageDeltaBody { stop_reason: Some(stop_reason), stop_sequence };
        StreamEvent::MessageDelta { delta, usage }.write_sse(out);
        StreamEvent::MessageStop.write_sse(out);
    }

    /// Call when the Bedrock stream ended normally (closes a message without usage).
    pub fn on_end(&mut self, out: &mut Vec<u8>) {
        self.ensure_started(Usage::default(), out);
        self.finish(Usage::default(), out);
    }

    /// Call when the stream failed: one `error` event and no `message_stop`, so a client
    /// never takes a broken answer for a complete one.
    pub fn on_error(&mut self, error: ErrorDetail, out: &mut Vec<u8>) {
        self.close_block(out);
        self.finished = true;
        StreamEvent::Error { error }.write_sse(out);
    }

    /// Emits a complete message as the events of a stream, for models that cannot stream
    /// the request (e.g. streaming with tools).
    pub fn replay(&mut self, message: &Message, out: &mut Vec<u8>) {
        self.ensure_started(Usage { output_tokens: 0, ..message.usage }, out);
        for block in &message.content {
            let index = self.take_index();
            replay_block(index, block, out);
        }
        self.stop = message.stop_reason.map(|r| (r, message.stop_sequence.clone()));
        self.finish(message.usage, out);
    }
}

fn replay_block(index: u32, block: &ResponseBlock, out: &mut Vec<u8>) {
    let (start, delta) = match block {
        ResponseBlock::Text { text } => {
            (ResponseBlock::Text { text: String::new() }, Some(BlockDelta::TextDelta { text }))
        }
        ResponseBlock::Thinking { thinking, signature } => {
            let start = ResponseBlock::Thinking { thinking: String::new(), signature: String::new() };
            StreamEvent::ContentBlockStart { index, content_block: start }.write_sse(out);
            StreamEvent::ContentBlockDelta { index, delta: BlockDelta::ThinkingDelta { thinking } }.write_sse(out);
            StreamEvent::ContentBlockDelta { index, delta: BlockDelta::SignatureDelta { signature } }.write_sse(out);
            StreamEvent::ContentBlockStop { index }.write_sse(out);
            return;
        }
        ResponseBlock::RedactedThinking { .. } => (block.clone(), None),
        ResponseBlock::ToolUse { id, name, input } => {
            let start = ResponseBlock::ToolUse { id: id.clone(), name: name.clone(), input: json!({}) };
            let json = input.to_string();
            StreamEvent::ContentBlockStart { index, content_block: start }.write_sse(out);
            StreamEvent::ContentBlockDelta { index, delta: BlockDelta::InputJsonDelta { partial_json: &json } }
                .write_sse(out);
            StreamEvent::ContentBlockStop { index }.write_sse(out);
            return;
        }
    };
    StreamEvent::ContentBlockStart { index, content_block: start }.write_sse(out);
    if let Some(delta) = delta {
        StreamEvent::ContentBlockDelta { index, delta }.write_sse(out);
    }
    StreamEvent::ContentBlockStop { index }.write_sse(out);
}

#[cfg(test)]
mod tests;
