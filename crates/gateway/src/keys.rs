//! API keys: loading them (environment, Secrets Manager, SSM) and checking them in
//! constant time. Keys are kept only as SHA-256 digests and never logged.

use aws_config::SdkConfig;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::config::Config;

/// The accepted keys, as digests.
#[derive(Clone, Default)]
pub struct ApiKeys {
    digests: Vec<[u8; 32]>,
}

impl std::fmt::Debug for ApiKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ApiKeys({} keys)", self.digests.len())
    }
}

fn digest(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

/// Who owns stored state: the hex SHA-256 digest of a key (the key itself is never kept).
pub fn key_identity(key: &str) -> String {
    digest(key).iter().map(|b| format!("{b:02x}")).collect()
}

impl ApiKeys {
    pub fn new<I: IntoIterator<Item = S>, S: AsRef<str>>(keys: I) -> Self {
        let mut digests: Vec<[u8; 32]> = keys.into_iter().map(|k| digest(k.as_ref())).collect();
        digests.dedup();
        Self { digests }
    }

    pub fn len(&self) -> usize {
        self.digests.len()
    }

    pub fn is_empty(&self) -> bool {
        self.digests.is_empty()
    }

    /// Compares against every key without stopping early, so timing reveals nothing.
    pub fn verify(&self, presented: &str) -> bool {
        let presented = digest(presented);
        self.digests.iter().fold(subtle::Choice::from(0), |found, d| found | d.ct_eq(&presented)).into()
    }
}

/// Why keys could not be loaded; the process refuses to start.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("no API key configured: set API_KEY, API_KEY_SECRET_ARN or API_KEY_PARAM_NAME")]
    NoneConfigured,
    #[error("could not read API key secret {name}: {reason}")]
    Secret { name: String, reason: String },
    #[error("could not read API key parameter {name}: {reason}")]
    Parameter { name: String, reason: String },
}

/// Where keys come from (named in logs and by `doctor`; never the keys themselves).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// `API_KEY` / `--api-key`.
    Setting,
    /// A Secrets Manager secret (name or ARN).
    Secret(String),
    /// An SSM parameter.
    Parameter(String),
    /// Generated for an `--emulator` run.
    Generated,
}

impl std::fmt::Display for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Setting => f.write_str("API_KEY"),
            Self::Secret(name) => write!(f, "Secrets Manager secret {name}"),
            Self::Parameter(name) => write!(f, "SSM parameter {name}"),
            Self::Generated => f.write_str("generated for this run"),
        }
    }
}

/// The configured sources, in loading order.
pub fn configured_sources(config: &Config) -> Vec<KeySource> {
    let mut sources = Vec::new();
    if !config.api_keys.is_empty() {
        sources.push(KeySource::Setting);
    }
    sources.extend(config.api_key_secret_arn.clone().map(KeySource::Secret));
    sources.extend(config.api_key_param_name.clone().map(KeySource::Parameter));
    sources
}

/// The keys of one source.
pub async fn load_source(source: &KeySource, config: &Config, sdk: &SdkConfig) -> Result<Vec<String>, KeyError> {
    match source {
        KeySource::Setting => Ok(config.api_keys.clone()),
        KeySource::Secret(name) => secret_keys(sdk, name).await,
        KeySource::Parameter(name) => parameter_keys(sdk, name).await,
        KeySource::Generated => Ok(Vec::new()),
    }
}

/// Every configured key: `API_KEY` (comma-separated), the secret and the parameter together.
pub async fn load_api_keys(config: &Config, sdk: &SdkConfig) -> Result<Vec<String>, KeyError> {
    Ok(load_all(config, sdk).await?.0)
}

/// The keys and how many each source gave.
pub async fn load_all(config: &Config, sdk: &SdkConfig) -> Result<(Vec<String>, Vec<(KeySource, usize)>), KeyError> {
    let mut keys = Vec::new();
    let mut counts = Vec::new();
    for source in configured_sources(config) {
        let loaded = load_source(&source, config, sdk).await?;
        counts.push((source, loaded.len()));
        keys.extend(loaded);
    }
    if keys.is_empty() {
        return Err(KeyError::NoneConfigured);
    }
    Ok((keys, counts))
}

