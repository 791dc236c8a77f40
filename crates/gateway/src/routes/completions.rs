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

use super::chat::{plan_chat, random_id, unix_now, ChatTarget};
use super::read_request;
use crate::error::ApiError;
use crate::models::OutputKind;
use crate::sse::{stream_response, Replay, SseTranslator};
use crate::state::AppState;

/// Bedrock calls in flight for one request with several prompts.
const PROMPT_CONCURRENCY: usize = 4;

pub async fn completions(State(state): State<AppState>, request: Request) -> Result<Response, ApiError> {
    let body = read_request(&state, request, "completions").await?;
    let request: CompletionRequest = openai::parse_json(&body).map_err(ApiError::BadBody)?;
    let prompts = prompts(&request)?;
    let plan = plan_chat(&state, request.model.as_deref())?;
    let run = state
        .routing
        .respond(plan, OutputKind::Text, |candidate| complete(&state, &request, &prompts, ChatTarget::new(candidate)));
    run.await
}

/// One routing attempt: the whole answer from one target.
async fn complete(
    state: &AppState,
    request: &CompletionRequest,
    prompts: &[&str],
    target: ChatTarget,
) -> Result<Response, ApiError> {
    let guardrail = state.config.guardrail();
    let options = target.translate_options(state, guardrail.as_ref());
    let calls = prompts
        .iter()
        .map(|prompt| translate_chat_request(&chat_request(request, prompt), &options).map(|t| t.parts))
        .collect::<Result<Vec<_>, _>>()?;
    let (id, created) = (random_id("cmpl-"), unix_now());
    let meta = CompletionMeta { id: &id, created, model: &target.name };
    if request.stream != Some(true) {
        let results = answer_all(&target, calls).await?;
        return Ok(Json(completion_from_converse(&results, meta)).into_response());
    }
    let include_usage = request.stream_options.as_ref().and_then(|o| o.include_usage).unwrap_or(false);
    let translator = CompletionStreamTranslator::new(meta, include_usage);
    let Some(parts) = calls.into_iter().next() else { return Err(ApiError::Internal("no prompt".into())) };
    if target.can_stream(false) {
        let upstream = target.converse_stream(parts).await?;
        return Ok(stream_response(upstream, translator, state.config.stream_timing(), state.config.debug));
    }
    let model = target.name.clone();
    let replay: Replay<CompletionStreamTranslator> = Box::new(move |translator, result, out| {
        let meta = CompletionMeta { id: &id, created, model: &model };
        translator.replay(&completion_from_converse(std::slice::from_ref(result), meta), out);
    });
    target.replay(state, parts, translator, replay).await
}

/// Every prompt's answer, in prompt order; the first failure fails the request.
async fn answer_all(target: &ChatTarget, calls: Vec<ConverseParts>) -> Result<Vec<ConverseResult>, ApiError> {
    let answers = futures::stream::iter(calls).map(|parts| target.converse(parts));
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
