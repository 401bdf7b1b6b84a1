"""Reading a secret from a file only we can read: the token cache's entries, the gateway's key.

Only the standard library, and little of it: a cache hit reads through here.
"""

from __future__ import annotations

import os
import stat

# O_NONBLOCK: opening a FIFO that has no writer would otherwise wait forever.
_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)


class NotPrivate(ValueError):
    """A file that cannot be trusted with a secret. The message says why (`belongs to another
    user (uid 65534)`); `kind` says it in a word: special, foreign or open."""

    def __init__(self, kind: str, problem: str) -> None:
        super().__init__(problem)
        self.kind = kind


def unsafe(info: os.stat_result) -> str | None:
    """Why a folder or file cannot be trusted with a secret, or None: it must be ours, and
    (on posix) closed to the group and others."""
    problem = _problem(info)
    return str(problem) if problem else None


def problem(info: os.stat_result) -> NotPrivate | None:
    """Why a file cannot be trusted with a secret (its kind said in a word), or None."""
    return _problem(info)


def read(path: str | os.PathLike[str], limit: int) -> bytes:
    """At most `limit` bytes of the regular file at `path`, if it is private to us.

    OSError when it cannot be opened (FileNotFoundError: there is none; a symbolic link
    is not followed), NotPrivate when it is not a regular file or not ours alone.
    """
    fd = os.open(path, _FLAGS)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):  # a folder, too, which fdopen would refuse
            raise NotPrivate("special", "is not a regular file")
        problem = _problem(info)
        if problem:
            raise problem
    except BaseException:
        os.close(fd)
        raise
    with os.fdopen(fd, "rb") as stream:
        return stream.read(limit)


def _problem(info: os.stat_result) -> NotPrivate | None:
    if hasattr(os, "geteuid") and info.st_uid != os.geteuid():
        return NotPrivate("foreign", f"belongs to another user (uid {info.st_uid})")
    if os.name == "posix" and stat.S_IMODE(info.st_mode) & 0o077:
        return NotPrivate("open", f"is open to others (mode {stat.S_IMODE(info.st_mode):04o})")
    return None
