//! `GET /models` and `GET /models/{id}` (ids may hold `:` and, for ARNs, `/`).

use axum::extract::{Path, State};
use axum::Json;
use openai::{Model, ModelList};

use crate::error::ApiError;
use crate::models::{ModelEntry, Resolved};
use crate::state::AppState;

fn model_object(entry: &ModelEntry, created: u64) -> Model {
    Model { id: entry.id.clone(), object: "model", created, owned_by: entry.provider.clone() }
}

pub async fn list_models(State(state): State<AppState>) -> Json<ModelList> {
    let index = state.catalog.snapshot();
    let data = index.entries().iter().map(|e| model_object(e, index.created)).collect();
    Json(ModelList { object: "list", data })
}

pub async fn get_model(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<Model>, ApiError> {
    match state.catalog.resolve(&id).await {
        Some(Resolved::Known(entry)) => Ok(Json(model_object(&entry, state.catalog.snapshot().created))),
        _ => Err(ApiError::ModelNotFound { model: id }),
    }
}
