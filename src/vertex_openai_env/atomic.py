"""Replacing a file so that readers see the old file or the new one, whole, never a part.

The new content goes to a temporary file beside the target (private from birth, named for
the writer's process), is flushed to disk, then renamed over the target in one step. An
interrupted writer removes its temporary file as it unwinds; one killed outright cannot,
so every writer first removes what writers that no longer run left behind.
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import stat
from collections.abc import Callable
from pathlib import Path

from . import signals

_SUFFIX = ".tmp"


class Changed(Exception):
    """The target changed while the new content was being written: nothing was replaced."""


def replace(
    target: Path,
    data: bytes,
    mode: int = 0o600,
    owner: tuple[int, int] | None = None,
    unchanged: Callable[[], bool] | None = None,
) -> None:
    """Make `target` hold `data` (with `mode`, and `owner` if given), atomically.

    `unchanged`, asked just before the rename, can call it off (Changed) when the target
    is no longer what `data` was made from. OSError and Changed mean nothing changed: the
    target is untouched and no temporary file remains.
    """
    import secrets

    sweep(target)
    temporary = target.parent / f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}{_SUFFIX}"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    with signals.held() as release:
        fd = os.open(temporary, flags, 0o600)
        try:
            release()  # a signal that came meanwhile unwinds here, where the file is removed
            with os.fdopen(fd, "wb") as stream:
                stream.write(data)
                stream.flush()
                # Owner and mode on the descriptor: a path could have been swapped for a
                # symlink by anyone who may rename entries in this folder.
                if owner is not None:
                    os.fchown(stream.fileno(), *owner)
                os.fchmod(stream.fileno(), mode)
                os.fsync(stream.fileno())
                _still_ours(temporary, os.fstat(stream.fileno()))
            if unchanged is not None and not unchanged():
                raise Changed(str(target))
            os.replace(temporary, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
    _sync(target.parent)


def _still_ours(temporary: Path, written: os.stat_result) -> None:
    """OSError unless `temporary` is still the file we wrote, not something put in its place."""
    now = os.lstat(temporary)
    if not stat.S_ISREG(now.st_mode) or (now.st_dev, now.st_ino) != (
        written.st_dev,
        written.st_ino,
    ):
        raise OSError(0, f"{temporary.name} was replaced by someone else while being written")


def sweep(target: Path) -> None:
    """Remove our own temporary files for `target` whose writer is no longer running.

    Anything else that merely looks like one (another user's, a link, a name with no
    process ID in it) is left alone: it is not ours to remove, and must not stop a write.
    """
    if os.name != "posix":  # pragma: no cover - os.kill(pid, 0) would end a Windows process
        return
    pattern = re.compile(rf"\.{re.escape(target.name)}\.([0-9]{{1,9}})\.[0-9a-f]{{8}}{_SUFFIX}")
    for leftover in target.parent.glob(f".{glob.escape(target.name)}.*{_SUFFIX}"):
        match = pattern.fullmatch(leftover.name)
        if not match or _running(int(match.group(1))):
            continue
        with contextlib.suppress(OSError):
            info = leftover.lstat()
            if stat.S_ISREG(info.st_mode) and info.st_uid == os.geteuid():
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
