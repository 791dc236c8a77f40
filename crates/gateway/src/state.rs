//! Shared state handed to every handler: one `Arc`, so each of the many clones axum makes
//! per request (every layer and route holds one; ≈ 50 for a chat request) is one reference
//! count, not one per field.

use std::sync::Arc;

use crate::config::Config;
use crate::fetch::ImageFetcher;
use crate::keys::ApiKeys;
use crate::models::Catalog;
use crate::responses_store::ResponseStore;
use crate::routing::Routing;
use crate::upstream::Bedrock;

#[derive(Clone)]
pub struct AppState(Arc<AppStateInner>);

impl AppState {
    pub fn new(inner: AppStateInner) -> Self {
        Self(Arc::new(inner))
    }
}

impl std::ops::Deref for AppState {
    type Target = AppStateInner;

    fn deref(&self) -> &AppStateInner {
        &self.0
    }
}

pub struct AppStateInner {
    pub config: Arc<Config>,
    pub bedrock: Bedrock,
    pub catalog: Arc<Catalog>,
    pub keys: Arc<ApiKeys>,
    pub images: ImageFetcher,
    /// Stored Responses API responses.
    pub responses: ResponseStore,
    /// Names of the configuration file and the targets behind them.
    pub routing: Arc<Routing>,
    /// Keys of the configuration file, their limits and usage.
    pub teams: Arc<crate::teams::Teams>,
}
