//! The Responses API: `POST /responses` (JSON or SSE) and the stored responses
//! (`GET`/`DELETE /responses/{id}`, `GET /responses/{id}/input_items`).

use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use bedrock::responses::StreamedResponse;
use bedrock::responses::{responses_to_chat, translate_converted, ResponsesStream, ResponsesStreamOptions};
use bedrock::ConverseParts;
use futures::future::BoxFuture;
use openai::responses::{InputItem, ResponseObject, ResponsesRequest, TextOrList};
use serde::Deserialize;

use super::chat::{plan_chat, random_id, unix_now, ChatTarget};
use super::read_request;
use crate::auth::presented_key;
use crate::error::ApiError;
use crate::fetch::inline_remote_images;
use crate::keys::key_identity;
use crate::models::OutputKind;
use crate::responses_store::{Lookup, ResponseStore, StoreError, StoredResponse};
use crate::sse::{stream_response, Replay, SseTranslator};
use crate::state::AppState;

pub async fn create_response(State(state): State<AppState>, request: Request) -> Result<Response, ApiError> {
    let owner = owner(request.headers())?;
    let body = read_request(&state, request, "responses").await?;
    let request = openai::responses::parse_responses_request(&body).map_err(ApiError::BadBody)?;
    let history = match &request.previous_response_id {
        Some(id) => load(&state.responses, &owner, id).await?.conversation,
        None => Vec::new(),
    };
    let plan = plan_chat(&state, request.model.as_deref())?;
    let asked = Asked { owner, history, request };
    let run =
        state.routing.respond(plan, OutputKind::Text, |candidate| respond(&state, &asked, ChatTarget::new(candidate)));
    // Boxed: the attempt holds a whole answer in progress.
    Box::pin(run).await
}

/// A request with what it builds on.
struct Asked {
    owner: String,
    history: Vec<InputItem>,
    request: ResponsesRequest,
}

/// One routing attempt: the whole answer from one target.
async fn respond(state: &AppState, asked: &Asked, target: ChatTarget) -> Result<Response, ApiError> {
    let request = &asked.request;
    let (parts, options) = translate(state, request, &asked.history, &target).await?;
    let skeleton = ResponseObject::in_progress(request, random_id("resp_"), unix_now(), target.name.clone());
    let stream = ResponsesStream::new(skeleton, options);
    let saver = request.stored().then(|| Saver::new(state, asked.owner.clone(), asked.history.clone(), request));
    let answer = Answer { stream, saver };
    if request.streamed() {
        stream_answer(state, &target, parts, answer).await
    } else {
        complete(state, &target, parts, answer).await
    }
}

/// Request (after its stored history) → Converse parts, through the chat translation;
/// remote images are fetched on the way. Also returns how the answer must be shaped.
async fn translate(
    state: &AppState,
    request: &ResponsesRequest,
    history: &[InputItem],
    target: &ChatTarget,
) -> Result<(ConverseParts, ResponsesStreamOptions), ApiError> {
    let mut conversion = responses_to_chat(request, history)?;
    if target.image_input {
        inline_remote_images(&state.images, &mut conversion.request).await.map_err(|error| match error {
            ApiError::Translate(mut error) => {
                error.param = error.param.map(|param| conversion.responses_param(&param));
                ApiError::Translate(error)
            }
            other => other,
        })?;
    }
    let guardrail = state.config.guardrail();
    let translation = translate_converted(&conversion, &target.translate_options(state, guardrail.as_ref()))?;
    let options = ResponsesStreamOptions {
        structured_tool: translation.structured_tool,
        include_encrypted: request.includes_encrypted_reasoning(),
        summary: request.wants_summary(),
        emit: request.streamed(),
        namespaces: conversion.tool_namespaces().to_vec(),
    };
    Ok((translation.parts, options))
}

/// The answer being built, and where it goes once finished.
struct Answer {
    stream: ResponsesStream,
    saver: Option<Saver>,
}

