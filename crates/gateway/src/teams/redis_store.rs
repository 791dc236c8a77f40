//! Counts and usage in Redis (or Valkey, ElastiCache with TLS and AUTH through a `rediss://`
//! URL), so every replica enforces one limit. Admission is one script, run atomically by
//! Redis (EVALSHA): it reads the key's counts, applies the same rule as the memory store and
//! adds the request only if admitted. A key's entries share the hash tag `{name}`, so a
//! cluster keeps them on one shard.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::Script;
use tokio::sync::OnceCell;

use super::memory::STREAM_LEASE_MS;
use super::store::{Ask, StoreError, Ticket, Usage, UsageRow, Verdict};
use super::window::{self, Counts, LimitKind, Window, SLOTS, SLOT_TTL_MS};

/// KEYS: 1–6 request slots, 7–12 token slots (oldest first), 13 day, 14 month, 15 streams.
/// ARGV: 1–5 limits (0: none) rpm, tpm, daily, monthly, streams; 6 reservation; 7 now (ms);
/// 8 stream id ('' when not a stream); 9 stream lease end (ms); 10 slot TTL (ms);
/// 11 day TTL (s); 12 month TTL (s).
/// Returns the refusing limit's code (0: admitted) then the 14 counts and the open streams.
const ADMIT: &str = r"
local c = {}
for i = 1, 14 do c[i] = tonumber(redis.call('GET', KEYS[i]) or '0') end
redis.call('ZREMRANGEBYSCORE', KEYS[15], '-inf', ARGV[7])
local streams = redis.call('ZCARD', KEYS[15])
local function sum(a, b) local s = 0 for i = a, b do s = s + c[i] end return s end
local function reached(limit, used) limit = tonumber(limit) return limit > 0 and used >= limit end
local refused = 0
if reached(ARGV[1], sum(1, 6)) then refused = 1
elseif reached(ARGV[2], sum(7, 12)) then refused = 2
elseif reached(ARGV[3], c[13]) then refused = 3
elseif reached(ARGV[4], c[14]) then refused = 4
elseif ARGV[8] ~= '' and reached(ARGV[5], streams) then refused = 5 end
if refused == 0 then
  c[6] = redis.call('INCR', KEYS[6]); redis.call('PEXPIRE', KEYS[6], ARGV[10])
  c[12] = redis.call('INCRBY', KEYS[12], ARGV[6]); redis.call('PEXPIRE', KEYS[12], ARGV[10])
  c[13] = redis.call('INCRBY', KEYS[13], ARGV[6]); redis.call('EXPIRE', KEYS[13], ARGV[11])
  c[14] = redis.call('INCRBY', KEYS[14], ARGV[6]); redis.call('EXPIRE', KEYS[14], ARGV[12])
  if ARGV[8] ~= '' then
    redis.call('ZADD', KEYS[15], ARGV[9], ARGV[8]); redis.call('PEXPIRE', KEYS[15], ARGV[9] - ARGV[7])
    streams = streams + 1
  end
end
local out = {refused}
for i = 1, 14 do out[i + 1] = c[i] end
out[16] = streams
return out
";

/// KEYS: 1 token slot, 2 day, 3 month (of the admission), 4 streams, 5 usage hash of the day.
/// ARGV: 1 token delta (reservation → use), 2 stream id or '', 3 usage TTL (s), then
/// field, increment pairs of the usage hash. Counts that have expired are left alone.
const SETTLE: &str = r"
if ARGV[1] ~= '0' then
  for i = 1, 3 do
    if redis.call('EXISTS', KEYS[i]) == 1 then redis.call('INCRBY', KEYS[i], ARGV[1]) end
  end
end
if ARGV[2] ~= '' then redis.call('ZREM', KEYS[4], ARGV[2]) end
for i = 4, #ARGV, 2 do redis.call('HINCRBY', KEYS[5], ARGV[i], ARGV[i + 1]) end
if #ARGV >= 4 then redis.call('EXPIRE', KEYS[5], ARGV[3]) end
return 1
";

const DAY_TTL_S: u64 = 2 * 86_400;
const MONTH_TTL_S: u64 = 32 * 86_400;
/// Separates model and counter in a usage field (model ids never hold a tab).
const FIELD_SEPARATOR: char = '\t';

pub struct RedisStore {
    client: redis::Client,
    connection: OnceCell<ConnectionManager>,
    timeout: Duration,
    admit: Script,
    settle: Script,
}

