//! Where counts and usage live: this process's memory, or Redis (Valkey, ElastiCache) when
//! `REDIS_URL` is set, so every replica enforces the same limits. Redis calls have a short
//! deadline; when Redis cannot answer, `REDIS_FAIL_MODE` decides (open: served without limits,
//! with a warning and a metric; closed: refused with 503), and Redis is left alone for a
//! second before the next try, so a dead Redis costs no request a wait.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::memory::Memory;
use super::redis_store::RedisStore;
use super::window::{self, Counts, LimitKind, Limits};
use crate::config::Config;
use crate::record::Tokens;

/// A request asking to be admitted under its key's limits.
#[derive(Debug, Clone)]
pub struct Ask {
    pub key: Arc<str>,
    pub limits: Limits,
    /// Tokens reserved until the request is settled.
    pub reserve: u64,
    /// Set for streams: their id in the key's set of open streams.
    pub stream_id: Option<String>,
    pub now_ms: u64,
}

/// The store's answer: the counts after the decision, and the limit that refused, if any.
#[derive(Debug, Clone, Copy)]
pub struct Verdict {
    pub counts: Counts,
    pub refused: Option<LimitKind>,
}

/// What settling an admitted request must undo or complete.
#[derive(Debug, Clone)]
pub struct Ticket {
    pub key: Arc<str>,
    /// Where the reservation was counted (slot, day and month of the admission).
    pub now_ms: u64,
    pub reserved: u64,
    pub stream_id: Option<String>,
}

/// One request's usage, added to its key's row for the model and day.
#[derive(Debug, Clone)]
pub struct Usage {
    pub key: Arc<str>,
    pub model: String,
    pub tokens: Tokens,
    pub day: String,
}

/// Usage rows: (day, key, model) → counters.
pub type UsageRows = Vec<UsageRow>;

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct UsageRow {
    pub day: String,
    pub key: String,
    pub model: String,
    pub requests: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cache_read_tokens: u64,
    pub cache_write_tokens: u64,
}

/// A store that could not answer.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StoreError(pub String);

enum Backend {
    Memory(Memory),
    Redis(Box<RedisStore>),
}

/// The store of one process, shared by every request.
pub struct Store {
    backend: Backend,
    fail_closed: bool,
    /// Unix ms before which Redis is not tried again (after a failure).
    resting_until: AtomicU64,
    pub retention_days: u64,
}

/// How long a failed Redis is left alone.
const REST: Duration = Duration::from_secs(1);

impl Store {
    pub fn from_config(config: &Config) -> Result<Self, String> {
        let backend = match config.redis_url.as_deref() {
            Some(url) => {
                Backend::Redis(Box::new(RedisStore::new(url, Duration::from_millis(config.redis_timeout_ms))?))
            }
            None => Backend::Memory(Memory::default()),
        };
        Ok(Self {
            backend,
            fail_closed: config.redis_fail_mode == "closed",
            resting_until: AtomicU64::new(0),
            retention_days: config.usage_retention_days,
        })
    }

    /// An in-memory store (tests).
    pub fn memory() -> Self {
        Self {
            backend: Backend::Memory(Memory::default()),
            fail_closed: false,
            resting_until: AtomicU64::new(0),
            retention_days: 400,
        }
    }

    pub fn shared(&self) -> bool {
        matches!(self.backend, Backend::Redis(_))
    }

    /// Admits or refuses. `Err` only when Redis could not answer and the fail mode is closed;
    /// open, the request is admitted with `None` (nothing counted, nothing to settle).
    pub async fn admit(&self, ask: &Ask) -> Result<Option<Verdict>, StoreError> {
        let result = match &self.backend {
            Backend::Memory(memory) => Ok(memory.admit(ask)),
            Backend::Redis(redis) => match self.available(ask.now_ms) {
                true => redis.admit(ask).await,
                false => Err(StoreError("Redis is resting after a failure".into())),
            },
        };
        match result {
            Ok(verdict) => Ok(Some(verdict)),
            Err(error) => self.unavailable(error, ask.now_ms),
        }
    }

    /// Settles an admitted request: its reservation becomes what it used, its stream ends,
    /// its usage is added. Never waits on Redis (the work runs in the background).
    pub fn settle(self: &Arc<Self>, ticket: Option<Ticket>, usage: Usage) {
        let delta =
            ticket.as_ref().map_or(0, |t| signed(usage.tokens.input + usage.tokens.output) - signed(t.reserved));
        match &self.backend {
            Backend::Memory(memory) => memory.settle(ticket.as_ref(), delta, &usage, self.retention_days),
            Backend::Redis(_) => {
                let store = Arc::clone(self);
                let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
                runtime.spawn(async move { store.settle_redis(ticket, delta, usage).await });
            }
        }
    }

    async fn settle_redis(&self, ticket: Option<Ticket>, delta: i64, usage: Usage) {
        let Backend::Redis(redis) = &self.backend else { return };
        let now = now_ms();
        if !self.available(now) {
            tracing::debug!(key = %usage.key, "usage not recorded: Redis is resting after a failure");
            return;
        }
        if let Err(error) = redis.settle(ticket.as_ref(), delta, &usage, self.retention_days).await {
            crate::metrics::metrics().limiter_unavailable.inc();
            tracing::warn!(%error, key = %usage.key, "could not record usage in Redis");
            self.rest(now);
        }
    }

    /// Usage rows of the days `from..=to` for `keys`.
    pub async fn usage(&self, keys: &[String], days: &[String]) -> Result<UsageRows, StoreError> {
        match &self.backend {
            Backend::Memory(memory) => Ok(memory.usage(keys, days)),
            Backend::Redis(redis) => redis.usage(keys, days).await,
        }
    }

    fn available(&self, now: u64) -> bool {
        self.resting_until.load(Ordering::Relaxed) <= now
    }

    fn rest(&self, now: u64) {
        let before = self.resting_until.swap(now + REST.as_millis() as u64, Ordering::Relaxed);
        if before <= now {
            tracing::warn!(
                fail_mode = if self.fail_closed { "closed" } else { "open" },
                "Redis did not answer; requests with limits are {} until it does",
                if self.fail_closed { "refused" } else { "served without limits" }
            );
        }
    }

    fn unavailable(&self, error: StoreError, now: u64) -> Result<Option<Verdict>, StoreError> {
        crate::metrics::metrics().limiter_unavailable.inc();
        tracing::debug!(%error, "the limits store did not answer");
        if self.available(now) {
            self.rest(now);
        }
        match self.fail_closed {
            true => Err(error),
            false => Ok(None),
        }
    }
}

fn signed(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// Unix milliseconds.
pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// The UTC days from `from` to `to` (inclusive) as labels, at most `max` of them.
pub fn days_between(from: time::Date, to: time::Date, max: usize) -> Result<Vec<String>, String> {
    if from > to {
        return Err("`from` is after `to`".into());
    }
    let mut days = Vec::new();
    let mut day = Some(from);
    while let Some(current) = day.filter(|d| *d <= to) {
        if days.len() == max {
            return Err(format!("at most {max} days at once"));
        }
        days.push(window::date_label(current));
        day = current.next_day();
    }
    Ok(days)
}
