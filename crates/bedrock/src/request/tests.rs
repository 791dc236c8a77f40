use serde_json::json;

use super::*;
use crate::document::to_value;

fn request(value: serde_json::Value) -> ChatCompletionRequest {
    openai::parse_chat_request(value.to_string().as_bytes()).unwrap()
}

const HAIKU: TranslateOptions<'static> = TranslateOptions {
    model_id: "anthropic.claude-3-haiku-20240307-v1:0",
    foundation_id: None,
    image_input: true,
    prompt_caching: false,
    guardrail: None,
};

const SONNET_37: TranslateOptions<'static> =
    TranslateOptions { model_id: "us.anthropic.claude-3-7-sonnet-20250219-v1:0", ..HAIKU };

fn user(text: &str) -> serde_json::Value {
    json!([{"role": "user", "content": text}])
}

#[test]
fn full_request_translates() {
    let t = translate_chat_request(
        &request(json!({
            "model": "x",
            "messages": [{"role":"system","content":"s"},{"role":"user","content":"hi"}],
            "max_tokens": 5,
            "tools": [{"type":"function","function":{"name":"f"}}]
        })),
        &HAIKU,
    )
    .unwrap();
    let parts = t.parts;
    assert_eq!(parts.model_id, HAIKU.model_id);
    assert_eq!(parts.system.len(), 1);
    assert_eq!(parts.messages.len(), 1);
    assert_eq!(parts.inference_config.unwrap().max_tokens(), Some(5));
    assert_eq!(parts.tool_config.unwrap().tools().len(), 1);
    assert_eq!(parts.additional_model_request_fields, None);
    assert_eq!(t.structured_tool, None);
}

#[test]
fn n_above_one_is_rejected() {
    let err = translate_chat_request(&request(json!({"messages": user("x"), "n": 2})), &HAIKU).unwrap_err();
    assert_eq!(err.param.as_deref(), Some("n"));
    assert!(translate_chat_request(&request(json!({"messages": user("x"), "n": 1})), &HAIKU).is_ok());
}

#[test]
fn images_need_an_image_model() {
    let req = request(json!({"messages":[{"role":"user","content":[
        {"type":"text","text":"what is this"},
        {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}}]}]}));
    let text_only = TranslateOptions { image_input: false, ..HAIKU };
    let err = translate_chat_request(&req, &text_only).unwrap_err();
    assert_eq!(err.param.as_deref(), Some("messages[0].content[1]"));
    assert!(translate_chat_request(&req, &HAIKU).is_ok());
}

#[test]
fn documents_need_a_model_with_document_chat() {
    let req = request(json!({"messages":[{"role":"user","content":[
        {"type":"text","text":"summarise"},
        {"type":"file","file":{"filename":"a.pdf","file_data":"data:application/pdf;base64,JVBERi0="}}]}]}));
    let micro = TranslateOptions { model_id: "us.amazon.nova-micro-v1:0", image_input: false, ..HAIKU };
    let err = translate_chat_request(&req, &micro).unwrap_err();
    assert_eq!(err.param.as_deref(), Some("messages[0].content[1]"));
    assert!(err.message.contains("documents"));
    assert!(translate_chat_request(&req, &HAIKU).is_ok());
}

#[test]
fn system_prompts_fold_into_the_first_user_turn_for_mistral_instruct() {
    let req = request(json!({"messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hi"}]}));
    for model_id in ["mistral.mistral-7b-instruct-v0:2", "mistral.mixtral-8x7b-instruct-v0:1"] {
        let parts = translate_chat_request(&req, &TranslateOptions { model_id, ..HAIKU }).unwrap().parts;
        assert!(parts.system.is_empty(), "{model_id}");
        assert_eq!(parts.messages[0].content()[0].as_text().unwrap(), "be brief");
    }
}

#[test]
fn tool_choice_none_offers_nothing_and_flattens_history() {
    let req = request(json!({
        "messages": [
            {"role":"user","content":"q"},
            {"role":"assistant","tool_calls":[{"id":"t","type":"function","function":{"name":"f","arguments":"{}"}}]},
            {"role":"tool","tool_call_id":"t","content":"r"}],
        "tools": [{"type":"function","function":{"name":"f"}}],
        "tool_choice": "none"
    }));
    let parts = translate_chat_request(&req, &HAIKU).unwrap().parts;
    assert_eq!(parts.tool_config, None);
    assert!(parts.messages.iter().flat_map(|m| m.content()).all(ContentBlock::is_text));
}

#[test]
fn reasoning_effort_on_claude() {
    let req =
        request(json!({"messages": user("x"), "reasoning_effort": "low", "temperature": 0.2, "max_tokens": 6000}));
    let parts = translate_chat_request(&req, &SONNET_37).unwrap().parts;
    let fields = to_value(&parts.additional_model_request_fields.unwrap());
    assert_eq!(fields["thinking"], json!({"type": "enabled", "budget_tokens": 2048}));
    let config = parts.inference_config.unwrap();
    assert_eq!((config.temperature(), config.max_tokens()), (None, Some(6000)));
    let haiku = translate_chat_request(&req, &HAIKU).unwrap().parts;
    assert_eq!(haiku.additional_model_request_fields, None, "Claude 3 Haiku has no thinking: ignored");
}

