//! Start-up: configuration → clients, keys, catalogue → state → TCP server.

use std::future::IntoFuture as _;
use std::io::Write as _;
use std::sync::Arc;
use std::time::Duration;

use rand::RngCore;
use tokio::net::TcpListener;
use tokio::sync::Notify;

use aws_config::SdkConfig;

use crate::config::Config;
use crate::conn::{Connection, TimedListener};
use crate::fetch::ImageFetcher;
use crate::keys::{describe_counts, load_all, ApiKeys, KeyError, KeySource};
use crate::models::{Catalog, DiscoveryOptions};
use crate::region::{expected_credentials, resolve_region, RegionChoice};
use crate::responses_store::ResponseStore;
use crate::routing::clients::{ClientPool, Upstream};
use crate::routing::table::RouteTable;
use crate::routing::Routing;
use crate::state::{AppState, AppStateInner};
use crate::teams::Teams;
use crate::upstream::{sdk_config_in, Bedrock};

/// Why the gateway could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Keys(#[from] KeyError),
    #[error("could not start the Bedrock emulator: {0}")]
    Emulator(std::io::Error),
    #[error("could not listen on {addr}: {source}")]
    Listen { addr: String, source: std::io::Error },
    #[error("could not build the HTTP client for image URLs: {0}")]
    Http(String),
    #[error("server error: {0}")]
    Serve(std::io::Error),
    #[error("Lambda runtime: {0}")]
    Lambda(String),
    #[error("invalid configuration: {0}")]
    Teams(String),
}

/// Everything the router needs, plus what must live as long as the server.
pub struct Started {
    pub state: AppState,
    /// A key generated for `--emulator` runs without configured keys (printed at start).
    pub generated_key: Option<String>,
    pub emulator: Option<emulator::RunningEmulator>,
    /// The region of the Bedrock clients and where it came from.
    pub region: RegionChoice,
    /// How many keys each source gave (for the start-up line).
    pub key_counts: Vec<(KeySource, usize)>,
}

/// Builds the state: the emulator if asked, the SDK clients, the keys and the catalogue.
pub async fn build_state(config: Config) -> Result<Started, StartError> {
    let emulator = match config.emulator {
        true => Some(emulator::spawn(emulator::EmulatorConfig::default()).await.map_err(StartError::Emulator)?),
        false => None,
    };
    let emulator_url = emulator.as_ref().map(emulator::RunningEmulator::base_url);
    let (region, sdk, account_sdk) = sdk_configs(&config, emulator_url.as_deref()).await;
    let file_keys = config.file.as_ref().is_some_and(|f| f.keys.as_ref().is_some_and(|k| !k.is_null()));
    let (keys, key_counts, generated_key) = match (config.has_key_source(), file_keys, emulator.is_some()) {
        (false, true, _) => (Vec::new(), Vec::new(), None),
        (false, false, true) => {
            let key = generate_key();
            (vec![key.clone()], vec![(KeySource::Generated, 1)], Some(key))
        }
        _ => {
            let (keys, counts) = load_all(&config, &account_sdk).await?;
            (keys, counts, None)
        }
    };
    let teams = build_teams(&config, &account_sdk, &keys).await?;
    let responses = ResponseStore::from_config(&config, &account_sdk);
    let bedrock = Bedrock::new(&sdk);
    let discovery = DiscoveryOptions {
        system_profiles: config.enable_cross_region_inference,
        application_profiles: config.enable_application_inference_profiles,
        miss_refresh_interval: std::time::Duration::from_secs(config.models_miss_refresh_seconds),
    };
    let catalog = Arc::new(Catalog::new(bedrock.clone(), discovery));
    let images = ImageFetcher::new(&config).map_err(|e| StartError::Http(e.to_string()))?;
    let default = Upstream { bedrock: bedrock.clone(), catalog: Arc::clone(&catalog), region: region.region.clone() };
    let routing = Arc::new(Routing::new(route_table(&config), ClientPool::new(sdk, default, discovery)));
    let (keys, teams) = (Arc::new(ApiKeys::new(keys)), Arc::new(teams));
    let state = AppState::new(AppStateInner {
        config: Arc::new(config),
        bedrock,
        catalog,
        keys,
        images,
        responses,
        routing,
        teams,
    });
    Ok(Started { state, generated_key, emulator, region, key_counts })
}

