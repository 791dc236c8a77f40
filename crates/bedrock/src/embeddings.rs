//! OpenAI embeddings ⇄ Bedrock InvokeModel bodies, per model family.
//!
//! One table (`FAMILIES`) decides each family's request dialect, batch size and
//! dimensions. Planning validates the request and turns it into InvokeModel bodies;
//! parsing turns each answer back into vectors. The I/O lives in the gateway.

use std::sync::LazyLock;

use base64::Engine;
use openai::{Embedding, EmbeddingInput, EmbeddingList, EmbeddingRequest, EmbeddingVector, EncodingFormat};
use serde_json::{json, Value};
use tiktoken_rs::CoreBPE;

use crate::error::TranslateError;

/// Most inputs one request may carry (OpenAI's limit).
pub const MAX_INPUTS: usize = 2048;

/// The request/response dialect of an embedding model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmbeddingDialect {
    /// Cohere Embed v3: `texts`, `input_type`, `truncate: END`.
    CohereV3,
    /// Cohere Embed v4: as v3 plus `output_dimension` and `embedding_types`.
    CohereV4,
    /// Titan Text Embeddings v1: `inputText` only.
    TitanV1,
    /// Titan Text Embeddings v2: `inputText`, `dimensions`, `normalize`.
    TitanV2,
    /// Nova multimodal embeddings: `taskType: SINGLE_EMBEDDING`.
    Nova,
}

/// What the gateway needs to know about one embedding model family.
#[derive(Debug, PartialEq, Eq)]
pub struct EmbeddingFamily {
    pub dialect: EmbeddingDialect,
    /// Texts per InvokeModel call.
    pub batch: usize,
    /// Dimensions a client may choose; a single entry means there is no choice.
    pub dimensions: &'static [u32],
    pub default_dimension: u32,
}

const COHERE_V3: EmbeddingFamily =
    EmbeddingFamily { dialect: EmbeddingDialect::CohereV3, batch: 96, dimensions: &[1024], default_dimension: 1024 };
const COHERE_V4: EmbeddingFamily = EmbeddingFamily {
    dialect: EmbeddingDialect::CohereV4,
    batch: 96,
    dimensions: &[256, 512, 1024, 1536],
    default_dimension: 1536,
};
const TITAN_V1: EmbeddingFamily =
    EmbeddingFamily { dialect: EmbeddingDialect::TitanV1, batch: 1, dimensions: &[1536], default_dimension: 1536 };
const TITAN_V2: EmbeddingFamily = EmbeddingFamily {
    dialect: EmbeddingDialect::TitanV2,
    batch: 1,
    dimensions: &[256, 512, 1024],
    default_dimension: 1024,
};
const NOVA: EmbeddingFamily = EmbeddingFamily {
    dialect: EmbeddingDialect::Nova,
    batch: 1,
    dimensions: &[256, 384, 1024, 3072],
    default_dimension: 3072,
};

/// Foundation ids (without their `:N` version suffix) and their family.
static FAMILIES: [(&str, &EmbeddingFamily); 6] = [
    ("cohere.embed-english-v3", &COHERE_V3),
    ("cohere.embed-multilingual-v3", &COHERE_V3),
    ("cohere.embed-v4", &COHERE_V4),
    ("amazon.titan-embed-text-v1", &TITAN_V1),
    ("amazon.titan-embed-text-v2", &TITAN_V2),
    ("amazon.nova-2-multimodal-embeddings-v1", &NOVA),
];

/// The family of a foundation model id (`cohere.embed-v4:0` → Cohere v4).
pub fn embedding_family(foundation_id: &str) -> Option<&'static EmbeddingFamily> {
    let base = foundation_id.split(':').next().unwrap_or(foundation_id);
    FAMILIES.iter().find(|(id, _)| *id == base).map(|(_, family)| *family)
}

/// The supported embedding models, for error messages.
pub fn supported_embedding_models() -> String {
    FAMILIES.iter().map(|(id, _)| *id).collect::<Vec<_>>().join(", ")
}

/// Cohere's `input_type`, also mapped onto Nova's `embeddingPurpose`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputType {
    SearchDocument,
    SearchQuery,
    Classification,
    Clustering,
}

