//! Which link of the AWS credential chain supplied the credentials, and who they belong to.

use std::time::Duration;

use aws_config::SdkConfig;
use aws_credential_types::credential_feature::AwsCredentialFeature;
use aws_credential_types::provider::ProvideCredentials;
use aws_credential_types::Credentials;

use super::explain::CREDENTIALS_REJECTED;
use super::Check;
use crate::region::active_profile;
use crate::upstream::source_chain;

/// SSO and role assumption may take a few round trips; never longer than this.
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(20);

/// The fix when the chain found nothing.
pub const NO_CREDENTIALS_FIX: &str =
    "Set AWS_PROFILE (and run `aws sso login` for an SSO profile), or AWS_ACCESS_KEY_ID and \
     AWS_SECRET_ACCESS_KEY, or run the gateway with an IAM role (instance, task or function role).";

/// What the chain tried, in its order.
const NONE_FOUND: &str =
    "none found (tried environment variables, profile, web identity, container credentials, instance metadata)";

/// SSO and process errors can be long; one screen matters more.
const MAX_DETAIL_CHARS: usize = 400;

/// Resolves credentials through the SDK's chain; the check and whether any were found.
pub async fn credentials_check(sdk: &SdkConfig) -> (Check, bool) {
    let Some(provider) = sdk.credentials_provider() else {
        return (Check::fail("credentials", "AWS credentials", "no credential provider", NO_CREDENTIALS_FIX), false);
    };
    match tokio::time::timeout(RESOLVE_TIMEOUT, provider.provide_credentials()).await {
        Ok(Ok(credentials)) => {
            (Check::pass("credentials", "AWS credentials", format!("from {}", provider_name(&credentials))), true)
        }
        Ok(Err(error)) => {
            let detail = match crate::upstream::missing_credentials(&error) {
                true => NONE_FOUND.to_owned(),
                false => openai::clip_to(&source_chain(&error), MAX_DETAIL_CHARS).into_owned(),
            };
            (Check::fail("credentials", "AWS credentials", detail, NO_CREDENTIALS_FIX), false)
        }
        Err(_) => {
            let detail = "resolving credentials took longer than 20 s".to_owned();
            (Check::fail("credentials", "AWS credentials", detail, NO_CREDENTIALS_FIX), false)
        }
    }
}

/// STS GetCallerIdentity: the account and ARN the gateway acts as.
pub async fn identity_check(sdk: &SdkConfig) -> Check {
    use aws_sdk_sts::error::ProvideErrorMetadata as _;
    let answer = aws_sdk_sts::Client::new(sdk).get_caller_identity().send().await;
    match answer {
        Ok(who) => Check::pass(
            "identity",
            "Caller identity",
            format!("account {}, {}", who.account().unwrap_or("?"), who.arn().unwrap_or("?")),
        ),
        Err(error) => match error.as_service_error() {
            Some(service) => {
                let detail = format!("{}: {}", service.code().unwrap_or("error"), service.message().unwrap_or(""));
                Check::fail("identity", "Caller identity", detail, CREDENTIALS_REJECTED)
            }
            None => Check::fail(
                "identity",
                "Caller identity",
                format!("could not call STS: {}", source_chain(&error)),
                "Allow outbound HTTPS to sts.amazonaws.com (or a VPC endpoint for STS), or check AWS_ENDPOINT_URL_STS.",
            )
            .optional(),
        },
    }
}

/// The chain link, from the features the SDK records on what it resolved, else the
/// provider's own name.
pub fn provider_name(credentials: &Credentials) -> String {
    let features = credentials.get_property::<Vec<AwsCredentialFeature>>().map(Vec::as_slice).unwrap_or_default();
    let named = features.iter().rev().find_map(feature_name);
    named.unwrap_or_else(|| debug_provider_name(credentials).unwrap_or_else(|| "an unnamed provider".to_owned()))
}

fn feature_name(feature: &AwsCredentialFeature) -> Option<String> {
    let profile = || active_profile();
    Some(match feature {
        AwsCredentialFeature::CredentialsEnvVars => "environment variables (AWS_ACCESS_KEY_ID)".to_owned(),
        AwsCredentialFeature::CredentialsSso | AwsCredentialFeature::CredentialsProfileSso => {
            format!("SSO (profile {})", profile())
        }
        AwsCredentialFeature::CredentialsEnvVarsStsWebIdToken
        | AwsCredentialFeature::CredentialsStsAssumeRoleWebId
        | AwsCredentialFeature::CredentialsProfileStsWebIdToken => {
            "web identity (AWS_WEB_IDENTITY_TOKEN_FILE)".to_owned()
        }
        AwsCredentialFeature::CredentialsStsAssumeRole => format!("an assumed role (profile {})", profile()),
        AwsCredentialFeature::CredentialsProcess | AwsCredentialFeature::CredentialsProfileProcess => {
            format!("credential_process (profile {})", profile())
        }
        AwsCredentialFeature::CredentialsHttp => "the container role (ECS/EKS credentials endpoint)".to_owned(),
        AwsCredentialFeature::CredentialsImds => "the EC2 instance role (instance metadata)".to_owned(),
        AwsCredentialFeature::CredentialsProfile => format!("profile {}", profile()),
        AwsCredentialFeature::CredentialsCode => "credentials set in code".to_owned(),
        _ => return None,
    })
}

/// `Credentials` shows its provider's name only through `Debug`.
fn debug_provider_name(credentials: &Credentials) -> Option<String> {
    let debug = format!("{credentials:?}");
    let start = debug.find("provider_name: \"")? + "provider_name: \"".len();
    let end = debug[start..].find('"')? + start;
    Some(debug[start..end].to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_name_the_link_of_the_chain() {
        let mut credentials = Credentials::new("AKID", "secret", None, None, "Environment");
        credentials
            .get_property_mut_or_default::<Vec<AwsCredentialFeature>>()
            .push(AwsCredentialFeature::CredentialsEnvVars);
        assert_eq!(provider_name(&credentials), "environment variables (AWS_ACCESS_KEY_ID)");
        credentials
            .get_property_mut_or_default::<Vec<AwsCredentialFeature>>()
            .push(AwsCredentialFeature::CredentialsImds);
        assert_eq!(provider_name(&credentials), "the EC2 instance role (instance metadata)");
    }

    #[test]
    fn without_features_the_provider_name_is_used() {
        let credentials = Credentials::new("AKID", "secret", None, None, "bedrock-emulator");
        assert_eq!(provider_name(&credentials), "bedrock-emulator");
        assert!(!provider_name(&credentials).contains("secret"));
    }
}
