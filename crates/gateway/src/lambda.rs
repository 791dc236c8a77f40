//! Lambda transport: the same router, configuration and keys behind the Lambda Runtime API.
//!
//! API Gateway REST (v1) and Function URL events get a streamed answer (the JSON prelude,
//! eight NUL bytes, then the body as the router produces it), so SSE chunks reach the client
//! as Bedrock sends them. HTTP API and ALB cannot stream: their answer is buffered into the
//! event's JSON response shape.

use std::io::Write as _;

use axum::body::{Body, BodyDataStream};
use axum::Router;
use http::header::SET_COOKIE;
use http::uri::PathAndQuery;
use http::{HeaderMap, Request, Response, Uri};
use http_body_util::BodyExt as _;
use lambda_http::aws_lambda_events::alb::AlbTargetGroupResponse;
use lambda_http::aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayV2httpResponse};
use lambda_http::lambda_runtime::{self, FunctionResponse, LambdaEvent, MetadataPrelude, StreamResponse};
use lambda_http::request::LambdaRequest;
use lambda_http::service_fn;
use tower::ServiceExt as _;

use crate::config::Config;
use crate::serve::{build_state, shutdown_signal, StartError};

/// Set by Lambda; its presence switches the binary to this transport.
pub const RUNTIME_API_VAR: &str = "AWS_LAMBDA_RUNTIME_API";

/// What the Lambda runtime client reads at start (it would panic without them).
const REQUIRED_VARS: [&str; 4] =
    [RUNTIME_API_VAR, "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION"];

/// Whether the process runs inside Lambda.
pub fn in_lambda() -> bool {
    std::env::var_os(RUNTIME_API_VAR).is_some()
}

/// Serves Runtime API invocations until the runtime stops or a signal arrives.
pub async fn run(config: Config) -> Result<(), StartError> {
    check_environment()?;
    let mode = ResponseMode::from_setting(&config.lambda_response_mode);
    let started = build_state(config).await?;
    let state = started.state.clone();
    // Lambda freezes the process between invocations: the refresh runs while requests do.
    let refresher = state.catalog.spawn_refresher(state.config.models_refresh_interval());
    state.routing.warm_up();
    announce();
    let app = crate::router(state);
    let handler = service_fn(move |event| handle(app.clone(), mode, event));
    let result = tokio::select! {
        result = lambda_runtime::run(handler) => result.map_err(|e| StartError::Lambda(e.to_string())),
        () = shutdown_signal() => Ok(()),
    };
    refresher.abort();
    result
}

fn check_environment() -> Result<(), StartError> {
    let missing: Vec<&str> = REQUIRED_VARS.into_iter().filter(|name| std::env::var_os(name).is_none()).collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(StartError::Lambda(format!("{} must be set (Lambda sets them)", missing.join(", "))))
}

fn announce() {
    let api = std::env::var(RUNTIME_API_VAR).unwrap_or_default();
    let _ignored = writeln!(std::io::stdout(), "bedrock-gateway serving the Lambda Runtime API at {api}");
    tracing::info!(runtime_api = %api, "serving Lambda invocations");
}

/// The `LAMBDA_RESPONSE_MODE` setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseMode {
    Auto,
    Stream,
    Buffered,
}

impl ResponseMode {
    fn from_setting(value: &str) -> Self {
        match value {
            "stream" => Self::Stream,
            "buffered" => Self::Buffered,
            _ => Self::Auto,
        }
    }
}

/// Which service invoked the function, as far as the answer's shape is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    RestApi { stage: Option<String> },
    HttpApi { stage: Option<String> },
    FunctionUrl,
    Alb { multi_value_headers: bool },
}

impl Origin {
    fn of(event: &LambdaRequest) -> Option<Self> {
        match event {
            LambdaRequest::ApiGatewayV1(e) => Some(Self::RestApi { stage: e.request_context.stage.clone() }),
            LambdaRequest::ApiGatewayV2(e) if is_function_url(e.request_context.domain_name.as_deref()) => {
                Some(Self::FunctionUrl)
            }
            LambdaRequest::ApiGatewayV2(e) => Some(Self::HttpApi { stage: e.request_context.stage.clone() }),
            LambdaRequest::Alb(e) => Some(Self::Alb { multi_value_headers: !e.multi_value_headers.is_empty() }),
            _ => None,
        }
    }

    /// Whether the answer goes back streamed (else buffered in the event's response shape).
    pub fn streams(&self, mode: ResponseMode) -> bool {
        !matches!(
            (self, mode),
            (Self::Alb { .. }, _) | (_, ResponseMode::Buffered) | (Self::HttpApi { .. }, ResponseMode::Auto)
        )
    }

