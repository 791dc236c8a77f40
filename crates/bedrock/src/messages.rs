//! OpenAI messages → Converse `system` and alternating `messages`.
//!
//! Rules (each tested below): system/developer messages anywhere are gathered into
//! `system`; blank text is never sent; consecutive turns of the same Converse role are
//! merged (tool results become user turns); the conversation must start with a user turn;
//! every tool result must answer a tool call of the latest assistant message.

use aws_sdk_bedrockruntime::types::{
    ContentBlock, ConversationRole, Message, ReasoningContentBlock, ReasoningTextBlock, SystemContentBlock,
    ToolResultBlock, ToolResultContentBlock, ToolUseBlock,
};
use aws_smithy_types::Blob;
use base64::Engine as _;
use openai::{ChatMessage, ContentPart, MessageContent, Role, ThinkingBlock, ToolCall};

use crate::content::{cache_point, content_blocks, has_cache_control, image_block, is_blank};
use crate::document::to_document;
use crate::error::TranslateError;

/// The translated conversation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Conversation {
    pub system: Vec<SystemContentBlock>,
    pub messages: Vec<Message>,
    /// Names of tools called in the history: Bedrock needs a toolConfig naming them
    /// even when the request has no `tools`.
    pub history_tool_names: Vec<String>,
}

/// One Converse turn under construction, remembering where it came from for errors.
struct Turn {
    role: ConversationRole,
    blocks: Vec<ContentBlock>,
    first_index: usize,
}

/// How the conversation must be shaped for the target model and request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConversationOptions {
    /// Put system text at the start of the first user turn (models without system prompts).
    pub fold_system: bool,
    /// No tool is offered (none given, or `tool_choice: "none"`): earlier tool calls and
    /// results become plain text, so the model cannot call a tool and Bedrock needs no toolConfig.
    pub tools_as_text: bool,
    /// Turn `cache_control` parts into cache points (models with prompt caching).
    pub cache_points: bool,
    /// The model rejects a trailing assistant turn: append a user turn asking to continue.
    pub no_prefill: bool,
}

/// Appended when a model cannot take a trailing assistant turn (as the reference does).
pub const CONTINUE_PROMPT: &str = "Please continue your response from where you left off.";

/// Translates the conversation.
pub fn translate_messages(
    messages: &[ChatMessage],
    options: ConversationOptions,
) -> Result<Conversation, TranslateError> {
    let mut builder = ConversationBuilder { options, ..ConversationBuilder::default() };
    for (index, message) in messages.iter().enumerate() {
        builder.push(index, message)?;
    }
    builder.finish()
}

#[derive(Default)]
struct ConversationBuilder {
    options: ConversationOptions,
    /// System text and the cache points that follow marked parts, in order.
    system: Vec<SystemContentBlock>,
    turns: Vec<Turn>,
    latest_tool_call_ids: Vec<String>,
    history_tool_names: Vec<String>,
}

impl ConversationBuilder {
    fn push(&mut self, index: usize, message: &ChatMessage) -> Result<(), TranslateError> {
        let path = format!("messages[{index}]");
        match message.role {
            Role::System => {
                let content = required_content(message, &path)?;
                let blocks = system_blocks(content, self.options.cache_points)?;
                push_system(&mut self.system, blocks);
            }
            Role::User => {
                let content = required_content(message, &path)?;
                let blocks = content_blocks(content, &format!("{path}.content"), self.options.cache_points)?;
                self.add(ConversationRole::User, blocks, index);
            }
            Role::Assistant => {
                let blocks = self.assistant_blocks(message, &path)?;
                self.add(ConversationRole::Assistant, blocks, index);
            }
            Role::Tool => {
                let block = if self.options.tools_as_text {
                    self.tool_result_text(message, &path)?
                } else {
                    self.tool_result(message, &path)?
                };
                let mut blocks = vec![block];
                if self.options.cache_points && marks_cache(required_content(message, &path)?) {
                    blocks.push(ContentBlock::CachePoint(cache_point()?));
                }
                self.add(ConversationRole::User, blocks, index);
            }
            Role::Function => {
                return Err(TranslateError::new(
                    "legacy `function` messages are not supported; use `tool` messages",
                    format!("{path}.role"),
                ))
            }
        }
        Ok(())
    }

