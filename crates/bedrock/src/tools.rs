//! `tools` / `tool_choice` → Converse `toolConfig`.

use aws_sdk_bedrockruntime::types::{
    AnyToolChoice, AutoToolChoice, SpecificToolChoice, Tool as BedrockTool, ToolChoice as BedrockToolChoice,
    ToolConfiguration, ToolInputSchema, ToolSpecification,
};
use openai::{Tool, ToolChoice};
use serde_json::json;

use crate::capabilities::Capabilities;
use crate::document::to_document;
use crate::error::TranslateError;

/// Inputs that decide the tool configuration.
pub struct ToolRequest<'a> {
    /// The tools offered to the model (none when `tool_choice` is `"none"`).
    pub tools: &'a [Tool],
    pub choice: Option<&'a ToolChoice>,
    /// Tools called earlier in the conversation: Bedrock rejects tool blocks without a toolConfig.
    pub history_tool_names: &'a [String],
    pub capabilities: &'a Capabilities,
}

/// Builds the toolConfig, or `None` when no tool is offered and history needs none.
pub fn tool_config(request: &ToolRequest<'_>) -> Result<Option<ToolConfiguration>, TranslateError> {
    let offered = request.tools;
    if !offered.is_empty() && !request.capabilities.tool_use {
        return Err(TranslateError::new("this model does not support tools", "tools"));
    }
    let mut specs = Vec::with_capacity(offered.len() + request.history_tool_names.len());
    for (i, tool) in offered.iter().enumerate() {
        specs.push(tool_spec(tool, i)?);
    }
    // Tools the history used but the request no longer offers: describe them, so Bedrock
    // accepts the toolUse/toolResult blocks.
    for name in request.history_tool_names {
        if !offered.iter().any(|t| &t.function.name == name) {
            specs.push(history_tool_spec(name)?);
        }
    }
    if specs.is_empty() {
        return Ok(None);
    }
    let choice = if request.capabilities.tool_choice && !offered.is_empty() {
        tool_choice(request.choice, offered)?
    } else {
        None
    };
    Ok(Some(ToolConfiguration::builder().set_tools(Some(specs)).set_tool_choice(choice).build()?))
}

fn tool_spec(tool: &Tool, index: usize) -> Result<BedrockTool, TranslateError> {
    if tool.kind != "function" {
        return Err(TranslateError::new("only `function` tools are supported", format!("tools[{index}].type")));
    }
    let function = &tool.function;
    let schema = function.parameters.clone().unwrap_or_else(empty_object_schema);
    if !schema.is_object() {
        return Err(TranslateError::new(
            "function parameters must be a JSON Schema object",
            format!("tools[{index}].function.parameters"),
        ));
    }
    // Bedrock rejects an empty description (Cline sends them); OpenAI allows it.
    let description = function.description.as_deref().filter(|d| !d.trim().is_empty());
    Ok(BedrockTool::ToolSpec(
        ToolSpecification::builder()
            .name(&function.name)
            .set_description(description.map(str::to_owned))
            .input_schema(ToolInputSchema::Json(to_document(&schema)))
            .build()?,
    ))
}

fn history_tool_spec(name: &str) -> Result<BedrockTool, TranslateError> {
    Ok(BedrockTool::ToolSpec(
        ToolSpecification::builder()
            .name(name)
            .input_schema(ToolInputSchema::Json(to_document(&empty_object_schema())))
            .build()?,
    ))
}

fn empty_object_schema() -> serde_json::Value {
    json!({"type": "object", "properties": {}})
}

