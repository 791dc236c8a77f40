"""Embeddings and image generation through the official openai SDK (and LangChain),
checked against what the emulator received."""

import base64
import glob
import hashlib
import os
import shutil
import struct
from pathlib import Path

import openai
import pytest

from .support import KEY, new_marker

COHERE_V3 = "cohere.embed-multilingual-v3"
COHERE_V4 = "cohere.embed-v4:0"
TITAN_V1 = "amazon.titan-embed-text-v1"
TITAN_V2 = "amazon.titan-embed-text-v2:0"
NOVA_EMBED = "amazon.nova-2-multimodal-embeddings-v1:0"
NOVA_CANVAS = "amazon.nova-canvas-v1:0"
TITAN_IMAGE = "amazon.titan-image-generator-v2:0"
STABLE_CORE = "stability.stable-image-core-v1:1"
SD35 = "stability.sd3-5-large-v1:0"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

EMBEDDING_MODELS = [
    ("cohere.embed-english-v3", 1024),
    (COHERE_V3, 1024),
    (COHERE_V4, 1536),
    ("us.cohere.embed-v4:0", 1536),
    (TITAN_V1, 1536),
    (TITAN_V2, 1024),
    (NOVA_EMBED, 3072),
]


def as_f32(values):
    """The floats as the f32 values they stand for."""
    return list(struct.unpack(f"<{len(values)}f", struct.pack(f"<{len(values)}f", *values)))


def invocations(emulator, marker):
    return emulator.find_all(marker, "InvokeModel")


# ----------------------------------------------------------------------------- embeddings


@pytest.mark.parametrize(("model", "dimension"), EMBEDDING_MODELS)
def test_float_and_base64_agree_for_every_family(client, emulator, model, dimension):
    text = f"the quick brown fox {new_marker()}"
    floats = client.embeddings.create(model=model, input=text, encoding_format="float")
    assert floats.object == "list"
    assert floats.model == model
    assert len(floats.data) == 1 and floats.data[0].index == 0 and floats.data[0].object == "embedding"
    vector = floats.data[0].embedding
    assert len(vector) == dimension
    assert floats.usage.prompt_tokens > 0 and floats.usage.total_tokens == floats.usage.prompt_tokens

    raw = client.embeddings.create(model=model, input=text, encoding_format="base64")
    encoded = raw.data[0].embedding
    assert isinstance(encoded, str)
    data = base64.b64decode(encoded)
    assert struct.unpack(f"<{len(data) // 4}f", data) == tuple(as_f32(vector))

    # The SDK's default asks for base64 and decodes it itself.
    default = client.embeddings.create(model=model, input=text)
    assert as_f32(default.data[0].embedding) == as_f32(vector)
    assert invocations(emulator, text[-18:]), "the emulator saw the text"


@pytest.mark.parametrize(("model", "dimension"), [(TITAN_V2, 256), (COHERE_V4, 512), (NOVA_EMBED, 384)])
def test_dimensions(client, emulator, model, dimension):
    marker = new_marker()
    response = client.embeddings.create(model=model, input=f"dims {marker}", dimensions=dimension,
                                        encoding_format="float")
    assert len(response.data[0].embedding) == dimension
    assert str(dimension) in str(invocations(emulator, marker)[0]["body"])


