//! Responses request → chat request (then the chat translation does the rest).

use openai::responses::{InputItem, InputPart, ItemContent, ResponsesRequest, ResponsesTool, ResponsesToolChoice};
use openai::responses::{TextFormat, TextOrList};
use openai::{
    ChatCompletionRequest, ChatMessage, ContentPart, FilePart, FunctionCall, FunctionDefinition, ImageUrl,
    JsonSchemaFormat, MessageContent, ResponseFormat, Role, Tool, ToolCall, ToolChoice,
};

use super::sealed::unseal;
use crate::error::TranslateError;
use crate::request::{translate_chat_request, ChatTranslation, TranslateOptions};

/// The chat request standing for a Responses request, and where each of its messages and
/// tools came from (so errors name the Responses field).
#[derive(Debug, Clone)]
pub struct ChatConversion {
    pub request: ChatCompletionRequest,
    message_paths: Vec<String>,
    tool_paths: Vec<String>,
    /// Function name → the `namespace` group it came from.
    tool_namespaces: Vec<(String, String)>,
}

/// Converts the request; `history` (from `previous_response_id`) comes before `input`.
pub fn responses_to_chat(request: &ResponsesRequest, history: &[InputItem]) -> Result<ChatConversion, TranslateError> {
    let mut builder = Conversation::default();
    if let Some(instructions) = &request.instructions {
        builder.push(system(instructions), "instructions".to_owned());
    }
    for item in history {
        builder.item(item, "previous_response_id")?;
    }
    match &request.input {
        Some(TextOrList::Text(text)) => builder.push(user(text), "input".to_owned()),
        Some(TextOrList::List(items)) => {
            for (i, item) in items.iter().enumerate() {
                builder.item(item, &format!("input[{i}]"))?;
            }
        }
        None => {}
    }
    builder.flush();
    let Flattened { tools, paths: tool_paths, namespaces } =
        flatten_tools(request.tools.as_deref().unwrap_or_default())?;
    let chat = ChatCompletionRequest {
        model: request.model.clone(),
        messages: builder.messages,
        temperature: request.temperature,
        top_p: request.top_p,
        max_completion_tokens: request.max_output_tokens,
        tools: (!tools.is_empty()).then_some(tools),
        tool_choice: request.tool_choice.as_ref().map(tool_choice),
        parallel_tool_calls: request.parallel_tool_calls,
        reasoning_effort: request.reasoning.as_ref().and_then(|r| r.effort),
        response_format: request.text.as_ref().and_then(|t| t.format.as_ref()).map(response_format),
        user: request.user.clone(),
        extra: request.extra.clone(),
        ..ChatCompletionRequest::default()
    };
    Ok(ChatConversion { request: chat, message_paths: builder.paths, tool_paths, tool_namespaces: namespaces })
}

/// The chat translation of a converted request, with errors naming Responses fields.
pub fn translate_converted(
    conversion: &ChatConversion,
    options: &TranslateOptions<'_>,
) -> Result<ChatTranslation, TranslateError> {
    translate_chat_request(&conversion.request, options).map_err(|mut error| {
        error.param = error.param.map(|param| conversion.responses_param(&param));
        error
    })
}

impl ChatConversion {
    /// Function name → `namespace` group, for the function calls of the answer.
    pub fn tool_namespaces(&self) -> &[(String, String)] {
        &self.tool_namespaces
    }

    /// `messages[3].content[1]` → `input[2].content[1]`, `max_completion_tokens` →
    /// `max_output_tokens`… (the chat names mean nothing to a Responses client).
    pub fn responses_param(&self, param: &str) -> String {
        if let Some(mapped) = indexed(param, "messages[", &self.message_paths) {
            // Chat nests the URL (`image_url.url`); Responses has it flat.
            return mapped.replace(".image_url.url", ".image_url");
        }
        if let Some(mapped) = indexed(param, "tools[", &self.tool_paths) {
            return mapped.replace(".function", "");
        }
        let renamed = match param {
            "max_completion_tokens" | "max_tokens" => "max_output_tokens",
            "response_format" => "text.format",
            "reasoning_effort" => "reasoning.effort",
            "messages" => "input",
            other => other,
        };
        renamed.to_owned()
    }
}

