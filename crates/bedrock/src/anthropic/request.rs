//! Anthropic `/v1/messages` request → the chat face's request, then Converse parts.
//!
//! Two steps, because remote image URLs are fetched (I/O, by the server) on the chat form
//! between them: [`messages_plan`] (pure) and [`translate_messages_plan`] (pure).

use anthropic::{
    CacheControl, ContentBlock, DocumentSource, ImageSource, InputMessage, MessageContent as AnthropicContent,
    MessagesRequest, Role as AnthropicRole, SystemPrompt, Thinking, ToolChoice as AnthropicToolChoice, ToolDefinition,
    ToolResultContent,
};
use aws_sdk_bedrockruntime::types::{ContentBlock as Block, Message, ToolResultBlock, ToolResultStatus};
use base64::Engine as _;
use openai::{
    ChatCompletionRequest, ChatMessage, ContentPart, FilePart, FunctionCall, FunctionDefinition, ImageUrl,
    MessageContent, PromptCaching, ReasoningEffort, Role, StopSequences, ThinkingBlock, Tool, ToolCall, ToolChoice,
};
use serde_json::{json, Value};

use crate::capabilities::{capabilities_for, ReasoningStyle};
use crate::error::TranslateError;
use crate::inference::MAX_STOP_SEQUENCES;
use crate::request::{translate_chat_request, ConverseParts, TranslateOptions};

/// A Messages request in the chat face's terms, plus what the chat form cannot carry.
#[derive(Debug, Clone)]
pub struct MessagesPlan {
    pub chat: ChatCompletionRequest,
    /// Tool results sent with `is_error: true`: Claude gets them with status `error`.
    pub error_results: Vec<String>,
}

/// Whether `max_tokens` must be present: `/messages` requires it, `count_tokens` has none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaxTokens {
    Required,
    Absent,
}

/// Step 1: the chat form of a Messages request (image URLs still to be fetched).
pub fn messages_plan(
    request: &MessagesRequest,
    options: &TranslateOptions<'_>,
    max_tokens: MaxTokens,
) -> Result<MessagesPlan, TranslateError> {
    if max_tokens == MaxTokens::Required && request.max_tokens.is_none() {
        return Err(TranslateError::new("max_tokens: Field required", "max_tokens"));
    }
    let mut builder = Builder::default();
    builder.system(request.system.as_ref());
    for (i, message) in request.messages.iter().enumerate() {
        builder.message(message, &format!("messages.{i}.content"))?;
    }
    let mut chat = ChatCompletionRequest {
        model: request.model.clone(),
        messages: builder.messages,
        max_tokens: request.max_tokens,
        temperature: request.temperature,
        top_p: request.top_p,
        stop: stop_sequences(request.stop_sequences.as_deref())?,
        tools: tools(request.tools.as_deref())?,
        tool_choice: request.tool_choice.as_ref().map(tool_choice),
        ..ChatCompletionRequest::default()
    };
    chat.extra.top_k = request.top_k;
    let tools_cached = request.tools.iter().flatten().any(|t| t.cache_control.is_some());
    let system_cached = builder.system_cached || tools_cached;
    let messages_cached = builder.messages_cached || request.cache_control.is_some();
    if system_cached || messages_cached {
        chat.extra.prompt_caching =
            Some(PromptCaching { system: system_cached.then_some(true), messages: messages_cached.then_some(true) });
    }
    apply_thinking(&mut chat, request.thinking, options);
    apply_effort(&mut chat, request, options);
    Ok(MessagesPlan { chat, error_results: builder.error_results })
}

/// Step 2: Converse parts, with the failed tool results marked for Claude.
pub fn translate_messages_plan(
    plan: &MessagesPlan,
    options: &TranslateOptions<'_>,
) -> Result<ConverseParts, TranslateError> {
    let mut parts = translate_chat_request(&plan.chat, options)?.parts;
    let foundation = options.foundation_id.or_else(|| crate::model_id::foundation_id(options.model_id));
    let claude = foundation.is_some_and(|id| id.starts_with("anthropic."));
    if claude && !plan.error_results.is_empty() {
        mark_error_results(&mut parts.messages, &plan.error_results)?;
    }
    Ok(parts)
}

