"""`bedrock-gateway doctor` against a Bedrock emulator that denies and throttles chosen models
and a moto server for STS, Secrets Manager and SSM; the quiet start-up; short error values."""

import json
import tempfile
import uuid

import httpx
import pytest

from procs import QuietHandler, binary, loopback_http, start_server

from .support import HAIKU35, KEY, assert_error_envelope, base_env, free_port, run_gateway, Gateway, gateway_argv

pytestmark = pytest.mark.timeout(120)

DENIED = "amazon.nova-lite-v1:0"
THROTTLED = "amazon.nova-micro-v1:0"
# Doctor calls are single attempts with short timeouts: every run must end well within this.
DOCTOR_DEADLINE_S = 30


@pytest.fixture(scope="module")
def picky_emulator():
    """An emulator where DENIED was never granted and THROTTLED is over its quota."""
    argv = [binary("bedrock-emulator"), "--port", "0", "--deny-model", DENIED, "--throttle-model", THROTTLED]
    with start_server(argv, timeout=30) as server:
        yield server.base_url


@pytest.fixture(scope="module")
def aws(moto):
    """A parameter and a secret holding keys (moto stores them; doctor must never print them)."""
    suffix = uuid.uuid4().hex[:8]
    param = f"/gateway/doctor/keys-{suffix}"
    moto.client("ssm").put_parameter(Name=param, Value="k-doc-ssm-1,k-doc-ssm-2", Type="SecureString")
    secret = moto.client("secretsmanager").create_secret(
        Name=f"gateway/doctor-{suffix}", SecretString=json.dumps({"api_key": "k-doc-secret"})
    )
    return {"param": param, "secret": secret["ARN"], "suffix": suffix}


def doctor_env(emulator_url, moto, **overrides):
    env = {
        "AWS_ENDPOINT_URL_STS": moto.url,
        "AWS_ENDPOINT_URL_SSM": moto.url,
        "AWS_ENDPOINT_URL_SECRETS_MANAGER": moto.url,
        "DEFAULT_MODEL": HAIKU35,
    }
    env.update(overrides)
    return base_env(emulator_url, **env)


def doctor(env, *args):
    return run_gateway(["doctor", *args], env, timeout=DOCTOR_DEADLINE_S)


def line(output: str, title: str) -> str:
    """The check line for `title` (✓ or ✗), plus its fix line when there is one."""
    lines = output.splitlines()
    for i, text in enumerate(lines):
        if text[2:].startswith(title):
            fix = lines[i + 1] if i + 1 < len(lines) and lines[i + 1].startswith("    fix: ") else ""
            return text + "\n" + fix
    raise AssertionError(f"no check line for {title!r} in:\n{output}")


def test_a_good_setup_passes_every_check(picky_emulator, moto, aws):
    env = doctor_env(picky_emulator, moto, API_KEY_SECRET_ARN=aws["secret"], API_KEY_PARAM_NAME=aws["param"])
    result = doctor(env, "--invoke")
    assert result.returncode == 0, result.stdout + result.stderr
    checks = [l for l in result.stdout.splitlines() if l[:2] in ("✓ ", "✗ ")]
    assert len(checks) >= 12, result.stdout
    assert all(l.startswith("✓ ") for l in checks), result.stdout
    assert "fix:" not in result.stdout
    assert "environment variables" in line(result.stdout, "AWS credentials")
    assert "account 123456789012" in line(result.stdout, "Caller identity")
    assert "us-east-1 (AWS_REGION)" in line(result.stdout, "Region")
    assert "1 key(s)" in line(result.stdout, "API keys from API_KEY")
    assert "2 key(s)" in line(result.stdout, f"API keys from SSM parameter {aws['param']}")
    assert "1 key(s)" in line(result.stdout, "API keys from Secrets Manager secret")
    bedrock = line(result.stdout, "Amazon Bedrock")
    assert "chat" in bedrock and "embedding" in bedrock and "image models" in bedrock and "inference profiles" in bedrock
    assert "one-token Converse" in line(result.stdout, "DEFAULT_MODEL answers")
    assert "embedding call succeeded" in line(result.stdout, "DEFAULT_EMBEDDING_MODEL answers")
    for secret in (KEY, "k-doc-ssm-1", "k-doc-secret"):
        assert secret not in result.stdout + result.stderr


