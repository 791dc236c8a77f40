//! The only module that calls AWS: SDK configuration, the Bedrock clients, and the
//! mapping of SDK failures onto our error table.

use std::error::Error as StdError;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::stalled_stream_protection::StalledStreamProtectionConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_bedrockruntime::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_bedrockruntime::operation::converse_stream::ConverseStreamOutput as StreamResponse;
use aws_sdk_bedrockruntime::types::error::ConverseStreamOutputError;
use aws_sdk_bedrockruntime::types::{
    ConverseStreamOutput, GuardrailConfiguration, GuardrailStreamConfiguration, GuardrailTrace,
};
use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::{tls, ConnectorBuilder};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use aws_smithy_runtime_api::client::interceptors::context::BeforeDeserializationInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::event_stream::RawMessage;
use bedrock::{classify_upstream, ConverseParts, ConverseResult, UpstreamErrorKind};

use crate::config::Config;
use crate::error::UpstreamError;
use crate::record;
use crate::region::RegionChoice;

/// Fixed credentials the built-in emulator accepts.
pub const EMULATOR_ACCESS_KEY: &str = "AKIDEXAMPLE";
pub const EMULATOR_SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

/// Loads the shared AWS configuration: the standard credential chain, our region choice
/// and `AWS_ENDPOINT_URL_*`, or the emulator when `emulator_url` is given.
pub async fn load_sdk_config(config: &Config, emulator_url: Option<&str>) -> SdkConfig {
    let region = crate::region::resolve_region(config).await;
    sdk_config_in(config, emulator_url, &region).await
}

/// As [`load_sdk_config`], in a region already chosen (so it is resolved, and named, once).
pub async fn sdk_config_in(config: &Config, emulator_url: Option<&str>, region: &RegionChoice) -> SdkConfig {
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(10))
        .operation_timeout(config.bedrock_timeout())
        .build();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(region.region.clone()))
        .timeout_config(timeouts)
        .http_client(http_client(config.bedrock_max_idle_connections))
        // Streams are bounded by the gateway itself (`sse::StreamTiming`: the first event within
        // BEDROCK_TIMEOUT_SECONDS, then no silence over STREAM_STALL_TIMEOUT_SECONDS) with one
        // timer per stream. The SDK's protection would wake every stream each 100 ms to log its
        // throughput (5 wake-ups per event of a model sending 2 a second) and cut reasoning
        // models that think for minutes (aws-sdk-rust#1287); unary calls have the operation timeout.
        .stalled_stream_protection(StalledStreamProtectionConfig::disabled());
    if let Some(url) = emulator_url {
        let credentials = aws_sdk_bedrockruntime::config::Credentials::new(
            EMULATOR_ACCESS_KEY,
            EMULATOR_SECRET_KEY,
            None,
            None,
            "bedrock-emulator",
        );
        loader = loader
            .endpoint_url(url)
            .credentials_provider(credentials)
            .region(Region::new(crate::region::EMULATOR_REGION));
    }
    loader.load().await
}

/// The SDK's default HTTPS client (hyper, rustls on aws-lc, proxies from the environment) with
/// a cap on idle pooled connections: hyper keeps every one for 90 s by default, so after a
/// burst of 1 000 streams the gateway held 1 000 idle sockets and their buffers (BENCHMARKS.md).
fn http_client(max_idle_per_host: usize) -> SharedHttpClient {
    aws_smithy_http_client::Builder::new().build_with_connector_fn(move |settings, components| {
        let mut connector = ConnectorBuilder::default()
            .pool_max_idle_per_host(max_idle_per_host)
            .tls_provider(tls::Provider::Rustls(tls::rustls_provider::CryptoMode::AwsLc));
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            connector.set_sleep_impl(components.sleep_impl());
        }
        connector.set_proxy_config(Some(ProxyConfig::from_env()));
        connector.build()
    })
}

/// The Bedrock clients, built once and shared (each holds a connection pool).
#[derive(Debug, Clone)]
pub struct Bedrock {
    pub runtime: aws_sdk_bedrockruntime::Client,
    pub control: aws_sdk_bedrock::Client,
}

impl Bedrock {
    pub fn new(sdk: &SdkConfig) -> Self {
        Self { runtime: aws_sdk_bedrockruntime::Client::new(sdk), control: aws_sdk_bedrock::Client::new(sdk) }
    }

    /// Clients from their own configurations (a routing target's region, identity, endpoint).
    pub fn from_configs(runtime: aws_sdk_bedrockruntime::Config, control: aws_sdk_bedrock::Config) -> Self {
        Self {
            runtime: aws_sdk_bedrockruntime::Client::from_conf(runtime),
            control: aws_sdk_bedrock::Client::from_conf(control),
        }
    }

