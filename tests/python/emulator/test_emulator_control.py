"""Control plane through boto3's `bedrock` client: models, filters, profiles, pagination."""

import datetime

import pytest

pytestmark = pytest.mark.timeout(30)


def test_list_foundation_models(control):
    models = control.list_foundation_models()["modelSummaries"]
    ids = {m["modelId"] for m in models}
    assert {"anthropic.claude-sonnet-4-5-20250929-v1:0", "amazon.nova-pro-v1:0", "cohere.embed-v4:0"} <= ids
    sonnet = next(m for m in models if m["modelId"] == "anthropic.claude-sonnet-4-5-20250929-v1:0")
    assert sonnet["inferenceTypesSupported"] == ["INFERENCE_PROFILE"]
    assert sonnet["modelArn"] == "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0"
    assert sonnet["responseStreamingSupported"] is True
    titan = next(m for m in models if m["modelId"] == "amazon.titan-text-express-v1")
    assert titan["modelLifecycle"]["status"] == "LEGACY"
    assert any(m["responseStreamingSupported"] is False for m in models)


@pytest.mark.parametrize(
    "kwargs, check",
    [
        ({"byProvider": "Anthropic"}, lambda m: m["providerName"] == "Anthropic"),
        ({"byOutputModality": "EMBEDDING"}, lambda m: m["outputModalities"] == ["EMBEDDING"]),
        ({"byOutputModality": "IMAGE"}, lambda m: m["outputModalities"] == ["IMAGE"]),
        ({"byInferenceType": "ON_DEMAND"}, lambda m: "ON_DEMAND" in m["inferenceTypesSupported"]),
        ({"byCustomizationType": "FINE_TUNING"}, lambda m: "FINE_TUNING" in m["customizationsSupported"]),
    ],
)
def test_list_filters(control, kwargs, check):
    models = control.list_foundation_models(**kwargs)["modelSummaries"]
    assert models and all(check(m) for m in models)
    assert len(models) < len(control.list_foundation_models()["modelSummaries"])


def test_get_foundation_model(control):
    details = control.get_foundation_model(modelIdentifier="amazon.nova-lite-v1:0")["modelDetails"]
    assert details["modelName"] == "Nova Lite" and "IMAGE" in details["inputModalities"]
    with pytest.raises(control.exceptions.ResourceNotFoundException):
        control.get_foundation_model(modelIdentifier="acme.nothing-v1:0")


def test_list_inference_profiles(control):
    profiles = control.list_inference_profiles()["inferenceProfileSummaries"]
    by_id = {p["inferenceProfileId"]: p for p in profiles}
    sonnet = by_id["us.anthropic.claude-sonnet-4-5-20250929-v1:0"]
    assert sonnet["inferenceProfileArn"] == "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-5-20250929-v1:0"
    assert sonnet["type"] == "SYSTEM_DEFINED" and sonnet["status"] == "ACTIVE"
    assert len(sonnet["models"]) >= 2
    assert all(m["modelArn"].endswith("foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0") for m in sonnet["models"])
    assert isinstance(sonnet["createdAt"], datetime.datetime)
    assert {"us.cohere.embed-v4:0", "global.anthropic.claude-sonnet-4-5-20250929-v1:0", "apac.amazon.nova-pro-v1:0", "us.deepseek.r1-v1:0"} <= set(by_id)


def test_pagination_with_paginator(control):
    everything = control.list_inference_profiles()["inferenceProfileSummaries"]
    paginator = control.get_paginator("list_inference_profiles")
    pages = list(paginator.paginate(PaginationConfig={"PageSize": 2}))
    assert all(len(p["inferenceProfileSummaries"]) <= 2 for p in pages)
    assert len(pages) == (len(everything) + 1) // 2
    collected = [p["inferenceProfileId"] for page in pages for p in page["inferenceProfileSummaries"]]
    assert collected == [p["inferenceProfileId"] for p in everything]
    assert "nextToken" not in pages[-1]


def test_manual_pagination_and_bad_token(control):
    first = control.list_inference_profiles(maxResults=2)
    second = control.list_inference_profiles(maxResults=2, nextToken=first["nextToken"])
    assert first["inferenceProfileSummaries"][0] != second["inferenceProfileSummaries"][0]
    with pytest.raises(control.exceptions.ValidationException):
        control.list_inference_profiles(nextToken="garbage")


def test_type_equals(control):
    apps = control.list_inference_profiles(typeEquals="APPLICATION")["inferenceProfileSummaries"]
    assert [p["inferenceProfileId"] for p in apps] == ["abc123xyz789"]
    assert apps[0]["inferenceProfileArn"] == "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123xyz789"
    system = control.list_inference_profiles(typeEquals="SYSTEM_DEFINED")["inferenceProfileSummaries"]
    assert system and all(p["type"] == "SYSTEM_DEFINED" for p in system)


def test_get_inference_profile(control):
    profile = control.get_inference_profile(inferenceProfileIdentifier="eu.anthropic.claude-3-7-sonnet-20250219-v1:0")
    assert profile["inferenceProfileName"].startswith("EU ")
    arn = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123xyz789"
    assert control.get_inference_profile(inferenceProfileIdentifier=arn)["type"] == "APPLICATION"
    with pytest.raises(control.exceptions.ResourceNotFoundException):
        control.get_inference_profile(inferenceProfileIdentifier="us.nothing")
