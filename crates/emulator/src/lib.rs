//! A wire-exact local Amazon Bedrock (runtime + control plane on one port)
//! that the real AWS SDKs accept. See the crate README for the directives
//! that script its answers and the `/_emulator/` inspection endpoints.

pub mod catalog;
pub mod control;
pub mod converse;
pub mod count_tokens;
pub mod embed;
pub mod errors;
pub mod eventstream;
pub mod faults;
pub mod inspect;
pub mod invoke;
pub mod plan;
pub mod png;
pub mod profiles;
pub mod script;
pub mod sigv4;
pub mod validate;
pub mod wire;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::serve::ListenerExt as _;
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::errors::{ApiError, ErrorKind};
use crate::inspect::{Inspector, Operation, Record};

const MAX_BODY: usize = 64 << 20;

/// Emulator options.
#[derive(Debug, Clone, Default)]
pub struct EmulatorConfig {
    /// Verify SigV4 signatures against the fixed example credentials.
    pub verify_sigv4: bool,
    /// Model ids whose runtime calls answer 403 AccessDeniedException, as for a model
    /// whose access was not granted in the account.
    pub deny_models: Vec<String>,
    /// Model ids whose runtime calls answer 429 ThrottlingException.
    pub throttle_models: Vec<String>,
    /// Per-model faults (`--fail-model MODEL=KIND[:COUNT]`), after the two lists above.
    pub fail_models: Vec<faults::FaultRule>,
}

impl EmulatorConfig {
    /// Every fault rule: denied and throttled models are sugar for uncounted faults.
    pub fn fault_rules(&self) -> Vec<faults::FaultRule> {
        let denied =
            self.deny_models.iter().map(|m| faults::FaultRule::always(m, ErrorKind::AccessDenied, "access-denied"));
        let throttled =
            self.throttle_models.iter().map(|m| faults::FaultRule::always(m, ErrorKind::Throttling, "throttling"));
        denied.chain(throttled).chain(self.fail_models.iter().cloned()).collect()
    }
}

/// State shared by every handler.
#[derive(Debug, Clone)]
pub struct AppState {
    pub config: EmulatorConfig,
    pub inspector: Arc<Inspector>,
    pub faults: Arc<faults::Faults>,
}

/// Records the request, then authenticates it.
async fn gate(State(app): State<AppState>, request: Request, next: Next) -> Response {
    if request.uri().path().starts_with("/_emulator/") {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY).await else {
        return ApiError::validation("The request body is too large or could not be read.").into_response();
    };
    let (operation, model_id) = Operation::classify(parts.method.as_str(), parts.uri.path());
    let faulted = model_id.clone();
    let headers = parts.headers.iter();
    let headers = headers.map(|(k, v)| (k.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()));
    app.inspector.record(Record {
        operation,
        path: parts.uri.path_and_query().map_or_else(String::new, ToString::to_string),
        model_id,
        headers: headers.collect(),
        body: bytes.clone(),
    });
    if let Err(error) = sigv4::authenticate(&parts, &bytes, app.config.verify_sigv4) {
        return error.into_response();
    }
    // Counted after authentication: a rejected call does not use up a burst.
    if let Some(error) = faulted.and_then(|id| app.faults.take(&id)) {
        return error.into_response();
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

async fn unknown_operation() -> Response {
    ApiError::new(ErrorKind::ResourceNotFound, "The emulator does not serve this operation.").into_response()
}

/// The emulator's router (runtime, control plane and `/_emulator/`).
pub fn router(config: EmulatorConfig) -> Router {
    let faults = Arc::new(faults::Faults::new(config.fault_rules()));
    let state = AppState { config, inspector: Arc::new(Inspector::default()), faults };
    Router::new()
        .route("/model/{model_id}/converse", post(converse::converse))
        .route("/model/{model_id}/converse-stream", post(converse::converse_stream))
        .route("/model/{model_id}/invoke", post(invoke::invoke))
        .route("/model/{model_id}/count-tokens", post(count_tokens::count_tokens))
        .route("/foundation-models", get(control::list_models))
        .route("/foundation-models/{model_id}", get(control::get_model))
        .route("/inference-profiles", get(control::list_profiles))
        .route("/inference-profiles/{profile_id}", get(control::get_profile))
        .route("/_emulator/requests", get(inspect::requests))
        .route("/_emulator/stats", get(inspect::stats))
        .route("/_emulator/reset", post(inspect::reset))
        .route("/_emulator/faults", get(faults::list).post(faults::add).delete(faults::clear))
        .fallback(unknown_operation)
        .layer(middleware::from_fn_with_state(state.clone(), gate))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(state)
}

/// Serves the emulator on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    config: EmulatorConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // TCP_NODELAY: stream frames leave as they are produced, as on real Bedrock.
    let listener = listener.tap_io(|tcp| {
        let _ignored = tcp.set_nodelay(true);
    });
    axum::serve(listener, router(config)).with_graceful_shutdown(shutdown).await
}

/// A running in-process emulator.
#[derive(Debug)]
pub struct RunningEmulator {
    addr: SocketAddr,
    shutdown: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

impl RunningEmulator {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops serving; open streams get a few seconds before being aborted.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(());
        let abort = self.task.abort_handle();
        if tokio::time::timeout(Duration::from_secs(5), self.task).await.is_err() {
            abort.abort();
        }
    }
}

/// Binds `127.0.0.1:0` and serves in a tokio task.
pub async fn spawn(config: EmulatorConfig) -> std::io::Result<RunningEmulator> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    let (shutdown, receiver) = oneshot::channel::<()>();
    let task = tokio::spawn(serve(listener, config, async {
        let _ = receiver.await;
    }));
    Ok(RunningEmulator { addr, shutdown, task })
}
