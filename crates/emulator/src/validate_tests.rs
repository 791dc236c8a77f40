use serde_json::json;

use super::*;
use crate::catalog;
use crate::errors::ErrorKind;

fn check(model: &str, body: serde_json::Value, streaming: bool) -> Result<(), String> {
    let req: ConverseRequest = serde_json::from_value(body).map_err(|e| e.to_string())?;
    let model = catalog::model(model).ok_or("no model")?;
    converse(&req, model, streaming).map_err(|e| {
        assert_eq!(e.kind, ErrorKind::Validation);
        e.message
    })
}

const NOVA: &str = "amazon.nova-pro-v1:0";
const SONNET: &str = "anthropic.claude-sonnet-4-5-20250929-v1:0";

fn user(text: &str) -> serde_json::Value {
    json!({"role": "user", "content": [{"text": text}]})
}

fn tools() -> serde_json::Value {
    json!({"tools": [{"toolSpec": {"name": "f", "inputSchema": {"json": {"type": "object"}}}}]})
}

#[test]
fn accepts_a_plain_conversation() {
    let body = json!({"messages": [user("hi"), {"role": "assistant", "content": [{"text": "yo"}]}, user("again")]});
    assert_eq!(check(NOVA, body, false), Ok(()));
}

#[test]
fn rejects_bad_message_structure() {
    let err = |body| check(NOVA, body, false).unwrap_err();
    assert!(err(json!({"messages": []})).contains("start with a user message"));
    assert!(err(json!({"messages": [user("a"), user("b")]})).contains("alternate"));
    assert!(err(json!({"messages": [{"role": "user", "content": []}]})).contains("messages.0 is empty"));
    assert!(err(json!({"messages": [user(" \n")]})).contains("messages.0.content.0 is blank"));
    assert!(err(json!({"messages": [{"role": "user", "content": [{}]}]})).contains("exactly one"));
    let doc = json!({"document": {"format": "txt", "source": {"bytes": "aGk="}}});
    assert!(err(json!({"messages": [{"role": "user", "content": [doc]}]})).contains("name"));
}

#[test]
fn checks_image_bytes_against_format() {
    let png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";
    let image = |format: &str, bytes: &str| json!({"messages": [{"role": "user", "content": [{"image": {"format": format, "source": {"bytes": bytes}}}]}]});
    assert_eq!(check(NOVA, image("png", png), false), Ok(()));
    assert!(check(NOVA, image("jpeg", png), false).unwrap_err().contains("is png"));
    assert!(check(NOVA, image("png", "aGVsbG8="), false).unwrap_err().contains("not a valid png"));
    assert!(check(NOVA, image("png", "***"), false).unwrap_err().contains("base64"));
    assert!(check(NOVA, image("bmp", png), false).unwrap_err().contains("enum"));
    assert!(check("amazon.nova-micro-v1:0", image("png", png), false).is_err());
    assert_eq!(sniff_image(b"RIFF\0\0\0\0WEBPVP8 "), Some("webp"));
}

#[test]
fn pairs_tool_results_with_tool_uses() {
    let tool_use =
        json!({"role": "assistant", "content": [{"toolUse": {"toolUseId": "t1", "name": "f", "input": {}}}]});
    let result =
        |id: &str| json!({"role": "user", "content": [{"toolResult": {"toolUseId": id, "content": [{"text": "ok"}]}}]});
    let ok = json!({"messages": [user("a"), tool_use, result("t1")], "toolConfig": tools()});
    assert_eq!(check(NOVA, ok, false), Ok(()));
    let wrong = json!({"messages": [user("a"), tool_use, result("t2")], "toolConfig": tools()});
    assert!(check(NOVA, wrong, false).unwrap_err().contains("t2"));
    let missing = json!({"messages": [user("a"), tool_use, user("b")], "toolConfig": tools()});
    assert!(check(NOVA, missing, false).unwrap_err().contains("Expected toolResult"));
    let no_config = json!({"messages": [user("a"), tool_use, result("t1")]});
    assert!(check(NOVA, no_config, false).unwrap_err().contains("toolConfig"));
}

#[test]
fn checks_inference_config() {
    let with = |config: serde_json::Value| json!({"messages": [user("a")], "inferenceConfig": config});
    assert!(check(NOVA, with(json!({"maxTokens": 0})), false).is_err());
    assert!(check(NOVA, with(json!({"temperature": 1.2})), false).unwrap_err().contains("less than or equal to 1"));
    assert!(check(NOVA, with(json!({"topP": -0.1})), false).is_err());
    assert!(check(NOVA, with(json!({"stopSequences": ["a", "b", "c", "d", "e"]})), false).is_err());
    assert_eq!(check(NOVA, with(json!({"temperature": 0.5, "topP": 0.9})), false), Ok(()));
    let both = json!({"messages": [user("a")], "inferenceConfig": {"temperature": 0.5, "topP": 0.9}});
    assert!(check(SONNET, both, false).unwrap_err().contains("cannot both be specified"));
    assert!(serde_json::from_value::<ConverseRequest>(json!({"messages": [], "extra": 1})).is_err());
}

