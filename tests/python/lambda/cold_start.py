"""Measures the Lambda mode's cold start: process start → first Runtime API `next` call, and
→ the first answer (GET /health through an API Gateway REST event, streamed) fully received.

    .venv/bin/python tests/python/lambda/cold_start.py [RUNS]     (default 20, at most 200)

Uses target/debug binaries unless BEDROCK_GATEWAY_BIN / BEDROCK_EMULATOR_BIN say otherwise;
each run has a 10 s deadline. Prints median, p90 and max in milliseconds.
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]

from procs import binary, start_server  # noqa: E402

from gateway.support import Emulator  # noqa: E402
from lambda_events import rest_v1  # noqa: E402
from lambda_support import LambdaGateway, read_answer  # noqa: E402

DEADLINE_S = 10.0


def one_run(emulator_url: str) -> tuple[float, float]:
    gw = LambdaGateway(emulator_url, timeout=DEADLINE_S)
    try:
        to_next = gw.api.next_calls[0] - gw.started_at
        invocation = gw.api.invoke(rest_v1("GET", "/health"))
        answer = read_answer(invocation.result(DEADLINE_S))
        assert answer.status == 200, answer
        to_answer = invocation.answer.chunks[-1][0] - gw.started_at
        return to_next * 1000, to_answer * 1000
    finally:
        gw.cleanup()


def summary(name: str, values: list[float]) -> str:
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]
    return f"{name}: median {statistics.median(ordered):.1f} ms, p90 {p90:.1f} ms, max {ordered[-1]:.1f} ms"


def main() -> None:
    runs = min(int(sys.argv[1]) if len(sys.argv) > 1 else 20, 200)
    with start_server([binary("bedrock-emulator"), "--port", "0"], timeout=30) as server:
        emulator = Emulator(server)
        results = [one_run(emulator.url) for _ in range(runs)]
        emulator.close()
    print(f"{runs} cold starts of {binary('bedrock-gateway')}")
    print(summary("start → first `next` call", [r[0] for r in results]))
    print(summary("start → first answer received", [r[1] for r in results]))


if __name__ == "__main__":
    main()
