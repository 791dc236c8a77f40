use std::sync::Arc;

use super::spec::parse_keys;
use super::store::{Ask, Store, Ticket, Usage};
use super::window::{self, LimitKind, Limits};
use super::*;
use crate::record::Tokens;

fn env(name: &str) -> Option<String> {
    (name == "TEAM_KEY").then(|| "sk-team-from-env".to_owned())
}

fn section(yaml: &str) -> serde_yaml_ng::Value {
    serde_yaml_ng::from_str(yaml).unwrap()
}

fn parse(yaml: &str) -> Result<Vec<spec::KeySpec>, String> {
    parse_keys(Some(&section(yaml)), &env)
}

const DIGEST: &str = "8f434346648f6b96df89dda901c5176b10a6d83961dd3c1ac88b59b2dc327aa4"; // sha256("hi")

#[test]
fn entries_are_read_with_their_limits() {
    let specs = parse(&format!(
        "- name: payments\n  key_sha256: {DIGEST}\n  models: ['us.anthropic.*', fast]\n  requests_per_minute: 5\n  \
         tokens_per_minute: 100\n  daily_tokens: 1000\n  monthly_tokens: 9000\n  max_concurrent_streams: 2\n  \
         expires_at: 2027-01-31T00:00:00Z\n  metadata: {{team: payments, cost_center: 42}}\n\
         - name: search\n  key: os.environ/TEAM_KEY\n  disabled: true\n"
    ))
    .unwrap();
    assert_eq!(specs.len(), 2);
    let limits = Limits {
        requests_per_minute: Some(5),
        tokens_per_minute: Some(100),
        daily_tokens: Some(1000),
        monthly_tokens: Some(9000),
        max_concurrent_streams: Some(2),
    };
    assert_eq!(specs[0].limits, limits);
    assert!(specs[0].models[0].matches("us.anthropic.claude-3-5-haiku-20241022-v1:0"));
    assert_eq!(specs[0].metadata["cost_center"], 42);
    assert_eq!(specs[1].material, spec::KeyMaterial::Plain("sk-team-from-env".into()));
    assert!(specs[1].disabled && specs[1].limits.is_empty());
}

#[test]
fn errors_name_the_entry_and_field() {
    let cases = [
        ("- name: a\n  key_sha256: abc\n", "keys[0].key_sha256: must be 64 hexadecimal digits"),
        ("- name: a\n  key: sk-plain-in-file\n", "keys[0].key: must reference an environment variable"),
        ("- name: a\n  key: ${NOPE}\n", "keys[0].key: environment variable NOPE is not set"),
        ("- name: a\n", "keys[0].key_sha256: give exactly one of"),
        (&format!("- name: a b\n  key_sha256: {DIGEST}\n"), "keys[0].name: `a b` must be"),
        (
            &format!("- name: a\n  key_sha256: {DIGEST}\n  requests_per_minute: 0\n"),
            "keys[0].requests_per_minute: must be at least 1",
        ),
        (&format!("- name: a\n  key_sha256: {DIGEST}\n  rpm: 3\n"), "keys[0].rpm: unknown field `rpm`"),
        (
            &format!("- name: a\n  key_sha256: {DIGEST}\n- name: b\n  key_sha256: x\n  tokens_per_minute: many\n"),
            "keys[1].tokens_per_minute: invalid type",
        ),
        (
            &format!("- name: a\n  key_sha256: {DIGEST}\n  expires_at: tomorrow\n"),
            "keys[0].expires_at: `tomorrow` is not an RFC 3339 time",
        ),
        (
            &format!("- name: a\n  key_sha256: {DIGEST}\n  models: ['[']\n"),
            "keys[0].models[0]: `[` is not a glob pattern",
        ),
        (
            &format!("- name: a\n  key_sha256: {DIGEST}\n- name: a\n  key: os.environ/TEAM_KEY\n"),
            "keys[1].name: `a` is used by an earlier key",
        ),
        (
            &format!("- name: a\n  key_sha256: {DIGEST}\n- name: b\n  key_sha256: {DIGEST}\n"),
            "keys[1] (b): the same key is configured twice",
        ),
        ("keys: 3", "keys: invalid type"),
    ];
    for (yaml, expected) in cases {
        let error = parse(yaml).unwrap_err();
        assert!(error.starts_with(expected), "{yaml:?}: {error}");
    }
    assert!(parse_keys(None, &env).unwrap().is_empty());
}

