//! How one model's Bedrock calls get their AWS identity: the default chain, a named profile,
//! static keys, an assumed role (from any of those, or from a web identity token), or a
//! Bedrock API key. Plain data, checked here; the clients are built in `routing::clients`.

use super::env_refs::{Env, Text};

/// A model's AWS access. Compared and hashed to share one client between models.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct AwsAccess {
    pub profile: Option<String>,
    pub keys: Option<StaticKeys>,
    pub role: Option<AssumeRole>,
    /// A Bedrock API key, sent as `Authorization: Bearer` instead of SigV4.
    pub api_key: Option<String>,
}

#[derive(Clone, PartialEq, Eq, Hash)]
pub struct StaticKeys {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

#[derive(Clone, PartialEq, Eq, Hash)]
pub struct AssumeRole {
    pub role_arn: String,
    pub session_name: Option<String>,
    pub external_id: Option<String>,
    /// AssumeRoleWithWebIdentity with this token instead of AssumeRole.
    pub web_identity: Option<WebIdentity>,
    /// STS endpoint override (VPC endpoint, FIPS, a local test server).
    pub sts_endpoint: Option<String>,
}

#[derive(Clone, PartialEq, Eq, Hash)]
pub enum WebIdentity {
    /// Read again at every refresh (Kubernetes rotates projected tokens).
    TokenFile(String),
    Token(String),
}

/// The access fields as both file formats spell them (the native names).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAccess {
    pub profile: Option<Text>,
    pub access_key_id: Option<Text>,
    pub secret_access_key: Option<Text>,
    pub session_token: Option<Text>,
    pub role_arn: Option<Text>,
    pub session_name: Option<Text>,
    pub external_id: Option<Text>,
    pub web_identity_token_file: Option<Text>,
    pub web_identity_token: Option<Text>,
    pub sts_endpoint: Option<Text>,
    pub api_key: Option<Text>,
}

/// A set, non-blank value with its references resolved; a reference error names the field.
fn value(
    field: Option<Text>,
    name: &str,
    spell: &dyn Fn(&str) -> String,
    env: Env<'_>,
) -> Result<Option<String>, String> {
    let Some(text) = field else { return Ok(None) };
    let resolved = text.resolve(env).map_err(|e| format!("{}: {e}", spell(name)))?;
    Ok(Some(resolved.trim().to_owned()).filter(|v| !v.is_empty()))
}

impl RawAccess {
    /// Checks the combination; errors name the fields (`prefix` is how this format spells them).
    pub fn into_access(self, spell: &dyn Fn(&str) -> String, env: Env<'_>) -> Result<AwsAccess, String> {
        let get = |field: Option<Text>, name: &str| value(field, name, spell, env);
        let api_key = get(self.api_key, "api_key")?;
        let profile = get(self.profile, "profile")?;
        let (id, secret) =
            (get(self.access_key_id, "access_key_id")?, get(self.secret_access_key, "secret_access_key")?);
        let keys = static_keys(id, secret, get(self.session_token, "session_token")?, spell)?;
        let role = assume_role(
            RoleFields {
                role_arn: get(self.role_arn, "role_arn")?,
                session_name: get(self.session_name, "session_name")?,
                external_id: get(self.external_id, "external_id")?,
                token_file: get(self.web_identity_token_file, "web_identity_token_file")?,
                token: get(self.web_identity_token, "web_identity_token")?,
                sts_endpoint: get(self.sts_endpoint, "sts_endpoint")?,
            },
            spell,
        )?;
        let with_key = [profile.is_some(), keys.is_some(), role.is_some()];
        if api_key.is_some() && with_key.contains(&true) {
            return Err(format!("{} excludes every other access setting", spell("api_key")));
        }
        if profile.is_some() && keys.is_some() {
            return Err(format!("{} and {} exclude each other", spell("profile"), spell("access_key_id")));
        }
        let web = role.as_ref().is_some_and(|r| r.web_identity.is_some());
        if web && (profile.is_some() || keys.is_some()) {
            return Err(format!("a web identity token needs no {} or {}", spell("profile"), spell("access_key_id")));
        }
        Ok(AwsAccess { profile, keys, role, api_key })
    }
}

