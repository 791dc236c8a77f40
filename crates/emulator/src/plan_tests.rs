use serde_json::json;

use super::*;
use crate::script;

fn request(body: serde_json::Value) -> ConverseRequest {
    serde_json::from_value(body).unwrap()
}

fn plan_for(text: &str, extra: serde_json::Value) -> Plan {
    let mut body = json!({"messages": [{"role": "user", "content": [{"text": text}]}]});
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    let req = request(body);
    build(&req, script::parse(&last_user_text(&req)).unwrap()).unwrap()
}

#[test]
fn echoes_with_usage() {
    let plan = plan_for("hello world", json!({}));
    assert_eq!(plan.blocks, vec![Block::Text("You said: hello world".into())]);
    assert_eq!(plan.stop_reason, "end_turn");
    assert_eq!(plan.usage.input_tokens, 2);
    assert_eq!(plan.usage.output_tokens, 4);
}

#[test]
fn words_are_deterministic_and_truncated() {
    assert_eq!(words(5), words(5));
    assert_eq!(words(30).split_whitespace().count(), 30);
    let plan = plan_for("#words 20", json!({"inferenceConfig": {"maxTokens": 4}}));
    assert_eq!(plan.stop_reason, "max_tokens");
    assert_eq!(plan.usage.output_tokens, 4);
    let plan = plan_for("a b END c", json!({"inferenceConfig": {"stopSequences": ["END"]}}));
    assert_eq!(plan.blocks, vec![Block::Text("You said: a b ".into())]);
    assert_eq!(plan.stop_reason, "stop_sequence");
}

#[test]
fn tool_directives_and_forced_choice() {
    let plan = plan_for("#tool f {\"x\": 1}\n#tool g", json!({}));
    assert_eq!(plan.stop_reason, "tool_use");
    assert!(
        matches!(&plan.blocks[..], [Block::ToolUse { name: f, .. }, Block::ToolUse { name: g, .. }] if f == "f" && g == "g")
    );
    let schema = json!({"type": "object", "properties": {"q": {"type": "string"}, "n": {"type": "integer"}}, "required": ["q", "n"]});
    let config = json!({"toolConfig": {"tools": [{"toolSpec": {"name": "search", "inputSchema": {"json": schema}}}], "toolChoice": {"any": {}}}});
    let plan = plan_for("find it", config);
    let Some(Block::ToolUse { name, input, id }) = plan.blocks.last() else { panic!("no tool call") };
    assert_eq!((name.as_str(), input.clone()), ("search", json!({"q": "example q"})));
    assert!(id.starts_with("tooluse_") && id.len() == 30);
}

#[test]
fn reasoning_stop_usage_and_errors() {
    let plan = plan_for("x\n#think\n#stop content_filtered\n#usage cacheRead=3 cacheWrite=2", json!({}));
    assert!(matches!(plan.blocks[0], Block::Reasoning { .. }));
    assert_eq!(plan.stop_reason, "content_filtered");
    assert_eq!(plan.usage.total_tokens, plan.usage.input_tokens + plan.usage.output_tokens + 5);
    let plan = plan_for("#think redacted\n#json {\"a\": 1}", json!({}));
    assert!(matches!(plan.blocks[0], Block::Redacted(_)));
    assert_eq!(plan.blocks[1], Block::Text("{\"a\": 1}".into()));
    assert_eq!(block_json(&plan.blocks[1]), json!({"text": "{\"a\": 1}"}));
    let req = request(json!({"messages": [{"role": "user", "content": [{"text": "#error throttling"}]}]}));
    let err = build(&req, script::parse("#error throttling").unwrap()).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Throttling);
}

#[test]
fn tool_results_feed_the_echo() {
    let req = request(json!({"messages": [
        {"role": "user", "content": [{"text": "go"}]},
        {"role": "assistant", "content": [{"toolUse": {"toolUseId": "t", "name": "f", "input": {}}}]},
        {"role": "user", "content": [{"toolResult": {"toolUseId": "t", "content": [{"json": {"v": 1}}, {"text": "done"}]}}]}
    ]}));
    assert_eq!(last_user_text(&req), "Tool result: {\"v\":1} done");
}