fn failed(error: &redis::RedisError) -> StoreError {
    StoreError(format!("Redis: {error}"))
}

impl RedisStore {
    /// Checks the URL (the connection is made on first use, so a Redis down at start-up
    /// does not stop the gateway).
    pub fn new(url: &str, timeout: Duration) -> Result<Self, String> {
        let client = redis::Client::open(url).map_err(|e| format!("REDIS_URL is not a usable Redis URL: {e}"))?;
        let (admit, settle) = (Script::new(ADMIT), Script::new(SETTLE));
        Ok(Self { client, connection: OnceCell::new(), timeout, admit, settle })
    }

    async fn connection(&self) -> Result<ConnectionManager, StoreError> {
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.timeout))
            .set_response_timeout(Some(self.timeout))
            .set_number_of_retries(1);
        let connect =
            || async { ConnectionManager::new_lazy_with_config(self.client.clone(), config).map_err(|e| failed(&e)) };
        self.connection.get_or_try_init(connect).await.cloned()
    }

    /// Runs `call` within the deadline.
    async fn within<T>(&self, call: impl std::future::Future<Output = redis::RedisResult<T>>) -> Result<T, StoreError> {
        match tokio::time::timeout(self.timeout, call).await {
            Ok(result) => result.map_err(|e| failed(&e)),
            Err(_) => Err(StoreError(format!("Redis did not answer within {} ms", self.timeout.as_millis()))),
        }
    }

    pub async fn admit(&self, ask: &Ask) -> Result<Verdict, StoreError> {
        let mut connection = self.connection().await?;
        let first = window::first_slot(ask.now_ms);
        let mut invocation = self.admit.prepare_invoke();
        admit_keys(&mut invocation, ask, first);
        admit_args(&mut invocation, ask);
        let reply: Vec<i64> = self.within(invocation.invoke_async(&mut connection)).await?;
        verdict(&reply, first)
    }

    pub async fn settle(
        &self,
        ticket: Option<&Ticket>,
        delta: i64,
        usage: &Usage,
        retention_days: u64,
    ) -> Result<(), StoreError> {
        let mut connection = self.connection().await?;
        let mut invocation = self.settle.prepare_invoke();
        let at = ticket.map_or(0, |t| t.now_ms);
        invocation
            .key(key_name(&usage.key, &format!("t:{}", window::slot_of(at))))
            .key(key_name(&usage.key, &format!("d:{}", window::day_label(at))))
            .key(key_name(&usage.key, &format!("m:{}", window::month_label(at))))
            .key(key_name(&usage.key, "s"))
            .key(key_name(&usage.key, &format!("u:{}", usage.day)));
        let stream = ticket.and_then(|t| t.stream_id.as_deref()).unwrap_or("");
        invocation.arg(if ticket.is_some() { delta } else { 0 }).arg(stream).arg(retention_days * 86_400);
        for (counter, value) in usage_fields(usage) {
            invocation.arg(format!("{}{FIELD_SEPARATOR}{counter}", usage.model)).arg(value);
        }
        let _done: i64 = self.within(invocation.invoke_async(&mut connection)).await?;
        Ok(())
    }

    pub async fn usage(&self, keys: &[String], days: &[String]) -> Result<Vec<UsageRow>, StoreError> {
        let mut connection = self.connection().await?;
        let mut pipe = redis::pipe();
        let pairs: Vec<(&String, &String)> = keys.iter().flat_map(|k| days.iter().map(move |d| (k, d))).collect();
        for (key, day) in &pairs {
            pipe.hgetall(key_name(key, &format!("u:{day}")));
        }
        let hashes: Vec<Vec<(String, u64)>> = self.within(pipe.query_async(&mut connection)).await?;
        Ok(pairs.iter().zip(hashes).flat_map(|((key, day), fields)| rows(key, day, fields)).collect())
    }
}

/// KEYS of the admission script, in its order.
fn admit_keys(invocation: &mut redis::ScriptInvocation<'_>, ask: &Ask, first: u64) {
    for kind in ["r", "t"] {
        for slot in first..first + SLOTS as u64 {
            invocation.key(key_name(&ask.key, &format!("{kind}:{slot}")));
        }
    }
    invocation
        .key(key_name(&ask.key, &format!("d:{}", window::day_label(ask.now_ms))))
        .key(key_name(&ask.key, &format!("m:{}", window::month_label(ask.now_ms))))
        .key(key_name(&ask.key, "s"));
}

