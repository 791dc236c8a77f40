//! `MAX_CONCURRENT_REQUESTS`: past the cap a request is refused at once with a 503 and
//! `Retry-After`, instead of every request slowing down. A request counts until its
//! response body ends (an open stream holds its place); `/health` and `/metrics` never count.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::anthropic_error::AnthropicError;
use crate::config::Config;
use crate::error::ApiError;

/// A response body that holds `guard` until the body ends or is dropped.
pub struct Guarded<G> {
    inner: Body,
    _guard: G,
}

impl<G: Send + Unpin + 'static> Guarded<G> {
    pub fn wrap(inner: Body, guard: G) -> Body {
        Body::new(Self { inner, _guard: guard })
    }
}

impl<G: Send + Unpin + 'static> http_body::Body for Guarded<G> {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.get_mut().inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// The cap, shared by every request; `None` when unlimited.
#[derive(Debug, Clone)]
pub struct ConcurrencyLimit {
    permits: Option<Arc<Semaphore>>,
    prefix: String,
}

impl ConcurrencyLimit {
    pub fn new(config: &Config) -> Self {
        let permits =
            (config.max_concurrent_requests > 0).then(|| Arc::new(Semaphore::new(config.max_concurrent_requests)));
        Self { permits, prefix: config.api_route_prefix.clone() }
    }

    /// Whether `path` is on the Anthropic face (errors in its shape).
    fn anthropic_face(&self, path: &str) -> bool {
        [self.prefix.as_str(), "/v1"]
            .iter()
            .filter_map(|p| path.strip_prefix(p))
            .any(|rest| rest == "/messages" || rest.starts_with("/messages/"))
    }
}

/// Paths that must answer whatever the load (load balancer checks, scrapes).
fn exempt(path: &str) -> bool {
    path == "/health" || path == "/metrics"
}

/// Takes a place for the request (held by its response body) or answers 503.
pub async fn limit_concurrency(State(limit): State<ConcurrencyLimit>, request: Request, next: Next) -> Response {
    let Some(permits) = limit.permits.as_ref().filter(|_| !exempt(request.uri().path())) else {
        return next.run(request).await;
    };
    let Ok(permit) = Arc::clone(permits).try_acquire_owned() else {
        return overloaded(&limit, request.uri().path());
    };
    next.run(request).await.map(|body| Guarded::<OwnedSemaphorePermit>::wrap(body, permit))
}

fn overloaded(limit: &ConcurrencyLimit, path: &str) -> Response {
    // Debug only: under overload a line per refusal would add to the load (the access log has them).
    tracing::debug!("MAX_CONCURRENT_REQUESTS reached; answering 503");
    match limit.anthropic_face(path) {
        true => AnthropicError(ApiError::Overloaded).into_response(),
        false => ApiError::Overloaded.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser as _;

    fn limit(max: &str) -> ConcurrencyLimit {
        let config = Config::try_parse_from(["bedrock-gateway", "--max-concurrent-requests", max]).unwrap();
        ConcurrencyLimit::new(&config)
    }

    #[test]
    fn zero_means_unlimited() {
        assert!(limit("0").permits.is_none());
        assert_eq!(limit("3").permits.map(|p| p.available_permits()), Some(3));
    }

    #[test]
    fn the_messages_routes_are_the_anthropic_face_under_both_prefixes() {
        let limit = limit("1");
        assert!(limit.anthropic_face("/api/v1/messages"));
        assert!(limit.anthropic_face("/v1/messages/count_tokens"));
        assert!(!limit.anthropic_face("/api/v1/chat/completions"));
        assert!(!limit.anthropic_face("/api/v1/messagesx"));
        assert!(exempt("/health") && !exempt("/api/v1/models"));
    }
}
