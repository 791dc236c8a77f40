//! `response_format` (`json_object`, `json_schema`) through a forced tool: the model fills
//! the tool's input, and that input is returned as the message content.

use openai::{FunctionDefinition, ResponseFormat, Tool};
use serde_json::{json, Value};

use crate::error::TranslateError;

/// The tool name used for `json_object`.
pub const JSON_OBJECT_TOOL: &str = "json_response";

/// A tool standing for the requested output format.
#[derive(Debug, Clone, PartialEq)]
pub struct StructuredOutput {
    pub tool: Tool,
}

impl StructuredOutput {
    pub fn tool_name(&self) -> &str {
        &self.tool.function.name
    }
}

/// The tool for a response format, or `None` for plain text.
pub fn structured_output(format: Option<&ResponseFormat>) -> Result<Option<StructuredOutput>, TranslateError> {
    let (name, description, schema) = match format {
        None | Some(ResponseFormat::Text) => return Ok(None),
        Some(ResponseFormat::JsonObject) => (
            JSON_OBJECT_TOOL.to_owned(),
            "Respond with a JSON object by calling this tool with it as the input.".to_owned(),
            json!({"type": "object"}),
        ),
        Some(ResponseFormat::JsonSchema { json_schema }) => {
            let schema = json_schema.schema.clone().unwrap_or_else(|| json!({"type": "object"}));
            if schema.get("type").and_then(Value::as_str).is_some_and(|t| t != "object") {
                return Err(TranslateError::new(
                    "json_schema schemas must describe an object (\"type\": \"object\")",
                    "response_format.json_schema.schema",
                ));
            }
            let description = json_schema.description.clone().unwrap_or_else(|| {
                format!("Respond with the {} object by calling this tool with it as the input.", json_schema.name)
            });
            (tool_name(&json_schema.name), description, schema)
        }
    };
    Ok(Some(StructuredOutput {
        tool: Tool {
            kind: "function".to_owned(),
            function: FunctionDefinition {
                name,
                description: Some(description),
                parameters: Some(schema),
                strict: None,
            },
        },
    }))
}

/// Bedrock tool names allow `[a-zA-Z0-9_-]{1,64}`.
fn tool_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '-' { c } else { '_' })
        .take(64)
        .collect();
    if cleaned.is_empty() {
        JSON_OBJECT_TOOL.to_owned()
    } else {
        cleaned
    }
}

/// For models without tool use: the instruction that asks for JSON instead.
pub fn json_instruction(format: &StructuredOutput) -> String {
    let schema = format.tool.function.parameters.clone().unwrap_or_else(|| json!({"type": "object"}));
    format!("Respond only with a JSON object, without any other text, that matches this JSON Schema: {schema}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use openai::JsonSchemaFormat;

    #[test]
    fn json_schema_becomes_a_named_tool() {
        let format = ResponseFormat::JsonSchema {
            json_schema: JsonSchemaFormat {
                name: "Person info".into(),
                description: None,
                schema: Some(json!({"type": "object", "properties": {"name": {"type": "string"}}})),
                strict: Some(true),
            },
        };
        let output = structured_output(Some(&format)).unwrap().unwrap();
        assert_eq!(output.tool_name(), "Person_info");
        assert_eq!(output.tool.function.parameters.as_ref().unwrap()["properties"]["name"]["type"], "string");
    }

    #[test]
    fn json_object_and_text() {
        let output = structured_output(Some(&ResponseFormat::JsonObject)).unwrap().unwrap();
        assert_eq!(output.tool_name(), JSON_OBJECT_TOOL);
        assert_eq!(structured_output(Some(&ResponseFormat::Text)).unwrap(), None);
        assert_eq!(structured_output(None).unwrap(), None);
        assert!(json_instruction(&output).contains("JSON Schema"));
    }

    #[test]
    fn non_object_schemas_are_rejected() {
        let format = ResponseFormat::JsonSchema {
            json_schema: JsonSchemaFormat {
                name: "list".into(),
                description: None,
                schema: Some(json!({"type": "array"})),
                strict: None,
            },
        };
        let err = structured_output(Some(&format)).unwrap_err();
        assert_eq!(err.param.as_deref(), Some("response_format.json_schema.schema"));
    }
}
