//! A LiteLLM proxy `config.yaml`, read as is: its `model_list` entries on the `bedrock/…`
//! providers become model entries; its fallbacks and routing strategy apply; what has no
//! meaning for a Bedrock-only gateway is reported as a warning, never silently dropped.

use std::collections::BTreeMap;

use bedrock::model_params::ModelParams;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::access::RawAccess;
use super::env_refs::{self, Env, Text};
use super::native::seconds;
use super::spec::{FileConfig, ModelSpec, RouterSpec, Strategy};
use super::{settings_list, Settings};

#[derive(Deserialize)]
pub(super) struct LiteFile {
    model_list: Vec<LiteEntry>,
    #[serde(default)]
    litellm_settings: Map<String, Value>,
    #[serde(default)]
    router_settings: Map<String, Value>,
    #[serde(default)]
    general_settings: Map<String, Value>,
    #[serde(default)]
    environment_variables: Map<String, Value>,
    /// Our own sections may sit in the same file.
    #[serde(default)]
    settings: Settings,
    #[serde(default)]
    keys: Option<serde_yaml_ng::Value>,
    #[serde(flatten)]
    other: BTreeMap<String, serde_yaml_ng::Value>,
}

#[derive(Deserialize)]
struct LiteEntry {
    model_name: Text,
    litellm_params: Map<String, Value>,
    #[serde(default)]
    model_info: Map<String, Value>,
    #[serde(flatten)]
    other: BTreeMap<String, serde_yaml_ng::Value>,
}

/// `litellm_params` that LiteLLM uses for its own bookkeeping, not for the call.
const NOT_FOR_BEDROCK: &[&str] = &[
    "rpm",
    "tpm",
    "max_retries",
    "num_retries",
    "input_cost_per_token",
    "output_cost_per_token",
    "input_cost_per_second",
    "output_cost_per_second",
    "tags",
    "drop_params",
    "additional_drop_params",
    "mock_response",
    "organization",
    "use_in_pass_through",
    "use_litellm_proxy",
    "merge_reasoning_content_in_choices",
    "litellm_credential_name",
    "api_version",
    "cache_control_injection_points",
];

/// OpenAI parameters a config default cannot carry to Bedrock.
const UNSUPPORTED_DEFAULTS: &[&str] = &[
    "frequency_penalty",
    "presence_penalty",
    "seed",
    "n",
    "logprobs",
    "top_logprobs",
    "logit_bias",
    "response_format",
    "tools",
    "tool_choice",
    "user",
    "stream",
    "stream_options",
    "parallel_tool_calls",
];

/// The parameters read into an entry (everything else is provider-specific).
const READ: &[&str] = &[
    "model",
    "model_id",
    "custom_llm_provider",
    "aws_region_name",
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "aws_profile_name",
    "aws_role_name",
    "aws_session_name",
    "aws_external_id",
    "aws_web_identity_token",
    "aws_sts_endpoint",
    "aws_bedrock_runtime_endpoint",
    "api_base",
    "api_key",
    "temperature",
    "top_p",
    "max_tokens",
    "max_completion_tokens",
    "stop",
    "timeout",
    "stream_timeout",
    "weight",
];

pub(super) fn convert(file: LiteFile, env: Env<'_>) -> Result<FileConfig, String> {
    let mut warnings = Vec::new();
    let mut models = Vec::new();
    for (i, entry) in file.model_list.into_iter().enumerate() {
        let name = entry.model_name.0.clone();
        let context = format!("model_list[{i}] ({name})");
        if let Some(spec) = entry_spec(entry, &context, &mut warnings, env).map_err(|e| format!("{context}: {e}"))? {
            models.push(spec);
        }
    }
    let router = router_spec(&file.router_settings, &mut warnings)?;
    apply_fallbacks(&mut models, &file.router_settings, &file.litellm_settings, &mut warnings)?;
    section_warnings(
        "litellm_settings",
        &file.litellm_settings,
        &["fallbacks", "context_window_fallbacks", "default_fallbacks"],
        &mut warnings,
    );
    section_warnings(
        "router_settings",
        &file.router_settings,
        &["fallbacks", "context_window_fallbacks", "default_fallbacks", "routing_strategy"],
        &mut warnings,
    );
    section_warnings("general_settings", &file.general_settings, &[], &mut warnings);
    if !file.environment_variables.is_empty() {
        warnings.push("environment_variables: not applied; set them in the gateway's environment".into());
    }
    warnings.extend(file.other.keys().map(|key| format!("{key}: a LiteLLM section this gateway does not use")));
    let settings = settings_list(file.settings, env)?;
    Ok(FileConfig { models, router, settings, keys: file.keys, warnings })
}

