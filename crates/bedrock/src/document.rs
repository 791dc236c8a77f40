//! `serde_json::Value` ⇄ `aws_smithy_types::Document` (tool inputs, schemas, extra fields).

use aws_smithy_types::{Document, Number};
use serde_json::Value;

/// Converts JSON into a Smithy document, preserving integer-ness of numbers.
pub fn to_document(value: &Value) -> Document {
    match value {
        Value::Null => Document::Null,
        Value::Bool(b) => Document::Bool(*b),
        Value::Number(n) => Document::Number(number_of(n)),
        Value::String(s) => Document::String(s.clone()),
        Value::Array(items) => Document::Array(items.iter().map(to_document).collect()),
        Value::Object(map) => Document::Object(map.iter().map(|(k, v)| (k.clone(), to_document(v))).collect()),
    }
}

fn number_of(n: &serde_json::Number) -> Number {
    if let Some(u) = n.as_u64() {
        Number::PosInt(u)
    } else if let Some(i) = n.as_i64() {
        Number::NegInt(i)
    } else {
        Number::Float(n.as_f64().unwrap_or(0.0))
    }
}

/// Converts a Smithy document back to JSON (non-finite floats become null, as JSON has none).
pub fn to_value(doc: &Document) -> Value {
    match doc {
        Document::Null => Value::Null,
        Document::Bool(b) => Value::Bool(*b),
        Document::Number(Number::PosInt(u)) => Value::from(*u),
        Document::Number(Number::NegInt(i)) => Value::from(*i),
        Document::Number(Number::Float(f)) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
        Document::String(s) => Value::String(s.clone()),
        Document::Array(items) => Value::Array(items.iter().map(to_value).collect()),
        Document::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), to_value(v))).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn round_trip_keeps_shape_and_numbers() {
        let value = json!({"a": [1, -2, 2.5, null, true, "s"], "b": {"c": {}}});
        assert_eq!(to_value(&to_document(&value)), value);
    }

    #[test]
    fn integers_stay_integers() {
        assert_eq!(to_document(&json!(3)), Document::Number(Number::PosInt(3)));
        assert_eq!(to_document(&json!(-3)), Document::Number(Number::NegInt(-3)));
    }
}
