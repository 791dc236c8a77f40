//! The `keys:` section of the configuration file: one entry per team or application key,
//! checked field by field (messages name `keys[3].requests_per_minute`).

use std::collections::BTreeMap;

use serde::Deserialize;
use time::OffsetDateTime;

use super::window::Limits;
use crate::config_file::env_refs::{Env, Text};

/// One entry as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKey {
    name: String,
    /// Hex SHA-256 digest of the key (`printf %s "$KEY" | sha256sum`).
    key_sha256: Option<String>,
    /// The key through an environment reference (`os.environ/NAME` or `${NAME}`).
    key: Option<Text>,
    /// A Secrets Manager secret (name or ARN) holding the key, as `API_KEY_SECRET_ARN` does.
    key_secret: Option<Text>,
    #[serde(default)]
    models: Vec<String>,
    requests_per_minute: Option<u64>,
    tokens_per_minute: Option<u64>,
    daily_tokens: Option<u64>,
    monthly_tokens: Option<u64>,
    max_concurrent_streams: Option<u64>,
    #[serde(default)]
    disabled: bool,
    expires_at: Option<String>,
    #[serde(default)]
    metadata: BTreeMap<String, serde_json::Value>,
}

/// Where a key's secret comes from.
#[derive(Clone, PartialEq, Eq)]
pub enum KeyMaterial {
    Digest([u8; 32]),
    /// The key itself, read from the environment.
    Plain(String),
    /// A Secrets Manager secret to read at start-up.
    Secret(String),
}

// Keys are never printed.
impl std::fmt::Debug for KeyMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Digest(_) => "Digest(..)",
            Self::Plain(_) => "Plain(..)",
            Self::Secret(_) => "Secret(..)",
        })
    }
}

impl KeyMaterial {
    /// How the key was given, for `/admin/keys`.
    pub fn source(&self) -> &'static str {
        match self {
            Self::Digest(_) => "key_sha256",
            Self::Plain(_) => "environment",
            Self::Secret(_) => "secrets_manager",
        }
    }
}

/// One checked entry.
#[derive(Debug, Clone)]
pub struct KeySpec {
    pub name: String,
    pub material: KeyMaterial,
    pub models: Vec<glob::Pattern>,
    pub limits: Limits,
    pub disabled: bool,
    pub expires_at: Option<OffsetDateTime>,
    pub metadata: BTreeMap<String, serde_json::Value>,
}

/// Parses and checks the section; `None` (no section) is no keys.
pub fn parse_keys(section: Option<&serde_yaml_ng::Value>, env: Env<'_>) -> Result<Vec<KeySpec>, String> {
    let Some(section) = section.filter(|s| !s.is_null()) else { return Ok(Vec::new()) };
    let raw: Vec<RawKey> = serde_path_to_error::deserialize(section.clone()).map_err(|e| {
        let path = e.path().to_string();
        match path.as_str() {
            "." | "" => format!("keys: {}", e.into_inner()),
            _ => format!("keys{}{path}: {}", if path.starts_with('[') { "" } else { "." }, e.into_inner()),
        }
    })?;
    let specs = raw.into_iter().enumerate().map(|(i, key)| check(key, env).map_err(|e| format!("keys[{i}].{e}")));
    let specs: Vec<KeySpec> = specs.collect::<Result<_, _>>()?;
    unique(&specs)?;
    Ok(specs)
}

fn unique(specs: &[KeySpec]) -> Result<(), String> {
    for (i, spec) in specs.iter().enumerate() {
        if specs[..i].iter().any(|other| other.name == spec.name) {
            return Err(format!("keys[{i}].name: `{}` is used by an earlier key", spec.name));
        }
        let same =
            |other: &KeySpec| other.material == spec.material && !matches!(spec.material, KeyMaterial::Secret(_));
        if specs[..i].iter().any(same) {
            return Err(format!("keys[{i}] ({}): the same key is configured twice", spec.name));
        }
    }
    Ok(())
}

