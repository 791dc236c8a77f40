//! InvokeModel: embeddings and image generation.

use axum::body::{Body, Bytes};
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::catalog::{Family, Imager};
use crate::embed::{embed, malformed};
use crate::errors::ApiError;
use crate::inspect::aws_response;
use crate::{png, profiles, script};

/// Side of the generated pictures (kept small on purpose).
pub const IMAGE_SIZE: u32 = 64;

fn seed_of(parts: &[&str]) -> u64 {
    let hash = Sha256::digest(parts.join("\0").as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&hash[..8]);
    u64::from_le_bytes(bytes)
}

fn png_base64(seed: u64) -> String {
    base64::engine::general_purpose::STANDARD.encode(png::picture(seed, IMAGE_SIZE))
}

fn int_in(config: &Value, key: &str, min: i64, max: i64, default: i64) -> Result<i64, ApiError> {
    match config.get(key) {
        None => Ok(default),
        Some(v) => match v.as_i64() {
            Some(n) if (min..=max).contains(&n) => Ok(n),
            _ => Err(malformed(&format!("#/imageGenerationConfig/{key}: {v} is not in range [{min}, {max}]"))),
        },
    }
}

fn canvas(body: &Value) -> Result<(Value, u64), ApiError> {
    let task = body.get("taskType").and_then(Value::as_str);
    if task != Some("TEXT_IMAGE") {
        return Err(ApiError::validation("The emulator supports only taskType TEXT_IMAGE."));
    }
    let params =
        body.get("textToImageParams").ok_or_else(|| malformed("#: required key [textToImageParams] not found"))?;
    let text = params.get("text").and_then(Value::as_str).unwrap_or_default();
    if text.trim().is_empty() || text.chars().count() > 1024 {
        return Err(malformed("#/textToImageParams/text: expected a string of 1 to 1024 characters"));
    }
    let config = body.get("imageGenerationConfig").cloned().unwrap_or_else(|| json!({}));
    let count = int_in(&config, "numberOfImages", 1, 5, 1)?;
    for side in ["width", "height"] {
        let n = int_in(&config, side, 256, 4096, 1024)?;
        if n % 16 != 0 {
            return Err(ApiError::validation(format!("{side} must be a multiple of 16.")));
        }
    }
    let seed = int_in(&config, "seed", 0, 2_147_483_646, 12)?;
    let quality = config.get("quality").and_then(Value::as_str).unwrap_or("standard");
    if !["standard", "premium"].contains(&quality) {
        return Err(malformed("#/imageGenerationConfig/quality: is not a valid enum value"));
    }
    let images: Vec<String> =
        (0..count).map(|i| png_base64(seed_of(&[text, &seed.to_string(), &i.to_string()]))).collect();
    Ok((json!({"images": images, "error": null}), text.split_whitespace().count() as u64))
}

fn stability(body: &Value) -> Result<(Value, u64), ApiError> {
    let prompt = body.get("prompt").and_then(Value::as_str).unwrap_or_default();
    if prompt.trim().is_empty() {
        return Err(malformed("#: required key [prompt] not found"));
    }
    let ratios = ["16:9", "1:1", "21:9", "2:3", "3:2", "4:5", "5:4", "9:16", "9:21"];
    let ratio = body.get("aspect_ratio").and_then(Value::as_str).unwrap_or("1:1");
    if !ratios.contains(&ratio) {
        return Err(malformed(&format!("#/aspect_ratio: {ratio} is not a valid enum value")));
    }
    let format = body.get("output_format").and_then(Value::as_str).unwrap_or("png");
    if !["png", "jpeg", "webp"].contains(&format) {
        return Err(malformed(&format!("#/output_format: {format} is not a valid enum value")));
    }
    let seed = match body.get("seed").map(|s| s.as_u64().filter(|n| *n <= 4_294_967_294)) {
        None | Some(Some(0)) => seed_of(&[prompt]) % 4_294_967_295,
        Some(Some(n)) => n,
        Some(None) => return Err(malformed("#/seed: expected an integer in [0, 4294967294]")),
    };
    let image = png_base64(seed_of(&[prompt, &seed.to_string()]));
    Ok((
        json!({"seeds": [seed], "finish_reasons": [null], "images": [image]}),
        prompt.split_whitespace().count() as u64,
    ))
}

/// `#error KIND` in the first input text works for InvokeModel too.
fn scripted_error(body: &Value) -> Result<(), ApiError> {
    let first = [
        body.pointer("/texts/0"),
        body.get("inputText"),
        body.pointer("/singleEmbeddingParams/text/value"),
        body.pointer("/textToImageParams/text"),
        body.get("prompt"),
    ];
    let text = first.into_iter().flatten().find_map(Value::as_str).unwrap_or_default();
    match script::parse(text)?.error {
        Some(kind) => Err(ApiError::scripted(kind)),
        None => Ok(()),
    }
}

fn run(model_id: &str, body: &[u8]) -> Result<(Value, u64), ApiError> {
    let model = profiles::resolve(model_id)?;
    let body: Value = serde_json::from_slice(body).map_err(|e| malformed(&e.to_string()))?;
    if !body.is_object() {
        return Err(malformed("#: expected type: JSONObject"));
    }
    scripted_error(&body)?;
    match model.family {
        Family::Embed(embedder) => embed(embedder, model.id, &body),
        Family::Image(Imager::Canvas) => canvas(&body),
        Family::Image(Imager::Stability) => stability(&body),
        Family::Chat => Err(ApiError::validation(format!(
            "The emulator serves InvokeModel only for embedding and image models; use Converse with {}.",
            model.id
        ))),
    }
}

/// `POST /model/{modelId}/invoke`
pub async fn invoke(Path(model_id): Path<String>, body: Bytes) -> Response {
    let (value, tokens) = match run(&model_id, &body) {
        Ok(done) => done,
        Err(error) => return error.into_response(),
    };
    let body = Body::from(serde_json::to_vec(&value).unwrap_or_default());
    let mut response = aws_response(StatusCode::OK, "application/json", body);
    let headers = response.headers_mut();
    headers.insert("x-amzn-bedrock-input-token-count", HeaderValue::from(tokens));
    headers.insert("x-amzn-bedrock-invocation-latency", HeaderValue::from(1u32));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canvas_and_stability_return_pngs() {
        let body = json!({"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "a cat"}, "imageGenerationConfig": {"numberOfImages": 2, "seed": 7}});
        let (value, _) = canvas(&body).unwrap();
        assert_eq!(value["images"].as_array().unwrap().len(), 2);
        let (value, _) = stability(&json!({"prompt": "a dog", "seed": 5})).unwrap();
        assert_eq!(value["seeds"], json!([5]));
        let png = base64::engine::general_purpose::STANDARD.decode(value["images"][0].as_str().unwrap()).unwrap();
        assert!(png.starts_with(b"\x89PNG"));
    }

    #[test]
    fn image_requests_are_validated() {
        assert!(canvas(&json!({"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "x"}, "imageGenerationConfig": {"numberOfImages": 6}})).is_err());
        assert!(canvas(&json!({"taskType": "INPAINTING"})).is_err());
        assert!(stability(&json!({"prompt": "x", "aspect_ratio": "7:3"})).is_err());
    }

    #[test]
    fn chat_models_and_scripted_errors() {
        assert!(run("amazon.nova-lite-v1:0", b"{}").is_err());
        let err = run("amazon.titan-embed-text-v2:0", br##"{"inputText": "#error throttling"}"##).unwrap_err();
        assert_eq!(err.kind, crate::errors::ErrorKind::Throttling);
    }
}
