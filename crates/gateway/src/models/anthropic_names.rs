//! Anthropic API model names (`claude-sonnet-4-5-20250929`, `claude-3-5-haiku-latest`), as
//! Claude Code and Anthropic SDK applications send them, → a servable Bedrock id.

use super::index::{ModelEntry, OutputKind};

/// The Bedrock id serving an Anthropic model name: among the listed Claude chat models whose
/// id (after any geography prefix and `anthropic.`) starts with the name, the newest,
/// preferring cross-region profiles (the only way to call recent Claude models).
/// `None` for names that are not Anthropic's (Bedrock ids, ARNs) or that match nothing.
pub fn bedrock_id_for<'a>(name: &str, entries: &'a [ModelEntry]) -> Option<&'a str> {
    if !name.starts_with("claude-") || name.contains('.') || name.contains(':') {
        return None;
    }
    let stem = name.strip_suffix("-latest").unwrap_or(name);
    entries
        .iter()
        .filter(|e| e.output == OutputKind::Text && claude_name(&e.foundation_id).is_some_and(|n| n.starts_with(stem)))
        .max_by_key(|e| (e.id != e.foundation_id && !e.id.starts_with("arn:"), e.foundation_id.as_str()))
        .map(|e| e.id.as_str())
}

fn claude_name(foundation_id: &str) -> Option<&str> {
    foundation_id.strip_prefix("anthropic.")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str, foundation_id: &str) -> ModelEntry {
        ModelEntry {
            id: id.into(),
            foundation_id: foundation_id.into(),
            provider: "Anthropic".into(),
            image_input: true,
            streaming: true,
            output: OutputKind::Text,
        }
    }

    #[test]
    fn names_map_to_profiles_of_the_newest_match() {
        let sonnet = "anthropic.claude-sonnet-4-5-20250929-v1:0";
        let haiku = "anthropic.claude-3-5-haiku-20241022-v1:0";
        let entries = vec![
            entry(sonnet, sonnet),
            entry("us.anthropic.claude-sonnet-4-5-20250929-v1:0", sonnet),
            entry(haiku, haiku),
            entry("anthropic.claude-sonnet-4-20250514-v1:0", "anthropic.claude-sonnet-4-20250514-v1:0"),
        ];
        assert_eq!(
            bedrock_id_for("claude-sonnet-4-5-20250929", &entries),
            Some("us.anthropic.claude-sonnet-4-5-20250929-v1:0")
        );
        assert_eq!(bedrock_id_for("claude-sonnet-4-5", &entries), Some("us.anthropic.claude-sonnet-4-5-20250929-v1:0"));
        assert_eq!(bedrock_id_for("claude-3-5-haiku-latest", &entries), Some(haiku));
        assert_eq!(bedrock_id_for("claude-opus-9", &entries), None);
        assert_eq!(bedrock_id_for(sonnet, &entries), None, "Bedrock ids pass as they are");
    }
}
