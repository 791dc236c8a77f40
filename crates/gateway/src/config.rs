//! The one typed configuration, from flags and environment (names follow the Python
//! reference, bedrock-access-gateway), validated before anything starts.

use std::net::IpAddr;
use std::time::Duration;

use clap::{ArgAction, CommandFactory, FromArgMatches, Parser};

/// OpenAI-compatible API gateway for Amazon Bedrock.
#[derive(Debug, Clone, Parser)]
#[command(name = "bedrock-gateway", version, about)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "HOST", default_value = "127.0.0.1")]
    pub host: IpAddr,

    /// Port to listen on (0 picks a free port and prints it).
    #[arg(long, env = "PORT", default_value_t = 8000)]
    pub port: u16,

    /// API keys clients must present, comma-separated.
    #[arg(long = "api-key", env = "API_KEY", hide_env_values = true, value_delimiter = ',')]
    pub api_keys: Vec<String>,

    /// Secrets Manager secret (name or ARN) whose JSON has `api_key` (string, may be
    /// comma-separated) and/or `api_keys` (list).
    #[arg(long, env = "API_KEY_SECRET_ARN")]
    pub api_key_secret_arn: Option<String>,

    /// SSM parameter (SecureString) holding the API key(s), comma-separated.
    #[arg(long, env = "API_KEY_PARAM_NAME")]
    pub api_key_param_name: Option<String>,

    /// Path prefix of the API; `/v1` is always served too.
    #[arg(long, env = "API_ROUTE_PREFIX", default_value = "/api/v1")]
    pub api_route_prefix: String,

    /// Model used when a request names none or names an OpenAI `gpt-*` model.
    #[arg(long, env = "DEFAULT_MODEL", default_value = "global.anthropic.claude-sonnet-4-5-20250929-v1:0")]
    pub default_model: String,

    /// Embedding model used for OpenAI `text-embedding-*` names.
    #[arg(long, env = "DEFAULT_EMBEDDING_MODEL", default_value = "cohere.embed-multilingual-v3")]
    pub default_embedding_model: String,

    /// List system-defined cross-region inference profiles (us., eu., apac., global.) as models.
    #[arg(long, env = "ENABLE_CROSS_REGION_INFERENCE", default_value = "true", value_parser = parse_switch, action = ArgAction::Set)]
    pub enable_cross_region_inference: bool,

    /// List application inference profiles (their ARNs) as models.
    #[arg(long, env = "ENABLE_APPLICATION_INFERENCE_PROFILES", default_value = "true", value_parser = parse_switch, action = ArgAction::Set)]
    pub enable_application_inference_profiles: bool,

    /// Add prompt-cache points by default (overridable per request).
    #[arg(long, env = "ENABLE_PROMPT_CACHING", default_value = "false", value_parser = parse_switch, action = ArgAction::Set)]
    pub enable_prompt_caching: bool,

    /// Log request and response content (prompts, completions). Off by default.
    #[arg(long, env = "DEBUG", default_value = "false", value_parser = parse_switch, action = ArgAction::Set,
          num_args = 0..=1, default_missing_value = "true")]
    pub debug: bool,

    /// CORS origins allowed to call the API, comma-separated; `*` allows any origin
    /// (without credentials), as the reference does.
    #[arg(long, env = "ALLOWED_ORIGINS", default_value = "*", value_delimiter = ',')]
    pub allowed_origins: Vec<String>,

    /// AWS region of the Bedrock clients; the SDK's region chain when unset (then us-west-2).
    #[arg(long, env = "AWS_REGION")]
    pub aws_region: Option<String>,

    /// Largest accepted request body, in bytes (images arrive base64-encoded).
    #[arg(long, env = "MAX_REQUEST_BODY_BYTES", default_value_t = 32 * 1024 * 1024)]
    pub max_request_body_bytes: usize,

    /// How often the model list is refreshed in the background, in seconds.
    #[arg(long, env = "MODELS_REFRESH_SECONDS", default_value_t = 300)]
    pub models_refresh_seconds: u64,

    /// An unknown model id refreshes the model list at most this often, in seconds (so a
    /// client looping on a typo cannot flood ListFoundationModels); 0 refreshes on every miss.
    #[arg(long, env = "MODELS_MISS_REFRESH_SECONDS", default_value_t = 10)]
    pub models_miss_refresh_seconds: u64,

    /// Seconds of upstream silence after which an SSE keep-alive comment is sent.
    #[arg(long, env = "STREAM_KEEPALIVE_SECONDS", default_value_t = 15)]
    pub stream_keepalive_seconds: u64,

    /// Longest time a Bedrock call may take before its first byte (a stream: its first
    /// event), in seconds.
    #[arg(long, env = "BEDROCK_TIMEOUT_SECONDS", default_value_t = 900)]
    pub bedrock_timeout_seconds: u64,

    /// Idle connections to each Bedrock endpoint kept for the next requests (up to 90 s); a
    /// finished request's connection beyond them is closed, so a burst of streams does not
    /// leave its sockets and buffers behind. 0: a new connection for every call.
    #[arg(long, env = "BEDROCK_MAX_IDLE_CONNECTIONS", default_value_t = 64)]
    pub bedrock_max_idle_connections: usize,

    /// Log format: auto (JSON unless stderr is a terminal), json or text.
    #[arg(long, env = "LOG_FORMAT", default_value = "auto", value_parser = ["auto", "json", "text"])]
    pub log_format: String,

    /// Run against a built-in Bedrock emulator on loopback (no AWS account needed).
    #[arg(long, env = "BEDROCK_EMULATOR", default_value = "false", value_parser = parse_switch, action = ArgAction::Set,
          num_args = 0..=1, default_missing_value = "true")]
    pub emulator: bool,

    /// Validate the configuration (and load API keys) and exit.
    #[arg(long)]
    pub check_config: bool,

    /// How reasoning is returned: `reasoning_content` fields, or `think_tags` inline in the
    /// content (per request: `reasoning_format`).
    #[arg(long, env = "REASONING_FORMAT", default_value = "reasoning_content", value_parser = ["reasoning_content", "think_tags"])]
    pub reasoning_format: String,

    /// Bedrock guardrail applied to every chat request (requests may name another).
    #[arg(long, env = "GUARDRAIL_ID")]
    pub guardrail_id: Option<String>,

    /// Version of GUARDRAIL_ID (a number or DRAFT).
    #[arg(long, env = "GUARDRAIL_VERSION")]
    pub guardrail_version: Option<String>,

    /// Ask the guardrail for its trace.
    #[arg(long, env = "GUARDRAIL_TRACE", default_value = "false", value_parser = parse_switch, action = ArgAction::Set)]
    pub guardrail_trace: bool,

    /// Seconds allowed to fetch an http(s) image URL.
    #[arg(long, env = "IMAGE_FETCH_TIMEOUT_SECONDS", default_value_t = 10)]
    pub image_fetch_timeout_seconds: u64,

    /// Largest image fetched from a URL, in bytes.
    #[arg(long, env = "IMAGE_FETCH_MAX_BYTES", default_value_t = 10 * 1024 * 1024)]
    pub image_fetch_max_bytes: usize,

    /// Allow image URLs on loopback, private, link-local and metadata addresses (off: SSRF protection).
    #[arg(long, env = "IMAGE_FETCH_ALLOW_PRIVATE", default_value = "false", value_parser = parse_switch, action = ArgAction::Set)]
    pub image_fetch_allow_private: bool,

    /// Image model used when an image request names none or names an OpenAI `dall-e-*` /
    /// `gpt-image-*` model.
    #[arg(long, env = "DEFAULT_IMAGE_MODEL", default_value = "amazon.nova-canvas-v1:0")]
    pub default_image_model: String,

    /// On SIGTERM/SIGINT, seconds in-flight requests (open streams included) may take to
    /// finish before the process exits (ECS waits 30 s by default before SIGKILL).
    #[arg(long, env = "SHUTDOWN_GRACE_SECONDS", default_value_t = 25)]
    pub shutdown_grace_seconds: u64,

    /// Lambda only: how answers go back. `auto` streams to API Gateway REST and Function URL
    /// events and buffers for HTTP API and ALB (which cannot stream); `stream`; `buffered`
    /// (ALB is always buffered).
    #[arg(long, env = "LAMBDA_RESPONSE_MODE", default_value = "auto", value_parser = ["auto", "stream", "buffered"])]
    pub lambda_response_mode: String,

    /// DynamoDB table for stored Responses API responses (hash key `pk` (S), TTL attribute
    /// `expires_at`); unset: kept in memory, per process.
    #[arg(long, env = "RESPONSES_TABLE")]
    pub responses_table: Option<String>,

    /// How long stored responses are kept, in seconds (default 30 days, as OpenAI).
    #[arg(long, env = "RESPONSES_TTL_SECONDS", default_value_t = 30 * 24 * 3600)]
    pub responses_ttl_seconds: u64,

    /// At most this many responses are kept in memory (least recently used go first).
    #[arg(long, env = "RESPONSES_MAX_ENTRIES", default_value_t = 10_000)]
    pub responses_max_entries: usize,

    /// At most this many bytes of responses are kept in memory.
    #[arg(long, env = "RESPONSES_MAX_BYTES", default_value_t = 256 * 1024 * 1024)]
    pub responses_max_bytes: usize,

    /// Serve `GET /metrics` (Prometheus) on this separate address, without an API key
    /// (e.g. `0.0.0.0:9090`; port 0 picks a free port and prints it).
    #[arg(long, env = "METRICS_ADDR")]
    pub metrics_addr: Option<std::net::SocketAddr>,

    /// Also serve `GET /metrics` on the main listener (off: a public endpoint would leak usage).
    #[arg(long, env = "METRICS_ON_MAIN_LISTENER", default_value = "false", value_parser = parse_switch, action = ArgAction::Set)]
    pub metrics_on_main_listener: bool,

    /// Write one CloudWatch Embedded Metric Format line per request on stdout.
    #[arg(long, env = "METRICS_EMF", default_value = "false", value_parser = parse_switch, action = ArgAction::Set)]
    pub metrics_emf: bool,

    /// CloudWatch namespace of the EMF metrics.
    #[arg(long, env = "METRICS_EMF_NAMESPACE", default_value = "BedrockGateway")]
    pub metrics_emf_namespace: String,

    /// YAML file of named models, their Bedrock targets, AWS access and fallbacks, and
    /// settings (docs/config.md); a LiteLLM `config.yaml` is read as is. Reloaded on SIGHUP.
    #[arg(long = "config", env = "CONFIG_FILE")]
    pub config_file: Option<String>,

    /// The loaded configuration file (routes, file settings already merged in).
    #[arg(skip)]
    pub file: Option<std::sync::Arc<crate::config_file::FileConfig>>,

    /// Requests served at once (open streams count until they end); beyond it a 503 with
    /// `Retry-After`. 0: no limit.
    #[arg(long, env = "MAX_CONCURRENT_REQUESTS", default_value_t = 0)]
    pub max_concurrent_requests: usize,

    /// Seconds a client may take to send a request's headers once it has started (slowloris).
    #[arg(long, env = "HEADER_READ_TIMEOUT_SECONDS", default_value_t = 30)]
    pub header_read_timeout_seconds: u64,

    /// Seconds a keep-alive connection may stay open with no request; keep it above the load
    /// balancer's idle timeout (ALB: 60 s) so the balancer closes first.
    #[arg(long, env = "IDLE_CONNECTION_TIMEOUT_SECONDS", default_value_t = 75)]
    pub idle_connection_timeout_seconds: u64,

    /// Seconds Bedrock may stay silent in the middle of a stream (after its first event)
    /// before the client's stream is ended with an error; the wait for the first event is
    /// not limited by it (BEDROCK_TIMEOUT_SECONDS is).
    #[arg(long, env = "STREAM_STALL_TIMEOUT_SECONDS", default_value_t = 30)]
    pub stream_stall_timeout_seconds: u64,
    /// Redis or Valkey (ElastiCache: `rediss://` for TLS, `rediss://:password@host:6379` or
    /// `rediss://user:password@…` for AUTH) holding key limits and usage, shared by every
    /// replica; unset: kept in this process's memory.
    #[arg(long, env = "REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<String>,

    /// When Redis cannot answer: `open` serves requests without limits (a warning and the
    /// `gateway_limiter_unavailable_total` metric), `closed` refuses keys with limits (503).
    #[arg(long, env = "REDIS_FAIL_MODE", default_value = "open", value_parser = ["open", "closed"])]
    pub redis_fail_mode: String,

    /// Longest wait for one Redis call, in milliseconds.
    #[arg(long, env = "REDIS_TIMEOUT_MS", default_value_t = 250)]
    pub redis_timeout_ms: u64,

    /// Key for `GET /admin/usage` and `GET /admin/keys` (never accepted on the API unless
    /// also configured as a key); unset: no admin API.
    #[arg(long = "admin-api-key", env = "ADMIN_API_KEY", hide_env_values = true)]
    pub admin_api_key: Option<String>,

    /// Tokens reserved for the answer of a request that sets no max_tokens, until Bedrock
    /// reports what it used (keys with token limits).
    #[arg(long, env = "TOKEN_RESERVATION_DEFAULT", default_value_t = 1024)]
    pub token_reservation_default: u64,

    /// Days of usage kept per key (in Redis, or in memory).
    #[arg(long, env = "USAGE_RETENTION_DAYS", default_value_t = 400)]
    pub usage_retention_days: u64,
}