/// Replaces the `name[i]` head of `param` by `paths[i]`; item-level suffixes that have no
/// counterpart (merged tool calls, thinking blocks) are dropped.
fn indexed(param: &str, head: &str, paths: &[String]) -> Option<String> {
    let rest = param.strip_prefix(head)?;
    let (index, suffix) = rest.split_once(']')?;
    let path = paths.get(index.parse::<usize>().ok()?)?;
    if suffix.starts_with(".tool_calls") || suffix.starts_with(".thinking_blocks") {
        return Some(path.clone());
    }
    Some(format!("{path}{suffix}"))
}

/// Chat messages being built; assistant items (reasoning, text, calls) gather into one turn.
#[derive(Default)]
struct Conversation {
    messages: Vec<ChatMessage>,
    paths: Vec<String>,
    assistant: Option<(ChatMessage, String)>,
}

impl Conversation {
    fn push(&mut self, message: ChatMessage, path: String) {
        self.flush();
        self.messages.push(message);
        self.paths.push(path);
    }

    fn flush(&mut self) {
        if let Some((message, path)) = self.assistant.take() {
            self.messages.push(message);
            self.paths.push(path);
        }
    }

    /// The open assistant turn; a reasoning item after text or calls starts a new one.
    fn assistant_turn(&mut self, path: &str, starts_turn: bool) -> &mut ChatMessage {
        let done = self.assistant.as_ref().is_some_and(|(m, _)| m.content.is_some() || m.tool_calls.is_some());
        if starts_turn && done {
            self.flush();
        }
        let (message, _) = self.assistant.get_or_insert_with(|| (ChatMessage::new(Role::Assistant), path.to_owned()));
        message
    }

    fn item(&mut self, item: &InputItem, path: &str) -> Result<(), TranslateError> {
        match item.kind.as_deref().unwrap_or("message") {
            "message" => self.message(item, path),
            "function_call" => {
                let call = function_call(item, path)?;
                self.assistant_turn(path, false).tool_calls.get_or_insert_with(Vec::new).push(call);
                Ok(())
            }
            "function_call_output" => {
                let message = function_output(item, path)?;
                self.push(message, path.to_owned());
                Ok(())
            }
            "reasoning" => self.reasoning(item, path),
            "item_reference" => Err(TranslateError::new(
                "item_reference items are not supported: send the item itself or use previous_response_id",
                format!("{path}.type"),
            )),
            other => Err(TranslateError::new(
                format!("input items of type `{other}` are not supported by this gateway"),
                format!("{path}.type"),
            )),
        }
    }

    fn message(&mut self, item: &InputItem, path: &str) -> Result<(), TranslateError> {
        let role = message_role(item.role.as_deref(), path)?;
        let content = match &item.content {
            Some(content) => message_content(content, &format!("{path}.content"))?,
            None => return Err(TranslateError::new("a message needs `content`", format!("{path}.content"))),
        };
        if role != Role::Assistant {
            let message = ChatMessage { content: Some(content), ..ChatMessage::new(role) };
            self.push(message, path.to_owned());
            return Ok(());
        }
        let turn = self.assistant_turn(path, false);
        turn.content = Some(match turn.content.take() {
            Some(before) => join_content(before, content),
            None => content,
        });
        Ok(())
    }

    fn reasoning(&mut self, item: &InputItem, path: &str) -> Result<(), TranslateError> {
        let blocks = match &item.encrypted_content {
            Some(sealed) => unseal(sealed).ok_or_else(|| {
                TranslateError::new(
                    "encrypted_content was not produced by this gateway",
                    format!("{path}.encrypted_content"),
                )
            })?,
            // Unsigned reasoning cannot be sent back to Bedrock; it is history only.
            None => return Ok(()),
        };
        self.assistant_turn(path, true).thinking_blocks.get_or_insert_with(Vec::new).extend(blocks);
        Ok(())
    }
}

