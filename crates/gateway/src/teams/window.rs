//! The window arithmetic of key limits, shared by both stores (the Redis script only reads,
//! compares and adds; every derived number is computed here).
//!
//! Per-minute limits use a sliding window of six 10-second slots: a request is judged on the
//! current slot and the five before it, so on 50 to 60 seconds of history. Over any 60-second
//! span at most `limit` plus what one slot admitted can pass (the slot that leaves the window
//! early); over any 50-second span, never more than `limit`. Budgets count UTC calendar days
//! and months.

use time::{Date, Month, OffsetDateTime};

/// Width of one slot of the per-minute windows.
pub const SLOT_MS: u64 = 10_000;
/// Slots a per-minute window judges (the current one included).
pub const SLOTS: usize = 6;
/// How long a slot must be kept: it leaves the window 60 s after it starts.
pub const SLOT_TTL_MS: u64 = SLOT_MS * SLOTS as u64 + SLOT_MS;

/// The limits of one key; `None` is no limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Limits {
    pub requests_per_minute: Option<u64>,
    pub tokens_per_minute: Option<u64>,
    pub daily_tokens: Option<u64>,
    pub monthly_tokens: Option<u64>,
    pub max_concurrent_streams: Option<u64>,
}

impl Limits {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// Whether the key's tokens must be counted (and so reserved before each call).
    pub fn counts_tokens(&self) -> bool {
        self.tokens_per_minute.is_some() || self.daily_tokens.is_some() || self.monthly_tokens.is_some()
    }
}

/// Which limit refused a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitKind {
    Requests,
    Tokens,
    DailyTokens,
    MonthlyTokens,
    Streams,
}

impl LimitKind {
    /// The code the Redis script returns for it (0: admitted).
    pub fn from_code(code: i64) -> Option<Self> {
        match code {
            1 => Some(Self::Requests),
            2 => Some(Self::Tokens),
            3 => Some(Self::DailyTokens),
            4 => Some(Self::MonthlyTokens),
            5 => Some(Self::Streams),
            _ => None,
        }
    }

    /// The metric label and the name used in messages.
    pub fn label(self) -> &'static str {
        match self {
            Self::Requests => "requests_per_minute",
            Self::Tokens => "tokens_per_minute",
            Self::DailyTokens => "daily_tokens",
            Self::MonthlyTokens => "monthly_tokens",
            Self::Streams => "max_concurrent_streams",
        }
    }
}

/// The counts of a per-minute window: `counts[0]` is slot `first`, the last is the current slot.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Window {
    pub first: u64,
    pub counts: [u64; SLOTS],
}

/// The slot `now_ms` falls in.
pub fn slot_of(now_ms: u64) -> u64 {
    now_ms / SLOT_MS
}

/// The first slot of the window judged at `now_ms`.
pub fn first_slot(now_ms: u64) -> u64 {
    slot_of(now_ms).saturating_sub(SLOTS as u64 - 1)
}

impl Window {
    pub fn used(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// Milliseconds from `now_ms` until slot `i` of this window leaves it.
    fn leaves_in(&self, i: usize, now_ms: u64) -> u64 {
        ((self.first + i as u64 + SLOTS as u64) * SLOT_MS).saturating_sub(now_ms)
    }

    /// Milliseconds until what is counted now has left the window (0: nothing counted).
    pub fn reset_ms(&self, now_ms: u64) -> u64 {
        self.counts.iter().rposition(|c| *c > 0).map_or(0, |i| self.leaves_in(i, now_ms))
    }

    /// Milliseconds until the count falls below `limit` (0: it already is).
    pub fn retry_ms(&self, limit: u64, now_ms: u64) -> u64 {
        let mut used = self.used();
        for (i, count) in self.counts.iter().enumerate() {
            if used < limit {
                return if i == 0 { 0 } else { self.leaves_in(i - 1, now_ms) };
            }
            used -= count;
        }
        self.leaves_in(SLOTS - 1, now_ms)
    }
}

/// Everything the stores count for one key at admission time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub requests: Window,
    pub tokens: Window,
    pub day: u64,
    pub month: u64,
    pub streams: u64,
}