/// "2 from API_KEY, 1 from SSM parameter /x", for the start-up line and `doctor`.
pub fn describe_counts(counts: &[(KeySource, usize)]) -> String {
    let parts: Vec<String> = counts.iter().map(|(source, n)| format!("{n} from {source}")).collect();
    parts.join(", ")
}

pub(crate) async fn secret_keys(sdk: &SdkConfig, name: &str) -> Result<Vec<String>, KeyError> {
    let fail = |reason: String| KeyError::Secret { name: name.to_owned(), reason };
    let client = aws_sdk_secretsmanager::Client::new(sdk);
    let output = client.get_secret_value().secret_id(name).send().await.map_err(|e| fail(error_text(&e)))?;
    let text = output.secret_string().ok_or_else(|| fail("the secret has no SecretString".into()))?;
    keys_from_secret_json(text).map_err(fail)
}

/// The secret is JSON with `api_key` (a string, comma-separated for several) and/or
/// `api_keys` (a list), as the reference's `{"api_key": "..."}` plus the multi-key form.
pub fn keys_from_secret_json(text: &str) -> Result<Vec<String>, String> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|_| "the secret is not JSON with an `api_key` field".to_owned())?;
    let mut keys = Vec::new();
    if let Some(single) = value.get("api_key").and_then(|v| v.as_str()) {
        keys.extend(split_keys(single));
    }
    if let Some(list) = value.get("api_keys").and_then(|v| v.as_array()) {
        keys.extend(list.iter().filter_map(|v| v.as_str()).flat_map(split_keys));
    }
    if keys.is_empty() {
        return Err("the secret's JSON has no non-empty `api_key` or `api_keys`".into());
    }
    Ok(keys)
}

async fn parameter_keys(sdk: &SdkConfig, name: &str) -> Result<Vec<String>, KeyError> {
    let fail = |reason: String| KeyError::Parameter { name: name.to_owned(), reason };
    let client = aws_sdk_ssm::Client::new(sdk);
    let output =
        client.get_parameter().name(name).with_decryption(true).send().await.map_err(|e| fail(error_text(&e)))?;
    let value = output.parameter().and_then(|p| p.value()).ok_or_else(|| fail("the parameter has no value".into()))?;
    let keys = split_keys(value);
    if keys.is_empty() {
        return Err(fail("the parameter is empty".into()));
    }
    Ok(keys)
}

fn split_keys(text: &str) -> Vec<String> {
    text.split(',').map(str::trim).filter(|k| !k.is_empty()).map(str::to_owned).collect()
}

fn error_text<E: aws_sdk_ssm::error::ProvideErrorMetadata, R>(error: &aws_sdk_ssm::error::SdkError<E, R>) -> String {
    match error.as_service_error() {
        Some(service) => format!("{}: {}", service.code().unwrap_or("error"), service.message().unwrap_or("")),
        None => format!("{error}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifies_any_configured_key() {
        let keys = ApiKeys::new(["alpha", "beta"]);
        assert!(keys.verify("alpha"));
        assert!(keys.verify("beta"));
        assert!(!keys.verify("gamma"));
        assert!(!keys.verify(""));
        assert!(!ApiKeys::default().verify("alpha"));
    }

    #[test]
    fn debug_does_not_show_keys() {
        assert_eq!(format!("{:?}", ApiKeys::new(["secret"])), "ApiKeys(1 keys)");
    }

    #[test]
    fn sources_are_named_without_keys() {
        let counts = vec![(KeySource::Setting, 2), (KeySource::Parameter("/gw/keys".into()), 1)];
        assert_eq!(describe_counts(&counts), "2 from API_KEY, 1 from SSM parameter /gw/keys");
    }

    #[test]
    fn secret_json_forms() {
        assert_eq!(keys_from_secret_json(r#"{"api_key":"a"}"#).unwrap(), vec!["a"]);
        assert_eq!(keys_from_secret_json(r#"{"api_key":"a, b"}"#).unwrap(), vec!["a", "b"]);
        assert_eq!(keys_from_secret_json(r#"{"api_keys":["a","b"],"api_key":"c"}"#).unwrap(), vec!["c", "a", "b"]);
        assert!(keys_from_secret_json(r#"{"other":"x"}"#).is_err());
        assert!(keys_from_secret_json("plain").is_err());
    }
}
