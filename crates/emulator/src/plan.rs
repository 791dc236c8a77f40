//! Turns a validated request plus its script into the answer to produce.

use base64::Engine;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use crate::errors::{ApiError, ErrorKind};
use crate::script::{Script, StreamFaults, Think};
use crate::validate::thinking_enabled;
use crate::wire::{ContentBlock, ConverseRequest, ToolConfig, Usage};

/// One output content block.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    Reasoning { text: String, signature: String },
    Redacted(Vec<u8>),
    Text(String),
    ToolUse { id: String, name: String, input: Value },
}

/// Everything a response needs, for both Converse and ConverseStream.
#[derive(Debug, Clone)]
pub struct Plan {
    pub blocks: Vec<Block>,
    pub stop_reason: String,
    pub usage: Usage,
    pub delay_ms: u64,
    pub chunk_delay_ms: u64,
    pub stream_error: Option<ErrorKind>,
    pub drop: bool,
    pub faults: StreamFaults,
}

const VOCABULARY: &[&str] = &[
    "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo", "lima",
    "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango",
];

/// `n` deterministic words.
pub fn words(n: usize) -> String {
    let list: Vec<&str> = (0..n).map(|i| VOCABULARY[(i * 7 + i / 20) % VOCABULARY.len()]).collect();
    list.join(" ")
}

fn count_words(text: &str) -> u64 {
    text.split_whitespace().count() as u64
}

fn digest(parts: &[&str]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    hasher.finalize().into()
}

fn block_text(block: &ContentBlock) -> String {
    if let Some(text) = &block.text {
        return text.clone();
    }
    let result = block.tool_result.as_ref().map(|r| &r.content);
    let parts = result.into_iter().flatten().map(|c| match (c.get("text"), c.get("json")) {
        (Some(Value::String(text)), _) => text.clone(),
        (_, Some(json)) => json.to_string(),
        _ => String::new(),
    });
    parts.collect::<Vec<_>>().join(" ")
}

/// Text of the last user message (text blocks, else tool results).
pub fn last_user_text(req: &ConverseRequest) -> String {
    let Some(message) = req.messages.iter().rev().find(|m| m.role == "user") else {
        return String::new();
    };
    let texts: Vec<&str> = message.content.iter().filter_map(|b| b.text.as_deref()).collect();
    if !texts.is_empty() {
        return texts.join("\n");
    }
    let results: Vec<String> = message.content.iter().map(block_text).collect();
    format!("Tool result: {}", results.join(" ").trim())
}

/// Input tokens of a request: whitespace words of system and messages (at least 1).
pub fn input_tokens(req: &ConverseRequest) -> u64 {
    let system: u64 = req.system.iter().filter_map(|s| s.text.as_deref()).map(count_words).sum();
    let messages = req.messages.iter().flat_map(|m| m.content.iter());
    let content: u64 = messages
        .map(|b| match &b.tool_use {
            Some(tool_use) => count_words(&tool_use.input.to_string()) + 1,
            None => count_words(&block_text(b)),
        })
        .sum();
    (system + content).max(1)
}

fn schema_input(schema: Option<&Value>) -> Value {
    let schema = schema.cloned().unwrap_or_default();
    let required = schema.get("required").and_then(Value::as_array).cloned().unwrap_or_default();
    let props = schema.get("properties").cloned().unwrap_or_default();
    let mut input = Map::new();
    for name in required.iter().filter_map(Value::as_str) {
        if props.pointer(&format!("/{name}/type")).and_then(Value::as_str) == Some("string") {
            input.insert(name.to_string(), Value::String(format!("example {name}")));
        }
    }
    Value::Object(input)
}

/// The tool call `toolChoice` forces when no `#tool` directive is given.
fn tool_forced(config: Option<&ToolConfig>) -> bool {
    config.and_then(|c| c.tool_choice.as_ref()).is_some_and(|choice| choice.tool.is_some() || choice.any.is_some())
}

fn forced_tool(config: Option<&ToolConfig>) -> Option<(String, Value)> {
    let config = config?;
    let choice = config.tool_choice.as_ref()?;
    let specs = config.tools.iter().filter_map(|t| t.tool_spec.as_ref());
    let mut specs = specs.collect::<Vec<_>>().into_iter();
    let spec = match (&choice.tool, &choice.any) {
        (Some(wanted), _) => specs.find(|s| s.name == wanted.name)?,
        (None, Some(_)) => specs.next()?,
        _ => return None,
    };
    Some((spec.name.clone(), schema_input(spec.input_schema.json.as_ref())))
}

fn reasoning_block(think: Think, seed: &str) -> Block {
    let hash = digest(&["reasoning", seed]);
    let engine = base64::engine::general_purpose::STANDARD;
    match think {
        Think::Text => Block::Reasoning {
            text: format!(
                "Let me think about this step by step. The request has {} words, so I will answer directly.",
                count_words(seed)
            ),
            signature: engine.encode(hash),
        },
        Think::Redacted => Block::Redacted([b"redacted-reasoning:".as_slice(), &hash].concat()),
    }
}