/// Whether Bedrock's CountTokens serves the model: Anthropic Claude models. Opaque ARNs
/// (unknown foundation model) are left for Bedrock to judge.
pub fn count_tokens_supported(model_id: &str, foundation_id: Option<&str>) -> bool {
    let foundation = foundation_id.or_else(|| crate::model_id::foundation_id(model_id));
    foundation.is_none_or(|id| id.starts_with("anthropic.claude"))
}

fn mark_error_results(messages: &mut [Message], ids: &[String]) -> Result<(), TranslateError> {
    for message in messages.iter_mut() {
        let failed = |b: &Block| b.as_tool_result().is_ok_and(|r| ids.iter().any(|id| id == r.tool_use_id()));
        if !message.content().iter().any(failed) {
            continue;
        }
        let mut blocks = message.content().to_vec();
        for block in &mut blocks {
            if let Block::ToolResult(result) = block {
                if ids.iter().any(|id| id == result.tool_use_id()) {
                    *result = with_error_status(result)?;
                }
            }
        }
        *message = Message::builder().role(message.role().clone()).set_content(Some(blocks)).build()?;
    }
    Ok(())
}

fn with_error_status(result: &ToolResultBlock) -> Result<ToolResultBlock, TranslateError> {
    Ok(ToolResultBlock::builder()
        .tool_use_id(result.tool_use_id())
        .set_content(Some(result.content().to_vec()))
        .status(ToolResultStatus::Error)
        .build()?)
}

/// Anthropic's `thinking` in the target model's own terms: passed through to Claude, an
/// effort level for models with another reasoning control, nothing for the others.
fn apply_thinking(chat: &mut ChatCompletionRequest, thinking: Option<Thinking>, options: &TranslateOptions<'_>) {
    let Some(thinking) = thinking else { return };
    let style = capabilities_for(options.model_id, options.foundation_id).reasoning;
    match (thinking, style) {
        (Thinking::Disabled, _) | (_, ReasoningStyle::None) => {}
        (Thinking::Adaptive, ReasoningStyle::ClaudeBudget) => chat.reasoning_effort = Some(ReasoningEffort::Medium),
        (_, ReasoningStyle::ClaudeBudget | ReasoningStyle::ClaudeAdaptive) => {
            chat.extra.thinking = serde_json::to_value(thinking).ok();
        }
        (Thinking::Enabled { budget_tokens }, _) => chat.reasoning_effort = Some(effort_for_budget(budget_tokens)),
        (Thinking::Adaptive, _) => chat.reasoning_effort = Some(ReasoningEffort::Medium),
    }
}

/// `output_config.effort` goes to Claude models with adaptive thinking (with `thinking:
/// adaptive`); elsewhere it has no meaning and is dropped.
fn apply_effort(chat: &mut ChatCompletionRequest, request: &MessagesRequest, options: &TranslateOptions<'_>) {
    let Some(effort) = request.output_config.as_ref().and_then(|c| c.effort.as_deref()) else { return };
    let style = capabilities_for(options.model_id, options.foundation_id).reasoning;
    if style == ReasoningStyle::ClaudeAdaptive && request.thinking == Some(Thinking::Adaptive) {
        let fields = chat.extra.additional_model_request_fields.get_or_insert_with(Default::default);
        fields.insert("output_config".to_owned(), json!({"effort": effort}));
    }
}

/// The reasoning level whose Claude budget is nearest a requested budget.
fn effort_for_budget(budget: u32) -> ReasoningEffort {
    match budget {
        0..=2048 => ReasoningEffort::Low,
        2049..=8192 => ReasoningEffort::Medium,
        _ => ReasoningEffort::High,
    }
}

