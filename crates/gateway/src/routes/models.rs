//! `GET /models` and `GET /models/{id}` (ids may hold `:` and, for ARNs, `/`): the names of
//! the configuration file first, then the Bedrock models when they are served too.

use axum::extract::{Path, State};
use axum::{Extension, Json};
use openai::{Model, ModelList};

use crate::error::ApiError;
use crate::models::{ModelEntry, ModelIndex, Resolved};
use crate::routing::table::RouteTable;
use crate::state::AppState;
use crate::teams::{model_visible, Caller};

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

/// The caller of a request (a key of the file limits the models it sees).
type CallerExt = Option<Extension<Caller>>;

pub async fn list_models(State(state): State<AppState>, caller: CallerExt) -> Json<ModelList> {
    let index = state.catalog.snapshot();
    let table = state.routing.table();
    let caller = caller.as_ref().map(|Extension(c)| c);
    let names = table.listed_names().filter(|name| model_visible(caller, name));
    let mut data: Vec<Model> = names.map(|name| name_object(&table, name, &index)).collect();
    if table.serves_bedrock_ids() {
        let visible = index.entries().iter().filter(|e| model_visible(caller, &e.id));
        data.extend(visible.map(|e| model_object(e, index.created)));
    }
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