/// `bedrock/<id>`, `bedrock/converse/<id>`, `bedrock/invoke/<id>`, and imported models as
/// `bedrock/<route>/arn:…`; `None` for other providers.
pub fn bedrock_target(model: &str, provider: Option<&str>) -> Option<String> {
    let rest = match model.strip_prefix("bedrock/") {
        Some(rest) => rest,
        None if provider == Some("bedrock") => model,
        None => return None,
    };
    let rest = rest.strip_prefix("converse/").or_else(|| rest.strip_prefix("invoke/")).unwrap_or(rest);
    match rest.find("/arn:") {
        Some(slash) if !rest[..slash].contains(':') => Some(rest[slash + 1..].to_owned()),
        _ => Some(rest.to_owned()),
    }
}

fn entry_spec(
    entry: LiteEntry,
    context: &str,
    warnings: &mut Vec<String>,
    env: Env<'_>,
) -> Result<Option<ModelSpec>, String> {
    let params = Params { map: &entry.litellm_params, env };
    let model = string(&params, "model")?.ok_or("litellm_params.model is required")?;
    let provider = string(&params, "custom_llm_provider")?;
    let Some(target) = bedrock_target(&model, provider.as_deref()) else {
        warnings.push(format!("{context}: `{model}` is not a Bedrock model; skipped"));
        return Ok(None);
    };
    if target.contains('*') {
        warnings.push(format!("{context}: wildcard `{model}` skipped: every Bedrock id is served as is"));
        return Ok(None);
    }
    warnings.extend(entry.other.keys().map(|key| format!("{context}: `{key}` is not used")));
    warnings.extend(
        entry
            .model_info
            .keys()
            .filter(|k| *k != "base_model")
            .map(|key| format!("{context}: model_info.{key} is not used")),
    );
    let info = Params { map: &entry.model_info, env };
    let spec = build_spec(entry.model_name.0.clone(), target, &params, &info)?;
    let mut rest = entry.litellm_params.clone();
    rest.retain(|key, _| !READ.contains(&key.as_str()));
    let fixed = provider_fields(rest, context, warnings, env)?;
    Ok(Some(ModelSpec { params: ModelParams { fixed_fields: fixed, ..spec.params }, ..spec }))
}

fn build_spec(name: String, target: String, params: &Params<'_>, info: &Params<'_>) -> Result<ModelSpec, String> {
    // A provisioned-throughput or imported model: `model_id` is called, `model` tells what it is.
    let (model, foundation_model) = match string(params, "model_id")? {
        Some(arn) => (arn, Some(target)),
        None => (target, string(info, "base_model")?.and_then(|b| bedrock_target(&b, Some("bedrock")))),
    };
    let spell = |field: &str| format!("litellm_params.{}", litellm_name(field));
    let access = raw_access(params)?.into_access(&spell, params.env)?;
    let timeout =
        [number(params, "timeout")?, number(params, "stream_timeout")?].into_iter().flatten().reduce(f64::min);
    let endpoint = match string(params, "aws_bedrock_runtime_endpoint")? {
        Some(url) => Some(url),
        None => string(params, "api_base")?,
    };
    Ok(ModelSpec {
        name,
        model,
        foundation_model,
        region: string(params, "aws_region_name")?,
        endpoint,
        access,
        params: inference_defaults(params)?,
        listed: true,
        weight: weight(params)?,
        timeout: timeout.map(seconds).transpose()?,
        fallbacks: Vec::new(),
        context_window_fallbacks: Vec::new(),
    })
}

/// The access fields as written: the access module resolves their references.
fn raw_access(params: &Params<'_>) -> Result<RawAccess, String> {
    let text = |key: &str| match params.map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(raw)) => Ok(Some(Text(raw.clone()))),
        Some(other) => Err(format!("litellm_params.{key} must be a string, got {other}")),
    };
    Ok(RawAccess {
        profile: text("aws_profile_name")?,
        access_key_id: text("aws_access_key_id")?,
        secret_access_key: text("aws_secret_access_key")?,
        session_token: text("aws_session_token")?,
        role_arn: text("aws_role_name")?,
        session_name: text("aws_session_name")?,
        external_id: text("aws_external_id")?,
        web_identity_token_file: None,
        web_identity_token: text("aws_web_identity_token")?,
        sts_endpoint: text("aws_sts_endpoint")?,
        api_key: text("api_key")?,
    })
}

