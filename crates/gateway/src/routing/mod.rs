//! Which Bedrock target serves a request: names from the configuration file (aliases with
//! their own region, access and parameters, load shared between targets, fallbacks on
//! failures that happen before the answer starts), or Bedrock ids as they are.

pub mod clients;
pub mod reload;
pub mod table;
mod web_identity;

use std::collections::VecDeque;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use axum::http::HeaderValue;
use axum::response::Response;
use bedrock::model_params::ModelParams;

use crate::error::{ApiError, UpstreamError};
use crate::models::{OutputKind, Target};
use crate::upstream::Bedrock;
use clients::{ClientPool, Upstream};
use table::{RouteTable, RouteTarget};

/// Which target served the answer (`<region>/<model id>`).
pub const TARGET_HEADER: &str = "x-gateway-target";
/// How many targets were tried (more than 1 after a fallback).
pub const ATTEMPTS_HEADER: &str = "x-gateway-attempts";

/// The routing table (replaced whole on reload) and the clients it uses (kept).
pub struct Routing {
    table: ArcSwap<RouteTable>,
    pool: ClientPool,
}

/// One target a request may be sent to, resolved against its region's catalogue.
pub struct Candidate {
    pub bedrock: Bedrock,
    pub target: Target,
    /// The model name the answer carries: the file's name, or the Bedrock id.
    pub name: String,
    pub params: Arc<ModelParams>,
    timeout: Option<Duration>,
    place: String,
    in_flight: Option<Arc<AtomicUsize>>,
}

/// Where a request went.
#[derive(Debug, Clone)]
pub struct Served {
    pub place: String,
    pub attempts: u32,
}

/// The ordered targets for one request.
pub struct Plan {
    table: Arc<RouteTable>,
    steps: VecDeque<Step>,
    /// Names tried instead when the input is too long for the model.
    context_names: Vec<String>,
}

enum Step {
    Target(Arc<RouteTarget>),
    Bedrock(String),
}

impl Routing {
    pub fn new(table: RouteTable, pool: ClientPool) -> Self {
        Self { table: ArcSwap::from_pointee(table), pool }
    }

    pub fn table(&self) -> Arc<RouteTable> {
        self.table.load_full()
    }

    /// Swaps in a new table; requests already planned finish on the old one.
    pub fn replace(&self, table: RouteTable) {
        self.table.store(Arc::new(table));
    }

    pub fn default_upstream(&self) -> &Upstream {
        self.pool.default_upstream()
    }

    /// Builds the table's clients and lists their regions' models in the background, so the
    /// first request to a name does not wait for it.
    pub fn warm_up(self: &Arc<Self>) {
        for key in self.table().clients() {
            let routing = Arc::clone(self);
            tokio::spawn(async move {
                let upstream = routing.pool.get(&key).await;
                if let Err(error) = upstream.catalog.refresh().await {
                    tracing::warn!(region = %upstream.region, error = %error, "could not list a target region's models");
                }
            });
        }
    }

    /// The plan for the model a client asked for: a name of the file, or a Bedrock id.
    pub fn plan(&self, requested: &str) -> Result<Plan, ApiError> {
        let table = self.table();
        let Some(group) = table.group(requested) else {
            if !table.serves_bedrock_ids() {
                return Err(ApiError::ModelNotFound { model: requested.to_owned() });
            }
            let steps = VecDeque::from([Step::Bedrock(requested.to_owned())]);
            return Ok(Plan { table, steps, context_names: Vec::new() });
        };
        let mut steps: VecDeque<Step> = group.ordered(table.router.strategy).into_iter().map(Step::Target).collect();
        for name in &group.fallbacks {
            push_group(&table, name, &mut steps);
        }
        let context_names = group.context_window_fallbacks.clone();
        Ok(Plan { table, steps, context_names })
    }

    /// Calls `attempt` with each target in turn until one answers, a failure is not worth
    /// another target, or the attempt budget is spent. Only failures before the answer
    /// starts reach here, so a client never sees two answers.
    pub async fn run<T, F, Fut>(
        &self,
        mut plan: Plan,
        kind: OutputKind,
        mut attempt: F,
    ) -> Result<(T, Served), ApiError>
    where
        F: FnMut(Candidate) -> Fut,
        Fut: Future<Output = Result<T, ApiError>>,
    {
        let budget = plan.table.router.max_attempts;
        let (mut tried, mut last_error, mut overflowed) = (0u32, None, false);
        while let Some(step) = plan.steps.pop_front() {
            if tried >= budget {
                break;
            }
            let candidate = match self.candidate(&step, kind).await {
                Ok(candidate) => candidate,
                Err(error) if tried == 0 => return Err(error),
                Err(error) => {
                    tracing::warn!(model = step.model(), error = %error, "fallback target skipped");
                    continue;
                }
            };
            tried += 1;
            let place = candidate.place.clone();
            let guard = candidate.in_flight.clone().map(InFlight::new);
            match with_timeout(candidate.timeout, attempt(candidate)).await {
                Ok(value) => {
                    keep_until_done(guard);
                    note_served(&place, tried);
                    return Ok((value, Served { place, attempts: tried }));
                }
                Err(error) => {
                    if !overflowed && is_context_overflow(&error) && !plan.context_names.is_empty() {
                        overflowed = true;
                        plan.steps = plan.context_steps();
                    } else if !worth_another_target(&error) {
                        return Err(error);
                    }
                    tracing::warn!(target = %place, error = %error, "Bedrock target failed; trying the next");
                    crate::metrics::metrics().fallback(error_code(&error));
                    last_error = Some(error);
                }
            }
        }
        Err(last_error.unwrap_or_else(|| ApiError::ModelNotFound { model: String::new() }))
    }