impl InputType {
    fn parse(value: Option<&str>) -> Result<Self, TranslateError> {
        match value {
            None | Some("search_document") => Ok(Self::SearchDocument),
            Some("search_query") => Ok(Self::SearchQuery),
            Some("classification") => Ok(Self::Classification),
            Some("clustering") => Ok(Self::Clustering),
            Some(_) => Err(TranslateError::new(
                "input_type must be one of search_document, search_query, classification, clustering",
                "input_type",
            )),
        }
    }

    fn cohere(self) -> &'static str {
        match self {
            Self::SearchDocument => "search_document",
            Self::SearchQuery => "search_query",
            Self::Classification => "classification",
            Self::Clustering => "clustering",
        }
    }

    fn nova(self) -> &'static str {
        match self {
            Self::SearchDocument => "GENERIC_INDEX",
            Self::SearchQuery => "GENERIC_RETRIEVAL",
            Self::Classification => "CLASSIFICATION",
            Self::Clustering => "CLUSTERING",
        }
    }
}

/// A validated embeddings request.
#[derive(Debug, Clone, PartialEq)]
pub struct EmbeddingPlan {
    pub family: &'static EmbeddingFamily,
    /// The inputs as text (token ids decoded with cl100k_base), in request order.
    pub texts: Vec<String>,
    pub dimension: u32,
    pub input_type: InputType,
    pub format: EncodingFormat,
}

/// One InvokeModel call of a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct EmbeddingCall {
    pub body: Vec<u8>,
    /// Index of the call's first text in the plan.
    pub first: usize,
    /// How many texts (and so vectors) the call covers.
    pub count: usize,
}

/// Validates `request` for `family`.
pub fn plan_embeddings(
    request: &EmbeddingRequest,
    family: &'static EmbeddingFamily,
) -> Result<EmbeddingPlan, TranslateError> {
    let input = request.input.as_ref().ok_or_else(|| TranslateError::new("input is required", "input"))?;
    let texts = input_texts(input)?;
    Ok(EmbeddingPlan {
        family,
        texts,
        dimension: dimension(request.dimensions, family)?,
        input_type: InputType::parse(request.input_type.as_deref())?,
        format: request.encoding_format.unwrap_or_default(),
    })
}

fn input_texts(input: &EmbeddingInput) -> Result<Vec<String>, TranslateError> {
    if input.is_empty() {
        return Err(TranslateError::new("input must not be empty", "input"));
    }
    if input.len() > MAX_INPUTS {
        return Err(TranslateError::new(format!("input must have at most {MAX_INPUTS} items"), "input"));
    }
    let texts = match input {
        EmbeddingInput::Text(text) => vec![non_empty(text.clone(), "input")?],
        EmbeddingInput::Texts(texts) => texts
            .iter()
            .enumerate()
            .map(|(i, text)| non_empty(text.clone(), &format!("input[{i}]")))
            .collect::<Result<_, _>>()?,
        EmbeddingInput::Tokens(tokens) => vec![decode(tokens, "input")?],
        EmbeddingInput::TokenLists(lists) => lists
            .iter()
            .enumerate()
            .map(|(i, tokens)| decode(tokens, &format!("input[{i}]")))
            .collect::<Result<_, _>>()?,
    };
    Ok(texts)
}

fn non_empty(text: String, param: &str) -> Result<String, TranslateError> {
    if text.is_empty() {
        return Err(TranslateError::new("input strings must not be empty", param));
    }
    Ok(text)
}

fn decode(tokens: &[u32], param: &str) -> Result<String, TranslateError> {
    if tokens.is_empty() {
        return Err(TranslateError::new("token arrays must not be empty", param));
    }
    let text = decode_tokens(tokens).map_err(|token| {
        TranslateError::new(format!("token id {token} is not in the cl100k_base vocabulary"), param)
    })?;
    non_empty(text, param)
}