#[test]
fn structured_output_forces_its_tool() {
    let req = request(json!({"messages": user("x"), "response_format": {"type": "json_object"}}));
    let t = translate_chat_request(&req, &HAIKU).unwrap();
    assert_eq!(t.structured_tool.as_deref(), Some("json_response"));
    let config = t.parts.tool_config.unwrap();
    let Some(aws_sdk_bedrockruntime::types::ToolChoice::Tool(choice)) = config.tool_choice() else { panic!() };
    assert_eq!(choice.name(), "json_response");
}

#[test]
fn structured_output_without_tool_use_asks_in_text() {
    let req = request(json!({"messages": user("x"), "response_format": {"type": "json_object"}}));
    let r1 = TranslateOptions { model_id: "us.deepseek.r1-v1:0", ..HAIKU };
    let t = translate_chat_request(&req, &r1).unwrap();
    assert_eq!(t.structured_tool, None);
    assert_eq!(t.parts.tool_config, None);
    let last = t.parts.messages[0].content().last().unwrap().as_text().unwrap().clone();
    assert!(last.contains("JSON"), "{last}");
}

#[test]
fn prompt_caching_default_and_override() {
    let req = request(json!({"messages": [{"role":"system","content":"s"},{"role":"user","content":"q"}]}));
    let cached = TranslateOptions { prompt_caching: true, ..SONNET_37 };
    let parts = translate_chat_request(&req, &cached).unwrap().parts;
    assert!(parts.system.last().unwrap().is_cache_point());
    assert!(parts.messages[0].content().last().unwrap().is_cache_point());
    let off = request(json!({"messages": [{"role":"system","content":"s"},{"role":"user","content":"q"}],
                             "prompt_caching": {"system": false, "messages": false}}));
    let parts = translate_chat_request(&off, &cached).unwrap().parts;
    assert!(!parts.system.iter().any(SystemContentBlock::is_cache_point));
    let uncacheable = TranslateOptions { prompt_caching: true, ..HAIKU };
    let parts = translate_chat_request(&req, &uncacheable).unwrap().parts;
    assert!(!parts.system.iter().any(SystemContentBlock::is_cache_point), "model without caching");
}

#[test]
fn guardrail_from_settings_or_request() {
    let configured = Guardrail { identifier: "g1".into(), version: "1".into(), trace: false };
    let options = TranslateOptions { guardrail: Some(&configured), ..HAIKU };
    let parts = translate_chat_request(&request(json!({"messages": user("x")})), &options).unwrap().parts;
    assert_eq!(parts.guardrail.as_ref(), Some(&configured));
    let asked = request(json!({"messages": user("x"),
        "extra_body": {"guardrailConfig": {"guardrailIdentifier": "g2", "guardrailVersion": "DRAFT", "trace": "enabled"}}}));
    let parts = translate_chat_request(&asked, &options).unwrap().parts;
    assert_eq!(parts.guardrail, Some(Guardrail { identifier: "g2".into(), version: "DRAFT".into(), trace: true }));
}

#[test]
fn pass_through_fields_reach_additional_fields() {
    let req =
        request(json!({"messages": user("x"), "top_k": 4, "thinking": {"type": "enabled", "budget_tokens": 2000}}));
    let parts = translate_chat_request(&req, &SONNET_37).unwrap().parts;
    let fields = to_value(&parts.additional_model_request_fields.unwrap());
    assert_eq!(fields["top_k"], 4);
    assert_eq!(fields["thinking"]["budget_tokens"], 2000);
    assert_eq!(parts.inference_config.unwrap().max_tokens(), Some(2000 + crate::reasoning::ANSWER_ROOM));
}

#[test]
fn forced_tools_become_auto_while_claude_thinks() {
    let req =
        request(json!({"messages": user("x"), "reasoning_effort": "low", "response_format": {"type": "json_object"},
                             "tools": [{"type":"function","function":{"name":"f"}}], "tool_choice": "required"}));
    let config = translate_chat_request(&req, &SONNET_37).unwrap().parts.tool_config.unwrap();
    assert!(matches!(config.tool_choice(), Some(aws_sdk_bedrockruntime::types::ToolChoice::Auto(_))));
    let without_thinking =
        request(json!({"messages": user("x"), "tools": [{"type":"function","function":{"name":"f"}}],
                                          "tool_choice": "required"}));
    let config = translate_chat_request(&without_thinking, &SONNET_37).unwrap().parts.tool_config.unwrap();
    assert!(matches!(config.tool_choice(), Some(aws_sdk_bedrockruntime::types::ToolChoice::Any(_))));
}
