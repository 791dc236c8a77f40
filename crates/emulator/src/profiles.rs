//! Inference profiles (system-defined and application) and model-id
//! resolution for runtime paths.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::catalog::{self, Access, Model, ACCOUNT, MODELS, REGION};
use crate::errors::{ApiError, ErrorKind};

pub const APP_PROFILE_ID: &str = "abc123xyz789";
pub const PROVISIONED_ID: &str = "prov123";
const PROVISIONED_MODEL: &str = "anthropic.claude-3-5-sonnet-20241022-v2:0";
const APP_PROFILE_MODEL: &str = "anthropic.claude-sonnet-4-5-20250929-v1:0";
pub const CREATED_AT: &str = "2024-08-20T00:00:00Z";
pub const UPDATED_AT: &str = "2025-10-01T00:00:00Z";

/// One inference profile.
#[derive(Debug, Clone)]
pub struct Profile {
    pub id: String,
    pub name: String,
    pub description: String,
    pub arn: String,
    pub model_arns: Vec<String>,
    pub application: bool,
    pub model: &'static Model,
}

fn geo_regions(geo: &str) -> &'static [&'static str] {
    match geo {
        "us" => &["us-east-1", "us-east-2", "us-west-2"],
        "eu" => &["eu-central-1", "eu-west-1", "eu-west-3"],
        "apac" => &["ap-northeast-1", "ap-southeast-1", "ap-southeast-2"],
        _ => &["us-east-1", "eu-west-1", "ap-northeast-1"],
    }
}

fn geo_label(geo: &str) -> &'static str {
    match geo {
        "us" => "US",
        "eu" => "EU",
        "apac" => "APAC",
        _ => "Global",
    }
}

fn system_profile(geo: &str, model: &'static Model) -> Profile {
    let id = format!("{geo}.{}", model.id);
    let regions = geo_regions(geo);
    Profile {
        name: format!("{} {} {}", geo_label(geo), model.provider, model.name),
        description: format!("Routes requests to {} {} in {}.", model.provider, model.name, regions.join(", ")),
        arn: format!("arn:aws:bedrock:{REGION}:{ACCOUNT}:inference-profile/{id}"),
        model_arns: regions.iter().map(|r| model.arn(r)).collect(),
        application: false,
        model,
        id,
    }
}

fn application_profile(model: &'static Model) -> Profile {
    Profile {
        id: APP_PROFILE_ID.into(),
        name: "team-chat-sonnet".into(),
        description: "Application profile for the chat team, tracking Claude Sonnet 4.5 costs.".into(),
        arn: format!("arn:aws:bedrock:{REGION}:{ACCOUNT}:application-inference-profile/{APP_PROFILE_ID}"),
        model_arns: geo_regions("us").iter().map(|r| model.arn(r)).collect(),
        application: true,
        model,
    }
}

/// Every profile, system-defined first, in a stable order.
pub fn all() -> &'static [Profile] {
    static PROFILES: OnceLock<Vec<Profile>> = OnceLock::new();
    PROFILES.get_or_init(|| {
        let mut list: Vec<Profile> =
            MODELS.iter().flat_map(|m| m.geos.iter().map(move |g| system_profile(g, m))).collect();
        if let Some(model) = catalog::model(APP_PROFILE_MODEL) {
            list.push(application_profile(model));
        }
        list
    })
}

/// Finds a profile by id or ARN.
pub fn find(identifier: &str) -> Option<&'static Profile> {
    static INDEX: OnceLock<HashMap<String, usize>> = OnceLock::new();
    let index = INDEX
        .get_or_init(|| all().iter().enumerate().flat_map(|(i, p)| [(p.id.clone(), i), (p.arn.clone(), i)]).collect());
    let key = match identifier.rsplit_once("inference-profile/") {
        Some((_, id)) if identifier.starts_with("arn:") => id,
        _ => identifier,
    };
    index.get(key).map(|&i| &all()[i])
}

fn not_found(id: &str) -> ApiError {
    ApiError::new(
        ErrorKind::ResourceNotFound,
        format!("Model not found: the model identifier {id} does not exist or is not accessible."),
    )
}

fn on_demand(id: &str, model: &'static Model) -> Result<&'static Model, ApiError> {
    if model.access == Access::ProfileOnly {
        return Err(ApiError::validation(format!(
            "Invocation of model ID {id} with on-demand throughput isn\u{2019}t supported. Retry your request with the ID or ARN of an inference profile that contains this model."
        )));
    }
    Ok(model)
}

fn resolve_arn(arn: &str) -> Result<&'static Model, ApiError> {
    let resource = arn.splitn(6, ':').nth(5).unwrap_or_default();
    let (kind, rest) = resource.split_once('/').unwrap_or((resource, ""));
    match kind {
        "foundation-model" => match catalog::model(rest) {
            Some(model) => on_demand(rest, model),
            None => Err(not_found(arn)),
        },
        "inference-profile" | "application-inference-profile" => {
            find(rest).map(|p| p.model).ok_or_else(|| not_found(arn))
        }
        "provisioned-model" if rest == PROVISIONED_ID => {
            catalog::model(PROVISIONED_MODEL).ok_or_else(|| not_found(arn))
        }
        _ => Err(not_found(arn)),
    }
}

/// Resolves the `{modelId}` of a runtime path (already percent-decoded).
pub fn resolve(model_id: &str) -> Result<&'static Model, ApiError> {
    if model_id.starts_with("arn:") {
        return resolve_arn(model_id);
    }
    if let Some(model) = catalog::model(model_id) {
        return on_demand(model_id, model);
    }
    find(model_id).map(|p| p.model).ok_or_else(|| not_found(model_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_every_identifier_form() {
        let sonnet = "anthropic.claude-sonnet-4-5-20250929-v1:0";
        assert_eq!(resolve(&format!("us.{sonnet}")).unwrap().id, sonnet);
        assert_eq!(resolve(&format!("global.{sonnet}")).unwrap().id, sonnet);
        let arn = format!("arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.{sonnet}");
        assert_eq!(resolve(&arn).unwrap().id, sonnet);
        let app = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123xyz789";
        assert_eq!(resolve(app).unwrap().id, sonnet);
        let prov = "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/prov123";
        assert!(resolve(prov).unwrap().id.starts_with("anthropic."));
        let fm = "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0";
        assert_eq!(resolve(fm).unwrap().id, "amazon.nova-lite-v1:0");
    }

    #[test]
    fn profile_only_base_id_is_rejected() {
        let err = resolve("anthropic.claude-sonnet-4-5-20250929-v1:0").unwrap_err();
        assert_eq!(err.kind, ErrorKind::Validation);
        assert!(err.message.contains("on-demand throughput"));
        assert_eq!(resolve("nope.nothing-v1").unwrap_err().kind, ErrorKind::ResourceNotFound);
    }

    #[test]
    fn application_profile_points_at_sonnet() {
        let profile = find(APP_PROFILE_ID).unwrap();
        assert!(profile.application);
        assert!(find("us.cohere.embed-v4:0").is_some());
    }
}
