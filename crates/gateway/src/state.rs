//! Shared state handed to every handler (cheap to clone).

use std::sync::Arc;

use crate::config::Config;
use crate::fetch::ImageFetcher;
use crate::keys::ApiKeys;
use crate::models::Catalog;
use crate::responses_store::ResponseStore;
use crate::routing::Routing;
use crate::upstream::Bedrock;

#[derive(Clone)]
pub struct AppState {
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