fn stop_sequences(stops: Option<&[String]>) -> Result<Option<StopSequences>, TranslateError> {
    let Some(stops) = stops else { return Ok(None) };
    if stops.iter().filter(|s| !s.is_empty()).count() > MAX_STOP_SEQUENCES {
        let message = format!("stop_sequences: Bedrock accepts at most {MAX_STOP_SEQUENCES} stop sequences");
        return Err(TranslateError::new(message, "stop_sequences"));
    }
    Ok(Some(StopSequences::Many(stops.to_vec())))
}

fn tools(tools: Option<&[ToolDefinition]>) -> Result<Option<Vec<Tool>>, TranslateError> {
    let Some(tools) = tools else { return Ok(None) };
    tools.iter().enumerate().map(|(i, t)| tool(t, i)).collect::<Result<Vec<_>, _>>().map(Some)
}

fn tool(tool: &ToolDefinition, index: usize) -> Result<Tool, TranslateError> {
    if let Some(kind) = tool.kind.as_deref().filter(|k| *k != "custom") {
        return Err(TranslateError::new(
            format!("tools.{index}: Anthropic server tool `{kind}` (`{}`) is not available on Amazon Bedrock through this gateway; define it as a client tool with an input_schema", tool.name),
            format!("tools.{index}.type"),
        ));
    }
    Ok(Tool {
        kind: "function".to_owned(),
        function: FunctionDefinition {
            name: tool.name.clone(),
            description: tool.description.clone(),
            parameters: tool.input_schema.clone(),
            strict: None,
        },
    })
}

fn tool_choice(choice: &AnthropicToolChoice) -> ToolChoice {
    // `disable_parallel_tool_use` has no Converse equivalent: accepted and ignored.
    match choice {
        AnthropicToolChoice::Auto { .. } => ToolChoice::Auto,
        AnthropicToolChoice::Any { .. } => ToolChoice::Required,
        AnthropicToolChoice::Tool { name, .. } => ToolChoice::Function(name.clone()),
        AnthropicToolChoice::None => ToolChoice::None,
    }
}

/// Builds the chat messages, remembering what the chat form cannot say.
#[derive(Default)]
struct Builder {
    messages: Vec<ChatMessage>,
    system_cached: bool,
    messages_cached: bool,
    error_results: Vec<String>,
}

fn ephemeral(cache: Option<&CacheControl>) -> Option<Value> {
    cache.map(|_| json!({"type": "ephemeral"}))
}

impl Builder {
    fn system(&mut self, system: Option<&SystemPrompt>) {
        let parts = match system {
            None => return,
            Some(SystemPrompt::Text(text)) => vec![ContentPart::Text { text: text.clone(), cache_control: None }],
            Some(SystemPrompt::Blocks(blocks)) => {
                self.system_cached = blocks.iter().any(|b| b.cache_control.is_some());
                let text = |b: &anthropic::TextBlock| ContentPart::Text { text: b.text.clone(), cache_control: None };
                blocks.iter().map(text).collect()
            }
        };
        self.messages
            .push(ChatMessage { content: Some(MessageContent::Parts(parts)), ..ChatMessage::new(Role::System) });
    }

    fn message(&mut self, message: &InputMessage, path: &str) -> Result<(), TranslateError> {
        let blocks = match &message.content {
            AnthropicContent::Text(text) => {
                let role = match message.role {
                    AnthropicRole::User => Role::User,
                    AnthropicRole::Assistant => Role::Assistant,
                    AnthropicRole::System => Role::System,
                };
                let content = Some(MessageContent::Text(text.clone()));
                self.messages.push(ChatMessage { content, ..ChatMessage::new(role) });
                return Ok(());
            }
            AnthropicContent::Blocks(blocks) => blocks,
        };
        match message.role {
            AnthropicRole::User => self.user_blocks(blocks, path),
            AnthropicRole::Assistant => self.assistant_blocks(blocks, path),
            AnthropicRole::System => self.system_blocks(blocks, path),
        }
    }

