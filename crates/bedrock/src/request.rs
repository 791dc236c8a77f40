//! A whole chat request → the parts of a Converse / ConverseStream call.

use aws_sdk_bedrockruntime::types::{
    ContentBlock, ConversationRole, InferenceConfiguration, Message, SystemContentBlock, ToolConfiguration,
};
use aws_smithy_types::Document;
use openai::{ChatCompletionRequest, ContentPart, MessageContent, Tool, ToolChoice};

use crate::additional_fields::additional_fields;
use crate::caching::{apply_cache_points, CachePlan};
use crate::capabilities::{capabilities_for, Capabilities};
use crate::error::TranslateError;
use crate::inference::{inference_config, max_tokens};
use crate::messages::{translate_messages, ConversationOptions};
use crate::reasoning::reasoning_plan;
use crate::structured::{json_instruction, structured_output, StructuredOutput};
use crate::tools::{tool_config, ToolRequest};

/// What the model catalogue and the operator's settings say about this request.
#[derive(Debug, Clone, Copy)]
pub struct TranslateOptions<'a> {
    /// The id sent to Bedrock: foundation id, profile id or ARN.
    pub model_id: &'a str,
    /// Foundation model behind an opaque ARN (application profile, provisioned model).
    pub foundation_id: Option<&'a str>,
    /// Whether the model takes image input (ListFoundationModels `inputModalities`).
    pub image_input: bool,
    /// `ENABLE_PROMPT_CACHING`: cache points by default (requests may override).
    pub prompt_caching: bool,
    /// A guardrail configured by the operator (requests may name another).
    pub guardrail: Option<&'a Guardrail>,
}

/// A Bedrock guardrail to apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guardrail {
    pub identifier: String,
    pub version: String,
    pub trace: bool,
}

/// Everything a Converse call needs, as SDK model types; copied onto either builder.
#[derive(Debug, Clone, PartialEq)]
pub struct ConverseParts {
    pub model_id: String,
    pub system: Vec<SystemContentBlock>,
    pub messages: Vec<Message>,
    pub inference_config: Option<InferenceConfiguration>,
    pub tool_config: Option<ToolConfiguration>,
    pub additional_model_request_fields: Option<Document>,
    pub guardrail: Option<Guardrail>,
}

/// The call, and what the response side must know about it.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatTranslation {
    pub parts: ConverseParts,
    /// The tool standing for `response_format`: its input is the answer.
    pub structured_tool: Option<String>,
}

/// Translates a chat completion request.
pub fn translate_chat_request(
    request: &ChatCompletionRequest,
    options: &TranslateOptions<'_>,
) -> Result<ChatTranslation, TranslateError> {
    if request.n.is_some_and(|n| n > 1) {
        return Err(TranslateError::new("n > 1 is not supported: Bedrock returns one choice per request", "n"));
    }
    let caps = capabilities_for(options.model_id, options.foundation_id);
    if !options.image_input {
        reject_parts(request, |p| matches!(p, ContentPart::ImageUrl { .. }), "this model does not accept image input")?;
    }
    if !caps.documents {
        reject_parts(request, |p| matches!(p, ContentPart::File { .. }), "this model does not accept documents")?;
    }
    let structured = structured_output(request.response_format.as_ref())?;
    let offered = offered_tools(request, structured.as_ref(), &caps);
    let conversation_options = ConversationOptions {
        fold_system: !caps.system_prompt,
        tools_as_text: offered.is_empty(),
        cache_points: caps.prompt_caching,
        no_prefill: !caps.assistant_prefill,
    };
    let mut conversation = translate_messages(&request.messages, conversation_options)?;
    if let (Some(format), false) = (&structured, caps.tool_use) {
        append_to_last_user_turn(&mut conversation.messages, json_instruction(format))?;
    }
    let plan = reasoning_plan(
        request.reasoning_effort,
        request.extra.thinking.as_ref(),
        caps.reasoning,
        max_tokens(request)?,
    )?;
    let structured_tool = structured.filter(|_| caps.tool_use).map(|s| s.tool_name().to_owned());
    let mut choice = tool_choice(request, structured_tool.as_deref(), offered.len());
    // Claude rejects a forced tool while thinking; let it choose instead of failing.
    if plan.drop_sampling && matches!(choice, Some(ToolChoice::Required | ToolChoice::Function(_))) {
        choice = Some(ToolChoice::Auto);
    }
    let tool_request = ToolRequest {
        tools: &offered,
        choice: choice.as_ref(),
        history_tool_names: &conversation.history_tool_names,
        capabilities: &caps,
    };
    let tool_config = tool_config(&tool_request)?;
    let inference_config = inference_config(request, &caps, &plan)?;
    let additional_model_request_fields = additional_fields(plan.fields, &request.extra, &caps)?;
    if caps.prompt_caching {
        let plan = cache_plan(request, options.prompt_caching);
        apply_cache_points(plan, &mut conversation.system, &mut conversation.messages)?;
    }
    let parts = ConverseParts {
        model_id: options.model_id.to_owned(),
        system: conversation.system,
        messages: conversation.messages,
        inference_config,
        tool_config,
        additional_model_request_fields,
        guardrail: guardrail(request, options),
    };
    Ok(ChatTranslation { parts, structured_tool })
}

