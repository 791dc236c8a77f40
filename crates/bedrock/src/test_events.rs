//! ConverseStream events for the stream translators' tests (every face's), built once.

use aws_sdk_bedrockruntime::types::{
    ContentBlockDelta, ContentBlockDeltaEvent, ContentBlockStart, ContentBlockStartEvent, ContentBlockStopEvent,
    ConversationRole, ConverseStreamMetadataEvent, ConverseStreamOutput, MessageStartEvent, MessageStopEvent,
    StopReason, TokenUsage, ToolUseBlockDelta, ToolUseBlockStart,
};

pub fn start() -> ConverseStreamOutput {
    ConverseStreamOutput::MessageStart(MessageStartEvent::builder().role(ConversationRole::Assistant).build().unwrap())
}

pub fn delta(block: i32, delta: ContentBlockDelta) -> ConverseStreamOutput {
    ConverseStreamOutput::ContentBlockDelta(
        ContentBlockDeltaEvent::builder().content_block_index(block).delta(delta).build().unwrap(),
    )
}

pub fn text(block: i32, t: &str) -> ConverseStreamOutput {
    delta(block, ContentBlockDelta::Text(t.into()))
}

pub fn tool_start(block: i32, id: &str, name: &str) -> ConverseStreamOutput {
    let start = ToolUseBlockStart::builder().tool_use_id(id).name(name).build().unwrap();
    ConverseStreamOutput::ContentBlockStart(
        ContentBlockStartEvent::builder()
            .content_block_index(block)
            .start(ContentBlockStart::ToolUse(start))
            .build()
            .unwrap(),
    )
}

pub fn tool_input(block: i32, input: &str) -> ConverseStreamOutput {
    delta(block, ContentBlockDelta::ToolUse(ToolUseBlockDelta::builder().input(input).build().unwrap()))
}

pub fn block_stop(block: i32) -> ConverseStreamOutput {
    ConverseStreamOutput::ContentBlockStop(ContentBlockStopEvent::builder().content_block_index(block).build().unwrap())
}

pub fn stop(reason: impl Into<StopReason>) -> ConverseStreamOutput {
    ConverseStreamOutput::MessageStop(MessageStopEvent::builder().stop_reason(reason.into()).build().unwrap())
}

/// A metadata event with plain usage.
pub fn usage(input: i32, output: i32) -> ConverseStreamOutput {
    let usage =
        TokenUsage::builder().input_tokens(input).output_tokens(output).total_tokens(input + output).build().unwrap();
    ConverseStreamOutput::Metadata(ConverseStreamMetadataEvent::builder().usage(usage).build())
}
