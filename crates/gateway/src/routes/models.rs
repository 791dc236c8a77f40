//! `GET /models` and `GET /models/{id}` (ids may hold `:` and, for ARNs, `/`): the names of
//! the configuration file first, then the Bedrock models when they are served too.

use axum::extract::{Path, State};
use axum::Json;
use openai::{Model, ModelList};

use crate::error::ApiError;
use crate::models::{ModelEntry, ModelIndex, Resolved};
use crate::routing::table::RouteTable;
use crate::state::AppState;

fn model_object(entry: &ModelEntry, created: u64) -> Model {
    Model { id: entry.id.clone(), object: "model", created, owned_by: entry.provider.clone() }
}

/// A name of the file, owned by its first target's provider when the catalogue knows it.
fn name_object(table: &RouteTable, name: &str, index: &ModelIndex) -> Model {
    let first = table.group(name).and_then(|g| g.targets.first());
    let provider = first.and_then(|t| index.get(&t.model)).map(|e| e.provider.clone());
    Model {
        id: name.to_owned(),
        object: "model",
        created: index.created,
        owned_by: provider.unwrap_or_else(|| "bedrock".into()),
    }
}

pub async fn list_models(State(state): State<AppState>) -> Json<ModelList> {
    let index = state.catalog.snapshot();
    let table = state.routing.table();
    let mut data: Vec<Model> = table.listed_names().map(|name| name_object(&table, name, &index)).collect();
    if table.serves_bedrock_ids() {
        data.extend(index.entries().iter().map(|e| model_object(e, index.created)));
    }
    Json(ModelList { object: "list", data })
}

pub async fn get_model(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<Model>, ApiError> {
    let table = state.routing.table();
    if table.group(&id).is_some() {
        return Ok(Json(name_object(&table, &id, &state.catalog.snapshot())));
    }
    match state.catalog.resolve(&id).await {
        Some(Resolved::Known(entry)) if table.serves_bedrock_ids() => {
            Ok(Json(model_object(&entry, state.catalog.snapshot().created)))
        }
        _ => Err(ApiError::ModelNotFound { model: id }),
    }
}
