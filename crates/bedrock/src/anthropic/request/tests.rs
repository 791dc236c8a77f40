use super::*;
use crate::document::to_value;
use aws_sdk_bedrockruntime::types::{ConversationRole, ReasoningContentBlock, SystemContentBlock};
use serde_json::json;

const SONNET: &str = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
const THINKER: &str = "us.anthropic.claude-3-7-sonnet-20250219-v1:0";

fn options(model_id: &str) -> TranslateOptions<'_> {
    TranslateOptions { model_id, foundation_id: None, image_input: true, prompt_caching: false, guardrail: None }
}

fn request(value: Value) -> MessagesRequest {
    serde_json::from_value(value).unwrap()
}

fn parts(value: Value, model: &str) -> Result<ConverseParts, TranslateError> {
    let plan = messages_plan(&request(value), &options(model), MaxTokens::Required)?;
    translate_messages_plan(&plan, &options(model))
}

#[test]
fn max_tokens_is_required_like_anthropic() {
    let err = parts(json!({"messages": [{"role": "user", "content": "hi"}]}), SONNET).unwrap_err();
    assert_eq!((err.message.as_str(), err.param.as_deref()), ("max_tokens: Field required", Some("max_tokens")));
    let plan = messages_plan(
        &request(json!({"messages": [{"role": "user", "content": "hi"}]})),
        &options(SONNET),
        MaxTokens::Absent,
    );
    assert!(plan.is_ok(), "count_tokens has no max_tokens");
}

#[test]
fn system_blocks_sampling_and_stops() {
    let parts = parts(
        json!({"max_tokens": 100, "temperature": 0.5, "top_k": 7, "stop_sequences": ["END"],
               "system": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}],
               "messages": [{"role": "user", "content": "hi"}]}),
        THINKER,
    )
    .unwrap();
    assert_eq!(parts.system, vec![SystemContentBlock::Text("a\nb".into())]);
    let config = parts.inference_config.unwrap();
    assert_eq!((config.max_tokens(), config.temperature()), (Some(100), Some(0.5)));
    assert_eq!(config.stop_sequences(), &["END".to_owned()]);
    assert_eq!(to_value(parts.additional_model_request_fields.as_ref().unwrap()), json!({"top_k": 7}));
}

#[test]
fn too_many_stop_sequences_name_the_field() {
    let err = parts(
        json!({"max_tokens": 5, "stop_sequences": ["a", "b", "c", "d", "e"], "messages": [{"role": "user", "content": "x"}]}),
        SONNET,
    )
    .unwrap_err();
    assert_eq!(err.param.as_deref(), Some("stop_sequences"));
}

#[test]
fn tool_loop_with_signed_thinking_and_error_results() {
    let parts = parts(
        json!({"max_tokens": 4000, "thinking": {"type": "enabled", "budget_tokens": 2048},
               "tools": [{"name": "get", "description": "d", "input_schema": {"type": "object"}}],
               "tool_choice": {"type": "auto", "disable_parallel_tool_use": true},
               "messages": [
                   {"role": "user", "content": "weather?"},
                   {"role": "assistant", "content": [
                       {"type": "thinking", "thinking": "hmm", "signature": "sig"},
                       {"type": "text", "text": "checking"},
                       {"type": "tool_use", "id": "tu1", "name": "get", "input": {"city": "Paris"}}]},
                   {"role": "user", "content": [
                       {"type": "tool_result", "tool_use_id": "tu1", "content": "boom", "is_error": true},
                       {"type": "text", "text": "and?"}]}]}),
        THINKER,
    )
    .unwrap();
    let assistant = &parts.messages[1];
    let ReasoningContentBlock::ReasoningText(thinking) = assistant.content()[0].as_reasoning_content().unwrap() else {
        panic!("{assistant:?}")
    };
    assert_eq!((thinking.text(), thinking.signature()), ("hmm", Some("sig")));
    let tool_use = assistant.content()[2].as_tool_use().unwrap();
    assert_eq!((tool_use.tool_use_id(), to_value(tool_use.input())), ("tu1", json!({"city": "Paris"})));
    let user = &parts.messages[2];
    assert_eq!(user.role(), &ConversationRole::User);
    let result = user.content()[0].as_tool_result().unwrap();
    assert_eq!(result.status(), Some(&ToolResultStatus::Error));
    assert_eq!(user.content()[1].as_text().unwrap(), "and?");
    let fields = to_value(parts.additional_model_request_fields.as_ref().unwrap());
    assert_eq!(fields["thinking"], json!({"type": "enabled", "budget_tokens": 2048}));
    assert!(parts.tool_config.unwrap().tool_choice().unwrap().is_auto());
}

#[test]
fn tool_choices_map() {
    let base = |choice: Value| {
        json!({"max_tokens": 10, "tool_choice": choice, "tools": [{"name": "f", "input_schema": {"type": "object"}}],
               "messages": [{"role": "user", "content": "x"}]})
    };
    let any = parts(base(json!({"type": "any"})), SONNET).unwrap();
    assert!(any.tool_config.unwrap().tool_choice().unwrap().is_any());
    let named = parts(base(json!({"type": "tool", "name": "f"})), SONNET).unwrap();
    assert!(named.tool_config.unwrap().tool_choice().unwrap().is_tool());
    let none = parts(base(json!({"type": "none"})), SONNET).unwrap();
    assert!(none.tool_config.is_none(), "no tool is offered");
}

