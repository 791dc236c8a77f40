//! Sampling parameters → Converse `inferenceConfig`.

use aws_sdk_bedrockruntime::types::InferenceConfiguration;
use openai::ChatCompletionRequest;

use crate::capabilities::Capabilities;
use crate::error::TranslateError;
use crate::reasoning::ReasoningPlan;

/// Most Bedrock models take at most 4 stop sequences.
pub const MAX_STOP_SEQUENCES: usize = 4;

/// Builds `inferenceConfig` from what the client set; unset fields stay unset (so an omitted
/// max tokens leaves the model's own default, never a silent truncation).
pub fn inference_config(
    request: &ChatCompletionRequest,
    capabilities: &Capabilities,
    reasoning: &ReasoningPlan,
) -> Result<Option<InferenceConfiguration>, TranslateError> {
    let max_tokens = reasoning.max_tokens;
    let mut temperature = temperature(request.temperature, capabilities)?;
    let mut top_p = top_p(request.top_p)?;
    if reasoning.drop_sampling {
        (temperature, top_p) = (None, None);
    }
    // Clients such as Open WebUI always send both; these models reject that, so keep temperature.
    if capabilities.temperature_xor_top_p && temperature.is_some() {
        top_p = None;
    }
    let stop = stop_sequences(request)?;
    if max_tokens.is_none() && temperature.is_none() && top_p.is_none() && stop.is_none() {
        return Ok(None);
    }
    Ok(Some(
        InferenceConfiguration::builder()
            .set_max_tokens(max_tokens)
            .set_temperature(temperature)
            .set_top_p(top_p)
            .set_stop_sequences(stop)
            .build(),
    ))
}

/// `max_completion_tokens` (the current name) wins over the deprecated `max_tokens`.
pub fn max_tokens(request: &ChatCompletionRequest) -> Result<Option<i32>, TranslateError> {
    let (value, param) = match (request.max_completion_tokens, request.max_tokens) {
        (Some(v), _) => (v, "max_completion_tokens"),
        (None, Some(v)) => (v, "max_tokens"),
        (None, None) => return Ok(None),
    };
    if value == 0 {
        return Err(TranslateError::new(format!("{param} must be at least 1"), param));
    }
    Ok(Some(i32::try_from(value).unwrap_or(i32::MAX)))
}

fn temperature(value: Option<f32>, capabilities: &Capabilities) -> Result<Option<f32>, TranslateError> {
    let Some(t) = value else { return Ok(None) };
    if !(0.0..=2.0).contains(&t) {
        return Err(TranslateError::new("temperature must be between 0 and 2", "temperature"));
    }
    // OpenAI's range is 0–2, Bedrock's usually 0–1: clamp rather than fail.
    Ok(Some(t.min(capabilities.max_temperature)))
}

fn top_p(value: Option<f32>) -> Result<Option<f32>, TranslateError> {
    match value {
        Some(p) if !(0.0..=1.0).contains(&p) => Err(TranslateError::new("top_p must be between 0 and 1", "top_p")),
        other => Ok(other),
    }
}

fn stop_sequences(request: &ChatCompletionRequest) -> Result<Option<Vec<String>>, TranslateError> {
    let Some(stop) = request.stop.clone() else {
        return Ok(None);
    };
    let stops: Vec<String> = stop.into_vec().into_iter().filter(|s| !s.is_empty()).collect();
    if stops.len() > MAX_STOP_SEQUENCES {
        return Err(TranslateError::new(format!("stop accepts at most {MAX_STOP_SEQUENCES} sequences"), "stop"));
    }
    Ok((!stops.is_empty()).then_some(stops))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capabilities::capabilities_for;
    use openai::StopSequences;

    fn config_for(
        request: &ChatCompletionRequest,
        caps: &Capabilities,
    ) -> Result<Option<InferenceConfiguration>, TranslateError> {
        let plan = ReasoningPlan { max_tokens: max_tokens(request)?, ..ReasoningPlan::default() };
        inference_config(request, caps, &plan)
    }

    #[test]
    fn thinking_drops_sampling_and_sets_max_tokens() {
        let req = ChatCompletionRequest { temperature: Some(0.3), top_p: Some(0.5), ..Default::default() };
        let plan = ReasoningPlan { drop_sampling: true, max_tokens: Some(9000), ..ReasoningPlan::default() };
        let config = inference_config(&req, &caps(), &plan).unwrap().unwrap();
        assert_eq!((config.temperature(), config.top_p(), config.max_tokens()), (None, None, Some(9000)));
    }

    fn caps() -> Capabilities {
        capabilities_for("anthropic.claude-3-haiku-20240307-v1:0", None)
    }

    #[test]
    fn nothing_set_means_no_config() {
        assert_eq!(
            inference_config(&ChatCompletionRequest::default(), &caps(), &ReasoningPlan::default()).unwrap(),
            None
        );
    }

    #[test]
    fn max_completion_tokens_wins() {
        let req = ChatCompletionRequest { max_tokens: Some(10), max_completion_tokens: Some(20), ..Default::default() };
        assert_eq!(config_for(&req, &caps()).unwrap().unwrap().max_tokens(), Some(20));
        let zero = ChatCompletionRequest { max_tokens: Some(0), ..Default::default() };
        assert_eq!(config_for(&zero, &caps()).unwrap_err().param.as_deref(), Some("max_tokens"));
    }

    #[test]
    fn temperature_is_validated_and_clamped() {
        let hot = ChatCompletionRequest { temperature: Some(1.5), ..Default::default() };
        assert_eq!(config_for(&hot, &caps()).unwrap().unwrap().temperature(), Some(1.0));
        let bad = ChatCompletionRequest { temperature: Some(3.0), ..Default::default() };
        assert_eq!(config_for(&bad, &caps()).unwrap_err().param.as_deref(), Some("temperature"));
        let bad_p = ChatCompletionRequest { top_p: Some(1.5), ..Default::default() };
        assert_eq!(config_for(&bad_p, &caps()).unwrap_err().param.as_deref(), Some("top_p"));
    }

    #[test]
    fn top_p_dropped_where_models_reject_both() {
        let req = ChatCompletionRequest { temperature: Some(0.5), top_p: Some(0.9), ..Default::default() };
        let sonnet = capabilities_for("us.anthropic.claude-sonnet-4-5-20250929-v1:0", None);
        let config = config_for(&req, &sonnet).unwrap().unwrap();
        assert_eq!((config.temperature(), config.top_p()), (Some(0.5), None));
        let config = config_for(&req, &caps()).unwrap().unwrap();
        assert_eq!(config.top_p(), Some(0.9));
    }

    #[test]
    fn stop_sequences_map() {
        let req = ChatCompletionRequest { stop: Some(StopSequences::One("END".into())), ..Default::default() };
        assert_eq!(config_for(&req, &caps()).unwrap().unwrap().stop_sequences(), &["END".to_owned()]);
        let many = ChatCompletionRequest {
            stop: Some(StopSequences::Many(vec!["a".into(), "b".into(), "c".into(), "d".into(), "e".into()])),
            ..Default::default()
        };
        assert_eq!(config_for(&many, &caps()).unwrap_err().param.as_deref(), Some("stop"));
    }
}
