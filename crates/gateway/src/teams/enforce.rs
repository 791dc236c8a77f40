//! The limits on every face: a middleware behind the key check admits each POST under its
//! key's limits (403 for a model outside the key's list, 429 with `Retry-After` over a
//! limit), adds OpenAI's `x-ratelimit-*` headers to the answer, and settles the request when
//! its body ends (a stream dropped by the client included).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::peek::{peek, Peek};
use super::store::{now_ms, Ask, Ticket, Usage};
use super::window::{self, Counts, LimitKind, Limits};
use super::{Caller, KeyPolicy};
use crate::body_end::OnEnd;
use crate::error::{ApiError, LoggedError};
use crate::record::RequestRecord;
use crate::state::AppState;

/// Which face answers: errors take its shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Face {
    OpenAi,
    Anthropic,
}

/// Why a key's request is refused.
#[derive(Debug)]
pub enum Refusal {
    Unauthorized,
    Disabled,
    Expired,
    ModelNotAllowed {
        model: String,
    },
    Limited {
        kind: LimitKind,
        key: Arc<str>,
        limit: u64,
        retry_ms: u64,
    },
    /// Redis did not answer and `REDIS_FAIL_MODE=closed`.
    Unavailable,
    /// The body could not be read (too large, cut).
    Body(ApiError),
}

pub async fn enforce(State(state): State<AppState>, request: Request, next: Next) -> Response {
    enforce_on(state, request, next, Face::OpenAi).await
}

/// The same for the Anthropic face, answering in Anthropic's error shape.
pub async fn enforce_anthropic(State(state): State<AppState>, request: Request, next: Next) -> Response {
    enforce_on(state, request, next, Face::Anthropic).await
}

async fn enforce_on(state: AppState, request: Request, next: Next, face: Face) -> Response {
    let caller = request.extensions().get::<Caller>().cloned();
    let Some(caller) = caller.filter(|_| request.method() == Method::POST) else { return next.run(request).await };
    match admit(&state, caller, request).await {
        Ok((request, admitted)) => {
            let response = next.run(request).await;
            admitted.finish(&state, response)
        }
        Err((refusal, headers)) => with_headers(refusal.response(face), headers),
    }
}

type RateHeaders = Vec<(HeaderName, HeaderValue)>;

/// An admitted request: what its settlement needs.
struct Admitted {
    caller: Caller,
    ticket: Option<Ticket>,
    headers: RateHeaders,
    record: Option<Arc<RequestRecord>>,
}

async fn admit(
    state: &AppState,
    caller: Caller,
    request: Request,
) -> Result<(Request, Admitted), (Refusal, RateHeaders)> {
    let policy = caller.policy.clone();
    let (request, peeked, body_len) = match policy.as_deref().filter(|p| needs_body(p)) {
        Some(_) => read_and_peek(state, request).await.map_err(|e| (e, Vec::new()))?,
        None => (request, Peek::default(), 0),
    };
    if let Some(policy) = &policy {
        let model = peeked.model.clone().unwrap_or_else(|| default_model(state, request.uri().path()).to_owned());
        if !policy.allows(&model) {
            return Err((Refusal::ModelNotAllowed { model }, Vec::new()));
        }
    }
    let limits = policy.as_ref().map(|p| p.limits).unwrap_or_default();
    let record = crate::record::current();
    let mut admitted = Admitted { caller, ticket: None, headers: Vec::new(), record };
    if !limits.is_empty() {
        admitted.count(state, &limits, (&peeked, request.uri().path()), body_len).await?;
    }
    Ok((request, admitted))
}

impl Admitted {
    /// Counts the request under `limits`; refused requests carry the headers too.
    async fn count(
        &mut self,
        state: &AppState,
        limits: &Limits,
        (peeked, path): (&Peek, &str),
        body_len: usize,
    ) -> Result<(), (Refusal, RateHeaders)> {
        let now = now_ms();
        let reserve = match limits.counts_tokens() {
            true => window::reservation(body_len, answer_cap(peeked, path), state.teams.reserve_default),
            false => 0,
        };
        let stream_id =
            (peeked.stream && limits.max_concurrent_streams.is_some()).then(|| crate::routes::chat::random_id("s"));
        let key = Arc::clone(&self.caller.name);
        let ask = Ask { key: Arc::clone(&key), limits: *limits, reserve, stream_id: stream_id.clone(), now_ms: now };
        let verdict = match state.teams.store.admit(&ask).await {
            Ok(Some(verdict)) => verdict,
            Ok(None) => return Ok(()),
            Err(_) => return Err((Refusal::Unavailable, Vec::new())),
        };
        self.headers = rate_headers(limits, &verdict.counts, now);
        if let Some(kind) = verdict.refused {
            crate::metrics::metrics().rate_limited(&key, kind.label());
            let retry_ms = window::retry_after_ms(kind, limits, &verdict.counts, now);
            let limit = limit_of(limits, kind);
            return Err((Refusal::Limited { kind, key, limit, retry_ms }, std::mem::take(&mut self.headers)));
        }
        self.ticket = Some(Ticket { key, now_ms: now, reserved: reserve, stream_id });
        Ok(())
    }