fn static_keys(
    id: Option<String>,
    secret: Option<String>,
    token: Option<String>,
    spell: &dyn Fn(&str) -> String,
) -> Result<Option<StaticKeys>, String> {
    match (id, secret, token) {
        (None, None, None) => Ok(None),
        (Some(access_key_id), Some(secret_access_key), session_token) => {
            Ok(Some(StaticKeys { access_key_id, secret_access_key, session_token }))
        }
        _ => Err(format!(
            "{} and {} go together ({} needs both)",
            spell("access_key_id"),
            spell("secret_access_key"),
            spell("session_token")
        )),
    }
}

struct RoleFields {
    role_arn: Option<String>,
    session_name: Option<String>,
    external_id: Option<String>,
    token_file: Option<String>,
    token: Option<String>,
    sts_endpoint: Option<String>,
}

fn assume_role(fields: RoleFields, spell: &dyn Fn(&str) -> String) -> Result<Option<AssumeRole>, String> {
    let Some(role_arn) = fields.role_arn else {
        let needing = [
            ("session_name", fields.session_name.is_some()),
            ("external_id", fields.external_id.is_some()),
            ("web_identity_token_file", fields.token_file.is_some()),
            ("web_identity_token", fields.token.is_some()),
            ("sts_endpoint", fields.sts_endpoint.is_some()),
        ];
        return match needing.iter().find(|(_, set)| *set) {
            Some((name, _)) => Err(format!("{} needs {}", spell(name), spell("role_arn"))),
            None => Ok(None),
        };
    };
    check_role_arn(&role_arn, spell)?;
    if let Some(name) = &fields.session_name {
        check_session_name(name, spell)?;
    }
    if let Some(url) = &fields.sts_endpoint {
        check_endpoint(url).map_err(|e| format!("{}: {e}", spell("sts_endpoint")))?;
    }
    let web_identity = match (fields.token_file, fields.token) {
        (Some(_), Some(_)) => {
            return Err(format!(
                "{} and {} exclude each other",
                spell("web_identity_token_file"),
                spell("web_identity_token")
            ))
        }
        (Some(file), None) => Some(WebIdentity::TokenFile(file)),
        (None, Some(token)) if token.starts_with("oidc/") => {
            return Err(format!(
                "{}: LiteLLM's `oidc/` token providers are not supported; give the token, or a token file",
                spell("web_identity_token")
            ))
        }
        (None, Some(token)) => Some(WebIdentity::Token(token)),
        (None, None) => None,
    };
    let (session_name, external_id, sts_endpoint) = (fields.session_name, fields.external_id, fields.sts_endpoint);
    Ok(Some(AssumeRole { role_arn, session_name, external_id, web_identity, sts_endpoint }))
}

fn check_role_arn(arn: &str, spell: &dyn Fn(&str) -> String) -> Result<(), String> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let valid = parts.len() == 6 && parts[0] == "arn" && parts[2] == "iam" && parts[5].starts_with("role/");
    match valid {
        true => Ok(()),
        false => {
            Err(format!("{} `{arn}` is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)", spell("role_arn")))
        }
    }
}

fn check_session_name(name: &str, spell: &dyn Fn(&str) -> String) -> Result<(), String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c);
    match (2..=64).contains(&name.len()) && name.chars().all(allowed) {
        true => Ok(()),
        false => Err(format!("{} `{name}` must be 2 to 64 letters, digits or +=,.@_-", spell("session_name"))),
    }
}

/// An endpoint override must be an absolute http(s) URL.
pub fn check_endpoint(url: &str) -> Result<(), String> {
    match url::Url::parse(url) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") && parsed.host().is_some() => Ok(()),
        _ => Err(format!("`{url}` is not an http(s) URL")),
    }
}

impl AwsAccess {
    /// What an operator may read in logs: the kind of access and the role, never a secret.
    pub fn describe(&self) -> String {
        let base = match (&self.api_key, &self.profile, &self.keys) {
            (Some(_), _, _) => return "a Bedrock API key".to_owned(),
            (_, Some(profile), _) => format!("profile {profile}"),
            (_, _, Some(keys)) => format!("static keys {}", mask(&keys.access_key_id)),
            _ => "the default credential chain".to_owned(),
        };
        match &self.role {
            Some(role) if role.web_identity.is_some() => format!("role {} (web identity)", role.role_arn),
            Some(role) => format!("role {} assumed with {base}", role.role_arn),
            None => base,
        }
    }
}