/// ARGV of the admission script, in its order (0: no limit).
fn admit_args(invocation: &mut redis::ScriptInvocation<'_>, ask: &Ask) {
    let limits = &ask.limits;
    for limit in [
        limits.requests_per_minute,
        limits.tokens_per_minute,
        limits.daily_tokens,
        limits.monthly_tokens,
        limits.max_concurrent_streams,
    ] {
        invocation.arg(limit.unwrap_or(0));
    }
    invocation
        .arg(ask.reserve)
        .arg(ask.now_ms)
        .arg(ask.stream_id.as_deref().unwrap_or(""))
        .arg(ask.now_ms + STREAM_LEASE_MS)
        .arg(SLOT_TTL_MS)
        .arg(DAY_TTL_S)
        .arg(MONTH_TTL_S);
}

/// `gw:{name}:suffix`: the braces make the name the cluster hash tag.
fn key_name(key: &str, suffix: &str) -> String {
    format!("gw:{{{key}}}:{suffix}")
}

fn usage_fields(usage: &Usage) -> [(&'static str, u64); 5] {
    [
        ("requests", 1),
        ("input_tokens", usage.tokens.input),
        ("output_tokens", usage.tokens.output),
        ("cache_read_tokens", usage.tokens.cache_read),
        ("cache_write_tokens", usage.tokens.cache_write),
    ]
}

/// The rows of one key's usage hash for one day.
fn rows(key: &str, day: &str, fields: Vec<(String, u64)>) -> Vec<UsageRow> {
    let mut rows: Vec<UsageRow> = Vec::new();
    for (field, value) in fields {
        let Some((model, counter)) = field.rsplit_once(FIELD_SEPARATOR) else { continue };
        let index = match rows.iter().position(|r| r.model == model) {
            Some(index) => index,
            None => {
                let row = UsageRow {
                    day: day.to_owned(),
                    key: key.to_owned(),
                    model: model.to_owned(),
                    ..UsageRow::default()
                };
                rows.push(row);
                rows.len() - 1
            }
        };
        let row = &mut rows[index];
        match counter {
            "requests" => row.requests = value,
            "input_tokens" => row.input_tokens = value,
            "output_tokens" => row.output_tokens = value,
            "cache_read_tokens" => row.cache_read_tokens = value,
            "cache_write_tokens" => row.cache_write_tokens = value,
            _ => {}
        }
    }
    rows.sort_by(|a, b| a.model.cmp(&b.model));
    rows
}

/// The script's reply as counts and decision.
fn verdict(reply: &[i64], first: u64) -> Result<Verdict, StoreError> {
    if reply.len() != 16 {
        return Err(StoreError(format!("unexpected admission reply of {} values", reply.len())));
    }
    let count = |i: usize| u64::try_from(reply[i]).unwrap_or(0);
    let window = |start: usize| Window { first, counts: std::array::from_fn(|i| count(start + i)) };
    let counts =
        Counts { requests: window(1), tokens: window(1 + SLOTS), day: count(13), month: count(14), streams: count(15) };
    Ok(Verdict { counts, refused: LimitKind::from_code(reply[0]) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_become_counts() {
        let mut reply = vec![1];
        reply.extend(1..=15);
        let decided = verdict(&reply, 100).unwrap();
        assert_eq!(decided.refused, Some(LimitKind::Requests));
        assert_eq!(decided.counts.requests, Window { first: 100, counts: [1, 2, 3, 4, 5, 6] });
        assert_eq!(decided.counts.tokens.counts, [7, 8, 9, 10, 11, 12]);
        assert_eq!((decided.counts.day, decided.counts.month, decided.counts.streams), (13, 14, 15));
        assert!(verdict(&[0, 1], 100).is_err());
    }

    #[test]
    fn names_share_the_key_hash_tag() {
        assert_eq!(key_name("team-a", "r:42"), "gw:{team-a}:r:42");
    }

    #[test]
    fn usage_fields_become_rows_per_model() {
        let fields = vec![
            ("m1\trequests".to_owned(), 2),
            ("m1\tinput_tokens".to_owned(), 30),
            ("m0\toutput_tokens".to_owned(), 7),
            ("garbage".to_owned(), 1),
        ];
        let rows = rows("k", "2026-12-03", fields);
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].model.as_str(), rows[0].output_tokens), ("m0", 7));
        assert_eq!((rows[1].requests, rows[1].input_tokens), (2, 30));
    }
}
