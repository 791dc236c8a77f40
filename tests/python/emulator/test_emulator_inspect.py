"""The /_emulator/ inspection endpoints."""

import pytest

from emu_support import NOVA_LITE, http, user

pytestmark = pytest.mark.timeout(30)


def test_requests_stats_and_reset(runtime, control, emulator):
    base = emulator.base_url
    assert http(base, "POST", "/_emulator/reset")[0] == 200
    runtime.converse(modelId=NOVA_LITE, messages=user("inspect me"), inferenceConfig={"maxTokens": 10})
    control.list_foundation_models(byProvider="Meta")
    _, _, recent = http(base, "GET", "/_emulator/requests")
    assert [r["operation"] for r in recent] == ["Converse", "ListFoundationModels"]
    converse = recent[0]
    assert converse["modelId"] == NOVA_LITE
    assert converse["body"]["inferenceConfig"] == {"maxTokens": 10}
    assert converse["headers"]["content-type"] == "application/json"
    assert recent[1]["path"] == "/foundation-models?byProvider=Meta"
    assert recent[1]["body"] is None
    _, _, stats = http(base, "GET", "/_emulator/stats")
    assert stats["requests"] == 2
    assert stats["by_operation"] == {"Converse": 1, "ListFoundationModels": 1}
    assert stats["open_streams"] == 0
    http(base, "POST", "/_emulator/reset")
    assert http(base, "GET", "/_emulator/requests")[2] == []
    assert http(base, "GET", "/_emulator/stats")[2]["requests"] == 0


def test_recent_requests_are_bounded(emulator):
    base = emulator.base_url
    http(base, "POST", "/_emulator/reset")
    for _ in range(210):
        http(base, "GET", "/foundation-models", headers={"Authorization": "Bearer x"})
    _, _, recent = http(base, "GET", "/_emulator/requests")
    assert len(recent) == 200
    assert http(base, "GET", "/_emulator/stats")[2]["requests"] == 210