/// An access key id shows its first four characters only (enough to tell keys apart).
fn mask(id: &str) -> String {
    format!("{}…", id.chars().take(4).collect::<String>())
}

impl std::fmt::Debug for AwsAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(v: &str) -> Option<Text> {
        Some(Text(v.to_owned()))
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn native(name: &str) -> String {
        format!("access.{name}")
    }

    const ROLE: &str = "arn:aws:iam::123456789012:role/bedrock";

    #[test]
    fn nothing_means_the_default_chain() {
        let access = RawAccess::default().into_access(&native, &no_env).unwrap();
        assert_eq!(access, AwsAccess::default());
        assert_eq!(access.describe(), "the default credential chain");
    }

    #[test]
    fn static_keys_go_in_pairs_and_are_never_printed() {
        let half = RawAccess { access_key_id: text("AKIAEXAMPLE"), ..Default::default() };
        assert!(half.into_access(&native, &no_env).unwrap_err().contains("access.secret_access_key"));
        let raw =
            RawAccess { access_key_id: text("AKIAEXAMPLE"), secret_access_key: text("s3cr3t"), ..Default::default() };
        let access = raw.into_access(&native, &no_env).unwrap();
        assert!(!format!("{access:?}").contains("s3cr3t") && !format!("{access:?}").contains("AKIAEXAMPLE"));
    }

    #[test]
    fn a_role_is_assumed_from_the_base_credentials() {
        let raw = RawAccess {
            profile: text("dev"),
            role_arn: text(ROLE),
            session_name: text("gateway"),
            external_id: text("x-1"),
            ..Default::default()
        };
        let access = raw.into_access(&native, &no_env).unwrap();
        assert_eq!(access.describe(), format!("role {ROLE} assumed with profile dev"));
        assert_eq!(access.role.unwrap().external_id.as_deref(), Some("x-1"));
    }

    #[test]
    fn role_fields_are_checked() {
        let bad_arn = RawAccess { role_arn: text("my-role"), ..Default::default() };
        assert!(bad_arn.into_access(&native, &no_env).unwrap_err().contains("is not an IAM role ARN"));
        let orphan = RawAccess { session_name: text("s1"), ..Default::default() };
        assert_eq!(orphan.into_access(&native, &no_env).unwrap_err(), "access.session_name needs access.role_arn");
        let bad_name = RawAccess { role_arn: text(ROLE), session_name: text("has space"), ..Default::default() };
        assert!(bad_name.into_access(&native, &no_env).unwrap_err().contains("2 to 64"));
        let bad_sts = RawAccess { role_arn: text(ROLE), sts_endpoint: text("sts"), ..Default::default() };
        assert!(bad_sts.into_access(&native, &no_env).unwrap_err().contains("not an http(s) URL"));
    }

    #[test]
    fn web_identity_needs_no_base_credentials() {
        let raw = RawAccess { role_arn: text(ROLE), web_identity_token_file: text("/t"), ..Default::default() };
        assert_eq!(raw.into_access(&native, &no_env).unwrap().describe(), format!("role {ROLE} (web identity)"));
        let mixed =
            RawAccess { role_arn: text(ROLE), web_identity_token: text("t"), profile: text("p"), ..Default::default() };
        assert!(mixed.into_access(&native, &no_env).unwrap_err().contains("needs no"));
        let oidc = RawAccess { role_arn: text(ROLE), web_identity_token: text("oidc/google/x"), ..Default::default() };
        assert!(oidc.into_access(&native, &no_env).unwrap_err().contains("oidc/"));
    }

    #[test]
    fn an_api_key_stands_alone() {
        let raw = RawAccess { api_key: text("bedrock-api-key-x"), profile: text("p"), ..Default::default() };
        assert_eq!(
            raw.into_access(&native, &no_env).unwrap_err(),
            "access.api_key excludes every other access setting"
        );
        let raw = RawAccess { api_key: text("bedrock-api-key-x"), ..Default::default() };
        assert_eq!(raw.into_access(&native, &no_env).unwrap().describe(), "a Bedrock API key");
    }
}
