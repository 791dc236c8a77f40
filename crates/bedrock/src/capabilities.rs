//! Per-model quirks, as data in one place (never substring checks scattered in code).
//!
//! The system-prompt, document, tool-use and streaming-tool-use columns follow the Bedrock
//! user guide's "Supported models and model features" table for the Converse API
//! (<https://docs.aws.amazon.com/bedrock/latest/userguide/conversation-inference-supported-models-features.html>).
//! Image input is not here: ListFoundationModels reports it (`inputModalities`).

use crate::model_id;

/// What a model accepts, beyond what ListFoundationModels reports.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Capabilities {
    /// Accepts Converse `system` blocks; otherwise system text is folded into the first user turn.
    pub system_prompt: bool,
    /// Accepts `document` blocks ("document chat").
    pub documents: bool,
    /// Accepts `toolConfig`.
    pub tool_use: bool,
    /// Accepts `toolConfig` on ConverseStream.
    pub stream_tool_use: bool,
    /// Accepts `toolChoice` (Llama 3.1 rejects it).
    pub tool_choice: bool,
    /// Highest temperature Bedrock accepts; OpenAI allows up to 2, so larger values are clamped.
    pub max_temperature: f32,
    /// Rejects `temperature` and `topP` together (Claude 4.5 family); `topP` is dropped.
    pub temperature_xor_top_p: bool,
    /// Accepts `cachePoint` blocks (prompt caching).
    pub prompt_caching: bool,
    /// Accepts a conversation ending with an assistant turn (prefill).
    pub assistant_prefill: bool,
    /// How `reasoning_effort` is expressed for this model.
    pub reasoning: ReasoningStyle,
    /// Where `top_k` goes in `additionalModelRequestFields`.
    pub top_k: TopKStyle,
}

/// The model's own reasoning control.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReasoningStyle {
    /// No control: `reasoning_effort` is accepted and ignored (documented).
    None,
    /// Claude extended thinking: `thinking: {type: enabled, budget_tokens}`.
    ClaudeBudget,
    /// Claude models that take `thinking: {type: adaptive}` with an effort level.
    ClaudeAdaptive,
    /// DeepSeek V3.x: `reasoning_config: "<effort>"`.
    DeepSeek,
    /// OpenAI gpt-oss: `reasoning_effort: "<effort>"`.
    GptOss,
    /// Amazon Nova 2: `reasoningConfig: {type: enabled, maxReasoningEffort}`.
    Nova,
}

/// The key a model reads `top_k` from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopKStyle {
    /// `top_k` at the top level (Anthropic, Mistral, Cohere, Llama).
    Snake,
    /// `inferenceConfig.topK` (Amazon Nova).
    NovaInferenceConfig,
    /// The model has no top-k; the field is dropped.
    Unsupported,
}

const DEFAULT: Capabilities = Capabilities {
    system_prompt: true,
    documents: true,
    tool_use: true,
    stream_tool_use: true,
    tool_choice: true,
    max_temperature: 1.0,
    temperature_xor_top_p: false,
    prompt_caching: false,
    assistant_prefill: true,
    reasoning: ReasoningStyle::None,
    top_k: TopKStyle::Snake,
};

const CLAUDE: Capabilities = Capabilities { prompt_caching: true, reasoning: ReasoningStyle::ClaudeBudget, ..DEFAULT };
const CLAUDE_45: Capabilities = Capabilities { temperature_xor_top_p: true, ..CLAUDE };
const NOVA: Capabilities = Capabilities { prompt_caching: true, top_k: TopKStyle::NovaInferenceConfig, ..DEFAULT };
/// No tool use at all (so none while streaming either).
const NO_TOOLS: Capabilities = Capabilities { tool_use: false, stream_tool_use: false, tool_choice: false, ..DEFAULT };
/// Tool use, but not on ConverseStream (answered without streaming, replayed as SSE).
const BATCH_TOOLS: Capabilities = Capabilities { stream_tool_use: false, tool_choice: false, ..DEFAULT };
/// Mistral 7B / Mixtral Instruct and Titan Text: no system prompt and no tools.
const INSTRUCT_ONLY: Capabilities = Capabilities { system_prompt: false, ..NO_TOOLS };

