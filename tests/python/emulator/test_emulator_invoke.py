"""InvokeModel: embeddings per model (dimensions, determinism, validation) and PNG images."""

import base64
import json
import math
import struct
import zlib

import pytest

from emu_support import http

pytestmark = pytest.mark.timeout(30)


def invoke(runtime, model, body):
    response = runtime.invoke_model(modelId=model, body=json.dumps(body), contentType="application/json", accept="application/json")
    assert response["contentType"] == "application/json"
    headers = response["ResponseMetadata"]["HTTPHeaders"]
    assert int(headers["x-amzn-bedrock-input-token-count"]) >= 1
    return json.loads(response["body"].read())


def norm(vector):
    return math.sqrt(sum(v * v for v in vector))


def test_cohere_v3_floats_and_by_type(runtime):
    body = {"texts": ["hello", "world"], "input_type": "search_document"}
    out = invoke(runtime, "cohere.embed-english-v3", body)
    assert out["response_type"] == "embeddings_floats"
    assert len(out["embeddings"]) == 2 and len(out["embeddings"][0]) == 1024
    assert out["texts"] == ["hello", "world"] and out["id"]
    assert abs(norm(out["embeddings"][0]) - 1) < 1e-3
    assert invoke(runtime, "cohere.embed-english-v3", body)["embeddings"] == out["embeddings"]
    typed = invoke(runtime, "cohere.embed-multilingual-v3", {**body, "embedding_types": ["float", "int8"]})
    assert typed["response_type"] == "embeddings_by_type"
    assert set(typed["embeddings"]) == {"float", "int8"}
    assert typed["embeddings"]["float"][0] != out["embeddings"][0]


def test_cohere_limits(runtime):
    with pytest.raises(runtime.exceptions.ValidationException, match="96"):
        invoke(runtime, "cohere.embed-english-v3", {"texts": ["x"] * 97, "input_type": "search_query"})
    with pytest.raises(runtime.exceptions.ValidationException, match="input_type"):
        invoke(runtime, "cohere.embed-english-v3", {"texts": ["x"]})


@pytest.mark.parametrize("dim", [None, 256, 512, 1024, 1536])
def test_cohere_v4_dimensions(runtime, dim):
    body = {"texts": ["abc"], "input_type": "search_query"}
    if dim:
        body["output_dimension"] = dim
    out = invoke(runtime, "us.cohere.embed-v4:0", body)
    assert out["response_type"] == "embeddings_by_type"
    assert len(out["embeddings"]["float"][0]) == (dim or 1536)


def test_cohere_v4_bad_dimension(runtime):
    with pytest.raises(runtime.exceptions.ValidationException):
        invoke(runtime, "cohere.embed-v4:0", {"texts": ["abc"], "input_type": "search_query", "output_dimension": 300})


def test_titan_v1(runtime):
    out = invoke(runtime, "amazon.titan-embed-text-v1", {"inputText": "hello there"})
    assert len(out["embedding"]) == 1536 and out["inputTextTokenCount"] == 2


@pytest.mark.parametrize("dim", [256, 512, 1024])
def test_titan_v2(runtime, dim):
    out = invoke(runtime, "amazon.titan-embed-text-v2:0", {"inputText": "hello", "dimensions": dim, "normalize": True})
    assert len(out["embedding"]) == dim
    assert abs(norm(out["embedding"]) - 1) < 1e-3
    assert out["embeddingsByType"]["float"] == out["embedding"]


def test_titan_v2_validation(runtime):
    with pytest.raises(runtime.exceptions.ValidationException):
        invoke(runtime, "amazon.titan-embed-text-v2:0", {"inputText": "hello", "dimensions": 100})
    with pytest.raises(runtime.exceptions.ValidationException, match="inputText"):
        invoke(runtime, "amazon.titan-embed-text-v2:0", {"text": "hello"})


@pytest.mark.parametrize("dim", [256, 384, 1024, 3072])
def test_nova_multimodal_embeddings(runtime, dim):
    body = {
        "taskType": "SINGLE_EMBEDDING",
        "singleEmbeddingParams": {"embeddingPurpose": "GENERIC_INDEX", "embeddingDimension": dim, "text": {"truncationMode": "END", "value": "hi"}},
    }
    out = invoke(runtime, "amazon.nova-2-multimodal-embeddings-v1:0", body)
    assert out["embeddings"][0]["embeddingType"] == "TEXT"
    assert len(out["embeddings"][0]["embedding"]) == dim


def check_png(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    at, idat, size = 8, b"", None
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + length]
        (crc,) = struct.unpack(">I", data[at + 8 + length : at + 12 + length])
        assert zlib.crc32(kind + body) == crc
        if kind == b"IHDR":
            size = struct.unpack(">II", body[:8])
        idat += body if kind == b"IDAT" else b""
        at += 12 + length
    width, height = size
    assert len(zlib.decompress(idat)) == height * (width * 3 + 1)
    return size


@pytest.mark.parametrize("model", ["amazon.titan-image-generator-v2:0", "amazon.nova-canvas-v1:0"])
def test_canvas_images(runtime, model):
    body = {
        "taskType": "TEXT_IMAGE",
        "textToImageParams": {"text": "a lighthouse"},
        "imageGenerationConfig": {"numberOfImages": 3, "width": 512, "height": 512, "cfgScale": 7.0, "seed": 9, "quality": "standard"},
    }
    out = invoke(runtime, model, body)
    assert len(out["images"]) == 3 and out["error"] is None
    for image in out["images"]:
        check_png(base64.b64decode(image))
    assert invoke(runtime, model, body)["images"] == out["images"]
    with pytest.raises(runtime.exceptions.ValidationException):
        invoke(runtime, model, {**body, "imageGenerationConfig": {"numberOfImages": 6}})


@pytest.mark.parametrize("model", ["stability.stable-image-core-v1:1", "stability.sd3-5-large-v1:0"])
def test_stability_images(runtime, model):
    out = invoke(runtime, model, {"prompt": "a fox", "aspect_ratio": "16:9", "seed": 77, "output_format": "png"})
    assert out["seeds"] == [77] and out["finish_reasons"] == [None]
    check_png(base64.b64decode(out["images"][0]))


def test_invoke_chat_model_is_rejected(runtime):
    with pytest.raises(runtime.exceptions.ValidationException):
        invoke(runtime, "amazon.nova-lite-v1:0", {"inputText": "x"})


def test_invoke_recorded(runtime, emulator):
    http(emulator.base_url, "POST", "/_emulator/reset")
    invoke(runtime, "amazon.titan-embed-text-v1", {"inputText": "record me"})
    _, _, recent = http(emulator.base_url, "GET", "/_emulator/requests")
    assert recent[-1]["operation"] == "InvokeModel"
    assert recent[-1]["body"] == {"inputText": "record me"}
    assert recent[-1]["headers"]["authorization"].startswith("AWS4-HMAC-SHA256")