fn system(text: &str) -> ChatMessage {
    ChatMessage { content: Some(MessageContent::Text(text.to_owned())), ..ChatMessage::new(Role::System) }
}

fn user(text: &str) -> ChatMessage {
    ChatMessage { content: Some(MessageContent::Text(text.to_owned())), ..ChatMessage::new(Role::User) }
}

fn message_role(role: Option<&str>, path: &str) -> Result<Role, TranslateError> {
    match role {
        Some("user") => Ok(Role::User),
        Some("system" | "developer") => Ok(Role::System),
        Some("assistant") => Ok(Role::Assistant),
        _ => Err(TranslateError::new(
            "a message's role must be user, system, developer or assistant",
            format!("{path}.role"),
        )),
    }
}

fn join_content(before: MessageContent, after: MessageContent) -> MessageContent {
    let mut parts = into_parts(before);
    parts.extend(into_parts(after));
    MessageContent::Parts(parts)
}

fn into_parts(content: MessageContent) -> Vec<ContentPart> {
    match content {
        MessageContent::Text(text) => vec![ContentPart::Text { text, cache_control: None }],
        MessageContent::Parts(parts) => parts,
    }
}

fn message_content(content: &ItemContent, path: &str) -> Result<MessageContent, TranslateError> {
    match content {
        TextOrList::Text(text) => Ok(MessageContent::Text(text.clone())),
        TextOrList::List(parts) => {
            let parts = parts.iter().enumerate().map(|(j, part)| content_part(part, &format!("{path}[{j}]")));
            Ok(MessageContent::Parts(parts.collect::<Result<_, _>>()?))
        }
    }
}

fn content_part(part: &InputPart, path: &str) -> Result<ContentPart, TranslateError> {
    let text = |text: &str| ContentPart::Text { text: text.to_owned(), cache_control: None };
    match part {
        InputPart::InputText { text: t } | InputPart::OutputText { text: t } => Ok(text(t)),
        InputPart::Refusal { refusal } => Ok(text(refusal)),
        InputPart::InputImage { image_url: Some(url), detail, .. } => Ok(ContentPart::ImageUrl {
            image_url: ImageUrl { url: url.clone(), detail: detail.clone() },
            cache_control: None,
        }),
        InputPart::InputImage { .. } => Err(TranslateError::new(
            "input_image needs `image_url` (an http(s) or data URL): this gateway has no Files API",
            format!("{path}.image_url"),
        )),
        InputPart::InputFile { file_data: Some(data), filename, .. } => Ok(ContentPart::File {
            file: FilePart { file_data: Some(data.clone()), file_id: None, filename: filename.clone() },
        }),
        InputPart::InputFile { .. } => Err(TranslateError::new(
            "input_file needs `file_data` (a base64 data URL): file_id and file_url are not supported",
            format!("{path}.file_data"),
        )),
        InputPart::ReasoningText { .. } | InputPart::SummaryText { .. } => Err(TranslateError::new(
            "reasoning text belongs in a reasoning item, not in a message",
            format!("{path}.type"),
        )),
    }
}

fn required<'a>(value: Option<&'a String>, field: &str, path: &str) -> Result<&'a String, TranslateError> {
    value.ok_or_else(|| TranslateError::new(format!("this item needs `{field}`"), format!("{path}.{field}")))
}

fn function_call(item: &InputItem, path: &str) -> Result<ToolCall, TranslateError> {
    let call_id = required(item.call_id.as_ref(), "call_id", path)?;
    let name = required(item.name.as_ref(), "name", path)?;
    Ok(ToolCall {
        id: call_id.clone(),
        kind: "function".to_owned(),
        function: FunctionCall { name: name.clone(), arguments: item.arguments.clone().unwrap_or_default() },
    })
}

