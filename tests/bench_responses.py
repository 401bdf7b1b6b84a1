"""`make bench`, the Responses API's part: what translating costs, as ratios in one run.

One `serve` in front of the fast upstream of tests/bench_peers.py, asked the same small
question as a chat request and as a Responses request, in turn:

- added p50 latency of `POST /v1/responses` over going direct, against the chat
  request's (goal: at most 1.5x);
- time to the first text delta of a Responses stream against the first chunk of the
  chat stream (goal: within 2 ms);
- the gateway's RSS after 6,000 stored responses of 20 kB against before (goal: under
  40 MB more; the store keeps the last 256).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from tests.bench_gateway import BODY, ROOT, Client, gateway, peer, rss_mb
from tests.conftest import closed_port
from tests.fake_google import FakeGoogle

ASK = json.dumps({"model": "gemini-2.5-flash", "input": "hi"})
ASK_STREAM = ASK[:-1] + ', "stream": true}'
STORED, STORED_SIZE = 6000, 20_000


class Responses(Client):
    def first_delta(self) -> float:
        """Seconds from sending a Responses stream request to its first text delta."""
        started = time.perf_counter()
        self.connection.request("POST", self.path, ASK_STREAM, self.headers)
        reply = self.connection.getresponse()
        seen = b""
        while b"response.output_text.delta" not in seen:
            chunk = reply.read1(65536)
            assert chunk, "the stream ended before its first delta"
            seen += chunk
        elapsed = time.perf_counter() - started
        reply.read()
        return elapsed


def main() -> None:
    with FakeGoogle() as google, tempfile.TemporaryDirectory() as folder:
        env = {
            "PATH": os.environ["PATH"],
            "HOME": folder,
            "XDG_RUNTIME_DIR": folder,
            "GOOGLE_APPLICATION_CREDENTIALS": str(google.service_account_file(Path(folder))),
            "GCE_METADATA_HOST": f"127.0.0.1:{closed_port()}",
        }
        upstream, up_port = peer("upstream")
        served, variables = gateway(up_port, env, Path(folder) / "gateway.log")
        try:
            port = int(variables["OPENAI_BASE_URL"].rsplit(":", 1)[1].split("/")[0])
            key = variables["OPENAI_API_KEY"]
            figures = measure(
                Client(up_port, f"{ROOT}/chat/completions", key),
                Client(port, "/v1/chat/completions", key),
                Responses(port, "/v1/responses", key),
                served.pid,
            )
        finally:
            for process in (served, upstream):
                process.terminate()
                process.wait(20)
    report(figures)


def measure(direct: Client, chat: Client, responses: Responses, pid: int) -> dict[str, float]:
    for _ in range(300):  # warm up: connections, pools, lazy imports
        direct.call(BODY), chat.call(BODY), responses.call(ASK)
    times: dict[str, list[float]] = {"direct": [], "chat": [], "responses": []}
    for _ in range(3000):  # each in turn, so that a busy moment hurts all alike
        times["direct"].append(direct.call(BODY))
        times["chat"].append(chat.call(BODY))
        times["responses"].append(responses.call(ASK))
    firsts: dict[str, list[float]] = {"chat": [], "responses": []}
    for _ in range(40):
        firsts["chat"].append(chat.first_chunk())
        firsts["responses"].append(responses.first_delta())
    p50 = {name: statistics.median(found) * 1000 for name, found in times.items()}
    before = rss_mb(pid)
    text = "x" * STORED_SIZE
    for _ in range(STORED):
        responses.call(json.dumps({"model": "gemini-2.5-flash", "input": text}))
    return {
        **{f"p50_{name}": value for name, value in p50.items()},
        **{f"first_{name}": statistics.median(found) * 1000 for name, found in firsts.items()},
        "rss_before": before,
        "rss_after": rss_mb(pid),
    }


def report(figures: dict[str, float]) -> None:
    added_chat = figures["p50_chat"] - figures["p50_direct"]
    added_responses = figures["p50_responses"] - figures["p50_direct"]
    print("\nResponses API through the gateway (same gateway, same upstream, in turn)\n")
    print(f"  p50 (ms): direct {figures['p50_direct']:.3f}, chat {figures['p50_chat']:.3f}, "
          f"responses {figures['p50_responses']:.3f}")  # fmt: skip
    print(f"  first text (ms): chat chunk {figures['first_chat']:.2f}, "
          f"responses delta {figures['first_responses']:.2f}")  # fmt: skip
    print(f"  RSS (MB): {figures['rss_before']:.1f} before, {figures['rss_after']:.1f} after "
          f"{STORED:,} stored responses of {STORED_SIZE // 1000} kB")  # fmt: skip
    goals = [
        ("added p50, responses / chat", added_responses / added_chat, 1.5, "x"),
        ("first delta - first chunk", figures["first_responses"] - figures["first_chat"], 2.0,
         " ms"),
        ("RSS growth, stored responses", figures["rss_after"] - figures["rss_before"], 40.0,
         " MB"),
    ]  # fmt: skip
    print("\n  goals")
    missed = False
    for label, value, bound, unit in goals:
        ok = value <= bound
        missed |= not ok
        print(f"  {label:30} {value:7.2f}{unit:3} <= {bound}{unit}  {'ok' if ok else 'MISSED'}")
    sys.exit(1 if missed else 0)


if __name__ == "__main__":
    main()