    /// Converse (non-streaming).
    pub async fn converse(&self, mut parts: ConverseParts) -> Result<ConverseResult, UpstreamError> {
        let guardrail = parts.guardrail.take().map(|g| {
            GuardrailConfiguration::builder()
                .guardrail_identifier(g.identifier)
                .guardrail_version(g.version)
                .trace(trace(g.trace))
                .build()
        });
        let builder = self.runtime.converse().set_guardrail_config(guardrail);
        let (model, params) = (parts.model_id.clone(), request_params(&parts));
        // Boxed: the SDK's futures are large and every face's handler would carry this one.
        let send = Box::pin(async { apply_parts!(builder, parts).send().await.map_err(|e| classify_sdk_error(&e)) });
        let output = record::timed_call_with("Converse", &model, params, send).await?;
        let result = ConverseResult {
            message: output.output.and_then(|o| o.as_message().ok().cloned()),
            stop_reason: output.stop_reason,
            usage: output.usage,
        };
        if let Some(record) = record::current() {
            record.usage(result.usage.as_ref());
            record.finish(Some(&result.stop_reason));
        }
        Ok(result)
    }

    /// ConverseStream: returns once Bedrock accepted the request, so a rejected request
    /// still gets a proper HTTP status.
    pub async fn converse_stream(&self, mut parts: ConverseParts) -> Result<EventStream, UpstreamError> {
        let guardrail = parts.guardrail.take().map(|g| {
            GuardrailStreamConfiguration::builder()
                .guardrail_identifier(g.identifier)
                .guardrail_version(g.version)
                .trace(trace(g.trace))
                .build()
        });
        let builder = self.runtime.converse_stream().set_guardrail_config(guardrail);
        let (model, params) = (parts.model_id.clone(), request_params(&parts));
        let input_estimate = record::estimate_input_tokens(&parts);
        let send = Box::pin(async { apply_parts!(builder, parts).send().await.map_err(|e| classify_sdk_error(&e)) });
        let output: StreamResponse = record::timed_call_with("ConverseStream", &model, params, send).await?;
        let record = record::current();
        if let Some(record) = &record {
            record.stream_opened(input_estimate);
        }
        Ok(EventStream { receiver: output.stream, record })
    }
}

impl Bedrock {
    /// InvokeModel with a JSON body (embeddings and image models). Returns the answer's
    /// body and the input token count Bedrock reports in `x-amzn-bedrock-input-token-count`
    /// (the SDK does not model that header, so an interceptor reads it).
    pub async fn invoke_model(&self, model_id: &str, body: Vec<u8>) -> Result<InvokeResult, UpstreamError> {
        let tokens = Arc::new(Mutex::new(None));
        let send = self
            .runtime
            .invoke_model()
            .model_id(model_id)
            .content_type("application/json")
            .accept("application/json")
            .body(aws_smithy_types::Blob::new(body))
            .customize()
            .interceptor(InputTokenCount(Arc::clone(&tokens)))
            .send();
        let send = Box::pin(async { send.await.map_err(|e| classify_sdk_error(&e)) });
        let output = record::timed_call("InvokeModel", model_id, send).await?;
        let input_tokens = tokens.lock().ok().and_then(|t| *t);
        if let Some(record) = record::current() {
            record.input_tokens(input_tokens);
        }
        Ok(InvokeResult { body: output.body.into_inner(), input_tokens })
    }
}

/// An InvokeModel answer.
#[derive(Debug, Clone)]
pub struct InvokeResult {
    pub body: Vec<u8>,
    /// Input tokens as Bedrock counted them, when it said.
    pub input_tokens: Option<u64>,
}

/// Reads `x-amzn-bedrock-input-token-count` off each InvokeModel response.
#[derive(Debug)]
struct InputTokenCount(Arc<Mutex<Option<u64>>>);

impl Intercept for InputTokenCount {
    fn name(&self) -> &'static str {
        "InputTokenCount"
    }

    fn read_before_deserialization(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let count = context.response().headers().get("x-amzn-bedrock-input-token-count");
        if let Ok(mut slot) = self.0.lock() {
            // The last attempt's answer is the one returned.
            *slot = count.and_then(|c| c.trim().parse().ok());
        }
        Ok(())
    }
}

fn trace(enabled: bool) -> GuardrailTrace {
    if enabled {
        GuardrailTrace::Enabled
    } else {
        GuardrailTrace::Disabled
    }
}

