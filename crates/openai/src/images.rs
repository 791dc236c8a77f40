//! `POST /images/generations`: request and response.

use serde::{Deserialize, Serialize};

/// An image-generation request. Fields Bedrock has no use for (`user`, `moderation`,
/// `background`, …) are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ImageGenerationRequest {
    #[serde(default)]
    pub prompt: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub n: Option<u32>,
    #[serde(default)]
    pub size: Option<String>,
    #[serde(default)]
    pub quality: Option<String>,
    #[serde(default)]
    pub style: Option<String>,
    #[serde(default)]
    pub response_format: Option<String>,
    /// Extension (as the OpenAI SDKs' `extra_body` sends it, merged into the body).
    #[serde(default)]
    pub seed: Option<u64>,
    /// Extension: what the image should not contain.
    #[serde(default)]
    pub negative_prompt: Option<String>,
    /// Extensions sent literally under an `extra_body` key by some clients.
    #[serde(default)]
    pub extra_body: Option<ImageExtras>,
}

/// The extensions that may also come inside `extra_body`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ImageExtras {
    #[serde(default)]
    pub seed: Option<u64>,
    #[serde(default)]
    pub negative_prompt: Option<String>,
}

impl ImageGenerationRequest {
    /// `seed`, top level first, then `extra_body.seed`.
    pub fn seed(&self) -> Option<u64> {
        self.seed.or_else(|| self.extra_body.as_ref().and_then(|e| e.seed))
    }

    /// `negative_prompt`, top level first, then `extra_body.negative_prompt`.
    pub fn negative_prompt(&self) -> Option<&str> {
        self.negative_prompt.as_deref().or_else(|| self.extra_body.as_ref().and_then(|e| e.negative_prompt.as_deref()))
    }
}

/// The response: `{"created": unix, "data": [{"b64_json": "..."}]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImagesResponse {
    pub created: u64,
    pub data: Vec<Image>,
}

/// One generated image, base64-encoded (we never revise prompts, so no `revised_prompt`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Image {
    pub b64_json: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_json;

    #[test]
    fn extensions_at_top_level_or_in_extra_body() {
        let request: ImageGenerationRequest =
            parse_json(br#"{"prompt":"p","seed":3,"extra_body":{"seed":4,"negative_prompt":"n"},"user":"u"}"#).unwrap();
        assert_eq!(request.seed(), Some(3));
        assert_eq!(request.negative_prompt(), Some("n"));
        let request: ImageGenerationRequest = parse_json(br#"{"prompt":"p"}"#).unwrap();
        assert_eq!((request.seed(), request.negative_prompt()), (None, None));
    }

    #[test]
    fn bad_fields_name_their_path() {
        let err = parse_json::<ImageGenerationRequest>(br#"{"prompt":"p","n":"two"}"#).unwrap_err();
        assert_eq!(err.param.as_deref(), Some("n"));
        let err = parse_json::<ImageGenerationRequest>(br#"{"prompt":"p","extra_body":{"seed":-1}}"#).unwrap_err();
        assert_eq!(err.param.as_deref(), Some("extra_body.seed"));
    }

    #[test]
    fn response_is_openai_shaped() {
        let response = ImagesResponse { created: 7, data: vec![Image { b64_json: "QQ==".into() }] };
        assert_eq!(serde_json::to_string(&response).unwrap(), r#"{"created":7,"data":[{"b64_json":"QQ=="}]}"#);
    }
}
