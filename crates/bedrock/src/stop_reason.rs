//! Bedrock stop reasons → OpenAI finish reasons.

use aws_sdk_bedrockruntime::types::StopReason;
use openai::FinishReason;

/// Maps every Bedrock stop reason onto OpenAI's four values. Reasons OpenAI has no word
/// for end as `stop` (malformed output) or `length` (context window), never as an
/// unknown string that would break strict clients.
pub fn finish_reason(reason: &StopReason) -> FinishReason {
    match reason {
        StopReason::MaxTokens | StopReason::ModelContextWindowExceeded => FinishReason::Length,
        StopReason::ToolUse => FinishReason::ToolCalls,
        StopReason::ContentFiltered | StopReason::GuardrailIntervened => FinishReason::ContentFilter,
        _ => FinishReason::Stop,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_maps() {
        let cases = [
            ("end_turn", FinishReason::Stop),
            ("stop_sequence", FinishReason::Stop),
            ("max_tokens", FinishReason::Length),
            ("model_context_window_exceeded", FinishReason::Length),
            ("tool_use", FinishReason::ToolCalls),
            ("content_filtered", FinishReason::ContentFilter),
            ("guardrail_intervened", FinishReason::ContentFilter),
            ("malformed_model_output", FinishReason::Stop),
            ("malformed_tool_use", FinishReason::Stop),
            ("something_new", FinishReason::Stop),
        ];
        for (wire, expected) in cases {
            assert_eq!(finish_reason(&StopReason::from(wire)), expected, "{wire}");
        }
    }
}