    /// User blocks in order; each tool result becomes a `tool` message between the parts.
    fn user_blocks(&mut self, blocks: &[ContentBlock], path: &str) -> Result<(), TranslateError> {
        let mut parts = Vec::new();
        for (i, block) in blocks.iter().enumerate() {
            let at = format!("{path}.{i}");
            if let ContentBlock::ToolResult { tool_use_id, content, is_error, cache_control } = block {
                self.flush_user(&mut parts);
                self.messages_cached |= cache_control.is_some();
                if *is_error == Some(true) {
                    self.error_results.push(tool_use_id.clone());
                }
                let content = tool_result_parts(content.as_ref(), &at)?;
                let message = ChatMessage {
                    content: Some(content),
                    tool_call_id: Some(tool_use_id.clone()),
                    ..ChatMessage::new(Role::Tool)
                };
                self.messages.push(message);
                continue;
            }
            self.messages_cached |= matches!(block, ContentBlock::Document { cache_control: Some(_), .. });
            parts.extend(part(block, &at)?);
        }
        self.flush_user(&mut parts);
        Ok(())
    }

    /// A `system` message among the turns: its text joins the system prompt (Converse has
    /// one), as the chat face does with system messages anywhere.
    fn system_blocks(&mut self, blocks: &[ContentBlock], path: &str) -> Result<(), TranslateError> {
        let mut parts = Vec::with_capacity(blocks.len());
        for (i, block) in blocks.iter().enumerate() {
            let ContentBlock::Text { text, cache_control } = block else {
                return Err(TranslateError::new("system messages may hold text blocks only", format!("{path}.{i}")));
            };
            self.system_cached |= cache_control.is_some();
            parts.push(ContentPart::Text { text: text.clone(), cache_control: None });
        }
        self.messages
            .push(ChatMessage { content: Some(MessageContent::Parts(parts)), ..ChatMessage::new(Role::System) });
        Ok(())
    }

    fn flush_user(&mut self, parts: &mut Vec<ContentPart>) {
        if !parts.is_empty() {
            let content = Some(MessageContent::Parts(std::mem::take(parts)));
            self.messages.push(ChatMessage { content, ..ChatMessage::new(Role::User) });
        }
    }

    fn assistant_blocks(&mut self, blocks: &[ContentBlock], path: &str) -> Result<(), TranslateError> {
        let mut message = ChatMessage::new(Role::Assistant);
        let (mut parts, mut calls, mut thinking) = (Vec::new(), Vec::new(), Vec::new());
        for (i, block) in blocks.iter().enumerate() {
            match block {
                ContentBlock::ToolUse { id, name, input, cache_control } => {
                    self.messages_cached |= cache_control.is_some();
                    calls.push(tool_call(id, name, input));
                }
                ContentBlock::Thinking { thinking: text, signature } => {
                    thinking.push(ThinkingBlock::Thinking { thinking: text.clone(), signature: signature.clone() })
                }
                ContentBlock::RedactedThinking { data } => {
                    thinking.push(ThinkingBlock::RedactedThinking { data: data.clone() });
                }
                other => parts.extend(part(other, &format!("{path}.{i}"))?),
            }
        }
        message.content = (!parts.is_empty()).then_some(MessageContent::Parts(parts));
        message.tool_calls = (!calls.is_empty()).then_some(calls);
        message.thinking_blocks = (!thinking.is_empty()).then_some(thinking);
        self.messages.push(message);
        Ok(())
    }
}

fn tool_call(id: &str, name: &str, input: &Value) -> ToolCall {
    let arguments = if input.is_null() { "{}".to_owned() } else { input.to_string() };
    ToolCall {
        id: id.to_owned(),
        kind: "function".to_owned(),
        function: FunctionCall { name: name.to_owned(), arguments },
    }
}

