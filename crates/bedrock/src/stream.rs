//! The stateful ConverseStream → OpenAI SSE translator.
//!
//! Each Bedrock event becomes zero or more `data: {chunk}\n\n` frames written into a
//! caller-provided buffer, so the hot path allocates one buffer per event at most.

use aws_sdk_bedrockruntime::types::{
    ContentBlockDelta, ContentBlockStart, ConverseStreamOutput, ReasoningContentBlockDelta,
};
use base64::Engine as _;
use openai::chunk::FunctionCallDelta;
use openai::{
    ChatCompletion, ChatCompletionChunk, ChunkChoice, Delta, ErrorBody, FinishReason, ReasoningFormat, ThinkingBlock,
    ToolCallDelta, Usage,
};
use serde::Serialize;

use crate::response::TEXT_BLOCK_SEPARATOR;
use crate::stop_reason::finish_reason;
use crate::usage::usage_from_bedrock;

/// Per-request streaming options.
#[derive(Debug, Clone, Default)]
pub struct StreamOptions {
    /// `stream_options.include_usage`: send a final chunk with `usage` and no choices.
    pub include_usage: bool,
    pub reasoning_format: ReasoningFormat,
    /// The tool standing for `response_format`: its input streams as content.
    pub structured_tool: Option<String>,
}

/// Turns one ConverseStream into OpenAI `chat.completion.chunk` SSE frames.
#[derive(Debug)]
pub struct StreamTranslator {
    /// `data: {"id":…,"object":…,"created":…,"model":…,"system_fingerprint":null,"choices":`,
    /// the same in every chunk of a stream: serialised (and escaped) once, copied into each
    /// frame (a test checks every kind of chunk against the wire type serialised whole).
    head: Vec<u8>,
    options: StreamOptions,
    role_sent: bool,
    finish_sent: bool,
    /// Content-block index → OpenAI tool-call index (contiguous, 0-based, in arrival order).
    tool_blocks: Vec<(i32, u32)>,
    /// The block carrying the structured answer, if any.
    structured_block: Option<i32>,
    last_text_block: Option<i32>,
    /// Reasoning text of the current block, returned with its signature as a thinking block.
    reasoning: String,
    think_tag_open: bool,
}

/// The SSE terminator OpenAI clients wait for.
pub const DONE_FRAME: &[u8] = b"data: [DONE]\n\n";

/// Starting capacity of a buffer that receives one event's frames: a text chunk's frame is
/// ≈ 200–300 bytes, so one allocation holds it instead of a chain of doublings.
pub const FRAME_CAPACITY: usize = 512;

impl StreamTranslator {
    pub fn new(id: String, model: String, created: u64, options: StreamOptions) -> Self {
        Self {
            head: chunk_head(&id, &model, created),
            options,
            role_sent: false,
            finish_sent: false,
            tool_blocks: Vec::new(),
            structured_block: None,
            last_text_block: None,
            reasoning: String::new(),
            think_tag_open: false,
        }
    }

    /// Translates one Bedrock event.
    pub fn on_event(&mut self, event: &ConverseStreamOutput, out: &mut Vec<u8>) {
        match event {
            ConverseStreamOutput::MessageStart(_) => self.ensure_role(out),
            ConverseStreamOutput::ContentBlockStart(start) => {
                if let Some(ContentBlockStart::ToolUse(tool)) = start.start() {
                    self.on_tool_start(start.content_block_index(), tool.tool_use_id(), tool.name(), out);
                }
            }
            ConverseStreamOutput::ContentBlockDelta(delta) => {
                if let Some(d) = delta.delta() {
                    self.on_delta(delta.content_block_index(), d, out);
                }
            }
            // One finish chunk per choice, even if a stop event were repeated.
            ConverseStreamOutput::MessageStop(_) if self.finish_sent => {}
            ConverseStreamOutput::MessageStop(stop) => {
                let mut reason = finish_reason(stop.stop_reason());
                if reason == FinishReason::ToolCalls && self.tool_blocks.is_empty() && self.structured_block.is_some() {
                    reason = FinishReason::Stop;
                }
                self.emit_finish(reason, out);
            }
            ConverseStreamOutput::Metadata(meta) => {
                if let (true, Some(usage)) = (self.options.include_usage, meta.usage()) {
                    self.emit_usage(usage_from_bedrock(usage), out);
                }
            }
            _ => {}
        }
    }

