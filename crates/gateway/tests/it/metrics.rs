//! `/metrics` on the main router and the per-request report made when a response body ends.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::json;

use crate::helpers::{app, body_text, chat, HAIKU};

#[tokio::test]
async fn metrics_are_off_on_the_main_listener_unless_enabled() {
    let app = app(&[]).await;
    assert_eq!(app.send(Request::get("/metrics").body(Body::empty()).unwrap()).await.status(), StatusCode::NOT_FOUND);
    let enabled = crate::helpers::app(&["--metrics-on-main-listener", "true"]).await;
    let response = enabled.send(Request::get("/metrics").body(Body::empty()).unwrap()).await;
    assert_eq!(response.status(), StatusCode::OK, "no key needed");
    assert!(body_text(response).await.contains("# TYPE gateway_open_streams gauge"));
}

#[tokio::test]
async fn a_stream_dropped_midway_is_a_client_disconnect() {
    let app = app(&[]).await;
    let metrics = gateway::metrics::metrics();
    let disconnects = metrics.client_disconnects.get();
    let mut request = chat(HAIKU, "#chunk-delay 50\n#words 100");
    request["stream"] = json!(true);
    let response = app.post_json("/v1/chat/completions", &request).await;
    assert_eq!(response.status(), StatusCode::OK);
    let mut body = response.into_body();
    assert!(body.frame().await.is_some(), "a first frame");
    assert!(metrics.open_streams.get() >= 1);
    drop(body);
    // Other tests of this process may also drop bodies early: at least ours was counted.
    assert!(metrics.client_disconnects.get() > disconnects);
}

#[tokio::test]
async fn a_stream_read_to_its_end_is_counted_once_when_it_ends() {
    let app = app(&[]).await;
    let mut request = chat(HAIKU, "#words 5");
    request["stream"] = json!(true);
    let response = app.post_json("/v1/chat/completions", &request).await;
    let before = gateway::metrics::metrics().requests.get_or_create(&labels()).get();
    assert!(body_text(response).await.ends_with("data: [DONE]\n\n"));
    assert_eq!(gateway::metrics::metrics().requests.get_or_create(&labels()).get(), before + 1);
}

fn labels() -> gateway::metrics::RequestLabels {
    gateway::metrics::RequestLabels {
        route: "/v1/chat/completions".into(),
        model: HAIKU.into(),
        status_class: "2xx",
        api_key: gateway::record::key_label(crate::helpers::KEY),
    }
}
