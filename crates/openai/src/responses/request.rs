//! `POST /responses` request.
//!
//! Like chat, parsing is lenient about unknown fields (the SDKs and Codex send many) and
//! strict about the shapes it reads, with the JSON path of a bad field.

use std::fmt;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::chat::{PassThrough, ReasoningEffort};
use crate::parse::{parse_json, ParseError};

/// A Responses API request.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ResponsesRequest {
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub input: Option<ResponsesInput>,
    #[serde(default)]
    pub instructions: Option<String>,
    #[serde(default)]
    pub tools: Option<Vec<ResponsesTool>>,
    #[serde(default)]
    pub tool_choice: Option<ResponsesToolChoice>,
    #[serde(default)]
    pub parallel_tool_calls: Option<bool>,
    #[serde(default)]
    pub text: Option<TextConfig>,
    #[serde(default)]
    pub reasoning: Option<ReasoningConfig>,
    #[serde(default)]
    pub max_output_tokens: Option<u32>,
    #[serde(default)]
    pub temperature: Option<f32>,
    #[serde(default)]
    pub top_p: Option<f32>,
    #[serde(default)]
    pub metadata: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub stream: Option<bool>,
    #[serde(default)]
    pub store: Option<bool>,
    #[serde(default)]
    pub previous_response_id: Option<String>,
    #[serde(default)]
    pub include: Option<Vec<String>>,
    /// Provider-specific fields (as in chat); filled by [`parse_responses_request`].
    #[serde(skip)]
    pub extra: PassThrough,
}

impl ResponsesRequest {
    /// Whether the response is kept (OpenAI's default: yes).
    pub fn stored(&self) -> bool {
        self.store.unwrap_or(true)
    }

    pub fn streamed(&self) -> bool {
        self.stream.unwrap_or(false)
    }

    /// Whether signed reasoning is returned as `encrypted_content`.
    pub fn includes_encrypted_reasoning(&self) -> bool {
        self.include.iter().flatten().any(|i| i == "reasoning.encrypted_content")
    }

    /// Whether reasoning summaries were asked for (`reasoning.summary`).
    pub fn wants_summary(&self) -> bool {
        self.reasoning.as_ref().and_then(|r| r.summary.as_deref()).is_some_and(|s| s != "none")
    }
}

/// Parses a request with its pass-through fields (top level and literal `extra_body`).
pub fn parse_responses_request(body: &[u8]) -> Result<ResponsesRequest, ParseError> {
    let mut request: ResponsesRequest = parse_json(body)?;
    request.extra = parse_json::<PassThrough>(body)?.merged();
    Ok(request)
}

/// `input`: a string (one user message) or a list of items.
pub type ResponsesInput = TextOrList<InputItem>;

/// One input item. Flat (not a tagged enum) so a bad field keeps its path; which fields a
/// `type` needs is checked by the translation. A missing `type` is a message.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InputItem {
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Messages: text or parts; reasoning items: `reasoning_text` parts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<ItemContent>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arguments: Option<String>,
    /// Function calls: the `namespace` tool group of the function.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<FunctionCallOutput>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<Vec<InputPart>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encrypted_content: Option<String>,
}

/// A function call's output: a string or content parts.
pub type FunctionCallOutput = ItemContent;

/// Content: a string or a list of typed parts.
pub type ItemContent = TextOrList<InputPart>;

/// A string or a list (`input`, `content`, `output`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum TextOrList<T> {
    Text(String),
    List(Vec<T>),
}

// Hand-written so a wrong shape says what is expected and an element error keeps its path.
impl<'de, T: Deserialize<'de>> Deserialize<'de> for TextOrList<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ListVisitor<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for ListVisitor<T> {
            type Value = TextOrList<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or an array")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(TextOrList::Text(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(TextOrList::Text(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut list = Vec::with_capacity(seq.size_hint().unwrap_or(1));
                while let Some(element) = seq.next_element()? {
                    list.push(element);
                }
                Ok(TextOrList::List(list))
            }
        }
        deserializer.deserialize_any(ListVisitor(std::marker::PhantomData))
    }
}

/// A typed content part of an input item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum InputPart {
    InputText {
        text: String,
    },
    /// Assistant text sent back as history.
    OutputText {
        text: String,
    },
    Refusal {
        refusal: String,
    },
    InputImage {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        image_url: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        file_id: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        detail: Option<String>,
    },
    InputFile {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        file_data: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        file_id: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        file_url: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        filename: Option<String>,
    },
    ReasoningText {
        text: String,
    },
    SummaryText {
        text: String,
    },
}

/// An entry of `tools`. Flat so built-in tools (web search…) parse and get a clear 400
/// naming them; `namespace` groups nest function tools.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResponsesTool {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strict: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<ResponsesTool>>,
}

