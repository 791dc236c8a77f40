//! `GET /models` and `GET /models/{id}` (ids may hold `:` and, for ARNs, `/`).

use axum::extract::{Path, State};
use axum::{Extension, Json};
use openai::{Model, ModelList};

use crate::error::ApiError;
use crate::models::{ModelEntry, Resolved};
use crate::state::AppState;
use crate::teams::{model_visible, Caller};

fn model_object(entry: &ModelEntry, created: u64) -> Model {
    Model { id: entry.id.clone(), object: "model", created, owned_by: entry.provider.clone() }
}

/// The caller of a request (a key of the file limits the models it sees).
type CallerExt = Option<Extension<Caller>>;

pub async fn list_models(State(state): State<AppState>, caller: CallerExt) -> Json<ModelList> {
    let index = state.catalog.snapshot();
    let caller = caller.as_ref().map(|Extension(c)| c);
    let visible = index.entries().iter().filter(|e| model_visible(caller, &e.id));
    let data = visible.map(|e| model_object(e, index.created)).collect();
    Json(ModelList { object: "list", data })
}

pub async fn get_model(
    State(state): State<AppState>,
    Path(id): Path<String>,
    caller: CallerExt,
) -> Result<Json<Model>, ApiError> {
    if !model_visible(caller.as_ref().map(|Extension(c)| c), &id) {
        return Err(ApiError::ModelNotFound { model: id });
    }
    match state.catalog.resolve(&id).await {
        Some(Resolved::Known(entry)) => Ok(Json(model_object(&entry, state.catalog.snapshot().created))),
        _ => Err(ApiError::ModelNotFound { model: id }),
    }
}
