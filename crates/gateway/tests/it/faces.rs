//! The Anthropic Messages face and legacy completions, in-process: routing on both
//! prefixes, the face-specific error shape (401 included), and answers in each face's shape.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;

fn message(model: &str, text: &str) -> Value {
    json!({"model": model, "max_tokens": 50, "messages": [{"role": "user", "content": text}]})
}

#[tokio::test]
async fn messages_on_both_prefixes_in_anthropics_shape() {
    let app = app(&[]).await;
    for prefix in ["/api/v1", "/v1"] {
        let response = app.post_json(&format!("{prefix}/messages"), &message(HAIKU, "ping")).await;
        assert_eq!(response.status(), StatusCode::OK);
        let body = body_json(response).await;
        assert_eq!((body["type"].as_str(), body["role"].as_str()), (Some("message"), Some("assistant")));
        assert_eq!(body["content"][0], json!({"type": "text", "text": "You said: ping"}));
        assert_eq!(body["stop_reason"], "end_turn");
    }
}

#[tokio::test]
async fn the_anthropic_face_answers_failures_in_its_own_shape() {
    let app = app(&[]).await;
    let unauthenticated = Request::post("/v1/messages").body(Body::from("{}")).unwrap();
    let response = app.send(unauthenticated).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(body_json(response).await["error"]["type"], "authentication_error");
    let response = app.post_json("/v1/messages", &message("no.such-model-v1:0", "x")).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let body = body_json(response).await;
    assert_eq!((body["type"].as_str(), body["error"]["type"].as_str()), (Some("error"), Some("not_found_error")));
    let response = app.post_json("/v1/messages", &message(HAIKU, "#error throttling")).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().contains_key("retry-after"));
    assert_eq!(body_json(response).await["error"]["type"], "rate_limit_error");
    // The OpenAI face keeps its own shape.
    let response = app.send(Request::post("/v1/chat/completions").body(Body::from("{}")).unwrap()).await;
    assert_eq!(error_of(response).await["code"], "invalid_api_key");
}

#[tokio::test]
async fn streamed_messages_end_with_message_stop() {
    let app = app(&[]).await;
    let mut body = message(HAIKU, "#words 5");
    body["stream"] = json!(true);
    let text = body_text(app.post_json("/v1/messages", &body).await).await;
    assert!(text.starts_with("event: message_start\n"), "{text}");
    assert!(text.ends_with("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"), "{text}");
}

#[tokio::test]
async fn legacy_completions() {
    let app = app(&[]).await;
    let body = json!({"model": HAIKU, "prompt": ["a", "b"], "max_tokens": 20});
    let completion = body_json(app.post_json("/v1/completions", &body).await).await;
    assert_eq!(completion["object"], "text_completion");
    assert_eq!(completion["choices"][1]["text"], "You said: b");
    let response = app.post_json("/v1/completions", &json!({"model": HAIKU, "prompt": "a", "echo": true})).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_of(response).await["param"], "echo");
}
