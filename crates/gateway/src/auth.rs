//! API-key check, run as middleware before any body is read.

use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;

use crate::state::AppState;
use crate::teams::enforce::Face;
use crate::teams::Refusal;

/// The key a client presented: `Authorization: Bearer <key>` (scheme in any case), or the
/// `x-api-key` / `api-key` headers some clients send.
pub fn presented_key(headers: &HeaderMap) -> Option<&str> {
    if let Some(value) = headers.get(axum::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        let (scheme, key) = value.trim().split_once(' ')?;
        return scheme.eq_ignore_ascii_case("bearer").then(|| key.trim());
    }
    ["x-api-key", "api-key"].iter().find_map(|name| headers.get(*name)?.to_str().ok()).map(str::trim)
}

/// Whether the request carries a valid key (compared in constant time): a key of the
/// configuration file (disabled and expired ones are refused) or an unlimited key. The
/// caller goes to the request's extensions (for the limits and `/models`) and its name to
/// the request's record (for metrics and the access log).
fn authorize(state: &AppState, request: &mut Request) -> Result<(), Refusal> {
    let Some(key) = presented_key(request.headers()) else { return Err(Refusal::Unauthorized) };
    let caller = state.teams.identify(key, &state.keys)?;
    if let Some(record) = crate::record::current() {
        record.set_api_key(caller.name.to_string());
    }
    request.extensions_mut().insert(caller);
    Ok(())
}

/// Rejects requests without a valid key with 401 in the OpenAI error shape.
pub async fn require_api_key(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    match authorize(&state, &mut request) {
        Ok(()) => next.run(request).await,
        Err(refusal) => refusal.response(Face::OpenAi),
    }
}

/// The same check for the Anthropic face, answering in Anthropic's error shape.
pub async fn require_api_key_anthropic(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    match authorize(&state, &mut request) {
        Ok(()) => next.run(request).await,
        Err(refusal) => refusal.response(Face::Anthropic),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(name: &'static str, value: &'static str) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert(name, HeaderValue::from_static(value));
        map
    }

    #[test]
    fn accepted_header_forms() {
        assert_eq!(presented_key(&headers("authorization", "Bearer k1")), Some("k1"));
        assert_eq!(presented_key(&headers("authorization", "bearer  k1 ")), Some("k1"));
        assert_eq!(presented_key(&headers("x-api-key", "k2")), Some("k2"));
        assert_eq!(presented_key(&headers("api-key", "k3")), Some("k3"));
        assert_eq!(presented_key(&headers("authorization", "Basic abc")), None);
        assert_eq!(presented_key(&HeaderMap::new()), None);
    }
}
