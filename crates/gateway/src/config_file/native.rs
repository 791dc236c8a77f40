//! The native format (docs/config.md): `models`, `router`, `settings`, `keys`.

use std::time::Duration;

use bedrock::model_params::ModelParams;
use serde::Deserialize;

use super::access::RawAccess;
use super::env_refs::{Env, Text};
use super::spec::{FileConfig, ModelSpec, RouterSpec, Strategy};
use super::{settings_list, Settings};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NativeFile {
    #[serde(default)]
    models: Vec<NativeModel>,
    #[serde(default)]
    router: NativeRouter,
    #[serde(default)]
    settings: Settings,
    #[serde(default)]
    keys: Option<serde_yaml_ng::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NativeModel {
    name: Text,
    model: Text,
    foundation_model: Option<Text>,
    region: Option<Text>,
    endpoint: Option<Text>,
    #[serde(default)]
    access: RawAccess,
    #[serde(default)]
    defaults: Defaults,
    #[serde(default)]
    additional_model_request_fields: serde_json::Map<String, serde_json::Value>,
    #[serde(default = "listed_by_default")]
    listed: bool,
    #[serde(default = "one")]
    weight: u32,
    timeout_seconds: Option<f64>,
    #[serde(default)]
    fallbacks: Vec<Text>,
    #[serde(default)]
    context_window_fallbacks: Vec<Text>,
}

/// Inference parameters used when a request does not set them.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Defaults {
    temperature: Option<f32>,
    top_p: Option<f32>,
    max_tokens: Option<i32>,
    #[serde(default)]
    stop: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NativeRouter {
    #[serde(default)]
    strategy: Strategy,
    #[serde(default = "three")]
    max_attempts: u32,
    #[serde(default = "listed_by_default")]
    expose_bedrock_models: bool,
}

impl Default for NativeRouter {
    fn default() -> Self {
        let spec = RouterSpec::default();
        Self { strategy: spec.strategy, max_attempts: spec.max_attempts, expose_bedrock_models: true }
    }
}

fn listed_by_default() -> bool {
    true
}

fn one() -> u32 {
    1
}

fn three() -> u32 {
    3
}

pub(super) fn convert(file: NativeFile, env: Env<'_>) -> Result<FileConfig, String> {
    let models = file.models.into_iter().enumerate().map(|(i, m)| model_spec(i, m, env)).collect::<Result<_, _>>()?;
    let router = RouterSpec {
        strategy: file.router.strategy,
        max_attempts: file.router.max_attempts,
        expose_bedrock_models: file.router.expose_bedrock_models,
    };
    let settings = settings_list(file.settings, env)?;
    Ok(FileConfig { models, router, settings, keys: file.keys, warnings: Vec::new() })
}

fn model_spec(index: usize, model: NativeModel, env: Env<'_>) -> Result<ModelSpec, String> {
    let name = model.name.0.clone();
    model_fields(model, env).map_err(|e| format!("models[{index}] ({name}): {e}"))
}

fn model_fields(model: NativeModel, env: Env<'_>) -> Result<ModelSpec, String> {
    let text = |field: &Text, name: &str| field.resolve(env).map_err(|e| format!("{name}: {e}"));
    let optional = |field: &Option<Text>, name: &str| field.as_ref().map(|t| text(t, name)).transpose();
    let list = |items: &[Text], name: &str| items.iter().map(|t| text(t, name)).collect::<Result<Vec<_>, _>>();
    let spell = |field: &str| format!("access.{field}");
    let access = model.access.into_access(&spell, env)?;
    let timeout = model.timeout_seconds.map(seconds).transpose()?;
    let defaults = model.defaults;
    let params = ModelParams {
        temperature: defaults.temperature,
        top_p: defaults.top_p,
        max_tokens: defaults.max_tokens,
        stop: defaults.stop,
        fixed_fields: model.additional_model_request_fields,
    };
    Ok(ModelSpec {
        name: text(&model.name, "name")?,
        model: text(&model.model, "model")?,
        foundation_model: optional(&model.foundation_model, "foundation_model")?,
        region: optional(&model.region, "region")?,
        endpoint: optional(&model.endpoint, "endpoint")?,
        access,
        params,
        listed: model.listed,
        weight: model.weight,
        timeout,
        fallbacks: list(&model.fallbacks, "fallbacks")?,
        context_window_fallbacks: list(&model.context_window_fallbacks, "context_window_fallbacks")?,
    })
}

/// A positive, finite number of seconds.
pub(super) fn seconds(value: f64) -> Result<Duration, String> {
    match value.is_finite() && value > 0.0 && value <= 3600.0 {
        true => Ok(Duration::from_secs_f64(value)),
        false => Err(format!("timeout {value} must be a number of seconds between 0 and 3600")),
    }
}