/// The routing table of the configuration file (empty without one), its warnings logged.
fn route_table(config: &Config) -> RouteTable {
    let Some(file) = &config.file else { return RouteTable::default() };
    for warning in &file.warnings {
        tracing::warn!(warning = %warning, "configuration file");
    }
    let table = RouteTable::new(file);
    tracing::info!(models = file.models.len(), names = table.listed_names().count(), "model routes loaded");
    table
}

/// The configuration file's keys (their secrets read) and the store of their counts; some
/// key, from the file or the other sources, must exist.
async fn build_teams(config: &Config, sdk: &SdkConfig, keys: &[String]) -> Result<Teams, StartError> {
    let path = config.config_file.as_deref().unwrap_or("");
    let teams = Box::pin(Teams::build(config, sdk, keys)).await.map_err(|e| match path {
        "" => StartError::Teams(e),
        _ => StartError::Teams(format!("config file {path}: {e}")),
    })?;
    if keys.is_empty() && teams.is_empty() {
        return Err(KeyError::NoneConfigured.into());
    }
    let store = if teams.store.shared() { "redis" } else { "memory" };
    tracing::info!(keys = teams.len(), store, "keys of the configuration file loaded");
    Ok(teams)
}

/// The region served and the SDK configurations: one for Bedrock (the emulator's when there
/// is one) and one for the account, where keys and stored responses live even when Bedrock is
/// emulated. The real region is resolved only when something real is called.
async fn sdk_configs(config: &Config, emulator_url: Option<&str>) -> (RegionChoice, SdkConfig, SdkConfig) {
    let needs_account = emulator_url.is_none()
        || config.has_key_source()
        || config.responses_table.is_some()
        || crate::teams::reads_secrets(config);
    let account_region = match needs_account {
        true => Some(resolve_region(config).await),
        false => None,
    };
    let region = match (emulator_url, &account_region) {
        (None, Some(region)) => region.clone(),
        _ => RegionChoice::emulator(),
    };
    let sdk = sdk_config_in(config, emulator_url, &region).await;
    let account_sdk = match (emulator_url, &account_region) {
        (Some(_), Some(account)) => sdk_config_in(config, None, account).await,
        _ => sdk.clone(),
    };
    (region, sdk, account_sdk)
}

fn generate_key() -> String {
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("sk-local-{hex}")
}

/// Serves until SIGINT or SIGTERM.
pub async fn run(config: Config) -> Result<(), StartError> {
    let addr = std::net::SocketAddr::new(config.host, config.port);
    let listener =
        TcpListener::bind(addr).await.map_err(|source| StartError::Listen { addr: addr.to_string(), source })?;
    let started = build_state(config).await?;
    let state = started.state.clone();
    let refresher = state.catalog.spawn_refresher(state.config.models_refresh_interval());
    let reloader = crate::routing::reload::spawn_on_sighup(state.clone());
    let trimmer = crate::memory::spawn_trimmer();
    state.routing.warm_up();
    let local = listener.local_addr().map_err(StartError::Serve)?;
    let metrics_server = spawn_metrics_listener(state.config.metrics_addr).await?;
    announce(&local, &started);
    announce_metrics(metrics_server.as_ref().map(|(addr, _)| addr));
    let listener = TimedListener::new(listener, state.config.connection_timeouts());
    let grace = state.config.shutdown_grace();
    let signalled = Arc::new(Notify::new());
    let app = crate::router(state).layer(axum::middleware::from_fn(crate::conn::track_request));
    let server = axum::serve(listener, app.into_make_service_with_connect_info::<Connection>())
        .with_graceful_shutdown(notify_on_signal(signalled.clone()));
    drain_within(server.into_future(), &signalled, grace).await?;
    refresher.abort();
    reloader.abort();
    trimmer.abort();
    if let Some((_, task)) = metrics_server {
        task.abort();
    }
    if let Some(emulator) = started.emulator {
        emulator.shutdown().await;
    }
    Ok(())
}