fn teams_with(yaml: &str) -> Teams {
    let specs = parse(yaml).unwrap();
    let entries = specs
        .into_iter()
        .map(|spec| {
            let digest = match &spec.material {
                spec::KeyMaterial::Digest(d) => *d,
                spec::KeyMaterial::Plain(k) => sha256(k),
                spec::KeyMaterial::Secret(_) => unreachable!(),
            };
            (digest, Arc::new(policy(spec)))
        })
        .collect();
    Teams {
        table: ArcSwap::from_pointee(KeyTable { entries }),
        store: Arc::new(Store::memory()),
        admin: Some(sha256("admin-key-0123456789")),
        reserve_default: 1024,
        legacy_names: vec![crate::record::key_label("legacy")],
        sdk: None,
    }
}

#[test]
fn callers_are_identified_by_file_keys_then_unlimited_keys() {
    let teams = teams_with(&format!(
        "- name: hi\n  key_sha256: {DIGEST}\n  models: ['us.*']\n- name: env\n  key: os.environ/TEAM_KEY\n  disabled: true\n\
         - name: old\n  key: ${{TEAM_KEY}}-old\n  expires_at: 2020-01-01T00:00:00Z\n"
    ));
    let legacy = ApiKeys::new(["legacy"]);
    let caller = teams.identify("hi", &legacy).unwrap();
    assert_eq!(&*caller.name, "hi");
    assert!(caller.allows("us.amazon.nova-lite-v1:0") && !caller.allows("meta.llama3"));
    assert!(matches!(teams.identify("sk-team-from-env", &legacy), Err(Refusal::Disabled)));
    assert!(matches!(teams.identify("sk-team-from-env-old", &legacy), Err(Refusal::Expired)));
    let unlimited = teams.identify("legacy", &legacy).unwrap();
    assert!(unlimited.policy.is_none() && unlimited.name.starts_with("key-") && unlimited.allows("anything"));
    assert!(matches!(teams.identify("nope", &legacy), Err(Refusal::Unauthorized)));
    assert!(teams.is_admin("admin-key-0123456789") && !teams.is_admin("hi"));
    assert!(model_visible(None, "x") && !model_visible(Some(&caller), "x"));
}

#[tokio::test]
async fn a_reload_swaps_the_keys_and_a_bad_section_keeps_the_old_ones() {
    let teams = teams_with(&format!("- name: hi\n  key_sha256: {DIGEST}\n"));
    let legacy = ApiKeys::default();
    let mut file =
        FileConfig { keys: Some(section("- name: renamed\n  key: os.environ/PATH\n")), ..FileConfig::default() };
    assert!(teams.reload_keys(&file).await.is_ok());
    assert!(matches!(teams.identify("hi", &legacy), Err(Refusal::Unauthorized)));
    file.keys = Some(section("- name: broken\n"));
    assert!(teams.reload_keys(&file).await.unwrap_err().starts_with("keys[0].key_sha256"));
    assert_eq!(&*teams.policies()[0].name, "renamed");
}

fn ask(limits: Limits, reserve: u64, stream: Option<&str>, now_ms: u64) -> Ask {
    Ask { key: "k".into(), limits, reserve, stream_id: stream.map(str::to_owned), now_ms }
}

fn usage(input: u64, output: u64) -> Usage {
    let tokens = Tokens { input, output, cache_read: 1, cache_write: 0 };
    Usage { key: "k".into(), model: "m".into(), tokens, day: "2026-12-03".into() }
}