async fn complete(
    state: &AppState,
    target: &ChatTarget,
    parts: ConverseParts,
    mut answer: Answer,
) -> Result<Response, ApiError> {
    let result = target.converse(parts).await?;
    answer.stream.replay(&result, &mut Vec::new());
    let finished =
        answer.stream.finished().ok_or_else(|| ApiError::Internal("a replayed response did not finish".into()))?;
    let json = serde_json::to_string(&finished.response).map_err(|e| ApiError::Internal(e.to_string()))?;
    if state.config.debug {
        tracing::info!(response = %json, "responses response");
    }
    if let Some(saver) = answer.saver {
        saver.save(&finished, json.clone()).await;
    }
    Ok(json_response(json))
}

/// Streams the answer; models that cannot stream this request are called with Converse
/// and the answer is replayed as the same events.
async fn stream_answer(
    state: &AppState,
    target: &ChatTarget,
    parts: ConverseParts,
    answer: Answer,
) -> Result<Response, ApiError> {
    if target.can_stream(parts.tool_config.is_some()) {
        let upstream = target.converse_stream(parts).await?;
        return Ok(stream_response(upstream, answer, state.config.stream_timing(), state.config.debug));
    }
    let replay: Replay<Answer> = Box::new(|answer, result, out| answer.stream.replay(result, out));
    target.replay(state, parts, answer, replay).await
}

impl SseTranslator for Answer {
    fn on_event(&mut self, event: &aws_sdk_bedrockruntime::types::ConverseStreamOutput, out: &mut Vec<u8>) {
        self.stream.on_event(event, out);
    }

    fn on_end(&mut self, out: &mut Vec<u8>) {
        self.stream.on_end(out);
    }

    fn on_error(&mut self, error: &ApiError, out: &mut Vec<u8>) {
        let body = error.body();
        self.stream.on_error(body.error.code.unwrap_or(body.error.kind), &body.error.message, out);
    }

    fn before_last(&mut self) -> Option<BoxFuture<'static, ()>> {
        let finished = self.stream.finished()?;
        let saver = self.saver.take()?;
        let json = serde_json::to_string(&finished.response).ok()?;
        Some(Box::pin(async move { saver.save(&finished, json).await }))
    }
}

/// Stores a finished response with the conversation it ends.
struct Saver {
    store: ResponseStore,
    owner: String,
    history: Vec<InputItem>,
    input: Vec<InputItem>,
}

impl Saver {
    fn new(state: &AppState, owner: String, history: Vec<InputItem>, request: &ResponsesRequest) -> Self {
        Self { store: state.responses.clone(), owner, history, input: input_items(request) }
    }

    /// A failure to store does not fail the answer (the model has already run): it is
    /// logged, and for a response too large to keep a later lookup says so.
    async fn save(self, finished: &StreamedResponse, response_json: String) {
        let input_start = self.history.len();
        let mut conversation = self.history;
        conversation.extend(self.input);
        let input_end = conversation.len();
        conversation.extend(finished.output_items.iter().cloned());
        let record = StoredResponse { response: response_json, conversation, input_start, input_end };
        if let Err(error) = self.store.put(&self.owner, &finished.response.id, &record).await {
            tracing::warn!(%error, id = %finished.response.id, "could not store the response");
        }
    }
}

/// This request's input as items, each with an id (as OpenAI lists them).
fn input_items(request: &ResponsesRequest) -> Vec<InputItem> {
    let mut items = match &request.input {
        Some(TextOrList::Text(text)) => vec![InputItem {
            kind: Some("message".to_owned()),
            role: Some("user".to_owned()),
            content: Some(TextOrList::Text(text.clone())),
            ..InputItem::default()
        }],
        Some(TextOrList::List(items)) => items.clone(),
        None => Vec::new(),
    };
    for item in &mut items {
        if item.id.is_none() {
            item.id = Some(random_id("msg_"));
        }
    }
    items
}

/// The owner of stored responses: the digest of the presented key (already verified).
fn owner(headers: &HeaderMap) -> Result<String, ApiError> {
    presented_key(headers).map(key_identity).ok_or(ApiError::Unauthorized)
}

async fn load(store: &ResponseStore, owner: &str, id: &str) -> Result<StoredResponse, ApiError> {
    match store.get(owner, id).await.map_err(store_error)? {
        Lookup::Found(record) => Ok(record),
        Lookup::Missing => Err(ApiError::ResponseNotFound { id: id.to_owned(), why: None }),
        Lookup::TooLarge(size) => Err(ApiError::ResponseNotFound {
            id: id.to_owned(),
            why: Some(format!(
                "it was too large to store ({size} bytes; a DynamoDB item holds at most 400 KB), \
                 so send the conversation as input instead"
            )),
        }),
    }
}

