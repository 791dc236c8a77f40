//! Model discovery with a TTL cache refreshed in the background. Requests read the
//! current snapshot without touching AWS; only an unknown id may wait for one
//! (coalesced, rate-limited) refresh before it is declared not found.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_sdk_bedrock::types::{InferenceProfileSummary, InferenceProfileType};
use bedrock::model_id;
use tokio::sync::Mutex;

use super::index::{build_index, ModelEntry, ModelIndex, OutputKind, ProfileRecord};
use crate::error::UpstreamError;
use crate::upstream::{classify_sdk_error, Bedrock};

/// Which inference profiles become models.
#[derive(Debug, Clone, Copy)]
pub struct DiscoveryOptions {
    pub system_profiles: bool,
    pub application_profiles: bool,
    /// Unknown ids trigger at most one refresh per this interval.
    pub miss_refresh_interval: Duration,
}

/// The model catalogue shared by all requests.
pub struct Catalog {
    bedrock: Bedrock,
    options: DiscoveryOptions,
    index: RwLock<Arc<ModelIndex>>,
    generation: AtomicU64,
    refresh_lock: Mutex<Option<Instant>>,
}

/// How a requested model id resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    Known(ModelEntry),
    /// Not in the listings but servable as is (provisioned/custom model ARNs, or discovery
    /// has not succeeded yet): Bedrock itself will judge it.
    PassThrough(String),
}

impl Catalog {
    pub fn new(bedrock: Bedrock, options: DiscoveryOptions) -> Self {
        Self {
            bedrock,
            options,
            index: RwLock::new(Arc::new(ModelIndex::default())),
            generation: AtomicU64::new(0),
            refresh_lock: Mutex::new(None),
        }
    }

    /// The current index (cheap: one `Arc` clone).
    pub fn snapshot(&self) -> Arc<ModelIndex> {
        match self.index.read() {
            Ok(guard) => Arc::clone(&guard),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Lists everything again and swaps the index in. Keeps the old index on failure.
    pub async fn refresh(&self) -> Result<(), UpstreamError> {
        let started = self.generation.load(Ordering::Acquire);
        let mut last = self.refresh_lock.lock().await;
        if self.generation.load(Ordering::Acquire) != started {
            return Ok(()); // someone refreshed while we waited
        }
        let result = self.discover().await;
        *last = Some(Instant::now());
        let index = result.inspect_err(|_| crate::metrics::metrics().catalog_refresh_failed())?;
        crate::metrics::metrics().catalog_refreshed();
        tracing::info!(models = index.entries().len(), "model list refreshed");
        match self.index.write() {
            Ok(mut guard) => *guard = Arc::new(index),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(index),
        }
        self.generation.fetch_add(1, Ordering::AcqRel);
        Ok(())
    }

    /// Resolves a model id; an unknown id waits for one refresh before giving up.
    pub async fn resolve(&self, id: &str) -> Option<Resolved> {
        if let Some(found) = self.lookup(id) {
            return Some(found);
        }
        if self.may_refresh_for_miss().await {
            if let Err(error) = self.refresh().await {
                tracing::warn!(%error, "model list refresh after an unknown model failed");
            }
        }
        self.lookup(id)
    }

    fn lookup(&self, id: &str) -> Option<Resolved> {
        let index = self.snapshot();
        if let Some(entry) = index.get(id) {
            return Some(Resolved::Known(entry.clone()));
        }
        let opaque_arn = id.starts_with("arn:") && model_id::foundation_id(id).is_none();
        (opaque_arn || !index.loaded).then(|| Resolved::PassThrough(id.to_owned()))
    }

    async fn may_refresh_for_miss(&self) -> bool {
        let last = self.refresh_lock.lock().await;
        last.is_none_or(|at| at.elapsed() >= self.options.miss_refresh_interval)
    }

    /// Refreshes every `interval`, forever; failures are logged and retried next time.
    pub fn spawn_refresher(self: &Arc<Self>, interval: Duration) -> tokio::task::JoinHandle<()> {
        let catalog = Arc::clone(self);
        tokio::spawn(async move {
            loop {
                if let Err(error) = catalog.refresh().await {
                    tracing::warn!(%error, "model list refresh failed; keeping the previous list");
                }
                tokio::time::sleep(interval).await;
            }
        })
    }

    async fn discover(&self) -> Result<ModelIndex, UpstreamError> {
        let mut profiles = Vec::new();
        if self.options.system_profiles {
            profiles.extend(self.list_profiles(InferenceProfileType::SystemDefined).await?);
        }
        if self.options.application_profiles {
            profiles.extend(self.list_profiles(InferenceProfileType::Application).await?);
        }
        let models = self.bedrock.control.list_foundation_models().send().await.map_err(|e| classify_sdk_error(&e))?;
        let created = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        Ok(build_index(models.model_summaries(), &profiles, created))
    }

    async fn list_profiles(&self, kind: InferenceProfileType) -> Result<Vec<ProfileRecord>, UpstreamError> {
        let application = kind == InferenceProfileType::Application;
        let mut pages =
            self.bedrock.control.list_inference_profiles().type_equals(kind).max_results(1000).into_paginator().send();
        let mut records = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| classify_sdk_error(&e))?;
            records.extend(page.inference_profile_summaries().iter().filter_map(|p| profile_record(p, application)));
        }
        Ok(records)
    }
}

/// A profile's servable id (its id, or its ARN for application profiles) and the
/// foundation model its first model ARN names.
fn profile_record(profile: &InferenceProfileSummary, application: bool) -> Option<ProfileRecord> {
    let model_arn = profile.models().first()?.model_arn()?;
    let target = model_id::arn_resource_id(model_arn);
    let foundation_id = model_id::strip_profile_prefix(target).unwrap_or(target).to_owned();
    let id = if application { profile.inference_profile_arn() } else { profile.inference_profile_id() };
    Some(ProfileRecord { id: id.to_owned(), foundation_id })
}

impl Resolved {
    /// The id to send to Bedrock.
    pub fn model_id(&self) -> &str {
        match self {
            Self::Known(entry) => &entry.id,
            Self::PassThrough(id) => id,
        }
    }

    pub fn output(&self) -> OutputKind {
        match self {
            Self::Known(entry) => entry.output,
            Self::PassThrough(_) => OutputKind::Text,
        }
    }
}
