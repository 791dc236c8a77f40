//! Legacy `POST /completions`: each prompt is one Converse call (several prompts are
//! answered concurrently, a few at a time), JSON or SSE `text_completion` chunks.

use aws_sdk_bedrockruntime::types::ConverseStreamOutput;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use bedrock::completions::{
    chat_request, completion_from_converse, prompts, CompletionMeta, CompletionStreamTranslator,
};
use bedrock::{translate_chat_request, ConverseParts, ConverseResult};
use futures::{StreamExt as _, TryStreamExt as _};
use openai::CompletionRequest;

use super::chat::{random_id, resolve_chat_model, unix_now};
use super::read_request;
use crate::error::ApiError;
use crate::sse::{replay_converse, stream_response, Replay, SseTranslator};
use crate::state::AppState;

/// Bedrock calls in flight for one request with several prompts.
const PROMPT_CONCURRENCY: usize = 4;

pub async fn completions(State(state): State<AppState>, request: Request) -> Result<Response, ApiError> {
    let body = read_request(&state, request, "completions").await?;
    let request: CompletionRequest = openai::parse_json(&body).map_err(ApiError::BadBody)?;
    let prompts = prompts(&request)?;
    let target = resolve_chat_model(&state, request.model.as_deref()).await?;
    let guardrail = state.config.guardrail();
    let options = target.translate_options(&state, guardrail.as_ref());
    let calls = prompts
        .iter()
        .map(|prompt| translate_chat_request(&chat_request(&request, prompt), &options).map(|t| t.parts))
        .collect::<Result<Vec<_>, _>>()?;
    let (id, created) = (random_id("cmpl-"), unix_now());
    let meta = CompletionMeta { id: &id, created, model: &target.model_id };
    if request.stream != Some(true) {
        let results = answer_all(&state, calls).await?;
        return Ok(Json(completion_from_converse(&results, meta)).into_response());
    }
    let include_usage = request.stream_options.as_ref().and_then(|o| o.include_usage).unwrap_or(false);
    let translator = CompletionStreamTranslator::new(meta, include_usage);
    let Some(parts) = calls.into_iter().next() else { return Err(ApiError::Internal("no prompt".into())) };
    if target.can_stream(false) {
        let upstream = state.bedrock.converse_stream(parts).await?;
        return Ok(stream_response(upstream, translator, state.config.stream_timing(), state.config.debug));
    }
    let model_id = target.model_id.clone();
    let replay: Replay<CompletionStreamTranslator> = Box::new(move |translator, result, out| {
        let meta = CompletionMeta { id: &id, created, model: &model_id };
        translator.replay(&completion_from_converse(std::slice::from_ref(result), meta), out);
    });
    replay_converse(&state.bedrock, parts, translator, replay, state.config.stream_keepalive()).await
}

/// Every prompt's answer, in prompt order; the first failure fails the request.
async fn answer_all(state: &AppState, calls: Vec<ConverseParts>) -> Result<Vec<ConverseResult>, ApiError> {
    let answers = futures::stream::iter(calls).map(|parts| state.bedrock.converse(parts));
    Ok(answers.buffered(PROMPT_CONCURRENCY).try_collect().await?)
}

impl SseTranslator for CompletionStreamTranslator {
    fn on_event(&mut self, event: &ConverseStreamOutput, out: &mut Vec<u8>) {
        CompletionStreamTranslator::on_event(self, event, out);
    }

    fn on_end(&mut self, out: &mut Vec<u8>) {
        CompletionStreamTranslator::on_end(self, out);
    }

    fn on_error(&mut self, error: &ApiError, out: &mut Vec<u8>) {
        CompletionStreamTranslator::on_error(self, &error.body(), out);
    }
}