    /// The API Gateway stage the request path carries, if any.
    fn stage(&self) -> Option<&str> {
        match self {
            Self::RestApi { stage } | Self::HttpApi { stage } => stage.as_deref().filter(|s| *s != "$default"),
            _ => None,
        }
    }
}

fn is_function_url(domain: Option<&str>) -> bool {
    domain.is_some_and(|d| d.contains(".lambda-url."))
}

type Answer = FunctionResponse<Buffered, BodyDataStream>;

async fn handle(
    app: Router,
    mode: ResponseMode,
    event: LambdaEvent<LambdaRequest>,
) -> Result<Answer, lambda_http::Error> {
    let origin = Origin::of(&event.payload).ok_or("unsupported event: expected API Gateway, Function URL or ALB")?;
    let request = to_router_request(event.payload.into(), origin.stage());
    let response = app.oneshot(request).await?;
    if origin.streams(mode) {
        return Ok(FunctionResponse::StreamingResponse(streamed(response)));
    }
    Ok(FunctionResponse::BufferedResponse(buffered(&origin, response).await?))
}

/// The event as the router expects it: an axum body and the path without the stage.
pub fn to_router_request(request: Request<lambda_http::Body>, stage: Option<&str>) -> Request<Body> {
    let (mut parts, body) = request.into_parts();
    if let Some(stage) = stage {
        parts.uri = strip_stage(&parts.uri, stage);
    }
    let body = match body {
        lambda_http::Body::Text(text) => Body::from(text),
        lambda_http::Body::Binary(bytes) => Body::from(bytes),
        _ => Body::empty(),
    };
    Request::from_parts(parts, body)
}

/// `/{stage}/api/v1/models` → `/api/v1/models`: lambda_http puts the stage in front of REST
/// paths, and HTTP API paths of a named stage carry it; routes know nothing of stages.
pub fn strip_stage(uri: &Uri, stage: &str) -> Uri {
    let path = uri.path();
    let Some(rest) = path.strip_prefix('/').and_then(|p| p.strip_prefix(stage)) else {
        return uri.clone();
    };
    if !(rest.is_empty() || rest.starts_with('/')) {
        return uri.clone();
    }
    let rest = if rest.is_empty() { "/" } else { rest };
    let path_and_query = match uri.query() {
        Some(query) => format!("{rest}?{query}"),
        None => rest.to_owned(),
    };
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = PathAndQuery::try_from(path_and_query).ok();
    Uri::from_parts(parts).unwrap_or_else(|_| uri.clone())
}

fn streamed(response: Response<Body>) -> StreamResponse<BodyDataStream> {
    let (parts, body) = response.into_parts();
    let mut headers = parts.headers;
    let cookies = take_cookies(&mut headers);
    let prelude = MetadataPrelude { status_code: parts.status, headers, cookies };
    StreamResponse { metadata_prelude: prelude, stream: body.into_data_stream() }
}

fn take_cookies(headers: &mut HeaderMap) -> Vec<String> {
    let cookies =
        headers.get_all(SET_COOKIE).iter().map(|c| String::from_utf8_lossy(c.as_bytes()).into_owned()).collect();
    headers.remove(SET_COOKIE);
    cookies
}

/// A whole answer in the JSON shape of the service that invoked the function.
#[derive(Debug, serde::Serialize)]
#[serde(untagged)]
pub enum Buffered {
    Rest(ApiGatewayProxyResponse),
    Http(ApiGatewayV2httpResponse),
    Alb(AlbTargetGroupResponse),
}

async fn buffered(origin: &Origin, response: Response<Body>) -> Result<Buffered, lambda_http::Error> {
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await?.to_bytes();
    let (body, is_base64_encoded) = encode_body(bytes.to_vec());
    let status_code = i64::from(parts.status.as_u16());
    let mut headers = parts.headers;
    Ok(match origin {
        Origin::Alb { multi_value_headers } => {
            Buffered::Alb(alb_response(status_code, headers, body, is_base64_encoded, *multi_value_headers))
        }
        Origin::RestApi { .. } => {
            let mut response = ApiGatewayProxyResponse::default();
            (response.status_code, response.body, response.is_base64_encoded) = (status_code, body, is_base64_encoded);
            // API Gateway merges both header maps; one of them avoids duplicates.
            response.multi_value_headers = headers;
            Buffered::Rest(response)
        }
        Origin::HttpApi { .. } | Origin::FunctionUrl => {
            let mut response = ApiGatewayV2httpResponse::default();
            (response.status_code, response.body, response.is_base64_encoded) = (status_code, body, is_base64_encoded);
            response.cookies = take_cookies(&mut headers);
            response.headers = headers;
            Buffered::Http(response)
        }
    })
}