/// The LiteLLM spelling of a native access field, for error messages.
fn litellm_name(native: &str) -> &str {
    match native {
        "profile" => "aws_profile_name",
        "access_key_id" => "aws_access_key_id",
        "secret_access_key" => "aws_secret_access_key",
        "session_token" => "aws_session_token",
        "role_arn" => "aws_role_name",
        "session_name" => "aws_session_name",
        "external_id" => "aws_external_id",
        "web_identity_token" | "web_identity_token_file" => "aws_web_identity_token",
        "sts_endpoint" => "aws_sts_endpoint",
        other => other,
    }
}

fn inference_defaults(params: &Params<'_>) -> Result<ModelParams, String> {
    let max_tokens = match number(params, "max_tokens")? {
        Some(n) => Some(n),
        None => number(params, "max_completion_tokens")?,
    };
    let max_tokens = max_tokens.map(|n| whole(n, "max_tokens")).transpose()?;
    let stop = match params.map.get("stop") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(one)) => vec![one.clone()],
        Some(Value::Array(list)) => list
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect::<Option<_>>()
            .ok_or("litellm_params.stop must be a string or a list of strings")?,
        Some(_) => return Err("litellm_params.stop must be a string or a list of strings".into()),
    };
    Ok(ModelParams {
        temperature: number(params, "temperature")?.map(|t| t as f32),
        top_p: number(params, "top_p")?.map(|t| t as f32),
        max_tokens,
        stop,
        fixed_fields: Map::new(),
    })
}

fn weight(params: &Params<'_>) -> Result<u32, String> {
    match number(params, "weight")? {
        None => Ok(1),
        Some(w) => u32::try_from(whole(w, "weight")?).map_err(|_| "litellm_params.weight must be positive".to_owned()),
    }
}

fn whole(n: f64, key: &str) -> Result<i32, String> {
    match n.fract() == 0.0 && (1.0..=f64::from(i32::MAX)).contains(&n) {
        true => Ok(n as i32),
        false => Err(format!("litellm_params.{key} must be a positive whole number, got {n}")),
    }
}

/// Non-OpenAI parameters LiteLLM would send in the request body: fixed model request fields.
fn provider_fields(
    params: Map<String, Value>,
    context: &str,
    warnings: &mut Vec<String>,
    env: Env<'_>,
) -> Result<Map<String, Value>, String> {
    let mut fields = Map::new();
    for (key, value) in params {
        if NOT_FOR_BEDROCK.contains(&key.as_str()) {
            warnings.push(format!("{context}: litellm_params.{key} is LiteLLM bookkeeping; not used"));
        } else if UNSUPPORTED_DEFAULTS.contains(&key.as_str()) {
            warnings.push(format!("{context}: litellm_params.{key} cannot be a default on Bedrock; not used"));
        } else {
            fields.insert(key, resolve_strings(value, env)?);
        }
    }
    Ok(fields)
}

fn resolve_strings(value: Value, env: Env<'_>) -> Result<Value, String> {
    Ok(match value {
        Value::String(s) => Value::String(env_refs::resolve(&s, env)?),
        Value::Array(items) => {
            Value::Array(items.into_iter().map(|v| resolve_strings(v, env)).collect::<Result<_, _>>()?)
        }
        Value::Object(map) => Value::Object(
            map.into_iter().map(|(k, v)| Ok((k, resolve_strings(v, env)?))).collect::<Result<_, String>>()?,
        ),
        other => other,
    })
}

/// One entry's parameters and where their references resolve.
struct Params<'a> {
    map: &'a Map<String, Value>,
    env: Env<'a>,
}

/// A string parameter, with environment references resolved.
fn string(params: &Params<'_>, key: &str) -> Result<Option<String>, String> {
    match params.map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => {
            let resolved = env_refs::resolve(s, params.env).map_err(|e| format!("litellm_params.{key}: {e}"))?;
            Ok(Some(resolved.trim().to_owned()).filter(|v| !v.is_empty()))
        }
        Some(other) => Err(format!("litellm_params.{key} must be a string, got {other}")),
    }
}

