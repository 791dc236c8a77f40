//! `POST /chat/completions`: JSON or SSE.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use bedrock::capabilities::capabilities_for;
use bedrock::response::{CompletionMeta, ResponseOptions};
use bedrock::{
    chat_completion_from_converse, translate_chat_request, ConverseParts, ConverseResult, StreamOptions,
    StreamTranslator, TranslateOptions,
};
use openai::{ChatCompletionRequest, ReasoningFormat};
use rand::RngCore;

use super::read_request;
use crate::error::ApiError;
use crate::fetch::inline_remote_images;
use crate::models::{requested_model, OutputKind, CHAT_ALIASES};
use crate::sse::{replay_converse, stream_response, Replay};
use crate::state::AppState;

pub async fn chat_completions(State(state): State<AppState>, request: Request) -> Result<Response, ApiError> {
    let body = read_request(&state, request, "chat").await?;
    let mut request: ChatCompletionRequest = openai::parse_chat_request(&body).map_err(ApiError::BadBody)?;
    let target = resolve_chat_model(&state, request.model.as_deref()).await?;
    if target.image_input {
        inline_remote_images(&state.images, &mut request).await?;
    }
    let (parts, meta) = translate(&state, &request, &target)?;
    if !request.stream {
        return Ok(Json(complete(&state, parts, &meta).await?).into_response());
    }
    let stream_options = StreamOptions {
        include_usage: request.stream_options.as_ref().and_then(|o| o.include_usage).unwrap_or(false),
        reasoning_format: meta.reasoning_format,
        structured_tool: meta.structured_tool.clone(),
    };
    let translator = StreamTranslator::new(meta.id.clone(), meta.model.clone(), meta.created, stream_options);
    if target.can_stream(parts.tool_config.is_some()) {
        let upstream = state.bedrock.converse_stream(parts).await?;
        Ok(stream_response(upstream, translator, state.config.stream_timing(), state.config.debug))
    } else {
        replay_as_stream(&state, parts, meta, translator).await
    }
}

/// The pure part: request → Converse parts, and how the answer must be shaped.
fn translate(
    state: &AppState,
    request: &ChatCompletionRequest,
    target: &ChatTarget,
) -> Result<(ConverseParts, Meta), ApiError> {
    let guardrail = state.config.guardrail();
    let options = target.translate_options(state, guardrail.as_ref());
    let translation = translate_chat_request(request, &options)?;
    let meta = Meta {
        id: completion_id(),
        created: unix_now(),
        model: target.model_id.clone(),
        reasoning_format: request.extra.reasoning_format.unwrap_or_else(|| state.config.default_reasoning_format()),
        structured_tool: translation.structured_tool,
    };
    Ok((translation.parts, meta))
}

/// The chat model a request resolves to, with what the catalogue knows of it.
pub(crate) struct ChatTarget {
    pub(crate) model_id: String,
    /// Foundation model behind a profile or ARN; `None` when neither catalogue nor id tells.
    pub(crate) foundation_id: Option<String>,
    pub(crate) image_input: bool,
    streaming: bool,
}

impl ChatTarget {
    /// What the catalogue and the operator's settings say about a request to this model.
    pub(crate) fn translate_options<'a>(
        &'a self,
        state: &AppState,
        guardrail: Option<&'a bedrock::Guardrail>,
    ) -> TranslateOptions<'a> {
        TranslateOptions {
            model_id: &self.model_id,
            foundation_id: self.foundation_id.as_deref(),
            image_input: self.image_input,
            prompt_caching: state.config.enable_prompt_caching,
            guardrail,
        }
    }

    /// Whether ConverseStream can serve the request (some models cannot stream with tools).
    pub(crate) fn can_stream(&self, with_tools: bool) -> bool {
        self.streaming
            && (!with_tools || capabilities_for(&self.model_id, self.foundation_id.as_deref()).stream_tool_use)
    }
}

pub(crate) async fn resolve_chat_model(state: &AppState, model: Option<&str>) -> Result<ChatTarget, ApiError> {
    let model = requested_model(model, &state.config.default_model, CHAT_ALIASES);
    let target = state.catalog.resolve_for(model, OutputKind::Text).await?;
    // Bedrock judges what the catalogue cannot list: assume the common capabilities.
    let (image_input, streaming) = target.entry.as_ref().map_or((true, true), |e| (e.image_input, e.streaming));
    Ok(ChatTarget { model_id: target.model_id, foundation_id: target.foundation_id, image_input, streaming })
}

fn chat_completion(result: &ConverseResult, meta: &Meta) -> openai::ChatCompletion {
    let identity = CompletionMeta { id: &meta.id, created: meta.created, model: &meta.model };
    let shape =
        ResponseOptions { reasoning_format: meta.reasoning_format, structured_tool: meta.structured_tool.as_deref() };
    chat_completion_from_converse(result, identity, shape)
}

/// Identity and shape of the answer.
struct Meta {
    id: String,
    created: u64,
    model: String,
    reasoning_format: ReasoningFormat,
    structured_tool: Option<String>,
}

async fn complete(state: &AppState, parts: ConverseParts, meta: &Meta) -> Result<openai::ChatCompletion, ApiError> {
    let result = state.bedrock.converse(parts).await?;
    let completion = chat_completion(&result, meta);
    if state.config.debug {
        tracing::info!(response = ?completion, "chat response");
    }
    Ok(completion)
}

/// Models that cannot stream this request: one Converse call, replayed as chunks.
async fn replay_as_stream(
    state: &AppState,
    parts: ConverseParts,
    meta: Meta,
    translator: StreamTranslator,
) -> Result<Response, ApiError> {
    let replay: Replay<StreamTranslator> = Box::new(move |translator, result, out| {
        translator.replay(&chat_completion(result, &meta), out);
    });
    replay_converse(&state.bedrock, parts, translator, replay, state.config.stream_keepalive()).await
}

/// `chatcmpl-` and 128 random bits in hex.
fn completion_id() -> String {
    random_id("chatcmpl-")
}

/// `prefix` and 128 random bits in hex.
pub(crate) fn random_id(prefix: &str) -> String {
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    let mut id = String::with_capacity(prefix.len() + 32);
    id.push_str(prefix);
    for b in bytes {
        id.push(char::from(HEX[usize::from(b >> 4)]));
        id.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    id
}

const HEX: &[u8; 16] = b"0123456789abcdef";

pub(crate) fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_long_and_random() {
        let a = completion_id();
        let b = completion_id();
        assert_ne!(a, b);
        assert_eq!(a.len(), "chatcmpl-".len() + 32);
        assert!(a["chatcmpl-".len()..].chars().all(|c| c.is_ascii_hexdigit()));
    }
}