fn alb_response(
    status_code: i64,
    headers: HeaderMap,
    body: Option<lambda_http::Body>,
    is_base64_encoded: bool,
    multi_value_headers: bool,
) -> AlbTargetGroupResponse {
    let mut response = AlbTargetGroupResponse::default();
    (response.status_code, response.body, response.is_base64_encoded) = (status_code, body, is_base64_encoded);
    // ALB reads `multiValueHeaders` exactly when the target group sends them.
    if multi_value_headers {
        response.multi_value_headers = headers;
    } else {
        response.headers = headers;
    }
    response
}

/// Text bodies as they are, anything else base64 (as the services require).
fn encode_body(bytes: Vec<u8>) -> (Option<lambda_http::Body>, bool) {
    if bytes.is_empty() {
        return (None, false);
    }
    match String::from_utf8(bytes) {
        Ok(text) => (Some(lambda_http::Body::Text(text)), false),
        Err(error) => (Some(lambda_http::Body::Binary(error.into_bytes())), true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(value: &str) -> Uri {
        value.parse().unwrap()
    }

    #[test]
    fn the_stage_is_stripped_once_with_the_query_kept() {
        let stripped = strip_stage(&uri("https://h.example/prod/api/v1/models?x=1"), "prod");
        assert_eq!(stripped.path(), "/api/v1/models");
        assert_eq!(stripped.query(), Some("x=1"));
        assert_eq!(strip_stage(&uri("https://h.example/prod/prod/x"), "prod").path(), "/prod/x");
        assert_eq!(strip_stage(&uri("/prod"), "prod").path(), "/");
    }

    #[test]
    fn a_path_merely_starting_like_the_stage_is_kept() {
        assert_eq!(strip_stage(&uri("/production/health"), "prod").path(), "/production/health");
        assert_eq!(strip_stage(&uri("/health"), "prod").path(), "/health");
    }

    #[test]
    fn only_rest_and_function_urls_stream_by_default() {
        let rest = Origin::RestApi { stage: Some("prod".into()) };
        let http = Origin::HttpApi { stage: None };
        let alb = Origin::Alb { multi_value_headers: false };
        assert!(rest.streams(ResponseMode::Auto) && Origin::FunctionUrl.streams(ResponseMode::Auto));
        assert!(!http.streams(ResponseMode::Auto) && http.streams(ResponseMode::Stream));
        assert!(!alb.streams(ResponseMode::Stream) && !rest.streams(ResponseMode::Buffered));
    }

    #[test]
    fn default_stage_is_no_stage() {
        assert_eq!(Origin::HttpApi { stage: Some("$default".into()) }.stage(), None);
        assert_eq!(Origin::RestApi { stage: Some("v1".into()) }.stage(), Some("v1"));
    }

    #[test]
    fn binary_bodies_are_base64_flagged() {
        assert!(matches!(encode_body(b"{}".to_vec()), (Some(lambda_http::Body::Text(_)), false)));
        assert!(matches!(encode_body(vec![0xff, 0xfe]), (Some(lambda_http::Body::Binary(_)), true)));
        assert!(matches!(encode_body(Vec::new()), (None, false)));
    }

    const REST_EVENT: &str = r#"{"resource": "/{proxy+}", "path": "/api/v1/models", "httpMethod": "GET",
        "headers": {"host": "abc.execute-api.us-east-1.amazonaws.com"}, "queryStringParameters": {"a": "b"},
        "requestContext": {"stage": "prod", "accountId": "123456789012", "apiId": "abc", "resourcePath": "/{proxy+}",
                           "httpMethod": "GET", "requestId": "r1", "identity": {"sourceIp": "203.0.113.9"}},
        "body": "{}", "isBase64Encoded": false}"#;

    #[test]
    fn a_rest_event_reaches_the_router_without_its_stage() {
        let event: LambdaRequest = serde_json::from_str(REST_EVENT).unwrap();
        let origin = Origin::of(&event).unwrap();
        assert_eq!(origin, Origin::RestApi { stage: Some("prod".into()) });
        let request = to_router_request(event.into(), origin.stage());
        assert_eq!(request.uri().path(), "/api/v1/models");
        assert_eq!(request.uri().query(), Some("a=b"));
    }
}
