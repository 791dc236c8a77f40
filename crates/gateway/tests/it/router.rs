//! In-process router tests.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn health_needs_no_key() {
    let app = app(&[]).await;
    let response = app.send(Request::get("/health").body(Body::empty()).unwrap()).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(body_json(response).await, json!({"status": "OK"}));
}

#[tokio::test]
async fn keys_are_required_and_any_configured_key_works() {
    let app = app(&[]).await;
    let response = app.send(Request::get("/v1/models").body(Body::empty()).unwrap()).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_of(response).await["code"], "invalid_api_key");
    let wrong = Request::get("/v1/models").header("authorization", "Bearer nope").body(Body::empty()).unwrap();
    assert_eq!(app.send(wrong).await.status(), StatusCode::UNAUTHORIZED);
    let second = Request::get("/v1/models").header("x-api-key", "test-key-2").body(Body::empty()).unwrap();
    assert_eq!(app.send(second).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn auth_is_checked_before_the_body_is_read() {
    let app = app(&[]).await;
    let request = Request::post("/api/v1/chat/completions").body(Body::from("{not json")).unwrap();
    assert_eq!(app.send(request).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn chat_completion_on_both_prefixes() {
    let app = app(&[]).await;
    for prefix in ["/api/v1", "/v1"] {
        let response = app.post_json(&format!("{prefix}/chat/completions"), &chat(HAIKU, "ping pong")).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.headers().contains_key("x-request-id"));
        let body = body_json(response).await;
        assert_eq!(body["object"], "chat.completion");
        assert_eq!(body["model"], HAIKU);
        assert!(body["choices"][0]["message"]["content"].as_str().unwrap().contains("ping pong"));
        assert_eq!(body["choices"][0]["finish_reason"], "stop");
        assert!(body["usage"]["total_tokens"].as_u64().unwrap() > 0);
    }
}

#[tokio::test]
async fn streaming_ends_with_done() {
    let app = app(&[]).await;
    let mut request = chat(HAIKU, "stream me please");
    request["stream"] = json!(true);
    let response = app.post_json("/v1/chat/completions", &request).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    let text = body_text(response).await;
    assert!(text.starts_with("data: {"), "{text}");
    assert!(text.ends_with("data: [DONE]\n\n"), "{text}");
    assert!(text.contains(r#""finish_reason":"stop""#));
}

#[tokio::test]
async fn bad_requests_get_openai_errors_with_param() {
    let app = app(&[]).await;
    let response = app.send(authed(Request::post("/v1/chat/completions")).body(Body::from("{oops")).unwrap()).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_of(response).await["param"], json!(null));
    let response = app
        .post_json("/v1/chat/completions", &json!({"model": HAIKU, "messages": [{"role": "user", "content": 5}]}))
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let error = error_of(response).await;
    assert_eq!(error["param"], "messages[0].content");
    assert_eq!(error["type"], "invalid_request_error");
}

#[tokio::test]
async fn unknown_models_routes_and_methods() {
    let app = app(&[]).await;
    let response = app.post_json("/v1/chat/completions", &chat("no.such-model-v1:0", "x")).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(error_of(response).await["code"], "model_not_found");
    let response = app.get("/v1/nothing-here").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    error_of(response).await;
    let response = app.get("/v1/chat/completions").await;
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    error_of(response).await;
}

#[tokio::test]
async fn oversized_bodies_get_413() {
    let app = app(&["--max-request-body-bytes", "2048"]).await;
    let response = app.post_json("/v1/chat/completions", &chat(HAIKU, &"x".repeat(4096))).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error_of(response).await["code"], "request_too_large");
}

#[tokio::test]
async fn upstream_errors_are_mapped() {
    let app = app(&[]).await;
    let cases = [
        ("#error throttling", StatusCode::TOO_MANY_REQUESTS, "rate_limit_error"),
        ("#error validation", StatusCode::BAD_REQUEST, "invalid_request_error"),
        ("#error access-denied", StatusCode::FORBIDDEN, "permission_error"),
        ("#error model-timeout", StatusCode::GATEWAY_TIMEOUT, "api_error"),
        ("#error unavailable", StatusCode::SERVICE_UNAVAILABLE, "api_error"),
    ];
    for (directive, status, kind) in cases {
        let response = app.post_json("/v1/chat/completions", &chat(HAIKU, directive)).await;
        assert_eq!(response.status(), status, "{directive}");
        if status == StatusCode::TOO_MANY_REQUESTS {
            assert!(response.headers().contains_key("retry-after"));
        }
        assert_eq!(error_of(response).await["type"], kind, "{directive}");
    }
}

#[tokio::test]
async fn model_ids_with_colons_and_slashes() {
    let app = app(&[]).await;
    let response = app.get(&format!("/v1/models/{HAIKU}")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(body_json(response).await["id"], HAIKU);
    let list = body_json(app.get("/v1/models").await).await;
    let arn = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["id"].as_str())
        .find(|id| id.contains("application-inference-profile/"))
        .expect("the emulator lists an application profile")
        .to_owned();
    let response = app.get(&format!("/api/v1/models/{arn}")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(body_json(response).await["id"], arn);
    assert_eq!(app.get("/v1/models/nope").await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn cors_preflight_allows_any_origin_without_credentials() {
    let app = app(&[]).await;
    let preflight = Request::options("/v1/chat/completions")
        .header("origin", "https://chat.example")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "authorization,content-type")
        .body(Body::empty())
        .unwrap();
    let response = app.send(preflight).await;
    assert!(response.status().is_success());
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
    assert!(response.headers().get("access-control-allow-credentials").is_none());
}

#[tokio::test]
async fn cors_with_a_configured_origin() {
    let app = app(&["--allowed-origins", "https://app.example"]).await;
    let preflight = |origin: &'static str| {
        Request::options("/v1/models")
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .body(Body::empty())
            .unwrap()
    };
    let response = app.send(preflight("https://app.example")).await;
    assert_eq!(response.headers()["access-control-allow-origin"], "https://app.example");
    assert_eq!(response.headers()["access-control-allow-credentials"], "true");
    let response = app.send(preflight("https://evil.example")).await;
    assert!(response.headers().get("access-control-allow-origin").is_none());
}

async fn model_listings(app: &TestApp) -> u64 {
    app.emulator_get("/_emulator/stats").await["by_operation"]["ListFoundationModels"].as_u64().unwrap()
}

#[tokio::test]
async fn an_unknown_model_refreshes_the_list_once_before_its_404() {
    let app = app(&["--models-miss-refresh-seconds", "0"]).await;
    let before = model_listings(&app).await;
    let response = app.post_json("/v1/chat/completions", &chat("new.model-v9:0", "x")).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(model_listings(&app).await, before + 1, "exactly one refresh for the miss");
    let known = app.post_json("/v1/chat/completions", &chat(HAIKU, "x")).await;
    assert_eq!(known.status(), StatusCode::OK);
    assert_eq!(model_listings(&app).await, before + 1, "known models never wait for AWS");
}

#[tokio::test]
async fn misses_refresh_at_most_once_per_interval() {
    let app = app(&[]).await; // default: 10 s, and the start-up listing just happened
    let before = model_listings(&app).await;
    for _ in 0..3 {
        let response = app.post_json("/v1/chat/completions", &chat("typo.model-v1:0", "x")).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
    }
    assert_eq!(model_listings(&app).await, before);
}