/// A configuration that cannot be served, with a message naming the setting.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct ConfigError(pub String);

/// `true`/`false` in the spellings operators use.
fn parse_switch(value: &str) -> Result<bool, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        other => Err(format!("expected true or false, got `{other}`")),
    }
}

/// Settings the file may not hold: where the file is, one-shot modes, and plain keys (keys
/// belong in the environment, a secret store, or the file's `keys` section).
const NOT_FILE_SETTINGS: &[&str] = &["config_file", "check_config", "api_keys", "help", "version", "admin_api_key"];

impl Config {
    /// Parses flags and environment, then the configuration file if one is named: its
    /// `settings` apply where neither a flag nor the environment set a value.
    pub fn load_from<I: IntoIterator<Item = String>>(args: I) -> Result<Self, ConfigError> {
        let args: Vec<String> = args.into_iter().collect();
        let command = Self::command();
        let matches = command.clone().try_get_matches_from(&args).map_err(|e| ConfigError(clap_message(&e)))?;
        let first = Self::from_arg_matches(&matches).map_err(|e| ConfigError(clap_message(&e)))?;
        let Some(path) = first.config_file.clone() else { return first.validated() };
        let file = crate::config_file::load(&path).map_err(ConfigError)?;
        let mut with_file = args.clone();
        for (name, value) in &file.settings {
            let arg = file_setting(&command, name).map_err(|e| ConfigError(format!("config file {path}: {e}")))?;
            if matches!(matches.value_source(name), None | Some(clap::parser::ValueSource::DefaultValue)) {
                with_file.push(format!("--{}={value}", arg.get_long().unwrap_or(name)));
            }
        }
        let mut config = Self::try_parse_from(&with_file)
            .map_err(|e| ConfigError(format!("config file {path}: settings: {}", clap_message(&e))))?;
        config.file = Some(std::sync::Arc::new(file));
        config.validated()
    }

