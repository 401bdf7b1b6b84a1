"""Gateways for the tests: one in this process on a thread of its own, or `serve` as a process.

Both run the real code against the loopback fake Google; the first starts in milliseconds,
the second is what a user runs (signals, stdout, exit status).
"""

from __future__ import annotations

import asyncio
import gc
import http.client
import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from openai import OpenAI

from tests.conftest import cli_env
from tests.fake_google import FakeGoogle
from vertex_openai_env import job
from vertex_openai_env.cli import main
from vertex_openai_env.gateway.key import new_key
from vertex_openai_env.gateway.server import Gateway, Settings
from vertex_openai_env.pipeline import prepare

PLACE = ("--project", "my-proj", "--location", "us-central1")
MODEL = ("--model", "gemini-2.5-flash")
ROOT = "/v1beta1/projects/my-proj/locations/us-central1/endpoints"
CHAT = f"{ROOT}/openapi/chat/completions"


class InProcess:
    """A gateway on its own event loop in a thread; `said` holds what it said on stderr."""

    def __init__(self, gateway: Gateway, said: list[str]) -> None:
        self.gateway = gateway
        self.said = said
        self.variables = gateway.variables()
        self.base_url = self.variables["OPENAI_BASE_URL"]
        self.key = self.variables["OPENAI_API_KEY"]

    def said_soon(self, words: str, within: float = 5.0) -> bool:
        """Whether a line holding `words` is said within `within` seconds: a streamed
        answer's log line follows its last byte, and may come after the client has read it."""
        until = time.monotonic() + within
        while not any(words in line for line in self.said):
            if time.monotonic() > until:
                return False
            time.sleep(0.02)
        return True

    def client(self, **options: Any) -> OpenAI:
        """The real OpenAI SDK, as the printed variables configure it."""
        return OpenAI(api_key=self.key, base_url=self.base_url, **options)


@contextmanager
def in_process(
    google: FakeGoogle, *args: str, api_endpoint: str | None = None, **settings: Any
) -> Iterator[InProcess]:
    """A gateway for `args` (the command line's job options) forwarding to `google`; when the
    block ends, nothing it said may hold a token `google` issued."""
    argv = [*PLACE, "--api-endpoint", api_endpoint or google.url, *args]
    context = main.make_context("vertex-openai-env", argv)
    exports = prepare(job.build(context.params, os.environ), os.environ)
    said: list[str] = []
    gateway = Gateway(exports, Settings(new_key(), **settings), os.environ, said.append)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="gateway", daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(gateway.start(), loop).result(30)
    try:
        yield InProcess(gateway, said)
    finally:
        asyncio.run_coroutine_threadsafe(gateway.stop(), loop).result(30)
        # As asyncio.run does: a token refresh still running in its thread ends on a loop
        # that is open (else its callback fails, and logs a traceback from that thread).
        asyncio.run_coroutine_threadsafe(loop.shutdown_default_executor(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
        gc.collect()  # now: a finalizer run later, in the middle of compiling, upsets 3.11
    leaked = [line for line in said for token in google.issued if token in line]
    assert not leaked, "the gateway said a Google token"


class Served:
    """`vertex-openai-env serve` as a process, its variables read from its JSON output."""

    def __init__(self, process: subprocess.Popen[str], variables: dict[str, str]) -> None:
        self.process = process
        self.variables = variables
        self.base_url = variables["OPENAI_BASE_URL"]
        self.key = variables["OPENAI_API_KEY"]

    def client(self, **options: Any) -> OpenAI:
        return OpenAI(api_key=self.key, base_url=self.base_url, **options)

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 20) -> tuple[int, str, str]:
        """Send `signum`; the exit status and what is left of stdout and stderr."""
        self.process.send_signal(signum)
        out, err = self.process.communicate(timeout=timeout)
        return self.process.returncode, out, err


def start_serve(*args: str, env: dict[str, str] | None = None) -> Served:
    """Start `serve ARGS --format json` and wait until it has printed its variables."""
    process = subprocess.Popen(
        ["vertex-openai-env", "serve", *args, "--format", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env or cli_env(),
    )
    assert process.stdout is not None
    watchdog = threading.Timer(30, process.kill)  # a gateway that never prints
    watchdog.start()
    text = line = ""
    try:
        while line != "}\n":  # the end of the JSON document
            line = process.stdout.readline()
            if not line:
                raise AssertionError("serve printed no variables")
            text += line
        return Served(process, json.loads(text)["env"])
    except BaseException as exc:
        process.kill()  # no gateway outlives a test that could not start it
        _, err = process.communicate()
        if isinstance(exc, Exception):
            raise AssertionError(f"serve did not start: {err}") from exc
        raise
    finally:
        watchdog.cancel()


@contextmanager
def serving(*args: str, env: dict[str, str] | None = None) -> Iterator[Served]:
    """`start_serve`, stopped (killed if need be) when the block ends."""
    served = start_serve(*args, env=env)
    try:
        yield served
    finally:
        if served.process.poll() is None:
            served.process.kill()
            served.process.communicate()


def raw(
    gateway: InProcess,
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """One request as sent, path untouched (no client normalises it); with the key unless
    `headers` say otherwise."""
    if headers is None:
        headers = {"authorization": f"Bearer {gateway.key}"}
    connection = http.client.HTTPConnection(urlsplit(gateway.base_url).netloc, timeout=30)
    connection.request(method, path, body=body or None, headers=headers)
    reply = connection.getresponse()
    answer = reply.status, {k.lower(): v for k, v in reply.getheaders()}, reply.read()
    connection.close()
    return answer
