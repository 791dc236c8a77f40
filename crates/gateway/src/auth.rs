//! API-key check, run as middleware before any body is read.

use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::state::AppState;

/// The key a client presented: `Authorization: Bearer <key>` (scheme in any case), or the
/// `x-api-key` / `api-key` headers some clients send.
pub fn presented_key(headers: &HeaderMap) -> Option<&str> {
    if let Some(value) = headers.get(axum::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        let (scheme, key) = value.trim().split_once(' ')?;
        return scheme.eq_ignore_ascii_case("bearer").then(|| key.trim());
    }
    ["x-api-key", "api-key"].iter().find_map(|name| headers.get(*name)?.to_str().ok()).map(str::trim)
}

/// Whether the request carries a valid key (compared in constant time by `ApiKeys`).
/// A valid key's label goes to the request's record (for metrics and the access log).
fn authorized(state: &AppState, request: &Request) -> bool {
    let Some(key) = presented_key(request.headers()) else { return false };
    let valid = state.keys.verify(key);
    if let Some(record) = crate::record::current().filter(|_| valid) {
        record.set_api_key(crate::record::key_label(key));
    }
    valid
}

/// Rejects requests without a valid key with 401 in the OpenAI error shape.
pub async fn require_api_key(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if authorized(&state, &request) {
        return next.run(request).await;
    }
    ApiError::Unauthorized.into_response()
}

/// The same check for the Anthropic face, answering in Anthropic's error shape.
pub async fn require_api_key_anthropic(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if authorized(&state, &request) {
        return next.run(request).await;
    }
    crate::anthropic_error::AnthropicError(ApiError::Unauthorized).into_response()
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
