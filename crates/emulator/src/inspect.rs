//! Test inspection: recent requests, counters and open-stream tracking,
//! served under `/_emulator/` (outside AWS's namespace).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use axum::Json;
use bytes::Bytes;
use rand::Rng;
use serde_json::{json, Map, Value};

use crate::AppState;

const RECENT: usize = 200;

/// The operation a request addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Converse,
    ConverseStream,
    InvokeModel,
    CountTokens,
    ListFoundationModels,
    GetFoundationModel,
    ListInferenceProfiles,
    GetInferenceProfile,
    Unknown,
}

const OPERATIONS: [Operation; 9] = [
    Operation::Converse,
    Operation::ConverseStream,
    Operation::InvokeModel,
    Operation::CountTokens,
    Operation::ListFoundationModels,
    Operation::GetFoundationModel,
    Operation::ListInferenceProfiles,
    Operation::GetInferenceProfile,
    Operation::Unknown,
];

impl Operation {
    pub fn name(self) -> &'static str {
        match self {
            Self::Converse => "Converse",
            Self::ConverseStream => "ConverseStream",
            Self::InvokeModel => "InvokeModel",
            Self::CountTokens => "CountTokens",
            Self::ListFoundationModels => "ListFoundationModels",
            Self::GetFoundationModel => "GetFoundationModel",
            Self::ListInferenceProfiles => "ListInferenceProfiles",
            Self::GetInferenceProfile => "GetInferenceProfile",
            Self::Unknown => "Unknown",
        }
    }

    /// Classifies a method and raw path; returns the decoded model id too.
    pub fn classify(method: &str, path: &str) -> (Self, Option<String>) {
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let decode = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned();
        let op = match (method, segments.as_slice()) {
            ("POST", ["model", id, "converse"]) => return (Self::Converse, Some(decode(id))),
            ("POST", ["model", id, "converse-stream"]) => return (Self::ConverseStream, Some(decode(id))),
            ("POST", ["model", id, "invoke"]) => return (Self::InvokeModel, Some(decode(id))),
            ("POST", ["model", id, "count-tokens"]) => return (Self::CountTokens, Some(decode(id))),
            ("GET", ["foundation-models"]) => Self::ListFoundationModels,
            ("GET", ["foundation-models", _]) => Self::GetFoundationModel,
            ("GET", ["inference-profiles"]) => Self::ListInferenceProfiles,
            ("GET", ["inference-profiles", _]) => Self::GetInferenceProfile,
            _ => Self::Unknown,
        };
        (op, None)
    }

    fn index(self) -> usize {
        OPERATIONS.iter().position(|op| *op == self).unwrap_or(OPERATIONS.len() - 1)
    }
}

/// One recorded request.
#[derive(Debug, Clone)]
pub struct Record {
    pub operation: Operation,
    pub path: String,
    pub model_id: Option<String>,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

impl Record {
    fn to_json(&self) -> Value {
        let headers: Map<String, Value> =
            self.headers.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
        let body = serde_json::from_slice::<Value>(&self.body).unwrap_or(Value::Null);
        json!({
            "operation": self.operation.name(),
            "path": self.path,
            "modelId": self.model_id,
            "headers": headers,
            "body": body,
        })
    }
}

/// Shared counters; lock-free except for the short ring-buffer mutex.
#[derive(Debug, Default)]
pub struct Inspector {
    recent: Mutex<VecDeque<Record>>,
    requests: AtomicU64,
    by_operation: [AtomicU64; OPERATIONS.len()],
    open_streams: AtomicI64,
    streams_started: AtomicU64,
    streams_completed: AtomicU64,
    streams_cancelled: AtomicU64,
}

impl Inspector {
    pub fn record(&self, record: Record) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.by_operation[record.operation.index()].fetch_add(1, Ordering::Relaxed);
        if let Ok(mut recent) = self.recent.lock() {
            if recent.len() >= RECENT {
                recent.pop_front();
            }
            recent.push_back(record);
        }
    }

