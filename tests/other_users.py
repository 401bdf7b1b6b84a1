"""Other users for the shared-folder tests: a victim and a team beside conftest's NOBODY,
and the CLI run as any of them."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

from tests.conftest import Attacker

VICTIM = 40001
TEAM = 40100


def as_user(uid: int, gids: Sequence[int], action: Callable[[], str], timeout: float = 30) -> str:
    """`action` run as `uid` with the groups `gids` (we are root in CI); what it returned."""
    preload()
    with Attacker(action, uid, gids, timeout) as user:
        pass
    return user.said


def preload() -> None:
    """Import, while still root, everything a run may import lazily: the interpreter's own
    folders (under /root) are closed to the user we become, and the fork keeps what is
    loaded."""
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
