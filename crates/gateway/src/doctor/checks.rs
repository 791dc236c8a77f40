//! The checks themselves, in the order a first run meets them.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::SdkConfig;
use aws_sdk_bedrockruntime::types::{ContentBlock, ConversationRole, InferenceConfiguration, Message};
use bedrock::{model_id, ConverseParts};

use super::credentials::{credentials_check, identity_check};
use super::explain::{explain, Action};
use super::{Check, DoctorOptions};
use crate::config::Config;
use crate::keys::{configured_sources, load_source, KeyError, KeySource};
use crate::models::{Catalog, DiscoveryOptions, ModelIndex, OutputKind};
use crate::region::{resolve_region, RegionChoice};
use crate::upstream::{sdk_config_in, Bedrock};

/// Doctor answers in seconds: one attempt per call, short timeouts.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// Everything after the configuration.
pub async fn run(config: &Config, options: DoctorOptions) -> Vec<Check> {
    let emulator = match config.emulator {
        true => emulator::spawn(emulator::EmulatorConfig::default()).await.ok(),
        false => None,
    };
    let account_region = resolve_region(config).await;
    let needs_account = emulator.is_none() || config.has_key_source();
    let shown_region = if needs_account { account_region.clone() } else { RegionChoice::emulator() };
    let mut checks = vec![region_check(&shown_region)];
    let account = quick(sdk_config_in(config, None, &account_region).await);
    let has_credentials = match needs_account {
        true => account_checks(&account, &mut checks).await,
        false => true,
    };
    checks.extend(key_checks(config, &account, has_credentials).await);
    if has_credentials {
        let bedrock_region = emulator.as_ref().map_or(account_region, |_| RegionChoice::emulator());
        let url = emulator.as_ref().map(emulator::RunningEmulator::base_url);
        let sdk = quick(sdk_config_in(config, url.as_deref(), &bedrock_region).await);
        checks.extend(bedrock_checks(config, &Bedrock::new(&sdk), &bedrock_region.region, options).await);
        // Boxed: each name's client is built inside.
        checks.extend(Box::pin(super::routes::route_checks(config, &sdk, &bedrock_region.region, options)).await);
    }
    if let Some(running) = emulator {
        running.shutdown().await;
    }
    checks
}

/// The serving configuration with one attempt per call and a short deadline.
fn quick(sdk: SdkConfig) -> SdkConfig {
    let timeouts =
        TimeoutConfig::builder().connect_timeout(Duration::from_secs(5)).operation_timeout(CALL_TIMEOUT).build();
    sdk.into_builder().retry_config(RetryConfig::standard().with_max_attempts(1)).timeout_config(timeouts).build()
}

fn region_check(region: &RegionChoice) -> Check {
    let detail = format!("{} ({})", region.region, region.source);
    if region.is_fallback() {
        let fix = "Set AWS_REGION to the region where your Bedrock models are enabled.";
        return Check::fail("region", "Region", detail, fix).optional();
    }
    Check::pass("region", "Region", detail)
}

/// Credentials and caller identity; whether credentials were found.
async fn account_checks(sdk: &SdkConfig, checks: &mut Vec<Check>) -> bool {
    let (check, found) = credentials_check(sdk).await;
    checks.push(check);
    if found {
        checks.push(identity_check(sdk).await);
    }
    found
}

async fn key_checks(config: &Config, sdk: &SdkConfig, has_credentials: bool) -> Vec<Check> {
    let sources = configured_sources(config);
    let file_keys = file_key_check(config);
    if sources.is_empty() && file_keys.is_some() {
        return file_keys.into_iter().collect();
    }
    if sources.is_empty() && config.emulator {
        return vec![Check::pass("api_keys", "API keys", "none configured: --emulator generates one at each start")];
    }
    if sources.is_empty() {
        let fix = "Set API_KEY, API_KEY_SECRET_ARN (Secrets Manager) or API_KEY_PARAM_NAME (SSM).";
        return vec![Check::fail("api_keys", "API keys", "none configured", fix)];
    }
    let mut checks = Vec::with_capacity(sources.len());
    for source in sources {
        checks.push(key_check(&source, config, sdk, has_credentials).await);
    }
    checks.extend(file_keys);
    checks
}