fn dimension(requested: Option<u32>, family: &EmbeddingFamily) -> Result<u32, TranslateError> {
    let Some(requested) = requested else {
        return Ok(family.default_dimension);
    };
    if family.dimensions.contains(&requested) {
        return Ok(requested);
    }
    let message = match family.dimensions {
        [fixed] => format!("dimensions {requested} is not supported: this model always returns {fixed} dimensions"),
        allowed => {
            let list: Vec<String> = allowed.iter().map(u32::to_string).collect();
            format!("dimensions {requested} is not supported by this model; use one of {}", list.join(", "))
        }
    };
    Err(TranslateError::new(message, "dimensions"))
}

impl EmbeddingPlan {
    /// The InvokeModel calls, in input order: Cohere in batches, others one text each.
    pub fn calls(&self) -> Vec<EmbeddingCall> {
        let batch = self.family.batch.max(1);
        self.texts
            .chunks(batch)
            .enumerate()
            .map(|(i, chunk)| EmbeddingCall { body: self.body(chunk), first: i * batch, count: chunk.len() })
            .collect()
    }

    fn body(&self, texts: &[String]) -> Vec<u8> {
        let first = texts.first().map_or("", String::as_str);
        let value = match self.family.dialect {
            EmbeddingDialect::CohereV3 => {
                json!({"texts": texts, "input_type": self.input_type.cohere(), "truncate": "END"})
            }
            EmbeddingDialect::CohereV4 => json!({
                "texts": texts,
                "input_type": self.input_type.cohere(),
                "truncate": "RIGHT",
                "embedding_types": ["float"],
                "output_dimension": self.dimension,
            }),
            EmbeddingDialect::TitanV1 => json!({"inputText": first}),
            EmbeddingDialect::TitanV2 => json!({"inputText": first, "dimensions": self.dimension, "normalize": true}),
            EmbeddingDialect::Nova => json!({
                "taskType": "SINGLE_EMBEDDING",
                "singleEmbeddingParams": {
                    "embeddingPurpose": self.input_type.nova(),
                    "embeddingDimension": self.dimension,
                    "text": {"truncationMode": "END", "value": first},
                },
            }),
        };
        serde_json::to_vec(&value).unwrap_or_default()
    }

    /// Tokens of a call's texts estimated with cl100k_base, for models that report none.
    pub fn estimate_tokens(&self, call: &EmbeddingCall) -> u64 {
        self.texts.iter().skip(call.first).take(call.count).map(|t| estimate_tokens(t)).sum()
    }
}

/// Vectors of one InvokeModel answer, and the input tokens if the body reports them.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedEmbeddings {
    pub vectors: Vec<Vec<f32>>,
    pub input_tokens: Option<u64>,
}

/// Parses an InvokeModel answer; `expected` is the number of texts sent.
/// The error is for operators (the client gets a generic upstream error).
pub fn parse_embeddings(dialect: EmbeddingDialect, body: &[u8], expected: usize) -> Result<ParsedEmbeddings, String> {
    let value: Value = serde_json::from_slice(body).map_err(|e| format!("embedding response is not JSON: {e}"))?;
    let (vectors, input_tokens) = match dialect {
        EmbeddingDialect::CohereV3 | EmbeddingDialect::CohereV4 => {
            let embeddings = value.get("embeddings").map(|e| e.get("float").unwrap_or(e));
            (vectors_of(embeddings)?, None)
        }
        EmbeddingDialect::TitanV1 | EmbeddingDialect::TitanV2 => {
            (vec![vector_of(value.get("embedding"))?], value.get("inputTextTokenCount").and_then(Value::as_u64))
        }
        EmbeddingDialect::Nova => (vec![vector_of(value.pointer("/embeddings/0/embedding"))?], None),
    };
    if vectors.len() != expected {
        return Err(format!("expected {expected} embeddings, Bedrock returned {}", vectors.len()));
    }
    Ok(ParsedEmbeddings { vectors, input_tokens })
}

fn vector_of(value: Option<&Value>) -> Result<Vec<f32>, String> {
    let value = value.ok_or("embedding response has no vector")?;
    serde_json::from_value(value.clone()).map_err(|e| format!("embedding vector unreadable: {e}"))
}

