"""The gateway against a hostile neighbour and a busy day: idle and half-open connections,
the open-file budget, what reaches stderr, and how much it remembers."""

from __future__ import annotations

import contextlib
import errno
import http.client
import json
import logging
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
import pytest

from tests.fake_google import FakeGoogle, json_reply, vertex_error
from tests.gateways import CHAT, MODEL, InProcess, in_process, raw
from vertex_openai_env.gateway import bodies, connections, holder, relay, said, server, upstream
from vertex_openai_env.gateway.limits import budget

CHAT_BODY = json.dumps({"model": "m", "messages": [{"role": "user", "content": "hi"}]}).encode()


@pytest.fixture
def gateway(google: FakeGoogle, service_account: Path) -> Iterator[InProcess]:
    with in_process(google, *MODEL) as running:
        yield running


def connect(gateway: InProcess) -> socket.socket:
    host, port = urlsplit(gateway.base_url).netloc.split(":")
    return socket.create_connection((host, int(port)), timeout=10)


def closed_within(sock: socket.socket, seconds: float) -> bool:
    """Whether the gateway closes `sock` within `seconds`."""
    sock.settimeout(seconds)
    try:
        return sock.recv(1024) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


# --- idle and half-open connections -------------------------------------------------------


@pytest.mark.parametrize("sent", [b"", b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n"])
def test_a_connection_without_a_whole_request_head_is_closed_after_the_header_timeout(
    google: FakeGoogle, service_account: Path, monkeypatch: pytest.MonkeyPatch, sent: bytes
) -> None:
    monkeypatch.setattr(connections, "HEADER_TIMEOUT", 0.5)
    with in_process(google, *MODEL) as gateway:
        sock = connect(gateway)
        sock.sendall(sent)
        assert closed_within(sock, 3)
        sock.close()
        held = gateway.gateway.connections
        assert held is not None
        deadline = time.monotonic() + 3
        while len(held) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(held) == 0  # its place under the cap is free again


def test_a_kept_alive_connection_is_closed_after_a_minute_idle(gateway: InProcess) -> None:
    assert gateway.gateway._runner._kwargs["keepalive_timeout"] == connections.IDLE_TIMEOUT == 60


def test_at_the_cap_idle_connections_make_room_and_refusals_are_counted_not_logged_each(
    google: FakeGoogle, service_account: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(connections, "REPORT_EVERY", 0.5)
    files = 64 + 20  # the reserve, then 15 client connections and 5 to Vertex AI
    with in_process(google, *MODEL, files=files) as gateway:
        assert gateway.gateway.budget == budget(files)
        cap = gateway.gateway.budget.clients
        idle = [connect(gateway) for _ in range(cap + 10)]
        time.sleep(0.2)
        status, _, _ = raw(gateway, "POST", "/v1/chat/completions", CHAT_BODY)
        assert status == 200  # an idle connection gave way to it
        assert sum(closed_within(sock, 0.5) for sock in idle) >= 11
        time.sleep(0.8)
        lines = [line for line in gateway.said if line.startswith("connections:")]
        assert lines == [
            f"connections: 11 idle ones closed in the last 0.5s (at most {cap} are kept open, "
            "below the open-file limit)"
        ]
        for sock in idle:
            sock.close()


def test_no_reply_names_the_server_software(gateway: InProcess) -> None:
    empty: dict[str, str] = {}
    for headers in (empty, None):
        _, sent, _ = raw(gateway, "GET", "/v1/models", headers=headers)
        assert "server" not in sent


# --- the open-file budget -----------------------------------------------------------------


def test_the_soft_file_limit_is_raised_to_the_hard_one_at_start() -> None:
    code = (
        "import resource\n"
        "soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)\n"
        "resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))\n"
        "from vertex_openai_env.gateway.limits import raise_file_limit\n"
        "print(raise_file_limit(), resource.getrlimit(resource.RLIMIT_NOFILE)[0], hard)\n"
    )
    raised, soft, hard = subprocess.check_output([sys.executable, "-c", code], text=True).split()
    assert raised == soft == hard != "256"


def test_the_budget_keeps_clients_and_upstream_below_the_file_limit() -> None:
    assert budget(1024) == (1024, 720, 240)
    assert budget(1 << 20).upstream == 512
    for files in (256, 1024, 20000):
        shares = budget(files)
        assert shares.clients + shares.upstream + 64 == files


def test_requests_beyond_the_upstream_cap_wait_then_get_503_with_retry_after(
    google: FakeGoogle, service_account: Path
) -> None:
    files = 64 + 20  # 5 connections to Vertex AI
    with in_process(google, *MODEL, "--timeout", "1", files=files) as gateway:
        most = gateway.gateway.budget.upstream
        google.fail_next(CHAT, *[google.hang()] * most)
        with ThreadPoolExecutor(most + 1) as pool:
            hung = [pool.submit(raw, gateway, "POST", "/v1/chat/completions", CHAT_BODY)]
            hung += [pool.submit(raw, gateway, "POST", "/v1/chat/completions", CHAT_BODY)]
            hung += [
                pool.submit(raw, gateway, "POST", "/v1/chat/completions", CHAT_BODY)
                for _ in range(most - 2)
            ]
            time.sleep(0.5)
            status, headers, body = raw(gateway, "POST", "/v1/chat/completions", CHAT_BODY)
            assert status == 503
            assert headers["retry-after"] == "1"
            message = json.loads(body)["error"]["message"]
            assert message == (
                f"the gateway is busy: {most} requests to Vertex AI are in flight, as many as "
                "its open-file limit allows; try again in a moment"
            )
            assert f"{message} (fix: fewer requests at once, or a higher `ulimit -n`)" in (
                gateway.said
            )
            google._stop.set()  # the hung replies come now
            for future in hung:
                future.result()


def test_running_out_of_files_is_not_called_a_network_problem() -> None:
    cause = OSError(errno.EMFILE, "Too many open files")
    key = aiohttp.client_reqrep.ConnectionKey("h", 443, True, True, None, None, None)
    error = aiohttp.ClientConnectorError(key, cause)
    assert upstream._out_of_files(error)
    assert not upstream._out_of_files(aiohttp.ClientConnectorError(key, OSError(111, "refused")))


def test_running_out_of_files_is_a_503_busy_said_with_its_fix(
    gateway: InProcess, google: FakeGoogle, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The system's own limit, as aiohttp reports it (reaching it for real would starve the
    test run itself)."""
    session = gateway.gateway._upstream._session
    assert session is not None
    key = aiohttp.client_reqrep.ConnectionKey("h", 443, True, True, None, None, None)

    async def out_of_files(*args: object, **kwargs: object) -> None:
        raise aiohttp.ClientConnectorError(key, OSError(errno.EMFILE, "Too many open files"))

    monkeypatch.setattr(session, "request", out_of_files)
    status, headers, body = raw(gateway, "POST", "/v1/chat/completions", CHAT_BODY)
    assert (status, headers["retry-after"]) == (503, "1")
    error = json.loads(body)["error"]
    message = (
        "the gateway is busy: it has run out of open files (too many connections at once); "
        "try again in a moment"
    )
    assert (error["code"], error["message"]) == ("gateway_busy", message)
    assert f"{message} (fix: fewer requests at once, or a higher `ulimit -n`)" in gateway.said


@pytest.mark.parametrize("link", ["__cause__", "__context__"])
def test_running_out_of_files_is_found_however_deep_it_was_raised(link: str) -> None:
    """`raise ... from` sets the cause, a raise inside `except` only the context: aiohttp
    does both, one inside the other."""
    middle = aiohttp.ClientPayloadError("read failed")
    setattr(middle, link, OSError(errno.ENFILE, "Too many open files in system"))
    outer = aiohttp.ClientError("request failed")
    outer.__context__ = middle
    assert upstream._out_of_files(outer)
    setattr(middle, link, OSError(errno.ECONNRESET, "reset"))
    assert not upstream._out_of_files(outer)


# --- what reaches stderr, and what is remembered ------------------------------------------


def test_a_400_quoting_the_prompt_is_explained_without_it(
    gateway: InProcess, google: FakeGoogle
) -> None:
    prompt = "my secret plan for world domination"
    error = {"code": 400, "message": f"Invalid value at 'contents': {prompt}",
             "status": "INVALID_ARGUMENT"}  # fmt: skip
    google.fail_next(CHAT, lambda call: json_reply(400, [{"error": error}]))
    status, _, body = raw(gateway, "POST", "/v1/chat/completions", CHAT_BODY)
    assert status == 400
    assert prompt in body.decode()  # the client gets Vertex's answer as it is
    (line,) = [line for line in gateway.said if "HTTP 400" in line]
    assert "INVALID_ARGUMENT" in line
    assert prompt not in "\n".join(gateway.said)


def test_distinct_failures_are_remembered_and_said_within_bounds() -> None:
    lines: list[str] = []
    now = [0.0]
    once = said.Once(lines.append, clock=lambda: now[0])
    for n in range(1000):
        once(f"failure {n}")
    assert len(lines) == said.PER_MINUTE
    assert len(once) == said.PER_MINUTE
    now[0] = 61
    once("failure again")
    assert lines[-1] == (
        f"failure again ({1000 - said.PER_MINUTE} other failures were not explained: "
        "too many kinds at once)"
    )
    for minute in range(2, 30):
        now[0] = 61 * minute
        for n in range(100):
            once(f"failure {minute} {n}")
    assert len(once) == said.REMEMBERED
    once(f"failure {29} {99}")  # remembered: not said again
    assert lines[-1] != "failure 29 99"


# --- request bodies -----------------------------------------------------------------------


def send_head(
    gateway: InProcess, length: int | None, path: str = "/v1/chat/completions"
) -> socket.socket:
    """A request's head, its body still to come (chunked when `length` is None)."""
    sock = connect(gateway)
    size = f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked"
    sock.sendall(
        f"POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {gateway.key}"
        f"\r\nContent-Type: application/json\r\n{size}\r\n\r\n".encode()
    )
    return sock


def answer_of(sock: socket.socket) -> tuple[int, bytes]:
    sock.settimeout(10)
    received = b""
    while b"\r\n\r\n" not in received or not received.rstrip().endswith(b"}"):
        data = sock.recv(65536)
        if not data:
            break
        received += data
    head, _, body = received.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def test_a_body_declared_over_the_limit_is_refused_before_it_is_read(
    gateway: InProcess, google: FakeGoogle
) -> None:
    sock = send_head(gateway, bodies.BODY_LIMIT + 1)
    status, body = answer_of(sock)
    assert status == 413
    assert "the body is over 100 MiB" in json.loads(body)["error"]["message"]
    assert not google.chats


def test_a_chunked_body_over_the_limit_is_refused_even_when_it_streams(
    gateway: InProcess, google: FakeGoogle, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bodies, "BODY_LIMIT", 50_000)
    monkeypatch.setattr(relay, "REPLAY_LIMIT", 1000)  # past it, the body streams to Vertex
    sock = send_head(gateway, None)
    chunk = b"x" * 10_000
    for _ in range(6):
        sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
    sock.sendall(b"0\r\n\r\n")
    status, _ = answer_of(sock)
    assert status == 413
    assert sum(len(call.body) for call in google.chats) <= 50_000


def chat_of_size(size: int) -> bytes:
    """A chat request body of exactly `size` bytes."""
    empty = json.dumps({"model": "m", "messages": [{"role": "user", "content": ""}]})
    return empty.replace('""', '"' + "x" * (size - len(empty)) + '"').encode()


def send_chunked(gateway: InProcess, body: bytes, pieces: int) -> tuple[int, bytes]:
    """`body` sent chunked in `pieces` chunks; the status and body of the answer."""
    sock = send_head(gateway, None)
    step = -(-len(body) // pieces)
    for start in range(0, len(body), step):
        chunk = body[start : start + step]
        sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
    sock.sendall(b"0\r\n\r\n")
    return answer_of(sock)


@pytest.mark.parametrize("over", [0, 1])
def test_the_replay_limit_at_its_real_value_a_body_over_it_streams_whole(
    gateway: InProcess, google: FakeGoogle, over: int
) -> None:
    """At 10 MiB a body is kept and sent again after a 401; a byte more and it streams on,
    its tail included, and the 401 goes back as Vertex sent it."""
    assert upstream.REPLAY_LIMIT == 10 << 20
    body = chat_of_size(upstream.REPLAY_LIMIT + over)
    google.fail_next(CHAT, vertex_error("unauthenticated"))
    status, _ = send_chunked(gateway, body, 7)
    assert status == (401 if over else 200)
    assert [call.body for call in google.chats] == [body] * (1 if over else 2)
    assert gateway.gateway._upstream.kept.size == 0


@pytest.mark.parametrize("path", ["/v1/chat/completions", "/v1/responses", "/v1/completions"])
def test_a_body_that_stalls_is_answered_408(
    gateway: InProcess, google: FakeGoogle, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    monkeypatch.setattr(bodies, "STALL", 0.5)
    sock = send_head(gateway, 100, path)
    started = time.monotonic()
    for _ in range(3):
        sock.sendall(b" ")  # one byte a while: held for ever before
        time.sleep(0.3)
    status, body = answer_of(sock)
    assert status == 408
    assert time.monotonic() - started < 3
    assert "too slowly" in json.loads(body)["error"]["message"]
    assert not google.chats


def test_bodies_kept_for_a_replay_are_bounded_all_requests_together(
    gateway: InProcess, google: FakeGoogle
) -> None:
    gateway.gateway._upstream.kept.limit = len(CHAT_BODY) - 1  # no room for this one
    google.fail_next(CHAT, vertex_error("unauthenticated"))
    status, _, _ = raw(gateway, "POST", "/v1/chat/completions", CHAT_BODY)
    assert status == 401  # not kept: it streamed on, and cannot be sent again
    assert gateway.gateway._upstream.kept.size == 0
    google.fail_next(CHAT, vertex_error("unauthenticated"))
    gateway.gateway._upstream.kept.limit = len(CHAT_BODY)
    status, _, _ = raw(gateway, "POST", "/v1/chat/completions", CHAT_BODY)
    assert status == 200  # kept, and sent again with a new token
    assert gateway.gateway._upstream.kept.size == 0  # released once sent


# --- methods, paths, shutdown -------------------------------------------------------------


@pytest.mark.parametrize("method", ["PUT", "PATCH", "TRACE", "PROPFIND", "OPTIONS"])
def test_methods_the_openai_api_does_not_use_are_answered_405(
    gateway: InProcess, google: FakeGoogle, method: str
) -> None:
    status, headers, body = raw(gateway, method, "/v1/chat/completions", CHAT_BODY)
    assert status == 405
    assert headers["allow"] == "DELETE, GET, POST"
    assert json.loads(body)["error"]["code"] == "method_not_allowed"
    assert not [call for call in google.calls if call.path != "/token"]


def test_the_bare_base_path_goes_nowhere(gateway: InProcess, google: FakeGoogle) -> None:
    status, _, _ = raw(gateway, "DELETE", "/v1/")
    assert status == 404
    assert not [call for call in google.calls if call.path != "/token"]


def test_an_absolute_form_request_is_told_to_send_the_path(gateway: InProcess) -> None:
    sock = connect(gateway)
    sock.sendall(
        f"GET http://example.com/v1/chat/completions HTTP/1.1\r\nHost: example.com\r\n"
        f"Authorization: Bearer {gateway.key}\r\nContent-Length: 0\r\n\r\n".encode()
    )
    status, body = answer_of(sock)
    assert status == 400
    assert "not a whole URL" in json.loads(body)["error"]["message"]


def test_a_stream_cut_at_shutdown_is_said_so_and_the_grace_is_kept(
    google: FakeGoogle, service_account: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(server, "GRACE", 1.0)
    google.stream_gap = 1.0  # a stream far longer than the grace
    arrived = threading.Event()

    def stream(gateway: InProcess) -> None:
        with contextlib.suppress(Exception):
            for _ in gateway.client(max_retries=0).chat.completions.create(
                model="m", messages=[{"role": "user", "content": "hi"}], stream=True
            ):
                arrived.set()

    with in_process(google, *MODEL) as gateway:
        reader = threading.Thread(target=stream, args=(gateway,))
        reader.start()
        assert arrived.wait(10)
        stopping = time.monotonic()
    stopped = time.monotonic() - stopping
    reader.join(10)
    assert stopped < 1.0 + 0.5
    (line,) = [line for line in gateway.said if line.startswith("POST")]
    assert " cut at shutdown " in line


def test_a_flood_of_log_records_costs_a_line_not_a_line_each(gateway: InProcess) -> None:
    logger = logging.getLogger("asyncio")
    before = len(gateway.said)
    for _ in range(1000):
        logger.error("socket.accept() out of system resource", exc_info=OSError(24, "x"))
    assert gateway.said[before:] == ["asyncio: error (OSError)"]


def test_a_flood_of_log_records_is_counted_when_the_next_period_begins(
    gateway: InProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(server, "REPORT_EVERY", 0.5)
    logger = logging.getLogger("aiohttp.server")
    before = len(gateway.said)
    for _ in range(3):
        logger.warning("a record without an exception")
    time.sleep(0.6)
    logger.warning("a record without an exception")
    logger.warning("a record without an exception")
    assert gateway.said[before:] == [
        "aiohttp.server: warning",
        "aiohttp.server: warning (2 more in the last 0.5s)",
    ]
    time.sleep(0.6)
    logger.warning("a record without an exception")
    assert gateway.said[before + 2 :] == ["aiohttp.server: warning (1 more in the last 0.5s)"]


def test_at_the_cap_a_clients_kept_alive_connection_outlives_newer_idle_ones(
    google: FakeGoogle, service_account: Path
) -> None:
    with in_process(google, *MODEL, files=64 + 20) as gateway:
        cap = gateway.gateway.budget.clients
        client = http.client.HTTPConnection(urlsplit(gateway.base_url).netloc, timeout=10)
        headers = {"authorization": f"Bearer {gateway.key}"}
        client.request("POST", "/v1/chat/completions", CHAT_BODY, headers)
        assert client.getresponse().read()  # kept alive, idle now, the oldest
        idle = [connect(gateway) for _ in range(cap - 1)]
        time.sleep(0.2)
        assert raw(gateway, "POST", "/v1/chat/completions", CHAT_BODY)[0] == 200
        client.request("POST", "/v1/chat/completions", CHAT_BODY, headers)
        assert client.getresponse().status == 200  # a squatter's connection went instead
        assert sum(closed_within(sock, 0.2) for sock in idle) == 1
        for sock in idle:
            sock.close()
        client.close()


# --- who holds a port ---------------------------------------------------------------------

TCP_TABLE = (
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
    "timeout inode\n"
    "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  4242 "
    "       0 777 1 0000000000000000 100 0 0 10 0\n"
    "   1: 0100007F:1F91 00000000:0000 01 00000000:00000000 00:00000000 00000000  4242 "
    "       0 778 1 0000000000000000 100 0 0 10 0\n"
)


def test_who_holds_a_port_is_read_from_proc_and_unknown_without_it(tmp_path: Path) -> None:
    assert holder.holder(8080, tmp_path) is None  # no /proc: nothing said
    (tmp_path / "net").mkdir()
    (tmp_path / "net" / "tcp").write_text(TCP_TABLE)
    assert holder.holder(8080, tmp_path) == "uid 4242"  # the user, always; no process seen
    assert holder.holder(8081, tmp_path) is None  # a connection, not a listener
    fds = tmp_path / "31337" / "fd"
    fds.mkdir(parents=True)
    (fds / "5").symlink_to("socket:[777]")
    (tmp_path / "31337" / "comm").write_text("squatter\n")
    assert holder.holder(8080, tmp_path) == "pid 31337 (squatter), uid 4242"
    assert holder.someone_else(8080, tmp_path)
