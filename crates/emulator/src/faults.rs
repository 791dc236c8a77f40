//! Per-model faults: runtime calls (Converse, ConverseStream, InvokeModel, CountTokens) to
//! a model answer an error, always or for the next N calls only (a 503 burst). Set with
//! `--fail-model MODEL=KIND[:COUNT]` or at run time with `POST /_emulator/faults`.

use std::sync::Mutex;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::errors::{ApiError, ErrorKind};
use crate::AppState;

/// What Bedrock says when the prompt does not fit the model's context window.
pub const INPUT_TOO_LONG: &str = "Input is too long for requested model.";

/// The error a fault answers: an `ErrorKind` directive name, or `input-too-long`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultKind {
    pub name: String,
    pub error: ApiError,
}

impl FaultKind {
    pub fn parse(name: &str) -> Option<Self> {
        let name = name.trim().to_ascii_lowercase();
        let error = match name.as_str() {
            "input-too-long" => ApiError::validation(INPUT_TOO_LONG),
            other => ApiError::scripted(ErrorKind::from_directive(other)?),
        };
        Some(Self { name, error })
    }
}

/// One model's fault; `remaining: None` fails every call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultRule {
    pub model_id: String,
    pub kind: FaultKind,
    pub remaining: Option<u64>,
}

impl FaultRule {
    /// Parses `MODEL=KIND[:COUNT]`; model ids may contain `:` (`...-v1:0`), so the count is
    /// read after the last `:` of the part after the last `=`.
    pub fn parse(spec: &str) -> Result<Self, String> {
        let invalid = |why: &str| format!("invalid fault `{spec}`: {why} (expected MODEL=KIND[:COUNT])");
        let (model, rest) = spec.trim().rsplit_once('=').ok_or_else(|| invalid("no `=`"))?;
        let (kind, count) = match rest.split_once(':') {
            Some((kind, count)) => (kind, Some(count.trim().parse::<u64>().map_err(|_| invalid("bad count"))?)),
            None => (rest, None),
        };
        let model_id = model.trim();
        if model_id.is_empty() {
            return Err(invalid("empty model id"));
        }
        let kind = FaultKind::parse(kind).ok_or_else(|| invalid("unknown error kind"))?;
        Ok(Self { model_id: model_id.to_owned(), kind, remaining: count })
    }

    /// A rule that fails every call to `model_id` with `kind`, shown as `name` (its directive).
    pub fn always(model_id: &str, kind: ErrorKind, name: &str) -> Self {
        let kind = FaultKind { name: name.to_owned(), error: ApiError::scripted(kind) };
        Self { model_id: model_id.to_owned(), kind, remaining: None }
    }

    fn to_json(&self) -> Value {
        json!({"model": self.model_id, "kind": self.kind.name, "remaining": self.remaining})
    }
}

/// Parses a comma-separated list of `MODEL=KIND[:COUNT]`.
pub fn parse_specs(specs: &str) -> Result<Vec<FaultRule>, String> {
    specs.split(',').filter(|s| !s.trim().is_empty()).map(FaultRule::parse).collect()
}

/// The live fault table; a later rule for a model replaces an earlier one.
#[derive(Debug, Default)]
pub struct Faults {
    rules: Mutex<Vec<FaultRule>>,
}

impl Faults {
    pub fn new(rules: Vec<FaultRule>) -> Self {
        let faults = Self::default();
        faults.add(rules);
        faults
    }

    pub fn add(&self, rules: Vec<FaultRule>) {
        if let Ok(mut table) = self.rules.lock() {
            for rule in rules {
                table.retain(|r| r.model_id != rule.model_id);
                table.push(rule);
            }
        }
    }

    pub fn clear(&self) {
        if let Ok(mut table) = self.rules.lock() {
            table.clear();
        }
    }

    /// The error this call to `model_id` gets, counting it against a limited rule.
    pub fn take(&self, model_id: &str) -> Option<ApiError> {
        let mut table = self.rules.lock().ok()?;
        let at = table.iter().position(|r| r.model_id == model_id)?;
        let error = table[at].kind.error.clone();
        match &mut table[at].remaining {
            None => {}
            Some(0) => {
                table.remove(at);
                return None;
            }
            Some(n) => {
                *n -= 1;
                if *n == 0 {
                    table.remove(at);
                }
            }
        }
        Some(error)
    }

    fn to_json(&self) -> Value {
        let rules = self.rules.lock().map(|t| t.iter().map(FaultRule::to_json).collect()).unwrap_or_default();
        json!({ "faults": Value::Array(rules) })
    }
}

/// Body of `POST /_emulator/faults`: `{"model", "kind", "count"?}`, `{"spec": "M=K[:N],..."}`
/// or a list of either.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum FaultRequest {
    Many(Vec<FaultRequest>),
    Spec { spec: String },
    One { model: String, kind: String, count: Option<u64> },
}

impl FaultRequest {
    fn rules(self) -> Result<Vec<FaultRule>, String> {
        match self {
            Self::Many(list) => Ok(list.into_iter().map(Self::rules).collect::<Result<Vec<_>, _>>()?.concat()),
            Self::Spec { spec } => parse_specs(&spec),
            Self::One { model, kind, count } => {
                let count = count.map(|n| format!(":{n}")).unwrap_or_default();
                Ok(vec![FaultRule::parse(&format!("{model}={kind}{count}"))?])
            }
        }
    }
}

/// `GET /_emulator/faults`
pub async fn list(State(app): State<AppState>) -> Json<Value> {
    Json(app.faults.to_json())
}

/// `POST /_emulator/faults`: adds rules; answers the whole table.
pub async fn add(State(app): State<AppState>, body: axum::body::Bytes) -> Response {
    let request = serde_json::from_slice::<FaultRequest>(&body).map_err(|e| e.to_string());
    match request.and_then(FaultRequest::rules) {
        Ok(rules) => {
            app.faults.add(rules);
            Json(app.faults.to_json()).into_response()
        }
        Err(why) => ApiError::validation(why).into_response(),
    }
}

/// `DELETE /_emulator/faults`: removes every rule (those from the command line too).
pub async fn clear(State(app): State<AppState>) -> Json<Value> {
    app.faults.clear();
    Json(app.faults.to_json())
}

#[cfg(test)]
#[path = "faults_tests.rs"]
mod tests;