/// The keys of the configuration file's `keys:` section (docs/keys.md), when it has one.
fn file_key_check(config: &Config) -> Option<Check> {
    let file = config.file.as_deref().filter(|f| f.keys.as_ref().is_some_and(|k| !k.is_null()))?;
    let title = "API keys of the configuration file";
    Some(match crate::teams::Teams::check_section(file, &crate::config_file::env_refs::process_env) {
        Ok(count) => Check::pass("api_keys", title, format!("{count} key(s) declared")),
        Err(error) => Check::fail("api_keys", title, error, "Fix the `keys:` section (docs/keys.md)."),
    })
}

async fn key_check(source: &KeySource, config: &Config, sdk: &SdkConfig, has_credentials: bool) -> Check {
    let title = format!("API keys from {source}");
    if !has_credentials && *source != KeySource::Setting {
        return Check::fail("api_keys", title, "not read: no AWS credentials", "Fix the AWS credentials first.");
    }
    match load_source(source, config, sdk).await {
        Ok(keys) => Check::pass("api_keys", title, format!("{} key(s) loaded", keys.len())),
        Err(error) => Check::fail("api_keys", title, error.to_string(), key_fix(&error)),
    }
}

/// The fix for a key source that failed, from the AWS error code at the start of its reason.
fn key_fix(error: &KeyError) -> String {
    match error {
        KeyError::NoneConfigured => "Set API_KEY, API_KEY_SECRET_ARN or API_KEY_PARAM_NAME.".to_owned(),
        KeyError::Secret { name, reason } => match error_code(reason) {
            "ResourceNotFoundException" => format!(
                "Create the secret {name} in this region, or set API_KEY_SECRET_ARN to an existing secret's name or ARN."
            ),
            "AccessDeniedException" => format!(
                "Allow secretsmanager:GetSecretValue on {name} (and kms:Decrypt on its key) for the gateway's role."
            ),
            _ => "Store the secret as JSON such as {\"api_key\": \"…\"} (or \"api_keys\": […]).".to_owned(),
        },
        KeyError::Parameter { name, reason } => match error_code(reason) {
            "ParameterNotFound" => parameter_not_found_fix(name),
            "AccessDeniedException" => {
                format!("Allow ssm:GetParameter on {name} (and kms:Decrypt on its key) for the gateway's role.")
            }
            _ => format!("Put the key(s), comma-separated, as the value of the SecureString parameter {name}."),
        },
    }
}

/// A leading slash is the usual mix-up: hierarchical names have it, plain names do not.
fn parameter_not_found_fix(name: &str) -> String {
    let other = match name.strip_prefix('/') {
        Some(plain) => plain.to_owned(),
        None => format!("/{name}"),
    };
    format!(
        "Create the parameter {name} in this region, or set API_KEY_PARAM_NAME to its exact name \
         (a leading slash counts: did you mean {other}?)."
    )
}

fn error_code(reason: &str) -> &str {
    reason.split(':').next().unwrap_or_default().trim()
}

/// Bedrock reachable and what it offers; the default models; with `--invoke`, real calls.
async fn bedrock_checks(config: &Config, bedrock: &Bedrock, region: &str, options: DoctorOptions) -> Vec<Check> {
    let discovery = DiscoveryOptions {
        system_profiles: config.enable_cross_region_inference,
        application_profiles: config.enable_application_inference_profiles,
        miss_refresh_interval: Duration::MAX,
    };
    let catalog = Catalog::new(bedrock.clone(), discovery);
    if let Err(error) = catalog.refresh().await {
        let explained = explain(&error, Action::List, region);
        return vec![Check::fail("bedrock", "Amazon Bedrock", explained.detail, explained.fix)];
    }
    let index = catalog.snapshot();
    let mut checks = vec![Check::pass("bedrock", "Amazon Bedrock", counts(&index, region))];
    for default in defaults(config) {
        let check = model_check(&index, &default, region);
        let found = check.ok;
        checks.push(check);
        if options.invoke && found && default.kind != OutputKind::Image {
            checks.push(invoke_check(bedrock, &index, &default, region).await);
        }
    }
    checks
}

fn counts(index: &ModelIndex, region: &str) -> String {
    let foundation = |kind| index.entries().iter().filter(|e| e.output == kind && e.id == e.foundation_id).count();
    let profiles = index.entries().iter().filter(|e| e.id != e.foundation_id).count();
    format!(
        "reachable in {region}: {} chat, {} embedding and {} image models, {profiles} inference profiles",
        foundation(OutputKind::Text),
        foundation(OutputKind::Embedding),
        foundation(OutputKind::Image),
    )
}

