//! The model index: which ids the gateway serves, built from ListFoundationModels and
//! ListInferenceProfiles results (pure; the fetching lives in `catalog`).

use std::collections::HashMap;

use aws_sdk_bedrock::types::{FoundationModelLifecycleStatus, FoundationModelSummary, InferenceType, ModelModality};

/// What a model produces, deciding which endpoint serves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputKind {
    Text,
    Embedding,
    Image,
}

/// One servable model id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelEntry {
    /// The id clients send and Bedrock receives (foundation id, profile id or profile ARN).
    pub id: String,
    /// The foundation model behind it; profiles inherit its capabilities.
    pub foundation_id: String,
    pub provider: String,
    pub image_input: bool,
    pub streaming: bool,
    pub output: OutputKind,
}

/// An inference profile and the foundation model it routes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileRecord {
    pub id: String,
    pub foundation_id: String,
}

/// All servable models, in listing order (each foundation model, then its profiles).
#[derive(Debug, Clone, Default)]
pub struct ModelIndex {
    entries: Vec<ModelEntry>,
    by_id: HashMap<String, usize>,
    /// Unix time of the listing, reported as each model's `created`.
    pub created: u64,
    /// False until one discovery succeeded; until then unknown ids are passed through.
    pub loaded: bool,
}

impl ModelIndex {
    pub fn get(&self, id: &str) -> Option<&ModelEntry> {
        self.by_id.get(id).map(|&i| &self.entries[i])
    }

    pub fn entries(&self) -> &[ModelEntry] {
        &self.entries
    }

    fn push(&mut self, entry: ModelEntry) {
        if !self.by_id.contains_key(&entry.id) {
            self.by_id.insert(entry.id.clone(), self.entries.len());
            self.entries.push(entry);
        }
    }
}

/// Builds the index as the reference does: active or legacy models, their on-demand id
/// when invocable on demand, and every profile routing to them.
pub fn build_index(foundation: &[FoundationModelSummary], profiles: &[ProfileRecord], created: u64) -> ModelIndex {
    let mut index = ModelIndex { created, loaded: true, ..ModelIndex::default() };
    for model in foundation.iter().filter(|m| is_current(m)) {
        let Some(output) = output_kind(model.output_modalities()) else {
            continue;
        };
        let template = ModelEntry {
            id: model.model_id().to_owned(),
            foundation_id: model.model_id().to_owned(),
            provider: model.provider_name().unwrap_or("bedrock").to_ascii_lowercase(),
            image_input: model.input_modalities().contains(&ModelModality::Image),
            streaming: model.response_streaming_supported().unwrap_or(false),
            output,
        };
        if model.inference_types_supported().contains(&InferenceType::OnDemand) {
            index.push(template.clone());
        }
        for profile in profiles.iter().filter(|p| p.foundation_id == template.foundation_id) {
            index.push(ModelEntry { id: profile.id.clone(), ..template.clone() });
        }
    }
    index
}

fn is_current(model: &FoundationModelSummary) -> bool {
    model.model_lifecycle().is_none_or(|l| {
        matches!(l.status(), FoundationModelLifecycleStatus::Active | FoundationModelLifecycleStatus::Legacy)
    })
}

fn output_kind(modalities: &[ModelModality]) -> Option<OutputKind> {
    if modalities.contains(&ModelModality::Text) {
        Some(OutputKind::Text)
    } else if modalities.contains(&ModelModality::Embedding) {
        Some(OutputKind::Embedding)
    } else if modalities.contains(&ModelModality::Image) {
        Some(OutputKind::Image)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_bedrock::types::FoundationModelLifecycle;

    fn model(id: &str, types: &[InferenceType], status: &str, image: bool) -> FoundationModelSummary {
        let mut inputs = vec![ModelModality::Text];
        if image {
            inputs.push(ModelModality::Image);
        }
        FoundationModelSummary::builder()
            .model_arn(format!("arn:aws:bedrock:us-east-1::foundation-model/{id}"))
            .model_id(id)
            .provider_name("Anthropic")
            .set_input_modalities(Some(inputs))
            .output_modalities(ModelModality::Text)
            .response_streaming_supported(true)
            .set_inference_types_supported(Some(types.to_vec()))
            .model_lifecycle(FoundationModelLifecycle::builder().status(status.into()).build().unwrap())
            .build()
            .unwrap()
    }

    fn profile(id: &str, foundation: &str) -> ProfileRecord {
        ProfileRecord { id: id.into(), foundation_id: foundation.into() }
    }

    #[test]
    fn models_then_their_profiles_inheriting_capabilities() {
        let index = build_index(
            &[
                model("a.one", &[InferenceType::OnDemand], "ACTIVE", true),
                model("a.two", &[InferenceType::from("INFERENCE_PROFILE")], "ACTIVE", false),
                model("a.old", &[InferenceType::OnDemand], "LEGACY", false),
            ],
            &[profile("us.a.one", "a.one"), profile("us.a.two", "a.two"), profile("arn:app/x", "a.two")],
            7,
        );
        let ids: Vec<&str> = index.entries().iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, vec!["a.one", "us.a.one", "us.a.two", "arn:app/x", "a.old"]);
        assert!(index.get("us.a.one").unwrap().image_input);
        assert_eq!(index.get("arn:app/x").unwrap().foundation_id, "a.two");
        assert!(index.get("a.two").is_none(), "profile-only models are served through profiles");
        assert_eq!(index.get("a.one").unwrap().provider, "anthropic");
    }

    #[test]
    fn retired_models_are_skipped() {
        let index = build_index(&[model("a.gone", &[InferenceType::OnDemand], "EOL", false)], &[], 0);
        assert!(index.entries().is_empty());
        assert!(index.loaded);
    }
}
