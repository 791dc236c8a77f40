//! The in-memory store of one process: the default, and right for a single node.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use super::store::{Ask, Ticket, Usage, UsageRow, Verdict};
use super::window::{self, Counts, Window, SLOTS};

/// The last slots of a per-minute count, each tagged with its slot number.
#[derive(Debug, Default, Clone, Copy)]
struct Ring {
    slots: [(u64, u64); SLOTS],
}

impl Ring {
    fn window(&self, now_ms: u64) -> Window {
        let first = window::first_slot(now_ms);
        let mut counts = [0; SLOTS];
        for (i, count) in counts.iter_mut().enumerate() {
            let slot = first + i as u64;
            let (tag, value) = self.slots[(slot % SLOTS as u64) as usize];
            *count = if tag == slot { value } else { 0 };
        }
        Window { first, counts }
    }

    /// Adds `delta` to `slot`, starting it afresh if the ring held an older slot there;
    /// a slot that has already been replaced is left alone (it left the window).
    fn add(&mut self, slot: u64, delta: i64) {
        let entry = &mut self.slots[(slot % SLOTS as u64) as usize];
        if entry.0 < slot {
            *entry = (slot, 0);
        }
        if entry.0 == slot {
            entry.1 = entry.1.saturating_add_signed(delta);
        }
    }
}

/// A count for one labelled period (a day or a month).
#[derive(Debug, Default)]
struct Period {
    label: String,
    tokens: u64,
}

impl Period {
    fn get(&self, label: &str) -> u64 {
        if self.label == label {
            self.tokens
        } else {
            0
        }
    }

    fn add(&mut self, label: &str, delta: i64) {
        if self.label != label {
            if delta <= 0 || self.label.as_str() > label {
                return;
            }
            *self = Self { label: label.to_owned(), tokens: 0 };
        }
        self.tokens = self.tokens.saturating_add_signed(delta);
    }
}

#[derive(Debug, Default)]
struct KeyCounts {
    requests: Ring,
    tokens: Ring,
    day: Period,
    month: Period,
    /// Open streams and when their lease ends (Unix ms).
    streams: HashMap<String, u64>,
}

impl KeyCounts {
    fn counts(&self, now_ms: u64) -> Counts {
        Counts {
            requests: self.requests.window(now_ms),
            tokens: self.tokens.window(now_ms),
            day: self.day.get(&window::day_label(now_ms)),
            month: self.month.get(&window::month_label(now_ms)),
            streams: self.streams.len() as u64,
        }
    }

    /// Counts an admitted request and its reservation.
    fn count(&mut self, ask: &Ask) {
        let slot = window::slot_of(ask.now_ms);
        let reserve = i64::try_from(ask.reserve).unwrap_or(i64::MAX);
        self.requests.add(slot, 1);
        self.tokens.add(slot, reserve);
        self.day.add(&window::day_label(ask.now_ms), reserve);
        self.month.add(&window::month_label(ask.now_ms), reserve);
        if let Some(id) = &ask.stream_id {
            self.streams.insert(id.clone(), ask.now_ms + STREAM_LEASE_MS);
        }
    }
}

type UsageKey = (String, Arc<str>, String);

#[derive(Default)]
pub struct Memory {
    counts: Mutex<HashMap<Arc<str>, KeyCounts>>,
    usage: Mutex<BTreeMap<UsageKey, UsageRow>>,
}

/// A stream counts against its key for at most this long (a lost settlement cannot hold a
/// slot forever).
pub const STREAM_LEASE_MS: u64 = 15 * 60 * 1000;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Memory {
    /// The same rule as the Redis script, under one lock.
    pub fn admit(&self, ask: &Ask) -> Verdict {
        let mut all = lock(&self.counts);
        let key = all.entry(Arc::clone(&ask.key)).or_default();
        key.streams.retain(|_, lease| *lease > ask.now_ms);
        let refused = window::refusal(&ask.limits, &key.counts(ask.now_ms), ask.stream_id.is_some());
        if refused.is_none() {
            key.count(ask);
        }
        Verdict { counts: key.counts(ask.now_ms), refused }
    }

    pub fn settle(&self, ticket: Option<&Ticket>, delta: i64, usage: &Usage, retention_days: u64) {
        if let Some(ticket) = ticket {
            let mut all = lock(&self.counts);
            if let Some(key) = all.get_mut(&ticket.key) {
                key.tokens.add(window::slot_of(ticket.now_ms), delta);
                key.day.add(&window::day_label(ticket.now_ms), delta);
                key.month.add(&window::month_label(ticket.now_ms), delta);
                if let Some(id) = &ticket.stream_id {
                    key.streams.remove(id);
                }
            }
        }
        self.record(usage, retention_days);
    }

    fn record(&self, usage: &Usage, retention_days: u64) {
        let mut rows = lock(&self.usage);
        let key = (usage.day.clone(), Arc::clone(&usage.key), usage.model.clone());
        let row = rows.entry(key).or_insert_with(|| UsageRow {
            day: usage.day.clone(),
            key: usage.key.to_string(),
            model: usage.model.clone(),
            ..UsageRow::default()
        });
        add_usage(row, usage);
        forget_old_days(&mut rows, &usage.day, retention_days);
    }

    pub fn usage(&self, keys: &[String], days: &[String]) -> Vec<UsageRow> {
        let rows = lock(&self.usage);
        let wanted = |row: &&UsageRow| days.contains(&row.day) && keys.contains(&row.key);
        rows.values().filter(wanted).cloned().collect()
    }
}

pub fn add_usage(row: &mut UsageRow, usage: &Usage) {
    row.requests += 1;
    row.input_tokens += usage.tokens.input;
    row.output_tokens += usage.tokens.output;
    row.cache_read_tokens += usage.tokens.cache_read;
    row.cache_write_tokens += usage.tokens.cache_write;
}

/// Drops the rows of days older than the retention (rows are ordered by day first).
fn forget_old_days(rows: &mut BTreeMap<UsageKey, UsageRow>, today: &str, retention_days: u64) {
    let Some(oldest) = rows.keys().next().map(|(day, _, _)| day.clone()) else { return };
    let Ok(today) = time::Date::parse(today, time::macros::format_description!("[year]-[month]-[day]")) else {
        return;
    };
    let days = time::Duration::days(i64::try_from(retention_days).unwrap_or(36_500));
    let Some(keep_from) = today.checked_sub(days).map(window::date_label) else { return };
    if oldest < keep_from {
        rows.retain(|(day, _, _), _| *day >= keep_from);
    }
}
