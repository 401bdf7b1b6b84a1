"""Other users for the shared-folder tests: run a function as any uid and groups (we are
root in CI), in a fork, as tests.conftest.Attacker does."""

from __future__ import annotations

import os
import select
import signal
import sys
from collections.abc import Callable, Sequence

VICTIM = 40001
ATTACKER = 65534  # nobody
TEAM = 40100


def as_user(uid: int, gids: Sequence[int], action: Callable[[], str], timeout: float = 30) -> str:
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(read_end)
        try:
            preload()
            os.setgroups(list(gids))
            os.setgid(gids[0] if gids else uid)
            os.setuid(uid)
            text = action()
        except BaseException as exc:
            text = f"{type(exc).__name__}: {exc}"
        os.write(write_end, text.encode())
        os._exit(0)
    os.close(write_end)
    ready, _, _ = select.select([read_end], [], [], timeout)
    if not ready:
        os.kill(pid, signal.SIGKILL)
    with os.fdopen(read_end, "rb") as stream:
        said = stream.read().decode()
    os.waitpid(pid, 0)
    return said


def preload() -> None:
    """Import, while still root, everything a run may import lazily: the interpreter's own
    folders (under /root) are closed to the user we become."""
    import importlib
    import pkgutil

    import vertex_openai_env

    for info in pkgutil.walk_packages(vertex_openai_env.__path__, "vertex_openai_env."):
        if not info.name.endswith("__main__"):
            importlib.import_module(info.name)
    for name in (
        "google.auth.transport.requests",
        "google.oauth2.service_account",
        "google.oauth2.credentials",
        "google.auth.compute_engine",
        "google.auth.impersonated_credentials",
        "google.auth.crypt",
        "cryptography.hazmat.primitives.serialization",
        "dotenv.main",
        "requests",
        "configparser",
        "uuid",
        "ipaddress",
        "encodings.idna",
        "urllib.request",
    ):
        importlib.import_module(name)


def cli(*args: str) -> Callable[[], str]:
    """The CLI run in-process (in the forked child); returns 'rc=N' and its stderr."""

    def action() -> str:
        import io

        from vertex_openai_env.cli import main

        err = io.StringIO()
        old = sys.stderr
        sys.stderr = err
        try:
            try:
                main(list(args))
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
        finally:
            sys.stderr = old
        return f"rc={code}\n{err.getvalue()}"

    return action
