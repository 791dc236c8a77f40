//! Request validation with the messages real Bedrock sends.

use base64::Engine;
use serde_json::Value;

use crate::catalog::{Caps, Model};
use crate::errors::ApiError;
use crate::wire::{ContentBlock, ConverseRequest, ImageBlock, InferenceConfig, Message, ToolConfig};

type Check = Result<(), ApiError>;

fn fail(message: impl Into<String>) -> Check {
    Err(ApiError::validation(message))
}

/// Validates a Converse / ConverseStream body against a model.
pub fn converse(req: &ConverseRequest, model: &Model, streaming: bool) -> Check {
    messages(&req.messages)?;
    for (i, message) in req.messages.iter().enumerate() {
        for (j, block) in message.content.iter().enumerate() {
            content_block(block, &format!("messages.{i}.content.{j}"), &model.caps)?;
        }
    }
    tool_pairs(req)?;
    system(req, &model.caps)?;
    if let Some(config) = &req.inference_config {
        inference(config, &model.caps)?;
    }
    if let Some(config) = &req.tool_config {
        tools(config, &model.caps, streaming)?;
    }
    thinking(req, model)
}

fn messages(messages: &[Message]) -> Check {
    let first_is_user = messages.first().is_some_and(|m| m.role == "user");
    if !first_is_user {
        return fail("A conversation must start with a user message. Try again with a conversation that starts with a user message.");
    }
    for (i, message) in messages.iter().enumerate() {
        if message.role != "user" && message.role != "assistant" {
            return fail(format!("1 validation error detected: Value '{}' at 'messages.{i}.member.role' failed to satisfy constraint: Member must satisfy enum value set: [user, assistant]", message.role));
        }
        if i > 0 && messages[i - 1].role == message.role {
            return fail("A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again.");
        }
        if message.content.is_empty() {
            return fail(format!("The content field in the Message object at messages.{i} is empty. Add a ContentBlock object to the content field and try again."));
        }
    }
    Ok(())
}

fn content_block(block: &ContentBlock, at: &str, caps: &Caps) -> Check {
    if block.member_count() != 1 {
        return fail(format!("The ContentBlock object at {at} must set exactly one of its members."));
    }
    if block.text.as_deref().is_some_and(|t| t.trim().is_empty()) {
        return fail(format!(
            "The text field in the ContentBlock object at {at} is blank. Add text to the text field, and try again."
        ));
    }
    if let Some(image) = &block.image {
        if !caps.images {
            return fail("This model doesn't support the image content block that you provided. Try again with a supported content block.");
        }
        image_block(image, at)?;
    }
    if let Some(document) = &block.document {
        if !caps.documents {
            return fail("This model doesn't support documents. Try again without a document content block.");
        }
        if document.name.as_deref().is_none_or(str::is_empty) || document.format.is_none() {
            return fail(format!("The document block at {at} must have a name and a format."));
        }
    }
    Ok(())
}

/// The image format the bytes really are, from their magic numbers.
pub fn sniff_image(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("gif")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("webp")
    } else {
        None
    }
}

fn image_block(image: &ImageBlock, at: &str) -> Check {
    if !["png", "jpeg", "gif", "webp"].contains(&image.format.as_str()) {
        return fail(format!("1 validation error detected: Value '{}' at '{at}.member.image.format' failed to satisfy constraint: Member must satisfy enum value set: [png, jpeg, gif, webp]", image.format));
    }
    let Some(encoded) = &image.source.bytes else {
        return match image.source.s3_location {
            Some(_) => Ok(()),
            None => fail(format!("The image source at {at} must set bytes or s3Location.")),
        };
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|_| ApiError::validation(format!("The image bytes at {at} are not valid base64.")))?;
    match sniff_image(&bytes) {
        Some(actual) if actual == image.format => Ok(()),
        Some(actual) => fail(format!("The format of the image at {at} is {actual}, but the request declares {}. Make sure the format field matches the image bytes and try again.", image.format)),
        None => fail(format!("Could not process image: the image bytes at {at} are not a valid {} image.", image.format)),
    }
}

fn tool_use_ids(message: &Message) -> Vec<&str> {
    let uses = message.content.iter().filter_map(|b| b.tool_use.as_ref());
    uses.map(|u| u.tool_use_id.as_str()).collect()
}

