//! What the limits need from a request body before its handler reads it: the model named,
//! whether it streams, and its answer's cap. Parsed leniently: a body the handler will
//! reject anyway is still counted, and never refused here.

use serde::Deserialize;
use serde_json::Value;

/// The fields every face spells one of these ways.
#[derive(Debug, Default, Deserialize)]
struct Fields {
    model: Option<Value>,
    stream: Option<Value>,
    max_tokens: Option<Value>,
    max_completion_tokens: Option<Value>,
    max_output_tokens: Option<Value>,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Peek {
    /// The model named; `None` when the body names none (the face's default applies).
    pub model: Option<String>,
    pub stream: bool,
    /// The answer's cap, as the request sets it.
    pub max_tokens: Option<u64>,
}

pub fn peek(body: &[u8]) -> Peek {
    let fields: Fields = serde_json::from_slice(body).unwrap_or_default();
    let number = |v: &Option<Value>| v.as_ref().and_then(Value::as_u64);
    let model = fields.model.as_ref().and_then(Value::as_str).map(str::trim).filter(|m| !m.is_empty());
    Peek {
        model: model.map(str::to_owned),
        stream: fields.stream == Some(Value::Bool(true)),
        max_tokens: number(&fields.max_completion_tokens)
            .or(number(&fields.max_tokens))
            .or(number(&fields.max_output_tokens)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_the_limits_need_and_nothing_else() {
        let body = br#"{"model":"m","stream":true,"max_completion_tokens":50,"messages":[{"role":"user"}]}"#;
        assert_eq!(peek(body), Peek { model: Some("m".into()), stream: true, max_tokens: Some(50) });
        let responses = br#"{"model":" r ","max_output_tokens":9,"stream":"yes"}"#;
        assert_eq!(peek(responses), Peek { model: Some("r".into()), stream: false, max_tokens: Some(9) });
        assert_eq!(peek(b"not json"), Peek::default());
        assert_eq!(peek(br#"{"model":7,"max_tokens":-1}"#), Peek::default());
    }
}
