//! Function tools, tool choice and tool calls.

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};

/// An entry of `tools`. Only `function` tools exist in chat completions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tool {
    #[serde(rename = "type", default = "function_type")]
    pub kind: String,
    pub function: FunctionDefinition,
}

fn function_type() -> String {
    "function".to_owned()
}

/// A function the model may call. `description` and `parameters` are optional in OpenAI.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionDefinition {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strict: Option<bool>,
}

/// `tool_choice`: `"none" | "auto" | "required"` or `{"type":"function","function":{"name"}}`.
#[derive(Debug, Clone, PartialEq)]
pub enum ToolChoice {
    None,
    Auto,
    Required,
    Function(String),
}

impl<'de> Deserialize<'de> for ToolChoice {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Mode(String),
            Named { function: NamedFunction },
        }
        #[derive(Deserialize)]
        struct NamedFunction {
            name: String,
        }
        let raw = Raw::deserialize(deserializer).map_err(|_| {
            de::Error::custom(
                "expected \"none\", \"auto\", \"required\" or {\"type\":\"function\",\"function\":{\"name\":...}}",
            )
        })?;
        match raw {
            Raw::Mode(mode) => match mode.as_str() {
                "none" => Ok(Self::None),
                "auto" => Ok(Self::Auto),
                "required" | "any" => Ok(Self::Required),
                _ => Err(de::Error::custom("unknown tool_choice, expected \"none\", \"auto\" or \"required\"")),
            },
            Raw::Named { function } => Ok(Self::Function(function.name)),
        }
    }
}

/// A tool call made by the assistant (in responses and in history).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    pub id: String,
    #[serde(rename = "type", default = "function_type")]
    pub kind: String,
    pub function: FunctionCall,
}

/// The function name and its JSON-encoded arguments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionCall {
    pub name: String,
    #[serde(default)]
    pub arguments: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_choice_forms() {
        let parse = |s: &str| serde_json::from_str::<ToolChoice>(s);
        assert_eq!(parse(r#""none""#).unwrap(), ToolChoice::None);
        assert_eq!(parse(r#""auto""#).unwrap(), ToolChoice::Auto);
        assert_eq!(parse(r#""required""#).unwrap(), ToolChoice::Required);
        assert_eq!(parse(r#"{"type":"function","function":{"name":"f"}}"#).unwrap(), ToolChoice::Function("f".into()));
        assert!(parse(r#""sometimes""#).unwrap_err().to_string().contains("unknown tool_choice"));
        assert!(parse(r#"{"type":"function"}"#).is_err());
    }

    #[test]
    fn tool_without_description_or_parameters() {
        let tool: Tool = serde_json::from_str(r#"{"type":"function","function":{"name":"f"}}"#).unwrap();
        assert_eq!(tool.function.description, None);
        assert_eq!(tool.function.parameters, None);
    }
}
