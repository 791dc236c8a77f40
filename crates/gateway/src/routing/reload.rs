//! SIGHUP reloads the configuration file's routes and keys: a valid file replaces the routing
//! table and the key table (requests already routed finish on the old ones; counts and usage
//! stay); an invalid one is logged and the current tables stay. Global settings are read at
//! start only.

use tokio::task::JoinHandle;

use crate::state::AppState;

/// Listens for SIGHUP for as long as the server runs (nothing to do without a file).
pub fn spawn_on_sighup(state: AppState) -> JoinHandle<()> {
    tokio::spawn(async move {
        let Some(path) = state.config.config_file.clone() else { return };
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let Ok(mut hangups) = signal(SignalKind::hangup()) else {
                tracing::warn!("cannot listen for SIGHUP; the configuration file will not be reloaded");
                return;
            };
            while hangups.recv().await.is_some() {
                reload(&state, &path).await;
            }
        }
        #[cfg(not(unix))]
        let _unused = (state, path);
    })
}

/// The file, once its keys are in place (their secrets read), and how many keys it gives.
async fn load_with_keys(state: &AppState, path: &str) -> Result<(crate::config_file::FileConfig, usize), String> {
    let file = crate::config_file::load(path)?;
    let keys = state.teams.reload_keys(&file).await.map_err(|e| format!("config file {path}: {e}"))?;
    Ok((file, keys))
}

/// Loads `path` again and swaps its keys and routes in; `false` (and the old ones kept) if
/// the file or its keys are invalid.
pub async fn reload(state: &AppState, path: &str) -> bool {
    let (file, keys) = match load_with_keys(state, path).await {
        Ok(loaded) => loaded,
        Err(error) => {
            tracing::error!(error = %error, "configuration file not reloaded; the current routes and keys stay");
            crate::metrics::metrics().config_reload(false);
            return false;
        }
    };
    for warning in &file.warnings {
        tracing::warn!(warning = %warning, "configuration file");
    }
    let started_with = state.config.file.as_ref().map(|f| &f.settings);
    if started_with != Some(&file.settings) {
        tracing::warn!("configuration file `settings` changed: they apply at the next start");
    }
    let table = super::table::RouteTable::new(&file);
    let names = table.listed_names().count();
    state.routing.replace(table);
    state.routing.warm_up();
    crate::metrics::metrics().config_reload(true);
    tracing::info!(models = file.models.len(), names, keys, "configuration file reloaded");
    true
}
