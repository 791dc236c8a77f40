//! `POST /chat/completions`: JSON or SSE.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use bedrock::capabilities::capabilities_for;
use bedrock::model_params::{apply_model_params, ModelParams};
use bedrock::response::{CompletionMeta, ResponseOptions};
use bedrock::{
    chat_completion_from_converse, translate_chat_request, ConverseParts, ConverseResult, StreamOptions,
    StreamTranslator, TranslateOptions,
};
use openai::{ChatCompletionRequest, ReasoningFormat};
use rand::RngCore;

use super::read_request;
use crate::error::{ApiError, UpstreamError};
use crate::fetch::{has_remote_images, inline_remote_images};
use crate::models::{requested_model, OutputKind, CHAT_ALIASES};
use crate::routing::{Candidate, Plan};
use crate::sse::{replay_converse, stream_response, Replay, SseTranslator};
use crate::state::AppState;
use crate::upstream::{Bedrock, EventStream};

pub async fn chat_completions(State(state): State<AppState>, request: Request) -> Result<Response, ApiError> {
    let body = read_request(&state, request, "chat").await?;
    let request: ChatCompletionRequest = openai::parse_chat_request(&body).map_err(ApiError::BadBody)?;
    let plan = plan_chat(&state, request.model.as_deref())?;
    let run =
        state.routing.respond(plan, OutputKind::Text, |candidate| answer(&state, &request, ChatTarget::new(candidate)));
    run.await
}

/// One routing attempt: the whole answer from one target.
async fn answer(state: &AppState, request: &ChatCompletionRequest, target: ChatTarget) -> Result<Response, ApiError> {
    let request = with_remote_images(state, request, &target).await?;
    let (parts, meta) = translate(state, &request, &target)?;
    if !request.stream {
        return Ok(Json(complete(state, &target, parts, &meta).await?).into_response());
    }
    let stream_options = StreamOptions {
        include_usage: request.stream_options.as_ref().and_then(|o| o.include_usage).unwrap_or(false),
        reasoning_format: meta.reasoning_format,
        structured_tool: meta.structured_tool.clone(),
    };
    let translator = StreamTranslator::new(meta.id.clone(), meta.model.clone(), meta.created, stream_options);
    if target.can_stream(parts.tool_config.is_some()) {
        let upstream = target.converse_stream(parts).await?;
        Ok(stream_response(upstream, translator, state.config.stream_timing(), state.config.debug))
    } else {
        replay_as_stream(state, &target, parts, meta, translator).await
    }
}

/// The request with its http(s) image URLs fetched, when the target takes images (a copy
/// is made only then: a fallback target may not take images).
pub(crate) async fn with_remote_images<'a>(
    state: &AppState,
    request: &'a ChatCompletionRequest,
    target: &ChatTarget,
) -> Result<Cow<'a, ChatCompletionRequest>, ApiError> {
    if !target.image_input || !has_remote_images(request) {
        return Ok(Cow::Borrowed(request));
    }
    let mut owned = request.clone();
    inline_remote_images(&state.images, &mut owned).await?;
    Ok(Cow::Owned(owned))
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
        model: target.name.clone(),
        reasoning_format: request.extra.reasoning_format.unwrap_or_else(|| state.config.default_reasoning_format()),
        structured_tool: translation.structured_tool,
    };
    Ok((translation.parts, meta))
}

/// The chat model a routing attempt goes to, with what the catalogue knows of it.
pub(crate) struct ChatTarget {
    pub(crate) model_id: String,
    /// Foundation model behind a profile or ARN; `None` when neither catalogue nor id tells.
    pub(crate) foundation_id: Option<String>,
    pub(crate) image_input: bool,
    streaming: bool,
    /// The model name the answer carries.
    pub(crate) name: String,
    bedrock: Bedrock,
    params: Arc<ModelParams>,
}

impl ChatTarget {
    pub(crate) fn new(candidate: Candidate) -> Self {
        let target = candidate.target;
        // Bedrock judges what the catalogue cannot list: assume the common capabilities.
        let (image_input, streaming) = target.entry.as_ref().map_or((true, true), |e| (e.image_input, e.streaming));
        Self {
            model_id: target.model_id,
            foundation_id: target.foundation_id,
            image_input,
            streaming,
            name: candidate.name,
            bedrock: candidate.bedrock,
            params: candidate.params,
        }
    }

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

    /// The call with the operator's parameters for this model applied.
    fn with_params(&self, mut parts: ConverseParts) -> ConverseParts {
        apply_model_params(&mut parts, &self.params);
        parts
    }

    pub(crate) async fn converse(&self, parts: ConverseParts) -> Result<ConverseResult, UpstreamError> {
        self.bedrock.converse(self.with_params(parts)).await
    }

    pub(crate) async fn converse_stream(&self, parts: ConverseParts) -> Result<EventStream, UpstreamError> {
        self.bedrock.converse_stream(self.with_params(parts)).await
    }

    pub(crate) async fn count_tokens(&self, parts: ConverseParts) -> Result<u64, UpstreamError> {
        self.bedrock.count_tokens(parts).await
    }

    /// A model that cannot stream this request: one Converse call replayed as the stream.
    pub(crate) async fn replay<T: SseTranslator>(
        &self,
        state: &AppState,
        parts: ConverseParts,
        translator: T,
        replay: Replay<T>,
    ) -> Result<Response, ApiError> {
        let parts = self.with_params(parts);
        replay_converse(&self.bedrock, parts, translator, replay, state.config.stream_keepalive()).await
    }
}

/// The routing plan for a chat request's model (`gpt-*` and no model: the default model).
pub(crate) fn plan_chat(state: &AppState, model: Option<&str>) -> Result<Plan, ApiError> {
    state.routing.plan(requested_model(model, &state.config.default_model, CHAT_ALIASES))
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

async fn complete(
    state: &AppState,
    target: &ChatTarget,
    parts: ConverseParts,
    meta: &Meta,
) -> Result<openai::ChatCompletion, ApiError> {
    let result = target.converse(parts).await?;
    let completion = chat_completion(&result, meta);
    if state.config.debug {
        tracing::info!(response = ?completion, "chat response");
    }
    Ok(completion)
}

/// Models that cannot stream this request: one Converse call, replayed as chunks.
async fn replay_as_stream(
    state: &AppState,
    target: &ChatTarget,
    parts: ConverseParts,
    meta: Meta,
    translator: StreamTranslator,
) -> Result<Response, ApiError> {
    let replay: Replay<StreamTranslator> = Box::new(move |translator, result, out| {
        translator.replay(&chat_completion(result, &meta), out);
    });
    target.replay(state, parts, translator, replay).await
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