fn check(raw: RawKey, env: Env<'_>) -> Result<KeySpec, String> {
    check_name(&raw.name)?;
    let material = material(&raw, env)?;
    let models = raw.models.iter().enumerate().map(|(i, m)| pattern(i, m)).collect::<Result<_, _>>()?;
    let limits = Limits {
        requests_per_minute: positive(raw.requests_per_minute, "requests_per_minute")?,
        tokens_per_minute: positive(raw.tokens_per_minute, "tokens_per_minute")?,
        daily_tokens: positive(raw.daily_tokens, "daily_tokens")?,
        monthly_tokens: positive(raw.monthly_tokens, "monthly_tokens")?,
        max_concurrent_streams: positive(raw.max_concurrent_streams, "max_concurrent_streams")?,
    };
    let expires_at = raw.expires_at.as_deref().map(expiry).transpose()?;
    let metadata = raw.metadata;
    Ok(KeySpec { name: raw.name, material, models, limits, disabled: raw.disabled, expires_at, metadata })
}

/// Names label metrics and Redis keys: letters, digits, `.`, `_`, `-`, at most 64.
fn check_name(name: &str) -> Result<(), String> {
    let allowed = name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    match !name.is_empty() && name.len() <= 64 && allowed {
        true => Ok(()),
        false => Err(format!("name: `{name}` must be 1 to 64 letters, digits, `.`, `_` or `-`")),
    }
}

fn material(raw: &RawKey, env: Env<'_>) -> Result<KeyMaterial, String> {
    let given = [raw.key_sha256.is_some(), raw.key.is_some(), raw.key_secret.is_some()];
    if given.iter().filter(|g| **g).count() != 1 {
        return Err("key_sha256: give exactly one of key_sha256, key (an environment reference) or key_secret".into());
    }
    if let Some(hex) = &raw.key_sha256 {
        return digest(hex).map(KeyMaterial::Digest);
    }
    if let Some(key) = &raw.key {
        if !key.0.contains("os.environ/") && !key.0.contains("${") {
            return Err("key: must reference an environment variable (os.environ/NAME or ${NAME}); \
                        plain keys do not belong in the file (use key_sha256)"
                .into());
        }
        let value = key.resolve(env).map_err(|e| format!("key: {e}"))?;
        let value = value.trim();
        if value.is_empty() {
            return Err("key: the referenced variable is empty".into());
        }
        return Ok(KeyMaterial::Plain(value.to_owned()));
    }
    let secret = raw.key_secret.as_ref().map(|s| s.resolve(env)).transpose().map_err(|e| format!("key_secret: {e}"))?;
    Ok(KeyMaterial::Secret(secret.unwrap_or_default()))
}

fn digest(hex: &str) -> Result<[u8; 32], String> {
    let hex = hex.trim().to_ascii_lowercase();
    let bad = || "key_sha256: must be 64 hexadecimal digits (the SHA-256 digest of the key)".to_owned();
    if hex.len() != 64 {
        return Err(bad());
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
    }
    Ok(out)
}

fn pattern(index: usize, text: &str) -> Result<glob::Pattern, String> {
    if text.trim().is_empty() {
        return Err(format!("models[{index}]: an empty pattern"));
    }
    glob::Pattern::new(text.trim()).map_err(|e| format!("models[{index}]: `{text}` is not a glob pattern: {}", e.msg))
}

fn positive(value: Option<u64>, name: &str) -> Result<Option<u64>, String> {
    match value {
        Some(0) => Err(format!("{name}: must be at least 1 (leave it out for no limit)")),
        other => Ok(other),
    }
}

fn expiry(text: &str) -> Result<OffsetDateTime, String> {
    OffsetDateTime::parse(text.trim(), &time::format_description::well_known::Rfc3339)
        .map_err(|_| format!("expires_at: `{text}` is not an RFC 3339 time such as 2027-01-31T00:00:00Z"))
}