fn tool_choice(choice: Option<&ToolChoice>, offered: &[Tool]) -> Result<Option<BedrockToolChoice>, TranslateError> {
    Ok(match choice {
        None | Some(ToolChoice::Auto | ToolChoice::None) => {
            Some(BedrockToolChoice::Auto(AutoToolChoice::builder().build()))
        }
        Some(ToolChoice::Required) => Some(BedrockToolChoice::Any(AnyToolChoice::builder().build())),
        Some(ToolChoice::Function(name)) => {
            if !offered.iter().any(|t| &t.function.name == name) {
                return Err(TranslateError::new("tool_choice names a function that is not in `tools`", "tool_choice"));
            }
            Some(BedrockToolChoice::Tool(SpecificToolChoice::builder().name(name).build()?))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capabilities::capabilities_for;

    fn tools(value: serde_json::Value) -> Vec<Tool> {
        serde_json::from_value(value).unwrap()
    }

    fn request<'a>(tools: &'a [Tool], choice: Option<&'a ToolChoice>, caps: &'a Capabilities) -> ToolRequest<'a> {
        ToolRequest { tools, choice, history_tool_names: &[], capabilities: caps }
    }

    fn spec(config: &ToolConfiguration, i: usize) -> &ToolSpecification {
        config.tools()[i].as_tool_spec().unwrap()
    }

    #[test]
    fn optional_description_and_parameters() {
        let caps = capabilities_for("anthropic.claude-3-haiku-20240307-v1:0", None);
        let t = tools(json!([{"type":"function","function":{"name":"a","description":""}},
                             {"type":"function","function":{"name":"b","description":"does b","parameters":{"type":"object"}}}]));
        let config = tool_config(&request(&t, None, &caps)).unwrap().unwrap();
        assert_eq!(spec(&config, 0).description(), None);
        assert_eq!(spec(&config, 1).description(), Some("does b"));
        let ToolInputSchema::Json(schema) = spec(&config, 0).input_schema().unwrap() else { panic!() };
        assert_eq!(crate::document::to_value(schema), empty_object_schema());
        assert!(matches!(config.tool_choice(), Some(BedrockToolChoice::Auto(_))));
    }

    #[test]
    fn choices_map() {
        let caps = capabilities_for("anthropic.claude-3-haiku-20240307-v1:0", None);
        let t = tools(json!([{"type":"function","function":{"name":"f"}}]));
        let required = tool_config(&request(&t, Some(&ToolChoice::Required), &caps)).unwrap().unwrap();
        assert!(matches!(required.tool_choice(), Some(BedrockToolChoice::Any(_))));
        let named = ToolChoice::Function("f".into());
        let forced = tool_config(&request(&t, Some(&named), &caps)).unwrap().unwrap();
        let Some(BedrockToolChoice::Tool(specific)) = forced.tool_choice() else { panic!() };
        assert_eq!(specific.name(), "f");
        let unknown = ToolChoice::Function("g".into());
        assert_eq!(tool_config(&request(&t, Some(&unknown), &caps)).unwrap_err().param.as_deref(), Some("tool_choice"));
    }

    #[test]
    fn no_tools_no_config_and_history_tools_are_described() {
        let caps = capabilities_for("anthropic.claude-3-haiku-20240307-v1:0", None);
        assert_eq!(tool_config(&request(&[], None, &caps)).unwrap(), None);
        let t = tools(json!([{"type":"function","function":{"name":"f"}}]));
        let history = vec!["old".to_owned(), "f".to_owned()];
        let req = ToolRequest { tools: &t, choice: None, history_tool_names: &history, capabilities: &caps };
        let config = tool_config(&req).unwrap().unwrap();
        assert_eq!(config.tools().len(), 2);
        assert_eq!(spec(&config, 1).name(), "old");
    }

    #[test]
    fn llama_gets_no_tool_choice_and_titan_no_tools() {
        let t = tools(json!([{"type":"function","function":{"name":"f"}}]));
        let llama = capabilities_for("us.meta.llama3-1-70b-instruct-v1:0", None);
        assert_eq!(
            tool_config(&request(&t, Some(&ToolChoice::Required), &llama)).unwrap().unwrap().tool_choice(),
            None
        );
        let titan = capabilities_for("amazon.titan-text-express-v1", None);
        assert_eq!(tool_config(&request(&t, None, &titan)).unwrap_err().param.as_deref(), Some("tools"));
    }

    #[test]
    fn non_object_parameters_are_rejected() {
        let caps = capabilities_for("x", None);
        let t = tools(json!([{"type":"function","function":{"name":"f","parameters":"nope"}}]));
        assert_eq!(
            tool_config(&request(&t, None, &caps)).unwrap_err().param.as_deref(),
            Some("tools[0].function.parameters")
        );
    }
}
