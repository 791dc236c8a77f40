use super::*;

const ROLE: &str = "arn:aws:iam::123456789012:role/bedrock-gateway";

fn fixture(name: &str) -> String {
    let path = format!("{}/../../tests/fixtures/litellm/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The test's environment: what the fixtures reference.
fn env(name: &str) -> Option<String> {
    let value = match name {
        "CUSTOM_AWS_ACCESS_KEY_ID" => "AKIACUSTOMEXAMPLE",
        "CUSTOM_AWS_SECRET_ACCESS_KEY" => "custom-secret",
        "CUSTOM_AWS_REGION_NAME" => "eu-west-3",
        "BEDROCK_TEST_KEY" => "bedrock-api-key-EXAMPLE",
        _ => return None,
    };
    Some(value.to_owned())
}

fn parse(text: &str) -> Result<FileConfig, String> {
    parse_with(text, &env)
}

fn only(file: &FileConfig) -> &ModelSpec {
    assert_eq!(file.models.len(), 1, "{:?}", file.models);
    &file.models[0]
}

#[test]
fn every_litellm_example_of_the_seed_loads() {
    let dir = format!("{}/../../tests/fixtures/litellm", env!("CARGO_MANIFEST_DIR"));
    let mut loaded = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            let file = load_with(path.to_str().unwrap(), &env).unwrap_or_else(|e| panic!("{e}"));
            assert!(!file.models.is_empty(), "{path:?}");
            assert!(file.warnings.is_empty(), "{path:?}: {:?}", file.warnings);
            loaded += 1;
        }
    }
    assert_eq!(loaded, 11);
}

#[test]
fn environment_references_fill_credentials_and_region() {
    let file = parse(&fixture("01-env-credentials.yaml")).unwrap();
    let model = only(&file);
    assert_eq!(model.name, "bedrock-claude");
    assert_eq!(model.model, "anthropic.claude-3-5-sonnet-20240620-v1:0");
    assert_eq!(model.region.as_deref(), Some("eu-west-3"));
    let keys = model.access.keys.as_ref().unwrap();
    assert_eq!((keys.access_key_id.as_str(), keys.secret_access_key.as_str()), ("AKIACUSTOMEXAMPLE", "custom-secret"));
}

#[test]
fn a_missing_environment_variable_is_named() {
    let text = fixture("01-env-credentials.yaml").replace("CUSTOM_AWS_REGION_NAME", "NOT_SET_ANYWHERE_42");
    let error = parse(&text).unwrap_err();
    assert!(error.contains("model_list[0] (bedrock-claude)"), "{error}");
    assert!(error.contains("NOT_SET_ANYWHERE_42 is not set"), "{error}");
}

#[test]
fn litellm_defaults_and_provider_specific_params() {
    let file = parse(&fixture("02-temperature-top-p.yaml")).unwrap();
    let params = &only(&file).params;
    assert_eq!((params.temperature, params.top_p), (Some(0.2), Some(0.8)));
    let file = parse(&fixture("03-provider-specific.yaml")).unwrap();
    assert_eq!(only(&file).params.fixed_fields.get("top_k"), Some(&serde_json::json!(1)));
    let file = parse(&fixture("07-sts-role.yaml")).unwrap();
    let model = only(&file);
    assert_eq!((model.params.max_tokens, model.params.temperature), (Some(10), Some(0.1)));
    assert_eq!(model.access.role.as_ref().unwrap().session_name.as_deref(), Some("my-test-session"));
}

#[test]
fn empty_credentials_mean_the_default_chain_and_profiles_are_kept() {
    let file = parse(&fixture("04-static-credentials.yaml")).unwrap();
    assert_eq!((only(&file).access.clone(), only(&file).region.clone()), (AwsAccess::default(), None));
    let file = parse(&fixture("06-profile-name.yaml")).unwrap();
    assert_eq!(only(&file).access.profile.as_deref(), Some("dev-profile"));
}

#[test]
fn a_role_is_assumed_with_the_given_keys() {
    let file = parse(&fixture("08-sts-role-with-keys.yaml")).unwrap();
    let access = &only(&file).access;
    assert_eq!(access.role.as_ref().unwrap().role_arn, ROLE);
    assert!(access.keys.is_some());
    assert_eq!(access.describe(), format!("role {ROLE} assumed with static keys AKIA…"));
}

#[test]
fn provisioned_throughput_calls_the_arn_with_the_base_model_capabilities() {
    let file = parse(&fixture("09-provisioned-throughput.yaml")).unwrap();
    let model = only(&file);
    assert!(model.model.starts_with("arn:aws:bedrock:us-east-1:123456789012:provisioned-model/"));
    assert_eq!(model.foundation_model.as_deref(), Some("anthropic.claude-3-5-sonnet-20240620-v1:0"));
}

