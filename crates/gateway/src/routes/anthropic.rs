//! The Anthropic Messages face: `POST /messages` (JSON or SSE) and
//! `POST /messages/count_tokens`, answering errors in Anthropic's shape.

use anthropic::{CountTokensResponse, MessagesRequest};
use aws_sdk_bedrockruntime::types::ConverseStreamOutput;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{middleware, Json, Router};
use bedrock::anthropic::request::{count_tokens_supported, MaxTokens};
use bedrock::anthropic::MessagesStreamTranslator;
use bedrock::anthropic::{message_from_converse, messages_plan, translate_messages_plan, MessageMeta};
use bedrock::ConverseParts;

use super::chat::{plan_chat, random_id, ChatTarget};
use super::read_request;
use crate::anthropic_error::{error_detail, AnthropicError};
use crate::error::ApiError;
use crate::fetch::inline_remote_images;
use crate::models::anthropic_names::bedrock_id_for;
use crate::models::OutputKind;
use crate::routing::{Candidate, Plan};
use crate::sse::{stream_response, Replay, SseTranslator};
use crate::state::AppState;

/// The face's routes, behind the same key check answering in Anthropic's shape.
pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/messages", post(messages))
        .route("/messages/count_tokens", post(count_tokens))
        .method_not_allowed_fallback(method_not_allowed)
        .route_layer(middleware::from_fn_with_state(state.clone(), crate::teams::enforce_anthropic))
        .route_layer(middleware::from_fn_with_state(state, crate::auth::require_api_key_anthropic))
}

async fn method_not_allowed() -> AnthropicError {
    AnthropicError(ApiError::MethodNotAllowed)
}

async fn messages(State(state): State<AppState>, request: Request) -> Result<Response, AnthropicError> {
    let body = read_request(&state, request, "messages").await?;
    let request: MessagesRequest = openai::parse_json(&body).map_err(ApiError::BadBody)?;
    let (plan, asked) = plan(&state, request.model.as_deref())?;
    let run = state.routing.respond(plan, OutputKind::Text, |candidate| answer(&state, &request, &asked, candidate));
    Ok(run.await?)
}

/// One routing attempt: the whole answer from one target.
async fn answer(
    state: &AppState,
    request: &MessagesRequest,
    asked: &str,
    candidate: Candidate,
) -> Result<Response, ApiError> {
    let target = ChatTarget::new(candidate);
    let model = answer_model(&target, asked);
    let parts = converse_parts(state, request, &target, MaxTokens::Required).await?;
    let stop_sequences = request.stop_sequences.clone().unwrap_or_default();
    let id = random_id("msg_");
    if !request.stream {
        let meta = MessageMeta { id: &id, model: &model, stop_sequences: &stop_sequences };
        let result = target.converse(parts).await?;
        return Ok(Json(message_from_converse(&result, meta)).into_response());
    }
    let translator = MessagesStreamTranslator::new(id.clone(), model.clone(), stop_sequences.clone());
    if target.can_stream(parts.tool_config.is_some()) {
        let upstream = target.converse_stream(parts).await?;
        return Ok(stream_response(upstream, translator, state.config.stream_timing(), state.config.debug));
    }
    // Models that cannot stream this request: one Converse call, sent as the same events.
    let replay: Replay<MessagesStreamTranslator> = Box::new(move |translator, result, out| {
        let meta = MessageMeta { id: &id, model: &model, stop_sequences: &stop_sequences };
        translator.replay(&message_from_converse(result, meta), out);
    });
    target.replay(state, parts, translator, replay).await
}

/// The client's own model name, unless a name of the configuration file answered (a
/// fallback's name tells the client who really answered).
fn answer_model(target: &ChatTarget, asked: &str) -> String {
    match target.name == target.model_id {
        true => asked.to_owned(),
        false => target.name.clone(),
    }
}

async fn count_tokens(State(state): State<AppState>, request: Request) -> Result<Response, AnthropicError> {
    let body = read_request(&state, request, "count_tokens").await?;
    let request: MessagesRequest = openai::parse_json(&body).map_err(ApiError::BadBody)?;
    let (plan, asked) = plan(&state, request.model.as_deref())?;
    let run = state.routing.run(plan, OutputKind::Text, |candidate| count(&state, &request, &asked, candidate));
    Ok(Json(CountTokensResponse { input_tokens: run.await?.0 }).into_response())
}

async fn count(
    state: &AppState,
    request: &MessagesRequest,
    asked: &str,
    candidate: Candidate,
) -> Result<u64, ApiError> {
    let target = ChatTarget::new(candidate);
    if !count_tokens_supported(&target.model_id, target.foundation_id.as_deref()) {
        let message = format!(
            "token counting is not available for `{asked}`: Amazon Bedrock's CountTokens API serves Anthropic Claude models"
        );
        return Err(bedrock::TranslateError::new(message, "model").into());
    }
    let mut parts = converse_parts(state, request, &target, MaxTokens::Absent).await?;
    // CountTokens takes the bare foundation model, not an inference profile.
    if let Some(foundation_id) = &target.foundation_id {
        parts.model_id.clone_from(foundation_id);
    }
    Ok(target.count_tokens(parts).await?)
}

/// The routing plan, and the name the client asked for: a name of the configuration file,
/// an Anthropic model name (`claude-sonnet-4-5`, mapped to its Bedrock id) or a Bedrock id.
fn plan(state: &AppState, model: Option<&str>) -> Result<(Plan, String), ApiError> {
    let name = model.map(str::trim).filter(|m| !m.is_empty()).unwrap_or(&state.config.default_model);
    if state.routing.table().group(name).is_some() {
        return Ok((state.routing.plan(name)?, name.to_owned()));
    }
    let index = state.catalog.snapshot();
    let bedrock_id = bedrock_id_for(name, index.entries()).unwrap_or(name);
    Ok((plan_chat(state, Some(bedrock_id))?, name.to_owned()))
}

/// Translation, with remote images fetched between its two pure steps.
async fn converse_parts(
    state: &AppState,
    request: &MessagesRequest,
    target: &ChatTarget,
    max_tokens: MaxTokens,
) -> Result<ConverseParts, ApiError> {
    let guardrail = state.config.guardrail();
    let options = target.translate_options(state, guardrail.as_ref());
    let mut plan = messages_plan(request, &options, max_tokens)?;
    if target.image_input {
        inline_remote_images(&state.images, &mut plan.chat).await?;
    }
    Ok(translate_messages_plan(&plan, &options)?)
}

/// Anthropic's keep-alive is a `ping` event, not an SSE comment.
const PING: &[u8] = b"event: ping\ndata: {\"type\": \"ping\"}\n\n";

impl SseTranslator for MessagesStreamTranslator {
    fn on_event(&mut self, event: &ConverseStreamOutput, out: &mut Vec<u8>) {
        MessagesStreamTranslator::on_event(self, event, out);
    }

    fn on_end(&mut self, out: &mut Vec<u8>) {
        MessagesStreamTranslator::on_end(self, out);
    }

    fn on_error(&mut self, error: &ApiError, out: &mut Vec<u8>) {
        MessagesStreamTranslator::on_error(self, error_detail(error), out);
    }

    fn keep_alive(&self) -> &'static [u8] {
        PING
    }
}