/// A text, image or document block as a chat content part.
fn part(block: &ContentBlock, path: &str) -> Result<Option<ContentPart>, TranslateError> {
    Ok(Some(match block {
        ContentBlock::Text { text, cache_control } => {
            ContentPart::Text { text: text.clone(), cache_control: ephemeral(cache_control.as_ref()) }
        }
        ContentBlock::Image { source, cache_control } => ContentPart::ImageUrl {
            image_url: ImageUrl { url: image_url(source, &format!("{path}.source"))?, detail: None },
            cache_control: ephemeral(cache_control.as_ref()),
        },
        ContentBlock::Document { source, title, .. } => {
            ContentPart::File { file: document(source, title.as_deref(), &format!("{path}.source"))? }
        }
        ContentBlock::ToolUse { .. } | ContentBlock::ToolResult { .. } => {
            return Err(TranslateError::new(misplaced(block), path));
        }
        ContentBlock::Thinking { .. } | ContentBlock::RedactedThinking { .. } => {
            return Err(TranslateError::new(format!("{path}: thinking blocks belong in assistant messages"), path));
        }
    }))
}

fn misplaced(block: &ContentBlock) -> String {
    match block {
        ContentBlock::ToolUse { .. } => "tool_use blocks belong in assistant messages".to_owned(),
        _ => "tool_result blocks belong in user messages".to_owned(),
    }
}

/// A data URL for base64 images; http(s) URLs are left for the server's fetcher.
fn image_url(source: &ImageSource, path: &str) -> Result<String, TranslateError> {
    match source {
        ImageSource::Base64 { media_type, data } => Ok(format!("data:{media_type};base64,{data}")),
        ImageSource::Url { url } => Ok(url.clone()),
        ImageSource::File { .. } => Err(files_unsupported(path)),
    }
}

fn files_unsupported(path: &str) -> TranslateError {
    TranslateError::new("file_id sources (Files API) are not supported: send the content as base64", path)
}

fn document(source: &DocumentSource, title: Option<&str>, path: &str) -> Result<FilePart, TranslateError> {
    let base64 = base64::engine::general_purpose::STANDARD;
    let (media_type, data) = match source {
        DocumentSource::Base64 { media_type, data } => (media_type.as_str(), data.clone()),
        DocumentSource::Text { media_type, data } => (media_type.as_str(), base64.encode(data)),
        DocumentSource::Content { content } => ("text/plain", base64.encode(content_text(content))),
        DocumentSource::Url { .. } => {
            return Err(TranslateError::new("document URLs are not supported: send the document as base64", path))
        }
        DocumentSource::File { .. } => return Err(files_unsupported(path)),
    };
    // The suffix keeps dots inside the title from being read as an extension.
    let filename = title.map(|t| format!("{t}.document"));
    Ok(FilePart { file_data: Some(format!("data:{media_type};base64,{data}")), file_id: None, filename })
}

fn content_text(content: &AnthropicContent) -> String {
    match content {
        AnthropicContent::Text(text) => text.clone(),
        AnthropicContent::Blocks(blocks) => blocks
            .iter()
            .filter_map(|b| match b {
                ContentBlock::Text { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

/// A tool result's content as chat parts (text and images; Bedrock's tool results take no
/// documents from the chat form).
fn tool_result_parts(content: Option<&ToolResultContent>, path: &str) -> Result<MessageContent, TranslateError> {
    let blocks = match content {
        None => return Ok(MessageContent::Text(String::new())),
        Some(ToolResultContent::Text(text)) => return Ok(MessageContent::Text(text.clone())),
        Some(ToolResultContent::Blocks(blocks)) => blocks,
    };
    let mut parts = Vec::with_capacity(blocks.len());
    for (i, block) in blocks.iter().enumerate() {
        let at = format!("{path}.content.{i}");
        match block {
            ContentBlock::Text { .. } | ContentBlock::Image { .. } => parts.extend(part(block, &at)?),
            _ => return Err(TranslateError::new("tool_result content may hold text and image blocks only", at)),
        }
    }
    Ok(MessageContent::Parts(parts))
}

#[cfg(test)]
mod tests;