def test_bad_dimensions_list_the_allowed_values(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.embeddings.create(model=TITAN_V2, input="x", dimensions=300)
    error = caught.value.body
    assert error["param"] == "dimensions"
    assert "256, 512, 1024" in error["message"]
    with pytest.raises(openai.BadRequestError) as caught:
        client.embeddings.create(model=NOVA_EMBED, input="x", dimensions=512)
    assert "256, 384, 1024, 3072" in caught.value.body["message"]


def test_token_arrays_are_decoded_with_cl100k(client, emulator):
    response = client.embeddings.create(
        model=COHERE_V4,
        input=[[9906, 1917], [15339, 1917]],
        extra_body={"input_type": "search_query"},
        encoding_format="float",
    )
    assert len(response.data) == 2
    sent = [r["body"] for r in emulator.requests() if r["operation"] == "InvokeModel"
            and r["body"].get("texts") == ["Hello world", "hello world"]]
    assert sent, "the emulator received the decoded texts"
    assert sent[-1]["input_type"] == "search_query"
    single = client.embeddings.create(model=TITAN_V2, input=[9906, 1917], encoding_format="float")
    assert len(single.data) == 1


def test_cohere_batches_200_texts_in_3_calls_keeping_order(client, emulator):
    marker = new_marker()
    texts = [f"{marker} document {i}" for i in range(200)]
    response = client.embeddings.create(model=COHERE_V3, input=texts, encoding_format="float")
    assert [d.index for d in response.data] == list(range(200))
    calls = invocations(emulator, marker)
    assert sorted(len(c["body"]["texts"]) for c in calls) == [8, 96, 96]
    sent = [t for c in sorted(calls, key=lambda c: int(c["body"]["texts"][0].split()[-1])) for t in c["body"]["texts"]]
    assert sent == texts
    for i in (0, 95, 96, 150, 199):
        alone = client.embeddings.create(model=COHERE_V3, input=texts[i], encoding_format="float")
        assert alone.data[0].embedding == response.data[i].embedding, i


def test_titan_makes_one_call_per_input(client, emulator):
    marker = new_marker()
    texts = [f"{marker} item {i}" for i in range(5)]
    response = client.embeddings.create(model=TITAN_V1, input=texts, encoding_format="float")
    assert len(response.data) == 5
    calls = invocations(emulator, marker)
    assert sorted(c["body"]["inputText"] for c in calls) == sorted(texts)
    # Titan reports its token counts (the emulator counts words: 3 per text).
    assert response.usage.prompt_tokens == 15


def test_openai_embedding_names_use_the_default_model(client):
    response = client.embeddings.create(model="text-embedding-3-small", input="hi", encoding_format="float")
    assert response.model == COHERE_V3


def test_embedding_errors(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.embeddings.create(model=COHERE_V3, input=[])
    assert caught.value.body["param"] == "input"
    with pytest.raises(openai.BadRequestError) as caught:
        client.embeddings.create(model=COHERE_V3, input=["fine", ""])
    assert caught.value.body["param"] == "input[1]"
    with pytest.raises(openai.NotFoundError):
        client.embeddings.create(model="acme.embed-nothing-v1", input="x")
    with pytest.raises(openai.BadRequestError) as caught:
        client.embeddings.create(model="us.anthropic.claude-3-5-haiku-20241022-v1:0", input="x")
    assert caught.value.body["param"] == "model"


# ----------------------------------------------------------------------------- LangChain


def _tiktoken_cache(tmp_path: Path) -> Path | None:
    """A TIKTOKEN_CACHE_DIR holding cl100k_base, copied from the vocabulary the gateway
    itself compiles in (the tiktoken-rs crate's sources); tiktoken checks its hash."""
    cargo_home = Path(os.environ.get("CARGO_HOME", Path.home() / ".cargo"))
    found = sorted(glob.glob(str(cargo_home / "registry/src/*/tiktoken-rs-*/assets/cl100k_base.tiktoken")))
    if not found:
        return None
    url = "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken"
    shutil.copyfile(found[-1], tmp_path / hashlib.sha1(url.encode()).hexdigest())
    return tmp_path


def test_langchain_default_settings_send_token_arrays(gateway, emulator, tmp_path, monkeypatch):
    langchain_openai = pytest.importorskip("langchain_openai")
    cache = _tiktoken_cache(tmp_path)
    if cache is None:
        pytest.skip("cl100k_base is not available offline (tiktoken downloads it; no tiktoken-rs sources found)")
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(cache))
    marker = new_marker()
    texts = [f"LangChain document {marker} number {i}" for i in range(3)]
    embeddings = langchain_openai.OpenAIEmbeddings(base_url=gateway.api(), api_key=KEY, max_retries=0)
    vectors = embeddings.embed_documents(texts)
    assert len(vectors) == 3 and len(vectors[0]) == 1024
    calls = invocations(emulator, marker)
    assert calls, "LangChain's token arrays reached Bedrock as text"
    assert [t for c in calls for t in c["body"]["texts"]] == texts, "cl100k decoding restored the exact texts"
    query = embeddings.embed_query(f"a question {marker}")
    assert len(query) == 1024


def test_langchain_without_tokenizer(gateway, emulator):
    langchain_openai = pytest.importorskip("langchain_openai")
    marker = new_marker()
    embeddings = langchain_openai.OpenAIEmbeddings(
        base_url=gateway.api(), api_key=KEY, model=TITAN_V2, check_embedding_ctx_length=False, max_retries=0
    )
    vectors = embeddings.embed_documents([f"plain {marker} a", f"plain {marker} b"])
    assert len(vectors) == 2 and len(vectors[1]) == 1024
    assert len(invocations(emulator, marker)) == 2


# ----------------------------------------------------------------------------- images


@pytest.mark.parametrize(("model", "calls"), [(NOVA_CANVAS, 1), (TITAN_IMAGE, 1), (STABLE_CORE, 2), (SD35, 2)])
def test_images_for_every_family(client, emulator, model, calls):
    marker = new_marker()
    response = client.images.generate(model=model, prompt=f"a lighthouse {marker}", n=2, size="1024x1024",
                                      response_format="b64_json")
    assert response.created > 0
    assert len(response.data) == 2
    for image in response.data:
        assert base64.b64decode(image.b64_json).startswith(PNG_SIGNATURE)
    assert len(invocations(emulator, marker)) == calls


def test_image_defaults_and_extras(client, emulator):
    marker = new_marker()
    response = client.images.generate(model="dall-e-3", prompt=f"a fox {marker}", quality="hd",
                                      extra_body={"seed": 11, "negative_prompt": "rain"})
    assert len(response.data) == 1
    call = invocations(emulator, marker)[0]
    assert call["modelId"] == NOVA_CANVAS
    assert call["body"]["imageGenerationConfig"]["quality"] == "premium"
    assert call["body"]["imageGenerationConfig"]["seed"] == 11
    assert call["body"]["textToImageParams"]["negativeText"] == "rain"


def test_image_errors(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.images.generate(model=NOVA_CANVAS, prompt="x", response_format="url")
    assert caught.value.body["param"] == "response_format"
    assert "b64_json" in caught.value.body["message"]
    with pytest.raises(openai.BadRequestError) as caught:
        client.images.generate(model=TITAN_IMAGE, prompt="x", size="1792x1024")
    assert caught.value.body["param"] == "size"
    with pytest.raises(openai.BadRequestError):
        client.images.generate(model=NOVA_CANVAS, prompt="x", n=6)
    with pytest.raises(openai.NotFoundError):
        client.images.generate(model="acme.paint-v1", prompt="x")