    /// Checks what clap cannot, normalising as it goes.
    pub fn validated(mut self) -> Result<Self, ConfigError> {
        self.api_route_prefix = normalise_prefix(&self.api_route_prefix)?;
        self.api_keys.retain(|k| !k.trim().is_empty());
        self.api_keys.iter_mut().for_each(|k| *k = k.trim().to_owned());
        self.allowed_origins =
            self.allowed_origins.iter().map(|o| o.trim().to_owned()).filter(|o| !o.is_empty()).collect();
        if self.allowed_origins.is_empty() {
            return Err(ConfigError("ALLOWED_ORIGINS is empty; use * to allow any origin".into()));
        }
        if self.allowed_origins.len() > 1 && self.allowed_origins.iter().any(|o| o == "*") {
            return Err(ConfigError("ALLOWED_ORIGINS mixes * with specific origins".into()));
        }
        if let Some(bad) = self.allowed_origins.iter().find(|o| *o != "*" && http::HeaderValue::from_str(o).is_err()) {
            return Err(ConfigError(format!("ALLOWED_ORIGINS contains an invalid origin `{bad}`")));
        }
        if self.default_model.trim().is_empty() {
            return Err(ConfigError("DEFAULT_MODEL is empty".into()));
        }
        if self.models_refresh_seconds == 0 || self.stream_keepalive_seconds == 0 || self.bedrock_timeout_seconds == 0 {
            return Err(ConfigError(
                "MODELS_REFRESH_SECONDS, STREAM_KEEPALIVE_SECONDS and BEDROCK_TIMEOUT_SECONDS must be positive".into(),
            ));
        }
        if self.guardrail_id.is_some() != self.guardrail_version.is_some() {
            return Err(ConfigError("GUARDRAIL_ID and GUARDRAIL_VERSION must be set together".into()));
        }
        if self.image_fetch_timeout_seconds == 0 || self.image_fetch_max_bytes == 0 {
            return Err(ConfigError("IMAGE_FETCH_TIMEOUT_SECONDS and IMAGE_FETCH_MAX_BYTES must be positive".into()));
        }
        if !(1..=3600).contains(&self.shutdown_grace_seconds) {
            return Err(ConfigError("SHUTDOWN_GRACE_SECONDS must be between 1 and 3600".into()));
        }
        if self.responses_ttl_seconds == 0 || self.responses_max_entries == 0 || self.responses_max_bytes == 0 {
            return Err(ConfigError(
                "RESPONSES_TTL_SECONDS, RESPONSES_MAX_ENTRIES and RESPONSES_MAX_BYTES must be positive".into(),
            ));
        }
        if self.responses_table.as_deref().is_some_and(|t| t.trim().is_empty()) {
            return Err(ConfigError("RESPONSES_TABLE is empty; unset it to keep responses in memory".into()));
        }
        let namespace = &self.metrics_emf_namespace;
        let printable = namespace.bytes().all(|b| b.is_ascii_graphic() || b == b' ');
        if namespace.trim().is_empty() || namespace.len() > 255 || !printable || namespace.starts_with("AWS/") {
            return Err(ConfigError(
                "METRICS_EMF_NAMESPACE must be 1 to 255 printable ASCII characters and not start with AWS/".into(),
            ));
        }
        if self.max_request_body_bytes < 1024 {
            return Err(ConfigError("MAX_REQUEST_BODY_BYTES must be at least 1024".into()));
        }
        self.check_timeouts()?;
        self.validate_teams()?;
        Ok(self)
    }

