//! Which models exist: discovery, the cached index, and resolution of requested ids.

pub mod anthropic_names;
pub mod catalog;
pub mod index;
pub mod resolve;

pub use catalog::{Catalog, DiscoveryOptions, Resolved};
pub use index::{ModelEntry, ModelIndex, OutputKind};
pub use resolve::{requested_model, Target, CHAT_ALIASES, EMBEDDING_ALIASES, IMAGE_ALIASES};
