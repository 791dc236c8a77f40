//! Start-up: configuration → clients, keys, catalogue → state → TCP server.

use std::io::Write as _;
use std::sync::Arc;

use axum::serve::ListenerExt as _;
use rand::RngCore;
use tokio::net::TcpListener;

use crate::config::Config;
use crate::fetch::ImageFetcher;
use crate::keys::{load_api_keys, ApiKeys, KeyError};
use crate::models::{Catalog, DiscoveryOptions};
use crate::responses_store::ResponseStore;
use crate::state::AppState;
use crate::upstream::{load_sdk_config, Bedrock};

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
}

/// Everything the router needs, plus what must live as long as the server.
pub struct Started {
    pub state: AppState,
    /// A key generated for `--emulator` runs without configured keys (printed at start).
    pub generated_key: Option<String>,
    pub emulator: Option<emulator::RunningEmulator>,
}

/// Builds the state: the emulator if asked, the SDK clients, the keys and the catalogue.
pub async fn build_state(config: Config) -> Result<Started, StartError> {
    let emulator = match config.emulator {
        true => Some(emulator::spawn(emulator::EmulatorConfig::default()).await.map_err(StartError::Emulator)?),
        false => None,
    };
    let emulator_url = emulator.as_ref().map(emulator::RunningEmulator::base_url);
    let sdk = load_sdk_config(&config, emulator_url.as_deref()).await;
    // Keys and stored responses live in the real account even when Bedrock is emulated.
    let needs_account = config.has_key_source() || config.responses_table.is_some();
    let account_sdk = match emulator.is_some() && needs_account {
        true => load_sdk_config(&config, None).await,
        false => sdk.clone(),
    };
    let (keys, generated_key) = if emulator.is_some() && !config.has_key_source() {
        let key = generate_key();
        (vec![key.clone()], Some(key))
    } else {
        (load_api_keys(&config, &account_sdk).await?, None)
    };
    let responses = ResponseStore::from_config(&config, &account_sdk);
    let bedrock = Bedrock::new(&sdk);
    let discovery = DiscoveryOptions {
        system_profiles: config.enable_cross_region_inference,
        application_profiles: config.enable_application_inference_profiles,
        miss_refresh_interval: std::time::Duration::from_secs(config.models_miss_refresh_seconds),
    };
    let catalog = Arc::new(Catalog::new(bedrock.clone(), discovery));
    let images = ImageFetcher::new(&config).map_err(|e| StartError::Http(e.to_string()))?;
    let state =
        AppState { config: Arc::new(config), bedrock, catalog, keys: Arc::new(ApiKeys::new(keys)), images, responses };
    Ok(Started { state, generated_key, emulator })
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
    let local = listener.local_addr().map_err(StartError::Serve)?;
    announce(&local, &started);
    // Without TCP_NODELAY a short SSE stream's last chunks wait ~40 ms for the client's
    // delayed ACK (Nagle); tokens must leave as soon as they arrive.
    let listener = listener.tap_io(|tcp| {
        if let Err(error) = tcp.set_nodelay(true) {
            tracing::debug!(%error, "could not set TCP_NODELAY");
        }
    });
    axum::serve(listener, crate::router(state))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(StartError::Serve)?;
    refresher.abort();
    if let Some(emulator) = started.emulator {
        emulator.shutdown().await;
    }
    Ok(())
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
    tracing::info!(address = %local, prefix = %started.state.config.api_route_prefix, keys = started.state.keys.len(), "listening");
}

async fn shutdown_signal() {
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
