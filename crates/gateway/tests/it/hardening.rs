//! Hardening in-process: the concurrency cap, the first-event and mid-stream stall timeouts.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{app, body_text, chat, error_of, HAIKU};

const CHAT: &str = "/api/v1/chat/completions";

fn streamed(text: &str) -> Value {
    let mut request = chat(HAIKU, text);
    request["stream"] = json!(true);
    request
}

#[tokio::test]
async fn past_the_cap_a_request_gets_503_until_the_open_stream_ends() {
    let app = app(&["--max-concurrent-requests", "1"]).await;
    let held = app.post_json(CHAT, &streamed("hold\n#words 30\n#chunk-delay 200")).await;
    assert_eq!(held.status(), StatusCode::OK);
    let refused = app.post_json(CHAT, &chat(HAIKU, "refused")).await;
    assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(refused.headers()["retry-after"], "1");
    assert_eq!(error_of(refused).await["code"], "server_overloaded");
    let health = app.send(Request::get("/health").body(Body::empty()).unwrap()).await;
    assert_eq!(health.status(), StatusCode::OK);
    drop(held);
    assert_eq!(app.post_json(CHAT, &chat(HAIKU, "accepted")).await.status(), StatusCode::OK);
    wait_streams_closed(&app).await;
}

#[tokio::test]
async fn a_stream_silent_after_its_first_event_ends_with_a_timeout_event() {
    let flags = ["--stream-stall-timeout-seconds", "1", "--stream-keepalive-seconds", "1"];
    let body = timed_out_stream(&flags, "stall\n#words 30\n#stall-after 2", 10, "sent nothing for 1 s").await;
    assert!(!body.contains("[DONE]"), "{body}");
}

#[tokio::test]
async fn a_stream_whose_first_event_exceeds_the_bedrock_timeout_ends_with_a_timeout_event() {
    let flags = ["--bedrock-timeout-seconds", "1", "--stream-keepalive-seconds", "1"];
    timed_out_stream(&flags, "slow\n#delay 4000", 3, "1 s before its first event").await;
}

/// Streams `text` on a gateway started with `flags`: the stream must end within `within_s`
/// seconds with an `upstream_timeout` error event whose message contains `says`; the body.
async fn timed_out_stream(flags: &[&str], text: &str, within_s: u64, says: &str) -> String {
    let app = app(flags).await;
    let started = std::time::Instant::now();
    let response = app.post_json(CHAT, &streamed(text)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = body_text(response).await;
    assert!(started.elapsed() < std::time::Duration::from_secs(within_s), "{:?}", started.elapsed());
    let last = body.trim_end().rsplit("data: ").next().unwrap();
    let error: Value = serde_json::from_str(last).unwrap();
    assert_eq!(error["error"]["code"], "upstream_timeout", "{body}");
    assert!(error["error"]["message"].as_str().unwrap().contains(says), "{body}");
    wait_streams_closed(&app).await;
    body
}

#[tokio::test]
async fn events_closer_than_the_stall_timeout_keep_a_long_stream_alive() {
    // Events every 0.6 s for ≈ 3 s against a 1 s stall timeout: the one timer per stream must
    // follow the last event, not the stream's start or the previous keep-alive.
    let app = app(&["--stream-stall-timeout-seconds", "1", "--stream-keepalive-seconds", "1"]).await;
    let response = app.post_json(CHAT, &streamed("steady\n#words 12\n#chunk-delay 600")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = body_text(response).await;
    assert!(body.ends_with("data: [DONE]\n\n"), "{body}");
    assert!(!body.contains("upstream_timeout"), "{body}");
    wait_streams_closed(&app).await;
}

/// Waits (at most 5 s) until the emulator has no open stream: the gateway let go of Bedrock's.
async fn wait_streams_closed(app: &crate::helpers::TestApp) {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let stats = app.emulator_get("/_emulator/stats").await;
        if stats["open_streams"] == 0 {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "the upstream stream is still open: {stats}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
