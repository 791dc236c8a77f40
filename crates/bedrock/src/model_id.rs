//! Bedrock model identifiers: foundation ids, cross-region profile ids and ARNs.

/// Geographic prefixes of system-defined (cross-region) inference profiles.
const PROFILE_PREFIXES: &[&str] = &["us.", "eu.", "apac.", "global.", "us-gov.", "jp.", "au.", "ca."];

/// What a model identifier names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelRef<'a> {
    /// `anthropic.claude-3-haiku-20240307-v1:0`
    Foundation(&'a str),
    /// `us.anthropic.claude-sonnet-4-5-20250929-v1:0` (or its ARN): the foundation id behind it.
    SystemProfile { foundation: &'a str },
    /// An ARN whose model is only known from ListInferenceProfiles (application profile) or
    /// from the operator (provisioned throughput, custom or imported models).
    Opaque,
}

/// Classifies a model identifier as sent to Bedrock.
pub fn parse(model_id: &str) -> ModelRef<'_> {
    if let Some(rest) = model_id.strip_prefix("arn:") {
        return parse_arn_resource(rest);
    }
    match strip_profile_prefix(model_id) {
        Some(foundation) => ModelRef::SystemProfile { foundation },
        None => ModelRef::Foundation(model_id),
    }
}

/// The foundation id behind a profile id (`us.x` → `x`), if `id` has a geographic prefix.
pub fn strip_profile_prefix(id: &str) -> Option<&str> {
    PROFILE_PREFIXES.iter().find_map(|prefix| id.strip_prefix(prefix)).filter(|rest| rest.contains('.'))
}

fn parse_arn_resource(rest: &str) -> ModelRef<'_> {
    // arn:PARTITION:bedrock:REGION:ACCOUNT:RESOURCE-TYPE/ID
    let Some(resource) = rest.splitn(5, ':').nth(4) else {
        return ModelRef::Opaque;
    };
    let Some((kind, id)) = resource.split_once('/') else {
        return ModelRef::Opaque;
    };
    match kind {
        "foundation-model" => ModelRef::Foundation(id),
        "inference-profile" => match strip_profile_prefix(id) {
            Some(foundation) => ModelRef::SystemProfile { foundation },
            None => ModelRef::Opaque,
        },
        _ => ModelRef::Opaque,
    }
}

/// The foundation id behind `model_id` when it can be read from the id itself.
pub fn foundation_id(model_id: &str) -> Option<&str> {
    match parse(model_id) {
        ModelRef::Foundation(id) | ModelRef::SystemProfile { foundation: id } => Some(id),
        ModelRef::Opaque => None,
    }
}

/// The last path segment of an ARN (`…/foundation-model/x` → `x`); the input if it has none.
pub fn arn_resource_id(arn: &str) -> &str {
    arn.rsplit_once('/').map_or(arn, |(_, id)| id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_every_form() {
        let claude = "anthropic.claude-3-haiku-20240307-v1:0";
        assert_eq!(parse(claude), ModelRef::Foundation(claude));
        assert_eq!(parse("us.anthropic.claude-3-haiku-20240307-v1:0"), ModelRef::SystemProfile { foundation: claude });
        assert_eq!(
            parse("global.anthropic.claude-3-haiku-20240307-v1:0"),
            ModelRef::SystemProfile { foundation: claude }
        );
        assert_eq!(
            parse("arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"),
            ModelRef::Foundation(claude)
        );
        assert_eq!(
            parse("arn:aws:bedrock:us-east-1:123456789012:inference-profile/eu.anthropic.claude-3-haiku-20240307-v1:0"),
            ModelRef::SystemProfile { foundation: claude }
        );
        assert_eq!(parse("arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc"), ModelRef::Opaque);
        assert_eq!(parse("arn:aws:bedrock:us-east-1:123456789012:provisioned-model/p1"), ModelRef::Opaque);
    }

    #[test]
    fn a_bare_prefix_is_not_a_profile() {
        assert_eq!(strip_profile_prefix("us.nothing"), None);
        assert_eq!(strip_profile_prefix("amazon.nova-lite-v1:0"), None);
    }

    #[test]
    fn arn_resource_ids() {
        assert_eq!(arn_resource_id("arn:aws:bedrock:r::foundation-model/a.b"), "a.b");
        assert_eq!(arn_resource_id("a.b"), "a.b");
    }
}