fn tool_pairs(req: &ConverseRequest) -> Check {
    let mut uses_tools = false;
    for (i, message) in req.messages.iter().enumerate() {
        let results: Vec<&str> =
            message.content.iter().filter_map(|b| b.tool_result.as_ref().map(|r| r.tool_use_id.as_str())).collect();
        uses_tools |= !results.is_empty() || !tool_use_ids(message).is_empty();
        let previous = if i > 0 { tool_use_ids(&req.messages[i - 1]) } else { vec![] };
        if let Some(id) = results.iter().find(|id| !previous.contains(id)) {
            return fail(format!("The toolResult block with toolUseId {id} at messages.{i}.content doesn't match any toolUse block in the previous assistant turn."));
        }
        let missing: Vec<&str> = previous.iter().filter(|id| !results.contains(id)).copied().collect();
        if message.role == "user" && !missing.is_empty() {
            return fail(format!(
                "Expected toolResult blocks at messages.{i}.content for the following Ids: {}",
                missing.join(", ")
            ));
        }
    }
    if uses_tools && req.tool_config.is_none() {
        return fail("The toolConfig field must be defined when using toolUse and toolResult content blocks.");
    }
    Ok(())
}

fn system(req: &ConverseRequest, caps: &Caps) -> Check {
    if req.system.is_empty() {
        return Ok(());
    }
    if !caps.system {
        return fail("This model doesn't support system messages. Try again without system messages.");
    }
    for (i, block) in req.system.iter().enumerate() {
        if block.text.as_deref().is_some_and(|t| t.trim().is_empty()) {
            return fail(format!("The text field in the SystemContentBlock object at system.{i} is blank. Add text to the text field, and try again."));
        }
    }
    Ok(())
}

fn constraint(value: impl std::fmt::Display, at: &str, rule: &str) -> Check {
    fail(format!(
        "1 validation error detected: Value '{value}' at '{at}' failed to satisfy constraint: Member must {rule}"
    ))
}

fn inference(config: &InferenceConfig, caps: &Caps) -> Check {
    if let Some(max) = config.max_tokens.filter(|m| *m < 1) {
        return constraint(max, "inferenceConfig.maxTokens", "have value greater than or equal to 1");
    }
    for (value, at) in [(config.temperature, "temperature"), (config.top_p, "topP")] {
        match value {
            Some(v) if v < 0.0 => {
                return constraint(v, &format!("inferenceConfig.{at}"), "have value greater than or equal to 0")
            }
            Some(v) if v > 1.0 => {
                return constraint(v, &format!("inferenceConfig.{at}"), "have value less than or equal to 1")
            }
            _ => {}
        }
    }
    if caps.exclusive_sampling && config.temperature.is_some() && config.top_p.is_some() {
        return fail("The model returned the following errors: `temperature` and `top_p` cannot both be specified for this model. Please use only one.");
    }
    let stops = config.stop_sequences.as_deref().unwrap_or_default();
    if stops.len() > 4 {
        return constraint(stops.len(), "inferenceConfig.stopSequences", "have length less than or equal to 4");
    }
    if stops.iter().any(String::is_empty) {
        return fail("The stop sequences in inferenceConfig.stopSequences must not be empty.");
    }
    Ok(())
}