    fn add(&mut self, role: ConversationRole, blocks: Vec<ContentBlock>, index: usize) {
        if blocks.is_empty() {
            return;
        }
        match self.turns.last_mut() {
            Some(last) if last.role == role => last.blocks.extend(blocks),
            _ => self.turns.push(Turn { role, blocks, first_index: index }),
        }
    }

    fn assistant_blocks(&mut self, message: &ChatMessage, path: &str) -> Result<Vec<ContentBlock>, TranslateError> {
        // Signed reasoning must come first in the turn, as Claude produced it.
        let mut blocks = reasoning_blocks(message.thinking_blocks.as_deref().unwrap_or_default(), path)?;
        if let Some(content) = &message.content {
            blocks.extend(content_blocks(content, &format!("{path}.content"), self.options.cache_points)?);
        }
        self.latest_tool_call_ids.clear();
        for (i, call) in message.tool_calls.iter().flatten().enumerate() {
            let call_path = format!("{path}.tool_calls[{i}]");
            let block = tool_use_block(call, &call_path)?;
            self.latest_tool_call_ids.push(call.id.clone());
            if self.options.tools_as_text {
                blocks.push(ContentBlock::Text(tool_call_text(call, &block)));
                continue;
            }
            if !self.history_tool_names.contains(&call.function.name) {
                self.history_tool_names.push(call.function.name.clone());
            }
            blocks.push(ContentBlock::ToolUse(block));
        }
        Ok(blocks)
    }

    fn tool_result_text(&self, message: &ChatMessage, path: &str) -> Result<ContentBlock, TranslateError> {
        let id = self.answered_call_id(message, path)?;
        let text = required_content(message, path)?.joined_text();
        Ok(ContentBlock::Text(format!("[result of tool call {id}]\n{text}")))
    }

    fn answered_call_id<'m>(&self, message: &'m ChatMessage, path: &str) -> Result<&'m str, TranslateError> {
        let id = message
            .tool_call_id
            .as_deref()
            .ok_or_else(|| TranslateError::new("tool messages need a tool_call_id", format!("{path}.tool_call_id")))?;
        if !self.latest_tool_call_ids.iter().any(|known| known == id) {
            return Err(TranslateError::new(
                "this tool message answers no tool call of the preceding assistant message",
                format!("{path}.tool_call_id"),
            ));
        }
        Ok(id)
    }

    fn tool_result(&self, message: &ChatMessage, path: &str) -> Result<ContentBlock, TranslateError> {
        let id = self.answered_call_id(message, path)?;
        let content = tool_result_content(required_content(message, path)?, &format!("{path}.content"))?;
        Ok(ContentBlock::ToolResult(ToolResultBlock::builder().tool_use_id(id).set_content(Some(content)).build()?))
    }

    fn finish(self) -> Result<Conversation, TranslateError> {
        let mut turns = self.turns;
        let first = turns.first().ok_or_else(|| {
            TranslateError::new("messages must contain at least one non-empty user message", "messages")
        })?;
        if first.role != ConversationRole::User {
            return Err(TranslateError::new(
                "the conversation must start with a user message (after any system messages)",
                format!("messages[{}].role", first.first_index),
            ));
        }
        if self.options.no_prefill && turns.last().is_some_and(|t| t.role == ConversationRole::Assistant) {
            let first_index = turns.len();
            turns.push(Turn {
                role: ConversationRole::User,
                blocks: vec![ContentBlock::Text(CONTINUE_PROMPT.to_owned())],
                first_index,
            });
        }
        let mut system = self.system;
        if self.options.fold_system {
            let texts: Vec<&str> = system.iter().filter_map(|b| b.as_text().ok().map(String::as_str)).collect();
            if !texts.is_empty() {
                turns[0].blocks.insert(0, ContentBlock::Text(texts.join("\n\n")));
            }
            system = Vec::new();
        }
        let messages = turns
            .into_iter()
            .map(|turn| Message::builder().role(turn.role).set_content(Some(turn.blocks)).build())
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Conversation { system, messages, history_tool_names: self.history_tool_names })
    }
}

