use openai::responses::parse_responses_request;
use openai::{ReasoningEffort, ThinkingBlock};
use serde_json::json;

use super::*;
use crate::responses::sealed::seal;

fn convert(body: serde_json::Value) -> Result<ChatConversion, TranslateError> {
    let request = parse_responses_request(body.to_string().as_bytes()).unwrap();
    responses_to_chat(&request, &[])
}

fn options() -> TranslateOptions<'static> {
    TranslateOptions {
        model_id: "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
        foundation_id: None,
        image_input: true,
        prompt_caching: false,
        guardrail: None,
    }
}

#[test]
fn string_input_is_one_user_message_after_instructions() {
    let chat = convert(json!({"input": "hi", "instructions": "be brief"})).unwrap().request;
    assert_eq!(chat.messages.len(), 2);
    assert_eq!(chat.messages[0].role, Role::System);
    assert_eq!(chat.messages[1].content, Some(MessageContent::Text("hi".into())));
}

#[test]
fn parameters_map_to_their_chat_names() {
    let chat = convert(json!({
        "input": "hi", "max_output_tokens": 100, "temperature": 0.5, "top_p": 0.9, "user": "u",
        "reasoning": {"effort": "high"}, "parallel_tool_calls": false, "tool_choice": "required",
        "text": {"format": {"type": "json_schema", "name": "P", "schema": {"type": "object"}}},
        "top_k": 5
    }))
    .unwrap()
    .request;
    assert_eq!(chat.max_completion_tokens, Some(100));
    assert_eq!((chat.temperature, chat.top_p), (Some(0.5), Some(0.9)));
    assert_eq!(chat.reasoning_effort, Some(ReasoningEffort::High));
    assert_eq!(chat.parallel_tool_calls, Some(false));
    assert_eq!(chat.tool_choice, Some(ToolChoice::Required));
    assert!(matches!(chat.response_format, Some(ResponseFormat::JsonSchema { .. })));
    assert_eq!(chat.extra.top_k, Some(5));
    assert_eq!(chat.user.as_deref(), Some("u"));
}

#[test]
fn assistant_items_gather_into_one_turn_with_thinking_first() {
    let blocks = vec![ThinkingBlock::Thinking { thinking: "t".into(), signature: Some("s".into()) }];
    let chat = convert(json!({"input": [
        {"role": "user", "content": "q"},
        {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": seal(&blocks).unwrap()},
        {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "checking"}]},
        {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"},
        {"type": "function_call", "call_id": "c2", "name": "g", "arguments": "{\"a\":1}"},
        {"type": "function_call_output", "call_id": "c1", "output": "r1"},
        {"type": "function_call_output", "call_id": "c2", "output": [{"type": "input_text", "text": "r2"}]}
    ]}))
    .unwrap()
    .request;
    let roles: Vec<Role> = chat.messages.iter().map(|m| m.role).collect();
    assert_eq!(roles, [Role::User, Role::Assistant, Role::Tool, Role::Tool]);
    let assistant = &chat.messages[1];
    assert_eq!(assistant.thinking_blocks.as_deref(), Some(&blocks[..]));
    assert_eq!(assistant.tool_calls.as_ref().unwrap().len(), 2);
    assert_eq!(chat.messages[3].tool_call_id.as_deref(), Some("c2"));
}

#[test]
fn unsigned_reasoning_is_history_only() {
    let chat = convert(json!({"input": [
        {"role": "user", "content": "q"},
        {"type": "reasoning", "summary": [{"type": "summary_text", "text": "s"}]},
        {"role": "assistant", "content": "a"}
    ]}))
    .unwrap()
    .request;
    assert!(chat.messages[1].thinking_blocks.is_none());
}

