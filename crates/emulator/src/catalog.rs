//! The foundation-model catalogue: ids, names, modalities, how they may be
//! invoked, and the capability table validation consults.

use std::collections::HashMap;
use std::sync::OnceLock;

pub const REGION: &str = "us-east-1";
pub const ACCOUNT: &str = "123456789012";

/// How a model may be invoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    OnDemand,
    ProfileOnly,
    Both,
}

/// Embedding request/response dialects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Embedder {
    CohereV3,
    CohereV4,
    TitanV1,
    TitanV2,
    Nova2,
}

/// Image-generation request/response dialects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Imager {
    /// Titan Image Generator and Nova Canvas (`taskType: TEXT_IMAGE`).
    Canvas,
    /// Stability AI (`prompt`, `seeds`, `finish_reasons`).
    Stability,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Chat,
    Embed(Embedder),
    Image(Imager),
}

/// What the Converse API accepts for a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caps {
    pub system: bool,
    pub tools: bool,
    pub stream_tools: bool,
    pub tool_choice: bool,
    pub images: bool,
    pub documents: bool,
    /// Anthropic extended thinking (`thinking` / `reasoning_config`).
    pub thinking: bool,
    /// Claude 4.5 generation: temperature and top_p are mutually exclusive.
    pub exclusive_sampling: bool,
}

/// Nothing supported but plain text and documents.
const BASE: Caps = Caps {
    system: false,
    tools: false,
    stream_tools: false,
    tool_choice: false,
    images: false,
    documents: true,
    thinking: false,
    exclusive_sampling: false,
};
const TOOLS: Caps = Caps { system: true, tools: true, stream_tools: true, tool_choice: true, ..BASE };

const CLAUDE3: Caps = Caps { images: true, ..TOOLS };
const CLAUDE_TEXT: Caps = TOOLS;
const CLAUDE_THINK: Caps = Caps { thinking: true, ..CLAUDE3 };
const CLAUDE_45: Caps = Caps { exclusive_sampling: true, ..CLAUDE_THINK };
const NOVA: Caps = Caps { images: true, ..TOOLS };
/// Nova Micro: text only, no document chat.
const NOVA_TEXT: Caps = Caps { documents: false, ..TOOLS };
const LLAMA: Caps = Caps { stream_tools: false, tool_choice: false, ..TOOLS };
const LLAMA_VISION: Caps = Caps { images: true, ..LLAMA };
const MISTRAL_LARGE: Caps = LLAMA;
/// Mistral 7B and Mixtral 8x7B Instruct: no system prompt, no tools.
const MISTRAL_INSTRUCT: Caps = BASE;
const COMMAND_R: Caps = LLAMA;
const DEEPSEEK: Caps = Caps { system: true, ..BASE };
const GPT_OSS: Caps = TOOLS;
/// Titan Text: no system prompt and no tools; documents except on Premier.
const TITAN_TEXT: Caps = BASE;
const TITAN_PREMIER: Caps = Caps { documents: false, ..BASE };
const NONE: Caps = BASE;

/// One foundation model.
#[derive(Debug, Clone, Copy)]
pub struct Model {
    pub id: &'static str,
    pub name: &'static str,
    pub provider: &'static str,
    pub access: Access,
    /// Geographic prefixes of its system-defined inference profiles.
    pub geos: &'static [&'static str],
    pub caps: Caps,
    pub family: Family,
}

impl Model {
    pub fn arn(&self, region: &str) -> String {
        format!("arn:aws:bedrock:{region}::foundation-model/{}", self.id)
    }

    pub fn input_modalities(&self) -> Vec<&'static str> {
        match (self.family, self.caps.images) {
            (Family::Chat, true) => vec!["TEXT", "IMAGE"],
            (Family::Embed(Embedder::CohereV4 | Embedder::Nova2), _) => vec!["TEXT", "IMAGE"],
            _ => vec!["TEXT"],
        }
    }

    pub fn output_modality(&self) -> &'static str {
        match self.family {
            Family::Chat => "TEXT",
            Family::Embed(_) => "EMBEDDING",
            Family::Image(_) => "IMAGE",
        }
    }

    pub fn streaming(&self) -> bool {
        self.family == Family::Chat
    }

    pub fn inference_types(&self) -> Vec<&'static str> {
        match self.access {
            Access::OnDemand => vec!["ON_DEMAND"],
            Access::ProfileOnly => vec!["INFERENCE_PROFILE"],
            Access::Both => vec!["ON_DEMAND", "INFERENCE_PROFILE"],
        }
    }

    pub fn legacy(&self) -> bool {
        self.id == "amazon.titan-text-express-v1"
    }

    pub fn customizations(&self) -> Vec<&'static str> {
        match self.id {
            "amazon.titan-text-express-v1" => vec!["FINE_TUNING", "CONTINUED_PRE_TRAINING"],
            "amazon.nova-micro-v1:0" | "amazon.nova-lite-v1:0" | "amazon.nova-pro-v1:0" => {
                vec!["FINE_TUNING", "DISTILLATION"]
            }
            "anthropic.claude-3-haiku-20240307-v1:0" | "meta.llama3-1-8b-instruct-v1:0" => {
                vec!["FINE_TUNING"]
            }
            _ => vec![],
        }
    }
}

