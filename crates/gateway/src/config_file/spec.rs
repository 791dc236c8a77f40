//! What either file format comes down to: model entries, router settings, global settings.

use std::collections::HashSet;
use std::time::Duration;

use bedrock::model_params::ModelParams;

use super::access::{check_endpoint, AwsAccess};

/// One model entry: a name clients send and the Bedrock target behind it. Several entries
/// with one name share its load.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelSpec {
    pub name: String,
    /// The Bedrock model id, inference profile id, or ARN (application or system profile,
    /// provisioned throughput, custom or imported model).
    pub model: String,
    /// The foundation model behind an ARN, for its capabilities (otherwise read off the id).
    pub foundation_model: Option<String>,
    /// `None`: the gateway's region.
    pub region: Option<String>,
    /// Bedrock runtime endpoint override.
    pub endpoint: Option<String>,
    pub access: AwsAccess,
    pub params: ModelParams,
    /// Listed in `GET /models`.
    pub listed: bool,
    /// Share of the name's load, relative to its other entries.
    pub weight: u32,
    /// Longest wait for an answer to start before the next target is tried.
    pub timeout: Option<Duration>,
    pub fallbacks: Vec<String>,
    pub context_window_fallbacks: Vec<String>,
}

/// How the targets of one name share its load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// Weighted round-robin: even spread, no shared state, predictable.
    #[default]
    RoundRobin,
    /// The target with the fewest requests in flight in this process (streams count until
    /// they end): better when targets differ in speed.
    LeastInFlight,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RouterSpec {
    pub strategy: Strategy,
    /// Calls one request may make across targets and fallbacks.
    pub max_attempts: u32,
    /// Also serve and list the Bedrock ids of the gateway's region, beside the names.
    pub expose_bedrock_models: bool,
}

impl Default for RouterSpec {
    fn default() -> Self {
        Self { strategy: Strategy::RoundRobin, max_attempts: 3, expose_bedrock_models: true }
    }
}

pub const MAX_ATTEMPTS_LIMIT: u32 = 10;
/// Weights are relative; the round-robin schedule holds their sum.
pub const MAX_WEIGHT: u32 = 1000;

/// The loaded file.
#[derive(Debug, Clone, Default)]
pub struct FileConfig {
    pub models: Vec<ModelSpec>,
    pub router: RouterSpec,
    /// Global settings (`settings:`), as setting name and value; applied below env and flags.
    pub settings: Vec<(String, String)>,
    /// The `keys:` section, read by the API key module.
    pub keys: Option<serde_yaml_ng::Value>,
    /// What was read but does not apply (LiteLLM settings without a Bedrock meaning).
    pub warnings: Vec<String>,
}

impl FileConfig {
    /// Checks what holds across entries; messages name the entry (`models[i] (name)`).
    pub fn validate(&self) -> Result<(), String> {
        let names: HashSet<&str> = self.models.iter().map(|m| m.name.as_str()).collect();
        for (i, model) in self.models.iter().enumerate() {
            validate_model(model, &names).map_err(|e| format!("models[{i}] ({}): {e}", model.name))?;
        }
        if !(1..=MAX_ATTEMPTS_LIMIT).contains(&self.router.max_attempts) {
            return Err(format!("router.max_attempts must be between 1 and {MAX_ATTEMPTS_LIMIT}"));
        }
        Ok(())
    }
}

fn validate_model(model: &ModelSpec, names: &HashSet<&str>) -> Result<(), String> {
    check_name(&model.name)?;
    if model.model.trim().is_empty() || model.model.chars().any(char::is_whitespace) {
        return Err(format!("model `{}` must be a Bedrock model id, inference profile or ARN", model.model));
    }
    if let Some(region) = &model.region {
        check_region(region)?;
    }
    if let Some(endpoint) = &model.endpoint {
        check_endpoint(endpoint).map_err(|e| format!("endpoint: {e}"))?;
    }
    if !(1..=MAX_WEIGHT).contains(&model.weight) {
        return Err(format!("weight must be between 1 and {MAX_WEIGHT}"));
    }
    if model.timeout.is_some_and(|t| t.is_zero()) {
        return Err("the timeout must be positive".into());
    }
    let all = model.fallbacks.iter().chain(&model.context_window_fallbacks);
    if let Some(unknown) = all.clone().find(|f| !names.contains(f.as_str())) {
        return Err(format!("fallback `{unknown}` is not a model name of this file"));
    }
    if all.clone().any(|f| *f == model.name) {
        return Err("a model cannot fall back to itself".into());
    }
    Ok(())
}

/// Names are what clients send: printable, no spaces, short enough for a header.
fn check_name(name: &str) -> Result<(), String> {
    let printable = name.bytes().all(|b| b.is_ascii_graphic());
    match !name.is_empty() && name.len() <= 256 && printable {
        true => Ok(()),
        false => Err(format!("name `{name}` must be 1 to 256 printable ASCII characters without spaces")),
    }
}

/// `us-east-1`, `eu-central-2`, `us-gov-west-1`: lowercase words and a number.
pub fn check_region(region: &str) -> Result<(), String> {
    let parts: Vec<&str> = region.split('-').collect();
    let words = parts.len() >= 3
        && parts[..parts.len() - 1].iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()));
    let number = parts.last().is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    match words && number {
        true => Ok(()),
        false => Err(format!("region `{region}` is not an AWS region name such as us-east-1")),
    }
}