/// Copies `ConverseParts` onto either SDK builder; the two have the same setters but no
/// common trait, so this is their one shared home.
macro_rules! apply_parts {
    ($builder:expr, $parts:expr) => {{
        let parts = $parts;
        $builder
            .model_id(parts.model_id)
            .set_messages(Some(parts.messages))
            .set_system((!parts.system.is_empty()).then_some(parts.system))
            .set_inference_config(parts.inference_config)
            .set_tool_config(parts.tool_config)
            .set_additional_model_request_fields(parts.additional_model_request_fields)
    }};
}
use apply_parts;

/// The inference parameters a trace reports.
fn request_params(parts: &ConverseParts) -> record::RequestParams {
    let config = parts.inference_config.as_ref();
    record::RequestParams {
        max_tokens: config.and_then(|c| c.max_tokens),
        temperature: config.and_then(|c| c.temperature),
        top_p: config.and_then(|c| c.top_p),
    }
}

/// A live ConverseStream; dropping it closes the connection, so Bedrock stops generating.
pub struct EventStream {
    receiver: aws_sdk_bedrockruntime::primitives::event_stream::EventReceiver<
        ConverseStreamOutput,
        ConverseStreamOutputError,
    >,
    /// The request's record, carried along: the body is polled outside the handler's task scope.
    record: Option<Arc<record::RequestRecord>>,
}

impl EventStream {
    /// The next event; `Ok(None)` at the normal end.
    pub async fn next(&mut self) -> Result<Option<ConverseStreamOutput>, UpstreamError> {
        let next = self.receiver.recv().await.map_err(|e| classify_stream_error(&e));
        self.observe(&next);
        next
    }

    /// The failure of a stream Bedrock left silent for `after`, before its first event or in
    /// the middle of the answer, recorded like any other stream failure.
    pub fn silent(&self, after: Duration, before_first_event: bool) -> UpstreamError {
        let when = if before_first_event { "before its first event" } else { "in the middle of the answer" };
        let error = UpstreamError {
            class: classify_upstream(UpstreamErrorKind::Timeout, None),
            message: format!("Amazon Bedrock sent nothing for {} s {when}", after.as_secs()),
        };
        self.observe(&Err(error.clone()));
        error
    }

    /// Tokens, finish reason, first-token time and failures, for the record and the metrics.
    fn observe(&self, next: &Result<Option<ConverseStreamOutput>, UpstreamError>) {
        match next {
            Ok(Some(event)) => {
                if let Some(record) = &self.record {
                    record.stream_event(event);
                }
            }
            Ok(None) => {}
            Err(error) => {
                crate::metrics::metrics().upstream_error(error.class.code);
                if let Some(record) = &self.record {
                    record.stream_failed(error);
                }
            }
        }
    }
}

/// Exceptions inside an event stream carry their type only in the frame's headers, which
/// the SDK turns into the error's variant but not into `code()`: read the variant.
fn classify_stream_error(error: &SdkError<ConverseStreamOutputError, RawMessage>) -> UpstreamError {
    let classified = classify_sdk_error(error);
    let Some(err) = error.as_service_error().filter(|e| e.code().is_none()) else { return classified };
    let code = match err {
        ConverseStreamOutputError::ThrottlingException(_) => "ThrottlingException",
        ConverseStreamOutputError::ValidationException(_) => "ValidationException",
        ConverseStreamOutputError::ServiceUnavailableException(_) => "ServiceUnavailableException",
        ConverseStreamOutputError::InternalServerException(_) => "InternalServerException",
        ConverseStreamOutputError::ModelStreamErrorException(_) => "ModelStreamErrorException",
        _ => return classified,
    };
    let message = format!("Bedrock {code}: {}", upstream_message(err.message(), "the stream failed"));
    UpstreamError { class: classify_upstream(UpstreamErrorKind::Service, Some(code)), message }
}

