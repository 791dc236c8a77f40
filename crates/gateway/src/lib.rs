//! The OpenAI-compatible gateway for Amazon Bedrock.
//!
//! `router` turns state into an `axum::Router`; `serve` runs it on TCP. Keeping the app a
//! function of its state lets the same router run behind other transports (Lambda).

pub mod anthropic_error;
pub mod auth;
pub mod body_end;
pub mod config;
pub mod config_file;
pub mod conn;
pub mod doctor;
pub mod emf;
pub mod error;
pub mod fetch;
pub mod healthcheck;
pub mod keys;
pub mod lambda;
pub mod limits;
pub mod memory;
pub mod metrics;
pub mod models;
pub mod otel;
pub mod record;
pub mod region;
pub mod responses_store;
pub mod routes;
pub mod routing;
pub mod serve;
pub mod sse;
pub mod state;
pub mod teams;
pub mod telemetry;
pub mod upstream;

use axum::http::{HeaderName, HeaderValue, Method};
use axum::routing::{get, post};
use axum::{middleware, Router};
use rand::RngCore;
use tower_http::cors::{AllowOrigin, Any, CorsLayer};
use tower_http::request_id::{MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};

use crate::state::AppState;

/// Every route and layer of the gateway.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/models", get(routes::models::list_models))
        .route("/models/{*id}", get(routes::models::get_model))
        .route("/chat/completions", post(routes::chat::chat_completions))
        .route("/completions", post(routes::completions::completions))
        .route("/embeddings", post(routes::embeddings::embeddings))
        .route("/images/generations", post(routes::images::generate_images))
        .route("/responses", post(routes::responses::create_response))
        .route("/responses/{id}", get(routes::responses::get_response).delete(routes::responses::delete_response))
        .route("/responses/{id}/input_items", get(routes::responses::list_input_items))
        .method_not_allowed_fallback(routes::method_not_allowed)
        .route_layer(middleware::from_fn_with_state(state.clone(), teams::enforce))
        .route_layer(middleware::from_fn_with_state(state.clone(), auth::require_api_key))
        .merge(routes::anthropic::router(state.clone()));
    let prefix = state.config.api_route_prefix.clone();
    let mut app =
        Router::new().route("/health", get(routes::health::health)).merge(teams::admin::router(state.clone()));
    if state.config.metrics_on_main_listener {
        app = app.route("/metrics", get(metrics::serve_metrics));
    }
    // Clients such as NextChat append `/v1/...` to whatever base URL they are given.
    if prefix != "/v1" {
        app = app.nest("/v1", api.clone());
    }
    let cors = cors_layer(&state.config.allowed_origins);
    app.nest(&prefix, api)
        .fallback(routes::not_found)
        .layer(middleware::from_fn_with_state(limits::ConcurrencyLimit::new(&state.config), limits::limit_concurrency))
        .layer(middleware::from_fn_with_state(state.clone(), telemetry::access_log))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID.clone()))
        .layer(SetRequestIdLayer::new(REQUEST_ID.clone(), RandomRequestId))
        .layer(cors)
        .with_state(state)
}

static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// 96-bit random request ids, in hex.
#[derive(Clone, Copy)]
struct RandomRequestId;

impl MakeRequestId for RandomRequestId {
    fn make_request_id<B>(&mut self, _request: &http::Request<B>) -> Option<RequestId> {
        let mut bytes = [0u8; 12];
        rand::thread_rng().fill_bytes(&mut bytes);
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        HeaderValue::from_str(&hex).ok().map(RequestId::new)
    }
}

/// CORS as the reference allows it (any origin by default, so browser clients such as
/// NextChat work), but never a credentialed wildcard.
fn cors_layer(origins: &[String]) -> CorsLayer {
    let layer = CorsLayer::new()
        .allow_methods([Method::GET, Method::POST, Method::DELETE, Method::OPTIONS])
        .expose_headers([REQUEST_ID.clone()].into_iter().chain(teams::enforce::exposed_headers()).collect::<Vec<_>>())
        .max_age(std::time::Duration::from_secs(600));
    // Headers are mirrored from the preflight: browsers never let `*` cover Authorization.
    if origins.iter().any(|o| o == "*") {
        layer.allow_origin(Any).allow_headers(tower_http::cors::AllowHeaders::mirror_request())
    } else {
        let list: Vec<HeaderValue> = origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()).collect();
        layer
            .allow_origin(AllowOrigin::list(list))
            .allow_headers(tower_http::cors::AllowHeaders::mirror_request())
            .allow_credentials(true)
    }
}