/// The admission rule: the first limit already reached refuses the request. A request is
/// admitted while a count is below its limit, so one request may pass a token limit by its
/// own size; its reservation then holds the next ones back until it is settled.
pub fn refusal(limits: &Limits, counts: &Counts, stream: bool) -> Option<LimitKind> {
    let reached = |limit: Option<u64>, used: u64| limit.is_some_and(|l| used >= l);
    if reached(limits.requests_per_minute, counts.requests.used()) {
        return Some(LimitKind::Requests);
    }
    if reached(limits.tokens_per_minute, counts.tokens.used()) {
        return Some(LimitKind::Tokens);
    }
    if reached(limits.daily_tokens, counts.day) {
        return Some(LimitKind::DailyTokens);
    }
    if reached(limits.monthly_tokens, counts.month) {
        return Some(LimitKind::MonthlyTokens);
    }
    (stream && reached(limits.max_concurrent_streams, counts.streams)).then_some(LimitKind::Streams)
}

/// How long a refused client should wait before trying again.
pub fn retry_after_ms(kind: LimitKind, limits: &Limits, counts: &Counts, now_ms: u64) -> u64 {
    match kind {
        LimitKind::Requests => counts.requests.retry_ms(limits.requests_per_minute.unwrap_or(0), now_ms),
        LimitKind::Tokens => counts.tokens.retry_ms(limits.tokens_per_minute.unwrap_or(0), now_ms),
        LimitKind::DailyTokens => next_day_ms(now_ms) - now_ms,
        LimitKind::MonthlyTokens => next_month_ms(now_ms) - now_ms,
        // A stream ends when it ends: a second is a polite guess.
        LimitKind::Streams => 1000,
    }
}

