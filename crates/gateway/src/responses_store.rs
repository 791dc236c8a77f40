//! Stored Responses API responses: in memory (bounded, LRU + TTL) or in DynamoDB.
//!
//! Every record is keyed by its owner — the SHA-256 digest of the API key that created it,
//! never the key — and the response id, so one key can never read another's responses.
//! Records are JSON text: the response as returned, and the conversation it ends.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use openai::responses::InputItem;
use serde::{Deserialize, Serialize};

use crate::config::Config;

/// Longest a DynamoDB call may take: storing delays the end of a stream, so it must not
/// wait as long as a model call may.
const DYNAMODB_DEADLINE: Duration = Duration::from_secs(10);

/// DynamoDB's largest item (400 KB), less room for the key and attribute names.
pub const DYNAMODB_ITEM_LIMIT: usize = 400 * 1024 - 1024;

/// What is kept of one response.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredResponse {
    /// The response object as returned to the client (JSON text).
    pub response: String,
    /// Every item of the conversation up to and including this response's output.
    pub conversation: Vec<InputItem>,
    /// Where this request's own input sits in `conversation` (for `input_items`).
    pub input_start: usize,
    pub input_end: usize,
}

/// Why a record could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the stored response is {size} bytes, above the store's limit of {limit} bytes")]
    TooLarge { size: usize, limit: usize },
    #[error("the response store failed: {0}")]
    Backend(String),
}

/// What a lookup found.
#[derive(Debug)]
pub enum Lookup {
    Found(StoredResponse),
    /// The response existed but was too large to keep (its size, in bytes).
    TooLarge(usize),
    Missing,
}

/// The configured store.
#[derive(Clone)]
pub enum ResponseStore {
    Memory(Arc<MemoryStore>),
    Dynamo(DynamoStore),
}

impl ResponseStore {
    /// DynamoDB when `RESPONSES_TABLE` is set, memory otherwise.
    pub fn from_config(config: &Config, sdk: &aws_config::SdkConfig) -> Self {
        let ttl = Duration::from_secs(config.responses_ttl_seconds);
        match &config.responses_table {
            Some(table) => {
                Self::Dynamo(DynamoStore { client: aws_sdk_dynamodb::Client::new(sdk), table: table.clone(), ttl })
            }
            None => {
                Self::Memory(Arc::new(MemoryStore::new(config.responses_max_entries, config.responses_max_bytes, ttl)))
            }
        }
    }

    pub async fn get(&self, owner: &str, id: &str) -> Result<Lookup, StoreError> {
        let key = record_key(owner, id);
        match self {
            Self::Memory(memory) => memory.get(&key).map_or(Ok(Lookup::Missing), |json| decode(&json)),
            Self::Dynamo(dynamo) => within_deadline(dynamo.get(&key)).await,
        }
    }

    pub async fn put(&self, owner: &str, id: &str, record: &StoredResponse) -> Result<(), StoreError> {
        let json = serde_json::to_string(record).map_err(|e| StoreError::Backend(e.to_string()))?;
        let key = record_key(owner, id);
        match self {
            Self::Memory(memory) => memory.put(key, json),
            Self::Dynamo(dynamo) => within_deadline(dynamo.put(key, json)).await,
        }
    }

    /// Whether there was something to delete.
    pub async fn delete(&self, owner: &str, id: &str) -> Result<bool, StoreError> {
        let key = record_key(owner, id);
        match self {
            Self::Memory(memory) => Ok(memory.delete(&key)),
            Self::Dynamo(dynamo) => within_deadline(dynamo.delete(&key)).await,
        }
    }
}

async fn within_deadline<T>(call: impl std::future::Future<Output = Result<T, StoreError>>) -> Result<T, StoreError> {
    tokio::time::timeout(DYNAMODB_DEADLINE, call)
        .await
        .unwrap_or_else(|_| Err(StoreError::Backend(format!("DynamoDB did not answer within {DYNAMODB_DEADLINE:?}"))))
}

fn record_key(owner: &str, id: &str) -> String {
    format!("{owner}#{id}")
}

fn decode(json: &str) -> Result<Lookup, StoreError> {
    serde_json::from_str(json).map(Lookup::Found).map_err(|e| StoreError::Backend(format!("unreadable record: {e}")))
}

/// In-process store bounded by entries and bytes (least recently used go first) and by age.
pub struct MemoryStore {
    max_entries: usize,
    max_bytes: usize,
    ttl: Duration,
    inner: Mutex<Lru>,
}

#[derive(Default)]
struct Lru {
    entries: HashMap<String, Entry>,
    /// Use tick → key, oldest first.
    order: BTreeMap<u64, String>,
    bytes: usize,
    tick: u64,
}

struct Entry {
    json: Arc<str>,
    expires: Instant,
    tick: u64,
}