    fn on_tool_start(&mut self, block: i32, id: &str, name: &str, out: &mut Vec<u8>) {
        if self.options.structured_tool.as_deref() == Some(name) {
            self.structured_block = Some(block);
            return;
        }
        let call = ToolCallDelta {
            index: self.tool_index(block),
            id: Some(id.to_owned()),
            kind: Some("function"),
            function: FunctionCallDelta { name: Some(name.to_owned()), arguments: String::new() },
        };
        self.emit_delta(Delta { tool_calls: Some(vec![call]), ..Delta::default() }, out);
    }

    fn on_delta(&mut self, block: i32, delta: &ContentBlockDelta, out: &mut Vec<u8>) {
        match delta {
            ContentBlockDelta::Text(text) => self.on_text(block, text, out),
            ContentBlockDelta::ReasoningContent(reasoning) => self.on_reasoning(reasoning, out),
            ContentBlockDelta::ToolUse(tool) if self.structured_block == Some(block) => {
                self.emit_delta(Delta { content: Some(tool.input().to_owned()), ..Delta::default() }, out);
            }
            ContentBlockDelta::ToolUse(tool) => {
                let call = ToolCallDelta {
                    index: self.tool_index(block),
                    id: None,
                    kind: None,
                    function: FunctionCallDelta { name: None, arguments: tool.input().to_owned() },
                };
                self.emit_delta(Delta { tool_calls: Some(vec![call]), ..Delta::default() }, out);
            }
            _ => {}
        }
    }

    fn on_text(&mut self, block: i32, text: &str, out: &mut Vec<u8>) {
        let mut content = String::with_capacity(text.len() + TEXT_BLOCK_SEPARATOR.len());
        if self.last_text_block.is_some_and(|last| last != block) {
            content.push_str(TEXT_BLOCK_SEPARATOR);
        }
        self.last_text_block = Some(block);
        content.push_str(text);
        self.emit_delta(Delta { content: Some(content), ..Delta::default() }, out);
    }

    fn on_reasoning(&mut self, delta: &ReasoningContentBlockDelta, out: &mut Vec<u8>) {
        match delta {
            ReasoningContentBlockDelta::Text(text) => {
                self.reasoning.push_str(text);
                let delta = match self.options.reasoning_format {
                    ReasoningFormat::ReasoningContent => {
                        Delta { reasoning_content: Some(text.clone()), ..Delta::default() }
                    }
                    ReasoningFormat::ThinkTags => {
                        let opening = if self.think_tag_open { "" } else { "<think>" };
                        self.ensure_role(out);
                        self.think_tag_open = true;
                        Delta { content: Some(format!("{opening}{text}")), ..Delta::default() }
                    }
                };
                self.write_delta(delta, out);
            }
            ReasoningContentBlockDelta::Signature(signature) => {
                let thinking = std::mem::take(&mut self.reasoning);
                let block = ThinkingBlock::Thinking { thinking, signature: Some(signature.clone()) };
                self.write_delta(Delta { thinking_blocks: Some(vec![block]), ..Delta::default() }, out);
            }
            ReasoningContentBlockDelta::RedactedContent(data) => {
                let data = base64::engine::general_purpose::STANDARD.encode(data.as_ref());
                let block = ThinkingBlock::RedactedThinking { data };
                self.write_delta(Delta { thinking_blocks: Some(vec![block]), ..Delta::default() }, out);
            }
            _ => {}
        }
    }

    /// Call when the Bedrock stream ended normally: closes the choice and writes `[DONE]`.
    pub fn on_end(&mut self, out: &mut Vec<u8>) {
        if !self.finish_sent {
            self.emit_finish(FinishReason::Stop, out);
        }
        out.extend_from_slice(DONE_FRAME);
    }

    /// Call when the stream failed: one OpenAI-shaped error event, and no `[DONE]`, so a
    /// client never mistakes a broken answer for a complete one (as OpenAI's own streams do).
    pub fn on_error(&mut self, error: &ErrorBody, out: &mut Vec<u8>) {
        write_frame(error, out);
    }

    /// Emits a complete (non-streamed) completion as chunks, for models that cannot
    /// stream the request (e.g. streaming with tools): same frames, in one go.
    pub fn replay(&mut self, completion: &ChatCompletion, out: &mut Vec<u8>) {
        self.ensure_role(out);
        let Some(choice) = completion.choices.first() else { return self.on_end(out) };
        let message = &choice.message;
        let delta = Delta {
            content: message.content.clone().filter(|c| !c.is_empty()),
            reasoning_content: message.reasoning_content.clone(),
            thinking_blocks: message.thinking_blocks.clone(),
            ..Delta::default()
        };
        if delta != Delta::default() {
            self.write_delta(delta, out);
        }
        for (index, call) in message.tool_calls.iter().flatten().enumerate() {
            let call = ToolCallDelta {
                index: u32::try_from(index).unwrap_or(u32::MAX),
                id: Some(call.id.clone()),
                kind: Some("function"),
                function: FunctionCallDelta {
                    name: Some(call.function.name.clone()),
                    arguments: call.function.arguments.clone(),
                },
            };
            self.write_delta(Delta { tool_calls: Some(vec![call]), ..Delta::default() }, out);
        }
        self.emit_finish(choice.finish_reason, out);
        if self.options.include_usage {
            self.emit_usage(completion.usage.clone(), out);
        }
        out.extend_from_slice(DONE_FRAME);
    }

