//! Test harness: a gateway router wired to a fresh in-process emulator.

use axum::body::Body;
use axum::http::{Request, Response};
use axum::Router;
use clap::Parser;
use gateway::config::Config;
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

pub const KEY: &str = "test-key-1";

pub struct TestApp {
    pub router: Router,
    // Keeps the emulator alive for the test's duration.
    _started: gateway::serve::Started,
}

/// Builds the app with the emulator and extra flags, and waits for the model list.
pub async fn app(extra: &[&str]) -> TestApp {
    let mut argv = vec!["bedrock-gateway", "--emulator", "--api-key", KEY, "--api-key", "test-key-2"];
    argv.extend_from_slice(extra);
    let config = Config::try_parse_from(argv).unwrap().validated().unwrap();
    let started = gateway::serve::build_state(config).await.unwrap();
    started.state.catalog.refresh().await.unwrap();
    TestApp { router: gateway::router(started.state.clone()), _started: started }
}

impl TestApp {
    pub async fn send(&self, request: Request<Body>) -> Response<Body> {
        self.router.clone().oneshot(request).await.unwrap()
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Response<Body> {
        self.send(
            authed(Request::post(path))
                .header("content-type", "application/json")
                .body(Body::from(body.to_string()))
                .unwrap(),
        )
        .await
    }

    pub async fn get(&self, path: &str) -> Response<Body> {
        self.send(authed(Request::get(path)).body(Body::empty()).unwrap()).await
    }

    /// Base URL of the in-process emulator (for its `/_emulator/` inspection endpoints).
    pub fn emulator_url(&self) -> String {
        self._started.emulator.as_ref().expect("tests run with --emulator").base_url()
    }

    /// GETs one of the emulator's inspection endpoints as JSON.
    pub async fn emulator_get(&self, path: &str) -> Value {
        let response = reqwest::get(format!("{}{path}", self.emulator_url())).await.unwrap();
        assert!(response.status().is_success(), "{path}: {}", response.status());
        serde_json::from_slice(&response.bytes().await.unwrap()).unwrap()
    }
}

pub fn authed(builder: http::request::Builder) -> http::request::Builder {
    builder.header("authorization", format!("Bearer {KEY}"))
}

pub async fn body_text(response: Response<Body>) -> String {
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8(bytes.to_vec()).unwrap()
}

pub async fn body_json(response: Response<Body>) -> Value {
    serde_json::from_str(&body_text(response).await).unwrap()
}

/// Asserts the OpenAI error envelope and returns its `error` object.
pub async fn error_of(response: Response<Body>) -> Value {
    let body = body_json(response).await;
    let error = body["error"].clone();
    for field in ["message", "type", "param", "code"] {
        assert!(error.as_object().unwrap().contains_key(field), "missing {field} in {body}");
    }
    error
}

pub fn chat(model: &str, text: &str) -> Value {
    serde_json::json!({"model": model, "messages": [{"role": "user", "content": text}]})
}

pub const HAIKU: &str = "us.anthropic.claude-3-5-haiku-20241022-v1:0";
