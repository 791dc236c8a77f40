//! `reasoning_effort` (and an explicit `thinking`) → each model's own reasoning control.

use openai::ReasoningEffort;
use serde_json::{json, Map, Value};

use crate::capabilities::ReasoningStyle;
use crate::error::TranslateError;

/// Claude's smallest thinking budget.
pub const MIN_THINKING_BUDGET: i32 = 1024;
/// Tokens left for the answer when the client set no max tokens and thinking needs one.
pub const ANSWER_ROOM: i32 = 8192;

/// What reasoning adds to a request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReasoningPlan {
    /// Entries for `additionalModelRequestFields`.
    pub fields: Map<String, Value>,
    /// Claude thinking rejects custom temperature / top_p: they are dropped, not forwarded to fail.
    pub drop_sampling: bool,
    /// The max tokens to send (thinking needs one larger than its budget).
    pub max_tokens: Option<i32>,
}

/// Builds the plan. `thinking` is an explicit Anthropic `thinking` object from the client,
/// which wins over `reasoning_effort`.
pub fn reasoning_plan(
    effort: Option<ReasoningEffort>,
    thinking: Option<&Value>,
    style: ReasoningStyle,
    max_tokens: Option<i32>,
) -> Result<ReasoningPlan, TranslateError> {
    if let Some(thinking) = thinking {
        return Ok(explicit_thinking(thinking, max_tokens));
    }
    let base = ReasoningPlan { max_tokens, ..ReasoningPlan::default() };
    let Some(effort) = effort.filter(|e| *e != ReasoningEffort::None) else { return Ok(base) };
    let level = effort_word(effort);
    Ok(match style {
        ReasoningStyle::None => base,
        ReasoningStyle::ClaudeBudget => claude_budget(effort, max_tokens)?,
        ReasoningStyle::ClaudeAdaptive => ReasoningPlan {
            fields: object([("thinking", json!({"type": "adaptive"})), ("output_config", json!({"effort": level}))]),
            drop_sampling: true,
            max_tokens,
        },
        ReasoningStyle::DeepSeek => ReasoningPlan { fields: object([("reasoning_config", json!(level))]), ..base },
        ReasoningStyle::GptOss => ReasoningPlan { fields: object([("reasoning_effort", json!(level))]), ..base },
        ReasoningStyle::Nova => ReasoningPlan {
            fields: object([("reasoningConfig", json!({"type": "enabled", "maxReasoningEffort": level}))]),
            ..base
        },
    })
}

/// OpenAI's levels in the words the models use (`minimal` is the lowest they know: `low`).
fn effort_word(effort: ReasoningEffort) -> &'static str {
    match effort {
        ReasoningEffort::None | ReasoningEffort::Minimal | ReasoningEffort::Low => "low",
        ReasoningEffort::Medium => "medium",
        ReasoningEffort::High => "high",
    }
}

