//! An operator's per-model parameters (from the routing file), applied to a translated call:
//! defaults fill only what the request left unset; fixed fields are sent on every call and
//! replace the request's fields of the same name.

use std::collections::HashMap;

use aws_sdk_bedrockruntime::types::InferenceConfiguration;
use aws_smithy_types::Document;
use serde_json::{Map, Value};

use crate::document::to_document;
use crate::request::ConverseParts;

/// Per-model parameters; the default (all empty) changes nothing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModelParams {
    pub temperature: Option<f32>,
    pub top_p: Option<f32>,
    pub max_tokens: Option<i32>,
    pub stop: Vec<String>,
    /// `additionalModelRequestFields` sent on every call.
    pub fixed_fields: Map<String, Value>,
}

impl ModelParams {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// Applies `params` to a translated call: the request's own values win over defaults.
pub fn apply_model_params(parts: &mut ConverseParts, params: &ModelParams) {
    if params.is_empty() {
        return;
    }
    let current = parts.inference_config.take().unwrap_or_else(|| InferenceConfiguration::builder().build());
    let with_defaults = with_inference_defaults(current, params);
    parts.inference_config = (with_defaults != InferenceConfiguration::builder().build()).then_some(with_defaults);
    if !params.fixed_fields.is_empty() {
        let mut fields = match parts.additional_model_request_fields.take() {
            Some(Document::Object(map)) => map,
            _ => HashMap::new(),
        };
        fields.extend(params.fixed_fields.iter().map(|(k, v)| (k.clone(), to_document(v))));
        parts.additional_model_request_fields = Some(Document::Object(fields));
    }
}

fn with_inference_defaults(config: InferenceConfiguration, params: &ModelParams) -> InferenceConfiguration {
    let stop = match config.stop_sequences.as_deref() {
        Some([_, ..]) => config.stop_sequences.clone(),
        _ if params.stop.is_empty() => config.stop_sequences.clone(),
        _ => Some(params.stop.clone()),
    };
    InferenceConfiguration::builder()
        .set_max_tokens(config.max_tokens.or(params.max_tokens))
        .set_temperature(config.temperature.or(params.temperature))
        .set_top_p(config.top_p.or(params.top_p))
        .set_stop_sequences(stop)
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parts(config: Option<InferenceConfiguration>, fields: Option<Document>) -> ConverseParts {
        ConverseParts {
            model_id: "m".into(),
            system: Vec::new(),
            messages: Vec::new(),
            inference_config: config,
            tool_config: None,
            additional_model_request_fields: fields,
            guardrail: None,
        }
    }

    fn params() -> ModelParams {
        let fixed = json!({"top_k": 5}).as_object().cloned().unwrap_or_default();
        ModelParams {
            temperature: Some(0.2),
            top_p: Some(0.9),
            max_tokens: Some(100),
            stop: vec!["END".into()],
            fixed_fields: fixed,
        }
    }

    #[test]
    fn defaults_fill_what_the_request_left_unset() {
        let mut call = parts(None, None);
        apply_model_params(&mut call, &params());
        let config = call.inference_config.unwrap();
        assert_eq!((config.temperature, config.top_p, config.max_tokens), (Some(0.2), Some(0.9), Some(100)));
        assert_eq!(config.stop_sequences, Some(vec!["END".to_owned()]));
    }

    #[test]
    fn request_values_win_over_defaults() {
        let mine = InferenceConfiguration::builder().temperature(0.7).stop_sequences("STOP").build();
        let mut call = parts(Some(mine), None);
        apply_model_params(&mut call, &params());
        let config = call.inference_config.unwrap();
        assert_eq!((config.temperature, config.max_tokens), (Some(0.7), Some(100)));
        assert_eq!(config.stop_sequences, Some(vec!["STOP".to_owned()]));
    }

    #[test]
    fn fixed_fields_replace_the_request_fields_of_the_same_name_and_keep_the_others() {
        let theirs = to_document(&json!({"top_k": 50, "thinking": {"type": "enabled"}}));
        let mut call = parts(None, Some(theirs));
        apply_model_params(&mut call, &params());
        let fields = crate::document::to_value(&call.additional_model_request_fields.unwrap());
        assert_eq!(fields, json!({"top_k": 5, "thinking": {"type": "enabled"}}));
    }

    #[test]
    fn empty_params_change_nothing() {
        let mut call = parts(None, None);
        apply_model_params(&mut call, &ModelParams::default());
        assert!(call.inference_config.is_none() && call.additional_model_request_fields.is_none());
    }
}