/// Longest matching foundation-id prefix wins; unknown models get `DEFAULT`.
const TABLE: &[(&str, Capabilities)] = &[
    ("ai21.jamba-instruct", Capabilities { documents: false, ..NO_TOOLS }),
    ("anthropic.claude", Capabilities { reasoning: ReasoningStyle::None, prompt_caching: false, ..CLAUDE }),
    ("anthropic.claude-v2", Capabilities { tool_use: false, stream_tool_use: false, tool_choice: false, ..DEFAULT }),
    (
        "anthropic.claude-instant",
        Capabilities { tool_use: false, stream_tool_use: false, tool_choice: false, ..DEFAULT },
    ),
    ("anthropic.claude-3-5-haiku", Capabilities { reasoning: ReasoningStyle::None, ..CLAUDE }),
    ("anthropic.claude-3-7-sonnet", CLAUDE),
    ("anthropic.claude-sonnet-4", CLAUDE),
    ("anthropic.claude-opus-4", CLAUDE),
    ("anthropic.claude-opus-4-1", CLAUDE_45),
    ("anthropic.claude-sonnet-4-5", CLAUDE_45),
    ("anthropic.claude-haiku-4-5", CLAUDE_45),
    ("anthropic.claude-opus-4-5", CLAUDE_45),
    ("anthropic.claude-sonnet-4-6", Capabilities { reasoning: ReasoningStyle::ClaudeAdaptive, ..CLAUDE_45 }),
    (
        "anthropic.claude-opus-4-6",
        Capabilities { reasoning: ReasoningStyle::ClaudeAdaptive, assistant_prefill: false, ..CLAUDE_45 },
    ),
    ("amazon.nova", NOVA),
    ("amazon.nova-micro", Capabilities { documents: false, ..NOVA }),
    ("amazon.nova-2", Capabilities { reasoning: ReasoningStyle::Nova, ..NOVA }),
    ("amazon.titan-text", Capabilities { top_k: TopKStyle::Unsupported, ..INSTRUCT_ONLY }),
    ("amazon.titan-text-premier", Capabilities { documents: false, top_k: TopKStyle::Unsupported, ..INSTRUCT_ONLY }),
    ("mistral.mistral-7b", INSTRUCT_ONLY),
    ("mistral.mixtral", INSTRUCT_ONLY),
    ("mistral.mistral-large", BATCH_TOOLS),
    ("mistral.mistral-small", BATCH_TOOLS),
    ("mistral.pixtral", DEFAULT),
    ("meta.llama", BATCH_TOOLS),
    ("meta.llama2", NO_TOOLS),
    ("meta.llama3-", NO_TOOLS),
    ("meta.llama3-1", BATCH_TOOLS),
    ("meta.llama3-2-1b", NO_TOOLS),
    ("meta.llama3-2-3b", NO_TOOLS),
    ("meta.llama3-2-11b", BATCH_TOOLS),
    ("meta.llama3-2-90b", BATCH_TOOLS),
    ("meta.llama3-3", BATCH_TOOLS),
    ("cohere.command-r", BATCH_TOOLS),
    ("deepseek.r1", NO_TOOLS),
    ("deepseek.v3", Capabilities { reasoning: ReasoningStyle::DeepSeek, ..DEFAULT }),
    ("openai.gpt-oss", Capabilities { max_temperature: 2.0, reasoning: ReasoningStyle::GptOss, ..DEFAULT }),
];

/// Capabilities of the model behind `model_id` (foundation id, profile id or ARN).
/// `resolved_foundation` is the foundation id the model catalogue found for opaque ARNs.
pub fn capabilities_for(model_id: &str, resolved_foundation: Option<&str>) -> Capabilities {
    let foundation = resolved_foundation.or_else(|| model_id::foundation_id(model_id)).unwrap_or(model_id);
    TABLE
        .iter()
        .filter(|(prefix, _)| foundation.starts_with(prefix))
        .max_by_key(|(prefix, _)| prefix.len())
        .map_or(DEFAULT, |(_, caps)| *caps)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_inherit_their_model() {
        let caps = capabilities_for("us.anthropic.claude-sonnet-4-5-20250929-v1:0", None);
        assert!(caps.temperature_xor_top_p);
        assert!(!capabilities_for("anthropic.claude-3-haiku-20240307-v1:0", None).temperature_xor_top_p);
    }

    #[test]
    fn longest_prefix_wins() {
        assert!(!capabilities_for("meta.llama3-1-70b-instruct-v1:0", None).tool_choice);
        assert!(!capabilities_for("amazon.titan-text-express-v1", None).system_prompt);
    }

    #[test]
    fn claude_families() {
        assert_eq!(capabilities_for("anthropic.claude-3-haiku-20240307-v1:0", None).reasoning, ReasoningStyle::None);
        let sonnet37 = capabilities_for("us.anthropic.claude-3-7-sonnet-20250219-v1:0", None);
        assert_eq!(sonnet37.reasoning, ReasoningStyle::ClaudeBudget);
        assert!(sonnet37.prompt_caching);
        let opus46 = capabilities_for("global.anthropic.claude-opus-4-6-v1", None);
        assert_eq!(opus46.reasoning, ReasoningStyle::ClaudeAdaptive);
        assert!(!opus46.assistant_prefill);
        assert_eq!(capabilities_for("amazon.nova-lite-v1:0", None).top_k, TopKStyle::NovaInferenceConfig);
    }

    #[test]
    fn models_without_system_prompts_documents_or_tools() {
        for id in
            ["mistral.mistral-7b-instruct-v0:2", "mistral.mixtral-8x7b-instruct-v0:1", "amazon.titan-text-lite-v1"]
        {
            let caps = capabilities_for(id, None);
            assert!(!caps.system_prompt && !caps.tool_use, "{id}");
        }
        assert!(!capabilities_for("us.amazon.nova-micro-v1:0", None).documents);
        assert!(capabilities_for("us.amazon.nova-lite-v1:0", None).documents);
        assert!(!capabilities_for("amazon.titan-text-premier-v1:0", None).documents);
        assert!(!capabilities_for("meta.llama3-8b-instruct-v1:0", None).tool_use);
        assert!(!capabilities_for("us.meta.llama3-2-3b-instruct-v1:0", None).tool_use);
        let llama31 = capabilities_for("meta.llama3-1-70b-instruct-v1:0", None);
        assert!(llama31.tool_use && !llama31.stream_tool_use);
        let pixtral = capabilities_for("us.mistral.pixtral-large-2502-v1:0", None);
        assert!(pixtral.stream_tool_use && pixtral.system_prompt);
    }

    #[test]
    fn opaque_arns_use_the_resolved_model() {
        let arn = "arn:aws:bedrock:us-east-1:1:application-inference-profile/x";
        assert_eq!(capabilities_for(arn, None), DEFAULT);
        assert!(capabilities_for(arn, Some("anthropic.claude-haiku-4-5-20251001-v1:0")).temperature_xor_top_p);
    }
}