fn object<const N: usize>(entries: [(&str, Value); N]) -> Map<String, Value> {
    entries.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// Budget per effort level, capped so the answer keeps room within `max_tokens`.
fn claude_budget(effort: ReasoningEffort, max_tokens: Option<i32>) -> Result<ReasoningPlan, TranslateError> {
    let wanted = match effort {
        ReasoningEffort::None | ReasoningEffort::Minimal => MIN_THINKING_BUDGET,
        ReasoningEffort::Low => 2048,
        ReasoningEffort::Medium => 8192,
        ReasoningEffort::High => 16384,
    };
    let (budget, max_tokens) = match max_tokens {
        Some(max) if max <= MIN_THINKING_BUDGET => {
            return Err(TranslateError::new(
                format!("reasoning needs more than {MIN_THINKING_BUDGET} max tokens on this model"),
                "max_completion_tokens",
            ))
        }
        // Half of the room goes to thinking, at least the minimum budget.
        Some(max) => (wanted.min(max / 2).max(MIN_THINKING_BUDGET), max),
        None => (wanted, wanted + ANSWER_ROOM),
    };
    Ok(ReasoningPlan {
        fields: object([("thinking", json!({"type": "enabled", "budget_tokens": budget}))]),
        drop_sampling: true,
        max_tokens: Some(max_tokens),
    })
}

fn explicit_thinking(thinking: &Value, max_tokens: Option<i32>) -> ReasoningPlan {
    let enabled = thinking.get("type").and_then(Value::as_str).is_some_and(|t| t != "disabled");
    let budget = thinking.get("budget_tokens").and_then(Value::as_i64).and_then(|b| i32::try_from(b).ok());
    let max_tokens = match (max_tokens, budget) {
        (None, Some(budget)) if enabled => Some(budget.saturating_add(ANSWER_ROOM)),
        (max, _) => max,
    };
    ReasoningPlan { fields: object([("thinking", thinking.clone())]), drop_sampling: enabled, max_tokens }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claude_budget_leaves_room_for_the_answer() {
        let plan = reasoning_plan(Some(ReasoningEffort::High), None, ReasoningStyle::ClaudeBudget, Some(4000)).unwrap();
        assert_eq!(plan.fields["thinking"], json!({"type": "enabled", "budget_tokens": 2000}));
        assert_eq!(plan.max_tokens, Some(4000));
        assert!(plan.drop_sampling);
        let small = reasoning_plan(Some(ReasoningEffort::Low), None, ReasoningStyle::ClaudeBudget, Some(1500)).unwrap();
        assert_eq!(small.fields["thinking"]["budget_tokens"], 1024, "never under the minimum");
    }

    #[test]
    fn claude_without_max_tokens_gets_one() {
        let plan = reasoning_plan(Some(ReasoningEffort::Medium), None, ReasoningStyle::ClaudeBudget, None).unwrap();
        assert_eq!(plan.fields["thinking"]["budget_tokens"], 8192);
        assert_eq!(plan.max_tokens, Some(8192 + ANSWER_ROOM));
    }

    #[test]
    fn too_few_tokens_is_a_clear_error() {
        let err =
            reasoning_plan(Some(ReasoningEffort::Low), None, ReasoningStyle::ClaudeBudget, Some(1000)).unwrap_err();
        assert_eq!(err.param.as_deref(), Some("max_completion_tokens"));
    }

    #[test]
    fn each_style_has_its_form() {
        let plan = |style| reasoning_plan(Some(ReasoningEffort::Medium), None, style, None).unwrap();
        assert_eq!(plan(ReasoningStyle::DeepSeek).fields["reasoning_config"], "medium");
        assert_eq!(plan(ReasoningStyle::GptOss).fields["reasoning_effort"], "medium");
        assert_eq!(plan(ReasoningStyle::Nova).fields["reasoningConfig"]["maxReasoningEffort"], "medium");
        let adaptive = plan(ReasoningStyle::ClaudeAdaptive);
        assert_eq!(adaptive.fields["thinking"], json!({"type": "adaptive"}));
        assert_eq!(adaptive.fields["output_config"], json!({"effort": "medium"}));
        assert!(plan(ReasoningStyle::None).fields.is_empty());
    }

    #[test]
    fn none_means_no_reasoning() {
        let plan = reasoning_plan(Some(ReasoningEffort::None), None, ReasoningStyle::ClaudeBudget, Some(10)).unwrap();
        assert_eq!(plan, ReasoningPlan { max_tokens: Some(10), ..ReasoningPlan::default() });
    }

    #[test]
    fn explicit_thinking_wins() {
        let thinking = json!({"type": "enabled", "budget_tokens": 3000});
        let plan =
            reasoning_plan(Some(ReasoningEffort::High), Some(&thinking), ReasoningStyle::ClaudeBudget, None).unwrap();
        assert_eq!(plan.fields["thinking"], thinking);
        assert_eq!(plan.max_tokens, Some(3000 + ANSWER_ROOM));
        assert!(plan.drop_sampling);
    }
}
