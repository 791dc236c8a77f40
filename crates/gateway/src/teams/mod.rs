//! Keys for teams (docs/keys.md): keys declared in the configuration file's `keys:` section
//! with allowed models, request and token rates, daily and monthly token budgets and a cap on
//! concurrent streams; enforced on every face, counted in memory or shared through Redis, and
//! reported per key, model and day at `GET /admin/usage`.

pub mod admin;
pub mod enforce;
mod memory;
mod peek;
mod redis_store;
pub mod spec;
pub mod store;
pub mod window;

use std::collections::BTreeMap;
use std::sync::Arc;

use arc_swap::ArcSwap;
use aws_config::SdkConfig;
use sha2::{Digest, Sha256};
use subtle::{ConditionallySelectable, ConstantTimeEq};
use time::OffsetDateTime;

use crate::config::Config;
use crate::config_file::env_refs::{process_env, Env};
use crate::config_file::FileConfig;
use crate::keys::ApiKeys;
pub use enforce::{enforce, enforce_anthropic, Refusal};
use spec::{KeyMaterial, KeySpec};
pub use store::Store;
pub use window::Limits;

/// What a key of the file may do.
#[derive(Debug)]
pub struct KeyPolicy {
    pub name: Arc<str>,
    /// Glob patterns of the model names the key may send; empty: any model.
    pub models: Vec<glob::Pattern>,
    pub limits: Limits,
    pub disabled: bool,
    pub expires_at: Option<OffsetDateTime>,
    pub metadata: BTreeMap<String, serde_json::Value>,
    /// How the key was given (never the key).
    pub source: &'static str,
}

impl KeyPolicy {
    /// Whether the key may use `model` (the name the client sent).
    pub fn allows(&self, model: &str) -> bool {
        self.models.is_empty() || self.models.iter().any(|p| p.matches(model))
    }
}

/// Who is calling: a key of the file (with its policy) or an unlimited key configured the
/// existing ways (named by its label, `key-` and 8 hex digits of its digest).
#[derive(Debug, Clone)]
pub struct Caller {
    pub name: Arc<str>,
    pub policy: Option<Arc<KeyPolicy>>,
}

impl Caller {
    /// Whether this caller may see and use `model`.
    pub fn allows(&self, model: &str) -> bool {
        self.policy.as_ref().is_none_or(|p| p.allows(model))
    }
}

/// Whether the request's caller (if the key check named one) may see `model`; for `/models`.
pub fn model_visible(caller: Option<&Caller>, model: &str) -> bool {
    caller.is_none_or(|c| c.allows(model))
}

/// Whether a key of the file is read from Secrets Manager (so the account must be reachable
/// even when Bedrock is emulated).
pub fn reads_secrets(config: &Config) -> bool {
    let entries = config.file.as_ref().and_then(|f| f.keys.as_ref()).and_then(|k| k.as_sequence());
    entries.is_some_and(|entries| entries.iter().any(|e| e.get("key_secret").is_some()))
}

/// The keys of the file, as digests, looked up in constant time.
#[derive(Default)]
struct KeyTable {
    entries: Vec<([u8; 32], Arc<KeyPolicy>)>,
}

impl KeyTable {
    /// Compares against every entry without stopping early, so timing reveals nothing.
    fn find(&self, digest: &[u8; 32]) -> Option<Arc<KeyPolicy>> {
        let mut index = 0u32;
        let mut found = subtle::Choice::from(0);
        for (i, (candidate, _)) in self.entries.iter().enumerate() {
            let equal = candidate.ct_eq(digest);
            index.conditional_assign(&u32::try_from(i).unwrap_or(u32::MAX), equal);
            found |= equal;
        }
        let index = usize::try_from(index).ok()?;
        bool::from(found).then(|| self.entries.get(index).map(|(_, p)| Arc::clone(p))).flatten()
    }
}

fn sha256(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

/// The keys of the file, the store of counts and usage, and the admin key.
pub struct Teams {
    table: ArcSwap<KeyTable>,
    pub store: Arc<Store>,
    admin: Option<[u8; 32]>,
    /// Tokens reserved for an answer whose request sets no cap.
    pub reserve_default: u64,
    /// Names of the unlimited keys (labels), listed by `/admin/keys`.
    legacy_names: Vec<String>,
    /// The account's SDK configuration, for secrets read again on reload.
    sdk: Option<SdkConfig>,
}

impl std::fmt::Debug for Teams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Teams({} keys)", self.table.load().entries.len())
    }
}

