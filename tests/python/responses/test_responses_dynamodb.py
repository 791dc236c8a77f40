"""The DynamoDB response store (RESPONSES_TABLE) against moto in server mode: replicas
share conversations, keys stay isolated, TTL and the 400 KB item limit are handled."""

import hashlib
import time

import openai
import pytest

from gateway.support import HAIKU35, KEY, KEY2

pytestmark = pytest.mark.timeout(120)

TABLE = "bedrock-gateway-responses"


@pytest.fixture(scope="module", autouse=True)
def table(moto):
    """The table as the CloudFormation stacks create it: hash key `pk`, TTL on `expires_at`."""
    dynamodb = moto.client("dynamodb")
    dynamodb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.update_time_to_live(TableName=TABLE, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"})
    yield TABLE
    dynamodb.delete_table(TableName=TABLE)


@pytest.fixture
def replicas(start_gateway, moto):
    def start(**overrides):
        env = {"API_KEY": f"{KEY},{KEY2}", "RESPONSES_TABLE": TABLE, "AWS_ENDPOINT_URL_DYNAMODB": moto.url}
        env.update(overrides)
        return start_gateway(**env)

    return start


def test_replicas_share_conversations(replicas, moto, marker):
    first, second = replicas(), replicas()
    with first.client() as a, second.client() as b:
        created = a.responses.create(model=HAIKU35, input=f"remember {marker}")
        assert b.responses.retrieve(created.id).output_text == f"You said: remember {marker}"
        follow = b.responses.create(model=HAIKU35, previous_response_id=created.id, input=f"again {marker}")
        assert follow.output_text == f"You said: again {marker}"
        items = list(a.responses.input_items.list(follow.id))
        assert len(items) == 1
    owner = hashlib.sha256(KEY.encode()).hexdigest()
    item = moto.client("dynamodb").get_item(TableName=TABLE, Key={"pk": {"S": f"{owner}#{created.id}"}})["Item"]
    assert abs(int(item["expires_at"]["N"]) - (time.time() + 30 * 24 * 3600)) < 120
    assert KEY not in str(item), "the key itself is never stored"


def test_keys_are_isolated_and_delete_works(replicas, marker):
    gateway = replicas()
    with gateway.client() as mine, gateway.client(key=KEY2) as theirs:
        created = mine.responses.create(model=HAIKU35, input=f"{marker}")
        with pytest.raises(openai.NotFoundError):
            theirs.responses.retrieve(created.id)
        with pytest.raises(openai.NotFoundError):
            theirs.responses.delete(created.id)
        mine.responses.delete(created.id)
        with pytest.raises(openai.NotFoundError):
            mine.responses.retrieve(created.id)


def test_expired_responses_are_gone(replicas, marker):
    gateway = replicas(RESPONSES_TTL_SECONDS=1)
    with gateway.client() as client:
        created = client.responses.create(model=HAIKU35, input=f"{marker}")
        time.sleep(2.1)
        with pytest.raises(openai.NotFoundError):
            client.responses.retrieve(created.id)


def test_responses_above_the_item_limit_are_answered_and_explained(replicas, marker):
    gateway = replicas()
    big = f"{marker} " + "x" * 300_000
    with gateway.client() as client:
        created = client.responses.create(model=HAIKU35, input=big)
        assert created.output_text.startswith(f"You said: {marker}")
        with pytest.raises(openai.NotFoundError) as caught:
            client.responses.retrieve(created.id)
    assert "too large to store" in caught.value.body["message"]


def test_an_unreachable_table_is_a_500_not_a_hang(start_gateway, marker):
    gateway = start_gateway(RESPONSES_TABLE=TABLE, AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:9")
    with gateway.client() as client:
        with pytest.raises(openai.InternalServerError):
            client.responses.retrieve("resp_x")


def test_a_failing_store_does_not_break_the_answer(start_gateway, marker):
    gateway = start_gateway(RESPONSES_TABLE=TABLE, AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:9")
    with gateway.client() as client:
        created = client.responses.create(model=HAIKU35, input=f"{marker}")
        assert created.output_text == f"You said: {marker}"
        with client.responses.stream(model=HAIKU35, input=f"{marker} streamed") as stream:
            final = stream.get_final_response()
        assert final.status == "completed"
    assert "could not store the response" in gateway.logs()
    assert marker not in gateway.logs(), "no content in the logs without DEBUG"