fn datetime(now_ms: u64) -> OffsetDateTime {
    let seconds = i64::try_from(now_ms / 1000).unwrap_or(i64::MAX);
    OffsetDateTime::from_unix_timestamp(seconds).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// The UTC day of `now_ms`, as `2026-12-03`.
pub fn day_label(now_ms: u64) -> String {
    date_label(datetime(now_ms).date())
}

pub fn date_label(date: Date) -> String {
    format!("{:04}-{:02}-{:02}", date.year(), u8::from(date.month()), date.day())
}

/// The UTC month of `now_ms`, as `2026-12`.
pub fn month_label(now_ms: u64) -> String {
    let date = datetime(now_ms).date();
    format!("{:04}-{:02}", date.year(), u8::from(date.month()))
}

fn midnight_ms(date: Date) -> u64 {
    u64::try_from(date.midnight().assume_utc().unix_timestamp()).unwrap_or(0) * 1000
}

/// The next UTC midnight, in Unix milliseconds.
pub fn next_day_ms(now_ms: u64) -> u64 {
    let date = datetime(now_ms).date();
    date.next_day().map_or(u64::MAX, midnight_ms)
}

/// The first instant of the next UTC month, in Unix milliseconds.
pub fn next_month_ms(now_ms: u64) -> u64 {
    let date = datetime(now_ms).date();
    let (year, month) = match date.month() {
        Month::December => (date.year() + 1, Month::January),
        other => (date.year(), other.next()),
    };
    Date::from_calendar_date(year, month, 1).map_or(u64::MAX, midnight_ms)
}

/// A duration as OpenAI writes `x-ratelimit-reset-*`: `250ms`, `12s`, `1m30s`, `6h0m0s`.
pub fn reset_text(ms: u64) -> String {
    if ms < 1000 {
        return format!("{ms}ms");
    }
    let seconds = ms.div_ceil(1000);
    let (hours, minutes, seconds) = (seconds / 3600, seconds % 3600 / 60, seconds % 60);
    match (hours, minutes) {
        (0, 0) => format!("{seconds}s"),
        (0, _) => format!("{minutes}m{seconds}s"),
        _ => format!("{hours}h{minutes}m{seconds}s"),
    }
}

/// The reservation of a request: its answer's cap (or the default) and a quarter of its
/// body's bytes (a rough, generous count of its input).
pub fn reservation(body_bytes: usize, max_tokens: Option<u64>, default_output: u64) -> u64 {
    (body_bytes as u64).div_ceil(4) + max_tokens.unwrap_or(default_output)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: u64 = 1_780_000_000_000; // a slot boundary: 1 780 000 000 000 / 10 000 is whole

    fn window(now_ms: u64, counts: [u64; SLOTS]) -> Window {
        Window { first: first_slot(now_ms), counts }
    }

    #[test]
    fn the_window_is_the_current_slot_and_the_five_before() {
        assert_eq!(slot_of(T0 + 9_999), slot_of(T0));
        assert_eq!(first_slot(T0 + 1), slot_of(T0) - 5);
        assert_eq!(SLOT_TTL_MS, 70_000);
    }

    #[test]
    fn reset_is_when_the_newest_counted_slot_leaves() {
        let now = T0 + 2_500; // 2.5 s into the current slot
        assert_eq!(window(now, [0; SLOTS]).reset_ms(now), 0);
        // Only the current slot counts: it leaves 60 s after it started.
        assert_eq!(window(now, [0, 0, 0, 0, 0, 3]).reset_ms(now), 57_500);
        // Only the oldest slot counts: it leaves when the current slot ends.
        assert_eq!(window(now, [4, 0, 0, 0, 0, 0]).reset_ms(now), 7_500);
    }

    #[test]
    fn retry_waits_until_enough_old_slots_have_left() {
        let now = T0 + 2_500;
        let full = window(now, [2, 0, 3, 0, 0, 5]); // 10 used
        assert_eq!(full.retry_ms(11, now), 0);
        // Below 10 once the oldest slot (2) has left: at the end of the current slot.
        assert_eq!(full.retry_ms(10, now), 7_500);
        // Below 6 only once the third slot (3 more) has left too: 20 s later.
        assert_eq!(full.retry_ms(6, now), 27_500);
        // Below 5 needs the current slot gone as well.
        assert_eq!(full.retry_ms(5, now), 57_500);
    }

    #[test]
    fn the_first_reached_limit_refuses() {
        let limits = Limits {
            requests_per_minute: Some(3),
            tokens_per_minute: Some(100),
            daily_tokens: Some(1000),
            monthly_tokens: Some(5000),
            max_concurrent_streams: Some(1),
        };
        let mut counts = Counts::default();
        assert_eq!(refusal(&limits, &counts, true), None);
        counts.streams = 1;
        assert_eq!(refusal(&limits, &counts, false), None, "only streams count against the stream limit");
        assert_eq!(refusal(&limits, &counts, true), Some(LimitKind::Streams));
        counts.month = 5000;
        assert_eq!(refusal(&limits, &counts, false), Some(LimitKind::MonthlyTokens));
        counts.day = 1000;
        assert_eq!(refusal(&limits, &counts, false), Some(LimitKind::DailyTokens));
        counts.tokens.counts[5] = 99;
        assert_eq!(refusal(&limits, &counts, false), Some(LimitKind::DailyTokens), "99 < 100 still admits");
        counts.tokens.counts[0] = 1;
        assert_eq!(refusal(&limits, &counts, false), Some(LimitKind::Tokens));
        counts.requests.counts = [1, 0, 1, 0, 0, 1];
        assert_eq!(refusal(&limits, &counts, false), Some(LimitKind::Requests));
        assert_eq!(refusal(&Limits::default(), &counts, true), None);
    }

    #[test]
    fn budgets_reset_at_utc_midnight_and_month_start() {
        // 2026-12-31T23:59:59.500Z
        let now = 1_798_761_599_500;
        assert_eq!(day_label(now), "2026-12-31");
        assert_eq!(month_label(now), "2026-12");
        assert_eq!(next_day_ms(now) - now, 500);
        assert_eq!(next_month_ms(now) - now, 500);
        assert_eq!(day_label(now + 500), "2027-01-01");
        let limits = Limits { daily_tokens: Some(1), ..Limits::default() };
        assert_eq!(retry_after_ms(LimitKind::DailyTokens, &limits, &Counts::default(), now), 500);
    }

    #[test]
    fn reset_texts_read_like_openai() {
        assert_eq!(reset_text(250), "250ms");
        assert_eq!(reset_text(12_000), "12s");
        assert_eq!(reset_text(12_001), "13s");
        assert_eq!(reset_text(90_000), "1m30s");
        assert_eq!(reset_text(6 * 3_600_000), "6h0m0s");
    }

    #[test]
    fn a_reservation_is_the_answer_cap_and_a_quarter_of_the_body() {
        assert_eq!(reservation(400, Some(50), 1024), 150);
        assert_eq!(reservation(401, None, 1024), 101 + 1024);
    }
}
