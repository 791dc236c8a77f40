//! `POST /embeddings`: request and response.

use std::fmt;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

/// An embeddings request. `model` and `input` are optional here so that their absence is
/// reported by the validation that knows the field names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct EmbeddingRequest {
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub input: Option<EmbeddingInput>,
    #[serde(default)]
    pub encoding_format: Option<EncodingFormat>,
    #[serde(default)]
    pub dimensions: Option<u32>,
    /// Extension: Cohere's `input_type` (`search_document`, `search_query`, `classification`,
    /// `clustering`), also mapped onto Nova's `embeddingPurpose`.
    #[serde(default)]
    pub input_type: Option<String>,
    /// Accepted and ignored.
    #[serde(default)]
    pub user: Option<String>,
}

/// What OpenAI accepts as `input`: a string, strings, token ids, or lists of token ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmbeddingInput {
    Text(String),
    Texts(Vec<String>),
    Tokens(Vec<u32>),
    TokenLists(Vec<Vec<u32>>),
}

impl EmbeddingInput {
    /// How many embeddings the request asks for.
    pub fn len(&self) -> usize {
        match self {
            Self::Text(_) | Self::Tokens(_) => 1,
            Self::Texts(texts) => texts.len(),
            Self::TokenLists(lists) => lists.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// `float` (default) or `base64` (little-endian `f32` bytes).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EncodingFormat {
    #[default]
    Float,
    Base64,
}

/// One element of an `input` array.
enum Item {
    Text(String),
    Token(u32),
    Tokens(Vec<u32>),
}

impl<'de> Deserialize<'de> for Item {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ItemVisitor;
        impl<'de> Visitor<'de> for ItemVisitor {
            type Value = Item;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string, a token id or a list of token ids")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Item, E> {
                Ok(Item::Text(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Item, E> {
                Ok(Item::Text(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Item, E> {
                u32::try_from(v).map(Item::Token).map_err(|_| E::custom("token id out of range"))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Item, E> {
                u32::try_from(v).map(Item::Token).map_err(|_| E::custom("token id out of range"))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Item, A::Error> {
                let mut tokens = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                while let Some(token) = seq.next_element::<u32>()? {
                    tokens.push(token);
                }
                Ok(Item::Tokens(tokens))
            }
        }
        deserializer.deserialize_any(ItemVisitor)
    }
}

impl<'de> Deserialize<'de> for EmbeddingInput {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct InputVisitor;
        impl<'de> Visitor<'de> for InputVisitor {
            type Value = EmbeddingInput;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string, an array of strings, an array of token ids or an array of token-id arrays")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<EmbeddingInput, E> {
                Ok(EmbeddingInput::Text(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<EmbeddingInput, E> {
                Ok(EmbeddingInput::Text(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<EmbeddingInput, A::Error> {
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
                while let Some(item) = seq.next_element::<Item>()? {
                    items.push(item);
                }
                collect(items).ok_or_else(|| {
                    de::Error::custom("input must be all strings, all token ids or all arrays of token ids (not a mix)")
                })
            }
        }
        deserializer.deserialize_any(InputVisitor)
    }
}

/// One kind per array; `None` for a mix.
fn collect(items: Vec<Item>) -> Option<EmbeddingInput> {
    let Some(first) = items.first() else {
        return Some(EmbeddingInput::Texts(Vec::new()));
    };
    match first {
        Item::Text(_) => items
            .into_iter()
            .map(|i| if let Item::Text(t) = i { Some(t) } else { None })
            .collect::<Option<_>>()
            .map(EmbeddingInput::Texts),
        Item::Token(_) => items
            .into_iter()
            .map(|i| if let Item::Token(t) = i { Some(t) } else { None })
            .collect::<Option<_>>()
            .map(EmbeddingInput::Tokens),
        Item::Tokens(_) => items
            .into_iter()
            .map(|i| if let Item::Tokens(t) = i { Some(t) } else { None })
            .collect::<Option<_>>()
            .map(EmbeddingInput::TokenLists),
    }
}

/// The response: `{"object":"list","data":[...],"model":...,"usage":{...}}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EmbeddingList {
    pub object: &'static str,
    pub data: Vec<Embedding>,
    pub model: String,
    pub usage: EmbeddingUsage,
}

impl EmbeddingList {
    pub fn new(model: String, data: Vec<Embedding>, prompt_tokens: u32) -> Self {
        Self { object: "list", data, model, usage: EmbeddingUsage { prompt_tokens, total_tokens: prompt_tokens } }
    }
}

/// One embedding: `{"object":"embedding","index":i,"embedding":[...] | "base64"}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Embedding {
    pub object: &'static str,
    pub index: u32,
    pub embedding: EmbeddingVector,
}

impl Embedding {
    pub fn new(index: u32, embedding: EmbeddingVector) -> Self {
        Self { object: "embedding", index, embedding }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum EmbeddingVector {
    Float(Vec<f32>),
    Base64(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct EmbeddingUsage {
    pub prompt_tokens: u32,
    pub total_tokens: u32,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_json;

    fn input(json: &str) -> Result<EmbeddingInput, crate::ParseError> {
        parse_json::<EmbeddingRequest>(format!(r#"{{"input":{json}}}"#).as_bytes()).map(|r| r.input.unwrap())
    }

    #[test]
    fn every_input_shape() {
        assert_eq!(input(r#""hi""#).unwrap(), EmbeddingInput::Text("hi".into()));
        assert_eq!(input(r#"["a","b"]"#).unwrap(), EmbeddingInput::Texts(vec!["a".into(), "b".into()]));
        assert_eq!(input("[1,2]").unwrap(), EmbeddingInput::Tokens(vec![1, 2]));
        assert_eq!(input("[[1],[2,3]]").unwrap(), EmbeddingInput::TokenLists(vec![vec![1], vec![2, 3]]));
        assert_eq!(input("[]").unwrap(), EmbeddingInput::Texts(vec![]));
        assert!(input("[]").unwrap().is_empty());
        assert_eq!(input("[[1],[2,3]]").unwrap().len(), 2);
    }

    #[test]
    fn bad_inputs_name_their_path() {
        let err = input(r#"["a",{"x":1}]"#).unwrap_err();
        assert_eq!(err.param.as_deref(), Some("input[1]"));
        let err = input(r#"[[1],[2,"x"]]"#).unwrap_err();
        assert_eq!(err.param.as_deref(), Some("input[1][1]"));
        let err = input(r#"["a",1]"#).unwrap_err();
        assert_eq!(err.param.as_deref(), Some("input"));
        assert!(err.message.contains("not a mix"), "{}", err.message);
        let err = input("[-1]").unwrap_err();
        assert_eq!(err.param.as_deref(), Some("input[0]"));
        assert!(input("5").is_err());
    }

    #[test]
    fn request_fields() {
        let body = br#"{"model":"m","input":"x","encoding_format":"base64","dimensions":256,"user":"u","input_type":"search_query","extra":1}"#;
        let request: EmbeddingRequest = parse_json(body).unwrap();
        assert_eq!(request.encoding_format, Some(EncodingFormat::Base64));
        assert_eq!(request.dimensions, Some(256));
        assert_eq!(request.input_type.as_deref(), Some("search_query"));
        let err = parse_json::<EmbeddingRequest>(br#"{"input":"x","encoding_format":"int8"}"#).unwrap_err();
        assert_eq!(err.param.as_deref(), Some("encoding_format"));
        let request: EmbeddingRequest = parse_json(br#"{"input":"x","encoding_format":null}"#).unwrap();
        assert_eq!(request.encoding_format, None);
    }

    #[test]
    fn response_is_openai_shaped() {
        let list = EmbeddingList::new(
            "m".into(),
            vec![
                Embedding::new(0, EmbeddingVector::Float(vec![0.5, -1.0])),
                Embedding::new(1, EmbeddingVector::Base64("AAAA".into())),
            ],
            3,
        );
        assert_eq!(
            serde_json::to_string(&list).unwrap(),
            r#"{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.5,-1.0]},{"object":"embedding","index":1,"embedding":"AAAA"}],"model":"m","usage":{"prompt_tokens":3,"total_tokens":3}}"#
        );
    }
}