    fn tool_index(&mut self, block: i32) -> u32 {
        if let Some((_, index)) = self.tool_blocks.iter().find(|(b, _)| *b == block) {
            return *index;
        }
        let index = u32::try_from(self.tool_blocks.len()).unwrap_or(u32::MAX);
        self.tool_blocks.push((block, index));
        index
    }

    fn ensure_role(&mut self, out: &mut Vec<u8>) {
        if !self.role_sent {
            self.role_sent = true;
            let delta = Delta { role: Some("assistant"), content: Some(String::new()), ..Delta::default() };
            self.write_chunk(Some(choice(delta, None)), None, out);
        }
    }

    /// An answer delta: closes an open `<think>` tag first.
    fn emit_delta(&mut self, mut delta: Delta, out: &mut Vec<u8>) {
        if self.think_tag_open {
            self.think_tag_open = false;
            match &mut delta.content {
                Some(content) => content.insert_str(0, "</think>"),
                None => self.write_delta(Delta { content: Some("</think>".to_owned()), ..Delta::default() }, out),
            }
        }
        self.write_delta(delta, out);
    }

    fn write_delta(&mut self, delta: Delta, out: &mut Vec<u8>) {
        self.ensure_role(out);
        self.write_chunk(Some(choice(delta, None)), None, out);
    }

    fn emit_finish(&mut self, reason: FinishReason, out: &mut Vec<u8>) {
        if self.think_tag_open {
            self.emit_delta(Delta::default(), out);
        }
        self.ensure_role(out);
        self.finish_sent = true;
        self.write_chunk(Some(choice(Delta::default(), Some(reason))), None, out);
    }

    fn emit_usage(&mut self, usage: Usage, out: &mut Vec<u8>) {
        self.write_chunk(None, Some(usage), out);
    }

    /// One chunk: the stream's head, then its choices and (with `include_usage`) its usage,
    /// `"usage": null` on every chunk but the usage chunk, as OpenAI sends them.
    fn write_chunk(&self, choice: Option<ChunkChoice>, usage: Option<Usage>, out: &mut Vec<u8>) {
        let usage = self.options.include_usage.then_some(usage);
        let start = out.len();
        out.extend_from_slice(&self.head);
        let written = serde_json::to_writer(&mut *out, choice.as_slice()).and_then(|()| match usage {
            Some(usage) => {
                out.extend_from_slice(b",\"usage\":");
                serde_json::to_writer(&mut *out, &usage)
            }
            None => Ok(()),
        });
        if written.is_err() {
            out.truncate(start);
            return;
        }
        out.extend_from_slice(b"}\n\n");
    }
}

const CHUNK_OBJECT: &str = "chat.completion.chunk";

/// The frame prefix every chunk of a stream shares (see `StreamTranslator::head`): an empty
/// chunk serialised by the wire type, `choices` last, cut before its empty array.
fn chunk_head(id: &str, model: &str, created: u64) -> Vec<u8> {
    let chunk = ChatCompletionChunk {
        id,
        object: CHUNK_OBJECT,
        created,
        model,
        system_fingerprint: None,
        choices: Vec::new(),
        usage: None,
    };
    let mut head = Vec::with_capacity(128 + id.len() + model.len());
    write_frame(&chunk, &mut head);
    head.truncate(head.len().saturating_sub(b"[]}\n\n".len()));
    head
}

fn choice(delta: Delta, finish_reason: Option<FinishReason>) -> ChunkChoice {
    ChunkChoice { index: 0, delta, finish_reason, logprobs: None }
}

/// Writes `data: <json>\n\n`. Serialising our own types cannot fail; if it ever did, the
/// frame is dropped rather than sent half-written.
pub fn write_frame<T: Serialize>(value: &T, out: &mut Vec<u8>) {
    let start = out.len();
    out.extend_from_slice(b"data: ");
    if serde_json::to_writer(&mut *out, value).is_err() {
        out.truncate(start);
        return;
    }
    out.extend_from_slice(b"\n\n");
}

#[cfg(test)]
mod tests;
