"""`bedrock-gateway doctor --config FILE` reaches each name's target with its own access and
region, and with `--invoke` calls it once: a denied model is named with its fix."""

from gateway.support import HAIKU35, base_env, run_gateway

from .test_routing import ROLE

DENIED = "amazon.nova-lite-v1:0"


def test_doctor_checks_every_name(own_emulator, moto, config_path):
    emu = own_emulator("--deny-model", DENIED)
    text = f"""
models:
  - name: good
    model: {HAIKU35}
    region: us-west-2
  - name: assumed
    model: {HAIKU35}
    access: {{role_arn: "{ROLE}", sts_endpoint: "{moto.url}"}}
  - name: embed
    model: cohere.embed-english-v3
  - name: denied
    model: {DENIED}
"""
    env = base_env(emu.url, AWS_ENDPOINT_URL_STS=moto.url, DEFAULT_MODEL=HAIKU35)
    result = run_gateway(["doctor", "--invoke", "--config", config_path(text)], env, timeout=60)
    lines = result.stdout.splitlines()
    assert f"✓ Model name good: {HAIKU35} in us-west-2 with the default credential chain: a one-token Converse call succeeded (1 output token)" in lines
    assert f"✓ Model name assumed: {HAIKU35} in us-east-1 with role {ROLE} assumed with the default credential chain: a one-token Converse call succeeded (1 output token)" in lines
    assert "✓ Model name embed: cohere.embed-english-v3 in us-east-1 with the default credential chain: a one-text embedding call succeeded" in lines
    denied = lines.index("✗ Model name denied: Bedrock AccessDeniedException: You don't have access to the model with the specified model ID.")
    assert f"Request access to {DENIED}" in lines[denied + 1]
    assert result.returncode == 1


def test_doctor_without_invoke_only_lists(own_emulator, moto, config_path):
    emu = own_emulator("--deny-model", DENIED)
    text = f"models:\n  - name: denied\n    model: {DENIED}\n"
    env = base_env(emu.url, AWS_ENDPOINT_URL_STS=moto.url, DEFAULT_MODEL=HAIKU35)
    result = run_gateway(["doctor", "--config", config_path(text)], env, timeout=60)
    assert f"✓ Model name denied: {DENIED} in us-east-1 with the default credential chain: its region's models are listed" in result.stdout.splitlines()
    assert result.returncode == 0, result.stdout
