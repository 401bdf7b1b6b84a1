"""The credentials file Application Default Credentials would use, read once and bounded.

Read once, because the cache digests it and the token source then parses the same bytes
(so `GOOGLE_APPLICATION_CREDENTIALS=<(cat key.json)` works); bounded in size and in time,
because the path may name a FIFO with no writer, or /dev/zero.
"""

from __future__ import annotations

import json
import os
import select
import stat
from collections.abc import Mapping
from typing import Any, NamedTuple

from ..deadline import Deadline
from ..errors import CredentialsError, reason
from ..settings.gcloud_config import adc_path
from ..settings.sources import checked
from ..settings.urls import check_project
from .types import LOGIN, TokenRequest

MAX_BYTES = 1 << 20  # real credential files are a few KB
EXPLICIT = "$GOOGLE_APPLICATION_CREDENTIALS"
GCLOUD_LOGIN = "gcloud application-default login"
UNSET_FIX = "unset GOOGLE_APPLICATION_CREDENTIALS  # or point it at a valid credentials file"


class CredentialsFile(NamedTuple):
    """A credentials file's path, who named it, and its bytes."""

    path: str
    origin: str
    content: bytes

    def json(self) -> dict[str, Any]:
        """The parsed object; CredentialsError saying how it is broken otherwise."""
        fix = broken_fix(self.origin)
        try:
            info = json.loads(self.content.decode("utf-8"))
        except UnicodeDecodeError:
            raise CredentialsError(f"credentials file {self.path} is not UTF-8 text", fix) from None
        except json.JSONDecodeError as exc:
            if not self.content.strip():
                raise CredentialsError(f"credentials file {self.path} is empty", fix) from None
            raise CredentialsError(
                f"credentials file {self.path} is not valid JSON (line {exc.lineno})", fix
            ) from None
        if not isinstance(info, dict):
            raise CredentialsError(f"credentials file {self.path} is not a JSON object", fix)
        return info


def broken_fix(origin: str, otherwise: str = LOGIN) -> str:
    """What mends a broken credentials file found by `origin`: pointing the variable that
    named it elsewhere, or else `otherwise` (by default, a new login)."""
    return UNSET_FIX if origin == EXPLICIT else otherwise


def login_quota_project(
    request: TokenRequest,
    environ: Mapping[str, str],
    deadline: Deadline,
    file: CredentialsFile | None = None,
) -> str | None:
    """The quota project google-auth would send along with the credentials ADC finds (`file`,
    if read already); None for an impersonated account, whose token carries none."""
    if request.impersonate:
        return None
    if file is None:
        located = locate(environ)
        if located is None:
            return None
        file = read(*located, deadline)
    return quota_project(file.json(), file.path)


def quota_project(info: Mapping[str, Any], path: str) -> str | None:
    """The `quota_project_id` of the file at `path` (parsed: `info`), checked, for it travels
    in a header; None if it has none."""
    value = info.get("quota_project_id")
    if not value:
        return None
    return checked(f"quota_project_id in {path}", str(value), check_project)


def locate(environ: Mapping[str, str]) -> tuple[str, str] | None:
    """The file ADC would use and who named it; None when it would ask the metadata server."""
    explicit = environ.get("GOOGLE_APPLICATION_CREDENTIALS")
    if explicit:
        return explicit, EXPLICIT
    gcloud_file = adc_path(environ)
    if os.path.isfile(gcloud_file):
        return gcloud_file, GCLOUD_LOGIN
    return None


def read(path: str, origin: str, deadline: Deadline) -> CredentialsFile:
    """Read the file whole, at most MAX_BYTES and never past the deadline."""
    fix = broken_fix(origin)
    try:
        # Non-blocking: opening a FIFO that has no writer would otherwise wait forever.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise CredentialsError(f"{origin} names {path}, which does not exist", fix) from None
    except OSError as exc:
        raise CredentialsError(f"cannot read credentials file {path}: {reason(exc)}", fix) from exc
    try:
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            raise CredentialsError(f"{origin} names {path}, which is a folder", fix)
        content = _read_all(fd, path, deadline)
    except OSError as exc:
        raise CredentialsError(f"cannot read credentials file {path}: {reason(exc)}", fix) from exc
    finally:
        os.close(fd)
    if len(content) > MAX_BYTES:
        raise CredentialsError(
            f"credentials file {path} is over {MAX_BYTES // 1024} KB: not a credentials file",
            fix,
        )
    return CredentialsFile(path, origin, content)


def _read_all(fd: int, path: str, deadline: Deadline) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size <= MAX_BYTES:
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:  # a pipe whose writer has not written yet
            ready, _, _ = select.select([fd], [], [], deadline.left(f"credentials file {path}"))
            if not ready:
                raise deadline.expired(f"credentials file {path}") from None
            continue
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)