    /// [`Self::run`] for a response: the headers name the target that served it.
    pub async fn respond<F, Fut>(&self, plan: Plan, kind: OutputKind, attempt: F) -> Result<Response, ApiError>
    where
        F: FnMut(Candidate) -> Fut,
        Fut: Future<Output = Result<Response, ApiError>>,
    {
        let (mut response, served) = self.run(plan, kind, attempt).await?;
        served.stamp(&mut response);
        Ok(response)
    }

    async fn candidate(&self, step: &Step, kind: OutputKind) -> Result<Candidate, ApiError> {
        match step {
            Step::Bedrock(id) => {
                let upstream = self.pool.default_upstream();
                let target = upstream.catalog.resolve_for(id, kind).await?;
                let place = format!("{}/{}", upstream.region, target.model_id);
                let name = target.model_id.clone();
                let params = Arc::new(ModelParams::default());
                let bedrock = upstream.bedrock.clone();
                Ok(Candidate { bedrock, target, name, params, timeout: None, place, in_flight: None })
            }
            Step::Target(route) => {
                let upstream = self.pool.get(&route.client).await;
                let mut target = upstream.catalog.resolve_for(&route.model, kind).await?;
                if target.foundation_id.is_none() {
                    target.foundation_id.clone_from(&route.foundation_model);
                }
                Ok(Candidate {
                    bedrock: upstream.bedrock,
                    place: format!("{}/{}", upstream.region, target.model_id),
                    target,
                    name: route.name.clone(),
                    params: Arc::clone(&route.params),
                    timeout: route.timeout,
                    in_flight: Some(Arc::clone(&route.in_flight)),
                })
            }
        }
    }
}

fn push_group(table: &RouteTable, name: &str, steps: &mut VecDeque<Step>) {
    let Some(group) = table.group(name) else { return };
    for target in group.ordered(table.router.strategy) {
        let seen = steps.iter().any(|s| matches!(s, Step::Target(t) if Arc::ptr_eq(t, &target)));
        if !seen {
            steps.push_back(Step::Target(target));
        }
    }
}

impl Plan {
    fn context_steps(&self) -> VecDeque<Step> {
        let mut steps = VecDeque::new();
        for name in &self.context_names {
            push_group(&self.table, name, &mut steps);
        }
        steps
    }
}

impl Step {
    fn model(&self) -> &str {
        match self {
            Self::Target(route) => &route.model,
            Self::Bedrock(id) => id,
        }
    }
}

/// Throttling, 5xx, a model not ready, a timeout: another target may well answer.
fn worth_another_target(error: &ApiError) -> bool {
    matches!(error, ApiError::Upstream(e) if e.class.retryable)
}

fn is_context_overflow(error: &ApiError) -> bool {
    matches!(error, ApiError::Upstream(e) if bedrock::upstream_error::is_context_overflow(e.class.code, &e.message))
}

fn error_code(error: &ApiError) -> &'static str {
    match error {
        ApiError::Upstream(e) => e.class.code,
        _ => "other",
    }
}

/// A target's own limit on the wait for an answer to start.
async fn with_timeout<T>(
    limit: Option<Duration>,
    call: impl Future<Output = Result<T, ApiError>>,
) -> Result<T, ApiError> {
    let Some(limit) = limit else { return call.await };
    match tokio::time::timeout(limit, call).await {
        Ok(result) => result,
        Err(_) => Err(ApiError::Upstream(UpstreamError {
            class: bedrock::classify_upstream(bedrock::UpstreamErrorKind::Timeout, None),
            message: format!("Bedrock did not start answering within {} s", limit.as_secs_f64()),
        })),
    }
}

/// Counts a request on its target while it runs (a stream until its body ends).
struct InFlight(Arc<AtomicUsize>);

impl InFlight {
    fn new(counter: Arc<AtomicUsize>) -> Self {
        counter.fetch_add(1, Ordering::Relaxed);
        Self(counter)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The request's record lives until its body ends: the in-flight count goes with it.
fn keep_until_done(guard: Option<InFlight>) {
    if let (Some(guard), Some(record)) = (guard, crate::record::current()) {
        record.hold(Box::new(guard));
    }
}

fn note_served(place: &str, attempts: u32) {
    if let Some(record) = crate::record::current() {
        record.routed(place, attempts);
    }
}

impl Served {
    /// Names the target that answered in the response headers.
    pub fn stamp(&self, response: &mut Response) {
        let headers = response.headers_mut();
        if let Ok(value) = HeaderValue::from_str(&self.place) {
            headers.insert(TARGET_HEADER, value);
        }
        headers.insert(ATTEMPTS_HEADER, HeaderValue::from(self.attempts));
    }
}