fn vectors_of(value: Option<&Value>) -> Result<Vec<Vec<f32>>, String> {
    let value = value.ok_or("embedding response has no vectors")?;
    serde_json::from_value(value.clone()).map_err(|e| format!("embedding vectors unreadable: {e}"))
}

/// The OpenAI response: vectors in input order, as floats or base64 of little-endian `f32`.
pub fn embedding_list(model: String, vectors: Vec<Vec<f32>>, format: EncodingFormat, tokens: u64) -> EmbeddingList {
    let data = vectors
        .into_iter()
        .enumerate()
        .map(|(i, vector)| {
            let vector = match format {
                EncodingFormat::Float => EmbeddingVector::Float(vector),
                EncodingFormat::Base64 => EmbeddingVector::Base64(base64_f32(&vector)),
            };
            Embedding::new(u32::try_from(i).unwrap_or(u32::MAX), vector)
        })
        .collect();
    EmbeddingList::new(model, data, u32::try_from(tokens).unwrap_or(u32::MAX))
}

/// Standard base64 of the vector's little-endian `f32` bytes, as OpenAI sends it.
pub fn base64_f32(vector: &[f32]) -> String {
    let bytes: Vec<u8> = vector.iter().flat_map(|v| v.to_le_bytes()).collect();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// cl100k_base, built once on first use from the vocabulary compiled into `tiktoken-rs`.
static CL100K: LazyLock<Option<CoreBPE>> = LazyLock::new(|| tiktoken_rs::cl100k_base().ok());

/// Decodes cl100k_base token ids (invalid UTF-8 is replaced); `Err(id)` names an unknown id.
pub fn decode_tokens(tokens: &[u32]) -> Result<String, u32> {
    let bpe = CL100K.as_ref().ok_or(tokens.first().copied().unwrap_or(0))?;
    let bytes = bpe.decode_bytes(tokens).map_err(|e| e.token)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// cl100k_base token count of `text` (about chars / 4 if the tokenizer is unavailable).
pub fn estimate_tokens(text: &str) -> u64 {
    match CL100K.as_ref() {
        Some(bpe) => bpe.encode_ordinary(text).len() as u64,
        None => text.chars().count().div_ceil(4) as u64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(body: Value) -> EmbeddingRequest {
        openai::parse_json(body.to_string().as_bytes()).unwrap()
    }

    fn plan_for(model: &str, body: Value) -> Result<EmbeddingPlan, TranslateError> {
        plan_embeddings(&request(body), embedding_family(model).unwrap())
    }

    fn bodies(plan: &EmbeddingPlan) -> Vec<Value> {
        plan.calls().iter().map(|c| serde_json::from_slice(&c.body).unwrap()).collect()
    }

    #[test]
    fn families_from_foundation_ids() {
        assert_eq!(embedding_family("cohere.embed-v4:0").unwrap().dialect, EmbeddingDialect::CohereV4);
        assert_eq!(embedding_family("cohere.embed-english-v3").unwrap().dialect, EmbeddingDialect::CohereV3);
        assert_eq!(embedding_family("cohere.embed-multilingual-v3").unwrap().batch, 96);
        assert_eq!(embedding_family("amazon.titan-embed-text-v1").unwrap().dialect, EmbeddingDialect::TitanV1);
        assert_eq!(embedding_family("amazon.titan-embed-text-v2:0").unwrap().dialect, EmbeddingDialect::TitanV2);
        let nova = embedding_family("amazon.nova-2-multimodal-embeddings-v1:0").unwrap();
        assert_eq!((nova.dialect, nova.default_dimension), (EmbeddingDialect::Nova, 3072));
        assert!(embedding_family("amazon.titan-embed-image-v1").is_none());
        assert!(embedding_family("anthropic.claude-3-haiku-20240307-v1:0").is_none());
        assert!(supported_embedding_models().contains("cohere.embed-v4"));
    }

    #[test]
    fn cohere_v3_body_and_batches_of_96() {
        let texts: Vec<String> = (0..200).map(|i| format!("t{i}")).collect();
        let plan = plan_for("cohere.embed-multilingual-v3", json!({"input": texts})).unwrap();
        let calls = plan.calls();
        assert_eq!(calls.iter().map(|c| (c.first, c.count)).collect::<Vec<_>>(), vec![(0, 96), (96, 96), (192, 8)]);
        let body = &bodies(&plan)[2];
        assert_eq!(
            body,
            &json!({"texts": ["t192","t193","t194","t195","t196","t197","t198","t199"],
                    "input_type": "search_document", "truncate": "END"})
        );
    }

    #[test]
    fn cohere_v4_body_with_dimension_and_input_type() {
        let plan =
            plan_for("cohere.embed-v4:0", json!({"input": "hi", "dimensions": 512, "input_type": "search_query"}))
                .unwrap();
        assert_eq!(
            bodies(&plan),
            vec![json!({"texts": ["hi"], "input_type": "search_query", "truncate": "RIGHT",
                        "embedding_types": ["float"], "output_dimension": 512})]
        );
        let plan = plan_for("cohere.embed-v4:0", json!({"input": "hi"})).unwrap();
        assert_eq!(bodies(&plan)[0]["output_dimension"], 1536);
    }

    #[test]
    fn titan_bodies_one_text_per_call() {
        let plan = plan_for("amazon.titan-embed-text-v2:0", json!({"input": ["a", "b"], "dimensions": 256})).unwrap();
        assert_eq!(
            bodies(&plan),
            vec![
                json!({"inputText": "a", "dimensions": 256, "normalize": true}),
                json!({"inputText": "b", "dimensions": 256, "normalize": true})
            ]
        );
        let plan = plan_for("amazon.titan-embed-text-v1", json!({"input": ["a", "b", "c"]})).unwrap();
        assert_eq!(bodies(&plan)[2], json!({"inputText": "c"}));
        assert_eq!(plan.calls()[2].first, 2);
    }

    #[test]
    fn nova_body() {
        let plan = plan_for(
            "amazon.nova-2-multimodal-embeddings-v1:0",
            json!({"input": "x", "dimensions": 384, "input_type": "classification"}),
        )
        .unwrap();
        assert_eq!(
            bodies(&plan),
            vec![json!({"taskType": "SINGLE_EMBEDDING", "singleEmbeddingParams": {
                "embeddingPurpose": "CLASSIFICATION", "embeddingDimension": 384,
                "text": {"truncationMode": "END", "value": "x"}}})]
        );
        let plan = plan_for("amazon.nova-2-multimodal-embeddings-v1:0", json!({"input": "x"})).unwrap();
        assert_eq!(bodies(&plan)[0]["singleEmbeddingParams"]["embeddingPurpose"], "GENERIC_INDEX");
        assert_eq!(bodies(&plan)[0]["singleEmbeddingParams"]["embeddingDimension"], 3072);
    }

    #[test]
    fn dimensions_are_checked_per_family() {
        let err = plan_for("amazon.titan-embed-text-v2:0", json!({"input": "x", "dimensions": 300})).unwrap_err();
        assert_eq!(err.param.as_deref(), Some("dimensions"));
        assert!(err.message.contains("256, 512, 1024"), "{}", err.message);
        let err =
            plan_for("amazon.nova-2-multimodal-embeddings-v1:0", json!({"input": "x", "dimensions": 512})).unwrap_err();
        assert!(err.message.contains("256, 384, 1024, 3072"), "{}", err.message);
        let err = plan_for("cohere.embed-english-v3", json!({"input": "x", "dimensions": 512})).unwrap_err();
        assert!(err.message.contains("always returns 1024"), "{}", err.message);
        assert!(plan_for("cohere.embed-english-v3", json!({"input": "x", "dimensions": 1024})).is_ok());
        assert!(plan_for("amazon.titan-embed-text-v1", json!({"input": "x", "dimensions": 1536})).is_ok());
    }

    #[test]
    fn inputs_are_validated_with_their_path() {
        let param = |body: Value| plan_for("cohere.embed-v4:0", body).unwrap_err().param.unwrap();
        assert_eq!(param(json!({})), "input");
        assert_eq!(param(json!({"input": []})), "input");
        assert_eq!(param(json!({"input": ""})), "input");
        assert_eq!(param(json!({"input": ["a", "b", "c", ""]})), "input[3]");
        assert_eq!(param(json!({"input": [[1], []]})), "input[1]");
        assert_eq!(param(json!({"input": [[1], [999999]]})), "input[1]");
        assert_eq!(param(json!({"input": vec!["a"; MAX_INPUTS + 1]})), "input");
        assert_eq!(param(json!({"input": "a", "input_type": "image"})), "input_type");
        assert!(plan_for("cohere.embed-v4:0", json!({"input": vec!["a"; MAX_INPUTS]})).is_ok());
    }

    #[test]
    fn token_ids_are_decoded_with_cl100k() {
        let plan = plan_for("cohere.embed-v4:0", json!({"input": [[9906, 1917], [15339]]})).unwrap();
        assert_eq!(plan.texts, vec!["Hello world".to_owned(), "hello".to_owned()]);
        let plan = plan_for("amazon.titan-embed-text-v2:0", json!({"input": [9906, 1917]})).unwrap();
        assert_eq!(plan.texts, vec!["Hello world".to_owned()]);
        assert_eq!(estimate_tokens("Hello world"), 2);
        assert_eq!(decode_tokens(&[100257]).unwrap(), "<|endoftext|>");
        assert_eq!(decode_tokens(&[200000]), Err(200000));
    }

    #[test]
    fn responses_per_dialect() {
        let cohere = br#"{"id":"x","embeddings":[[0.5,1.0],[2.0,3.0]],"response_type":"embeddings_floats"}"#;
        let parsed = parse_embeddings(EmbeddingDialect::CohereV3, cohere, 2).unwrap();
        assert_eq!(parsed.vectors, vec![vec![0.5, 1.0], vec![2.0, 3.0]]);
        let by_type = br#"{"embeddings":{"float":[[0.25]]},"response_type":"embeddings_by_type"}"#;
        assert_eq!(parse_embeddings(EmbeddingDialect::CohereV4, by_type, 1).unwrap().vectors, vec![vec![0.25]]);
        let titan = br#"{"embedding":[1.0,2.0],"inputTextTokenCount":7}"#;
        let parsed = parse_embeddings(EmbeddingDialect::TitanV2, titan, 1).unwrap();
        assert_eq!((parsed.vectors, parsed.input_tokens), (vec![vec![1.0, 2.0]], Some(7)));
        let nova = br#"{"embeddings":[{"embeddingType":"TEXT","embedding":[0.5]}]}"#;
        assert_eq!(parse_embeddings(EmbeddingDialect::Nova, nova, 1).unwrap().vectors, vec![vec![0.5]]);
        assert!(parse_embeddings(EmbeddingDialect::CohereV3, cohere, 3).is_err());
        assert!(parse_embeddings(EmbeddingDialect::TitanV1, b"{}", 1).is_err());
        assert!(parse_embeddings(EmbeddingDialect::Nova, b"nope", 1).is_err());
    }

    #[test]
    fn float_and_base64_output() {
        let list = embedding_list("m".into(), vec![vec![1.0, -2.5]], EncodingFormat::Base64, 4);
        // 1.0f32 = 00 00 80 3f, -2.5f32 = 00 00 20 c0 (little-endian)
        assert_eq!(list.data[0].embedding, EmbeddingVector::Base64("AACAPwAAIMA=".into()));
        assert_eq!((list.usage.prompt_tokens, list.usage.total_tokens), (4, 4));
        let list = embedding_list("m".into(), vec![vec![1.0], vec![2.0]], EncodingFormat::Float, 0);
        assert_eq!(list.data[1].index, 1);
        assert_eq!(list.data[1].embedding, EmbeddingVector::Float(vec![2.0]));
    }

    #[test]
    fn token_estimates_cover_a_calls_texts() {
        let plan = plan_for("amazon.titan-embed-text-v1", json!({"input": ["Hello world", "hello"]})).unwrap();
        let calls = plan.calls();
        assert_eq!(plan.estimate_tokens(&calls[0]), 2);
        assert_eq!(plan.estimate_tokens(&calls[1]), 1);
    }
}