#[test]
fn the_seed_typos_are_reported_with_their_place() {
    let typo = "model_list:\n  - model_name: bedrock-claude\n    litellm_params:\n      model: bedrock/x\n      aws_profile_name=\"dev-profile\",\n";
    let error = parse(typo).unwrap_err();
    assert!(error.contains("line 5"), "{error}");
    let comma = "model_list:\n  - model_name: c\n    litellm_params:\n      model: bedrock/x\n      max_tokens: 10,\n";
    let error = parse(comma).unwrap_err();
    assert!(error.contains("model_list[0] (c): litellm_params.max_tokens must be a number, got `10,`"), "{error}");
}

#[test]
fn provider_prefixes_and_other_providers() {
    assert_eq!(
        litellm::bedrock_target("bedrock/converse/us.amazon.nova-pro-v1:0", None).unwrap(),
        "us.amazon.nova-pro-v1:0"
    );
    assert_eq!(litellm::bedrock_target("bedrock/invoke/anthropic.claude-v2", None).unwrap(), "anthropic.claude-v2");
    let imported = "bedrock/llama/arn:aws:bedrock:us-east-1:123456789012:imported-model/abc";
    assert_eq!(
        litellm::bedrock_target(imported, None).unwrap(),
        "arn:aws:bedrock:us-east-1:123456789012:imported-model/abc"
    );
    assert_eq!(litellm::bedrock_target("anthropic.claude-v2", Some("bedrock")).unwrap(), "anthropic.claude-v2");
    assert!(litellm::bedrock_target("openai/gpt-4o", None).is_none());
}

const MIXED: &str = r#"
model_list:
  - model_name: gpt-4o
    litellm_params: {model: openai/gpt-4o, api_key: os.environ/OPENAI_API_KEY}
  - model_name: claude
    litellm_params: {model: bedrock/us.anthropic.claude-3-5-haiku-20241022-v1:0, aws_region_name: us-east-1, rpm: 100, weight: 2}
    model_info: {id: claude-east}
  - model_name: claude
    litellm_params: {model: bedrock/converse/us.anthropic.claude-3-5-haiku-20241022-v1:0, aws_region_name: us-west-2, timeout: 30, stream_timeout: 10}
  - model_name: nova
    litellm_params: {model: bedrock/us.amazon.nova-pro-v1:0, thinking: {type: enabled}, seed: 3}
router_settings:
  routing_strategy: least-busy
  fallbacks: [{claude: [nova, gpt-4o]}]
  num_retries: 2
litellm_settings:
  context_window_fallbacks: [{nova: [claude]}]
  drop_params: true
general_settings:
  master_key: sk-1234
"#;

#[test]
fn other_providers_are_skipped_and_unused_settings_reported() {
    let file = parse(MIXED).unwrap();
    let names: Vec<&str> = file.models.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["claude", "claude", "nova"]);
    let warnings = file.warnings.join("\n");
    for expected in [
        "model_list[0] (gpt-4o): `openai/gpt-4o` is not a Bedrock model; skipped",
        "model_list[1] (claude): litellm_params.rpm is LiteLLM bookkeeping; not used",
        "model_list[1] (claude): model_info.id is not used",
        "model_list[3] (nova): litellm_params.seed cannot be a default on Bedrock; not used",
        "router_settings.fallbacks: `gpt-4o` is not a Bedrock model of this file; ignored",
        "router_settings.num_retries: not used by this gateway",
        "litellm_settings.drop_params: not used by this gateway",
        "general_settings.master_key: not used by this gateway",
    ] {
        assert!(warnings.contains(expected), "missing `{expected}` in\n{warnings}");
    }
}

#[test]
fn litellm_routing_fallbacks_and_timeouts() {
    let file = parse(MIXED).unwrap();
    assert_eq!(file.router.strategy, Strategy::LeastInFlight);
    let (east, west, nova) = (&file.models[0], &file.models[1], &file.models[2]);
    assert_eq!((east.weight, east.region.as_deref()), (2, Some("us-east-1")));
    assert_eq!(west.timeout, Some(std::time::Duration::from_secs(10)));
    assert_eq!(east.fallbacks, ["nova"]);
    assert_eq!(west.fallbacks, ["nova"]);
    assert_eq!(nova.context_window_fallbacks, ["claude"]);
    assert_eq!(nova.params.fixed_fields.get("thinking"), Some(&serde_json::json!({"type": "enabled"})));
}