    /// The connection and stream timeouts must be positive and at most a day.
    fn check_timeouts(&self) -> Result<(), ConfigError> {
        let settings = [
            ("HEADER_READ_TIMEOUT_SECONDS", self.header_read_timeout_seconds),
            ("IDLE_CONNECTION_TIMEOUT_SECONDS", self.idle_connection_timeout_seconds),
            ("STREAM_STALL_TIMEOUT_SECONDS", self.stream_stall_timeout_seconds),
        ];
        match settings.iter().find(|(_, seconds)| !(1..=86_400).contains(seconds)) {
            Some((name, _)) => Err(ConfigError(format!("{name} must be between 1 and 86400"))),
            None => Ok(()),
        }
    }

    /// The keep-alive and stall timeouts of a streamed answer.
    pub fn stream_timing(&self) -> crate::sse::StreamTiming {
        crate::sse::StreamTiming {
            keepalive: self.stream_keepalive(),
            first_event: self.bedrock_timeout(),
            stall: Duration::from_secs(self.stream_stall_timeout_seconds),
        }
    }

    /// How long a connection may take to send headers, and stay idle between requests.
    pub fn connection_timeouts(&self) -> crate::conn::ConnectionTimeouts {
        crate::conn::ConnectionTimeouts {
            header_read: Duration::from_secs(self.header_read_timeout_seconds),
            idle: Duration::from_secs(self.idle_connection_timeout_seconds),
        }
    }

