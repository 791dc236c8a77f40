//! A whole chat request → the parts of a Converse / ConverseStream call.

use aws_sdk_bedrockruntime::types::{InferenceConfiguration, Message, SystemContentBlock, ToolConfiguration};
use aws_smithy_types::Document;
use openai::{ChatCompletionRequest, ContentPart, MessageContent};

use crate::capabilities::capabilities_for;
use crate::error::TranslateError;
use crate::inference::inference_config;
use crate::messages::translate_messages;
use crate::tools::{tool_config, ToolRequest};

/// What the model catalogue knows about the target model.
#[derive(Debug, Clone, Copy)]
pub struct TranslateOptions<'a> {
    /// The id sent to Bedrock: foundation id, profile id or ARN.
    pub model_id: &'a str,
    /// Foundation model behind an opaque ARN (application profile, provisioned model).
    pub foundation_id: Option<&'a str>,
    /// Whether the model takes image input (ListFoundationModels `inputModalities`).
    pub image_input: bool,
}

/// Everything a Converse call needs, as SDK model types; copied onto either builder.
#[derive(Debug, Clone, PartialEq)]
pub struct ConverseParts {
    pub model_id: String,
    pub system: Vec<SystemContentBlock>,
    pub messages: Vec<Message>,
    pub inference_config: Option<InferenceConfiguration>,
    pub tool_config: Option<ToolConfiguration>,
    pub additional_model_request_fields: Option<Document>,
}

/// Translates a chat completion request.
pub fn translate_chat_request(
    request: &ChatCompletionRequest,
    options: &TranslateOptions<'_>,
) -> Result<ConverseParts, TranslateError> {
    if request.n.is_some_and(|n| n > 1) {
        return Err(TranslateError::new("n > 1 is not supported: Bedrock returns one choice per request", "n"));
    }
    if !options.image_input {
        reject_images(request)?;
    }
    let capabilities = capabilities_for(options.model_id, options.foundation_id);
    let conversation = translate_messages(&request.messages, !capabilities.system_prompt)?;
    let tool_request = ToolRequest {
        tools: request.tools.as_deref().unwrap_or_default(),
        choice: request.tool_choice.as_ref(),
        history_tool_names: &conversation.history_tool_names,
        capabilities: &capabilities,
    };
    Ok(ConverseParts {
        model_id: options.model_id.to_owned(),
        system: conversation.system,
        messages: conversation.messages,
        inference_config: inference_config(request, &capabilities)?,
        tool_config: tool_config(&tool_request)?,
        additional_model_request_fields: None,
    })
}

fn reject_images(request: &ChatCompletionRequest) -> Result<(), TranslateError> {
    for (i, message) in request.messages.iter().enumerate() {
        let Some(MessageContent::Parts(parts)) = &message.content else {
            continue;
        };
        if let Some(j) = parts.iter().position(|p| matches!(p, ContentPart::ImageUrl { .. })) {
            return Err(TranslateError::new(
                "this model does not accept image input",
                format!("messages[{i}].content[{j}]"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request(value: serde_json::Value) -> ChatCompletionRequest {
        serde_json::from_value(value).unwrap()
    }

    const OPTIONS: TranslateOptions<'static> =
        TranslateOptions { model_id: "anthropic.claude-3-haiku-20240307-v1:0", foundation_id: None, image_input: true };

    #[test]
    fn full_request_translates() {
        let parts = translate_chat_request(
            &request(json!({
                "model": "x",
                "messages": [{"role":"system","content":"s"},{"role":"user","content":"hi"}],
                "max_tokens": 5,
                "tools": [{"type":"function","function":{"name":"f"}}]
            })),
            &OPTIONS,
        )
        .unwrap();
        assert_eq!(parts.model_id, OPTIONS.model_id);
        assert_eq!(parts.system.len(), 1);
        assert_eq!(parts.messages.len(), 1);
        assert_eq!(parts.inference_config.unwrap().max_tokens(), Some(5));
        assert_eq!(parts.tool_config.unwrap().tools().len(), 1);
    }

    #[test]
    fn n_above_one_is_rejected() {
        let err = translate_chat_request(&request(json!({"messages":[{"role":"user","content":"x"}],"n":2})), &OPTIONS)
            .unwrap_err();
        assert_eq!(err.param.as_deref(), Some("n"));
        assert!(translate_chat_request(&request(json!({"messages":[{"role":"user","content":"x"}],"n":1})), &OPTIONS)
            .is_ok());
    }

    #[test]
    fn images_need_an_image_model() {
        let req = request(json!({"messages":[{"role":"user","content":[
            {"type":"text","text":"what is this"},
            {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}}]}]}));
        let text_only = TranslateOptions { image_input: false, ..OPTIONS };
        let err = translate_chat_request(&req, &text_only).unwrap_err();
        assert_eq!(err.param.as_deref(), Some("messages[0].content[1]"));
        assert!(translate_chat_request(&req, &OPTIONS).is_ok());
    }
}