    /// The answer with the rate headers, settled when its body ends.
    fn finish(self, state: &AppState, response: Response) -> Response {
        let mut response = with_headers(response, self.headers);
        let store = Arc::clone(&state.teams.store);
        let (ticket, record, key) = (self.ticket, self.record, self.caller.name);
        response = response.map(|body| {
            Body::new(OnEnd::new(body, move |_completed| {
                let data = record.map(|r| r.snapshot()).unwrap_or_default();
                let model = data.model.unwrap_or_else(|| crate::metrics::NO_MODEL.to_owned());
                let usage = Usage { key, model, tokens: data.tokens, day: window::day_label(now_ms()) };
                store.settle(ticket, usage);
            }))
        });
        response
    }
}

/// The answer's cap: the request's own, none for routes that produce no tokens (embeddings,
/// images, token counting), else `None` (the default reservation applies).
fn answer_cap(peeked: &Peek, path: &str) -> Option<u64> {
    let silent = ["/embeddings", "/images/generations", "/count_tokens"].iter().any(|p| path.ends_with(p));
    peeked.max_tokens.or(silent.then_some(0))
}

/// Whether the key's rules need the body (its model, stream flag or answer cap).
fn needs_body(policy: &KeyPolicy) -> bool {
    !policy.models.is_empty() || policy.limits.counts_tokens() || policy.limits.max_concurrent_streams.is_some()
}

async fn read_and_peek(state: &AppState, request: Request) -> Result<(Request, Peek, usize), Refusal> {
    let (parts, body) = request.into_parts();
    let bytes = crate::routes::read_body(body, state.config.max_request_body_bytes).await.map_err(Refusal::Body)?;
    let peeked = peek(&bytes);
    let len = bytes.len();
    Ok((Request::from_parts(parts, Body::from(bytes)), peeked, len))
}

/// The model a request without one is served by, for the allow-list.
fn default_model<'a>(state: &'a AppState, path: &str) -> &'a str {
    if path.ends_with("/embeddings") {
        &state.config.default_embedding_model
    } else if path.ends_with("/images/generations") {
        &state.config.default_image_model
    } else {
        &state.config.default_model
    }
}

fn limit_of(limits: &Limits, kind: LimitKind) -> u64 {
    let limit = match kind {
        LimitKind::Requests => limits.requests_per_minute,
        LimitKind::Tokens => limits.tokens_per_minute,
        LimitKind::DailyTokens => limits.daily_tokens,
        LimitKind::MonthlyTokens => limits.monthly_tokens,
        LimitKind::Streams => limits.max_concurrent_streams,
    };
    limit.unwrap_or(0)
}

/// OpenAI's `x-ratelimit-*` headers for the per-minute limits the key has.
fn rate_headers(limits: &Limits, counts: &Counts, now: u64) -> RateHeaders {
    let mut headers = Vec::with_capacity(6);
    let mut add = |kind: &str, limit: Option<u64>, window: &window::Window| {
        let Some(limit) = limit else { return };
        let values = [
            ("limit", limit.to_string()),
            ("remaining", limit.saturating_sub(window.used()).to_string()),
            ("reset", window::reset_text(window.reset_ms(now))),
        ];
        for (what, value) in values {
            let name = HeaderName::try_from(format!("x-ratelimit-{what}-{kind}"));
            if let (Ok(name), Ok(value)) = (name, HeaderValue::try_from(value)) {
                headers.push((name, value));
            }
        }
    };
    add("requests", limits.requests_per_minute, &counts.requests);
    add("tokens", limits.tokens_per_minute, &counts.tokens);
    headers
}

/// The headers of limits a browser client may read (CORS `expose-headers`).
pub fn exposed_headers() -> impl Iterator<Item = HeaderName> {
    let rates = ["limit", "remaining", "reset"]
        .into_iter()
        .flat_map(|what| ["requests", "tokens"].into_iter().map(move |kind| format!("x-ratelimit-{what}-{kind}")));
    rates.filter_map(|name| HeaderName::try_from(name).ok()).chain([header::RETRY_AFTER])
}

fn with_headers(mut response: Response, headers: RateHeaders) -> Response {
    response.headers_mut().extend(headers);
    response
}

impl Refusal {
    fn status(&self) -> StatusCode {
        match self {
            Self::Unauthorized | Self::Disabled | Self::Expired => StatusCode::UNAUTHORIZED,
            Self::ModelNotAllowed { .. } => StatusCode::FORBIDDEN,
            Self::Limited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Body(error) => error.status(),
        }
    }

    fn message(&self) -> String {
        match self {
            Self::Unauthorized => "Incorrect or missing API key.".to_owned(),
            Self::Disabled => "This API key has been disabled.".to_owned(),
            Self::Expired => "This API key has expired.".to_owned(),
            Self::ModelNotAllowed { model } => {
                format!("This API key may not use the model `{}`.", openai::clip(model))
            }
            Self::Limited { kind, key, limit, retry_ms } => format!(
                "Rate limit reached for key `{key}`: {} of {limit}. Try again in {}.",
                kind.label(),
                window::reset_text(*retry_ms)
            ),
            Self::Unavailable => "The rate limiter is unavailable; try again shortly.".to_owned(),
            Self::Body(error) => error.to_string(),
        }
    }