#[test]
fn follows_the_feature_table_for_system_prompts_and_documents() {
    let system = json!({"messages": [user("a")], "system": [{"text": "s"}]});
    for model in
        ["mistral.mixtral-8x7b-instruct-v0:1", "mistral.mistral-7b-instruct-v0:2", "amazon.titan-text-premier-v1:0"]
    {
        assert!(check(model, system.clone(), false).unwrap_err().contains("system messages"), "{model}");
    }
    let pdf = json!({"document": {"name": "a", "format": "pdf", "source": {"bytes": "JVBERi0="}}});
    let document = json!({"messages": [{"role": "user", "content": [pdf, {"text": "summarise"}]}]});
    for model in ["amazon.nova-micro-v1:0", "amazon.titan-text-premier-v1:0"] {
        assert!(check(model, document.clone(), false).unwrap_err().contains("documents"), "{model}");
    }
    assert_eq!(check("amazon.titan-text-express-v1", document.clone(), false), Ok(()));
    assert_eq!(check("amazon.nova-lite-v1:0", document, false), Ok(()));
}

#[test]
fn checks_capabilities_and_tools() {
    let system = json!({"messages": [user("a")], "system": [{"text": "s"}]});
    assert!(check("amazon.titan-text-express-v1", system.clone(), false).unwrap_err().contains("system messages"));
    assert_eq!(check(NOVA, system, false), Ok(()));
    let with_tools = json!({"messages": [user("a")], "toolConfig": tools()});
    assert!(check("mistral.mistral-7b-instruct-v0:2", with_tools.clone(), false).unwrap_err().contains("tool use"));
    assert!(check("meta.llama3-1-8b-instruct-v1:0", with_tools.clone(), true).unwrap_err().contains("streaming mode"));
    assert_eq!(check("meta.llama3-1-8b-instruct-v1:0", with_tools, false), Ok(()));
    let bad_name = json!({"messages": [user("a")], "toolConfig": {"tools": [{"toolSpec": {"name": "a b", "inputSchema": {"json": {}}}}]}});
    assert!(check(NOVA, bad_name, false).is_err());
    let choice = json!({"messages": [user("a")], "toolConfig": {"tools": tools()["tools"], "toolChoice": {"tool": {"name": "g"}}}});
    assert!(check(NOVA, choice, false).unwrap_err().contains("isn't defined"));
}

#[test]
fn checks_claude_thinking() {
    let thinking = |budget: i64, config: serde_json::Value| json!({"messages": [user("a")], "inferenceConfig": config, "additionalModelRequestFields": {"thinking": {"type": "enabled", "budget_tokens": budget}}});
    assert_eq!(check(SONNET, thinking(2048, json!({"maxTokens": 4096})), false), Ok(()));
    assert!(check(SONNET, thinking(512, json!({})), false).unwrap_err().contains("1024"));
    assert!(check(SONNET, thinking(4096, json!({"maxTokens": 2048})), false).unwrap_err().contains("max_tokens"));
    assert!(check(SONNET, thinking(2048, json!({"temperature": 0.3})), false).unwrap_err().contains("temperature"));
    assert!(check(SONNET, thinking(2048, json!({"topP": 0.3})), false).unwrap_err().contains("top_p"));
    assert!(check("anthropic.claude-3-haiku-20240307-v1:0", thinking(2048, json!({})), false).is_err());
}

#[test]
fn thinking_tool_turns_must_keep_their_thinking_block() {
    let tool_use = json!({"toolUse": {"toolUseId": "t1", "name": "f", "input": {}}});
    let result = json!({"role": "user", "content": [{"toolResult": {"toolUseId": "t1", "content": [{"text": "r"}]}}]});
    let thinking_block = json!({"reasoningContent": {"reasoningText": {"text": "hm", "signature": "sig"}}});
    let request = |assistant: serde_json::Value| {
        json!({"messages": [user("a"), {"role": "assistant", "content": assistant}, result.clone()],
               "toolConfig": tools(), "inferenceConfig": {"maxTokens": 4096},
               "additionalModelRequestFields": {"thinking": {"type": "enabled", "budget_tokens": 2048}}})
    };
    let dropped = check(SONNET, request(json!([tool_use.clone()])), false).unwrap_err();
    assert!(dropped.contains("Expected `thinking` or `redacted_thinking`, but found `tool_use`"), "{dropped}");
    assert_eq!(check(SONNET, request(json!([thinking_block, tool_use])), false), Ok(()));
}

#[test]
fn thinking_rejects_a_forced_tool() {
    let forced = json!({"messages": [user("a")], "inferenceConfig": {"maxTokens": 4096},
        "toolConfig": {"tools": tools()["tools"], "toolChoice": {"any": {}}},
        "additionalModelRequestFields": {"thinking": {"type": "enabled", "budget_tokens": 2048}}});
    assert!(check(SONNET, forced, false).unwrap_err().contains("forces tool use"));
}