/// A configured default model.
struct DefaultModel<'a> {
    id: &'static str,
    setting: &'static str,
    model: &'a str,
    kind: OutputKind,
    /// Only `DEFAULT_MODEL` is needed by every client.
    required: bool,
}

fn defaults(config: &Config) -> [DefaultModel<'_>; 3] {
    [
        DefaultModel {
            id: "default_model",
            setting: "DEFAULT_MODEL",
            model: &config.default_model,
            kind: OutputKind::Text,
            required: true,
        },
        DefaultModel {
            id: "default_embedding_model",
            setting: "DEFAULT_EMBEDDING_MODEL",
            model: &config.default_embedding_model,
            kind: OutputKind::Embedding,
            required: false,
        },
        DefaultModel {
            id: "default_image_model",
            setting: "DEFAULT_IMAGE_MODEL",
            model: &config.default_image_model,
            kind: OutputKind::Image,
            required: false,
        },
    ]
}

fn model_check(index: &ModelIndex, default: &DefaultModel<'_>, region: &str) -> Check {
    let shown = openai::clip(default.model);
    let check = match index.get(default.model) {
        Some(entry) if entry.output == default.kind => match unsupported_fix(default, &entry.foundation_id) {
            None => Check::pass(default.id, default.setting, format!("{shown} is offered in {region}")),
            Some(fix) => Check::fail(
                default.id,
                default.setting,
                format!("{shown} is offered in {region} but the gateway cannot call it"),
                fix,
            ),
        },
        Some(entry) => Check::fail(
            default.id,
            default.setting,
            format!("{shown} is {}, not {}", kind_name(entry.output), kind_name(default.kind)),
            format!("Set {} to {}.", default.setting, kind_name(default.kind)),
        ),
        None if default.model.starts_with("arn:") => Check::pass(
            default.id,
            default.setting,
            format!("{shown} is an ARN the listings do not show; `doctor --invoke` proves it works"),
        ),
        None => Check::fail(
            default.id,
            default.setting,
            format!("{shown} is not offered in {region}"),
            missing_model_fix(index, default, region),
        ),
    };
    check.optional_unless(default.required)
}

/// The fix when the gateway has no request format for an embedding or image model.
fn unsupported_fix(default: &DefaultModel<'_>, foundation_id: &str) -> Option<String> {
    match default.kind {
        OutputKind::Text => None,
        OutputKind::Embedding => bedrock::embeddings::embedding_family(foundation_id).is_none().then(|| {
            format!("Set {} to one of {}.", default.setting, bedrock::embeddings::supported_embedding_models())
        }),
        OutputKind::Image => bedrock::images::image_family(foundation_id).is_none().then(|| {
            format!("Set {} to a Titan Image Generator, Nova Canvas or Stability image model.", default.setting)
        }),
    }
}

fn kind_name(kind: OutputKind) -> &'static str {
    match kind {
        OutputKind::Text => "a chat model",
        OutputKind::Embedding => "an embedding model",
        OutputKind::Image => "an image model",
    }
}

/// Names ids this region does offer for the same foundation model, when there are any.
fn missing_model_fix(index: &ModelIndex, default: &DefaultModel<'_>, region: &str) -> String {
    let foundation = model_id::strip_profile_prefix(default.model).unwrap_or(default.model);
    let same: Vec<&str> = index
        .entries()
        .iter()
        .filter(|e| e.foundation_id == foundation && e.output == default.kind)
        .map(|e| e.id.as_str())
        .take(4)
        .collect();
    match same.as_slice() {
        [] => format!(
            "Set {} to a model listed by GET /v1/models for {region}, or set AWS_REGION to a region that offers it.",
            default.setting
        ),
        ids => format!("Set {} to one of the ids {region} offers for this model: {}.", default.setting, ids.join(", ")),
    }
}

/// One-token Converse or a one-text embedding, proving the account may call the model.
async fn invoke_check(bedrock: &Bedrock, index: &ModelIndex, default: &DefaultModel<'_>, region: &str) -> Check {
    let id = match default.kind {
        OutputKind::Text => "invoke_default_model",
        _ => "invoke_default_embedding_model",
    };
    let title = format!("{} answers", default.setting);
    let answer = match default.kind {
        OutputKind::Text => converse_once(bedrock, default.model).await,
        _ => embed_once(bedrock, index, default.model).await,
    };
    let check = match answer {
        Ok(detail) => Check::pass(id, title, detail),
        Err(error) => {
            let explained = explain(&error, Action::Invoke { setting: default.setting, model: default.model }, region);
            Check::fail(id, title, explained.detail, explained.fix)
        }
    };
    check.optional_unless(default.required)
}

