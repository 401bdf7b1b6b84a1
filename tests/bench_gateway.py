"""`make bench`, the gateway's part: `serve` against going direct and against a floor.

Three paths to one fast upstream (tests/bench_peers.py: aiohttp, a fixed reply): direct,
through the reference proxy (the floor for a Python gateway), and through `serve`. It
measures sequential p50/p99 of small requests, requests/s at 16 and 64 clients (wrk, with
a Lua script for the POST), time to the first chunk of a stream, and the gateway's RSS
after start against after 20,000 requests and more. Requests go to each path in turn, so
that a busy moment hurts every path alike; each latency round starts the proxies afresh
(memory layout alone moves a p50 by a tenth) and the proxy under test has a core of its
own, away from wrk and the upstream. Every ratio and the goals are printed; the exit
status is 1 if a goal is missed.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from tests.conftest import closed_port
from tests.fake_google import FakeGoogle

ROOT = "/v1beta1/projects/bench-proj/locations/us-central1/endpoints/openapi"
BODY = json.dumps(
    {"model": "google/gemini-2.5-flash", "messages": [{"role": "user", "content": "hi"}]}
)
STREAM = BODY[:-1] + ', "stream": true}'
PATHS = ("direct", "floor", "gateway")
URL_PATHS = {"direct": f"{ROOT}/chat/completions", "floor": "/v1/chat/completions",
             "gateway": "/v1/chat/completions"}  # fmt: skip
RSS_AFTER = 20_000
PROXY_CORE = max(os.sched_getaffinity(0))
# (what, measured, comparison, bound, unit)
Goal = tuple[str, float, Callable[[float, float], bool], float, str]


def pinned(process: subprocess.Popen[bytes] | subprocess.Popen[str]) -> None:
    """The proxy under test on a core of its own: the others run wrk and the upstream, which
    would otherwise take turns with it and blur the comparison."""
    if PROXY_CORE not in os.sched_getaffinity(0):  # main() has kept it free
        os.sched_setaffinity(process.pid, {PROXY_CORE})


def wait_listening(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"a benchmark peer stopped at start: {process.args!r}")
        try:
            socket.create_connection(("127.0.0.1", port), 1).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"nothing listens on port {port}")


def peer(*args: str) -> tuple[subprocess.Popen[bytes], int]:
    port = closed_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.bench_peers", args[0], str(port), *args[1:]]
    )
    wait_listening(port, process)
    return process, port


def gateway(
    upstream: int, env: dict[str, str], log: Path
) -> tuple[subprocess.Popen[str], dict[str, str]]:
    """`serve` forwarding to `upstream`, and the variables it printed."""
    tool = str(Path(sys.executable).parent / "vertex-openai-env")
    command = [tool, "serve", "--project", "bench-proj", "--location", "us-central1", "--model",
               "gemini-2.5-flash", "--api-endpoint", f"http://127.0.0.1:{upstream}", "--format", "json"]  # fmt: skip
    # stderr takes a line per request, as it would in a terminal.
    with log.open("a") as stderr:
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=stderr, text=True, env=env
        )
    assert process.stdout is not None
    text = line = ""
    while line != "}\n":
        line = process.stdout.readline()
        if not line:
            sys.exit("serve did not start")
        text += line
    return process, json.loads(text)["env"]


def environment(google: FakeGoogle, folder: str) -> dict[str, str]:
    """What `serve` runs with in a benchmark: the fake's service account, a home of its own."""
    return {
        "PATH": os.environ["PATH"],
        "HOME": folder,
        "XDG_RUNTIME_DIR": folder,
        "GOOGLE_APPLICATION_CREDENTIALS": str(google.service_account_file(Path(folder))),
        "GCE_METADATA_HOST": f"127.0.0.1:{closed_port()}",
    }


def rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024  # type: ignore[union-attr]


class Client:
    """One keep-alive connection, as an SDK holds it."""

    def __init__(self, port: int, path: str, key: str) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port)
        self.path = path
        self.headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}

    def call(self, body: str) -> float:
        """Seconds for one small request, start to last byte."""
        started = time.perf_counter()
        self.connection.request("POST", self.path, body, self.headers)
        reply = self.connection.getresponse()
        reply.read()
        assert reply.status == 200, reply.status
        return time.perf_counter() - started

    def first_chunk(self) -> float:
        """Seconds from sending a streaming request to its first chunk; the rest is read."""
        started = time.perf_counter()
        self.connection.request("POST", self.path, STREAM, self.headers)
        reply = self.connection.getresponse()
        assert reply.read1(65536).startswith(b"data: ")
        elapsed = time.perf_counter() - started
        reply.read()
        return elapsed


