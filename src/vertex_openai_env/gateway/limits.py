"""The gateway's budget of open files: the soft limit raised to the hard one at start (as Go
does), then shared between client connections and connections to Vertex AI.

Each request in flight costs two descriptors (its client's connection and one to Vertex
AI); a few dozen more go to the listening socket, the token refresh, the terminal. With
the budget kept below the limit, the gateway never meets EMFILE: a client beyond the cap
waits for a connection to Vertex AI, or is told to come back (503 and Retry-After).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import NamedTuple

RESERVE = 64  # descriptors kept for everything but client and upstream connections
UPSTREAM_MOST = 512  # connections to Vertex AI at once: far above its per-project quotas
UNLIMITED_TARGET = 65536  # what "unlimited" is taken to mean (macOS refuses more than its max)
MAC_MOST = 10240  # OPEN_MAX: macOS refuses a soft limit above kern.maxfilesperproc


class Budget(NamedTuple):
    """How many descriptors go where."""

    files: int  # the soft limit, once raised
    clients: int  # client connections open at once
    upstream: int  # connections to Vertex AI at once; more requests queue for one


_inherited: list[int] = []  # the soft limit before it was raised: what children get


def raise_file_limit() -> int:
    """Raise the soft limit on open files as far as the hard limit allows; the new soft
    limit (the old one when it cannot be raised, or on a system without limits)."""
    try:
        import resource
    except ImportError:  # Windows: no such limit to raise
        return 8192
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    _inherited[:] = [soft]
    target = UNLIMITED_TARGET if hard == resource.RLIM_INFINITY else hard
    for wanted in (target, min(target, MAC_MOST)):
        if soft != resource.RLIM_INFINITY and wanted <= soft:
            break
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            return wanted
        except (ValueError, OSError):
            continue
    return UNLIMITED_TARGET if soft == resource.RLIM_INFINITY else soft


def budget(files: int) -> Budget:
    """The shares of `files` descriptors: a quarter (at most UPSTREAM_MOST) to Vertex AI,
    the rest but RESERVE to clients."""
    usable = max(files - RESERVE, 16)
    upstream = max(min(usable // 4, UPSTREAM_MOST), 4)
    return Budget(files, usable - upstream, upstream)


@contextlib.contextmanager
def as_inherited() -> Iterator[None]:
    """The soft limit as this process got it, for a child started meanwhile (as Go's
    os/exec does): a program may use select(), which fails past descriptor 1,023."""
    if not _inherited:
        yield
        return
    import resource

    raised, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (_inherited[0], hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (raised, hard))
