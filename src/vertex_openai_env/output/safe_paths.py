"""Where a write may go when other users share the machine.

Links are followed one path component at a time, and only links of our own (or root's:
the system's) are followed at all, wherever they are: a stricter rule than the kernel's
`protected_symlinks`, and one that holds whatever the host's setting. A file of another
user is written (keeping its owner) only by root, and only where that user cannot write
the folder, so that root's token never lands in a file another user planted.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ..errors import OutputError, reason

_HOPS = 40  # as the kernel's limit on links followed in one lookup
_OTHERS_WRITE = stat.S_IWGRP | stat.S_IWOTH


def uid() -> int | None:
    """Our user ID; None where files have no POSIX owners, so any owner counts as ours."""
    return os.geteuid() if hasattr(os, "geteuid") else None


def real_path(path: Path) -> Path:
    """The file `path` names, its folders and links resolved under the rule above.

    The file itself may not exist yet; every folder on the way must.
    """
    # Not os.path.abspath: it drops `link/..` as text, where the kernel follows the link first.
    pending = list((path if path.is_absolute() else Path.cwd() / path).parts)
    current = Path(pending.pop(0))
    hops = 0
    while pending:
        name = pending.pop(0)
        if name == "..":
            current = current.parent
            continue
        step = current / name
        try:
            info = os.lstat(step)
        except FileNotFoundError:
            if pending:
                raise OutputError(f"cannot write {path}: folder {step} does not exist") from None
            return step
        except OSError as exc:
            raise OutputError(f"cannot write {path}: {reason(exc)} at {step}") from exc
        if not stat.S_ISLNK(info.st_mode):
            current = step
            continue
        hops += 1
        pointed = os.readlink(step)
        if hops > _HOPS:
            raise OutputError(f"cannot write {path}: too many levels of symbolic links")
        if uid() is not None and info.st_uid not in (uid(), 0):
            raise OutputError(
                f"refusing to follow the link {step} -> {pointed}: it belongs to another "
                f"user (uid {info.st_uid})",
                fix="remove the link, or point --env-file at a file of your own",
            )
        parts = Path(pointed).parts
        if os.path.isabs(pointed):
            current = Path(parts[0])
            parts = parts[1:]
        pending = [*parts, *pending]
    return current


def check_owner(target: Path, owner: int, shown_as: Path) -> None:
    """OutputError unless we may replace `target`, a file of user `owner`, keeping its owner."""
    me = uid()
    if me is None or owner == me:
        return
    if me != 0:
        raise OutputError(
            f"{shown_as} belongs to another user (uid {owner}); not replacing it",
            fix="run as that user, or point --env-file at a file of your own",
        )
    folder = os.stat(target.parent)
    if folder.st_uid == owner or folder.st_mode & _OTHERS_WRITE:
        raise OutputError(
            f"{shown_as} belongs to another user (uid {owner}) who can write its folder "
            f"{target.parent}: root's token would be theirs; not writing it",
            fix="point --env-file at a file in a folder only root can write",
        )
