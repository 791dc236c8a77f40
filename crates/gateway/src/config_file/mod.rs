//! The optional configuration file (`--config` / `CONFIG_FILE`, YAML): named models with
//! their Bedrock targets, AWS access, parameters and fallbacks, in our own format
//! (docs/config.md) or a LiteLLM `config.yaml` read as is; and global settings.

pub mod access;
pub mod env_refs;
pub mod litellm;
mod native;
pub mod spec;

use std::collections::BTreeMap;

pub use access::AwsAccess;
pub use spec::{FileConfig, ModelSpec, RouterSpec, Strategy};

/// Global settings of the file: setting name → scalar or list.
pub(crate) type Settings = BTreeMap<String, serde_yaml_ng::Value>;

/// Reads and checks the file; messages name the file, then the entry and field.
pub fn load(path: &str) -> Result<FileConfig, String> {
    load_with(path, &env_refs::process_env)
}

pub fn load_with(path: &str, env: env_refs::Env<'_>) -> Result<FileConfig, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("config file {path}: {e}"))?;
    parse_with(&text, env).map_err(|e| format!("config file {path}: {e}"))
}

/// Parses either format, references resolved from the process environment.
pub fn parse(text: &str) -> Result<FileConfig, String> {
    parse_with(text, &env_refs::process_env)
}

/// Parses either format (a top-level `model_list` is LiteLLM's), references resolved by `env`.
pub fn parse_with(text: &str, env: env_refs::Env<'_>) -> Result<FileConfig, String> {
    let top: serde_yaml_ng::Value = serde_yaml_ng::from_str(text).map_err(|e| e.to_string())?;
    let file = match &top {
        serde_yaml_ng::Value::Null => FileConfig::default(),
        serde_yaml_ng::Value::Mapping(map) if map.contains_key("model_list") => {
            if map.contains_key("models") {
                return Err("`models` (native format) and `model_list` (LiteLLM format) cannot be mixed".into());
            }
            litellm::convert(typed(text)?, env)?
        }
        serde_yaml_ng::Value::Mapping(_) => native::convert(typed(text)?, env)?,
        _ => return Err("the file must be a mapping with `models` (or LiteLLM's `model_list`)".into()),
    };
    file.validate()?;
    Ok(file)
}

/// Typed parsing with the path of the failing field (`models[2].access.role_arn: …`) and,
/// from the YAML parser, its line and column.
fn typed<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, String> {
    let deserializer = serde_yaml_ng::Deserializer::from_str(text);
    serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let path = e.path().to_string();
        match path.as_str() {
            "." | "" => e.into_inner().to_string(),
            _ => format!("{path}: {}", e.into_inner()),
        }
    })
}

/// Settings as `(name, value)` pairs: scalars as written, lists joined with commas.
pub(crate) fn settings_list(settings: Settings, env: env_refs::Env<'_>) -> Result<Vec<(String, String)>, String> {
    settings
        .into_iter()
        .map(|(name, value)| {
            let text =
                setting_text(&value).ok_or_else(|| format!("settings.{name} must be a scalar or a list of scalars"))?;
            let text = env_refs::resolve(&text, env).map_err(|e| format!("settings.{name}: {e}"))?;
            Ok((name, text))
        })
        .collect()
}

fn setting_text(value: &serde_yaml_ng::Value) -> Option<String> {
    use serde_yaml_ng::Value;
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Sequence(items) => items.iter().map(setting_text).collect::<Option<Vec<_>>>().map(|v| v.join(",")),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