    /// OpenAI's type and code: budgets are `insufficient_quota`, rates `rate_limit_exceeded`.
    fn openai_kind(&self) -> (&'static str, Option<&'static str>) {
        match self {
            Self::Unauthorized | Self::Disabled | Self::Expired => ("invalid_request_error", Some("invalid_api_key")),
            Self::ModelNotAllowed { .. } => ("invalid_request_error", Some("model_not_allowed")),
            Self::Limited { kind: LimitKind::DailyTokens | LimitKind::MonthlyTokens, .. } => {
                ("insufficient_quota", Some("insufficient_quota"))
            }
            Self::Limited { kind: LimitKind::Tokens, .. } => ("tokens", Some("rate_limit_exceeded")),
            Self::Limited { .. } => ("requests", Some("rate_limit_exceeded")),
            Self::Unavailable => ("api_error", Some("rate_limiter_unavailable")),
            Self::Body(_) => ("invalid_request_error", None),
        }
    }

    /// The response in the face's shape, with `Retry-After` when waiting helps.
    pub fn response(self, face: Face) -> Response {
        if let Self::Unauthorized | Self::Body(_) = self {
            return self.delegated(face);
        }
        let message = self.message();
        let mut response = self.body(face, message.clone());
        self.add_headers(response.headers_mut());
        response.extensions_mut().insert(LoggedError(message));
        response
    }

    fn body(&self, face: Face, message: String) -> Response {
        let status = self.status();
        match face {
            Face::OpenAi => {
                let (kind, code) = self.openai_kind();
                let param = matches!(self, Self::ModelNotAllowed { .. }).then(|| "model".to_owned());
                let body = openai::ErrorBody { error: openai::ErrorDetail { message, kind, param, code } };
                (status, axum::Json(body)).into_response()
            }
            Face::Anthropic => {
                let body = anthropic::ErrorBody::new(anthropic::error_type_for_status(status.as_u16()), message);
                (status, axum::Json(body)).into_response()
            }
        }
    }

    fn add_headers(&self, headers: &mut axum::http::HeaderMap) {
        match self {
            Self::Limited { retry_ms, .. } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_ms.div_ceil(1000).max(1)));
            }
            Self::Unavailable => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            Self::Disabled | Self::Expired => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            _ => {}
        }
    }

    /// Errors the gateway already answers one way: answered by `ApiError`.
    fn delegated(self, face: Face) -> Response {
        let error = match self {
            Self::Body(error) => error,
            _ => ApiError::Unauthorized,
        };
        match face {
            Face::OpenAi => error.into_response(),
            Face::Anthropic => crate::anthropic_error::AnthropicError(error).into_response(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_follow_openai_names() {
        let limits = Limits { requests_per_minute: Some(5), tokens_per_minute: Some(100), ..Limits::default() };
        let now = 1_780_000_002_500;
        let mut counts = Counts::default();
        counts.requests = window::Window { first: window::first_slot(now), counts: [0, 0, 0, 0, 0, 2] };
        counts.tokens = window::Window { first: window::first_slot(now), counts: [0, 0, 0, 0, 0, 130] };
        let headers = rate_headers(&limits, &counts, now);
        let get = |name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.to_str().unwrap().to_owned());
        assert_eq!(get("x-ratelimit-limit-requests").as_deref(), Some("5"));
        assert_eq!(get("x-ratelimit-remaining-requests").as_deref(), Some("3"));
        assert_eq!(get("x-ratelimit-reset-requests").as_deref(), Some("58s"));
        assert_eq!(get("x-ratelimit-remaining-tokens").as_deref(), Some("0"));
        assert!(rate_headers(&Limits::default(), &counts, now).is_empty());
        let exposed: Vec<HeaderName> = exposed_headers().collect();
        assert_eq!(exposed.len(), 7);
        assert!(headers.iter().all(|(name, _)| exposed.contains(name)));
    }

    #[test]
    fn refusals_have_openai_statuses_codes_and_retry_after() {
        let limited = Refusal::Limited { kind: LimitKind::Requests, key: "a".into(), limit: 5, retry_ms: 1500 };
        let response = limited.response(Face::OpenAi);
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[header::RETRY_AFTER], "2");
        let budget = Refusal::Limited { kind: LimitKind::DailyTokens, key: "a".into(), limit: 5, retry_ms: 1 };
        assert_eq!(budget.openai_kind(), ("insufficient_quota", Some("insufficient_quota")));
        let forbidden = Refusal::ModelNotAllowed { model: "m".into() }.response(Face::Anthropic);
        assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);
        assert_eq!(Refusal::Expired.response(Face::OpenAi).status(), StatusCode::UNAUTHORIZED);
        assert_eq!(Refusal::Unavailable.response(Face::OpenAi).status(), StatusCode::SERVICE_UNAVAILABLE);
    }
}