fn function_output(item: &InputItem, path: &str) -> Result<ChatMessage, TranslateError> {
    let call_id = required(item.call_id.as_ref(), "call_id", path)?;
    let output = item
        .output
        .as_ref()
        .ok_or_else(|| TranslateError::new("this item needs `output`", format!("{path}.output")))?;
    Ok(ChatMessage {
        content: Some(message_content(output, &format!("{path}.output"))?),
        tool_call_id: Some(call_id.clone()),
        ..ChatMessage::new(Role::Tool)
    })
}

/// The function tools of a request, where each came from, and which namespace holds it.
#[derive(Default)]
struct Flattened {
    tools: Vec<Tool>,
    paths: Vec<String>,
    namespaces: Vec<(String, String)>,
}

/// Function tools, with `namespace` groups flattened; built-in tools are refused by name.
fn flatten_tools(tools: &[ResponsesTool]) -> Result<Flattened, TranslateError> {
    let mut flat = Flattened::default();
    for (i, tool) in tools.iter().enumerate() {
        add_tool(tool, format!("tools[{i}]"), &mut flat, None)?;
    }
    Ok(flat)
}

fn add_tool(
    tool: &ResponsesTool,
    path: String,
    flat: &mut Flattened,
    namespace: Option<&str>,
) -> Result<(), TranslateError> {
    match tool.kind.as_str() {
        "function" => add_function(tool, path, flat, namespace),
        "namespace" if namespace.is_none() => {
            let name = required(tool.name.as_ref(), "name", &path)?;
            for (j, inner) in tool.tools.iter().flatten().enumerate() {
                add_tool(inner, format!("{path}.tools[{j}]"), flat, Some(name))?;
            }
            Ok(())
        }
        other => Err(TranslateError::new(
            format!(
                "the built-in tool `{other}` is not supported by this gateway: only `function` tools \
                 (and `namespace` groups of them) can be served by Amazon Bedrock"
            ),
            format!("{path}.type"),
        )),
    }
}

/// Bedrock needs unique names: namespaces are flattened, so a name may be used only once.
fn add_function(
    tool: &ResponsesTool,
    path: String,
    flat: &mut Flattened,
    namespace: Option<&str>,
) -> Result<(), TranslateError> {
    let name = required(tool.name.as_ref(), "name", &path)?;
    if let Some(first) = flat.tools.iter().position(|t| &t.function.name == name) {
        let message = format!("the function name `{name}` is also used by {}: names must be unique", flat.paths[first]);
        return Err(TranslateError::new(message, format!("{path}.name")));
    }
    flat.tools.push(Tool {
        kind: "function".to_owned(),
        function: FunctionDefinition {
            name: name.clone(),
            description: tool.description.clone(),
            parameters: tool.parameters.clone(),
            strict: tool.strict,
        },
    });
    flat.paths.push(path);
    if let Some(namespace) = namespace {
        flat.namespaces.push((name.clone(), namespace.to_owned()));
    }
    Ok(())
}

fn tool_choice(choice: &ResponsesToolChoice) -> ToolChoice {
    match choice {
        ResponsesToolChoice::None => ToolChoice::None,
        ResponsesToolChoice::Auto => ToolChoice::Auto,
        ResponsesToolChoice::Required => ToolChoice::Required,
        ResponsesToolChoice::Function(name) => ToolChoice::Function(name.clone()),
    }
}

fn response_format(format: &TextFormat) -> ResponseFormat {
    match format {
        TextFormat::Text => ResponseFormat::Text,
        TextFormat::JsonObject => ResponseFormat::JsonObject,
        TextFormat::JsonSchema { name, description, schema, strict } => ResponseFormat::JsonSchema {
            json_schema: JsonSchemaFormat {
                name: name.clone(),
                description: description.clone(),
                schema: schema.clone(),
                strict: *strict,
            },
        },
    }
}

#[cfg(test)]
mod tests;