/// The client's tools (none when `tool_choice` is `"none"`) plus the response-format tool.
fn offered_tools(
    request: &ChatCompletionRequest,
    structured: Option<&StructuredOutput>,
    caps: &Capabilities,
) -> Vec<Tool> {
    let mut tools = match request.tool_choice {
        Some(ToolChoice::None) => Vec::new(),
        _ => request.tools.clone().unwrap_or_default(),
    };
    if let (Some(format), true) = (structured, caps.tool_use) {
        tools.push(format.tool.clone());
    }
    tools
}

/// With a response format, the model must answer through a tool: its own when it is the only
/// one, any tool when the client offered others.
fn tool_choice(request: &ChatCompletionRequest, structured_tool: Option<&str>, offered: usize) -> Option<ToolChoice> {
    match structured_tool {
        Some(name) if offered == 1 => Some(ToolChoice::Function(name.to_owned())),
        Some(_) => Some(ToolChoice::Required),
        None => request.tool_choice.clone(),
    }
}

fn cache_plan(request: &ChatCompletionRequest, default: bool) -> CachePlan {
    let asked = request.extra.prompt_caching.unwrap_or_default();
    CachePlan { system: asked.system.unwrap_or(default), messages: asked.messages.unwrap_or(default) }
}

fn guardrail(request: &ChatCompletionRequest, options: &TranslateOptions<'_>) -> Option<Guardrail> {
    match &request.extra.guardrail_config {
        Some(asked) => Some(Guardrail {
            identifier: asked.guardrail_identifier.clone(),
            version: asked.guardrail_version.clone(),
            trace: asked.trace.as_deref().is_some_and(|t| t.eq_ignore_ascii_case("enabled")),
        }),
        None => options.guardrail.cloned(),
    }
}

fn append_to_last_user_turn(messages: &mut [Message], text: String) -> Result<(), TranslateError> {
    if let Some(last) = messages.iter_mut().rev().find(|m| m.role() == &ConversationRole::User) {
        let mut blocks = last.content().to_vec();
        blocks.push(ContentBlock::Text(text));
        *last = Message::builder().role(ConversationRole::User).set_content(Some(blocks)).build()?;
    }
    Ok(())
}

/// A 400 naming the first content part the model cannot take.
fn reject_parts(
    request: &ChatCompletionRequest,
    unsupported: fn(&ContentPart) -> bool,
    message: &'static str,
) -> Result<(), TranslateError> {
    for (i, message_i) in request.messages.iter().enumerate() {
        let Some(MessageContent::Parts(parts)) = &message_i.content else { continue };
        if let Some(j) = parts.iter().position(unsupported) {
            return Err(TranslateError::new(message, format!("messages[{i}].content[{j}]")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
