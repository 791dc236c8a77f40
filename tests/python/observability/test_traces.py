"""OpenTelemetry traces: an OTLP/HTTP receiver in the test decodes what the gateway exports
(with the OpenTelemetry project's own protobuf definitions): a server span per request under
the client's traceparent, a client span per Bedrock call with the GenAI attributes. With the
collector down, requests are served as many as without tracing."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from gateway.support import HAIKU35, free_port, user, wait_until

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"


class Receiver:
    """An OTLP/HTTP trace receiver on a loopback port; keeps every span it is sent."""

    def __init__(self):
        self.spans: list[Span] = []
        spans, lock = self.spans, threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                request = ExportTraceServiceRequest.FromString(body)
                with lock:
                    spans.extend(s for rs in request.resource_spans for ss in rs.scope_spans for s in ss.spans)
                reply = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200 if self.path == "/v1/traces" else 404)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def of_trace(self, trace_id: str) -> list[Span]:
        return [s for s in list(self.spans) if s.trace_id.hex() == trace_id]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def attributes(span: Span) -> dict:
    values = {}
    for kv in span.attributes:
        kind = kv.value.WhichOneof("value")
        value = getattr(kv.value, kind)
        values[kv.key] = [v.string_value for v in value.values] if kind == "array_value" else value
    return values


@pytest.fixture(scope="module")
def receiver():
    server = Receiver()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def traced(start_gateway, receiver):
    return start_gateway(OTEL_EXPORTER_OTLP_ENDPOINT=receiver.url, OTEL_BSP_SCHEDULE_DELAY="50")


def spans_of(receiver, trace_id, count):
    return wait_until(lambda: len(s := receiver.of_trace(trace_id)) >= count and s, 15, message=f"{count} spans")


def test_a_chat_call_is_a_server_span_under_the_client_trace_and_a_genai_client_span(traced, receiver):
    headers = {"traceparent": f"00-{TRACE_ID}-{PARENT_ID}-01"}
    with traced.client(default_headers=headers) as client:
        answer = client.chat.completions.create(
            model=HAIKU35, messages=user("traced\n#words 6"), max_tokens=50, temperature=0.5, top_p=0.9
        )
    spans = spans_of(receiver, TRACE_ID, 2)
    (server,) = [s for s in spans if s.kind == Span.SPAN_KIND_SERVER]
    (client,) = [s for s in spans if s.kind == Span.SPAN_KIND_CLIENT]
    assert server.parent_span_id.hex() == PARENT_ID
    assert client.parent_span_id == server.span_id
    assert attributes(server)["http.route"] == "/api/v1/chat/completions"
    assert attributes(server)["http.response.status_code"] == 200
    attrs = attributes(client)
    assert client.name == f"chat {HAIKU35}"
    assert attrs["gen_ai.operation.name"] == "chat" and attrs["gen_ai.provider.name"] == "aws.bedrock"
    assert attrs["gen_ai.request.model"] == HAIKU35 and attrs["gen_ai.response.model"] == HAIKU35
    assert attrs["gen_ai.request.max_tokens"] == 50
    assert attrs["gen_ai.request.temperature"] == pytest.approx(0.5)
    assert attrs["gen_ai.request.top_p"] == pytest.approx(0.9)
    assert attrs["gen_ai.usage.input_tokens"] == answer.usage.prompt_tokens
    assert attrs["gen_ai.usage.output_tokens"] == answer.usage.completion_tokens
    assert attrs["gen_ai.response.finish_reasons"] == ["end_turn"]
    assert client.end_time_unix_nano <= server.end_time_unix_nano
    assert "traced" not in str(spans)


def test_a_stream_span_ends_with_its_tokens(traced, receiver):
    trace_id = "0af7651916cd43dd8448eb211c80319c"
    headers = {"traceparent": f"00-{trace_id}-b7ad6b7169203331-01"}
    with traced.client(default_headers=headers) as client:
        chunks = client.chat.completions.create(
            model=HAIKU35, messages=user("traced stream\n#words 8"), stream=True, stream_options={"include_usage": True}
        )
        usage = [c.usage for c in chunks if c.usage][0]
    spans = spans_of(receiver, trace_id, 2)
    (client,) = [s for s in spans if s.kind == Span.SPAN_KIND_CLIENT]
    attrs = attributes(client)
    assert attrs["gen_ai.usage.output_tokens"] == usage.completion_tokens
    assert attrs["gen_ai.response.finish_reasons"] == ["end_turn"]


def completed_in(gw, seconds: float) -> int:
    """Requests completed in a fixed window (bounded loop)."""
    done, deadline = 0, time.monotonic() + seconds
    with gw.client() as client:
        while time.monotonic() < deadline and done < 10_000:
            client.chat.completions.create(model=HAIKU35, messages=user("quick"))
            done += 1
    return done


def test_a_collector_that_is_down_does_not_slow_requests(start_gateway):
    dead = f"http://127.0.0.1:{free_port()}"
    plain = start_gateway()
    traced_to_nowhere = start_gateway(OTEL_EXPORTER_OTLP_ENDPOINT=dead, OTEL_BSP_SCHEDULE_DELAY="10")
    baseline = completed_in(plain, 2.0)
    with_dead_collector = completed_in(traced_to_nowhere, 2.0)
    assert baseline > 10
    assert with_dead_collector >= baseline * 0.6, (with_dead_collector, baseline)
