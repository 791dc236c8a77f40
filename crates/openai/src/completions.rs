//! Legacy `POST /completions`: request, `text_completion` response and stream chunk.

use serde::{Deserialize, Serialize};

use crate::chat::{StopSequences, StreamOptions};
use crate::response::{FinishReason, Usage};

/// A legacy completion request. Fields Bedrock cannot honour (`suffix`, `echo`, `best_of`,
/// `logprobs`, `n`) are parsed so the translation can refuse them by name.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CompletionRequest {
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub prompt: Option<Prompt>,
    #[serde(default)]
    pub max_tokens: Option<u32>,
    #[serde(default)]
    pub temperature: Option<f32>,
    #[serde(default)]
    pub top_p: Option<f32>,
    #[serde(default)]
    pub stop: Option<StopSequences>,
    #[serde(default)]
    pub stream: Option<bool>,
    #[serde(default)]
    pub stream_options: Option<StreamOptions>,
    #[serde(default)]
    pub n: Option<u32>,
    #[serde(default)]
    pub best_of: Option<u32>,
    #[serde(default)]
    pub echo: Option<bool>,
    #[serde(default)]
    pub suffix: Option<String>,
    #[serde(default)]
    pub logprobs: Option<u32>,
    #[serde(default)]
    pub user: Option<String>,
}

/// `prompt`: a string, a list of strings, or token ids (which Bedrock cannot take).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum Prompt {
    Text(String),
    Texts(Vec<String>),
    Tokens(Vec<u32>),
    TokenLists(Vec<Vec<u32>>),
}

/// `text_completion` object (also the shape of each stream chunk).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Completion {
    pub id: String,
    pub object: &'static str,
    pub created: u64,
    pub model: String,
    pub choices: Vec<CompletionChoice>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
}

/// One choice; `finish_reason` is null on stream chunks before the last.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CompletionChoice {
    pub text: String,
    pub index: u32,
    pub logprobs: Option<serde_json::Value>,
    pub finish_reason: Option<FinishReason>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_json;

    #[test]
    fn prompt_forms() {
        let one: CompletionRequest = parse_json(br#"{"prompt":"hi","max_tokens":5,"stop":"x"}"#).unwrap();
        assert_eq!(one.prompt, Some(Prompt::Text("hi".into())));
        let many: CompletionRequest = parse_json(br#"{"prompt":["a","b"]}"#).unwrap();
        assert_eq!(many.prompt, Some(Prompt::Texts(vec!["a".into(), "b".into()])));
        let tokens: CompletionRequest = parse_json(br#"{"prompt":[1,2]}"#).unwrap();
        assert_eq!(tokens.prompt, Some(Prompt::Tokens(vec![1, 2])));
    }

    #[test]
    fn completion_shape() {
        let completion = Completion {
            id: "cmpl-1".into(),
            object: "text_completion",
            created: 1,
            model: "m".into(),
            choices: vec![CompletionChoice { text: "t".into(), index: 0, logprobs: None, finish_reason: None }],
            usage: None,
        };
        assert_eq!(
            serde_json::to_string(&completion).unwrap(),
            r#"{"id":"cmpl-1","object":"text_completion","created":1,"model":"m","choices":[{"text":"t","index":0,"logprobs":null,"finish_reason":null}]}"#
        );
    }
}
