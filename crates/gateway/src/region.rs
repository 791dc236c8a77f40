//! Which AWS region the gateway uses and where that came from, decided here rather than by
//! the SDK's chain so that start-up can name the source and an unreachable instance
//! metadata service is one quiet fallback instead of a multi-line SDK error.

use std::time::Duration;

use aws_config::environment::region::EnvironmentVariableRegionProvider;
use aws_config::meta::region::ProvideRegion;
use aws_config::profile::ProfileFileRegionProvider;

use crate::config::Config;

/// The region used when nothing names one (as the reference).
pub const FALLBACK_REGION: &str = "us-west-2";

/// The region of the built-in emulator.
pub const EMULATOR_REGION: &str = "us-east-1";

/// Instance metadata answers in milliseconds on EC2; off EC2 a black-holed address must
/// not hold start-up for long.
const IMDS_TIMEOUT: Duration = Duration::from_secs(2);

/// Where the region came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegionSource {
    /// `AWS_REGION` or `--aws-region`.
    Setting,
    /// `AWS_DEFAULT_REGION`.
    DefaultRegionVariable,
    /// The `region` of the active AWS profile.
    Profile,
    /// The EC2 instance metadata service.
    InstanceMetadata,
    /// Nothing named one; `why` says what was tried.
    Fallback { why: String },
    /// The built-in emulator's fixed region.
    Emulator,
}

/// The region and its source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionChoice {
    pub region: String,
    pub source: RegionSource,
}

impl std::fmt::Display for RegionSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Setting => f.write_str("AWS_REGION"),
            Self::DefaultRegionVariable => f.write_str("AWS_DEFAULT_REGION"),
            Self::Profile => write!(f, "profile {}", active_profile()),
            Self::InstanceMetadata => f.write_str("EC2 instance metadata"),
            Self::Fallback { why } => write!(f, "fallback: {why}"),
            Self::Emulator => f.write_str("built-in emulator"),
        }
    }
}

impl RegionChoice {
    fn new(region: impl Into<String>, source: RegionSource) -> Self {
        Self { region: region.into(), source }
    }

    /// The built-in emulator's region.
    pub fn emulator() -> Self {
        Self::new(EMULATOR_REGION, RegionSource::Emulator)
    }

    pub fn is_fallback(&self) -> bool {
        matches!(self.source, RegionSource::Fallback { .. })
    }
}

/// The AWS profile the SDK reads (`AWS_PROFILE`, else `default`).
pub fn active_profile() -> String {
    std::env::var("AWS_PROFILE").ok().filter(|p| !p.trim().is_empty()).unwrap_or_else(|| "default".to_owned())
}

/// Setting, `AWS_DEFAULT_REGION`, profile, instance metadata, then the fallback.
pub async fn resolve_region(config: &Config) -> RegionChoice {
    if let Some(region) = config.aws_region.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        return RegionChoice::new(region, RegionSource::Setting);
    }
    if let Some(region) = EnvironmentVariableRegionProvider::new().region().await {
        return RegionChoice::new(region.as_ref(), RegionSource::DefaultRegionVariable);
    }
    if let Some(region) = ProfileFileRegionProvider::new().region().await {
        return RegionChoice::new(region.as_ref(), RegionSource::Profile);
    }
    match instance_metadata_region().await {
        Ok(region) => RegionChoice::new(region, RegionSource::InstanceMetadata),
        Err(why) => RegionChoice::new(FALLBACK_REGION, RegionSource::Fallback { why }),
    }
}

/// The instance's region from IMDS, or why there is none (one line).
async fn instance_metadata_region() -> Result<String, String> {
    const NO_REGION: &str = "AWS_REGION is not set and no profile names a region";
    if imds_disabled() {
        return Err(format!("{NO_REGION}, and instance metadata is disabled"));
    }
    let client = aws_config::imds::Client::builder()
        .max_attempts(1)
        .connect_timeout(Duration::from_secs(1))
        .read_timeout(Duration::from_secs(1))
        .build();
    let lookup = client.get("/latest/meta-data/placement/region");
    match tokio::time::timeout(IMDS_TIMEOUT, lookup).await {
        Ok(Ok(region)) if !region.as_ref().trim().is_empty() => Ok(region.as_ref().trim().to_owned()),
        Ok(Ok(_)) => Err(format!("{NO_REGION}, and instance metadata gave an empty region")),
        Ok(Err(error)) => {
            tracing::debug!(error = %aws_smithy_types::error::display::DisplayErrorContext(&error), "no region from instance metadata");
            Err(format!("{NO_REGION}, and instance metadata is unreachable (not on EC2?)"))
        }
        Err(_) => Err(format!("{NO_REGION}, and instance metadata did not answer in time (not on EC2?)")),
    }
}

/// `AWS_EC2_METADATA_DISABLED=true`, as the SDK reads it.
fn imds_disabled() -> bool {
    std::env::var("AWS_EC2_METADATA_DISABLED").is_ok_and(|v| v.trim().eq_ignore_ascii_case("true"))
}

/// Which link of the credential chain will most likely answer, judged from the environment
/// only (credentials themselves are resolved on the first AWS call, never at start-up).
pub fn expected_credentials(config: &Config) -> String {
    let set = |name: &str| std::env::var(name).is_ok_and(|v| !v.trim().is_empty());
    if config.emulator {
        "built-in emulator test credentials".to_owned()
    } else if set("AWS_ACCESS_KEY_ID") {
        "environment (AWS_ACCESS_KEY_ID)".to_owned()
    } else if set("AWS_PROFILE") {
        format!("profile {}", active_profile())
    } else if set("AWS_WEB_IDENTITY_TOKEN_FILE") {
        "web identity (AWS_WEB_IDENTITY_TOKEN_FILE)".to_owned()
    } else if set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") || set("AWS_CONTAINER_CREDENTIALS_FULL_URI") {
        "container role".to_owned()
    } else {
        "default chain (profile default, SSO, or instance role)".to_owned()
    }
}
