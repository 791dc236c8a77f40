//! From the `model` a client sent to a servable model of the kind an endpoint needs.

use bedrock::{model_id, TranslateError};

use super::catalog::{Catalog, Resolved};
use super::index::{ModelEntry, OutputKind};
use crate::error::ApiError;

/// OpenAI model names that stand for the configured default of each kind, as in the
/// reference (`gpt-*` → `DEFAULT_MODEL`, `text-embedding-*` → `DEFAULT_EMBEDDING_MODEL`).
pub const CHAT_ALIASES: &[&str] = &["gpt-"];
pub const EMBEDDING_ALIASES: &[&str] = &["text-embedding-"];
pub const IMAGE_ALIASES: &[&str] = &["dall-e-", "gpt-image-"];

/// The model as sent; `default_model` when absent, blank or an OpenAI alias (any case).
pub fn requested_model<'a>(model: Option<&'a str>, default_model: &'a str, aliases: &[&str]) -> &'a str {
    let is_alias = |m: &str| aliases.iter().any(|a| m.get(..a.len()).is_some_and(|p| p.eq_ignore_ascii_case(a)));
    match model.map(str::trim) {
        None | Some("") => default_model,
        Some(m) if is_alias(m) => default_model,
        Some(m) => m,
    }
}

/// A model resolved for an endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The id sent to Bedrock.
    pub model_id: String,
    /// The foundation model behind it, when the catalogue or the id itself tells.
    pub foundation_id: Option<String>,
    /// The catalogue's entry; `None` for ids passed through unlisted.
    pub entry: Option<ModelEntry>,
}

fn kind_name(kind: OutputKind) -> &'static str {
    match kind {
        OutputKind::Text => "a chat model",
        OutputKind::Embedding => "an embedding model",
        OutputKind::Image => "an image model",
    }
}

impl Catalog {
    /// Resolves `requested` to a model producing `kind`: 404 when unknown, 400 when it is
    /// a model of another kind.
    pub async fn resolve_for(&self, requested: &str, kind: OutputKind) -> Result<Target, ApiError> {
        let resolved =
            self.resolve(requested).await.ok_or_else(|| ApiError::ModelNotFound { model: requested.to_owned() })?;
        match resolved {
            Resolved::Known(entry) if entry.output != kind => {
                let message = format!("this model is not {}; use the endpoint for its kind", kind_name(kind));
                Err(TranslateError::new(message, "model").into())
            }
            Resolved::Known(entry) => Ok(Target {
                model_id: entry.id.clone(),
                foundation_id: Some(entry.foundation_id.clone()),
                entry: Some(entry),
            }),
            Resolved::PassThrough(id) => {
                let foundation_id = model_id::foundation_id(&id).map(str::to_owned);
                Ok(Target { model_id: id, foundation_id, entry: None })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openai_names_map_to_the_default_of_their_kind() {
        assert_eq!(requested_model(Some("gpt-4o"), "d", CHAT_ALIASES), "d");
        assert_eq!(requested_model(Some("GPT-3.5-turbo"), "d", CHAT_ALIASES), "d");
        assert_eq!(requested_model(Some("text-embedding-3-small"), "d", EMBEDDING_ALIASES), "d");
        assert_eq!(requested_model(Some("Text-Embedding-ada-002"), "d", EMBEDDING_ALIASES), "d");
        assert_eq!(requested_model(Some("dall-e-3"), "d", IMAGE_ALIASES), "d");
        assert_eq!(requested_model(Some("GPT-IMAGE-1"), "d", IMAGE_ALIASES), "d");
        assert_eq!(requested_model(Some("gpt-4o"), "d", IMAGE_ALIASES), "gpt-4o");
    }

    #[test]
    fn absent_or_blank_means_default_and_others_pass() {
        assert_eq!(requested_model(None, "d", CHAT_ALIASES), "d");
        assert_eq!(requested_model(Some(" "), "d", CHAT_ALIASES), "d");
        assert_eq!(requested_model(Some("us.x.y"), "d", CHAT_ALIASES), "us.x.y");
        assert_eq!(requested_model(Some("gp"), "d", CHAT_ALIASES), "gp");
        assert_eq!(requested_model(Some("text-"), "d", EMBEDDING_ALIASES), "text-");
    }
}
