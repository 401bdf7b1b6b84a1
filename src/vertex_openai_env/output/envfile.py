"""Updating a `.env` file in place: our keys changed, every other byte kept, one atomic swap.

A symlinked `.env` is written through to its target and the link is kept, when the link
is ours (see `safe_paths`). Runs of this tool take turns on a lock on the file's folder;
anything else that writes the file meanwhile (`>>` from a shell, an editor saving) is
noticed just before the swap, by its bytes, and the merge starts over.
"""

from __future__ import annotations

import contextlib
import os
import stat
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import NamedTuple

from .. import atomic
from ..deadline import Deadline
from ..errors import OutputError, reason
from .dotenv_text import merge, values
from .safe_paths import check_owner, real_path, uid

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory locks, replace is still atomic
    fcntl = None  # type: ignore[assignment]

ATTEMPTS = 5  # merges started over because someone else wrote the file meanwhile


def update(path: Path, variables: Mapping[str, str], deadline: Deadline) -> int:
    """Set `variables` in the `.env` file at `path` (created 0600); returns the file's mode."""
    return _rewrite(path, lambda text: merge(text, variables), True, deadline)


def remove(
    path: Path, changes: Callable[[Mapping[str, str]], Mapping[str, str | None]], deadline: Deadline
) -> int:
    """Apply `changes` (None removes a line) to the `.env` file at `path`; returns its mode.

    `changes` is given the file's values as written, read under the lock: what to remove
    may depend on them. A file that does not exist is left so: nothing to remove.
    """
    return _rewrite(path, lambda text: merge(text, changes(values(text))), False, deadline)


class _Seen(NamedTuple):
    """The file as it was read: its text, the mode and owner to keep, its inode."""

    text: str
    mode: int
    owner: tuple[int, int] | None
    inode: int | None  # None: no file yet


def _rewrite(path: Path, change: Callable[[str], str], create: bool, deadline: Deadline) -> int:
    target = real_path(path)
    folder = target.parent
    if not folder.is_dir():
        raise OutputError(f"cannot write {path}: folder {folder} does not exist")
    with _locked(folder, deadline):
        for _ in range(ATTEMPTS):
            seen = _read(target, path)
            if seen.inode is None and not create:
                return 0
            try:
                _write(target, change(seen.text), seen, path)
            except atomic.Changed:
                continue  # written by someone else meanwhile: read it again, merge again
            return seen.mode
    raise OutputError(f"{path} kept changing while being rewritten; not changing it")


def _read(target: Path, shown_as: Path) -> _Seen:
    """The current text, the mode to keep (0600 when new), the owner to keep, its inode."""
    try:
        fd = _open(target)
    except FileNotFoundError:
        return _Seen("", 0o600, None, None)
    except OSError as exc:
        raise OutputError(f"cannot read {shown_as}: {reason(exc)}") from exc
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        kind = "a folder, not a file" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        raise OutputError(f"cannot write {shown_as}: it is {kind}")
    with os.fdopen(fd, "rb") as stream:
        mode = stat.S_IMODE(info.st_mode)
        if not mode & stat.S_IWUSR:
            raise OutputError(
                f"{shown_as} is read-only (mode {mode:04o}); not changing it",
                fix=f"chmod u+w {shown_as}",
            )
        try:
            text = stream.read().decode("utf-8")
        except OSError as exc:
            raise OutputError(f"cannot read {shown_as}: {reason(exc)}") from exc
        except UnicodeDecodeError as exc:
            raise OutputError(f"{shown_as} is not UTF-8 text; not changing it") from exc
    owner = (info.st_uid, info.st_gid) if uid() is not None else None
    return _Seen(text, mode, owner, info.st_ino)


def _open(target: Path) -> int:
    """A descriptor to read `target`: never through a link, never waiting on a FIFO."""
    return os.open(
        target, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    )


def _unchanged(target: Path, seen: _Seen) -> Callable[[], bool]:
    """Whether `target` is still the file that was read, holding the same bytes. Size and
    mtime cannot tell: a rewrite in place may keep the size, and a coarse clock (a second
    on HFS+ and FAT) the mtime."""

    def check() -> bool:
        try:
            fd = _open(target)
        except FileNotFoundError:
            return seen.inode is None
        except OSError:
            return False  # a link or worse now: read again, and say what it is
        with os.fdopen(fd, "rb") as stream:
            if os.fstat(fd).st_ino != seen.inode:
                return False
            return stream.read() == seen.text.encode("utf-8")

    return check


def _write(target: Path, text: str, seen: _Seen, shown_as: Path) -> None:
    owner = seen.owner
    if owner is not None:
        check_owner(target, owner[0], shown_as)
        if owner[0] == uid():
            owner = None
    try:
        atomic.replace(target, text.encode("utf-8"), seen.mode, owner, _unchanged(target, seen))
    except OSError as exc:
        raise OutputError(
            f"cannot write {shown_as}: {reason(exc)} in folder {target.parent}"
        ) from exc


@contextlib.contextmanager
def _locked(folder: Path, deadline: Deadline) -> Iterator[None]:
    """Hold an exclusive lock on `folder` so that writers of files in it take turns; give
    up by the deadline, since anyone who can read the folder can hold a lock on it."""
    if fcntl is None:
        yield
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError as exc:
        raise OutputError(f"cannot open folder {folder}: {reason(exc)}") from exc
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                step = f"the lock on folder {folder} (another process holds it)"
                time.sleep(min(0.05, deadline.left(step)))
        yield
    finally:
        os.close(fd)
