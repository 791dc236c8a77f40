use serde_json::json;

use super::*;

const HAIKU: &str = "anthropic.claude-3-5-haiku-20241022-v1:0";

fn body(value: Value) -> Vec<u8> {
    serde_json::to_vec(&value).unwrap()
}

fn converse(messages: Value) -> Vec<u8> {
    body(json!({"input": {"converse": {"messages": messages, "system": [{"text": "be brief"}]}}}))
}

#[test]
fn counts_converse_input_words() {
    let n = count(HAIKU, &converse(json!([{"role": "user", "content": [{"text": "one two three"}]}]))).unwrap();
    assert_eq!(n, 5, "system + message words");
    let arn = format!("arn:aws:bedrock:us-east-1::foundation-model/{HAIKU}");
    assert_eq!(count(&arn, &converse(json!([{"role": "user", "content": [{"text": "x"}]}]))).unwrap(), 3);
}

#[test]
fn profile_only_claude_models_count_by_bare_id() {
    let sonnet = "anthropic.claude-sonnet-4-5-20250929-v1:0";
    assert!(count(sonnet, &converse(json!([{"role": "user", "content": [{"text": "x"}]}]))).is_ok());
}

#[test]
fn profiles_and_other_providers_are_unsupported() {
    let input = converse(json!([{"role": "user", "content": [{"text": "x"}]}]));
    for id in ["us.anthropic.claude-3-5-haiku-20241022-v1:0", "amazon.nova-lite-v1:0", "meta.llama3-1-8b-instruct-v1:0"]
    {
        let error = count(id, &input).unwrap_err();
        assert_eq!(error.message, UNSUPPORTED, "{id}");
    }
    assert_eq!(count("nope.model-v1", &input).unwrap_err().kind, crate::errors::ErrorKind::ResourceNotFound);
}

#[test]
fn converse_input_is_validated_and_the_union_is_exclusive() {
    let bad = converse(json!([{"role": "assistant", "content": [{"text": "x"}]}]));
    assert!(count(HAIKU, &bad).is_err());
    let both = body(json!({"input": {"converse": {"messages": []}, "invokeModel": {"body": ""}}}));
    assert!(count(HAIKU, &both).is_err());
    assert!(count(HAIKU, &body(json!({"input": {}, "extra": 1}))).is_err());
}

#[test]
fn invoke_model_bodies_count_their_text() {
    let raw = json!({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 10,
                     "messages": [{"role": "user", "content": [{"type": "text", "text": "a b c d"}]}]});
    let encoded = base64::engine::general_purpose::STANDARD.encode(raw.to_string());
    let n = count(HAIKU, &body(json!({"input": {"invokeModel": {"body": encoded}}}))).unwrap();
    assert_eq!(n, 4, "the text words (not roles or types)");
}