def test_json_is_one_document_for_machines(picky_emulator, moto):
    result = doctor(doctor_env(picky_emulator, moto), "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is True
    ids = [c["id"] for c in report["checks"]]
    for expected in ("configuration", "region", "credentials", "identity", "api_keys", "bedrock", "default_model"):
        assert expected in ids, ids
    assert all(c["ok"] and "fix" not in c for c in report["checks"]), report
    assert all(set(c) >= {"id", "title", "ok", "required", "detail"} for c in report["checks"])


def test_json_failure_carries_the_fix(picky_emulator, moto):
    result = doctor(doctor_env(picky_emulator, moto, DEFAULT_MODEL="acme.nothing-v1:0"), "--json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False
    failed = [c for c in report["checks"] if not c["ok"]]
    assert [c["id"] for c in failed] == ["default_model"], failed
    assert failed[0]["required"] is True and failed[0]["fix"].startswith("Set DEFAULT_MODEL")


def test_no_credentials(picky_emulator, moto):
    env = doctor_env(picky_emulator, moto, AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None)
    result = doctor(env)
    assert result.returncode == 1, result.stdout
    credentials = line(result.stdout, "AWS credentials")
    assert credentials.startswith("✗ ") and "none found" in credentials
    assert "fix: Set AWS_PROFILE" in credentials
    assert "\n  Environment:" not in result.stdout  # the SDK's multi-line list is not shown


def test_a_secret_that_does_not_exist(picky_emulator, moto, aws):
    missing = f"gateway/doctor-missing-{aws['suffix']}"
    result = doctor(doctor_env(picky_emulator, moto, API_KEY_SECRET_ARN=missing))
    assert result.returncode == 1, result.stdout
    secret = line(result.stdout, f"API keys from Secrets Manager secret {missing}")
    assert secret.startswith("✗ ") and "ResourceNotFoundException" in secret
    assert f"fix: Create the secret {missing}" in secret


def test_a_parameter_that_cannot_be_read(picky_emulator, moto, aws):
    """moto serves SSM without IAM checks, so "without access" is played by the commonest
    real mistake: the parameter's name without its leading slash (ParameterNotFound)."""
    name = aws["param"].lstrip("/")
    result = doctor(doctor_env(picky_emulator, moto, API_KEY_PARAM_NAME=name))
    assert result.returncode == 1, result.stdout
    param = line(result.stdout, f"API keys from SSM parameter {name}")
    assert param.startswith("✗ ") and "ParameterNotFound" in param
    assert f"did you mean {aws['param']}?" in param


def test_an_unknown_default_model(picky_emulator, moto):
    result = doctor(doctor_env(picky_emulator, moto, DEFAULT_MODEL="acme.nothing-v1:0"))
    assert result.returncode == 1, result.stdout
    model = line(result.stdout, "DEFAULT_MODEL")
    assert model.startswith("✗ ") and "is not offered in us-east-1" in model
    assert "fix: Set DEFAULT_MODEL to a model listed by GET /v1/models" in model


def test_a_profile_of_another_geography_names_the_ids_this_region_has(picky_emulator, moto):
    result = doctor(doctor_env(picky_emulator, moto, DEFAULT_MODEL="apac.anthropic.claude-3-5-haiku-20241022-v1:0"))
    assert result.returncode == 1, result.stdout
    assert HAIKU35 in line(result.stdout, "DEFAULT_MODEL").split("fix:")[1]


def test_an_unknown_optional_model_does_not_fail_the_run(picky_emulator, moto):
    result = doctor(doctor_env(picky_emulator, moto, DEFAULT_IMAGE_MODEL="acme.painter-v1:0"))
    assert result.returncode == 0, result.stdout
    assert line(result.stdout, "DEFAULT_IMAGE_MODEL").startswith("✗ DEFAULT_IMAGE_MODEL (optional)")


def test_bedrock_unreachable(moto):
    closed = f"http://127.0.0.1:{free_port()}"
    result = doctor(doctor_env(closed, moto))
    assert result.returncode == 1, result.stdout
    bedrock = line(result.stdout, "Amazon Bedrock")
    assert bedrock.startswith("✗ ") and "could not reach" in bedrock
    assert "fix: Check network access to bedrock.us-east-1.amazonaws.com" in bedrock


def test_access_denied_on_invoke(picky_emulator, moto):
    env = doctor_env(picky_emulator, moto, DEFAULT_MODEL=DENIED)
    assert doctor(env).returncode == 0  # listed, so only a real call finds out
    result = doctor(env, "--invoke")
    assert result.returncode == 1, result.stdout
    invoke = line(result.stdout, "DEFAULT_MODEL answers")
    assert invoke.startswith("✗ ") and "You don't have access to the model" in invoke
    assert f"fix: Request access to {DENIED} in the Amazon Bedrock console (Model access) for us-east-1" in invoke


def test_throttled_on_invoke(picky_emulator, moto):
    result = doctor(doctor_env(picky_emulator, moto, DEFAULT_MODEL=THROTTLED), "--invoke")
    assert result.returncode == 1, result.stdout
    invoke = line(result.stdout, "DEFAULT_MODEL answers")
    assert invoke.startswith("✗ ") and "ThrottlingException" in invoke
    assert "Service Quotas" in invoke


def test_invalid_configuration_exits_2(picky_emulator, moto):
    for args in (["--port", "nope"], ["--guardrail-id", "g"]):
        result = doctor(doctor_env(picky_emulator, moto), *args)
        assert result.returncode == 2, result.stdout
        assert line(result.stdout, "Configuration").startswith("✗ ")
    assert run_gateway(["--doctor", "--json"], doctor_env(picky_emulator, moto)).returncode == 0
    usage = doctor(doctor_env(picky_emulator, moto), "--help")
    assert usage.returncode == 0 and "Usage: bedrock-gateway doctor [--invoke] [--json]" in usage.stdout


@pytest.mark.parametrize("imds", ["closed-port", "disabled"])
def test_startup_without_region_off_ec2_is_one_quiet_line(picky_emulator, imds):
    """No AWS_REGION, no profile, instance metadata unreachable: one JSON line per record
    (no multi-line SDK error), no warning, and the fallback region named exactly once."""
    home = tempfile.mkdtemp(prefix="gw-home-")
    metadata = (
        {"AWS_EC2_METADATA_DISABLED": None, "AWS_EC2_METADATA_SERVICE_ENDPOINT": f"http://127.0.0.1:{free_port()}"}
        if imds == "closed-port"
        else {"AWS_EC2_METADATA_DISABLED": "true"}
    )
    env = base_env(
        picky_emulator, AWS_REGION=None, HOME=home, AWS_CONFIG_FILE=None, AWS_SHARED_CREDENTIALS_FILE=None, **metadata
    )
    gw = Gateway(gateway_argv(), env, timeout=15)
    try:
        gw.wait_for_models()
        logs = gw.logs()
    finally:
        gw.cleanup()
    lines = [l for l in logs.splitlines() if l.strip()]
    assert lines and all(l.startswith("{") for l in lines), logs
    records = [json.loads(l) for l in lines]
    assert [r for r in records if r["level"] in ("WARN", "ERROR")] == [], logs
    mentions = [r for r in records if "us-west-2" in json.dumps(r)]
    assert len(mentions) == 1, logs
    start = mentions[0]
    assert start["region"] == "us-west-2" and start["region_source"].startswith("fallback:")
    assert start["credentials"] == "environment (AWS_ACCESS_KEY_ID)"
    assert start["keys"] == 1 and start["key_sources"] == "1 from API_KEY"
    assert start["address"].startswith("127.0.0.1:")


def test_a_long_model_name_in_a_404_is_cut(gateway):
    model = "m" * 100_000
    response = httpx.post(
        gateway.api() + "/chat/completions",
        headers={"Authorization": f"Bearer {KEY}"},
        json={"model": model, "messages": [{"role": "user", "content": "hi"}]},
        timeout=30,
    )
    assert response.status_code == 404
    assert len(response.content) < 1000
    error = assert_error_envelope(response.json())
    assert error["code"] == "model_not_found"
    assert "m" * 200 + "…" in error["message"] and "m" * 201 not in error["message"]


def test_sts_unreachable_is_an_optional_failure(picky_emulator, moto):
    """A VPC without an STS endpoint still serves: the identity line fails, the run does not."""
    closed = f"http://127.0.0.1:{free_port()}"
    result = doctor(doctor_env(picky_emulator, moto, AWS_ENDPOINT_URL_STS=closed))
    assert result.returncode == 0, result.stdout
    identity = line(result.stdout, "Caller identity")
    assert identity.startswith("✗ Caller identity (optional): could not call STS")
    assert "fix: Allow outbound HTTPS to sts.amazonaws.com" in identity


def test_doctor_with_the_built_in_emulator_needs_no_account():
    env = base_env(None, AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None)
    result = doctor(env, "--emulator", "--invoke")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "us-east-1 (built-in emulator)" in line(result.stdout, "Region")
    assert "AWS credentials" not in result.stdout
    assert "one-token Converse" in line(result.stdout, "DEFAULT_MODEL answers")


def instance_metadata(region: str):
    """An IMDSv2 endpoint answering the region, as on EC2."""

    class Handler(QuietHandler):
        def do_PUT(self):  # noqa: N802 (http.server naming)
            self._answer(b"token-for-tests" if self.path == "/latest/api/token" else None)

        def do_GET(self):  # noqa: N802
            wanted = self.path == "/latest/meta-data/placement/region"
            self._answer(region.encode() if wanted and self.headers.get("x-aws-ec2-metadata-token") else None)

        def _answer(self, body):
            self.send_response(200 if body else 404)
            self.send_header("x-aws-ec2-metadata-token-ttl-seconds", "21600")
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

    return loopback_http(Handler)


def start_line(emulator_url, **overrides) -> dict:
    """The start-up record of a gateway started without AWS_REGION and its profile files."""
    home = tempfile.mkdtemp(prefix="gw-home-")
    env = base_env(emulator_url, AWS_REGION=None, AWS_CONFIG_FILE=None, AWS_SHARED_CREDENTIALS_FILE=None, HOME=home)
    env.update({k: v for k, v in overrides.items() if v is not None})
    for name in [k for k, v in overrides.items() if v is None]:
        env.pop(name, None)
    gw = Gateway(gateway_argv(), env, timeout=15)
    try:
        gw.wait_for_models()
        records = gw.log_records()
    finally:
        gw.cleanup()
    return next(r for r in records if "region_source" in r)


def test_region_from_instance_metadata_on_ec2(picky_emulator):
    with instance_metadata("eu-central-1") as url:
        start = start_line(picky_emulator, AWS_EC2_METADATA_DISABLED=None, AWS_EC2_METADATA_SERVICE_ENDPOINT=url)
    assert (start["region"], start["region_source"]) == ("eu-central-1", "EC2 instance metadata")


def test_region_from_the_profile_and_aws_default_region(picky_emulator, tmp_path):
    config = tmp_path / "config"
    config.write_text("[profile team]\nregion = ap-southeast-2\n")
    start = start_line(picky_emulator, AWS_CONFIG_FILE=str(config), AWS_PROFILE="team")
    assert (start["region"], start["region_source"]) == ("ap-southeast-2", "profile team")
    start = start_line(picky_emulator, AWS_DEFAULT_REGION="ca-central-1")
    assert (start["region"], start["region_source"]) == ("ca-central-1", "AWS_DEFAULT_REGION")
