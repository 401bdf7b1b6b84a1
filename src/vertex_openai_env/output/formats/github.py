"""`github`: GitHub Actions. The token is masked first, then the variables are appended to
`$GITHUB_ENV` (and step outputs to `$GITHUB_OUTPUT`) for every later step of the job.

What it prints is the masking commands; the variables themselves go to the files. Both
files are written all or nothing: if one cannot be, the other is put back as it was.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Mapping

from ...console import emit
from ...errors import InputError, OutputError, reason
from .base import Format, Rendering, refuse


def _render(output: Rendering) -> str:
    """Mask, then append; return nothing more to print (the masks are already out)."""
    secrets = [value for name, value in output.variables.items() if name in output.secrets]
    writes = {_path(output.environ, "GITHUB_ENV"): _blocks(output.variables)}
    if output.step_outputs:
        shared = {n: v for n, v in output.variables.items() if n not in output.secrets}
        writes[_path(output.environ, "GITHUB_OUTPUT")] = _blocks(shared)
    # Everything is checked and rendered by now; the masks go out before any file holds
    # the token, so no later log line can show it.
    emit("".join(mask(value) for value in secrets))
    _append_all(writes)
    return ""


def mask(value: str) -> str:
    """The workflow command that hides `value` in the rest of the job's log."""
    escaped = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return f"::add-mask::{escaped}\n"


def env_block(name: str, value: str, delimiter: str) -> str:
    """One `$GITHUB_ENV` entry in heredoc form; `delimiter` must not occur in `value`."""
    refuse("github", frozenset("\0\r"), name, value)
    if delimiter in value:
        raise ValueError("the heredoc delimiter occurs in the value")
    return f"{name}<<{delimiter}\n{value}\n{delimiter}\n"


def _blocks(variables: Mapping[str, str]) -> str:
    return "".join(env_block(name, value, delimiter(value)) for name, value in variables.items())


def delimiter(value: str) -> str:
    """A fresh random delimiter that cannot end the value early."""
    while True:
        chosen = f"ghadelimiter_{uuid.uuid4()}"
        if chosen not in value:
            return chosen


def _path(environ: Mapping[str, str], name: str) -> str:
    path = environ.get(name)
    if not path:
        raise InputError(
            f"--format github needs ${name}, which GitHub Actions sets in every step; "
            "outside Actions choose another --format"
        )
    return path


def _append_all(writes: Mapping[str, str]) -> None:
    """Append each text to its file; on a failure, cut every file touched back to its size,
    the one whose append failed half-way included."""
    touched: list[tuple[str, int]] = []
    try:
        for path, text in writes.items():
            _append(path, text, touched)
    except BaseException:
        for path, size in touched:
            with contextlib.suppress(OSError):
                os.truncate(path, size)
        raise


def _append(path: str, text: str, touched: list[tuple[str, int]]) -> None:
    """Append `text` on a line of its own, noting the file's size first in `touched`."""
    try:
        with open(path, "ab+") as stream:
            size = stream.seek(0, os.SEEK_END)
            touched.append((path, size))
            if size:
                stream.seek(size - 1)
                if stream.read(1) != b"\n":
                    text = "\n" + text
            stream.write(text.encode("utf-8"))
            stream.flush()
    except OSError as exc:
        raise OutputError(f"cannot append to {path}: {reason(exc)}") from exc


FORMAT = Format(_render)
