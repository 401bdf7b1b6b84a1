"""The stand-in's HTTP plumbing: one loopback server, the requests it received, and faults.

A role (token endpoint, metadata server, IAM, Vertex) yields routes; `Server` matches each
request against them, unless a fault queued with `fail_next` answers it first.
"""

from __future__ import annotations

import gzip
import html
import json
import re
import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

Json = dict[str, Any]
# A body of bytes goes out with a content-length; an iterable, chunk by chunk as it yields.
Reply = tuple[int, dict[str, str], bytes | Iterable[bytes]]
DRIP = "x-fake-drip"  # a reply header the fake consumes: seconds between body bytes
S = TypeVar("S", bound="Server")


@dataclass
class Call:
    """One request the fake received: `headers` by lowercase name (the last of duplicates
    wins), `raw_headers` exactly as sent (names as spelled, in order, duplicates kept), and
    `body` as its bytes came (still compressed if they were)."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    raw_headers: list[tuple[str, str]] = field(default_factory=list)
    received: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    def content(self) -> bytes:
        """The body, uncompressed when it came gzip-encoded."""
        if self.headers.get("content-encoding", "").lower() == "gzip":
            return gzip.decompress(self.body)
        return self.body

    def json(self) -> Json:
        return dict(json.loads(self.content()))

    def form(self) -> dict[str, str]:
        return {key: values[0] for key, values in parse_qs(self.body.decode()).items()}

    @property
    def bearer(self) -> str | None:
        value = self.headers.get("authorization", "")
        return value[len("Bearer ") :] if value.startswith("Bearer ") else None


Fault = Callable[[Call], Reply]  # a reply in place of the usual answer
Route = tuple[str, re.Pattern[str], Callable[..., Reply]]


class Disconnect(Exception):
    """Raised by a reply's body while it is sent: the connection closes there, unfinished."""


@dataclass
class Server:
    """The loopback server: start with `with`; `url` is its root. Every request lands in
    `calls`; `html_404` makes unknown paths answer Google's HTML 404 page instead of JSON."""

    calls: list[Call] = field(default_factory=list)
    faults: dict[str, list[Callable[[Call], Reply | None]]] = field(default_factory=dict)
    html_404: bool = False
    _server: ThreadingHTTPServer | None = None
    _stop: threading.Event = field(default_factory=threading.Event)

    def __enter__(self: S) -> S:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                # Without it a reply written in two parts waits for a delayed ACK (40 ms).
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_GET(self) -> None:
                fake._handle(self)

            def do_POST(self) -> None:
                fake._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def fail_next(self, path: str, *replies: Callable[[Call], Reply | None]) -> None:
        """Answer the next requests to `path` with these replies, in order (a reply that
        gives None lets the usual answer through)."""
        self.faults.setdefault(path, []).extend(replies)

    def count(self, path: str) -> int:
        return sum(1 for call in self.calls if call.path == path)

    def drip(self, pause: float, status: int = 200, body: Json | None = None) -> Fault:
        """A fault: a reply whose body comes one byte every `pause` seconds."""
        data = json.dumps(body if body is not None else {"endpoints": []}).encode()
        return lambda call: (status, {"content-type": "application/json", DRIP: str(pause)}, data)

    def hang(self) -> Fault:
        """A fault: answer only when the fake shuts down, as a server that never replies."""

        def never(call: Call) -> Reply:
            self._stop.wait(120)
            return json_reply(504, {})

        return never

    def _routes(self) -> Iterator[Route]:
        """What the roles answer: (method, path pattern, handler of the call and the
        pattern's named groups)."""
        return iter(())

    def _received(self, call: Call) -> None:
        self.calls.append(call)

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        call = Call(
            method=handler.command,
            path=parts.path,
            query=parse_qs(parts.query),
            headers={key.lower(): value for key, value in handler.headers.items()},
            body=_read_body(handler),
            raw_headers=list(handler.headers.items()),
        )
        self._received(call)
        status, headers, body = self._fault(call) or self._route(call)
        headers = dict(headers)
        pause = float(headers.pop(DRIP, "0"))
        handler.send_response(status)
        if isinstance(body, bytes):
            headers = {"content-length": str(len(body)), **headers}
        else:
            headers = {"transfer-encoding": "chunked", **headers}
        for key, value in headers.items():
            handler.send_header(key, value)
        handler.end_headers()
        if isinstance(body, bytes) and not pause:
            handler.wfile.write(body)
            return
        if isinstance(body, bytes):
            for byte in body:  # a server that answers one byte at a time
                if self._stop.wait(pause):
                    return
                handler.wfile.write(bytes([byte]))
                handler.wfile.flush()
            return
        try:
            for chunk in body:
                handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        except Disconnect:
            handler.close_connection = True  # no terminating chunk: the body breaks off
            return
        handler.wfile.write(b"0\r\n\r\n")

    def _fault(self, call: Call) -> Reply | None:
        pending = self.faults.get(call.path)
        if not pending:
            return None
        return pending.pop(0)(call)

    def _route(self, call: Call, **options: str) -> Reply:
        """The usual answer; `options` go to the handler (a fault's variation of it)."""
        for method, pattern, handler in self._routes():
            match = pattern.fullmatch(call.path)
            if match and method == call.method:
                return handler(call, **match.groupdict(), **options)
        if self.html_404:
            return not_found_page()(call)
        return json_reply(404, {"error": {"code": 404, "message": f"no route {call.path}"}})


def json_reply(status: int, body: Json | list[Json]) -> Reply:
    return status, {"content-type": "application/json"}, json.dumps(body).encode()


def status_reply(status: int, body: bytes = b"", content_type: str = "text/html") -> Fault:
    """A fault: answer with this status and body."""
    return lambda call: (status, {"content-type": content_type}, body)


def not_found_page() -> Fault:
    """A fault: the HTML 404 page Google's front end gives for a path no service serves."""

    def page(call: Call) -> Reply:
        body = (
            "<!DOCTYPE html>\n<html lang=en>\n  <meta charset=utf-8>\n"
            "  <title>Error 404 (Not Found)!!1</title>\n"
            "  <a href=//www.google.com/><span id=logo aria-label=Google></span></a>\n"
            "  <p><b>404.</b> <ins>That\u2019s an error.</ins>\n"
            f"  <p>The requested URL <code>{html.escape(call.path)}</code> was not found on "
            "this server.  <ins>That\u2019s all we know.</ins>\n"
        )
        return 404, {"content-type": "text/html; charset=UTF-8"}, body.encode()

    return page


def _read_body(handler: BaseHTTPRequestHandler) -> bytes:
    if handler.headers.get("transfer-encoding", "").lower() != "chunked":
        return handler.rfile.read(int(handler.headers.get("content-length") or 0))
    chunks = []
    while size := int(handler.rfile.readline().split(b";")[0], 16):
        chunks.append(handler.rfile.read(size))
        handler.rfile.readline()
    while handler.rfile.readline() not in (b"\r\n", b"\n", b""):
        pass  # trailers
    return b"".join(chunks)
