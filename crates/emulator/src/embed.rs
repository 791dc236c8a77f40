//! Embedding models over InvokeModel: request dialects, deterministic vectors.

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use crate::catalog::Embedder;
use crate::errors::ApiError;

const MAX_TEXTS: usize = 96;

/// Deterministic vector for (model, text, dimension); unit length when `normalize`.
pub fn vector(model: &str, text: &str, dim: usize, normalize: bool) -> Vec<f32> {
    let hash = Sha256::digest(format!("{model}\0{text}\0{dim}").as_bytes());
    let mut seed = [0u8; 8];
    seed.copy_from_slice(&hash[..8]);
    let mut state = u64::from_le_bytes(seed) | 1;
    let mut values: Vec<f32> = (0..dim)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            ((state >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect();
    if normalize {
        let norm = values.iter().map(|v| v * v).sum::<f32>().sqrt().max(f32::MIN_POSITIVE);
        values.iter_mut().for_each(|v| *v /= norm);
    }
    values
}

pub fn malformed(detail: &str) -> ApiError {
    ApiError::validation(format!("Malformed input request: {detail}, please reformat your input and try again."))
}

fn required<'a>(body: &'a Value, key: &str) -> Result<&'a Value, ApiError> {
    body.get(key).ok_or_else(|| malformed(&format!("#: required key [{key}] not found")))
}

fn string<'a>(body: &'a Value, key: &str) -> Result<&'a str, ApiError> {
    required(body, key)?.as_str().ok_or_else(|| malformed(&format!("#/{key}: expected type: String")))
}

fn one_of(value: Option<&Value>, key: &str, allowed: &[&str]) -> Result<(), ApiError> {
    match value {
        None => Ok(()),
        Some(Value::String(s)) if allowed.contains(&s.as_str()) => Ok(()),
        Some(other) => Err(malformed(&format!("#/{key}: {other} is not a valid enum value"))),
    }
}

fn dimension(value: Option<&Value>, key: &str, allowed: &[u64], default: u64) -> Result<usize, ApiError> {
    match value {
        None => Ok(default as usize),
        Some(v) if v.as_u64().is_some_and(|d| allowed.contains(&d)) => Ok(v.as_u64().unwrap_or(default) as usize),
        Some(v) => Err(ApiError::validation(format!("Malformed input request: #/{key}: {v} is not a valid value; expected one of {allowed:?}, please reformat your input and try again."))),
    }
}

fn words(text: &str) -> u64 {
    text.split_whitespace().count().max(1) as u64
}

/// The response body and the input token count.
pub type Embedded = (Value, u64);

fn cohere_texts(body: &Value) -> Result<Vec<String>, ApiError> {
    let texts = required(body, "texts")?.as_array().ok_or_else(|| malformed("#/texts: expected type: JSONArray"))?;
    if texts.is_empty() || texts.len() > MAX_TEXTS {
        return Err(malformed(&format!(
            "#/texts: expected minimum item count: 1 and maximum item count: {MAX_TEXTS}, found: {}",
            texts.len()
        )));
    }
    let strings = texts.iter().map(|t| t.as_str().map(str::to_string));
    strings.collect::<Option<Vec<_>>>().ok_or_else(|| malformed("#/texts: expected type: String"))
}

fn by_type(kind: &str, vectors: &[Vec<f32>]) -> Value {
    let convert = |v: &Vec<f32>| -> Value {
        match kind {
            "int8" => json!(v.iter().map(|x| (x * 127.0).round() as i8).collect::<Vec<_>>()),
            "uint8" => json!(v.iter().map(|x| ((x + 1.0) * 127.5).round() as u8).collect::<Vec<_>>()),
            "binary" | "ubinary" => {
                let bytes = v.chunks(8).map(|c| c.iter().fold(0u8, |acc, x| (acc << 1) | u8::from(*x > 0.0)));
                match kind {
                    "binary" => json!(bytes.map(|b| b as i8).collect::<Vec<_>>()),
                    _ => json!(bytes.collect::<Vec<_>>()),
                }
            }
            _ => json!(v),
        }
    };
    Value::Array(vectors.iter().map(convert).collect())
}