#[test]
fn history_comes_before_input() {
    let request = parse_responses_request(br#"{"input":"second","instructions":"sys"}"#).unwrap();
    let history = vec![InputItem {
        role: Some("user".into()),
        content: Some(TextOrList::Text("first".into())),
        ..InputItem::default()
    }];
    let chat = responses_to_chat(&request, &history).unwrap().request;
    let texts: Vec<String> = chat.messages.iter().map(|m| m.content.as_ref().unwrap().joined_text()).collect();
    assert_eq!(texts, ["sys", "first", "second"]);
}

#[test]
fn parts_map_to_chat_parts() {
    let chat = convert(json!({"input": [{"role": "user", "content": [
        {"type": "input_text", "text": "look"},
        {"type": "input_image", "image_url": "https://example.com/a.png", "detail": "low"},
        {"type": "input_file", "file_data": "data:application/pdf;base64,JVBERi0=", "filename": "a.pdf"}
    ]}]}))
    .unwrap()
    .request;
    let Some(MessageContent::Parts(parts)) = &chat.messages[0].content else { panic!("parts") };
    assert!(matches!(&parts[1], ContentPart::ImageUrl { image_url, .. } if image_url.detail.as_deref() == Some("low")));
    assert!(matches!(&parts[2], ContentPart::File { file } if file.filename.as_deref() == Some("a.pdf")));
}

#[test]
fn namespaces_flatten_and_built_ins_are_named() {
    let chat = convert(json!({"input": "x", "tools": [
        {"type": "function", "name": "a"},
        {"type": "namespace", "name": "ns", "tools": [{"type": "function", "name": "b", "parameters": {"type": "object"}}]}
    ]}))
    .unwrap()
    .request;
    let names: Vec<&str> = chat.tools.iter().flatten().map(|t| t.function.name.as_str()).collect();
    assert_eq!(names, ["a", "b"]);
    let error =
        convert(json!({"input": "x", "tools": [{"type": "function", "name": "a"}, {"type": "web_search_preview"}]}))
            .unwrap_err();
    assert!(error.message.contains("web_search_preview"));
    assert_eq!(error.param.as_deref(), Some("tools[1].type"));
    let nested = convert(
        json!({"input": "x", "tools": [{"type": "namespace", "name": "n", "tools": [{"type": "file_search"}]}]}),
    )
    .unwrap_err();
    assert_eq!(nested.param.as_deref(), Some("tools[0].tools[0].type"));
}

#[test]
fn item_errors_name_the_item() {
    let cases = [
        (json!([{"role": "narrator", "content": "x"}]), "input[0].role"),
        (json!([{"role": "user"}]), "input[0].content"),
        (json!([{"type": "function_call_output", "call_id": "c"}]), "input[0].output"),
        (json!([{"type": "item_reference", "id": "msg_1"}]), "input[0].type"),
        (
            json!([{"role": "user", "content": [{"type": "input_image", "file_id": "f"}]}]),
            "input[0].content[0].image_url",
        ),
        (json!([{"role": "user", "content": [{"type": "reasoning_text", "text": "t"}]}]), "input[0].content[0].type"),
    ];
    for (input, param) in cases {
        let error = convert(json!({"input": input})).unwrap_err();
        assert_eq!(error.param.as_deref(), Some(param), "{input}");
    }
}

#[test]
fn chat_errors_are_renamed_to_responses_fields() {
    let conversion = convert(json!({"input": [
        {"role": "user", "content": "q"},
        {"type": "function_call", "call_id": "c", "name": "f", "arguments": "{not json"},
        {"type": "function_call_output", "call_id": "c", "output": "r"}
    ], "tools": [{"type": "function", "name": "f"}]}))
    .unwrap();
    let error = translate_converted(&conversion, &options()).unwrap_err();
    assert_eq!(error.param.as_deref(), Some("input[1]"));
    let conversion = convert(json!({"input": "q", "max_output_tokens": 0})).unwrap();
    let error = translate_converted(&conversion, &options()).unwrap_err();
    assert_eq!(error.param.as_deref(), Some("max_output_tokens"));
}

#[test]
fn the_chat_translation_is_applied_unchanged() {
    let conversion =
        convert(json!({"input": "q", "reasoning": {"effort": "low"}, "tools": [{"type": "function", "name": "f"}]}))
            .unwrap();
    let parts = translate_converted(&conversion, &options()).unwrap().parts;
    assert!(parts.tool_config.is_some());
    let fields = crate::document::to_value(parts.additional_model_request_fields.as_ref().unwrap());
    assert!(fields.get("thinking").is_some() || fields.get("reasoning_config").is_some(), "{fields}");
}

#[test]
fn namespaced_functions_are_remembered_and_names_must_be_unique() {
    let conversion = convert(json!({"input": "x", "tools": [
        {"type": "namespace", "name": "mcp__files", "tools": [{"type": "function", "name": "read"}]},
        {"type": "function", "name": "write"}
    ]}))
    .unwrap();
    assert_eq!(conversion.tool_namespaces(), [("read".to_owned(), "mcp__files".to_owned())]);
    let error = convert(json!({"input": "x", "tools": [
        {"type": "function", "name": "read"},
        {"type": "namespace", "name": "n", "tools": [{"type": "function", "name": "read"}]}
    ]}))
    .unwrap_err();
    assert_eq!(error.param.as_deref(), Some("tools[1].tools[0].name"));
    assert!(error.message.contains("tools[0]"), "{}", error.message);
}