fn tool_name_ok(name: &str) -> bool {
    (1..=64).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn tools(config: &ToolConfig, caps: &Caps, streaming: bool) -> Check {
    if !caps.tools {
        return fail("This model doesn't support tool use.");
    }
    if streaming && !caps.stream_tools {
        return fail("This model doesn't support tool use in streaming mode.");
    }
    if config.tools.is_empty() {
        return constraint("[]", "toolConfig.tools", "have length greater than or equal to 1");
    }
    let mut names = Vec::new();
    for (i, spec) in config.tools.iter().enumerate().filter_map(|(i, t)| Some((i, t.tool_spec.as_ref()?))) {
        if !tool_name_ok(&spec.name) {
            return constraint(
                &spec.name,
                &format!("toolConfig.tools.{i}.member.toolSpec.name"),
                "satisfy regular expression pattern: [a-zA-Z0-9_-]+",
            );
        }
        if spec.description.as_deref().is_some_and(str::is_empty) {
            return constraint(
                "",
                &format!("toolConfig.tools.{i}.member.toolSpec.description"),
                "have length greater than or equal to 1",
            );
        }
        if !spec.input_schema.json.as_ref().is_some_and(Value::is_object) {
            return fail(format!("The inputSchema.json of the tool at toolConfig.tools.{i} must be a JSON object."));
        }
        if names.contains(&spec.name.as_str()) {
            return fail(format!(
                "The tool name {} is used more than once in toolConfig.tools. Tool names must be unique.",
                spec.name
            ));
        }
        names.push(spec.name.as_str());
    }
    tool_choice(config, caps, &names)
}

fn tool_choice(config: &ToolConfig, caps: &Caps, names: &[&str]) -> Check {
    let Some(choice) = &config.tool_choice else {
        return Ok(());
    };
    let forced = choice.any.is_some() || choice.tool.is_some();
    if forced && !caps.tool_choice {
        return fail("This model doesn't support the toolChoice field. Remove toolChoice and try again.");
    }
    match &choice.tool {
        Some(tool) if !names.contains(&tool.name.as_str()) => {
            fail(format!("The tool {} named in toolConfig.toolChoice isn't defined in toolConfig.tools.", tool.name))
        }
        _ => Ok(()),
    }
}

/// The `thinking` (or `reasoning_config`) object of additionalModelRequestFields.
pub fn thinking_config(req: &ConverseRequest) -> Option<&Value> {
    let fields = req.additional_model_request_fields.as_ref()?;
    fields.get("thinking").or_else(|| fields.get("reasoning_config"))
}

/// Whether the request enables extended thinking.
pub fn thinking_enabled(req: &ConverseRequest) -> bool {
    thinking_config(req).is_some_and(|t| t.get("type").and_then(Value::as_str) == Some("enabled"))
}

fn thinking(req: &ConverseRequest, model: &Model) -> Check {
    let Some(config) = thinking_config(req) else {
        return Ok(());
    };
    let errors = "The model returned the following errors:";
    if !model.caps.thinking {
        return fail(format!("{errors} thinking: Extra inputs are not permitted"));
    }
    if !thinking_enabled(req) {
        return Ok(());
    }
    let budget = config.get("budget_tokens").and_then(Value::as_i64).unwrap_or(0);
    if budget < 1024 {
        return fail(format!("{errors} thinking.enabled.budget_tokens: Input should be greater than or equal to 1024"));
    }
    let inference = req.inference_config.clone().unwrap_or_default();
    if inference.max_tokens.is_some_and(|max| max <= budget) {
        return fail(format!("{errors} `max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size"));
    }
    if inference.temperature.is_some_and(|t| (t - 1.0).abs() > f64::EPSILON) {
        return fail(format!("{errors} `temperature` may only be set to 1 when thinking is enabled. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#feature-compatibility"));
    }
    if inference.top_p.is_some() {
        return fail(format!("{errors} `top_p` must be unset when thinking is enabled. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#feature-compatibility"));
    }
    let forced = req
        .tool_config
        .as_ref()
        .and_then(|c| c.tool_choice.as_ref())
        .is_some_and(|c| c.tool.is_some() || c.any.is_some());
    if forced {
        return fail(format!("{errors} Thinking may not be enabled when tool_choice forces tool use."));
    }
    thinking_tool_history(req, errors)
}

/// With thinking on, the assistant turn that called tools must come back starting with its
/// (signed) thinking block — the failure of gateways that drop reasoning between turns.
fn thinking_tool_history(req: &ConverseRequest, errors: &str) -> Check {
    let Some(last_assistant) = req.messages.iter().rev().find(|m| m.role == "assistant") else { return Ok(()) };
    if !last_assistant.content.iter().any(|b| b.tool_use.is_some()) {
        return Ok(());
    }
    match last_assistant.content.first() {
        Some(first) if first.reasoning_content.is_some() => Ok(()),
        Some(first) => {
            let found = if first.tool_use.is_some() { "tool_use" } else { "text" };
            fail(format!("{errors} messages.1.content.0.type: Expected `thinking` or `redacted_thinking`, but found `{found}`. When `thinking` is enabled, a final `assistant` message must start with a thinking block (preceeding the lastmost set of `tool_use` and `tool_result` blocks). We recommend you include thinking blocks from previous turns."))
        }
        None => Ok(()),
    }
}

#[cfg(test)]
#[path = "validate_tests.rs"]
mod tests;
