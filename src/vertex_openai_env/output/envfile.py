"""Updating a `.env` file in place: our keys changed, every other byte kept, one atomic swap.

A symlinked `.env` is written through to its target and the link is kept, as long as the
kernel's `protected_symlinks` rule would follow it, whatever the host's setting. Runs of
this tool take turns on a lock on the file's folder; anything else that writes the file
meanwhile (`>>` from a shell) is noticed just before the swap, and the merge starts over.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import NamedTuple

from .. import atomic
from ..errors import OutputError, reason
from .dotenv_text import merge

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory locks, replace is still atomic
    fcntl = None  # type: ignore[assignment]

ATTEMPTS = 5  # merges started over because someone else wrote the file meanwhile
_SHARED = stat.S_ISVTX | stat.S_IWOTH  # sticky and world-writable: /tmp and its kind


def update(path: Path, variables: Mapping[str, str]) -> int:
    """Set `variables` in the `.env` file at `path` (created 0600); returns the file's mode."""
    return _rewrite(path, lambda text: merge(text, variables), create=True)


def remove(path: Path, names: tuple[str, ...], keeping: Mapping[str, str] | None = None) -> int:
    """Remove the lines setting `names` (but set those in `keeping`) from the `.env` file at
    `path`; returns its mode. A file that does not exist is left so: nothing to remove."""
    changes = {**dict.fromkeys(names), **(keeping or {})}
    return _rewrite(path, lambda text: merge(text, changes), create=False)


class _Seen(NamedTuple):
    """The file as it was read: its text, and what tells a later change."""

    text: str
    mode: int
    owner: tuple[int, int] | None
    identity: tuple[int, int, int] | None  # inode, size, mtime_ns; None: no file yet


def _rewrite(path: Path, change: Callable[[str], str], create: bool) -> int:
    target = _follow(path)
    folder = target.parent
    if not folder.is_dir():
        raise OutputError(f"cannot write {path}: folder {folder} does not exist")
    with _locked(folder):
        for _ in range(ATTEMPTS):
            seen = _read(target, path)
            if seen.identity is None and not create:
                return 0
            try:
                _write(target, change(seen.text), seen, path)
            except atomic.Changed:
                continue  # written by someone else meanwhile: read it again, merge again
            return seen.mode
    raise OutputError(f"{path} kept changing while being rewritten; not changing it")


def _follow(path: Path) -> Path:
    """The file `path` names, following links only as `protected_symlinks` would.

    In a sticky world-writable folder, a link is followed only if it belongs to us or to
    the folder's owner; and root writes another user's file through a link only if the
    link is root's own. Our own links elsewhere (dotfile managers) are followed.
    """
    current = Path(os.path.abspath(path))
    link_owners: list[int] = []
    for _ in range(40):
        try:
            info = os.lstat(current)
        except FileNotFoundError:
            return current
        except OSError as exc:
            raise OutputError(f"cannot read {current}: {reason(exc)}") from exc
        if not stat.S_ISLNK(info.st_mode):
            _check_owner_through_links(current, info, link_owners, path)
            return current
        pointed = os.readlink(current)
        folder = current.parent
        shared = os.stat(folder)
        if shared.st_mode & _SHARED == _SHARED and info.st_uid not in (_uid(), shared.st_uid):
            raise OutputError(
                f"refusing to follow the link {current} -> {pointed}: it belongs to another "
                f"user (uid {info.st_uid}) in the shared folder {folder}",
                fix="remove the link, or point --env-file at a file of your own",
            )
        link_owners.append(info.st_uid)
        current = Path(os.path.abspath(folder / pointed))
    raise OutputError(f"cannot write {path}: too many levels of symbolic links")


def _check_owner_through_links(
    target: Path, info: os.stat_result, link_owners: list[int], path: Path
) -> None:
    if not link_owners or info.st_uid == _uid() or _uid() is None:
        return
    if _uid() == 0 and all(owner == 0 for owner in link_owners):
        return
    raise OutputError(
        f"refusing to write {target} through the link {path}: the file belongs to another "
        f"user (uid {info.st_uid})",
        fix="point --env-file at a file of your own",
    )


def _read(target: Path, shown_as: Path) -> _Seen:
    """The current text, the mode to keep (0600 when new), the owner to keep, its identity."""
    try:
        fd = os.open(
            target, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        )
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
    owner = (info.st_uid, info.st_gid) if _uid() is not None else None
    return _Seen(text, mode, owner, _identity(info))


def _identity(info: os.stat_result) -> tuple[int, int, int]:
    return info.st_ino, info.st_size, info.st_mtime_ns


def _unchanged(target: Path, seen: _Seen) -> Callable[[], bool]:
    def check() -> bool:
        try:
            return _identity(os.lstat(target)) == seen.identity
        except FileNotFoundError:
            return seen.identity is None

    return check


def _write(target: Path, text: str, seen: _Seen, shown_as: Path) -> None:
    owner = seen.owner
    if owner is not None and owner[0] == _uid():
        owner = None
    elif owner is not None and _uid() not in (0, None):
        raise OutputError(
            f"{shown_as} belongs to another user (uid {owner[0]}); not replacing it",
            fix="run as that user, or point --env-file at a file of your own",
        )
    try:
        atomic.replace(target, text.encode("utf-8"), seen.mode, owner, _unchanged(target, seen))
    except OSError as exc:
        raise OutputError(
            f"cannot write {shown_as}: {reason(exc)} in folder {target.parent}"
        ) from exc


def _uid() -> int | None:
    """Our user ID; None where files have no POSIX owners, so any owner counts as ours."""
    return os.geteuid() if hasattr(os, "geteuid") else None


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on `folder` so that writers of files in it take turns."""
    if fcntl is None:
        yield
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError as exc:
        raise OutputError(f"cannot open folder {folder}: {reason(exc)}") from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