/// `tool_choice`: a mode or `{"type":"function","name":...}`.
#[derive(Debug, Clone, PartialEq)]
pub enum ResponsesToolChoice {
    None,
    Auto,
    Required,
    Function(String),
}

impl ResponsesToolChoice {
    /// The value echoed on the response object.
    pub fn to_value(&self) -> serde_json::Value {
        match self {
            Self::None => "none".into(),
            Self::Auto => "auto".into(),
            Self::Required => "required".into(),
            Self::Function(name) => serde_json::json!({"type": "function", "name": name}),
        }
    }
}

impl<'de> Deserialize<'de> for ResponsesToolChoice {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Mode(String),
            Named {
                #[serde(rename = "type")]
                kind: String,
                #[serde(default)]
                name: Option<String>,
            },
        }
        let expected = "expected \"none\", \"auto\", \"required\" or {\"type\":\"function\",\"name\":...}";
        let raw = Raw::deserialize(deserializer).map_err(|_| de::Error::custom(expected))?;
        match raw {
            Raw::Mode(mode) => match mode.as_str() {
                "none" => Ok(Self::None),
                "auto" => Ok(Self::Auto),
                "required" => Ok(Self::Required),
                _ => Err(de::Error::custom(format!("unknown tool_choice, {expected}"))),
            },
            Raw::Named { kind, name: Some(name) } if kind == "function" => Ok(Self::Function(name)),
            Raw::Named { kind, .. } => {
                Err(de::Error::custom(format!("tool_choice of type `{kind}` is not supported, {expected}")))
            }
        }
    }
}

/// `text`: the output format.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TextConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<TextFormat>,
}

/// `text.format`: like chat's `response_format`, with the schema fields at the top level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TextFormat {
    Text,
    JsonObject,
    JsonSchema {
        name: String,
        #[serde(default)]
        description: Option<String>,
        #[serde(default)]
        schema: Option<serde_json::Value>,
        #[serde(default)]
        strict: Option<bool>,
    },
}

/// `reasoning`: effort (as chat's `reasoning_effort`) and whether summaries are wanted.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReasoningConfig {
    #[serde(default)]
    pub effort: Option<ReasoningEffort>,
    #[serde(default)]
    pub summary: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_input_and_defaults() {
        let req = parse_responses_request(br#"{"model":"m","input":"hi","service_tier":"auto"}"#).unwrap();
        assert_eq!(req.input, Some(TextOrList::Text("hi".into())));
        assert!(req.stored());
        assert!(!req.streamed());
    }

    #[test]
    fn items_of_every_kind() {
        let req = parse_responses_request(
            br#"{"input":[{"role":"user","content":[{"type":"input_text","text":"a"},{"type":"input_image","image_url":"data:x"}]},
                {"type":"function_call","call_id":"c","name":"f","arguments":"{}"},
                {"type":"function_call_output","call_id":"c","output":"r"},
                {"type":"reasoning","id":"rs_1","summary":[{"type":"summary_text","text":"s"}],"encrypted_content":"e"}]}"#,
        )
        .unwrap();
        let Some(TextOrList::List(items)) = req.input else { panic!("items") };
        assert_eq!(items.len(), 4);
        assert_eq!(items[2].output, Some(TextOrList::Text("r".into())));
        assert_eq!(items[3].encrypted_content.as_deref(), Some("e"));
    }

    #[test]
    fn bad_part_has_a_path() {
        let err =
            parse_responses_request(br#"{"input":[{"role":"user","content":[{"type":"input_video"}]}]}"#).unwrap_err();
        assert_eq!(err.param.as_deref(), Some("input[0].content[0].type"));
    }

    #[test]
    fn tool_choice_forms() {
        let parse = |s: &str| serde_json::from_str::<ResponsesToolChoice>(s);
        assert_eq!(parse(r#""required""#).unwrap(), ResponsesToolChoice::Required);
        assert_eq!(parse(r#"{"type":"function","name":"f"}"#).unwrap(), ResponsesToolChoice::Function("f".into()));
        assert!(parse(r#"{"type":"web_search"}"#).unwrap_err().to_string().contains("web_search"));
        assert!(parse(r#""maybe""#).is_err());
    }

    #[test]
    fn text_format_and_reasoning() {
        let req = parse_responses_request(
            br#"{"text":{"format":{"type":"json_schema","name":"P","schema":{"type":"object"}}},
                 "reasoning":{"effort":"high","summary":"auto"},"include":["reasoning.encrypted_content"],"top_k":3}"#,
        )
        .unwrap();
        assert!(matches!(req.text.as_ref().unwrap().format, Some(TextFormat::JsonSchema { .. })));
        assert!(req.wants_summary());
        assert!(req.includes_encrypted_reasoning());
        assert_eq!(req.extra.top_k, Some(3));
    }
}
