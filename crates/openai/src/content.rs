//! Message content: a plain string or a list of typed parts.

use std::fmt;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

/// The `content` of a message: OpenAI accepts a string or an array of parts.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum MessageContent {
    Text(String),
    Parts(Vec<ContentPart>),
}

impl MessageContent {
    /// The text parts joined with newlines (images and files are skipped).
    pub fn joined_text(&self) -> String {
        match self {
            Self::Text(text) => text.clone(),
            Self::Parts(parts) => parts
                .iter()
                .filter_map(|part| match part {
                    ContentPart::Text { text, .. } => Some(text.as_str()),
                    _ => None,
                })
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }
}

// Hand-written so a wrong shape says what is expected instead of serde's
// "did not match any variant of untagged enum".
impl<'de> Deserialize<'de> for MessageContent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ContentVisitor;
        impl<'de> Visitor<'de> for ContentVisitor {
            type Value = MessageContent;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or an array of content parts")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(MessageContent::Text(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(MessageContent::Text(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut parts = Vec::with_capacity(seq.size_hint().unwrap_or(1));
                while let Some(part) = seq.next_element()? {
                    parts.push(part);
                }
                Ok(MessageContent::Parts(parts))
            }
        }
        deserializer.deserialize_any(ContentVisitor)
    }
}

/// One typed part of a message's content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentPart {
    Text {
        text: String,
        /// Anthropic-style cache marker some clients (Roo Code, Cursor) send.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cache_control: Option<serde_json::Value>,
    },
    ImageUrl {
        image_url: ImageUrl,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cache_control: Option<serde_json::Value>,
    },
    File {
        file: FilePart,
    },
    /// A refusal echoed back in assistant history.
    Refusal {
        refusal: String,
    },
}

/// `image_url` part payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageUrl {
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// `file` part payload (base64 data URL in `file_data`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FilePart {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_data: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_and_parts_both_parse() {
        let text: MessageContent = serde_json::from_str(r#""hello""#).unwrap();
        assert_eq!(text, MessageContent::Text("hello".into()));
        let parts: MessageContent =
            serde_json::from_str(r#"[{"type":"text","text":"a"},{"type":"image_url","image_url":{"url":"data:x"}}]"#)
                .unwrap();
        let MessageContent::Parts(parts) = parts else { panic!("parts expected") };
        assert_eq!(parts.len(), 2);
    }

    #[test]
    fn wrong_shape_says_what_is_expected() {
        let err = serde_json::from_str::<MessageContent>("42").unwrap_err();
        assert!(err.to_string().contains("a string or an array of content parts"));
    }

    #[test]
    fn unknown_part_type_is_named() {
        let err = serde_json::from_str::<MessageContent>(r#"[{"type":"input_audio","input_audio":{}}]"#).unwrap_err();
        assert!(err.to_string().contains("input_audio"), "{err}");
    }

    #[test]
    fn joined_text_skips_images() {
        let content = MessageContent::Parts(vec![
            ContentPart::Text { text: "a".into(), cache_control: None },
            ContentPart::ImageUrl { image_url: ImageUrl { url: "u".into(), detail: None }, cache_control: None },
            ContentPart::Text { text: "b".into(), cache_control: None },
        ]);
        assert_eq!(content.joined_text(), "a\nb");
    }
}
