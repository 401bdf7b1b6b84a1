"""The key clients use with the gateway: random, never a Google token, compared in constant time.

A new key at every start, unless `--key-file` names a file to keep it in: an existing file
is read (it must be a regular file, ours, and closed to others), a missing one is created
0600 with a new key (and its folder 0700, if that is missing too).
"""

from __future__ import annotations

import hmac
import os
import re
import secrets
import stat
from pathlib import Path

from .. import atomic, private_file
from ..errors import VertexEnvError, reason

PREFIX = "sk-voe-"  # `sk-`: some clients refuse a key that does not look like OpenAI's
# At least 32 characters of a token alphabet: 128 bits even when written in hex.
_KEY = r"[A-Za-z0-9._~+/=-]{32,512}"
_FIXES = {  # by what is wrong with the file (see private_file.NotPrivate)
    "open": "chmod 600 {path}",
    "foreign": "rm {path}  # its owner may know the key: a new one is made at the next start",
    "special": "rm {path}  # a new key is made at the next start",
}


def new_key() -> str:
    """A fresh key: 256 random bits."""
    return PREFIX + secrets.token_urlsafe(32)


def from_file(path: Path) -> str:
    """The key kept in `path`, made and stored there (0600) when the file does not exist."""
    try:
        raw = private_file.read(path, 1024)
    except FileNotFoundError:
        key = new_key()
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            atomic.replace(path, (key + "\n").encode())
        except OSError as exc:
            raise VertexEnvError(f"cannot write the key file {path}: {reason(exc)}") from exc
        return key
    except OSError as exc:
        raise VertexEnvError(f"cannot read the key file {path}: {reason(exc)}") from exc
    except private_file.NotPrivate as exc:
        fix = _FIXES[exc.kind].format(path=path)
        raise VertexEnvError(f"the key file {path} {exc}", fix=fix) from None
    text = raw.decode("ascii", "replace").strip()
    if not re.fullmatch(_KEY, text):
        raise VertexEnvError(
            f"the key file {path} does not hold a key (32 or more letters, digits and -._~+/=)",
            fix=f"rm {path}  # a new key is made at the next start",
        )
    return text


def check_receiver(path: Path) -> None:
    """Refuse a file that is to receive the key (`--env-file`) unless it is as private as a
    key file must be: ours, closed to the group and others. A missing file is made 0600."""
    try:
        info = os.stat(path)
    except OSError:
        return  # missing (made 0600), or unreadable: the write says why
    problem = private_file.problem(info) if stat.S_ISREG(info.st_mode) else None
    if problem is not None:
        fix = _FIXES[problem.kind].format(path=path).partition("  #")[0]
        raise VertexEnvError(f"{path} would receive the local key, but it {problem}", fix=fix)


class KeyCheck:
    """Whether a request carries the key, in its `Authorization: Bearer` or `api-key` header."""

    def __init__(self, key: str) -> None:
        self._bearer = f"Bearer {key}".encode()
        self._key = key.encode()

    def admits(self, authorization: str | None, api_key: str | None) -> bool:
        """True when either header holds the key; the time taken does not depend on it."""
        bearer = hmac.compare_digest(_raw(authorization), self._bearer)
        plain = hmac.compare_digest(_raw(api_key), self._key)
        return bearer | plain


def _raw(value: str | None) -> bytes:
    return (value or "").encode("utf-8", "surrogateescape")
