//! Strings of the file may name environment variables instead of holding secrets:
//! `os.environ/NAME` (LiteLLM's form, the whole value) or `${NAME}` (anywhere in the value).

use serde::{Deserialize, Deserializer};

/// Looks up an environment variable (the process's, or a test's own table).
pub type Env<'a> = &'a (dyn Fn(&str) -> Option<String> + Sync);

/// The process environment.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// A string of the file, as written (references resolved by [`Text::resolve`]).
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Text(pub String);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Text)
    }
}

// Values may be secrets: never printed.
impl std::fmt::Debug for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Text(..)")
    }
}

impl Text {
    /// The value with its references resolved.
    pub fn resolve(&self, env: Env<'_>) -> Result<String, String> {
        resolve(&self.0, env)
    }
}

/// Resolves the references in `raw` with `lookup`; a variable that is not set is an error
/// naming it (an empty secret would fail later, far from its cause).
pub fn resolve(raw: &str, lookup: Env<'_>) -> Result<String, String> {
    let variable = |name: &str| lookup(name).ok_or_else(|| format!("environment variable {name} is not set"));
    if let Some(name) = raw.trim().strip_prefix("os.environ/") {
        return variable(name.trim());
    }
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(start) = rest.find("${") {
        let end = rest[start..].find('}').ok_or_else(|| format!("unclosed `${{` in `{}`", clip(raw)))?;
        let name = &rest[start + 2..start + end];
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(format!("`${{{name}}}` is not an environment variable name"));
        }
        out.push_str(&rest[..start]);
        out.push_str(&variable(name)?);
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn clip(raw: &str) -> &str {
    raw.char_indices().nth(40).map_or(raw, |(i, _)| &raw[..i])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        (name == "REGION").then(|| "eu-west-1".to_owned())
    }

    #[test]
    fn litellm_references_take_the_whole_value() {
        assert_eq!(resolve("os.environ/REGION", &env).unwrap(), "eu-west-1");
        assert_eq!(resolve("os.environ/MISSING", &env).unwrap_err(), "environment variable MISSING is not set");
    }

    #[test]
    fn braces_are_replaced_anywhere() {
        assert_eq!(resolve("https://bedrock.${REGION}.example", &env).unwrap(), "https://bedrock.eu-west-1.example");
        assert_eq!(resolve("plain", &env).unwrap(), "plain");
        assert!(resolve("${REGION", &env).unwrap_err().contains("unclosed"));
        assert!(resolve("${A-B}", &env).unwrap_err().contains("not an environment variable name"));
        assert!(resolve("${NOPE}", &env).unwrap_err().contains("NOPE is not set"));
    }
}