fn store_error(error: StoreError) -> ApiError {
    ApiError::Internal(error.to_string())
}

fn json_response(json: String) -> Response {
    let mut response = Body::from(json).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

pub async fn get_response(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let record = load(&state.responses, &owner(&headers)?, &id).await?;
    Ok(json_response(record.response))
}

pub async fn delete_response(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let deleted = state.responses.delete(&owner(&headers)?, &id).await.map_err(store_error)?;
    if !deleted {
        return Err(ApiError::ResponseNotFound { id, why: None });
    }
    let body = serde_json::json!({"id": id, "object": "response.deleted", "deleted": true});
    Ok(json_response(body.to_string()))
}

/// `GET /responses/{id}/input_items` paging (`limit` 1–100, default 20; `order` desc by default).
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    limit: Option<usize>,
    #[serde(default)]
    order: Option<String>,
    #[serde(default)]
    after: Option<String>,
}

pub async fn list_input_items(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<ListQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let record = load(&state.responses, &owner(&headers)?, &id).await?;
    let items = record.conversation.get(record.input_start..record.input_end).unwrap_or_default();
    let page = input_page(items, &query)?;
    Ok(json_response(page.to_string()))
}

fn input_page(items: &[InputItem], query: &ListQuery) -> Result<serde_json::Value, ApiError> {
    let limit = query.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(bedrock::TranslateError::new("limit must be between 1 and 100", "limit").into());
    }
    let mut ordered: Vec<&InputItem> = items.iter().collect();
    match query.order.as_deref() {
        None | Some("desc") => ordered.reverse(),
        Some("asc") => {}
        Some(_) => return Err(bedrock::TranslateError::new("order must be asc or desc", "order").into()),
    }
    let start = match &query.after {
        Some(after) => ordered.iter().position(|i| i.id.as_deref() == Some(after)).map_or(ordered.len(), |p| p + 1),
        None => 0,
    };
    let rest = &ordered[start.min(ordered.len())..];
    let data: Vec<&InputItem> = rest.iter().take(limit).copied().collect();
    Ok(serde_json::json!({
        "object": "list",
        "data": data,
        "first_id": data.first().and_then(|i| i.id.as_deref()),
        "last_id": data.last().and_then(|i| i.id.as_deref()),
        "has_more": rest.len() > limit,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(n: usize) -> Vec<InputItem> {
        (0..n).map(|i| InputItem { id: Some(format!("msg_{i}")), ..InputItem::default() }).collect()
    }

    fn query(limit: Option<usize>, order: Option<&str>, after: Option<&str>) -> ListQuery {
        ListQuery { limit, order: order.map(str::to_owned), after: after.map(str::to_owned) }
    }

    fn ids(page: &serde_json::Value) -> Vec<&str> {
        page["data"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap()).collect()
    }

    #[test]
    fn newest_first_by_default_with_cursor_paging() {
        let all = items(5);
        let first = input_page(&all, &query(Some(2), None, None)).unwrap();
        assert_eq!(ids(&first), ["msg_4", "msg_3"]);
        assert_eq!(first["has_more"], true);
        assert_eq!(first["last_id"], "msg_3");
        let next = input_page(&all, &query(Some(2), None, Some("msg_3"))).unwrap();
        assert_eq!(ids(&next), ["msg_2", "msg_1"]);
        let last = input_page(&all, &query(Some(2), None, Some("msg_1"))).unwrap();
        assert_eq!(ids(&last), ["msg_0"]);
        assert_eq!(last["has_more"], false);
    }

    #[test]
    fn ascending_order_and_bad_queries() {
        let all = items(3);
        assert_eq!(ids(&input_page(&all, &query(None, Some("asc"), None)).unwrap()), ["msg_0", "msg_1", "msg_2"]);
        assert!(input_page(&all, &query(Some(0), None, None)).is_err());
        assert!(input_page(&all, &query(Some(101), None, None)).is_err());
        assert!(input_page(&all, &query(None, Some("sideways"), None)).is_err());
        let unknown_cursor = input_page(&all, &query(None, None, Some("msg_9"))).unwrap();
        assert!(ids(&unknown_cursor).is_empty());
    }
}