impl Teams {
    /// Reads the file's keys (secrets included), connects the store; the unlimited keys'
    /// names are kept for `/admin/keys`.
    pub async fn build(config: &Config, sdk: &SdkConfig, legacy: &[String]) -> Result<Self, String> {
        let table = match &config.file {
            Some(file) => load_table(file, sdk, &process_env).await?,
            None => KeyTable::default(),
        };
        let admin = config.admin_api_key.as_deref().map(str::trim).filter(|k| !k.is_empty()).map(sha256);
        Ok(Self {
            table: ArcSwap::from_pointee(table),
            store: Arc::new(Store::from_config(config)?),
            admin,
            reserve_default: config.token_reservation_default,
            legacy_names: legacy.iter().map(|k| crate::record::key_label(k)).collect(),
            sdk: Some(sdk.clone()),
        })
    }

    /// Checks the file's keys section without reading secrets (for tests and tools).
    pub fn check_section(file: &FileConfig, env: Env<'_>) -> Result<usize, String> {
        spec::parse_keys(file.keys.as_ref(), env).map(|specs| specs.len())
    }

    /// Replaces the keys with the file's (for a reload on SIGHUP): counts and usage stay, by
    /// name; on error the old keys stay. Returns how many keys the file now gives.
    pub async fn reload_keys(&self, file: &FileConfig) -> Result<usize, String> {
        let sdk = self.sdk.clone().unwrap_or_else(|| SdkConfig::builder().build());
        let table = load_table(file, &sdk, &process_env).await?;
        let count = table.entries.len();
        self.table.store(Arc::new(table));
        Ok(count)
    }

    /// How many keys the file gave.
    pub fn len(&self) -> usize {
        self.table.load().entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The caller behind `key`: a key of the file first, then the unlimited keys.
    pub fn identify(&self, key: &str, legacy: &ApiKeys) -> Result<Caller, Refusal> {
        if let Some(policy) = self.table.load().find(&sha256(key)) {
            check_usable(&policy)?;
            return Ok(Caller { name: Arc::clone(&policy.name), policy: Some(policy) });
        }
        match legacy.verify(key) {
            true => Ok(Caller { name: crate::record::key_label(key).into(), policy: None }),
            false => Err(Refusal::Unauthorized),
        }
    }

    /// Whether `key` is the admin key (constant time).
    pub fn is_admin(&self, key: &str) -> bool {
        self.admin.is_some_and(|admin| bool::from(admin.ct_eq(&sha256(key))))
    }

    pub fn admin_configured(&self) -> bool {
        self.admin.is_some()
    }

    /// Every key's policy, in file order.
    pub fn policies(&self) -> Vec<Arc<KeyPolicy>> {
        self.table.load().entries.iter().map(|(_, p)| Arc::clone(p)).collect()
    }

    pub fn legacy_names(&self) -> &[String] {
        &self.legacy_names
    }
}

fn check_usable(policy: &KeyPolicy) -> Result<(), Refusal> {
    if policy.disabled {
        return Err(Refusal::Disabled);
    }
    match policy.expires_at {
        Some(at) if at <= OffsetDateTime::now_utc() => Err(Refusal::Expired),
        _ => Ok(()),
    }
}

async fn load_table(file: &FileConfig, sdk: &SdkConfig, env: Env<'_>) -> Result<KeyTable, String> {
    let specs = spec::parse_keys(file.keys.as_ref(), env)?;
    let mut entries = Vec::with_capacity(specs.len());
    for (i, spec) in specs.into_iter().enumerate() {
        let digest = key_digest(&spec, sdk).await.map_err(|e| format!("keys[{i}] ({}): {e}", spec.name))?;
        if entries.iter().any(|(d, _)| *d == digest) {
            return Err(format!("keys[{i}] ({}): the same key is configured twice", spec.name));
        }
        entries.push((digest, Arc::new(policy(spec))));
    }
    Ok(KeyTable { entries })
}

async fn key_digest(spec: &KeySpec, sdk: &SdkConfig) -> Result<[u8; 32], String> {
    match &spec.material {
        KeyMaterial::Digest(digest) => Ok(*digest),
        KeyMaterial::Plain(key) => Ok(sha256(key)),
        KeyMaterial::Secret(name) => {
            let keys = crate::keys::secret_keys(sdk, name).await.map_err(|e| e.to_string())?;
            match keys.as_slice() {
                [key] => Ok(sha256(key)),
                _ => Err(format!("key_secret: the secret {name} must hold exactly one key, it holds {}", keys.len())),
            }
        }
    }
}

fn policy(spec: KeySpec) -> KeyPolicy {
    KeyPolicy {
        name: spec.name.into(),
        models: spec.models,
        limits: spec.limits,
        disabled: spec.disabled,
        expires_at: spec.expires_at,
        metadata: spec.metadata,
        source: spec.material.source(),
    }
}

#[cfg(test)]
mod tests;
