"""A loopback stand-in for Google: OAuth token endpoint, metadata server, IAM and Vertex AI.

It checks what real Google checks where a wrong request would otherwise pass unnoticed:
JWT signatures from service-account keys, refresh tokens, bearer tokens it issued (and
their expiry), request paths and the model of a chat call.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import secrets
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

Json = dict[str, Any]
# A body of bytes goes out with a content-length; an iterable, chunk by chunk as it yields.
Reply = tuple[int, dict[str, str], bytes | Iterable[bytes]]

GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
DRIP = "x-fake-drip"  # a reply header the fake consumes: seconds between body bytes
_KEY: rsa.RSAPrivateKey | None = None


def private_key() -> rsa.RSAPrivateKey:
    """One RSA key for the whole run: generating keys is slow."""
    global _KEY
    if _KEY is None:
        _KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return _KEY


@dataclass
class Call:
    """One request the fake received."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    received: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    def json(self) -> Json:
        return dict(json.loads(self.body))

    def form(self) -> dict[str, str]:
        return {key: values[0] for key, values in parse_qs(self.body.decode()).items()}

    @property
    def bearer(self) -> str | None:
        value = self.headers.get("authorization", "")
        return value[len("Bearer ") :] if value.startswith("Bearer ") else None


@dataclass
class FakeGoogle:
    """Start with `with FakeGoogle() as google:`; `google.url` is its root URL."""

    token_lifetime: int = 3599
    project: str = "demo-project"
    sa_email: str = "runner@demo-project.iam.gserviceaccount.com"
    refresh_token: str = field(default_factory=lambda: "rt-" + secrets.token_urlsafe(12))
    calls: list[Call] = field(default_factory=list)
    issued: dict[str, datetime] = field(default_factory=dict)
    faults: dict[str, list[Callable[[Call], Reply | None]]] = field(default_factory=dict)
    chats: list[Call] = field(default_factory=list)
    max_impersonation_lifetime: int = 43200
    iam_denied: set[str] = field(default_factory=set)
    next_tokens: list[str] = field(default_factory=list)
    endpoints: dict[str, list[Json]] = field(default_factory=dict)
    stream_chunks: int = 5  # a `"stream": true` chat answers in this many SSE events...
    stream_gap: float = 0.1  # ...this many seconds apart
    _server: ThreadingHTTPServer | None = None
    _stop: threading.Event = field(default_factory=threading.Event)

    # -- lifecycle -----------------------------------------------------------------------

    def __enter__(self) -> FakeGoogle:
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

    @property
    def token_uri(self) -> str:
        return f"{self.url}/token"

    # -- what tests set up and read --------------------------------------------------------

    def service_account_file(self, folder: Path, **extra: str) -> Path:
        """A real service-account key file whose token_uri is this fake."""
        pem = private_key().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        info = {
            "type": "service_account",
            "project_id": self.project,
            "private_key_id": "test-key-1",
            "private_key": pem.decode(),
            "client_email": self.sa_email,
            "client_id": "1234567890",
            "token_uri": self.token_uri,
            **extra,
        }
        path = folder / "service-account.json"
        path.write_text(json.dumps(info))
        return path

    def external_account_file(self, folder: Path, **extra: str) -> Path:
        """A workload identity federation file: a subject token from a file, exchanged here."""
        subject = folder / "oidc-token"
        subject.write_text("eyJhbGciOiJSUzI1NiJ9.subject.signature")
        config = {
            "type": "external_account",
            "audience": "//iam.googleapis.com/projects/123/locations/global"
            "/workloadIdentityPools/pool/providers/github",
            "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
            "token_url": self.token_uri,
            "credential_source": {"file": str(subject)},
            **extra,
        }
        path = folder / "external-account.json"
        path.write_text(json.dumps(config))
        return path

    def authorized_user_info(self) -> Json:
        """What `gcloud auth application-default login` writes."""
        return {
            "type": "authorized_user",
            "client_id": "764086051850-test.apps.googleusercontent.com",
            "client_secret": "test-secret",
            "refresh_token": self.refresh_token,
            "quota_project_id": self.project,
            "account": "",
            "universe_domain": "googleapis.com",
        }

    def fail_next(self, path: str, *replies: Callable[[Call], Reply | None]) -> None:
        """Answer the next requests to `path` with these replies, in order."""
        self.faults.setdefault(path, []).extend(replies)

    def count(self, path: str) -> int:
        return sum(1 for call in self.calls if call.path == path)

    def drip(
        self, pause: float, status: int = 200, body: Json | None = None
    ) -> Callable[[Call], Reply]:
        """A fault: a reply whose body comes one byte every `pause` seconds."""
        data = json.dumps(body if body is not None else {"endpoints": []}).encode()
        return lambda call: (status, {"content-type": "application/json", DRIP: str(pause)}, data)

    def hang(self) -> Callable[[Call], Reply]:
        """A fault: answer only when the fake shuts down, as a server that never replies."""

        def never(call: Call) -> Reply:
            self._stop.wait(120)
            return json_reply(504, {})

        return never

    def issue(self, lifetime: int | None = None) -> tuple[str, datetime]:
        token = (
            self.next_tokens.pop(0)
            if self.next_tokens
            else "ya29.fake-" + secrets.token_urlsafe(24)
        )
        expiry = datetime.now(timezone.utc) + timedelta(seconds=lifetime or self.token_lifetime)
        self.issued[token] = expiry
        return token, expiry

    def valid(self, token: str | None) -> bool:
        expiry = self.issued.get(token or "")
        return expiry is not None and expiry > datetime.now(timezone.utc)

    # -- the routes --------------------------------------------------------------------------

    def _routes(self) -> Iterator[tuple[str, re.Pattern[str], Callable[..., Reply]]]:
        yield "POST", re.compile(r"/token"), self._token
        yield "GET", re.compile(r"/"), self._metadata_root
        yield "GET", re.compile(r"/computeMetadata/v1/project/project-id"), self._md_project
        yield (
            "GET",
            re.compile(r"/computeMetadata/v1/instance/service-accounts/default/"),
            self._md_info,
        )
        yield (
            "GET",
            re.compile(r"/computeMetadata/v1/instance/service-accounts/default/token"),
            self._md_token,
        )
        yield (
            "GET",
            re.compile(r"/computeMetadata/v1/instance/service-accounts/default/email"),
            self._md_email,
        )
        yield (
            "POST",
            re.compile(r"/v1/projects/-/serviceAccounts/(?P<sa>[^/:]+):generateAccessToken"),
            self._generate_access_token,
        )
        yield (
            "POST",
            re.compile(
                r"/(?P<version>v1|v1beta1)/projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)"
                r"/endpoints/(?P<endpoint>[^/]+)/chat/completions"
            ),
            self._chat,
        )
        yield (
            "POST",
            re.compile(
                r"/(?P<version>v1|v1beta1)/projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)"
                r"/endpoints/(?P<endpoint>[^/]+)/embeddings"
            ),
            self._embeddings,
        )
        yield (
            "GET",
            re.compile(r"/v1/projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)/endpoints"),
            self._list_endpoints,
        )
        yield (
            "GET",
            re.compile(
                r"/v1/projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)"
                r"/endpoints/(?P<endpoint>[^/]+)"
            ),
            self._get_endpoint,
        )

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        call = Call(
            method=handler.command,
            path=parts.path,
            query=parse_qs(parts.query),
            headers={key.lower(): value for key, value in handler.headers.items()},
            body=_read_body(handler),
        )
        self.calls.append(call)
        reply = self._fault(call) or self._route(call)
        status, headers, body = reply
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
        for chunk in body:
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        handler.wfile.write(b"0\r\n\r\n")

    def _fault(self, call: Call) -> Reply | None:
        pending = self.faults.get(call.path)
        if not pending:
            return None
        return pending.pop(0)(call)

    def _route(self, call: Call) -> Reply:
        for method, pattern, handler in self._routes():
            match = pattern.fullmatch(call.path)
            if match and method == call.method:
                return handler(call, **match.groupdict())
        return json_reply(404, {"error": {"code": 404, "message": f"no route {call.path}"}})

    def _token(self, call: Call) -> Reply:
        form = call.form()
        grant = form.get("grant_type")
        if grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            problem = self._check_jwt(form.get("assertion", ""))
        elif grant == "refresh_token":
            problem = None if form.get("refresh_token") == self.refresh_token else "bad refresh"
        elif grant == "urn:ietf:params:oauth:grant-type:token-exchange":
            problem = None if form.get("subject_token") else "no subject token"
        else:
            problem = f"unsupported grant {grant}"
        if problem:
            return json_reply(400, {"error": "invalid_grant", "error_description": problem})
        token, _ = self.issue()
        answer = {"access_token": token, "expires_in": self.token_lifetime, "token_type": "Bearer"}
        if grant == "urn:ietf:params:oauth:grant-type:token-exchange":
            answer["issued_token_type"] = "urn:ietf:params:oauth:token-type:access_token"
        return json_reply(200, answer)

    def _check_jwt(self, assertion: str) -> str | None:
        try:
            header, payload, signature = assertion.split(".")
            private_key().public_key().verify(
                _unb64(signature),
                f"{header}.{payload}".encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
            claims = json.loads(_unb64(payload))
        except Exception as exc:
            return f"bad JWT: {type(exc).__name__}"
        # google-auth signs for Google's own token endpoint whatever the key's token_uri says.
        if claims.get("iss") != self.sa_email or claims.get("aud") != GOOGLE_TOKEN_URI:
            return "wrong issuer or audience"
        if claims.get("exp", 0) < time.time():
            return "expired assertion"
        return None

    def _metadata_root(self, call: Call) -> Reply:
        return 200, {"metadata-flavor": "Google", "content-type": "text/plain"}, b"computeMetadata/"

    def _md_project(self, call: Call) -> Reply:
        return metadata_reply(self.project.encode())

    def _md_info(self, call: Call) -> Reply:
        info = {
            "email": self.sa_email,
            "scopes": ["https://www.googleapis.com/auth/cloud-platform"],
        }
        return metadata_reply(json.dumps(info).encode(), "application/json")

    def _md_email(self, call: Call) -> Reply:
        if call.headers.get("metadata-flavor") != "Google":
            return 403, {}, b"missing Metadata-Flavor"
        return metadata_reply(self.sa_email.encode())

    def _md_token(self, call: Call) -> Reply:
        if call.headers.get("metadata-flavor") != "Google":
            return 403, {}, b"missing Metadata-Flavor"
        token, _ = self.issue()
        body = {"access_token": token, "expires_in": self.token_lifetime, "token_type": "Bearer"}
        return metadata_reply(json.dumps(body).encode(), "application/json")

    def _generate_access_token(self, call: Call, sa: str) -> Reply:
        if not self.valid(call.bearer):
            return json_reply(401, {"error": {"code": 401, "status": "UNAUTHENTICATED"}})
        request = call.json()
        lifetime = int(str(request.get("lifetime", "3600s")).rstrip("s"))
        if sa in self.iam_denied:
            message = "Permission 'iam.serviceAccounts.getAccessToken' denied on resource"
            return json_reply(403, iam_error(403, message, "PERMISSION_DENIED"))
        if lifetime > self.max_impersonation_lifetime:
            message = (
                f"Access tokens for service account {sa} can not have lifetimes of more than "
                "1 hour. Use the Org Policy Constraint constraints/iam."
                "allowServiceAccountCredentialLifetimeExtension to allow up to 12 hours."
            )
            return json_reply(400, iam_error(400, message, "INVALID_ARGUMENT"))
        token, expiry = self.issue(lifetime)
        return json_reply(
            200, {"accessToken": token, "expireTime": expiry.strftime("%Y-%m-%dT%H:%M:%SZ")}
        )

    def _chat(self, call: Call, version: str, project: str, location: str, endpoint: str) -> Reply:
        if not self.valid(call.bearer):
            return json_reply(401, {"error": {"code": 401, "message": "invalid token"}})
        self.chats.append(call)
        request = call.json()
        model = request.get("model", "")
        text = f"Hello from {model or endpoint} in {project}/{location}"
        if request.get("stream"):
            headers = {"content-type": "text/event-stream", "cache-control": "no-cache"}
            return 200, headers, self._events(model, text)
        return json_reply(
            200,
            {
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": text},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 3, "completion_tokens": 7, "total_tokens": 10},
            },
        )

    def _events(self, model: str, text: str) -> Iterator[bytes]:
        """The answer as `chat.completion.chunk` events, `stream_gap` seconds apart."""
        words = text.split(" ")
        size = -(-len(words) // self.stream_chunks)
        pieces = [" ".join(words[i : i + size]) for i in range(0, len(words), size)]
        for index, piece in enumerate(pieces):
            if index:
                time.sleep(self.stream_gap)
            last = index == len(pieces) - 1
            piece += "" if last else " "  # the pieces add up to `text`, byte for byte
            chunk = {
                "id": "chatcmpl-fake",
                "object": "chat.completion.chunk",
                "created": int(time.time()),
                "model": model,
                "choices": [
                    {
                        "index": 0,
                        "delta": {"role": "assistant", "content": piece},
                        "finish_reason": "stop" if last else None,
                    }
                ],
            }
            yield b"data: " + json.dumps(chunk).encode() + b"\n\n"
        yield b"data: [DONE]\n\n"

    def _embeddings(
        self, call: Call, version: str, project: str, location: str, endpoint: str
    ) -> Reply:
        if not self.valid(call.bearer):
            return json_reply(401, {"error": {"code": 401, "message": "invalid token"}})
        request = call.json()
        texts = request["input"] if isinstance(request["input"], list) else [request["input"]]
        data = []
        for index, text in enumerate(texts):
            vector = [float(len(text)), 0.5, -1.0]  # what a test can predict
            if request.get("encoding_format") == "base64":
                packed = struct.pack(f"<{len(vector)}f", *vector)
                data.append({"object": "embedding", "index": index,
                             "embedding": base64.b64encode(packed).decode()})  # fmt: skip
            else:
                data.append({"object": "embedding", "index": index, "embedding": vector})
        tokens = sum(len(text.split()) for text in texts)
        usage = {"prompt_tokens": tokens, "total_tokens": tokens}
        return json_reply(
            200, {"object": "list", "data": data, "model": request.get("model"), "usage": usage}
        )

    def _list_endpoints(self, call: Call, project: str, location: str) -> Reply:
        if not self.valid(call.bearer):
            return json_reply(401, {"error": {"code": 401, "status": "UNAUTHENTICATED"}})
        pages = self.endpoints.get(location, [])
        token = call.query.get("pageToken", ["0"])[0]
        index = int(token) if token.isdigit() else 0
        page: Json = {"endpoints": pages[index : index + 2]} if pages else {}
        if index + 2 < len(pages):
            page["nextPageToken"] = str(index + 2)
        return json_reply(200, page)

    def _get_endpoint(self, call: Call, project: str, location: str, endpoint: str) -> Reply:
        if not self.valid(call.bearer):
            return json_reply(401, {"error": {"code": 401, "status": "UNAUTHENTICATED"}})
        for item in self.endpoints.get(location, []):
            if item["name"].rsplit("/", 1)[-1] == endpoint:
                return json_reply(200, item)
        return json_reply(404, {"error": {"code": 404, "status": "NOT_FOUND"}})


def json_reply(status: int, body: Json) -> Reply:
    return status, {"content-type": "application/json"}, json.dumps(body).encode()


def vertex_error(kind: str, project: str = "my-proj") -> Callable[[Call], Reply]:
    """A fault: Vertex AI's own error reply for `kind`, as Google shapes it."""
    info = "type.googleapis.com/google.rpc.ErrorInfo"
    errors: dict[str, tuple[int, str, str, list[Json]]] = {
        "unauthenticated": (401, "UNAUTHENTICATED", "Request had invalid authentication credentials.", []),
        "permission": (
            403,
            "PERMISSION_DENIED",
            "Permission 'aiplatform.endpoints.predict' denied on resource (or it may not exist).",
            [{"@type": info, "reason": "IAM_PERMISSION_DENIED",
              "metadata": {"permission": "aiplatform.endpoints.predict"}}],
        ),
        "api_disabled": (
            403,
            "PERMISSION_DENIED",
            f"Vertex AI API has not been used in project {project} before or it is disabled.",
            [{"@type": info, "reason": "SERVICE_DISABLED",
              "metadata": {"service": "aiplatform.googleapis.com"}}],
        ),
        "quota_project": (
            403,
            "PERMISSION_DENIED",
            "Your application is authenticating by using local Application Default "
            "Credentials. The aiplatform.googleapis.com API requires a quota project, which "
            "is not set by default.",
            [{"@type": info, "reason": "SERVICE_DISABLED",
              "metadata": {"consumer": "projects/764086051850"}}],
        ),
        "not_found": (404, "NOT_FOUND", "Publisher Model was not found.", []),
        "exhausted": (429, "RESOURCE_EXHAUSTED", "Resource has been exhausted.", []),
        "unavailable": (503, "UNAVAILABLE", "The service is currently unavailable.", []),
    }  # fmt: skip
    code, status, message, details = errors[kind]
    body = {"error": {"code": code, "message": message, "status": status, "details": details}}
    return lambda call: json_reply(code, body)


def iam_error(code: int, message: str, status: str) -> Json:
    return {"error": {"code": code, "message": message, "status": status}}


def metadata_reply(body: bytes, content_type: str = "application/text") -> Reply:
    return 200, {"metadata-flavor": "Google", "content-type": content_type}, body


def status_reply(
    status: int, body: bytes = b"", content_type: str = "text/html"
) -> Callable[[Call], Reply]:
    """A fault: answer with this status and body."""
    return lambda call: (status, {"content-type": content_type}, body)


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


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def main() -> None:
    """`python -m tests.fake_google`: the stand-in, and what to type to use it by hand."""
    import tempfile

    with FakeGoogle() as google, tempfile.TemporaryDirectory() as folder:
        key = google.service_account_file(Path(folder))  # signed by this process's key
        print(f"A stand-in for Google listens on {google.url}. In another shell:\n")
        print(f"  export GOOGLE_APPLICATION_CREDENTIALS={key}")
        print(f"  export VERTEX_OPENAI_ENV_API_ENDPOINT={google.url}")
        print("  vertex-openai-env --location us-central1 --model gemini-2.5-flash check --probe")
        print("\nCtrl-C stops it (and deletes the key).", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
