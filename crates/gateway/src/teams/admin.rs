//! `GET /admin/usage` and `GET /admin/keys`, behind `ADMIN_API_KEY` (never a client key):
//! usage per key, model and UTC day, and the keys' names and limits (never a key or digest).

use axum::extract::{Query, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::store::{days_between, now_ms};
use super::window;
use crate::error::ApiError;
use crate::state::AppState;

/// Most days one usage query may span.
const MAX_DAYS: usize = 366;

pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/admin/usage", get(usage))
        .route("/admin/keys", get(keys))
        .route_layer(middleware::from_fn_with_state(state, require_admin_key))
}

/// Only the admin key passes; without one configured the admin API does not exist.
async fn require_admin_key(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if !state.teams.admin_configured() {
        return ApiError::RouteNotFound.into_response();
    }
    match crate::auth::presented_key(request.headers()) {
        Some(key) if state.teams.is_admin(key) => next.run(request).await,
        _ => ApiError::Unauthorized.into_response(),
    }
}

#[derive(Debug, Deserialize)]
struct UsageQuery {
    from: Option<String>,
    to: Option<String>,
    key: Option<String>,
}

fn date(text: Option<&str>, param: &str, default: time::Date) -> Result<time::Date, ApiError> {
    let Some(text) = text else { return Ok(default) };
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(text, format)
        .map_err(|_| bedrock::TranslateError::new(format!("{param} must be a date such as 2026-12-03"), param).into())
}

/// Usage rows of `from..=to` (UTC days, default today), for every key or one (`key=`),
/// with totals per key.
async fn usage(State(state): State<AppState>, Query(query): Query<UsageQuery>) -> Result<Json<Value>, ApiError> {
    let today = time::OffsetDateTime::now_utc().date();
    let from = date(query.from.as_deref(), "from", today)?;
    let to = date(query.to.as_deref(), "to", from.max(today))?;
    let days = days_between(from, to, MAX_DAYS).map_err(|e| bedrock::TranslateError::new(e, "from"))?;
    let mut names: Vec<String> = state.teams.policies().iter().map(|p| p.name.to_string()).collect();
    names.extend(state.teams.legacy_names().iter().cloned());
    if let Some(key) = &query.key {
        names.retain(|n| n == key);
    }
    let rows = state.teams.store.usage(&names, &days).await.map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(Json(json!({
        "object": "usage",
        "from": window::date_label(from),
        "to": window::date_label(to),
        "store": if state.teams.store.shared() { "redis" } else { "memory" },
        "data": rows,
        "generated_at_ms": now_ms(),
    })))
}

/// Names, limits, models, state and metadata of the keys; the unlimited keys by label.
async fn keys(State(state): State<AppState>) -> Json<Value> {
    let mut data: Vec<Value> = state
        .teams
        .policies()
        .iter()
        .map(|p| {
            json!({
                "name": &*p.name,
                "source": p.source,
                "models": p.models.iter().map(glob::Pattern::as_str).collect::<Vec<_>>(),
                "limits": p.limits,
                "disabled": p.disabled,
                "expires_at": p.expires_at.and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok()),
                "metadata": p.metadata,
            })
        })
        .collect();
    data.extend(
        state.teams.legacy_names().iter().map(|name| json!({"name": name, "source": "api_key", "unlimited": true})),
    );
    Json(json!({"object": "list", "data": data}))
}
