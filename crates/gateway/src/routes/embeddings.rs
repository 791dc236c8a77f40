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
use crate::state::AppState;

/// InvokeModel calls one request may have in flight.
pub const MAX_IN_FLIGHT: usize = 8;

pub async fn embeddings(State(state): State<AppState>, request: Request) -> Result<Response, ApiError> {
    let body = read_request(&state, request, "embeddings").await?;
    let request: EmbeddingRequest = openai::parse_json(&body).map_err(ApiError::BadBody)?;
    let (model_id, family) = resolve_embedding_model(&state, request.model.as_deref()).await?;
    let plan = plan_embeddings(&request, family)?;
    let calls = plan.calls();
    let answers: Vec<(Vec<Vec<f32>>, u64)> = futures::stream::iter(calls)
        .map(|call| invoke(&state, &model_id, &plan, call))
        .buffered(MAX_IN_FLIGHT)
        .try_collect()
        .await?;
    let mut vectors = Vec::with_capacity(plan.texts.len());
    let mut tokens = 0;
    for (batch, batch_tokens) in answers {
        vectors.extend(batch);
        tokens += batch_tokens;
    }
    Ok(Json(embedding_list(model_id, vectors, plan.format, tokens)).into_response())
}

/// One call: its vectors and input tokens (the body's count, else Bedrock's header,
/// else a cl100k_base estimate).
async fn invoke(
    state: &AppState,
    model_id: &str,
    plan: &EmbeddingPlan,
    call: EmbeddingCall,
) -> Result<(Vec<Vec<f32>>, u64), ApiError> {
    let answer = state.bedrock.invoke_model(model_id, call.body.clone()).await?;
    let parsed = parse_embeddings(plan.family.dialect, &answer.body, call.count).map_err(unreadable)?;
    let tokens = parsed.input_tokens.or(answer.input_tokens).unwrap_or_else(|| plan.estimate_tokens(&call));
    Ok((parsed.vectors, tokens))
}

async fn resolve_embedding_model(
    state: &AppState,
    model: Option<&str>,
) -> Result<(String, &'static EmbeddingFamily), ApiError> {
    let model = requested_model(model, &state.config.default_embedding_model, EMBEDDING_ALIASES);
    let target = state.catalog.resolve_for(model, OutputKind::Embedding).await?;
    let family = target.foundation_id.as_deref().and_then(embedding_family).ok_or_else(|| {
        TranslateError::new(
            format!("this embedding model is not supported; supported models: {}", supported_embedding_models()),
            "model",
        )
    })?;
    Ok((target.model_id, family))
}