const NOW: u64 = 1_780_000_002_500;

#[tokio::test]
async fn exactly_the_limit_of_requests_passes_then_the_window_slides() {
    let store = Store::memory();
    let limits = Limits { requests_per_minute: Some(3), ..Limits::default() };
    for i in 0..3 {
        let verdict = store.admit(&ask(limits, 0, None, NOW + i)).await.unwrap().unwrap();
        assert_eq!(verdict.refused, None);
        assert_eq!(verdict.counts.requests.used(), i + 1);
    }
    let refused = store.admit(&ask(limits, 0, None, NOW + 10)).await.unwrap().unwrap();
    assert_eq!(refused.refused, Some(LimitKind::Requests));
    assert_eq!(window::retry_after_ms(LimitKind::Requests, &limits, &refused.counts, NOW + 10), 57_490);
    // 50 s later the requests are still in the window; 60 s after their slot began, gone.
    assert!(store.admit(&ask(limits, 0, None, NOW + 50_000)).await.unwrap().unwrap().refused.is_some());
    assert!(store.admit(&ask(limits, 0, None, NOW + 57_500)).await.unwrap().unwrap().refused.is_none());
}

#[tokio::test]
async fn reservations_hold_tokens_until_settled_with_what_was_used() {
    let store = Arc::new(Store::memory());
    let limits = Limits { tokens_per_minute: Some(1000), daily_tokens: Some(5000), ..Limits::default() };
    let first = store.admit(&ask(limits, 900, None, NOW)).await.unwrap().unwrap();
    assert_eq!((first.refused, first.counts.tokens.used(), first.counts.day), (None, 900, 900));
    // Below the limit: admitted, and its reservation passes it.
    let second = store.admit(&ask(limits, 900, None, NOW + 1)).await.unwrap().unwrap();
    assert_eq!((second.refused, second.counts.tokens.used()), (None, 1800));
    assert_eq!(store.admit(&ask(limits, 1, None, NOW + 2)).await.unwrap().unwrap().refused, Some(LimitKind::Tokens));
    // Both settle with what Bedrock reported: 30 + 20 tokens each.
    for _ in 0..2 {
        let ticket = Ticket { key: "k".into(), now_ms: NOW, reserved: 900, stream_id: None };
        store.settle(Some(ticket), usage(30, 20));
    }
    let after = store.admit(&ask(limits, 0, None, NOW + 3)).await.unwrap().unwrap();
    assert_eq!((after.refused, after.counts.tokens.used(), after.counts.day), (None, 100, 100));
    let rows = store.usage(&["k".to_owned()], &["2026-12-03".to_owned()]).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].requests, rows[0].input_tokens, rows[0].output_tokens, rows[0].cache_read_tokens),
        (2, 60, 40, 2)
    );
}

#[tokio::test]
async fn streams_hold_a_slot_until_they_end() {
    let store = Arc::new(Store::memory());
    let limits = Limits { max_concurrent_streams: Some(1), ..Limits::default() };
    assert!(store.admit(&ask(limits, 0, Some("s1"), NOW)).await.unwrap().unwrap().refused.is_none());
    assert!(store.admit(&ask(limits, 0, None, NOW)).await.unwrap().unwrap().refused.is_none(), "not a stream");
    let second = store.admit(&ask(limits, 0, Some("s2"), NOW)).await.unwrap().unwrap();
    assert_eq!(second.refused, Some(LimitKind::Streams));
    store.settle(Some(Ticket { key: "k".into(), now_ms: NOW, reserved: 0, stream_id: Some("s1".into()) }), usage(1, 1));
    assert!(store.admit(&ask(limits, 0, Some("s2"), NOW + 1)).await.unwrap().unwrap().refused.is_none());
    // A lost settlement holds the slot for the lease only.
    let later = NOW + 1 + super::memory::STREAM_LEASE_MS;
    assert!(store.admit(&ask(limits, 0, Some("s3"), later)).await.unwrap().unwrap().refused.is_none());
}