    fn reset(&self) {
        if let Ok(mut recent) = self.recent.lock() {
            recent.clear();
        }
        let counters = [&self.requests, &self.streams_started, &self.streams_completed, &self.streams_cancelled];
        for counter in counters.into_iter().chain(self.by_operation.iter()) {
            counter.store(0, Ordering::Relaxed);
        }
    }

    fn stats(&self) -> Value {
        let by_operation: Map<String, Value> = OPERATIONS
            .iter()
            .map(|op| (op.name().to_string(), json!(self.by_operation[op.index()].load(Ordering::Relaxed))))
            .filter(|(_, n)| n.as_u64() != Some(0))
            .collect();
        json!({
            "requests": self.requests.load(Ordering::Relaxed),
            "by_operation": by_operation,
            "open_streams": self.open_streams.load(Ordering::Relaxed),
            "streams_started": self.streams_started.load(Ordering::Relaxed),
            "streams_completed": self.streams_completed.load(Ordering::Relaxed),
            "streams_cancelled": self.streams_cancelled.load(Ordering::Relaxed),
        })
    }
}

/// Counts a response stream as open until dropped; lives inside the body.
#[derive(Debug)]
pub struct StreamGuard {
    inspector: Arc<Inspector>,
    pub completed: bool,
}

impl StreamGuard {
    pub fn new(inspector: Arc<Inspector>) -> Self {
        inspector.open_streams.fetch_add(1, Ordering::Relaxed);
        inspector.streams_started.fetch_add(1, Ordering::Relaxed);
        Self { inspector, completed: false }
    }
}

impl Drop for StreamGuard {
    fn drop(&mut self) {
        self.inspector.open_streams.fetch_sub(1, Ordering::Relaxed);
        let counter = match self.completed {
            true => &self.inspector.streams_completed,
            false => &self.inspector.streams_cancelled,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// A response with the headers every Bedrock answer carries.
pub fn aws_response(status: StatusCode, content_type: &'static str, body: Body) -> Response {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert("x-amzn-requestid", request_id_header());
    response
}

/// A fresh `x-amzn-RequestId` value.
pub fn request_id_header() -> HeaderValue {
    let n: u128 = rand::thread_rng().gen();
    let hex = format!("{n:032x}");
    let id = format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..]);
    HeaderValue::from_str(&id).unwrap_or(HeaderValue::from_static("00000000-0000-0000-0000-000000000000"))
}

pub async fn requests(State(app): State<AppState>) -> Json<Value> {
    let recent: Vec<Value> = match app.inspector.recent.lock() {
        Ok(recent) => recent.iter().map(Record::to_json).collect(),
        Err(_) => Vec::new(),
    };
    Json(Value::Array(recent))
}

pub async fn stats(State(app): State<AppState>) -> Json<Value> {
    Json(app.inspector.stats())
}

pub async fn reset(State(app): State<AppState>) -> Json<Value> {
    app.inspector.reset();
    Json(json!({"reset": true}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_paths_and_decodes_model_ids() {
        let (op, id) = Operation::classify(
            "POST",
            "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.x/converse",
        );
        assert_eq!(op, Operation::Converse);
        assert_eq!(id.as_deref(), Some("arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.x"));
        assert_eq!(Operation::classify("GET", "/inference-profiles").0, Operation::ListInferenceProfiles);
    }

    #[test]
    fn guard_tracks_open_and_cancelled_streams() {
        let inspector = Arc::new(Inspector::default());
        let mut done = StreamGuard::new(inspector.clone());
        let dropped = StreamGuard::new(inspector.clone());
        assert_eq!(inspector.stats()["open_streams"], 2);
        done.completed = true;
        drop((done, dropped));
        let stats = inspector.stats();
        assert_eq!(
            (stats["open_streams"].as_i64(), stats["streams_completed"].as_u64(), stats["streams_cancelled"].as_u64()),
            (Some(0), Some(1), Some(1))
        );
    }
}
