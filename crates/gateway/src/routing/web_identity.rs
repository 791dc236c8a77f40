//! AssumeRoleWithWebIdentity with a token given in the file (LiteLLM's
//! `aws_web_identity_token`) or read from a file at every refresh (Kubernetes and EKS
//! rotate projected tokens), through the SDK's STS client.

use std::time::SystemTime;

use aws_config::SdkConfig;
use aws_credential_types::provider::{self, error::CredentialsError, future, ProvideCredentials};
use aws_credential_types::Credentials;

use crate::config_file::access::{AssumeRole, WebIdentity};

#[derive(Debug)]
pub struct WebIdentityProvider {
    sts: aws_sdk_sts::Client,
    role_arn: String,
    session_name: String,
    token: TokenSource,
}

#[derive(Clone)]
enum TokenSource {
    File(String),
    Value(String),
}

impl std::fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::File(path) => write!(f, "File({path})"),
            Self::Value(_) => f.write_str("Value(..)"),
        }
    }
}

impl WebIdentityProvider {
    /// `sts` is the STS configuration (region, endpoint); the call itself is unsigned.
    pub fn new(role: &AssumeRole, sts: &SdkConfig) -> Self {
        let token = match &role.web_identity {
            Some(WebIdentity::TokenFile(path)) => TokenSource::File(path.clone()),
            Some(WebIdentity::Token(value)) => TokenSource::Value(value.clone()),
            None => TokenSource::Value(String::new()),
        };
        let config = aws_sdk_sts::config::Builder::from(sts).build();
        Self {
            sts: aws_sdk_sts::Client::from_conf(config),
            role_arn: role.role_arn.clone(),
            session_name: role.session_name.clone().unwrap_or_else(|| "bedrock-gateway".to_owned()),
            token,
        }
    }

    async fn assume(&self) -> provider::Result {
        let token = match &self.token {
            TokenSource::Value(value) => value.clone(),
            TokenSource::File(path) => tokio::fs::read_to_string(path)
                .await
                .map_err(|e| CredentialsError::invalid_configuration(format!("web identity token file {path}: {e}")))?
                .trim()
                .to_owned(),
        };
        let output = self
            .sts
            .assume_role_with_web_identity()
            .role_arn(&self.role_arn)
            .role_session_name(&self.session_name)
            .web_identity_token(token)
            .send()
            .await
            .map_err(CredentialsError::provider_error)?;
        let issued = output.credentials.ok_or_else(|| CredentialsError::unhandled("STS returned no credentials"))?;
        let expiry = SystemTime::try_from(issued.expiration).ok();
        Ok(Credentials::new(
            issued.access_key_id,
            issued.secret_access_key,
            Some(issued.session_token),
            expiry,
            "WebIdentity",
        ))
    }
}

impl ProvideCredentials for WebIdentityProvider {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(self.assume())
    }
}
