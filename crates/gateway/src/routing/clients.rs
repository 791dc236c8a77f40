//! One Bedrock client (and model catalogue) per distinct region, endpoint and AWS access of
//! the file, built on first use and kept across reloads. All share the default
//! configuration's HTTP client, timeouts and retry settings.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aws_config::profile::ProfileFileCredentialsProvider;
use aws_config::sts::AssumeRoleProvider;
use aws_config::{Region, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use aws_smithy_runtime_api::client::auth::http::HTTP_BEARER_AUTH_SCHEME_ID;
use tokio::sync::OnceCell;

use super::web_identity::WebIdentityProvider;
use crate::config_file::access::{AssumeRole, AwsAccess};
use crate::models::{Catalog, DiscoveryOptions};
use crate::upstream::Bedrock;

/// What tells two models' clients apart.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct ClientKey {
    /// `None`: the gateway's region.
    pub region: Option<String>,
    pub endpoint: Option<String>,
    pub access: AwsAccess,
}

impl ClientKey {
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

/// A client and the catalogue of what its region and access can call.
#[derive(Clone)]
pub struct Upstream {
    pub bedrock: Bedrock,
    pub catalog: Arc<Catalog>,
    pub region: String,
}

pub struct ClientPool {
    base: SdkConfig,
    default: Upstream,
    discovery: DiscoveryOptions,
    built: Mutex<HashMap<ClientKey, Arc<OnceCell<Upstream>>>>,
}

impl ClientPool {
    /// `base` is the default Bedrock configuration; `default` its client and catalogue.
    pub fn new(base: SdkConfig, default: Upstream, discovery: DiscoveryOptions) -> Self {
        Self { base, default, discovery, built: Mutex::new(HashMap::new()) }
    }

    pub fn default_upstream(&self) -> &Upstream {
        &self.default
    }

    /// The client for `key`, built once (concurrent first uses wait for the same build).
    pub async fn get(&self, key: &ClientKey) -> Upstream {
        if key.is_default() {
            return self.default.clone();
        }
        let cell = {
            let mut built = self.built.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            Arc::clone(built.entry(key.clone()).or_default())
        };
        cell.get_or_init(|| self.build(key)).await.clone()
    }

    async fn build(&self, key: &ClientKey) -> Upstream {
        let region = key.region.clone().map(Region::new).or_else(|| self.base.region().cloned());
        let mut sdk = self.base.to_builder();
        sdk.set_region(region.clone());
        if let Some(provider) = credentials(&key.access, &self.base, region.clone()).await {
            sdk.set_credentials_provider(Some(provider));
        }
        let sdk = sdk.build();
        let bedrock = Bedrock::from_configs(runtime_config(&sdk, key), control_config(&sdk, key));
        let region_name = region.map_or_else(String::new, |r| r.to_string());
        tracing::info!(region = %region_name, access = %key.access.describe(), "Bedrock client created");
        let catalog = Arc::new(Catalog::new(bedrock.clone(), self.discovery));
        Upstream { bedrock, catalog, region: region_name }
    }
}

fn runtime_config(sdk: &SdkConfig, key: &ClientKey) -> aws_sdk_bedrockruntime::Config {
    let mut config = aws_sdk_bedrockruntime::config::Builder::from(sdk);
    if let Some(url) = &key.endpoint {
        config = config.endpoint_url(url);
    }
    if let Some(api_key) = &key.access.api_key {
        config = config
            .bearer_token(aws_sdk_bedrockruntime::config::Token::new(api_key.clone(), None))
            .auth_scheme_preference([HTTP_BEARER_AUTH_SCHEME_ID]);
    }
    config.build()
}

/// The control plane (model listing) with the same identity; its endpoint is not the
/// runtime's, so an endpoint override does not apply to it.
fn control_config(sdk: &SdkConfig, key: &ClientKey) -> aws_sdk_bedrock::Config {
    let mut config = aws_sdk_bedrock::config::Builder::from(sdk);
    if let Some(api_key) = &key.access.api_key {
        config = config
            .bearer_token(aws_sdk_bedrock::config::Token::new(api_key.clone(), None))
            .auth_scheme_preference([HTTP_BEARER_AUTH_SCHEME_ID]);
    }
    config.build()
}

/// The credentials provider of an access; `None` keeps the default chain.
async fn credentials(
    access: &AwsAccess,
    base: &SdkConfig,
    region: Option<Region>,
) -> Option<SharedCredentialsProvider> {
    let own = match (&access.profile, &access.keys) {
        (Some(profile), _) => Some(SharedCredentialsProvider::new(
            ProfileFileCredentialsProvider::builder().profile_name(profile).build(),
        )),
        (_, Some(keys)) => Some(SharedCredentialsProvider::new(Credentials::new(
            keys.access_key_id.clone(),
            keys.secret_access_key.clone(),
            keys.session_token.clone(),
            None,
            "config-file",
        ))),
        _ => None,
    };
    let Some(role) = &access.role else { return own };
    let sts = sts_config(base, role, region);
    if role.web_identity.is_some() {
        return Some(SharedCredentialsProvider::new(WebIdentityProvider::new(role, &sts)));
    }
    let base_credentials = own.or_else(|| base.credentials_provider())?;
    let mut builder = AssumeRoleProvider::builder(&role.role_arn)
        .session_name(role.session_name.clone().unwrap_or_else(|| "bedrock-gateway".to_owned()))
        .configure(&sts);
    if let Some(external_id) = &role.external_id {
        builder = builder.external_id(external_id);
    }
    // The SDK client caches the assumed credentials and refreshes them before they expire.
    Some(SharedCredentialsProvider::new(builder.build_from_provider(base_credentials).await))
}

/// STS in the model's region, at the configured endpoint (never at the emulator's).
fn sts_config(base: &SdkConfig, role: &AssumeRole, region: Option<Region>) -> SdkConfig {
    let mut sts = base.to_builder();
    sts.set_endpoint_url(role.sts_endpoint.clone());
    sts.set_region(region);
    sts.build()
}
