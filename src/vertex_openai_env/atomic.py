"""Replacing a file so that readers see the old file or the new one, whole, never a part.

The new content goes to a temporary file beside the target (private from birth, named for
the writer's process), is flushed to disk, then renamed over the target in one step. An
interrupted writer removes its temporary file as it unwinds; one killed outright cannot,
so every writer first removes what writers that no longer run left behind.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

_SUFFIX = ".tmp"


def replace(
    target: Path, data: bytes, mode: int = 0o600, owner: tuple[int, int] | None = None
) -> None:
    """Make `target` hold `data` (with `mode`, and `owner` if given), atomically.

    OSError means nothing changed: the target is untouched and no temporary file remains.
    """
    sweep(target)
    temporary = target.parent / f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}{_SUFFIX}"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(temporary, flags, 0o600)
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
            stream.flush()
            if owner is not None:
                os.fchown(stream.fileno(), *owner)
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _sync(target.parent)


def sweep(target: Path) -> None:
    """Remove temporary files for `target` whose writer is no longer running."""
    if os.name != "posix":  # pragma: no cover - os.kill(pid, 0) would end a Windows process
        return
    for leftover in target.parent.glob(f".{target.name}.*{_SUFFIX}"):
        pid = leftover.name[len(target.name) + 2 :].split(".", 1)[0]
        if pid.isdigit() and not _running(int(pid)):
            with contextlib.suppress(OSError):
                leftover.unlink()


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    return True


def _sync(folder: Path) -> None:
    """Make the rename itself durable."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
