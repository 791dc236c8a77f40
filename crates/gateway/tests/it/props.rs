//! Property tests of every POST endpoint, in-process against the in-process emulator: any
//! JSON body (arbitrary values, and valid bodies with arbitrary fields added) or any bytes
//! get a 2xx (a stream that ends) or a 4xx in the face's error shape, never a panic, a 5xx
//! or a hang.

use std::time::Duration;

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{json, Value};

use crate::helpers::*;

/// Cases per endpoint: the set is small enough for CI (a few seconds for all endpoints).
const CASES: u32 = 48;
/// Longest one request, body included, may take before it counts as a hang.
const REQUEST_DEADLINE: Duration = Duration::from_secs(10);

const ENDPOINTS: [&str; 7] = [
    "/v1/chat/completions",
    "/v1/completions",
    "/v1/embeddings",
    "/v1/images/generations",
    "/v1/responses",
    "/v1/messages",
    "/v1/messages/count_tokens",
];

/// Field names the endpoints read, so arbitrary objects reach past the first check.
const KEYS: [&str; 24] = [
    "model",
    "messages",
    "role",
    "content",
    "type",
    "text",
    "tools",
    "tool_choice",
    "stream",
    "input",
    "prompt",
    "max_tokens",
    "temperature",
    "n",
    "size",
    "image_url",
    "url",
    "function",
    "name",
    "arguments",
    "system",
    "stop",
    "response_format",
    "stream_options",
];

/// A valid body for each endpoint (arbitrary fields are added on top).
fn valid_body(path: &str) -> Value {
    match path {
        "/v1/chat/completions" => chat(HAIKU, "hello"),
        "/v1/completions" => json!({"model": HAIKU, "prompt": "hello"}),
        "/v1/embeddings" => json!({"model": "cohere.embed-english-v3", "input": ["hello"]}),
        "/v1/images/generations" => json!({"model": "amazon.titan-image-generator-v2:0", "prompt": "a cat"}),
        "/v1/responses" => json!({"model": HAIKU, "input": "hello"}),
        _ => json!({"model": HAIKU, "max_tokens": 64, "messages": [{"role": "user", "content": "hello"}]}),
    }
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![proptest::sample::select(KEYS.to_vec()).prop_map(str::to_owned), "[a-z_]{1,8}"]
}

/// Scalars; strings avoid `#`, which starts the emulator's directives (delays, faults).
fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (-1e6..1e6f64).prop_map(Value::from),
        "[a-zA-Z0-9 _.:/-]{0,12}".prop_map(Value::from),
        proptest::sample::select(vec!["user", "assistant", "system", "tool", "text", "image_url", HAIKU])
            .prop_map(Value::from),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 32, 5, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            proptest::collection::btree_map(key(), inner, 0..5).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// What a case sends: any JSON, a valid body with fields overwritten, or raw bytes.
#[derive(Debug, Clone)]
enum Case {
    Json(Value),
    Overlay(Vec<(String, Value)>),
    Bytes(Vec<u8>),
}

fn case() -> impl Strategy<Value = Case> {
    prop_oneof![
        value().prop_map(Case::Json),
        proptest::collection::vec((key(), value()), 1..4).prop_map(Case::Overlay),
        proptest::collection::vec(any::<u8>(), 0..64).prop_map(Case::Bytes),
    ]
}

fn body_of(path: &str, case: &Case) -> Vec<u8> {
    match case {
        Case::Json(value) => value.to_string().into_bytes(),
        Case::Overlay(fields) => {
            let mut body = valid_body(path);
            for (key, value) in fields {
                body[key.as_str()] = value.clone();
            }
            body.to_string().into_bytes()
        }
        Case::Bytes(bytes) => bytes.clone(),
    }
}

/// Sends one case and checks the answer's shape; `Err` says what was wrong.
async fn check(app: &TestApp, path: &str, body: Vec<u8>) -> Result<(), String> {
    let request = authed(Request::post(path)).header("content-type", "application/json").body(Body::from(body));
    let response = app.send(request.map_err(|e| e.to_string())?).await;
    let status = response.status();
    let bytes = response.into_body().collect().await.map_err(|e| format!("body: {e}"))?.to_bytes();
    let text = String::from_utf8_lossy(&bytes);
    if status.is_success() {
        return Ok(());
    }
    if !status.is_client_error() {
        return Err(format!("{status}: {text}"));
    }
    let body: Value = serde_json::from_slice(&bytes).map_err(|e| format!("{status}, not JSON ({e}): {text}"))?;
    let shaped = match path.starts_with("/v1/messages") {
        true => body["type"] == "error" && body["error"]["type"].is_string() && body["error"]["message"].is_string(),
        false => ["message", "type", "param", "code"].iter().all(|k| body["error"].get(k).is_some()),
    };
    if shaped {
        Ok(())
    } else {
        Err(format!("{status} without the face's error shape: {text}"))
    }
}

#[test]
fn any_body_on_any_endpoint_gets_a_2xx_or_a_shaped_4xx() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let app = runtime.block_on(app(&[]));
    for path in ENDPOINTS {
        let config = Config { cases: CASES, failure_persistence: None, ..Config::default() };
        let mut runner = TestRunner::new(config);
        let result = runner.run(&case(), |case| {
            let sent = runtime.block_on(async {
                tokio::time::timeout(REQUEST_DEADLINE, check(&app, path, body_of(path, &case))).await
            });
            match sent {
                Ok(Ok(())) => Ok(()),
                Ok(Err(wrong)) => Err(TestCaseError::fail(format!("{path}: {wrong}"))),
                Err(_) => Err(TestCaseError::fail(format!("{path}: no answer within {REQUEST_DEADLINE:?}"))),
            }
        });
        if let Err(failure) = result {
            panic!("{path}: {failure}");
        }
    }
}