    pub fn models_refresh_interval(&self) -> Duration {
        Duration::from_secs(self.models_refresh_seconds)
    }

    pub fn stream_keepalive(&self) -> Duration {
        Duration::from_secs(self.stream_keepalive_seconds)
    }

    pub fn bedrock_timeout(&self) -> Duration {
        Duration::from_secs(self.bedrock_timeout_seconds)
    }

    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_secs(self.shutdown_grace_seconds)
    }

    /// The operator's guardrail, if configured.
    pub fn guardrail(&self) -> Option<bedrock::Guardrail> {
        Some(bedrock::Guardrail {
            identifier: self.guardrail_id.clone()?,
            version: self.guardrail_version.clone()?,
            trace: self.guardrail_trace,
        })
    }

    /// The configured default for how reasoning is returned.
    pub fn default_reasoning_format(&self) -> openai::ReasoningFormat {
        match self.reasoning_format.as_str() {
            "think_tags" => openai::ReasoningFormat::ThinkTags,
            _ => openai::ReasoningFormat::ReasoningContent,
        }
    }

    /// The settings of keys for teams (docs/keys.md).
    fn validate_teams(&self) -> Result<(), ConfigError> {
        if !(10..=10_000).contains(&self.redis_timeout_ms) {
            return Err(ConfigError("REDIS_TIMEOUT_MS must be between 10 and 10000".into()));
        }
        if self.redis_url.as_deref().is_some_and(|u| u.trim().is_empty()) {
            return Err(ConfigError("REDIS_URL is empty; unset it to keep limits in memory".into()));
        }
        if !(1..=3650).contains(&self.usage_retention_days) {
            return Err(ConfigError("USAGE_RETENTION_DAYS must be between 1 and 3650".into()));
        }
        if self.token_reservation_default == 0 {
            return Err(ConfigError("TOKEN_RESERVATION_DEFAULT must be positive".into()));
        }
        if self.admin_api_key.as_deref().is_some_and(|k| k.trim().len() < 16) {
            return Err(ConfigError("ADMIN_API_KEY must be at least 16 characters".into()));
        }
        Ok(())
    }

    /// Whether any source of API keys is configured.
    pub fn has_key_source(&self) -> bool {
        !self.api_keys.is_empty() || self.api_key_secret_arn.is_some() || self.api_key_param_name.is_some()
    }
}

