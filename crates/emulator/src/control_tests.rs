use std::collections::HashMap;

use super::*;

fn params(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[test]
fn pagination_walks_every_profile_once() {
    let total = profiles::all().len();
    let (mut seen, mut token) = (Vec::new(), None::<String>);
    loop {
        let mut query = params(&[("maxResults", "7")]);
        query.extend(token.map(|t| ("nextToken".to_string(), t)));
        let (page, next) = profile_page(&query).unwrap();
        assert!(page.len() <= 7);
        seen.extend(page.into_iter().map(|p| p["inferenceProfileId"].clone()));
        match next {
            Some(next) => token = Some(next),
            None => break,
        }
    }
    assert_eq!(seen.len(), total);
    assert_eq!(decode_token(&encode_token(42)), Ok(42));
    assert!(decode_token("nonsense").is_err());
    assert!(profile_page(&params(&[("maxResults", "0")])).is_err());
    assert!(profile_page(&params(&[("type", "OTHER")])).is_err());
}

#[test]
fn type_filter_selects_application_profiles() {
    let (page, next) = profile_page(&params(&[("type", "APPLICATION")])).unwrap();
    assert_eq!(page.len(), 1);
    assert!(next.is_none());
    assert_eq!(page[0]["type"], "APPLICATION");
}

#[test]
fn model_filters() {
    let count = |pairs: &[(&str, &str)]| MODELS.iter().filter(|m| model_matches(m, &params(pairs))).count();
    assert_eq!(count(&[]), MODELS.len());
    assert!(count(&[("byProvider", "anthropic")]) >= 10);
    assert_eq!(count(&[("byProvider", "mistral")]), 3);
    assert_eq!(count(&[("byOutputModality", "IMAGE")]), 4);
    assert_eq!(count(&[("byInferenceType", "PROVISIONED")]), 0);
    assert!(count(&[("byCustomizationType", "DISTILLATION")]) >= 3);
}