#[test]
fn server_tools_are_a_clear_error() {
    let err = parts(
        json!({"max_tokens": 10, "tools": [{"type": "web_search_20250305", "name": "web_search"}],
               "messages": [{"role": "user", "content": "x"}]}),
        SONNET,
    )
    .unwrap_err();
    assert_eq!(err.param.as_deref(), Some("tools.0.type"));
    assert!(err.message.contains("web_search_20250305"), "{}", err.message);
}

#[test]
fn images_documents_and_cache_control() {
    let png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";
    let parts = parts(
        json!({"max_tokens": 10,
               "system": [{"type": "text", "text": "long", "cache_control": {"type": "ephemeral"}}],
               "messages": [{"role": "user", "content": [
                   {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": png}},
                   {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "notes"},
                    "title": "v1.2 notes"},
                   {"type": "text", "text": "describe", "cache_control": {"type": "ephemeral"}}]}]}),
        SONNET,
    )
    .unwrap();
    assert!(parts.system[1].is_cache_point(), "{:?}", parts.system);
    let blocks = parts.messages[0].content();
    assert!(blocks[0].is_image());
    let document = blocks[1].as_document().unwrap();
    assert_eq!(document.name(), "v1 2 notes");
    assert_eq!(blocks[2].as_text().unwrap(), "describe");
    assert!(blocks[3].is_cache_point());
}

#[test]
fn remote_image_urls_are_left_for_the_fetcher() {
    let plan = messages_plan(
        &request(json!({"max_tokens": 10, "messages": [{"role": "user", "content": [
            {"type": "image", "source": {"type": "url", "url": "https://example.com/a.png"}}]}]})),
        &options(SONNET),
        MaxTokens::Required,
    )
    .unwrap();
    let Some(MessageContent::Parts(parts)) = &plan.chat.messages[0].content else { panic!() };
    assert!(
        matches!(&parts[0], ContentPart::ImageUrl { image_url, .. } if image_url.url == "https://example.com/a.png")
    );
}

#[test]
fn unsupported_sources_and_misplaced_blocks_name_the_path() {
    let file = json!({"max_tokens": 10, "messages": [{"role": "user", "content": [
        {"type": "image", "source": {"type": "file", "file_id": "f"}}]}]});
    assert_eq!(parts(file, SONNET).unwrap_err().param.as_deref(), Some("messages.0.content.0.source"));
    let misplaced = json!({"max_tokens": 10, "messages": [{"role": "user", "content": [
        {"type": "tool_use", "id": "1", "name": "f", "input": {}}]}]});
    assert_eq!(parts(misplaced, SONNET).unwrap_err().param.as_deref(), Some("messages.0.content.0"));
}

#[test]
fn thinking_becomes_each_models_control() {
    let with = |thinking: Value, model: &str| {
        let value = json!({"max_tokens": 20000, "thinking": thinking, "messages": [{"role": "user", "content": "x"}]});
        messages_plan(&request(value), &options(model), MaxTokens::Required).unwrap().chat
    };
    let nova = with(json!({"type": "enabled", "budget_tokens": 10000}), "us.amazon.nova-2-lite-v1:0");
    assert_eq!((nova.reasoning_effort, nova.extra.thinking), (Some(ReasoningEffort::High), None));
    let llama = with(json!({"type": "enabled", "budget_tokens": 10000}), "us.meta.llama3-3-70b-instruct-v1:0");
    assert_eq!((llama.reasoning_effort, llama.extra.thinking), (None, None));
    let claude = with(json!({"type": "adaptive"}), THINKER);
    assert_eq!(claude.reasoning_effort, Some(ReasoningEffort::Medium), "budget-only Claude gets a budget");
    let off = with(json!({"type": "disabled"}), THINKER);
    assert_eq!((off.reasoning_effort, off.extra.thinking), (None, None));
}

#[test]
fn system_messages_among_the_turns_join_the_system_prompt() {
    let parts = parts(
        json!({"max_tokens": 4000, "system": "base", "thinking": {"type": "adaptive", "display": "omitted"},
               "messages": [
                   {"role": "user", "content": "q"},
                   {"role": "system", "content": [{"type": "text", "text": "env"}]},
                   {"role": "assistant", "content": "a"},
                   {"role": "user", "content": "q2"}]}),
        SONNET,
    )
    .unwrap();
    assert_eq!(parts.system, vec![SystemContentBlock::Text("base".into()), SystemContentBlock::Text("env".into())]);
    assert_eq!(parts.messages.len(), 3);
}

#[test]
fn top_level_cache_control_and_adaptive_effort() {
    let value = json!({"max_tokens": 4000, "cache_control": {"type": "ephemeral"}, "thinking": {"type": "adaptive"},
                       "output_config": {"effort": "high"}, "messages": [{"role": "user", "content": "q"}]});
    let adaptive = "us.anthropic.claude-sonnet-4-6";
    let plan = messages_plan(&request(value.clone()), &options(adaptive), MaxTokens::Required).unwrap();
    assert_eq!(plan.chat.extra.prompt_caching.unwrap().messages, Some(true));
    assert_eq!(plan.chat.extra.additional_model_request_fields.unwrap()["output_config"], json!({"effort": "high"}));
    let budget_only = messages_plan(&request(value), &options(SONNET), MaxTokens::Required).unwrap();
    assert_eq!(budget_only.chat.extra.additional_model_request_fields, None, "no adaptive thinking, no effort");
}