impl MemoryStore {
    pub fn new(max_entries: usize, max_bytes: usize, ttl: Duration) -> Self {
        Self { max_entries, max_bytes, ttl, inner: Mutex::new(Lru::default()) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Lru> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn get(&self, key: &str) -> Option<Arc<str>> {
        let mut lru = self.lock();
        let expired = lru.entries.get(key)?.expires <= Instant::now();
        if expired {
            lru.remove(key);
            return None;
        }
        lru.touch(key)
    }

    pub fn put(&self, key: String, json: String) -> Result<(), StoreError> {
        if json.len() > self.max_bytes {
            return Err(StoreError::TooLarge { size: json.len(), limit: self.max_bytes });
        }
        let mut lru = self.lock();
        lru.remove(&key);
        lru.tick += 1;
        let tick = lru.tick;
        lru.bytes += json.len();
        lru.order.insert(tick, key.clone());
        lru.entries.insert(key, Entry { json: json.into(), expires: Instant::now() + self.ttl, tick });
        while lru.entries.len() > self.max_entries || lru.bytes > self.max_bytes {
            let Some((_, oldest)) = lru.order.pop_first() else { break };
            lru.remove(&oldest);
        }
        Ok(())
    }

    pub fn delete(&self, key: &str) -> bool {
        self.lock().remove(key)
    }

    /// Entries and bytes held (for tests and metrics).
    pub fn usage(&self) -> (usize, usize) {
        let lru = self.lock();
        (lru.entries.len(), lru.bytes)
    }
}

impl Lru {
    fn remove(&mut self, key: &str) -> bool {
        let Some(entry) = self.entries.remove(key) else { return false };
        self.order.remove(&entry.tick);
        self.bytes -= entry.json.len();
        true
    }

    fn touch(&mut self, key: &str) -> Option<Arc<str>> {
        self.tick += 1;
        let tick = self.tick;
        let entry = self.entries.get_mut(key)?;
        let old = std::mem::replace(&mut entry.tick, tick);
        let json = entry.json.clone();
        self.order.remove(&old);
        self.order.insert(tick, key.to_owned());
        Some(json)
    }
}

/// A DynamoDB table: hash key `pk` (S), TTL attribute `expires_at` (N, epoch seconds),
/// the record in `body` (S). Records too large for an item leave a small marker instead,
/// so a later lookup can say why the response is missing.
#[derive(Clone)]
pub struct DynamoStore {
    client: aws_sdk_dynamodb::Client,
    table: String,
    ttl: Duration,
}

impl DynamoStore {
    async fn get(&self, key: &str) -> Result<Lookup, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(key.to_owned()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| backend(&e))?;
        let Some(item) = output.item() else { return Ok(Lookup::Missing) };
        // DynamoDB deletes expired items lazily, up to days later.
        let expires = item.get("expires_at").and_then(|v| v.as_n().ok()).and_then(|n| n.parse::<u64>().ok());
        if expires.is_some_and(|at| at <= epoch_seconds()) {
            return Ok(Lookup::Missing);
        }
        if let Some(size) = item.get("too_large").and_then(|v| v.as_n().ok()).and_then(|n| n.parse().ok()) {
            return Ok(Lookup::TooLarge(size));
        }
        match item.get("body").and_then(|v| v.as_s().ok()) {
            Some(json) => decode(json),
            None => Err(StoreError::Backend("a stored response has no body".into())),
        }
    }

    async fn put(&self, key: String, json: String) -> Result<(), StoreError> {
        let size = json.len();
        let request = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", AttributeValue::S(key))
            .item("expires_at", AttributeValue::N((epoch_seconds() + self.ttl.as_secs()).to_string()));
        let request = if size > DYNAMODB_ITEM_LIMIT {
            request.item("too_large", AttributeValue::N(size.to_string()))
        } else {
            request.item("body", AttributeValue::S(json))
        };
        request.send().await.map_err(|e| backend(&e))?;
        if size > DYNAMODB_ITEM_LIMIT {
            return Err(StoreError::TooLarge { size, limit: DYNAMODB_ITEM_LIMIT });
        }
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<bool, StoreError> {
        let output = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(key.to_owned()))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| backend(&e))?;
        Ok(output.attributes().is_some_and(|a| !a.is_empty()))
    }
}

fn backend<E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::fmt::Debug, R: std::fmt::Debug>(
    error: &aws_sdk_dynamodb::error::SdkError<E, R>,
) -> StoreError {
    let detail = match error.as_service_error() {
        Some(service) => format!("{}: {}", service.code().unwrap_or("error"), service.message().unwrap_or("")),
        None => format!("{error:?}"),
    };
    StoreError::Backend(detail)
}

fn epoch_seconds() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(entries: usize, bytes: usize, ttl: Duration) -> MemoryStore {
        MemoryStore::new(entries, bytes, ttl)
    }

    #[test]
    fn least_recently_used_goes_first() {
        let memory = store(2, 1 << 20, Duration::from_secs(60));
        memory.put("a".into(), "1".into()).unwrap();
        memory.put("b".into(), "2".into()).unwrap();
        assert!(memory.get("a").is_some(), "a is now the most recent");
        memory.put("c".into(), "3".into()).unwrap();
        assert!(memory.get("b").is_none(), "b was the least recently used");
        assert_eq!(memory.get("a").as_deref(), Some("1"));
        assert_eq!(memory.usage(), (2, 2));
    }

    #[test]
    fn bytes_are_bounded() {
        let memory = store(100, 10, Duration::from_secs(60));
        memory.put("a".into(), "12345".into()).unwrap();
        memory.put("b".into(), "123456".into()).unwrap();
        assert!(memory.get("a").is_none());
        assert_eq!(memory.usage(), (1, 6));
        assert!(matches!(memory.put("c".into(), "x".repeat(11)), Err(StoreError::TooLarge { size: 11, limit: 10 })));
    }

    #[test]
    fn entries_expire_and_can_be_deleted() {
        let memory = store(10, 100, Duration::ZERO);
        memory.put("a".into(), "1".into()).unwrap();
        assert!(memory.get("a").is_none());
        assert_eq!(memory.usage(), (0, 0));
        let memory = store(10, 100, Duration::from_secs(60));
        memory.put("a".into(), "1".into()).unwrap();
        assert!(memory.delete("a"));
        assert!(!memory.delete("a"));
        assert_eq!(memory.usage(), (0, 0));
    }

    #[test]
    fn replacing_an_entry_keeps_the_byte_count_right() {
        let memory = store(10, 100, Duration::from_secs(60));
        memory.put("a".into(), "123".into()).unwrap();
        memory.put("a".into(), "12".into()).unwrap();
        assert_eq!(memory.usage(), (1, 2));
    }
}