/// A number, given as such or as a string (`os.environ/…` included).
fn number(params: &Params<'_>, key: &str) -> Result<Option<f64>, String> {
    match params.map.get(key) {
        Some(Value::Number(n)) => Ok(n.as_f64()),
        Some(Value::String(_)) => {
            let text = string(params, key)?.unwrap_or_default();
            text.parse().map(Some).map_err(|_| format!("litellm_params.{key} must be a number, got `{text}`"))
        }
        None | Some(Value::Null) => Ok(None),
        Some(other) => Err(format!("litellm_params.{key} must be a number, got {other}")),
    }
}

fn router_spec(router: &Map<String, Value>, warnings: &mut Vec<String>) -> Result<RouterSpec, String> {
    let strategy = match router.get("routing_strategy").and_then(Value::as_str) {
        None | Some("simple-shuffle") => Strategy::RoundRobin,
        Some("least-busy") => Strategy::LeastInFlight,
        Some(other) => {
            warnings.push(format!("router_settings.routing_strategy `{other}` is not available; round-robin is used"));
            Strategy::RoundRobin
        }
    };
    Ok(RouterSpec { strategy, ..RouterSpec::default() })
}

/// LiteLLM's `[{name: [fallback, …]}, …]` lists (router and litellm settings), and
/// `default_fallbacks` for names without their own.
fn apply_fallbacks(
    models: &mut [ModelSpec],
    router: &Map<String, Value>,
    litellm: &Map<String, Value>,
    warnings: &mut Vec<String>,
) -> Result<(), String> {
    let known: std::collections::HashSet<String> = models.iter().map(|m| m.name.clone()).collect();
    for (section, settings) in [("router_settings", router), ("litellm_settings", litellm)] {
        for (key, context_window) in [("fallbacks", false), ("context_window_fallbacks", true)] {
            let Some(list) = settings.get(key) else { continue };
            for (name, targets) in fallback_map(list).map_err(|e| format!("{section}.{key}: {e}"))? {
                let targets = keep_known(targets, &known, &format!("{section}.{key}"), warnings);
                for model in models.iter_mut().filter(|m| m.name == name) {
                    let into = if context_window { &mut model.context_window_fallbacks } else { &mut model.fallbacks };
                    into.extend(targets.iter().cloned());
                }
            }
        }
        if let Some(defaults) = settings.get("default_fallbacks") {
            let names =
                string_list(defaults).ok_or(format!("{section}.default_fallbacks must be a list of model names"))?;
            let names = keep_known(names, &known, &format!("{section}.default_fallbacks"), warnings);
            for model in models.iter_mut().filter(|m| m.fallbacks.is_empty()) {
                model.fallbacks = names.iter().filter(|n| **n != model.name).cloned().collect();
            }
        }
    }
    Ok(())
}

fn fallback_map(list: &Value) -> Result<Vec<(String, Vec<String>)>, String> {
    let shape = "must be a list of {model_name: [fallback names]}";
    let items = list.as_array().ok_or(shape)?;
    let mut out = Vec::new();
    for item in items {
        for (name, targets) in item.as_object().ok_or(shape)? {
            out.push((name.clone(), string_list(targets).ok_or(shape)?));
        }
    }
    Ok(out)
}

fn string_list(value: &Value) -> Option<Vec<String>> {
    value.as_array()?.iter().map(|v| v.as_str().map(str::to_owned)).collect()
}

/// Fallbacks naming models this gateway skipped (other providers) are dropped, with a warning.
fn keep_known(
    names: Vec<String>,
    known: &std::collections::HashSet<String>,
    place: &str,
    warnings: &mut Vec<String>,
) -> Vec<String> {
    let (kept, dropped): (Vec<String>, Vec<String>) = names.into_iter().partition(|n| known.contains(n));
    warnings.extend(dropped.iter().map(|n| format!("{place}: `{n}` is not a Bedrock model of this file; ignored")));
    kept
}

fn section_warnings(section: &str, settings: &Map<String, Value>, used: &[&str], warnings: &mut Vec<String>) {
    let unused = settings.keys().filter(|k| !used.contains(&k.as_str()));
    warnings.extend(unused.map(|key| format!("{section}.{key}: not used by this gateway")));
}