const US: &[&str] = &["us"];
const US_EU: &[&str] = &["us", "eu"];
const US_EU_APAC: &[&str] = &["us", "eu", "apac"];
const ALL_GEOS: &[&str] = &["us", "eu", "apac", "global"];
const US_EU_GLOBAL: &[&str] = &["us", "eu", "global"];
const NO_GEOS: &[&str] = &[];

const fn m(
    id: &'static str,
    name: &'static str,
    provider: &'static str,
    access: Access,
    geos: &'static [&'static str],
    caps: Caps,
    family: Family,
) -> Model {
    Model { id, name, provider, access, geos, caps, family }
}

use Access::{Both, OnDemand, ProfileOnly};
use Family::{Chat, Embed, Image};

const A: &str = "Anthropic";
const AMZ: &str = "Amazon";
const META: &str = "Meta";

#[rustfmt::skip]
pub static MODELS: &[Model] = &[
    m("anthropic.claude-3-haiku-20240307-v1:0", "Claude 3 Haiku", A, Both, US_EU_APAC, CLAUDE3, Chat),
    m("anthropic.claude-3-5-sonnet-20240620-v1:0", "Claude 3.5 Sonnet", A, Both, US, CLAUDE3, Chat),
    m("anthropic.claude-3-5-sonnet-20241022-v2:0", "Claude 3.5 Sonnet v2", A, Both, US, CLAUDE3, Chat),
    m("anthropic.claude-3-5-haiku-20241022-v1:0", "Claude 3.5 Haiku", A, Both, US, CLAUDE_TEXT, Chat),
    m("anthropic.claude-3-7-sonnet-20250219-v1:0", "Claude 3.7 Sonnet", A, ProfileOnly, US_EU_APAC, CLAUDE_THINK, Chat),
    m("anthropic.claude-sonnet-4-20250514-v1:0", "Claude Sonnet 4", A, ProfileOnly, ALL_GEOS, CLAUDE_THINK, Chat),
    m("anthropic.claude-opus-4-20250514-v1:0", "Claude Opus 4", A, ProfileOnly, US, CLAUDE_THINK, Chat),
    m("anthropic.claude-opus-4-1-20250805-v1:0", "Claude Opus 4.1", A, ProfileOnly, US, CLAUDE_THINK, Chat),
    m("anthropic.claude-sonnet-4-5-20250929-v1:0", "Claude Sonnet 4.5", A, ProfileOnly, ALL_GEOS, CLAUDE_45, Chat),
    m("anthropic.claude-haiku-4-5-20251001-v1:0", "Claude Haiku 4.5", A, ProfileOnly, ALL_GEOS, CLAUDE_45, Chat),
    m("anthropic.claude-opus-4-5-20251101-v1:0", "Claude Opus 4.5", A, ProfileOnly, US_EU_GLOBAL, CLAUDE_45, Chat),
    m("amazon.nova-micro-v1:0", "Nova Micro", AMZ, Both, US_EU_APAC, NOVA_TEXT, Chat),
    m("amazon.nova-lite-v1:0", "Nova Lite", AMZ, Both, US_EU_APAC, NOVA, Chat),
    m("amazon.nova-pro-v1:0", "Nova Pro", AMZ, Both, US_EU_APAC, NOVA, Chat),
    m("amazon.nova-premier-v1:0", "Nova Premier", AMZ, ProfileOnly, US, NOVA, Chat),
    m("meta.llama3-1-8b-instruct-v1:0", "Llama 3.1 8B Instruct", META, Both, US, LLAMA, Chat),
    m("meta.llama3-1-70b-instruct-v1:0", "Llama 3.1 70B Instruct", META, Both, US, LLAMA, Chat),
    m("meta.llama3-2-3b-instruct-v1:0", "Llama 3.2 3B Instruct", META, ProfileOnly, US_EU, LLAMA, Chat),
    m("meta.llama3-2-11b-instruct-v1:0", "Llama 3.2 11B Instruct", META, ProfileOnly, US, LLAMA_VISION, Chat),
    m("meta.llama3-2-90b-instruct-v1:0", "Llama 3.2 90B Instruct", META, ProfileOnly, US, LLAMA_VISION, Chat),
    m("meta.llama3-3-70b-instruct-v1:0", "Llama 3.3 70B Instruct", META, ProfileOnly, US, LLAMA, Chat),
    m("mistral.mistral-large-2402-v1:0", "Mistral Large (24.02)", "Mistral AI", OnDemand, NO_GEOS, MISTRAL_LARGE, Chat),
    m("mistral.mistral-7b-instruct-v0:2", "Mistral 7B Instruct", "Mistral AI", OnDemand, NO_GEOS, MISTRAL_INSTRUCT, Chat),
    m("mistral.mixtral-8x7b-instruct-v0:1", "Mixtral 8x7B Instruct", "Mistral AI", OnDemand, NO_GEOS, MISTRAL_INSTRUCT, Chat),
    m("cohere.command-r-v1:0", "Command R", "Cohere", OnDemand, NO_GEOS, COMMAND_R, Chat),
    m("cohere.command-r-plus-v1:0", "Command R+", "Cohere", OnDemand, NO_GEOS, COMMAND_R, Chat),
    m("deepseek.r1-v1:0", "DeepSeek-R1", "DeepSeek", ProfileOnly, US, DEEPSEEK, Chat),
    m("openai.gpt-oss-120b-1:0", "gpt-oss-120b", "OpenAI", OnDemand, NO_GEOS, GPT_OSS, Chat),
    m("amazon.titan-text-express-v1", "Titan Text G1 - Express", AMZ, OnDemand, NO_GEOS, TITAN_TEXT, Chat),
    m("amazon.titan-text-premier-v1:0", "Titan Text G1 - Premier", AMZ, OnDemand, NO_GEOS, TITAN_PREMIER, Chat),
    m("cohere.embed-english-v3", "Embed English", "Cohere", OnDemand, NO_GEOS, NONE, Embed(Embedder::CohereV3)),
    m("cohere.embed-multilingual-v3", "Embed Multilingual", "Cohere", OnDemand, NO_GEOS, NONE, Embed(Embedder::CohereV3)),
    m("cohere.embed-v4:0", "Embed v4", "Cohere", Both, US_EU_GLOBAL, NONE, Embed(Embedder::CohereV4)),
    m("amazon.titan-embed-text-v1", "Titan Embeddings G1 - Text", AMZ, OnDemand, NO_GEOS, NONE, Embed(Embedder::TitanV1)),
    m("amazon.titan-embed-text-v2:0", "Titan Text Embeddings V2", AMZ, OnDemand, NO_GEOS, NONE, Embed(Embedder::TitanV2)),
    m("amazon.nova-2-multimodal-embeddings-v1:0", "Nova Multimodal Embeddings", AMZ, OnDemand, NO_GEOS, NONE, Embed(Embedder::Nova2)),
    m("amazon.titan-image-generator-v2:0", "Titan Image Generator G1 v2", AMZ, OnDemand, NO_GEOS, NONE, Image(Imager::Canvas)),
    m("amazon.nova-canvas-v1:0", "Nova Canvas", AMZ, OnDemand, NO_GEOS, NONE, Image(Imager::Canvas)),
    m("stability.stable-image-core-v1:1", "Stable Image Core 1.1", "Stability AI", OnDemand, NO_GEOS, NONE, Image(Imager::Stability)),
    m("stability.sd3-5-large-v1:0", "Stable Diffusion 3.5 Large", "Stability AI", OnDemand, NO_GEOS, NONE, Image(Imager::Stability)),
];

/// Looks a foundation model up by its id.
pub fn model(id: &str) -> Option<&'static Model> {
    static INDEX: OnceLock<HashMap<&'static str, &'static Model>> = OnceLock::new();
    INDEX.get_or_init(|| MODELS.iter().map(|m| (m.id, m)).collect()).get(id).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_found() {
        for entry in MODELS {
            assert_eq!(model(entry.id).map(|m| m.name), Some(entry.name));
        }
        assert!(model("anthropic.claude-9").is_none());
    }

    #[test]
    fn profile_only_models_have_profiles() {
        for entry in MODELS.iter().filter(|m| m.access != Access::OnDemand) {
            assert!(!entry.geos.is_empty(), "{}", entry.id);
        }
    }
}
