//! Which models exist: discovery, the cached index, and resolution of requested ids.

pub mod catalog;
pub mod index;

pub use catalog::{Catalog, DiscoveryOptions, Resolved};
pub use index::{ModelEntry, ModelIndex, OutputKind};