/// The argument a `settings` entry of the file sets (named as the field, e.g. `default_model`).
fn file_setting<'a>(command: &'a clap::Command, name: &str) -> Result<&'a clap::Arg, String> {
    let arg = command.get_arguments().find(|a| a.get_id() == name && !NOT_FILE_SETTINGS.contains(&name));
    arg.filter(|a| a.get_long().is_some()).ok_or_else(|| {
        let known: Vec<&str> =
            command.get_arguments().map(|a| a.get_id().as_str()).filter(|id| !NOT_FILE_SETTINGS.contains(id)).collect();
        format!("settings.{name} is not a setting; settings are: {}", known.join(", "))
    })
}

/// clap's message without its usage block.
fn clap_message(error: &clap::Error) -> String {
    let text = error.to_string();
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("invalid arguments");
    first.trim_start_matches("error: ").to_owned()
}

fn normalise_prefix(prefix: &str) -> Result<String, ConfigError> {
    let trimmed = prefix.trim().trim_end_matches('/');
    if trimmed.is_empty() {
        return Err(ConfigError("API_ROUTE_PREFIX must not be empty or `/`".into()));
    }
    if !trimmed.starts_with('/') || trimmed.contains(['?', '#', '{', '}', '*', ' ']) {
        return Err(ConfigError(format!("API_ROUTE_PREFIX `{prefix}` must be a path such as /api/v1")));
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Config, String> {
        let mut argv = vec!["bedrock-gateway"];
        argv.extend_from_slice(args);
        Config::try_parse_from(argv).map_err(|e| e.to_string())?.validated().map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_follow_the_reference() {
        let config = parse(&[]).unwrap();
        assert_eq!(config.port, 8000);
        assert_eq!(config.api_route_prefix, "/api/v1");
        assert!(config.enable_cross_region_inference);
        assert!(config.enable_application_inference_profiles);
        assert!(!config.enable_prompt_caching);
        assert!(!config.debug);
        assert_eq!(config.allowed_origins, vec!["*"]);
        assert_eq!(config.default_embedding_model, "cohere.embed-multilingual-v3");
    }

    #[test]
    fn metrics_settings_are_off_by_default_and_checked() {
        let config = parse(&[]).unwrap();
        assert!(config.metrics_addr.is_none() && !config.metrics_on_main_listener && !config.metrics_emf);
        assert_eq!(config.metrics_emf_namespace, "BedrockGateway");
        assert!(parse(&["--metrics-emf-namespace", "BedrockGateway/prod"]).is_ok());
        assert!(parse(&["--metrics-emf-namespace", "AWS/Lambda"]).unwrap_err().contains("METRICS_EMF_NAMESPACE"));
        assert!(parse(&["--metrics-emf-namespace", " "]).unwrap_err().contains("METRICS_EMF_NAMESPACE"));
        assert!(parse(&["--metrics-addr", "nowhere"]).is_err());
    }

    #[test]
    fn several_keys_comma_separated() {
        let config = parse(&["--api-key", "a, b,,c"]).unwrap();
        assert_eq!(config.api_keys, vec!["a", "b", "c"]);
    }

    #[test]
    fn switches_accept_common_spellings() {
        assert!(!parse(&["--enable-cross-region-inference", "False"]).unwrap().enable_cross_region_inference);
        assert!(parse(&["--debug"]).unwrap().debug);
        assert!(parse(&["--enable-prompt-caching", "maybe"]).unwrap_err().contains("expected true or false"));
    }

    #[test]
    fn prefix_is_normalised_and_checked() {
        assert_eq!(parse(&["--api-route-prefix", "/v1/"]).unwrap().api_route_prefix, "/v1");
        assert!(parse(&["--api-route-prefix", "api"]).is_err());
        assert!(parse(&["--api-route-prefix", "/"]).is_err());
    }

    #[test]
    fn default_image_model_is_nova_canvas_and_settable() {
        assert_eq!(parse(&[]).unwrap().default_image_model, "amazon.nova-canvas-v1:0");
        let config = parse(&["--default-image-model", "stability.sd3-5-large-v1:0"]).unwrap();
        assert_eq!(config.default_image_model, "stability.sd3-5-large-v1:0");
    }

    #[test]
    fn guardrail_needs_id_and_version() {
        assert!(parse(&["--guardrail-id", "g"]).is_err());
        let config = parse(&["--guardrail-id", "g", "--guardrail-version", "2"]).unwrap();
        assert_eq!(config.guardrail().unwrap().version, "2");
        assert!(parse(&[]).unwrap().guardrail().is_none());
    }

    #[test]
    fn reasoning_format_choices() {
        assert_eq!(parse(&[]).unwrap().default_reasoning_format(), openai::ReasoningFormat::ReasoningContent);
        let tags = parse(&["--reasoning-format", "think_tags"]).unwrap();
        assert_eq!(tags.default_reasoning_format(), openai::ReasoningFormat::ThinkTags);
        assert!(parse(&["--reasoning-format", "xml"]).is_err());
    }

    #[test]
    fn responses_store_settings() {
        let config = parse(&[]).unwrap();
        assert!(config.responses_table.is_none());
        assert_eq!(config.responses_max_entries, 10_000);
        assert!(parse(&["--responses-max-bytes", "0"]).unwrap_err().contains("RESPONSES_MAX_BYTES"));
        assert!(parse(&["--responses-table", " "]).unwrap_err().contains("RESPONSES_TABLE"));
        assert_eq!(parse(&["--responses-table", "t"]).unwrap().responses_table.as_deref(), Some("t"));
    }

    #[test]
    fn origins_are_checked() {
        assert!(parse(&["--allowed-origins", "*,https://a.example"]).is_err());
        let config = parse(&["--allowed-origins", "https://a.example,https://b.example"]).unwrap();
        assert_eq!(config.allowed_origins.len(), 2);
    }

    #[test]
    fn shutdown_grace_defaults_and_is_bounded() {
        assert_eq!(parse(&[]).unwrap().shutdown_grace(), Duration::from_secs(25));
        assert!(parse(&["--shutdown-grace-seconds", "0"]).unwrap_err().contains("SHUTDOWN_GRACE_SECONDS"));
        assert!(parse(&["--shutdown-grace-seconds", "3601"]).is_err());
        assert_eq!(parse(&["--shutdown-grace-seconds", "5"]).unwrap().shutdown_grace_seconds, 5);
    }

    #[test]
    fn hardening_settings_default_and_are_bounded() {
        let config = parse(&[]).unwrap();
        assert_eq!(config.max_concurrent_requests, 0);
        assert_eq!(config.connection_timeouts().header_read, Duration::from_secs(30));
        assert_eq!(config.connection_timeouts().idle, Duration::from_secs(75));
        assert_eq!(config.stream_timing().stall, Duration::from_secs(30));
        for name in
            ["--header-read-timeout-seconds", "--idle-connection-timeout-seconds", "--stream-stall-timeout-seconds"]
        {
            let setting = name.trim_start_matches("--").replace('-', "_").to_ascii_uppercase();
            assert!(parse(&[name, "0"]).unwrap_err().contains(&setting), "{name}");
            assert!(parse(&[name, "86401"]).unwrap_err().contains(&setting), "{name}");
        }
        assert_eq!(parse(&["--max-concurrent-requests", "8"]).unwrap().max_concurrent_requests, 8);
    }

    #[test]
    fn lambda_response_mode_choices() {
        assert_eq!(parse(&[]).unwrap().lambda_response_mode, "auto");
        assert_eq!(parse(&["--lambda-response-mode", "buffered"]).unwrap().lambda_response_mode, "buffered");
        assert!(parse(&["--lambda-response-mode", "chunked"]).is_err());
    }

    fn write_file(name: &str, text: &str) -> String {
        let path = std::env::temp_dir().join(format!("gateway-config-{}-{name}.yaml", std::process::id()));
        std::fs::write(&path, text).unwrap();
        path.to_string_lossy().into_owned()
    }

    fn load(args: &[&str]) -> Result<Config, String> {
        let argv = std::iter::once("bedrock-gateway").chain(args.iter().copied()).map(str::to_owned);
        Config::load_from(argv).map_err(|e| e.to_string())
    }

    #[test]
    fn file_settings_apply_under_flags() {
        let path = write_file("settings", "settings:\n  default_model: from-file\n  port: 9001\n  debug: true\n");
        let config = load(&["--config", &path, "--port", "9002"]).unwrap();
        assert_eq!((config.default_model.as_str(), config.port, config.debug), ("from-file", 9002, true));
        assert!(config.file.is_some());
    }

    #[test]
    fn file_settings_are_checked_by_name_and_value() {
        let unknown = write_file("unknown", "settings:\n  default_modle: x\n");
        let error = load(&["--config", &unknown]).unwrap_err();
        assert!(error.contains("settings.default_modle is not a setting; settings are: host, port"), "{error}");
        let keys = write_file("keys", "settings:\n  api_keys: sk-plain\n");
        assert!(load(&["--config", &keys]).unwrap_err().contains("settings.api_keys is not a setting"));
        let bad = write_file("bad", "settings:\n  port: many\n");
        let error = load(&["--config", &bad]).unwrap_err();
        assert!(error.contains("settings: invalid value 'many' for '--port <PORT>'"), "{error}");
        let rules = write_file("rules", "settings:\n  shutdown_grace_seconds: 0\n");
        assert!(load(&["--config", &rules]).unwrap_err().contains("SHUTDOWN_GRACE_SECONDS"));
    }

    #[test]
    fn keys_for_teams_settings_default_and_are_checked() {
        let config = parse(&[]).unwrap();
        assert!(config.redis_url.is_none() && config.admin_api_key.is_none());
        assert_eq!((config.redis_fail_mode.as_str(), config.redis_timeout_ms), ("open", 250));
        assert_eq!((config.token_reservation_default, config.usage_retention_days), (1024, 400));
        assert!(parse(&["--redis-fail-mode", "maybe"]).is_err());
        assert!(parse(&["--redis-timeout-ms", "0"]).unwrap_err().contains("REDIS_TIMEOUT_MS"));
        assert!(parse(&["--redis-url", " "]).unwrap_err().contains("REDIS_URL"));
        assert!(parse(&["--admin-api-key", "short"]).unwrap_err().contains("ADMIN_API_KEY"));
        assert!(parse(&["--usage-retention-days", "0"]).unwrap_err().contains("USAGE_RETENTION_DAYS"));
        assert!(parse(&["--token-reservation-default", "0"]).unwrap_err().contains("TOKEN_RESERVATION_DEFAULT"));
    }

    #[test]
    fn a_missing_file_is_named() {
        let error = load(&["--config", "/nonexistent/gateway.yaml"]).unwrap_err();
        assert!(error.contains("config file /nonexistent/gateway.yaml"), "{error}");
    }
}