/// Answer text, before maxTokens / stop sequences are applied.
fn answer_text(script: &Script, has_tools: bool) -> Option<String> {
    if let Some(json) = &script.json {
        return Some(json.clone());
    }
    if let Some(n) = script.words {
        return Some(words(n));
    }
    match (script.text.is_empty(), has_tools) {
        (false, _) => Some(format!("You said: {}", script.text)),
        (true, false) => Some("Hello! How can I help you today?".to_string()),
        (true, true) => None,
    }
}

/// Cuts `text` at the first stop sequence or after `max` words.
fn limit(text: &str, stops: &[String], max: Option<u64>) -> (String, Option<&'static str>) {
    let mut text = text.to_string();
    let mut reason = None;
    if let Some(at) = stops.iter().filter_map(|s| text.find(s.as_str())).min() {
        text.truncate(at);
        reason = Some("stop_sequence");
    }
    if let Some(max) = max.filter(|m| count_words(&text) > *m) {
        let kept: Vec<&str> = text.split_whitespace().take(max as usize).collect();
        text = kept.join(" ");
        reason = Some("max_tokens");
    }
    (text, reason)
}

fn tool_blocks(calls: Vec<(String, Value)>, seed: &str) -> Vec<Block> {
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let blocks = calls.into_iter().enumerate().map(|(i, (name, input))| {
        let hash = digest(&["tool", seed, &i.to_string(), &name, &input.to_string()]);
        let id = format!("tooluse_{}", &engine.encode(hash)[..22]);
        Block::ToolUse { id, name, input }
    });
    blocks.collect()
}

fn output_tokens(blocks: &[Block]) -> u64 {
    let words = blocks.iter().map(|b| match b {
        Block::Reasoning { text, .. } | Block::Text(text) => count_words(text),
        Block::Redacted(bytes) => bytes.len() as u64 / 4,
        Block::ToolUse { input, .. } => count_words(&input.to_string()) + 1,
    });
    words.sum::<u64>().max(1)
}

/// Builds the plan; `Err` when the script asks for an up-front error.
pub fn build(req: &ConverseRequest, script: Script) -> Result<Plan, ApiError> {
    if let Some(kind) = script.error {
        return Err(ApiError::scripted(kind));
    }
    let seed = last_user_text(req);
    let mut calls = script.tools.clone();
    if calls.is_empty() {
        calls.extend(forced_tool(req.tool_config.as_ref()));
    }
    let think = script.think.or(thinking_enabled(req).then_some(Think::Text));
    let mut blocks: Vec<Block> = think.map(|t| reasoning_block(t, &seed)).into_iter().collect();
    let config = req.inference_config.clone().unwrap_or_default();
    let stops = config.stop_sequences.unwrap_or_default();
    let max = config.max_tokens.map(|m| m.max(1) as u64);
    let mut reason = None;
    // A forced tool choice makes the model answer with the tool call alone, no preamble
    // (Anthropic prefills the turn), so no text is produced then.
    let text = if tool_forced(req.tool_config.as_ref()) { None } else { answer_text(&script, !calls.is_empty()) };
    if let Some(text) = text {
        let (text, cut) = limit(&text, &stops, max);
        reason = cut;
        if !text.is_empty() {
            blocks.push(Block::Text(text));
        }
    }
    if reason.is_none() && !calls.is_empty() {
        blocks.extend(tool_blocks(calls, &seed));
        reason = Some("tool_use");
    }
    let stop_reason = script.stop.clone().unwrap_or_else(|| reason.unwrap_or("end_turn").to_string());
    let usage = usage(input_tokens(req), output_tokens(&blocks), &script);
    Ok(Plan {
        blocks,
        stop_reason,
        usage,
        delay_ms: script.delay_ms,
        chunk_delay_ms: script.chunk_delay_ms,
        stream_error: script.stream_error,
        drop: script.drop,
        faults: script.faults,
    })
}

fn usage(input: u64, output: u64, script: &Script) -> Usage {
    Usage {
        input_tokens: input,
        output_tokens: output,
        total_tokens: input + output + script.cache_read + script.cache_write,
        cache_read_input_tokens: script.cache_read,
        cache_write_input_tokens: script.cache_write,
    }
}

/// A block as it appears in `output.message.content` of ConverseResponse.
pub fn block_json(block: &Block) -> Value {
    let engine = base64::engine::general_purpose::STANDARD;
    match block {
        Block::Reasoning { text, signature } => {
            json!({"reasoningContent": {"reasoningText": {"text": text, "signature": signature}}})
        }
        Block::Redacted(bytes) => {
            json!({"reasoningContent": {"redactedContent": engine.encode(bytes)}})
        }
        Block::Text(text) => json!({ "text": text }),
        Block::ToolUse { id, name, input } => {
            json!({"toolUse": {"toolUseId": id, "name": name, "input": input}})
        }
    }
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
