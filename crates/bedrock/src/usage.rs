//! Bedrock token usage → OpenAI usage.

use aws_sdk_bedrockruntime::types::TokenUsage;
use openai::{PromptTokensDetails, Usage};

fn count(n: i32) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// OpenAI's `prompt_tokens` includes cached tokens; Bedrock's `inputTokens` excludes
/// cache reads and writes, so they are added back.
pub fn usage_from_bedrock(usage: &TokenUsage) -> Usage {
    let cache_read = count(usage.cache_read_input_tokens().unwrap_or(0));
    let cache_write = count(usage.cache_write_input_tokens().unwrap_or(0));
    let prompt_tokens = count(usage.input_tokens()) + cache_read + cache_write;
    let completion_tokens = count(usage.output_tokens());
    Usage {
        prompt_tokens,
        completion_tokens,
        total_tokens: prompt_tokens + completion_tokens,
        prompt_tokens_details: (cache_read > 0 || cache_write > 0)
            .then_some(PromptTokensDetails { cached_tokens: cache_read, cache_creation_tokens: cache_write }),
        completion_tokens_details: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_tokens_count_as_prompt() {
        let usage = TokenUsage::builder()
            .input_tokens(10)
            .output_tokens(5)
            .total_tokens(45)
            .cache_read_input_tokens(20)
            .cache_write_input_tokens(10)
            .build()
            .unwrap();
        let usage = usage_from_bedrock(&usage);
        assert_eq!((usage.prompt_tokens, usage.completion_tokens, usage.total_tokens), (40, 5, 45));
        assert_eq!(
            usage.prompt_tokens_details,
            Some(PromptTokensDetails { cached_tokens: 20, cache_creation_tokens: 10 })
        );
    }

    #[test]
    fn no_details_without_cache() {
        let usage = TokenUsage::builder().input_tokens(1).output_tokens(2).total_tokens(3).build().unwrap();
        assert_eq!(usage_from_bedrock(&usage).prompt_tokens_details, None);
    }
}