/// The separate, unauthenticated `/metrics` listener, when `METRICS_ADDR` is set.
async fn spawn_metrics_listener(
    addr: Option<std::net::SocketAddr>,
) -> Result<Option<(std::net::SocketAddr, tokio::task::JoinHandle<()>)>, StartError> {
    let Some(addr) = addr else { return Ok(None) };
    let listen_error = |source| StartError::Listen { addr: format!("{addr} (METRICS_ADDR)"), source };
    let listener = TcpListener::bind(addr).await.map_err(listen_error)?;
    let local = listener.local_addr().map_err(listen_error)?;
    let task = tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, crate::metrics::metrics_router()).await {
            tracing::error!(%error, "the metrics listener stopped");
        }
    });
    Ok(Some((local, task)))
}

fn announce_metrics(addr: Option<&std::net::SocketAddr>) {
    if let Some(addr) = addr {
        let _ignored = writeln!(std::io::stdout().lock(), "  Metrics: http://{addr}/metrics");
        tracing::info!(address = %addr, "metrics listening on http://{addr}/metrics");
    }
}

/// The ready line tests and people read, then how to call the gateway.
fn announce(local: &std::net::SocketAddr, started: &Started) {
    let base = format!("http://{local}{}", started.state.config.api_route_prefix);
    let mut out = std::io::stdout().lock();
    let mut lines = vec![format!("bedrock-gateway listening on http://{local}"), format!("  OpenAI base URL: {base}")];
    if let Some(emulator) = &started.emulator {
        lines.push(format!("  Bedrock: built-in emulator at {}", emulator.base_url()));
    }
    if let Some(key) = &started.generated_key {
        lines.push(format!("  API key (generated for this run): {key}"));
    }
    for line in lines {
        let _ignored = writeln!(out, "{line}");
    }
    let _ignored = out.flush();
    log_startup(local, started);
}

/// The one start-up log line: where it listens, the region and its source, the expected
/// credential provider and the keys by source (never a key).
fn log_startup(local: &std::net::SocketAddr, started: &Started) {
    let config = &started.state.config;
    tracing::info!(
        address = %local,
        prefix = %config.api_route_prefix,
        region = %started.region.region,
        region_source = %started.region.source,
        credentials = %expected_credentials(config),
        keys = started.state.keys.len(),
        key_sources = %describe_counts(&started.key_counts),
        "listening on http://{local} in region {} ({})",
        started.region.region,
        started.region.source,
    );
}

/// Runs the server until it has drained after a signal, or until `grace` has passed since
/// the signal: the listener is already closed then, and the remaining connections are dropped.
async fn drain_within(
    server: impl std::future::Future<Output = std::io::Result<()>>,
    signalled: &Notify,
    grace: Duration,
) -> Result<(), StartError> {
    let deadline = async {
        signalled.notified().await;
        tokio::time::sleep(grace).await;
    };
    tokio::select! {
        result = server => result.map_err(StartError::Serve),
        () = deadline => {
            tracing::warn!(grace_seconds = grace.as_secs(), "shutdown grace period over; closing open connections");
            Ok(())
        }
    }
}

/// Waits for SIGINT/SIGTERM, then tells the drain deadline to start (a stored permit, so the
/// order of the two waits does not matter).
async fn notify_on_signal(signalled: Arc<Notify>) {
    shutdown_signal().await;
    signalled.notify_one();
}

/// Resolves on SIGINT or SIGTERM (shared with the Lambda transport).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
