"""Updating a `.env` file in place: our keys changed, every other byte kept, one atomic swap.

A symlinked `.env` is written through to its target and the link is kept. Concurrent
runs take turns on a lock held on the file's folder, so none loses another's lines.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import stat
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from dotenv.parser import parse_stream

from .. import atomic
from ..errors import OutputError, reason
from .formats.dotenv import line as dotenv_line

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory locks, replace is still atomic
    fcntl = None  # type: ignore[assignment]

_EXPORT = re.compile(r"export[^\S\r\n]+")
_LINE_END = re.compile(r"(\r\n|\n|\r)?\Z")
_BOM = "\ufeff"


def update(path: Path, variables: Mapping[str, str]) -> int:
    """Set `variables` in the `.env` file at `path` (created 0600); returns the file's mode."""
    return _rewrite(path, lambda text: merge(text, variables))


def remove(path: Path, names: tuple[str, ...]) -> int:
    """Remove the lines setting `names` from the `.env` file at `path`; returns its mode."""
    return _rewrite(path, lambda text: merge(text, dict.fromkeys(names)))


def merge(text: str, variables: Mapping[str, str | None]) -> str:
    """`text` with each of `variables` set (or removed, for None); other lines unchanged."""
    bom = _BOM if text.startswith(_BOM) else ""
    newline = _first_line_end(text)
    pending = {name: value for name, value in variables.items() if value is not None}
    out: list[str] = []
    for binding in parse_stream(io.StringIO(text)):
        original = binding.original.string
        key = binding.key
        if binding.error or key is None or key not in variables:
            out.append(original)
            continue
        pending.pop(key, None)
        out.append(_replaced(original, key, variables[key]))
    body = "".join(out)
    if pending:
        if body and not body.endswith(("\n", "\r")):
            body += newline
        body += "".join(dotenv_line(name, value) + newline for name, value in pending.items())
    return bom + body


def _replaced(original: str, name: str, value: str | None) -> str:
    """The binding `original` rewritten: leading blank lines kept, then the new line or none."""
    stripped = original.lstrip()
    leading = original[: len(original) - len(stripped)]
    if value is None:
        return leading
    export = _EXPORT.match(stripped)
    prefix = export.group(0) if export else ""
    match = _LINE_END.search(original)
    end = (match.group(1) if match else None) or ""
    line = dotenv_line(name, value)
    return f"{leading}{prefix}{line}{end}"


def _first_line_end(text: str) -> str:
    match = re.search(r"\r\n|\n|\r", text)
    return match.group(0) if match else "\n"


def _rewrite(path: Path, change: Callable[[str], str]) -> int:
    target = Path(os.path.realpath(path))
    folder = target.parent
    if not folder.is_dir():
        raise OutputError(f"cannot write {path}: folder {folder} does not exist")
    with _locked(folder):
        text, mode, owner = _read(target, path)
        _write(target, change(text), mode, owner, path)
    return mode


def _read(target: Path, shown_as: Path) -> tuple[str, int, tuple[int, int] | None]:
    """The current text, the mode to keep (0600 when new) and the owner to keep."""
    try:
        info = target.stat()
    except FileNotFoundError:
        return "", 0o600, None
    except OSError as exc:
        raise OutputError(f"cannot read {shown_as}: {reason(exc)}") from exc
    if stat.S_ISDIR(info.st_mode):
        raise OutputError(f"cannot write {shown_as}: it is a folder, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise OutputError(f"cannot write {shown_as}: it is not a regular file")
    mode = stat.S_IMODE(info.st_mode)
    if not mode & stat.S_IWUSR:
        raise OutputError(
            f"{shown_as} is read-only (mode {mode:04o}); not changing it",
            fix=f"chmod u+w {shown_as}",
        )
    try:
        raw = target.read_bytes()
        text = raw.decode("utf-8")
    except OSError as exc:
        raise OutputError(f"cannot read {shown_as}: {reason(exc)}") from exc
    except UnicodeDecodeError as exc:
        raise OutputError(f"{shown_as} is not UTF-8 text; not changing it") from exc
    return text, mode, (info.st_uid, info.st_gid) if _me() is not None else None


def _write(
    target: Path, text: str, mode: int, owner: tuple[int, int] | None, shown_as: Path
) -> None:
    me = _me()
    if owner == me:
        owner = None
    elif owner is not None and hasattr(os, "geteuid") and os.geteuid() != 0:
        raise OutputError(
            f"{shown_as} belongs to another user (uid {owner[0]}); not replacing it",
            fix="run as that user, or point --env-file at a file of your own",
        )
    try:
        atomic.replace(target, text.encode("utf-8"), mode, owner)
    except OSError as exc:
        raise OutputError(
            f"cannot write {shown_as}: {reason(exc)} in folder {target.parent}"
        ) from exc


def _me() -> tuple[int, int] | None:
    """Our (uid, gid); None where files have no POSIX owners, so any owner counts as ours."""
    return (os.geteuid(), os.getegid()) if hasattr(os, "geteuid") else None


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