/// A system message as Converse system blocks: its text parts joined, split after each
/// part marked with `cache_control` by a cache point (coding agents mark their long prompt).
fn system_blocks(content: &MessageContent, cache_points: bool) -> Result<Vec<SystemContentBlock>, TranslateError> {
    let MessageContent::Parts(parts) = content else {
        return Ok(system_text(vec![content.joined_text().as_str()]).into_iter().collect());
    };
    let mut blocks = Vec::new();
    let mut pending: Vec<&str> = Vec::new();
    for part in parts {
        if let ContentPart::Text { text, .. } = part {
            pending.push(text);
        }
        if cache_points && has_cache_control(part) {
            blocks.extend(system_text(std::mem::take(&mut pending)));
            blocks.push(SystemContentBlock::CachePoint(cache_point()?));
        }
    }
    blocks.extend(system_text(pending));
    Ok(blocks)
}

fn system_text(texts: Vec<&str>) -> Option<SystemContentBlock> {
    let text = texts.join("\n");
    (!is_blank(&text)).then_some(SystemContentBlock::Text(text))
}

/// Appends system blocks; a cache point needs content before it and is never doubled.
fn push_system(system: &mut Vec<SystemContentBlock>, blocks: Vec<SystemContentBlock>) {
    for block in blocks {
        let after_content = system.last().is_some_and(|last| !last.is_cache_point());
        if after_content || !block.is_cache_point() {
            system.push(block);
        }
    }
}

fn marks_cache(content: &MessageContent) -> bool {
    matches!(content, MessageContent::Parts(parts) if parts.iter().any(has_cache_control))
}

fn required_content<'a>(message: &'a ChatMessage, path: &str) -> Result<&'a MessageContent, TranslateError> {
    message
        .content
        .as_ref()
        .ok_or_else(|| TranslateError::new("this message needs `content`", format!("{path}.content")))
}

/// Thinking blocks sent back by the client. Unsigned reasoning is dropped: Bedrock only
/// accepts reasoning it signed, and the model does not need it.
fn reasoning_blocks(blocks: &[ThinkingBlock], path: &str) -> Result<Vec<ContentBlock>, TranslateError> {
    let mut out = Vec::with_capacity(blocks.len());
    for (i, block) in blocks.iter().enumerate() {
        let reasoning = match block {
            ThinkingBlock::Thinking { thinking, signature: Some(signature) } => ReasoningContentBlock::ReasoningText(
                ReasoningTextBlock::builder().text(thinking).signature(signature).build()?,
            ),
            ThinkingBlock::Thinking { signature: None, .. } => continue,
            ThinkingBlock::RedactedThinking { data } => {
                let bytes = base64::engine::general_purpose::STANDARD.decode(data).map_err(|_| {
                    TranslateError::new(
                        "redacted thinking data must be base64",
                        format!("{path}.thinking_blocks[{i}].data"),
                    )
                })?;
                ReasoningContentBlock::RedactedContent(Blob::new(bytes))
            }
        };
        out.push(ContentBlock::ReasoningContent(reasoning));
    }
    Ok(out)
}

fn tool_call_text(call: &ToolCall, block: &ToolUseBlock) -> String {
    format!("[tool call {} {}({})]", call.id, call.function.name, crate::document::to_value(block.input()))
}

fn tool_use_block(call: &ToolCall, path: &str) -> Result<ToolUseBlock, TranslateError> {
    let arguments = call.function.arguments.trim();
    let input = if arguments.is_empty() {
        serde_json::Value::Object(serde_json::Map::new())
    } else {
        serde_json::from_str::<serde_json::Value>(arguments).map_err(|_| {
            TranslateError::new("function arguments must be valid JSON", format!("{path}.function.arguments"))
        })?
    };
    if !input.is_object() {
        return Err(TranslateError::new(
            "function arguments must be a JSON object",
            format!("{path}.function.arguments"),
        ));
    }
    Ok(ToolUseBlock::builder().tool_use_id(&call.id).name(&call.function.name).input(to_document(&input)).build()?)
}

