//! Converse response → Anthropic `message`.

use anthropic::{Message, ResponseBlock, StopReason, Usage};
use aws_sdk_bedrockruntime::types::{
    ContentBlock, Message as BedrockMessage, ReasoningContentBlock, StopReason as BedrockStopReason, TokenUsage,
};
use base64::Engine as _;

use crate::document::to_value;
use crate::response::ConverseResult;

/// Identity of the message and what the request said about stopping.
#[derive(Debug, Clone, Copy)]
pub struct MessageMeta<'a> {
    pub id: &'a str,
    /// The model as the client named it.
    pub model: &'a str,
    pub stop_sequences: &'a [String],
}

/// Builds the Anthropic message, every block in Bedrock's order.
pub fn message_from_converse(result: &ConverseResult, meta: MessageMeta<'_>) -> Message {
    let blocks = result.message.as_ref().map_or(&[][..], BedrockMessage::content);
    let (stop_reason, stop_sequence) = stop_reason(&result.stop_reason, meta.stop_sequences);
    Message {
        id: meta.id.to_owned(),
        kind: "message",
        role: "assistant",
        content: blocks.iter().filter_map(response_block).collect(),
        model: meta.model.to_owned(),
        stop_reason: Some(stop_reason),
        stop_sequence,
        usage: result.usage.as_ref().map(usage).unwrap_or_default(),
    }
}

fn response_block(block: &ContentBlock) -> Option<ResponseBlock> {
    Some(match block {
        ContentBlock::Text(text) => ResponseBlock::Text { text: text.clone() },
        ContentBlock::ReasoningContent(ReasoningContentBlock::ReasoningText(r)) => ResponseBlock::Thinking {
            thinking: r.text().to_owned(),
            signature: r.signature().unwrap_or_default().to_owned(),
        },
        ContentBlock::ReasoningContent(ReasoningContentBlock::RedactedContent(data)) => {
            ResponseBlock::RedactedThinking { data: base64::engine::general_purpose::STANDARD.encode(data.as_ref()) }
        }
        ContentBlock::ToolUse(tool) => ResponseBlock::ToolUse {
            id: tool.tool_use_id().to_owned(),
            name: tool.name().to_owned(),
            input: to_value(tool.input()),
        },
        _ => return None,
    })
}

/// Bedrock's stop reason in Anthropic's words. Converse does not say which stop sequence
/// matched: it is reported when the request had exactly one.
pub fn stop_reason(reason: &BedrockStopReason, stop_sequences: &[String]) -> (StopReason, Option<String>) {
    let reason = match reason {
        BedrockStopReason::MaxTokens => StopReason::MaxTokens,
        BedrockStopReason::StopSequence => StopReason::StopSequence,
        BedrockStopReason::ToolUse => StopReason::ToolUse,
        BedrockStopReason::ContentFiltered | BedrockStopReason::GuardrailIntervened => StopReason::Refusal,
        BedrockStopReason::ModelContextWindowExceeded => StopReason::ModelContextWindowExceeded,
        _ => StopReason::EndTurn,
    };
    let sequence = match (reason, stop_sequences) {
        (StopReason::StopSequence, [only]) => Some(only.clone()),
        _ => None,
    };
    (reason, sequence)
}

fn count(n: i32) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// Bedrock's usage has Anthropic's meaning already: input tokens exclude the cache.
pub fn usage(usage: &TokenUsage) -> Usage {
    Usage {
        input_tokens: count(usage.input_tokens()),
        output_tokens: count(usage.output_tokens()),
        cache_creation_input_tokens: count(usage.cache_write_input_tokens().unwrap_or(0)),
        cache_read_input_tokens: count(usage.cache_read_input_tokens().unwrap_or(0)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_bedrockruntime::types::{ConversationRole, ReasoningTextBlock, ToolUseBlock};
    use aws_smithy_types::Blob;
    use serde_json::json;

    fn result(blocks: Vec<ContentBlock>, stop: &str) -> ConverseResult {
        let message = BedrockMessage::builder().role(ConversationRole::Assistant).set_content(Some(blocks)).build();
        ConverseResult {
            message: Some(message.unwrap()),
            stop_reason: BedrockStopReason::from(stop),
            usage: Some(
                TokenUsage::builder()
                    .input_tokens(7)
                    .output_tokens(3)
                    .total_tokens(40)
                    .cache_read_input_tokens(20)
                    .cache_write_input_tokens(10)
                    .build()
                    .unwrap(),
            ),
        }
    }

    const META: MessageMeta<'static> = MessageMeta { id: "msg_x", model: "claude-x", stop_sequences: &[] };

    #[test]
    fn blocks_in_order_with_usage() {
        let thinking = ReasoningTextBlock::builder().text("hmm").signature("sig").build().unwrap();
        let tool = ToolUseBlock::builder()
            .tool_use_id("tu1")
            .name("get")
            .input(crate::document::to_document(&json!({"city": "Paris"})))
            .build()
            .unwrap();
        let blocks = vec![
            ContentBlock::ReasoningContent(ReasoningContentBlock::ReasoningText(thinking)),
            ContentBlock::ReasoningContent(ReasoningContentBlock::RedactedContent(Blob::new(vec![1, 2]))),
            ContentBlock::Text("checking".into()),
            ContentBlock::ToolUse(tool),
        ];
        let message = message_from_converse(&result(blocks, "tool_use"), META);
        assert_eq!(
            serde_json::to_value(&message).unwrap(),
            json!({"id": "msg_x", "type": "message", "role": "assistant", "model": "claude-x",
                   "content": [{"type": "thinking", "thinking": "hmm", "signature": "sig"},
                               {"type": "redacted_thinking", "data": "AQI="},
                               {"type": "text", "text": "checking"},
                               {"type": "tool_use", "id": "tu1", "name": "get", "input": {"city": "Paris"}}],
                   "stop_reason": "tool_use", "stop_sequence": null,
                   "usage": {"input_tokens": 7, "output_tokens": 3,
                             "cache_creation_input_tokens": 10, "cache_read_input_tokens": 20}})
        );
    }

    #[test]
    fn every_stop_reason_maps() {
        let cases = [
            ("end_turn", StopReason::EndTurn),
            ("max_tokens", StopReason::MaxTokens),
            ("stop_sequence", StopReason::StopSequence),
            ("tool_use", StopReason::ToolUse),
            ("content_filtered", StopReason::Refusal),
            ("guardrail_intervened", StopReason::Refusal),
            ("model_context_window_exceeded", StopReason::ModelContextWindowExceeded),
            ("malformed_model_output", StopReason::EndTurn),
        ];
        for (wire, expected) in cases {
            assert_eq!(stop_reason(&BedrockStopReason::from(wire), &[]).0, expected, "{wire}");
        }
    }

    #[test]
    fn the_stop_sequence_is_named_when_unambiguous() {
        let one = ["END".to_owned()];
        assert_eq!(stop_reason(&BedrockStopReason::StopSequence, &one).1.as_deref(), Some("END"));
        let two = ["A".to_owned(), "B".to_owned()];
        assert_eq!(stop_reason(&BedrockStopReason::StopSequence, &two).1, None);
        assert_eq!(stop_reason(&BedrockStopReason::EndTurn, &one).1, None);
    }
}
