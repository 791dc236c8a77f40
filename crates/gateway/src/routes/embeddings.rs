//! `POST /embeddings`: OpenAI embeddings over Bedrock InvokeModel.
//!
//! The translation (family table, bodies, parsing) is `bedrock::embeddings`; this module
//! resolves the model and runs the calls: Cohere in batches of 96 texts, Titan and Nova
//! one text per call, at most `MAX_IN_FLIGHT` calls at once, results in input order.

use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use bedrock::embeddings::{
    embedding_family, embedding_list, parse_embeddings, plan_embeddings, supported_embedding_models, EmbeddingCall,
    EmbeddingFamily, EmbeddingPlan,
};
use bedrock::TranslateError;
use futures::{StreamExt, TryStreamExt};
use openai::EmbeddingRequest;

use super::{read_request, unreadable};
use crate::error::ApiError;
use crate::models::{requested_model, OutputKind, EMBEDDING_ALIASES};
use crate::routing::Candidate;
use crate::state::AppState;

/// InvokeModel calls one request may have in flight.
pub const MAX_IN_FLIGHT: usize = 8;

pub async fn embeddings(State(state): State<AppState>, request: Request) -> Result<Response, ApiError> {
    let body = read_request(&state, request, "embeddings").await?;
    let request: EmbeddingRequest = openai::parse_json(&body).map_err(ApiError::BadBody)?;
    let model = requested_model(request.model.as_deref(), &state.config.default_embedding_model, EMBEDDING_ALIASES);
    let plan = state.routing.plan(model)?;
    state.routing.respond(plan, OutputKind::Embedding, |c| embed(&request, c)).await
}

/// One routing attempt: every vector from one target.
async fn embed(request: &EmbeddingRequest, candidate: Candidate) -> Result<Response, ApiError> {
    let family = embedding_family_of(&candidate)?;
    let plan = plan_embeddings(request, family)?;
    let calls = plan.calls();
    let answers: Vec<(Vec<Vec<f32>>, u64)> = futures::stream::iter(calls)
        .map(|call| invoke(&candidate, &plan, call))
        .buffered(MAX_IN_FLIGHT)
        .try_collect()
        .await?;
    let mut vectors = Vec::with_capacity(plan.texts.len());
    let mut tokens = 0;
    for (batch, batch_tokens) in answers {
        vectors.extend(batch);
        tokens += batch_tokens;
    }
    Ok(Json(embedding_list(candidate.name.clone(), vectors, plan.format, tokens)).into_response())
}

/// One call: its vectors and input tokens (the body's count, else Bedrock's header,
/// else a cl100k_base estimate).
async fn invoke(
    candidate: &Candidate,
    plan: &EmbeddingPlan,
    call: EmbeddingCall,
) -> Result<(Vec<Vec<f32>>, u64), ApiError> {
    let answer = candidate.bedrock.invoke_model(&candidate.target.model_id, call.body.clone()).await?;
    let parsed = parse_embeddings(plan.family.dialect, &answer.body, call.count).map_err(unreadable)?;
    let tokens = parsed.input_tokens.or(answer.input_tokens).unwrap_or_else(|| plan.estimate_tokens(&call));
    Ok((parsed.vectors, tokens))
}

fn embedding_family_of(candidate: &Candidate) -> Result<&'static EmbeddingFamily, ApiError> {
    let family = candidate.target.foundation_id.as_deref().and_then(embedding_family);
    Ok(family.ok_or_else(|| {
        TranslateError::new(
            format!("this embedding model is not supported; supported models: {}", supported_embedding_models()),
            "model",
        )
    })?)
}
