//! Bedrock's own errors, explained: what went wrong and the one-sentence fix (pure).

use crate::error::UpstreamError;

/// What doctor was doing when Bedrock failed.
#[derive(Debug, Clone, Copy)]
pub enum Action<'a> {
    /// ListFoundationModels / ListInferenceProfiles.
    List,
    /// A call to `model`, configured by `setting`.
    Invoke { setting: &'a str, model: &'a str },
}

/// A failure and its fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explained {
    pub detail: String,
    pub fix: String,
}

/// Explains `error` for `action` in `region`.
pub fn explain(error: &UpstreamError, action: Action<'_>, region: &str) -> Explained {
    let detail = error.message.clone();
    let fix = match error.class.code {
        "access_denied" => access_fix(&error.message, action, region),
        "validation_error" => validation_fix(&error.message, action, region),
        "model_not_found" => not_offered_fix(action, region),
        "rate_limit_exceeded" | "quota_exceeded" => throttled_fix(action),
        "upstream_unreachable" | "upstream_timeout" => unreachable_fix(region),
        _ => "Retry in a minute; if it persists, check the AWS Health Dashboard for Amazon Bedrock in this region."
            .to_owned(),
    };
    Explained { detail, fix }
}

fn access_fix(message: &str, action: Action<'_>, region: &str) -> String {
    let lower = message.to_ascii_lowercase();
    if lower.contains("security token") || lower.contains("expired") || lower.contains("signature") {
        return CREDENTIALS_REJECTED.to_owned();
    }
    match action {
        Action::Invoke { model, .. } if lower.contains("access to the model") => format!(
            "Request access to {model} in the Amazon Bedrock console (Model access) for {region}, \
             then wait for it to be granted."
        ),
        Action::Invoke { model, .. } => format!(
            "Allow bedrock:InvokeModel and bedrock:InvokeModelWithResponseStream on {model} \
             (and its inference profile) in the IAM policy of the gateway's role."
        ),
        Action::List => "Allow bedrock:ListFoundationModels and bedrock:ListInferenceProfiles \
                         in the IAM policy of the gateway's role."
            .to_owned(),
    }
}

/// The fix when the credentials themselves were refused.
pub const CREDENTIALS_REJECTED: &str =
    "The AWS credentials were rejected: refresh them (`aws sso login`, new access keys) or set AWS_PROFILE to a \
     working profile.";

fn validation_fix(message: &str, action: Action<'_>, region: &str) -> String {
    let lower = message.to_ascii_lowercase();
    let Action::Invoke { setting, model } = action else {
        return "Check the settings named in the message above.".to_owned();
    };
    if lower.contains("inference profile") || lower.contains("on-demand throughput") {
        return format!(
            "{model} cannot be called directly in {region}: set {setting} to its cross-region inference \
             profile id (the us., eu., apac. or global. prefix of your region's geography)."
        );
    }
    if lower.contains("model identifier is invalid") {
        return not_offered_fix(action, region);
    }
    format!("Set {setting} to a model that accepts a plain text request.")
}

fn not_offered_fix(action: Action<'_>, region: &str) -> String {
    match action {
        Action::Invoke { setting, .. } => format!(
            "Set {setting} to a model listed by GET /v1/models for {region}, or set AWS_REGION to a region that \
             offers it (inference profile ids such as us.… only exist in their geography)."
        ),
        Action::List => format!("Amazon Bedrock is not available in {region}: set AWS_REGION to a Bedrock region."),
    }
}

fn throttled_fix(action: Action<'_>) -> String {
    let quota = match action {
        Action::Invoke { model, .. } => format!(" for {model}"),
        Action::List => String::new(),
    };
    format!("Bedrock throttled the call: retry in a minute, and if it persists request a higher quota{quota} in Service Quotas.")
}

fn unreachable_fix(region: &str) -> String {
    format!(
        "Check network access to bedrock.{region}.amazonaws.com and bedrock-runtime.{region}.amazonaws.com \
         (proxy, VPC endpoints) and that AWS_REGION offers Bedrock, or the AWS_ENDPOINT_URL_BEDROCK* settings."
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use bedrock::{classify_upstream, UpstreamErrorKind};

    fn service(code: &str, message: &str) -> UpstreamError {
        UpstreamError {
            class: classify_upstream(UpstreamErrorKind::Service, Some(code)),
            message: format!("Bedrock {code}: {message}"),
        }
    }

    const INVOKE: Action<'static> = Action::Invoke { setting: "DEFAULT_MODEL", model: "amazon.nova-lite-v1:0" };

    #[test]
    fn model_access_not_granted_says_how_to_request_it() {
        let error = service("AccessDeniedException", "You don't have access to the model with the specified model ID.");
        let explained = explain(&error, INVOKE, "eu-west-1");
        assert!(explained.fix.contains("Model access"), "{}", explained.fix);
        assert!(explained.fix.contains("amazon.nova-lite-v1:0") && explained.fix.contains("eu-west-1"));
        assert!(explained.detail.contains("You don't have access"));
    }

    #[test]
    fn iam_denial_and_rejected_credentials_are_told_apart() {
        let iam = service(
            "AccessDeniedException",
            "User: arn:aws:sts::1:assumed-role/r is not authorized to perform: bedrock:InvokeModel",
        );
        assert!(explain(&iam, INVOKE, "us-east-1").fix.contains("IAM policy"));
        let token = service("UnrecognizedClientException", "The security token included in the request is invalid.");
        assert_eq!(explain(&token, INVOKE, "us-east-1").fix, CREDENTIALS_REJECTED);
        assert!(explain(&iam, Action::List, "us-east-1").fix.contains("bedrock:ListFoundationModels"));
    }

    #[test]
    fn on_demand_not_supported_points_to_a_profile() {
        let error = service(
            "ValidationException",
            "Invocation of model ID anthropic.claude-sonnet-4 with on-demand throughput isn't supported. Retry your request with the ID or ARN of an inference profile that contains this model.",
        );
        let fix = explain(&error, INVOKE, "us-east-1").fix;
        assert!(fix.contains("inference profile") && fix.contains("DEFAULT_MODEL"), "{fix}");
    }

    #[test]
    fn throttling_unreachable_and_unknown_models() {
        assert!(explain(&service("ThrottlingException", "slow down"), INVOKE, "r").fix.contains("Service Quotas"));
        let unreachable = UpstreamError {
            class: classify_upstream(UpstreamErrorKind::Dispatch, None),
            message: "The gateway could not reach Amazon Bedrock".into(),
        };
        assert!(explain(&unreachable, Action::List, "us-west-2").fix.contains("bedrock.us-west-2.amazonaws.com"));
        let missing = service("ResourceNotFoundException", "Model not found");
        assert!(explain(&missing, INVOKE, "us-west-2").fix.contains("AWS_REGION"));
    }
}
