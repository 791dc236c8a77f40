//! Embeddings and image generation through the router, checked against what the
//! emulator received (`GET /_emulator/requests`).

use axum::http::StatusCode;
use base64::Engine;
use serde_json::{json, Value};

use crate::helpers::*;

const COHERE_V3: &str = "cohere.embed-multilingual-v3";
const TITAN_V2: &str = "amazon.titan-embed-text-v2:0";
const NOVA_EMBED: &str = "amazon.nova-2-multimodal-embeddings-v1:0";
const NOVA_CANVAS: &str = "amazon.nova-canvas-v1:0";
const STABILITY: &str = "stability.stable-image-core-v1:1";

/// The InvokeModel requests the emulator recorded, oldest first.
async fn invocations(app: &TestApp) -> Vec<Value> {
    let all = app.emulator_get("/_emulator/requests").await;
    all.as_array().unwrap().iter().filter(|r| r["operation"] == "InvokeModel").cloned().collect()
}

async fn embed(app: &TestApp, body: Value) -> Value {
    let response = app.post_json("/v1/embeddings", &body).await;
    let status = response.status();
    let json = body_json(response).await;
    assert_eq!(status, StatusCode::OK, "{json}");
    json
}

fn vector(item: &Value) -> Vec<f64> {
    item["embedding"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect()
}

#[tokio::test]
async fn cohere_batches_of_96_keep_input_order() {
    let app = app(&[]).await;
    let texts: Vec<String> = (0..200).map(|i| format!("text number {i}")).collect();
    let body = embed(&app, json!({"model": COHERE_V3, "input": texts})).await;
    assert_eq!(body["object"], "list");
    assert_eq!(body["model"], COHERE_V3);
    let data = body["data"].as_array().unwrap();
    assert_eq!(data.len(), 200);
    assert!(data.iter().enumerate().all(|(i, d)| d["index"] == i && d["object"] == "embedding"));
    assert_eq!(vector(&data[0]).len(), 1024);
    // 3 words per text, counted by Bedrock (the emulator's input-token header).
    assert_eq!(body["usage"], json!({"prompt_tokens": 600, "total_tokens": 600}));
    let calls = invocations(&app).await;
    let sizes: Vec<usize> = calls.iter().map(|c| c["body"]["texts"].as_array().unwrap().len()).collect();
    assert_eq!(sizes, vec![96, 96, 8]);
    assert_eq!(calls[2]["body"]["texts"][0], "text number 192");
    assert_eq!(calls[0]["body"]["input_type"], "search_document");
    assert_eq!(calls[0]["body"]["truncate"], "END");
    // The 151st vector is the one text 150 gets on its own.
    let single = embed(&app, json!({"model": COHERE_V3, "input": "text number 150"})).await;
    assert_eq!(vector(&single["data"][0]), vector(&data[150]));
}

#[tokio::test]
async fn titan_takes_one_text_per_call_and_reports_tokens() {
    let app = app(&[]).await;
    let body =
        embed(&app, json!({"model": TITAN_V2, "input": ["one", "two words", "three more words"], "dimensions": 256}))
            .await;
    assert_eq!(body["data"].as_array().unwrap().len(), 3);
    assert_eq!(vector(&body["data"][2]).len(), 256);
    assert_eq!(body["usage"]["prompt_tokens"], 6);
    let calls = invocations(&app).await;
    let mut sent: Vec<Value> = calls.iter().map(|c| c["body"].clone()).collect();
    sent.sort_by_key(|b| b["inputText"].as_str().unwrap().len());
    assert_eq!(sent[0], json!({"inputText": "one", "dimensions": 256, "normalize": true}));
    assert_eq!(sent.len(), 3);
    assert!(calls.iter().all(|c| c["modelId"] == TITAN_V2));
}

#[tokio::test]
async fn base64_is_the_float_vector_in_little_endian() {
    let app = app(&[]).await;
    let float = embed(&app, json!({"model": NOVA_EMBED, "input": "same text", "dimensions": 256})).await;
    let b64 =
        embed(&app, json!({"model": NOVA_EMBED, "input": "same text", "dimensions": 256, "encoding_format": "base64"}))
            .await;
    let bytes =
        base64::engine::general_purpose::STANDARD.decode(b64["data"][0]["embedding"].as_str().unwrap()).unwrap();
    let decoded: Vec<f32> = bytes.chunks(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect();
    let floats: Vec<f32> = vector(&float["data"][0]).into_iter().map(|v| v as f32).collect();
    assert_eq!(decoded, floats);
    let calls = invocations(&app).await;
    assert_eq!(calls[0]["body"]["singleEmbeddingParams"]["embeddingDimension"], 256);
    assert_eq!(calls[0]["body"]["singleEmbeddingParams"]["embeddingPurpose"], "GENERIC_INDEX");
}

#[tokio::test]
async fn token_arrays_profiles_and_input_type() {
    let app = app(&[]).await;
    let body = embed(
        &app,
        json!({"model": "us.cohere.embed-v4:0", "input": [[9906, 1917], [15339]], "input_type": "search_query",
               "dimensions": 512}),
    )
    .await;
    assert_eq!(body["model"], "us.cohere.embed-v4:0");
    assert_eq!(vector(&body["data"][1]).len(), 512);
    let calls = invocations(&app).await;
    assert_eq!(calls[0]["modelId"], "us.cohere.embed-v4:0");
    assert_eq!(
        calls[0]["body"],
        json!({"texts": ["Hello world", "hello"], "input_type": "search_query", "truncate": "RIGHT",
               "embedding_types": ["float"], "output_dimension": 512})
    );
}

#[tokio::test]
async fn openai_model_names_use_the_default_embedding_model() {
    let app = app(&["--default-embedding-model", TITAN_V2]).await;
    let body = embed(&app, json!({"model": "text-embedding-3-small", "input": "hi"})).await;
    assert_eq!(body["model"], TITAN_V2);
}

#[tokio::test]
async fn embedding_errors() {
    let app = app(&[]).await;
    let cases = [
        (json!({"model": COHERE_V3, "input": []}), 400, "input"),
        (json!({"model": COHERE_V3, "input": ["a", ""]}), 400, "input[1]"),
        (json!({"model": TITAN_V2, "input": "a", "dimensions": 100}), 400, "dimensions"),
        (json!({"model": HAIKU, "input": "a"}), 400, "model"),
        (json!({"model": NOVA_CANVAS, "input": "a"}), 400, "model"),
        (json!({"model": "acme.nothing-v9", "input": "a"}), 404, "model"),
        (json!({"model": COHERE_V3, "input": "a", "encoding_format": "int8"}), 400, "encoding_format"),
    ];
    for (body, status, param) in cases {
        let response = app.post_json("/api/v1/embeddings", &body).await;
        assert_eq!(response.status().as_u16(), status, "{body}");
        assert_eq!(error_of(response).await["param"], param, "{body}");
    }
    let response = app.post_json("/v1/embeddings", &json!({"model": TITAN_V2, "input": "a", "dimensions": 100})).await;
    let message = error_of(response).await["message"].as_str().unwrap().to_owned();
    assert!(message.contains("256, 512, 1024"), "{message}");
    assert!(invocations(&app).await.is_empty(), "nothing invalid reaches Bedrock");
}

#[tokio::test]
async fn a_failed_call_fails_the_request_through_the_error_table() {
    let app = app(&[]).await;
    let response =
        app.post_json("/v1/embeddings", &json!({"model": TITAN_V2, "input": ["ok", "#error throttling"]})).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(error_of(response).await["type"], "rate_limit_error");
}

fn assert_pngs(body: &Value, n: usize) {
    let data = body["data"].as_array().unwrap();
    assert_eq!(data.len(), n, "{body}");
    for image in data {
        let png = base64::engine::general_purpose::STANDARD.decode(image["b64_json"].as_str().unwrap()).unwrap();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
    }
    assert!(body["created"].as_u64().unwrap() > 1_700_000_000);
}

#[tokio::test]
async fn images_for_every_family() {
    let app = app(&[]).await;
    for (model, calls) in [(NOVA_CANVAS, 1), ("amazon.titan-image-generator-v2:0", 1), (STABILITY, 2)] {
        let request = json!({"model": model, "prompt": "a lighthouse at dusk", "n": 2, "size": "1024x1024"});
        let response = app.post_json("/v1/images/generations", &request).await;
        assert_eq!(response.status(), StatusCode::OK, "{model}");
        assert_pngs(&body_json(response).await, 2);
        let sent = invocations(&app).await;
        let mine: Vec<&Value> = sent.iter().filter(|c| c["modelId"] == model).collect();
        assert_eq!(mine.len(), calls, "{model}");
    }
    let sent = invocations(&app).await;
    let canvas = sent.iter().find(|c| c["modelId"] == NOVA_CANVAS).unwrap();
    assert_eq!(
        canvas["body"],
        json!({"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "a lighthouse at dusk"},
               "imageGenerationConfig": {"numberOfImages": 2, "width": 1024, "height": 1024, "quality": "standard"}})
    );
    let stability = sent.iter().find(|c| c["modelId"] == STABILITY).unwrap();
    assert_eq!(stability["body"]["aspect_ratio"], "1:1");
}

#[tokio::test]
async fn image_defaults_and_errors() {
    let app = app(&[]).await;
    let response = app.post_json("/api/v1/images/generations", &json!({"model": "dall-e-3", "prompt": "a fox"})).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_pngs(&body_json(response).await, 1);
    assert_eq!(invocations(&app).await[0]["modelId"], NOVA_CANVAS);
    let cases = [
        (json!({"prompt": "a fox", "response_format": "url"}), 400, "response_format"),
        (json!({"prompt": " "}), 400, "prompt"),
        (json!({"prompt": "a fox", "n": 6}), 400, "n"),
        (json!({"prompt": "a fox", "size": "1000x1000"}), 400, "size"),
        (json!({"model": COHERE_V3, "prompt": "a fox"}), 400, "model"),
        (json!({"model": "acme.paint-v1", "prompt": "a fox"}), 404, "model"),
    ];
    for (body, status, param) in cases {
        let response = app.post_json("/v1/images/generations", &body).await;
        assert_eq!(response.status().as_u16(), status, "{body}");
        assert_eq!(error_of(response).await["param"], param, "{body}");
    }
    let response = app.post_json("/v1/images/generations", &json!({"prompt": "#error throttling"})).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn models_list_has_embedding_and_image_models_next_to_chat() {
    let app = app(&[]).await;
    let body = body_json(app.get("/v1/models").await).await;
    let ids: Vec<&str> = body["data"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();
    for id in
        [COHERE_V3, "cohere.embed-v4:0", "us.cohere.embed-v4:0", TITAN_V2, NOVA_EMBED, NOVA_CANVAS, STABILITY, HAIKU]
    {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
}