def wrk(port: int, path: str, clients: int, seconds: int, script: Path) -> tuple[float, int]:
    """Requests/s and requests sent, by wrk with `clients` connections on two threads."""
    url = f"http://127.0.0.1:{port}{path}"
    command = ["wrk", "-t2", f"-c{clients}", f"-d{seconds}s", "-s", str(script), url]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        sys.exit(f"wrk saw failures through {url}:\n{out}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    sent = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    return rate, sent


class Proxies:
    """The floor and the gateway, freshly started (each on the proxies' core)."""

    def __init__(self, up_port: int, env: dict[str, str], log: Path) -> None:
        self.floor, floor_port = peer("floor", f"http://127.0.0.1:{up_port}{ROOT}", "bench-token")
        self.gateway, variables = gateway(up_port, env, log)
        pinned(self.floor)
        pinned(self.gateway)
        self.key = variables["OPENAI_API_KEY"]
        gateway_port = int(variables["OPENAI_BASE_URL"].rsplit(":", 1)[1].split("/")[0])
        self.ports = {"direct": up_port, "floor": floor_port, "gateway": gateway_port}

    def client(self, name: str) -> Client:
        return Client(self.ports[name], URL_PATHS[name], self.key)

    def stop(self) -> None:
        for process in (self.gateway, self.floor):
            process.terminate()
            process.wait(20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds of each measure")
    parser.add_argument("--seconds", type=int, default=2, help="length of one wrk run")
    options = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("the gateway benchmark needs wrk: apt-get install wrk")
    cores = os.sched_getaffinity(0)
    if len(cores) > 1:  # this process, the upstream and wrk on the others
        os.sched_setaffinity(0, cores - {PROXY_CORE})
    with FakeGoogle() as google, tempfile.TemporaryDirectory() as folder:
        env = environment(google, folder)
        log = Path(folder) / "gateway.log"
        upstream, up_port = peer("upstream")
        try:
            figures = measure(
                lambda: Proxies(up_port, env, log), options.rounds, options.seconds, Path(folder)
            )
        finally:
            upstream.terminate()
            upstream.wait(20)
        expected = re.compile(
            r"vertex-openai-env: (POST /v1/chat/completions (200|499) [0-9]+ms|listening on .*|stopped after .*)"
        )
        unusual = [line for line in log.read_text().splitlines() if not expected.fullmatch(line)]
    if unusual:
        print("the gateway said, besides a line per request:", *unusual[:8], sep="\n  ")
    report(figures)


def measure(
    start: Callable[[], Proxies], rounds: int, seconds: int, folder: Path
) -> dict[str, dict[str, float]]:
    """Every figure, by path; the gateway's RSS and request count besides."""
    latencies: dict[str, list[float]] = {name: [] for name in PATHS}
    chunks: dict[str, list[float]] = {name: [] for name in PATHS}
    for _ in range(rounds):  # fresh processes each round: memory layout moves p50 by 10%
        proxies = start()
        try:
            clients = {name: proxies.client(name) for name in PATHS}
            for client in clients.values():  # warm up: connections, pools, lazy imports
                for _ in range(200):
                    client.call(BODY)
            for _ in range(1000):  # request by request, each path in turn
                for name, client in clients.items():
                    latencies[name].append(client.call(BODY))
            for _ in range(20):
                for name, client in clients.items():
                    chunks[name].append(client.first_chunk())
        finally:
            proxies.stop()
    figures: dict[str, dict[str, float]] = {}
    for name in PATHS:
        ordered = sorted(latencies[name])
        figures[name] = {
            "p50": statistics.median(ordered) * 1000,
            "p99": ordered[int(len(ordered) * 0.99)] * 1000,
            "ttfc": statistics.median(chunks[name]) * 1000,
        }
    proxies = start()
    try:
        figures["gateway"]["rss_start"] = rss_mb(proxies.gateway.pid)
        throughput(proxies, rounds, seconds, folder, figures)
        figures["gateway"]["rss_end"] = rss_mb(proxies.gateway.pid)
    finally:
        proxies.stop()
    return figures


def throughput(
    proxies: Proxies, rounds: int, seconds: int, folder: Path, figures: dict[str, dict[str, float]]
) -> None:
    """Requests/s at 16 and 64 clients, by path; then more until the gateway has served
    RSS_AFTER requests."""
    script = folder / "post.lua"
    script.write_text(
        f'wrk.method = "POST"\nwrk.body = {json.dumps(BODY)}\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.headers["Authorization"] = "Bearer {proxies.key}"\n'
    )
    rates: dict[str, list[float]] = {}
    served = 0
    for _ in range(rounds):
        for clients in (16, 64):
            for name in PATHS:
                rate, sent = wrk(proxies.ports[name], URL_PATHS[name], clients, seconds, script)
                rates.setdefault(f"{name}{clients}", []).append(rate)
                served += sent if name == "gateway" else 0
    while served < RSS_AFTER:
        served += wrk(proxies.ports["gateway"], URL_PATHS["gateway"], 64, seconds, script)[1]
    for name in PATHS:
        for clients in (16, 64):
            figures[name][f"rps{clients}"] = statistics.median(rates[f"{name}{clients}"])
    figures["gateway"]["requests"] = served


def report(figures: dict[str, dict[str, float]]) -> None:
    direct, floor, gateway = (figures[name] for name in PATHS)
    rows = [("sequential p50 (ms)", "p50"), ("sequential p99 (ms)", "p99"),
            ("req/s, 16 clients", "rps16"), ("req/s, 64 clients", "rps64"),
            ("first chunk (ms)", "ttfc")]  # fmt: skip
    pin = f", proxies on core {PROXY_CORE}" if PROXY_CORE not in os.sched_getaffinity(0) else ""
    print(f"gateway benchmark on {os.cpu_count()} cores{pin} (upstream: aiohttp, fixed reply)\n")
    print(
        f"  {'':22}{'direct':>9}{'floor':>9}{'gateway':>9}   {'gw/floor':>9}{'gw/direct':>10}{'floor/direct':>13}"
    )
    for label, key in rows:
        d, f, g = direct[key], floor[key], gateway[key]
        print(f"  {label:22}{d:9.2f}{f:9.2f}{g:9.2f}   {g / f:8.2f}x{g / d:9.2f}x{f / d:12.2f}x")
    added_gw, added_floor = gateway["p50"] - direct["p50"], floor["p50"] - direct["p50"]
    rss_start, rss_end = gateway["rss_start"], gateway["rss_end"]
    print(f"\n  added p50: gateway {added_gw:.3f} ms, floor {added_floor:.3f} ms")
    print(f"  first chunk: gateway +{gateway['ttfc'] - direct['ttfc']:.2f} ms over direct "
          f"(floor +{floor['ttfc'] - direct['ttfc']:.2f} ms)")  # fmt: skip
    print(f"  gateway RSS: {rss_start:.1f} MB after start, {rss_end:.1f} MB after "
          f"{gateway['requests']:,.0f} requests")  # fmt: skip
    goals: list[Goal] = [
        ("added p50, gateway / floor", added_gw / added_floor, float.__le__, 1.3, "x"),
        ("req/s at 64, gateway / floor", gateway["rps64"] / floor["rps64"], float.__ge__, 0.8, "x"),
        ("RSS growth (MB)", rss_end - rss_start, float.__lt__, 20.0, " MB"),
        (
            "first chunk, gateway - direct",
            gateway["ttfc"] - direct["ttfc"],
            float.__le__,
            2.0,
            " ms",
        ),
    ]
    print("\n  goals")
    missed = False
    for label, value, holds, bound, unit in goals:
        ok = holds(value, bound)
        missed |= not ok
        sign = {float.__le__: "<=", float.__ge__: ">=", float.__lt__: "<"}[holds]
        print(f"  {label:30} {value:7.2f}{unit:3} {sign} {bound}{unit}  {'ok' if ok else 'MISSED'}")
    sys.exit(1 if missed else 0)


if __name__ == "__main__":
    main()
