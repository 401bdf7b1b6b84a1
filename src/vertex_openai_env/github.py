"""GitHub Actions: mask the token, then hand the variables to later steps via $GITHUB_ENV."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping

from .errors import InputError, OutputError, reason
from .formats import github_env_block, github_mask


def export(
    variables: Mapping[str, str],
    secrets: Iterable[str],
    environ: Mapping[str, str],
    outputs: bool = False,
) -> str:
    """Append `variables` to $GITHUB_ENV (and $GITHUB_OUTPUT); return the masking commands.

    Everything is rendered before anything is written, so a refusal changes nothing.
    """
    secret = set(secrets)
    writes = {_path(environ, "GITHUB_ENV"): _blocks(variables)}
    if outputs:
        shared = {name: value for name, value in variables.items() if name not in secret}
        writes[_path(environ, "GITHUB_OUTPUT")] = _blocks(shared)
    for path, text in writes.items():
        _append(path, text)
    return "".join(github_mask(variables[name]) for name in variables if name in secret)


def _blocks(variables: Mapping[str, str]) -> str:
    return "".join(
        github_env_block(name, value, _delimiter(value)) for name, value in variables.items()
    )


def _delimiter(value: str) -> str:
    """A fresh random delimiter that cannot end the value early."""
    while True:
        delimiter = f"ghadelimiter_{uuid.uuid4()}"
        if delimiter not in value:
            return delimiter


def _path(environ: Mapping[str, str], name: str) -> str:
    path = environ.get(name)
    if not path:
        raise InputError(
            f"--format github needs ${name}, which GitHub Actions sets in every step; "
            "outside Actions choose another --format"
        )
    return path


def _append(path: str, text: str) -> None:
    try:
        with open(path, "a", encoding="utf-8", newline="") as stream:
            stream.write(text)
    except OSError as exc:
        raise OutputError(f"cannot append to {path}: {reason(exc)}") from exc
