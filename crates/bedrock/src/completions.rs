//! Legacy completions: each prompt → a one-message chat request (so every chat rule
//! applies), Converse answers → `text_completion` choices and stream chunks.

use aws_sdk_bedrockruntime::types::{ContentBlock, ContentBlockDelta, ConverseStreamOutput, Message};
use openai::{
    ChatCompletionRequest, ChatMessage, Completion, CompletionChoice, CompletionRequest, ErrorBody, MessageContent,
    Prompt, Role, Usage,
};

use crate::error::TranslateError;
use crate::response::{ConverseResult, TEXT_BLOCK_SEPARATOR};
use crate::stop_reason::finish_reason;
use crate::stream::{write_frame, DONE_FRAME};
use crate::usage::usage_from_bedrock;

/// OpenAI's default for legacy completions (documented: it is small).
pub const DEFAULT_MAX_TOKENS: u32 = 16;
/// Prompts of one request; each is its own Bedrock call.
pub const MAX_PROMPTS: usize = 16;

/// The prompts of a request, after refusing what Bedrock cannot do.
pub fn prompts(request: &CompletionRequest) -> Result<Vec<&str>, TranslateError> {
    refuse_unsupported(request)?;
    let prompts: Vec<&str> = match &request.prompt {
        None => return Err(TranslateError::new("prompt is required", "prompt")),
        Some(Prompt::Text(text)) => vec![text.as_str()],
        Some(Prompt::Texts(texts)) => texts.iter().map(String::as_str).collect(),
        Some(Prompt::Tokens(_) | Prompt::TokenLists(_)) => {
            return Err(TranslateError::new("token-id prompts are not supported: send text", "prompt"))
        }
    };
    if prompts.is_empty() || prompts.len() > MAX_PROMPTS {
        return Err(TranslateError::new(format!("prompt must hold 1 to {MAX_PROMPTS} strings"), "prompt"));
    }
    if let Some(i) = prompts.iter().position(|p| p.trim().is_empty()) {
        return Err(TranslateError::new("prompts must not be empty", format!("prompt[{i}]")));
    }
    if request.stream == Some(true) && prompts.len() > 1 {
        return Err(TranslateError::new("streaming takes a single prompt", "prompt"));
    }
    Ok(prompts)
}

fn refuse_unsupported(request: &CompletionRequest) -> Result<(), TranslateError> {
    let refusal = if request.n.is_some_and(|n| n > 1) {
        Some(("n", "n > 1 is not supported: Bedrock returns one answer per prompt"))
    } else if request.best_of.is_some_and(|n| n > 1) {
        Some(("best_of", "best_of > 1 is not supported: Bedrock returns one answer per prompt"))
    } else if request.echo == Some(true) {
        Some(("echo", "echo is not supported"))
    } else if request.suffix.as_deref().is_some_and(|s| !s.is_empty()) {
        Some(("suffix", "suffix (insertion) is not supported by Bedrock chat models"))
    } else if request.logprobs.is_some_and(|n| n > 0) {
        Some(("logprobs", "logprobs are not supported: Bedrock returns no log probabilities"))
    } else {
        None
    };
    refusal.map_or(Ok(()), |(param, message)| Err(TranslateError::new(message, param)))
}

/// The chat request for one prompt.
pub fn chat_request(request: &CompletionRequest, prompt: &str) -> ChatCompletionRequest {
    let message = ChatMessage {
        role: Role::User,
        content: Some(MessageContent::Text(prompt.to_owned())),
        name: None,
        tool_calls: None,
        tool_call_id: None,
        reasoning_content: None,
        thinking_blocks: None,
    };
    ChatCompletionRequest {
        model: request.model.clone(),
        messages: vec![message],
        max_tokens: Some(request.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS)),
        temperature: request.temperature,
        top_p: request.top_p,
        stop: request.stop.clone(),
        user: request.user.clone(),
        ..ChatCompletionRequest::default()
    }
}

/// Identity of the completion, chosen by the caller.
#[derive(Debug, Clone, Copy)]
pub struct CompletionMeta<'a> {
    pub id: &'a str,
    pub created: u64,
    pub model: &'a str,
}

/// One choice per answered prompt, usage summed.
pub fn completion_from_converse(results: &[ConverseResult], meta: CompletionMeta<'_>) -> Completion {
    let mut usage = Usage::default();
    let mut choices = Vec::with_capacity(results.len());
    for (index, result) in results.iter().enumerate() {
        if let Some(u) = result.usage.as_ref().map(usage_from_bedrock) {
            usage.prompt_tokens += u.prompt_tokens;
            usage.completion_tokens += u.completion_tokens;
            usage.total_tokens += u.total_tokens;
        }
        choices.push(CompletionChoice {
            text: answer_text(result.message.as_ref()),
            index: u32::try_from(index).unwrap_or(u32::MAX),
            logprobs: None,
            finish_reason: Some(finish_reason(&result.stop_reason)),
        });
    }
    Completion {
        id: meta.id.to_owned(),
        object: "text_completion",
        created: meta.created,
        model: meta.model.to_owned(),
        choices,
        usage: Some(usage),
    }
}