fn cohere(model: &str, body: &Value, v4: bool) -> Result<Embedded, ApiError> {
    let texts = cohere_texts(body)?;
    let input_types = ["search_document", "search_query", "classification", "clustering"];
    string(body, "input_type")?;
    one_of(body.get("input_type"), "input_type", &input_types)?;
    one_of(body.get("truncate"), "truncate", &["NONE", "START", "END", "LEFT", "RIGHT"])?;
    let dim = match v4 {
        true => dimension(body.get("output_dimension"), "output_dimension", &[256, 512, 1024, 1536], 1536)?,
        false => 1024,
    };
    let vectors: Vec<Vec<f32>> = texts.iter().map(|t| vector(model, t, dim, true)).collect();
    let types: Option<Vec<&str>> =
        body.get("embedding_types").and_then(Value::as_array).map(|a| a.iter().filter_map(Value::as_str).collect());
    let valid = ["float", "int8", "uint8", "binary", "ubinary"];
    if let Some(bad) = types.iter().flatten().find(|t| !valid.contains(t)) {
        return Err(malformed(&format!("#/embedding_types: {bad} is not a valid enum value")));
    }
    let id = format!("{:x}", Sha256::digest(texts.join("\0").as_bytes()));
    let mut response = json!({"id": &id[..36], "texts": texts});
    let tokens = texts.iter().map(|t| words(t)).sum();
    match (types, v4) {
        (None, false) => {
            response["embeddings"] = json!(vectors);
            response["response_type"] = json!("embeddings_floats");
        }
        (types, _) => {
            let types = types.unwrap_or_else(|| vec!["float"]);
            let map: Map<String, Value> = types.iter().map(|t| (t.to_string(), by_type(t, &vectors))).collect();
            response["embeddings"] = Value::Object(map);
            response["response_type"] = json!("embeddings_by_type");
        }
    }
    Ok((response, tokens))
}

fn titan(model: &str, body: &Value, v2: bool) -> Result<Embedded, ApiError> {
    let text = string(body, "inputText")?;
    if text.is_empty() {
        return Err(malformed("#/inputText: expected minLength: 1, actual: 0"));
    }
    let tokens = words(text);
    if !v2 {
        return Ok((json!({"embedding": vector(model, text, 1536, false), "inputTextTokenCount": tokens}), tokens));
    }
    let dim = dimension(body.get("dimensions"), "dimensions", &[256, 512, 1024], 1024)?;
    let normalize = body.get("normalize").and_then(Value::as_bool).unwrap_or(true);
    let embedding = vector(model, text, dim, normalize);
    let types: Vec<&str> = match body.get("embeddingTypes").and_then(Value::as_array) {
        Some(list) => list.iter().filter_map(Value::as_str).collect(),
        None => vec!["float"],
    };
    let by_type: Map<String, Value> =
        types.iter().map(|t| (t.to_string(), by_type(t, std::slice::from_ref(&embedding))[0].clone())).collect();
    Ok((json!({"embedding": embedding, "embeddingsByType": by_type, "inputTextTokenCount": tokens}), tokens))
}

fn nova(model: &str, body: &Value) -> Result<Embedded, ApiError> {
    if string(body, "taskType")? != "SINGLE_EMBEDDING" {
        return Err(ApiError::validation("The emulator supports only taskType SINGLE_EMBEDDING."));
    }
    let params = required(body, "singleEmbeddingParams")?;
    string(params, "embeddingPurpose")?;
    let dim = dimension(
        params.get("embeddingDimension"),
        "singleEmbeddingParams/embeddingDimension",
        &[256, 384, 1024, 3072],
        3072,
    )?;
    let text = params
        .get("text")
        .ok_or_else(|| malformed("#/singleEmbeddingParams: exactly one of text, image, audio or video is required"))?;
    one_of(text.get("truncationMode"), "singleEmbeddingParams/text/truncationMode", &["START", "END", "NONE"])?;
    let value = string(text, "value")?;
    let embedding = vector(model, value, dim, true);
    Ok((json!({"embeddings": [{"embeddingType": "TEXT", "embedding": embedding}]}), words(value)))
}

/// Runs an embedding request for `model` (the resolved foundation-model id).
pub fn embed(embedder: Embedder, model: &str, body: &Value) -> Result<Embedded, ApiError> {
    match embedder {
        Embedder::CohereV3 => cohere(model, body, false),
        Embedder::CohereV4 => cohere(model, body, true),
        Embedder::TitanV1 => titan(model, body, false),
        Embedder::TitanV2 => titan(model, body, true),
        Embedder::Nova2 => nova(model, body),
    }
}

#[cfg(test)]
#[path = "embed_tests.rs"]
mod tests;