pub(super) async fn converse_once(bedrock: &Bedrock, model: &str) -> Result<String, crate::error::UpstreamError> {
    let message = Message::builder()
        .role(ConversationRole::User)
        .content(ContentBlock::Text("Reply with one word.".to_owned()))
        .build()
        .map_err(|e| internal(&e.to_string()))?;
    let parts = ConverseParts {
        model_id: model.to_owned(),
        system: Vec::new(),
        messages: vec![message],
        inference_config: Some(InferenceConfiguration::builder().max_tokens(1).build()),
        tool_config: None,
        additional_model_request_fields: None,
        guardrail: None,
    };
    let result = bedrock.converse(parts).await?;
    let tokens = result.usage.map_or(0, |u| u.output_tokens);
    Ok(format!("a one-token Converse call succeeded ({tokens} output token)"))
}

pub(super) async fn embed_once(
    bedrock: &Bedrock,
    index: &ModelIndex,
    model: &str,
) -> Result<String, crate::error::UpstreamError> {
    let foundation = index.get(model).map_or(model, |e| e.foundation_id.as_str());
    let family = bedrock::embeddings::embedding_family(foundation)
        .ok_or_else(|| internal("the gateway does not support this embedding model"))?;
    let request: openai::EmbeddingRequest =
        serde_json::from_value(serde_json::json!({"model": model, "input": "doctor"}))
            .map_err(|e| internal(&e.to_string()))?;
    let plan = bedrock::embeddings::plan_embeddings(&request, family).map_err(|e| internal(&e.message))?;
    let call = plan.calls().into_iter().next().ok_or_else(|| internal("no embedding call planned"))?;
    bedrock.invoke_model(model, call.body).await?;
    Ok("a one-text embedding call succeeded".to_owned())
}

/// A failure of ours, reported like a Bedrock answer the gateway could not use.
fn internal(message: &str) -> crate::error::UpstreamError {
    crate::error::UpstreamError { message: message.to_owned(), ..crate::error::UpstreamError::unreadable_response() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn models_the_gateway_cannot_call_are_named_with_the_supported_ones() {
        let embedding = DefaultModel {
            id: "default_embedding_model",
            setting: "DEFAULT_EMBEDDING_MODEL",
            model: "acme.embed-v1",
            kind: OutputKind::Embedding,
            required: false,
        };
        assert!(unsupported_fix(&embedding, "acme.embed-v1").is_some_and(|f| f.contains("cohere.embed-v4")));
        assert_eq!(unsupported_fix(&embedding, "cohere.embed-multilingual-v3"), None);
        let image = DefaultModel { kind: OutputKind::Image, setting: "DEFAULT_IMAGE_MODEL", ..embedding };
        assert!(unsupported_fix(&image, "acme.painter-v1:0").is_some_and(|f| f.contains("Nova Canvas")));
        assert_eq!(unsupported_fix(&image, "amazon.nova-canvas-v1:0"), None);
    }

    #[test]
    fn parameter_fix_suggests_the_other_slash_form() {
        assert!(parameter_not_found_fix("/gw/key").contains("did you mean gw/key?"));
        assert!(parameter_not_found_fix("gw-key").contains("did you mean /gw-key?"));
    }

    #[test]
    fn key_fixes_follow_the_aws_error_code() {
        let missing = KeyError::Secret { name: "s".into(), reason: "ResourceNotFoundException: nope".into() };
        assert!(key_fix(&missing).starts_with("Create the secret s"));
        let denied = KeyError::Parameter { name: "/p".into(), reason: "AccessDeniedException: no".into() };
        assert!(key_fix(&denied).contains("ssm:GetParameter on /p"));
    }

    #[test]
    fn fallback_region_is_an_optional_failure_with_a_fix() {
        let fallback = RegionChoice {
            region: "us-west-2".into(),
            source: crate::region::RegionSource::Fallback { why: "nothing set".into() },
        };
        let check = region_check(&fallback);
        assert!(!check.ok && !check.required);
        assert!(check.fix.is_some_and(|f| f.contains("AWS_REGION")));
        assert!(region_check(&RegionChoice::emulator()).ok);
    }
}
