"""A loopback stand-in for Google: OAuth token endpoint, metadata server, IAM and Vertex AI.

It checks what real Google checks where a wrong request would otherwise pass unnoticed:
JWT signatures from service-account keys, refresh tokens, bearer tokens it issued (and
their expiry), request paths, and on Vertex's OpenAI endpoint what Vertex refuses. Each
role is a module of `tests/fake/`; this one puts them together and names what tests use.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from tests.fake.chat_errors import chat_error, listed_error, quoting_error
from tests.fake.iam import Iam, iam_error
from tests.fake.metadata import MetadataServer, metadata_reply
from tests.fake.server import (
    DRIP,
    Call,
    Disconnect,
    Fault,
    Json,
    Reply,
    Route,
    json_reply,
    not_found_page,
    status_reply,
)
from tests.fake.tokens import GOOGLE_TOKEN_URI, TokenEndpoint, private_key
from tests.fake.vertex_openai import VertexOpenAI
from tests.fake.vertex_rest import VertexRest, vertex_error

__all__ = [
    "DRIP", "GOOGLE_TOKEN_URI", "Call", "Disconnect", "FakeGoogle", "Fault", "Json", "Reply",
    "chat_error", "iam_error", "json_reply", "listed_error", "metadata_reply",
    "not_found_page", "private_key", "quoting_error", "status_reply", "vertex_error",
]  # fmt: skip


@dataclass
class FakeGoogle(TokenEndpoint, MetadataServer, Iam, VertexRest, VertexOpenAI):
    """Start with `with FakeGoogle() as google:`; `google.url` is its root URL."""

    def _routes(self) -> Iterator[Route]:
        yield from self.token_routes()
        yield from self.metadata_routes()
        yield from self.iam_routes()
        yield from self.vertex_openai_routes()
        yield from self.vertex_rest_routes()


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main() -> None:
    """`python -m tests.fake_google`: the stand-in, and what to type to use it by hand."""
    # SIGTERM (kill, a service manager) stops it as Ctrl-C does: the key file goes too.
    signal.signal(signal.SIGTERM, _interrupt)
    with (
        contextlib.suppress(KeyboardInterrupt),
        FakeGoogle() as google,
        tempfile.TemporaryDirectory() as folder,
    ):
        key = google.service_account_file(Path(folder))  # signed by this process's key
        print(f"A stand-in for Google listens on {google.url}. In another shell:\n")
        print(f"  export GOOGLE_APPLICATION_CREDENTIALS={key}")
        print(f"  export VERTEX_OPENAI_ENV_API_ENDPOINT={google.url}")
        tool = Path(sys.executable).parent / "vertex-openai-env"  # the venv's: maybe not on PATH
        command = os.path.relpath(tool) if tool.is_relative_to(Path.cwd()) else str(tool)
        print(f"  {command} --location us-central1 --model gemini-2.5-flash check --probe")
        print("\nCtrl-C stops it (and deletes the key).", flush=True)
        threading.Event().wait()


if __name__ == "__main__":
    main()