/// The text blocks of an answer (reasoning is not part of a legacy completion).
fn answer_text(message: Option<&Message>) -> String {
    let texts = message.map_or(&[][..], Message::content).iter().filter_map(|b| match b {
        ContentBlock::Text(text) => Some(text.as_str()),
        _ => None,
    });
    texts.collect::<Vec<_>>().join(TEXT_BLOCK_SEPARATOR)
}

/// ConverseStream → legacy `text_completion` chunks.
#[derive(Debug)]
pub struct CompletionStreamTranslator {
    id: String,
    model: String,
    created: u64,
    include_usage: bool,
    last_text_block: Option<i32>,
    finish_sent: bool,
}

impl CompletionStreamTranslator {
    pub fn new(meta: CompletionMeta<'_>, include_usage: bool) -> Self {
        Self {
            id: meta.id.to_owned(),
            model: meta.model.to_owned(),
            created: meta.created,
            include_usage,
            last_text_block: None,
            finish_sent: false,
        }
    }

    /// Translates one Bedrock event.
    pub fn on_event(&mut self, event: &ConverseStreamOutput, out: &mut Vec<u8>) {
        match event {
            ConverseStreamOutput::ContentBlockDelta(delta) => {
                if let Some(ContentBlockDelta::Text(text)) = delta.delta() {
                    self.on_text(delta.content_block_index(), text, out);
                }
            }
            // One finish chunk, even if a stop event were repeated.
            ConverseStreamOutput::MessageStop(_) if self.finish_sent => {}
            ConverseStreamOutput::MessageStop(stop) => {
                self.finish_sent = true;
                self.write(String::new(), Some(finish_reason(stop.stop_reason())), None, out);
            }
            ConverseStreamOutput::Metadata(meta) => {
                if let (true, Some(usage)) = (self.include_usage, meta.usage()) {
                    self.write_usage(usage_from_bedrock(usage), out);
                }
            }
            _ => {}
        }
    }

    fn on_text(&mut self, block: i32, text: &str, out: &mut Vec<u8>) {
        let mut piece = String::with_capacity(text.len() + TEXT_BLOCK_SEPARATOR.len());
        if self.last_text_block.is_some_and(|last| last != block) {
            piece.push_str(TEXT_BLOCK_SEPARATOR);
        }
        self.last_text_block = Some(block);
        piece.push_str(text);
        self.write(piece, None, None, out);
    }

    /// Call when the Bedrock stream ended normally.
    pub fn on_end(&mut self, out: &mut Vec<u8>) {
        if !self.finish_sent {
            self.write(String::new(), Some(openai::FinishReason::Stop), None, out);
        }
        out.extend_from_slice(DONE_FRAME);
    }

    /// Emits a complete (non-streamed) completion as chunks, for models that cannot stream.
    pub fn replay(&mut self, completion: &Completion, out: &mut Vec<u8>) {
        if let Some(choice) = completion.choices.first() {
            self.write(choice.text.clone(), None, None, out);
            self.finish_sent = true;
            self.write(String::new(), choice.finish_reason, None, out);
        }
        if let (true, Some(usage)) = (self.include_usage, completion.usage.clone()) {
            self.write_usage(usage, out);
        }
        self.on_end(out);
    }

    /// Call when the stream failed: an OpenAI error event and no `[DONE]`.
    pub fn on_error(&mut self, error: &ErrorBody, out: &mut Vec<u8>) {
        write_frame(error, out);
    }

    fn write(&self, text: String, finish: Option<openai::FinishReason>, usage: Option<Usage>, out: &mut Vec<u8>) {
        let choice = CompletionChoice { text, index: 0, logprobs: None, finish_reason: finish };
        write_frame(&self.chunk(vec![choice], usage), out);
    }

    fn write_usage(&self, usage: Usage, out: &mut Vec<u8>) {
        write_frame(&self.chunk(Vec::new(), Some(usage)), out);
    }

    fn chunk(&self, choices: Vec<CompletionChoice>, usage: Option<Usage>) -> Completion {
        Completion {
            id: self.id.clone(),
            object: "text_completion",
            created: self.created,
            model: self.model.clone(),
            choices,
            usage,
        }
    }
}

#[cfg(test)]
mod tests;