const NATIVE: &str = r#"
settings:
  default_model: claude
  allowed_origins: [https://a.example, https://b.example]
router:
  strategy: least_in_flight
  max_attempts: 4
  expose_bedrock_models: false
models:
  - name: claude
    model: us.anthropic.claude-sonnet-4-5-20250929-v1:0
    region: us-east-1
    access: {role_arn: "arn:aws:iam::123456789012:role/bedrock-gateway", session_name: gw, external_id: team-a}
    defaults: {temperature: 0.3, max_tokens: 2048, stop: ["END"]}
    additional_model_request_fields: {top_k: 40}
    timeout_seconds: 20
    fallbacks: [claude-eu]
  - name: claude-eu
    model: eu.anthropic.claude-sonnet-4-5-20250929-v1:0
    region: eu-west-1
    access: {api_key: "${BEDROCK_TEST_KEY}"}
    listed: false
    weight: 3
"#;

#[test]
fn the_native_format() {
    let file = parse(NATIVE).unwrap();
    assert_eq!(
        file.router,
        RouterSpec { strategy: Strategy::LeastInFlight, max_attempts: 4, expose_bedrock_models: false }
    );
    assert_eq!(
        file.settings,
        [
            ("allowed_origins".to_owned(), "https://a.example,https://b.example".to_owned()),
            ("default_model".to_owned(), "claude".to_owned())
        ]
    );
    let (claude, eu) = (&file.models[0], &file.models[1]);
    assert_eq!(claude.access.role.as_ref().unwrap().external_id.as_deref(), Some("team-a"));
    assert_eq!((claude.params.temperature, claude.params.max_tokens), (Some(0.3), Some(2048)));
    assert_eq!(claude.params.fixed_fields.get("top_k"), Some(&serde_json::json!(40)));
    assert_eq!(claude.timeout, Some(std::time::Duration::from_secs(20)));
    assert_eq!((eu.listed, eu.weight, eu.access.api_key.as_deref()), (false, 3, Some("bedrock-api-key-EXAMPLE")));
    assert!(file.warnings.is_empty());
}

fn native_error(yaml: &str) -> String {
    parse(yaml).unwrap_err()
}

#[test]
fn native_errors_name_the_entry_and_field() {
    let cases = [
        ("models:\n  - name: a\n    model: m\n    regoin: us-east-1\n", "models[0]: unknown field `regoin`"),
        (
            "models:\n  - name: a\n    model: m\n    region: Mars\n",
            "models[0] (a): region `Mars` is not an AWS region name",
        ),
        (
            "models:\n  - name: a\n    model: m\n    fallbacks: [b]\n",
            "models[0] (a): fallback `b` is not a model name of this file",
        ),
        (
            "models:\n  - name: a\n    model: m\n    fallbacks: [a]\n",
            "models[0] (a): a model cannot fall back to itself",
        ),
        (
            "models:\n  - name: a\n    model: m\n    access: {role_arn: r}\n",
            "models[0] (a): access.role_arn `r` is not an IAM role ARN",
        ),
        (
            "models:\n  - name: a\n    model: m\n    defaults: {temperature: hot}\n",
            "models[0].defaults.temperature: invalid type",
        ),
        ("models:\n  - name: a b\n    model: m\n", "models[0] (a b): name `a b` must be 1 to 256 printable"),
        (
            "models:\n  - name: a\n    model: m\n    endpoint: bedrock\n",
            "models[0] (a): endpoint: `bedrock` is not an http(s) URL",
        ),
        (
            "models:\n  - name: a\n    model: m\n    timeout_seconds: 0\n",
            "models[0] (a): timeout 0 must be a number of seconds",
        ),
        ("router: {max_attempts: 0}\n", "router.max_attempts must be between 1 and 10"),
        ("router: {strategy: random}\n", "router.strategy: unknown variant `random`"),
        ("modles: []\n", "unknown field `modles`"),
        ("models: []\nmodel_list: []\n", "cannot be mixed"),
        ("settings: {default_model: {a: 1}}\n", "settings.default_model must be a scalar or a list of scalars"),
        ("- a\n", "the file must be a mapping"),
    ];
    for (yaml, expected) in cases {
        let error = native_error(yaml);
        assert!(error.contains(expected), "`{yaml}`: expected `{expected}` in `{error}`");
    }
}

#[test]
fn an_empty_file_is_an_empty_configuration() {
    let file = parse("").unwrap();
    assert!(file.models.is_empty() && file.settings.is_empty());
    assert_eq!(file.router, RouterSpec::default());
}