/// Classifies any SDK failure (either stream layer, any operation) through the one table.
pub fn classify_sdk_error<E, R>(error: &SdkError<E, R>) -> UpstreamError
where
    E: ProvideErrorMetadata + StdError + 'static,
    R: std::fmt::Debug,
{
    let (kind, code, message) = match error {
        SdkError::ServiceError(service) => {
            let err = service.err();
            let code = err.code().map(str::to_owned);
            let message = format!(
                "Bedrock {}: {}",
                code.as_deref().unwrap_or("error"),
                upstream_message(err.message(), "the request failed")
            );
            (UpstreamErrorKind::Service, code, message)
        }
        SdkError::TimeoutError(_) => (UpstreamErrorKind::Timeout, None, "Bedrock did not answer in time".to_owned()),
        SdkError::DispatchFailure(failure) if failure.is_timeout() => {
            (UpstreamErrorKind::Timeout, None, "Bedrock did not answer in time".to_owned())
        }
        SdkError::DispatchFailure(failure) if failure.as_connector_error().is_some_and(|e| missing_credentials(e)) => {
            tracing::warn!("{NO_CREDENTIALS}");
            (UpstreamErrorKind::Dispatch, None, "The gateway has no AWS credentials to call Amazon Bedrock".to_owned())
        }
        SdkError::DispatchFailure(_) | SdkError::ConstructionFailure(_) => {
            tracing::warn!(error = %source_chain(error), "could not call Bedrock");
            (UpstreamErrorKind::Dispatch, None, "The gateway could not reach Amazon Bedrock".to_owned())
        }
        _ => {
            tracing::warn!(error = %source_chain(error), "unexpected response from Bedrock");
            (UpstreamErrorKind::Response, None, crate::error::UNREADABLE_RESPONSE.to_owned())
        }
    };
    UpstreamError { class: classify_upstream(kind, code.as_deref()), message }
}

/// Bedrock's own message, cut short: it may quote the request (a model id, a value).
fn upstream_message<'a>(message: Option<&'a str>, otherwise: &'a str) -> std::borrow::Cow<'a, str> {
    openai::clip_to(message.unwrap_or(otherwise), openai::clip::MAX_UPSTREAM_MESSAGE_CHARS)
}

/// The one warning for a credential chain that found nothing (instead of the SDK's
/// multi-line list of every provider it tried).
pub const NO_CREDENTIALS: &str = "no AWS credentials found (tried environment, profile, web identity, container \
     and instance role): set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run with an IAM role; \
     `bedrock-gateway doctor` shows details";

/// Whether the call failed because the credential chain found no credentials.
pub fn missing_credentials(error: &(dyn StdError + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(inner) = current {
        if let Some(CredentialsError::CredentialsNotLoaded(_)) = inner.downcast_ref::<CredentialsError>() {
            return true;
        }
        current = inner.source();
    }
    false
}

/// The error and its sources on one line, for operator logs (SDK errors may span lines).
pub fn source_chain(error: &dyn StdError) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text.split('\n').map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join("; ")
}

impl Bedrock {
    /// CountTokens with a Converse input: the input tokens Bedrock would bill for `parts`.
    pub async fn count_tokens(&self, parts: ConverseParts) -> Result<u64, UpstreamError> {
        let request = aws_sdk_bedrockruntime::types::ConverseTokensRequest::builder()
            .set_messages(Some(parts.messages))
            .set_system((!parts.system.is_empty()).then_some(parts.system))
            .set_tool_config(parts.tool_config)
            .set_additional_model_request_fields(parts.additional_model_request_fields)
            .build();
        let model = parts.model_id;
        let send = self
            .runtime
            .count_tokens()
            .model_id(model.clone())
            .input(aws_sdk_bedrockruntime::types::CountTokensInput::Converse(request))
            .send();
        let send = Box::pin(async { send.await.map_err(|e| classify_sdk_error(&e)) });
        let output = record::timed_call("CountTokens", &model, send).await?;
        Ok(u64::try_from(output.input_tokens()).unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_credential_types::provider::error::CredentialsError;

    #[test]
    fn bedrock_messages_quoting_a_huge_value_are_cut() {
        let quoted = format!("Value '{}' at 'modelId' failed to satisfy constraint", "m".repeat(100_000));
        let message = upstream_message(Some(&quoted), "x");
        assert_eq!(message.chars().count(), openai::clip::MAX_UPSTREAM_MESSAGE_CHARS + 1);
        assert_eq!(upstream_message(None, "the request failed"), "the request failed");
    }

    #[test]
    fn a_multi_line_error_is_logged_on_one_line() {
        let error =
            std::io::Error::other("no credentials found in chain. Attempted:\n  Environment: not set\n  Profile: none");
        assert_eq!(
            source_chain(&error),
            "no credentials found in chain. Attempted:; Environment: not set; Profile: none"
        );
    }

    #[test]
    fn missing_credentials_are_recognised_anywhere_in_the_chain() {
        let missing = CredentialsError::not_loaded("no providers in chain");
        assert!(missing_credentials(&missing));
        let other = CredentialsError::provider_error("SSO token expired");
        assert!(!missing_credentials(&other));
        assert!(!missing_credentials(&std::io::Error::other("connection refused")));
    }
}
