//! `GET /health`: liveness for load balancers; never touches AWS, needs no key.

use axum::Json;
use serde_json::{json, Value};

pub async fn health() -> Json<Value> {
    Json(json!({"status": "OK"}))
}