/// Placeholder for an empty tool result: Bedrock rejects blank text.
const EMPTY_TOOL_RESULT: &str = "(no output)";

fn tool_result_content(content: &MessageContent, path: &str) -> Result<Vec<ToolResultContentBlock>, TranslateError> {
    let mut blocks = Vec::new();
    match content {
        MessageContent::Text(text) if !is_blank(text) => blocks.push(ToolResultContentBlock::Text(text.clone())),
        MessageContent::Text(_) => {}
        MessageContent::Parts(parts) => {
            for (i, part) in parts.iter().enumerate() {
                match part {
                    ContentPart::Text { text, .. } if !is_blank(text) => {
                        blocks.push(ToolResultContentBlock::Text(text.clone()));
                    }
                    ContentPart::ImageUrl { image_url, .. } => blocks.push(ToolResultContentBlock::Image(image_block(
                        &image_url.url,
                        &format!("{path}[{i}].image_url.url"),
                    )?)),
                    _ => {}
                }
            }
        }
    }
    if blocks.is_empty() {
        blocks.push(ToolResultContentBlock::Text(EMPTY_TOOL_RESULT.to_owned()));
    }
    Ok(blocks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const PLAIN: ConversationOptions =
        ConversationOptions { fold_system: false, tools_as_text: false, cache_points: false, no_prefill: false };

    fn parse(messages: serde_json::Value) -> Vec<ChatMessage> {
        serde_json::from_value(messages).unwrap()
    }

    fn texts(message: &Message) -> Vec<&str> {
        message.content().iter().filter_map(|b| b.as_text().ok().map(String::as_str)).collect()
    }

    #[test]
    fn system_messages_anywhere_are_gathered() {
        let conv = translate_messages(
            &parse(json!([
                {"role":"system","content":"a"},
                {"role":"user","content":"hi"},
                {"role":"developer","content":[{"type":"text","text":"b"}]},
                {"role":"system","content":"  "}
            ])),
            PLAIN,
        )
        .unwrap();
        assert_eq!(conv.system, vec![SystemContentBlock::Text("a".into()), SystemContentBlock::Text("b".into())]);
        assert_eq!(conv.messages.len(), 1);
    }

    #[test]
    fn consecutive_same_role_turns_merge() {
        let conv = translate_messages(
            &parse(json!([
                {"role":"user","content":"a"},
                {"role":"user","content":"b"},
                {"role":"assistant","content":"c"},
                {"role":"assistant","content":""},
                {"role":"user","content":"d"}
            ])),
            PLAIN,
        )
        .unwrap();
        assert_eq!(conv.messages.len(), 3);
        assert_eq!(texts(&conv.messages[0]), vec!["a", "b"]);
        assert_eq!(conv.messages[1].role(), &ConversationRole::Assistant);
    }

    #[test]
    fn blank_messages_are_dropped_then_merged() {
        let conv = translate_messages(
            &parse(json!([
                {"role":"user","content":"a"},
                {"role":"assistant","content":"   "},
                {"role":"user","content":"b"}
            ])),
            PLAIN,
        )
        .unwrap();
        assert_eq!(conv.messages.len(), 1);
        assert_eq!(texts(&conv.messages[0]), vec!["a", "b"]);
    }

    #[test]
    fn tool_calls_and_results_round_trip() {
        let conv = translate_messages(
            &parse(json!([
                {"role":"user","content":"weather?"},
                {"role":"assistant","content":"checking","tool_calls":[
                    {"id":"t1","type":"function","function":{"name":"get","arguments":"{\"city\":\"Paris\"}"}},
                    {"id":"t2","type":"function","function":{"name":"get","arguments":""}}]},
                {"role":"tool","tool_call_id":"t1","content":"sunny"},
                {"role":"tool","tool_call_id":"t2","content":""}
            ])),
            PLAIN,
        )
        .unwrap();
        assert_eq!(conv.messages.len(), 3);
        let assistant = &conv.messages[1];
        assert_eq!(assistant.content().len(), 3);
        let tool_use = assistant.content()[1].as_tool_use().unwrap();
        assert_eq!(crate::document::to_value(tool_use.input()), json!({"city":"Paris"}));
        let results = conv.messages[2].content();
        assert_eq!(results.len(), 2);
        let second = results[1].as_tool_result().unwrap();
        assert_eq!(second.content(), &[ToolResultContentBlock::Text(EMPTY_TOOL_RESULT.into())]);
        assert_eq!(conv.history_tool_names, vec!["get"]);
    }

    #[test]
    fn cache_control_in_system_developer_assistant_and_tool_messages_become_cache_points() {
        let marked = |text: &str| json!({"type":"text","text":text,"cache_control":{"type":"ephemeral"}});
        let conv = translate_messages(
            &parse(json!([
                {"role":"system","content":[{"type":"text","text":"a"},marked("b"),{"type":"text","text":"c"}]},
                {"role":"developer","content":[marked("d")]},
                {"role":"user","content":"q"},
                {"role":"assistant","content":[marked("e")],"tool_calls":[
                    {"id":"t1","type":"function","function":{"name":"get","arguments":"{}"}}]},
                {"role":"tool","tool_call_id":"t1","content":[marked("r")]}
            ])),
            ConversationOptions { cache_points: true, ..PLAIN },
        )
        .unwrap();
        let point = || SystemContentBlock::CachePoint(crate::content::cache_point().unwrap());
        let text = |t: &str| SystemContentBlock::Text(t.into());
        assert_eq!(conv.system, vec![text("a\nb"), point(), text("c"), text("d"), point()]);
        assert!(conv.messages[1].content()[1].is_cache_point(), "after the marked assistant text");
        let tool_turn = conv.messages[2].content();
        assert!(tool_turn[0].is_tool_result() && tool_turn[1].is_cache_point());
    }

    #[test]
    fn cache_control_is_ignored_without_caching_and_when_the_system_is_folded() {
        let messages = parse(json!([
            {"role":"system","content":[{"type":"text","text":"s","cache_control":{"type":"ephemeral"}}]},
            {"role":"user","content":"q"}
        ]));
        let plain = translate_messages(&messages, PLAIN).unwrap();
        assert_eq!(plain.system, vec![SystemContentBlock::Text("s".into())]);
        let folded =
            translate_messages(&messages, ConversationOptions { cache_points: true, fold_system: true, ..PLAIN })
                .unwrap();
        assert!(folded.system.is_empty());
        assert_eq!(texts(&folded.messages[0]), vec!["s", "q"]);
    }

    #[test]
    fn a_marker_on_blank_system_text_adds_no_leading_cache_point() {
        let conv = translate_messages(
            &parse(json!([
                {"role":"system","content":[{"type":"text","text":" ","cache_control":{"type":"ephemeral"}}]},
                {"role":"user","content":"q"}
            ])),
            ConversationOptions { cache_points: true, ..PLAIN },
        )
        .unwrap();
        assert!(conv.system.is_empty());
    }

    #[test]
    fn invalid_arguments_name_the_field() {
        let err = translate_messages(
            &parse(json!([
                {"role":"user","content":"x"},
                {"role":"assistant","tool_calls":[{"id":"t","type":"function","function":{"name":"f","arguments":"{oops"}}]}
            ])),
            PLAIN,
        )
        .unwrap_err();
        assert_eq!(err.param.as_deref(), Some("messages[1].tool_calls[0].function.arguments"));
    }

    #[test]
    fn orphan_tool_results_are_rejected() {
        let err = translate_messages(
            &parse(json!([{"role":"user","content":"x"},{"role":"tool","tool_call_id":"nope","content":"r"}])),
            PLAIN,
        )
        .unwrap_err();
        assert_eq!(err.param.as_deref(), Some("messages[1].tool_call_id"));
    }

    #[test]
    fn conversation_must_start_with_user() {
        let err = translate_messages(
            &parse(json!([{"role":"system","content":"s"},{"role":"assistant","content":"hello"},{"role":"user","content":"x"}])),
            PLAIN,
        )
        .unwrap_err();
        assert_eq!(err.param.as_deref(), Some("messages[1].role"));
        let empty = translate_messages(&parse(json!([{"role":"user","content":" "}])), PLAIN).unwrap_err();
        assert_eq!(empty.param.as_deref(), Some("messages"));
    }

    #[test]
    fn system_folds_into_first_user_turn_when_unsupported() {
        let conv = translate_messages(
            &parse(json!([{"role":"system","content":"rules"},{"role":"user","content":"q"}])),
            ConversationOptions { fold_system: true, ..PLAIN },
        )
        .unwrap();
        assert!(conv.system.is_empty());
        assert_eq!(texts(&conv.messages[0]), vec!["rules", "q"]);
    }

    #[test]
    fn missing_content_and_legacy_roles_are_clear_errors() {
        let err = translate_messages(&parse(json!([{"role":"user"}])), PLAIN).unwrap_err();
        assert_eq!(err.param.as_deref(), Some("messages[0].content"));
        let err = translate_messages(&parse(json!([{"role":"function","content":"x","name":"f"}])), PLAIN).unwrap_err();
        assert_eq!(err.param.as_deref(), Some("messages[0].role"));
    }

    #[test]
    fn tool_history_becomes_text_when_no_tool_is_offered() {
        let conv = translate_messages(
            &parse(json!([
                {"role":"user","content":"weather?"},
                {"role":"assistant","tool_calls":[{"id":"t1","type":"function","function":{"name":"get","arguments":"{}"}}]},
                {"role":"tool","tool_call_id":"t1","content":"sunny"},
                {"role":"user","content":"thanks"}
            ])),
            ConversationOptions { tools_as_text: true, ..PLAIN },
        )
        .unwrap();
        assert!(conv.history_tool_names.is_empty());
        let all_text = conv.messages.iter().flat_map(|m| m.content()).all(|b| b.is_text());
        assert!(all_text, "{:?}", conv.messages);
        assert!(texts(&conv.messages[1])[0].contains("get"));
        assert!(texts(&conv.messages[2])[0].contains("sunny"));
    }

    #[test]
    fn signed_thinking_blocks_come_back_first() {
        let conv = translate_messages(
            &parse(json!([
                {"role":"user","content":"q"},
                {"role":"assistant","content":"a","thinking_blocks":[
                    {"type":"thinking","thinking":"hmm","signature":"sig"},
                    {"type":"thinking","thinking":"unsigned"},
                    {"type":"redacted_thinking","data":"AAEC"}]},
                {"role":"user","content":"more"}
            ])),
            PLAIN,
        )
        .unwrap();
        let blocks = conv.messages[1].content();
        assert_eq!(blocks.len(), 3);
        let ReasoningContentBlock::ReasoningText(text) = blocks[0].as_reasoning_content().unwrap() else { panic!() };
        assert_eq!((text.text(), text.signature()), ("hmm", Some("sig")));
        assert!(matches!(blocks[1].as_reasoning_content().unwrap(), ReasoningContentBlock::RedactedContent(_)));
        assert!(blocks[2].is_text());
    }

    #[test]
    fn trailing_assistant_turn_gets_a_continue_prompt_where_prefill_is_unsupported() {
        let messages = parse(json!([{"role":"user","content":"q"},{"role":"assistant","content":"The answer is"}]));
        let conv = translate_messages(&messages, ConversationOptions { no_prefill: true, ..PLAIN }).unwrap();
        assert_eq!(conv.messages.len(), 3);
        assert_eq!(texts(&conv.messages[2]), vec![CONTINUE_PROMPT]);
        assert_eq!(translate_messages(&messages, PLAIN).unwrap().messages.len(), 2, "others keep the prefill");
    }
}
