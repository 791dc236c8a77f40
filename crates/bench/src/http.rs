//! A keep-alive HTTP/1.1 client that times every response: first body byte, each body
//! frame, the end. Loopback only: URLs are checked before use.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Method, Request};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

/// Longest any single request may take before it counts as failed.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// One request to send.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: Method,
    pub url: String,
    /// Full `Authorization` header value.
    pub auth: String,
    pub body: Option<Bytes>,
}

/// How one response arrived.
#[derive(Debug, Clone, Default)]
pub struct Timing {
    pub status: u16,
    /// Request start to the first body byte.
    pub first_byte: Duration,
    /// Request start to the end of the body.
    pub total: Duration,
    /// Arrival time of each body frame (from request start) and its length.
    pub frames: Vec<(Duration, usize)>,
    pub body: Vec<u8>,
}

impl Timing {
    /// SSE events in the body (each ends with a blank line).
    pub fn sse_events(&self) -> usize {
        self.body.windows(2).filter(|w| w == b"\n\n").count()
    }
}

/// A pooled client shared by every task.
#[derive(Clone)]
pub struct Http {
    client: Client<HttpConnector, Full<Bytes>>,
}

impl Http {
    pub fn new() -> Self {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new()).pool_max_idle_per_host(4096).build(connector);
        Self { client }
    }

    /// Sends one call; keeps the body when `keep_body` (otherwise only its length).
    pub async fn send(&self, call: &Call, keep_body: bool) -> Result<Timing, String> {
        match tokio::time::timeout(REQUEST_TIMEOUT, self.send_inner(call, keep_body)).await {
            Ok(result) => result,
            Err(_) => Err(format!("{} timed out", call.url)),
        }
    }

    async fn send_inner(&self, call: &Call, keep_body: bool) -> Result<Timing, String> {
        let request = self.request(call)?;
        let started = Instant::now();
        let response = self.client.request(request).await.map_err(|e| format!("{}: {e}", call.url))?;
        let mut timing = Timing { status: response.status().as_u16(), ..Timing::default() };
        let mut body = response.into_body();
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| format!("{}: body: {e}", call.url))?;
            if let Ok(data) = frame.into_data() {
                let at = started.elapsed();
                if timing.frames.is_empty() {
                    timing.first_byte = at;
                }
                timing.frames.push((at, data.len()));
                if keep_body || timing.body.len() < 64 * 1024 {
                    timing.body.extend_from_slice(&data);
                }
            }
        }
        timing.total = started.elapsed();
        Ok(timing)
    }

    /// Sends a call, reads the first body frame and drops the response: a client that hangs
    /// up mid-stream (its connection is closed, not returned to the pool). Returns the status.
    pub async fn send_and_hang_up(&self, call: &Call) -> Result<u16, String> {
        let request = self.request(call)?;
        let first_frame = async {
            let response = self.client.request(request).await.map_err(|e| format!("{}: {e}", call.url))?;
            let status = response.status().as_u16();
            let _first = response.into_body().frame().await;
            Ok(status)
        };
        tokio::time::timeout(REQUEST_TIMEOUT, first_frame)
            .await
            .unwrap_or_else(|_| Err(format!("{} timed out", call.url)))
    }

    fn request(&self, call: &Call) -> Result<Request<Full<Bytes>>, String> {
        let mut builder = Request::builder().method(call.method.clone()).uri(&call.url);
        if !call.auth.is_empty() {
            builder = builder.header("authorization", &call.auth);
        }
        if call.body.is_some() {
            builder = builder.header("content-type", "application/json");
        }
        builder.body(Full::new(call.body.clone().unwrap_or_default())).map_err(|e| e.to_string())
    }

    /// Sends a call that must answer 200; returns its timing.
    pub async fn send_ok(&self, call: &Call) -> Result<Timing, String> {
        let timing = self.send(call, true).await?;
        if timing.status == 200 {
            Ok(timing)
        } else {
            Err(format!("{} answered {}: {}", call.url, timing.status, String::from_utf8_lossy(&timing.body)))
        }
    }
}

/// Accepts only loopback `http://` base URLs.
pub fn loopback(url: &str) -> Result<String, String> {
    let rest = url.strip_prefix("http://").ok_or_else(|| format!("{url}: only http:// loopback URLs"))?;
    let host = rest.split(['/', ':']).next().unwrap_or("");
    if matches!(host, "127.0.0.1" | "localhost") || rest.starts_with("[::1]") {
        Ok(url.trim_end_matches('/').to_owned())
    } else {
        Err(format!("{url}: not a loopback address; the benchmark only targets this machine"))
    }
}
