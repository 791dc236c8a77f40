//! `additionalModelRequestFields`: reasoning controls and the pass-through fields
//! (`top_k`, `anthropic_beta`, `additionalModelRequestFields`), merged into one document.
//! Nothing else from the request is forwarded: unknown fields are ignored, never passed blindly.

use aws_smithy_types::Document;
use openai::PassThrough;
use serde_json::{json, Map, Value};

use crate::capabilities::{Capabilities, TopKStyle};
use crate::document::to_document;
use crate::error::TranslateError;

/// Merges, in increasing precedence: reasoning fields, `top_k`, `anthropic_beta`, then the
/// client's own `additionalModelRequestFields`.
pub fn additional_fields(
    reasoning: Map<String, Value>,
    extra: &PassThrough,
    capabilities: &Capabilities,
) -> Result<Option<Document>, TranslateError> {
    let mut fields = reasoning;
    if let Some(top_k) = extra.top_k {
        match capabilities.top_k {
            TopKStyle::Snake => {
                fields.insert("top_k".to_owned(), json!(top_k));
            }
            TopKStyle::NovaInferenceConfig => {
                fields.insert("inferenceConfig".to_owned(), json!({"topK": top_k}));
            }
            TopKStyle::Unsupported => {}
        }
    }
    if let Some(beta) = &extra.anthropic_beta {
        let list = match beta {
            Value::String(one) => json!([one]),
            Value::Array(_) => beta.clone(),
            _ => {
                return Err(TranslateError::new(
                    "anthropic_beta must be a string or a list of strings",
                    "anthropic_beta",
                ))
            }
        };
        fields.insert("anthropic_beta".to_owned(), list);
    }
    if let Some(own) = &extra.additional_model_request_fields {
        fields.extend(own.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    Ok((!fields.is_empty()).then(|| to_document(&Value::Object(fields))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capabilities::capabilities_for;
    use crate::document::to_value;

    fn extra(value: Value) -> PassThrough {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn nothing_means_none() {
        let caps = capabilities_for("anthropic.claude-3-haiku-20240307-v1:0", None);
        assert_eq!(additional_fields(Map::new(), &PassThrough::default(), &caps).unwrap(), None);
    }

    #[test]
    fn merged_in_order() {
        let caps = capabilities_for("anthropic.claude-3-7-sonnet-20250219-v1:0", None);
        let mut reasoning = Map::new();
        reasoning.insert("thinking".into(), json!({"type": "enabled", "budget_tokens": 1024}));
        let extra = extra(json!({"top_k": 5, "anthropic_beta": "interleaved-thinking-2025-05-14",
                                 "additionalModelRequestFields": {"top_k": 9, "custom": true}}));
        let doc = additional_fields(reasoning, &extra, &caps).unwrap().unwrap();
        assert_eq!(
            to_value(&doc),
            json!({"thinking": {"type": "enabled", "budget_tokens": 1024}, "top_k": 9, "custom": true,
                   "anthropic_beta": ["interleaved-thinking-2025-05-14"]})
        );
    }

    #[test]
    fn top_k_goes_where_the_model_reads_it() {
        let nova = capabilities_for("amazon.nova-pro-v1:0", None);
        let doc = additional_fields(Map::new(), &extra(json!({"top_k": 3})), &nova).unwrap().unwrap();
        assert_eq!(to_value(&doc), json!({"inferenceConfig": {"topK": 3}}));
        let titan = capabilities_for("amazon.titan-text-express-v1", None);
        assert_eq!(additional_fields(Map::new(), &extra(json!({"top_k": 3})), &titan).unwrap(), None);
    }
}
