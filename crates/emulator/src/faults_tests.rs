use super::*;

const NOVA: &str = "amazon.nova-lite-v1:0";

#[test]
fn specs_name_model_kind_and_count() {
    let rules = parse_specs("amazon.nova-lite-v1:0=unavailable:3, m2=input-too-long").unwrap();
    assert_eq!(rules.len(), 2);
    assert_eq!((rules[0].model_id.as_str(), rules[0].remaining), (NOVA, Some(3)));
    assert_eq!(rules[0].kind.error.kind, ErrorKind::ServiceUnavailable);
    assert_eq!((rules[1].model_id.as_str(), rules[1].remaining), ("m2", None));
    assert_eq!(rules[1].kind.error, ApiError::validation(INPUT_TOO_LONG));
    let arn = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.x-v1:0=throttling:1";
    assert_eq!(
        FaultRule::parse(arn).unwrap().model_id,
        "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.x-v1:0"
    );
}

#[test]
fn bad_specs_say_why() {
    assert!(FaultRule::parse("no-equals").unwrap_err().contains("no `=`"));
    assert!(FaultRule::parse("m=nonsense").unwrap_err().contains("unknown error kind"));
    assert!(FaultRule::parse("m=throttling:x").unwrap_err().contains("bad count"));
    assert!(FaultRule::parse("=throttling").unwrap_err().contains("empty model id"));
    assert!(parse_specs("").unwrap().is_empty());
}

#[test]
fn a_counted_fault_fails_that_many_calls_then_serves() {
    let faults = Faults::new(parse_specs(&format!("{NOVA}=unavailable:2")).unwrap());
    assert_eq!(faults.take("other"), None);
    assert_eq!(faults.take(NOVA).map(|e| e.kind), Some(ErrorKind::ServiceUnavailable));
    assert_eq!(faults.take(NOVA).map(|e| e.kind), Some(ErrorKind::ServiceUnavailable));
    assert_eq!(faults.take(NOVA), None);
}

#[test]
fn an_uncounted_fault_always_fails_until_cleared_and_later_rules_replace() {
    let faults = Faults::new(vec![FaultRule::always(NOVA, ErrorKind::AccessDenied, "access-denied")]);
    for _ in 0..3 {
        assert_eq!(faults.take(NOVA).map(|e| e.kind), Some(ErrorKind::AccessDenied));
    }
    faults.add(parse_specs(&format!("{NOVA}=throttling")).unwrap());
    assert_eq!(faults.take(NOVA).map(|e| e.kind), Some(ErrorKind::Throttling));
    faults.clear();
    assert_eq!(faults.take(NOVA), None);
}

#[test]
fn control_requests_take_one_a_spec_or_a_list() {
    let one: FaultRequest = serde_json::from_str(r#"{"model": "m", "kind": "unavailable", "count": 3}"#).unwrap();
    assert_eq!(one.rules().unwrap()[0].remaining, Some(3));
    let spec: FaultRequest = serde_json::from_str(r#"{"spec": "a=throttling,b=quota:1"}"#).unwrap();
    assert_eq!(spec.rules().unwrap().len(), 2);
    let many: FaultRequest =
        serde_json::from_str(r#"[{"model": "m", "kind": "internal"}, {"spec": "n=validation"}]"#).unwrap();
    assert_eq!(many.rules().unwrap().len(), 2);
    let bad: FaultRequest = serde_json::from_str(r#"{"model": "m", "kind": "nope"}"#).unwrap();
    assert!(bad.rules().is_err());
}
