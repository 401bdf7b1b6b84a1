"""The token cache: one private file per credential and request, reused while it is fresh.

Only the standard library is imported here: a cache hit never loads google-auth.
Files live in `$XDG_RUNTIME_DIR/vertex-openai-env` (memory-backed and private on most
Linux desktops) or else the user's cache folder; the folder is 0700, each file 0600 and
written atomically. A folder owned by someone else or open to others is not used, and a
file that does not look exactly like ours is ignored.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Mapping
from datetime import datetime
from functools import cached_property
from typing import Any

from .. import private_file
from ..deadline import Deadline
from ..durations import spoken
from ..errors import TokenSourceError, VertexEnvError
from .credentials_file import CredentialsFile
from .registry import SOURCES, fetch
from .types import MAX_LIFETIME, CredentialInfo, Minted, Token, TokenRequest, checked_token

FOLDER_NAME = "vertex-openai-env"
_VERSION = 1
# Settings outside the request that still change which token comes back.
ENDPOINT_OVERRIDES = (
    "CLOUDSDK_AUTH_TOKEN_HOST",
    "CLOUDSDK_API_ENDPOINT_OVERRIDES_IAMCREDENTIALS",
    "GCE_METADATA_HOST",
)


def default_folder(environ: Mapping[str, str], platform: str = sys.platform) -> str:
    """Where tokens are kept: the runtime folder if there is one, else the user cache."""
    if environ.get("XDG_RUNTIME_DIR"):
        return os.path.join(environ["XDG_RUNTIME_DIR"], FOLDER_NAME)
    if environ.get("XDG_CACHE_HOME"):
        return os.path.join(environ["XDG_CACHE_HOME"], FOLDER_NAME)
    home = environ.get("HOME") or os.path.expanduser("~")
    if platform == "darwin":
        return os.path.join(home, "Library", "Caches", FOLDER_NAME)
    if platform == "win32" and environ.get("LOCALAPPDATA"):
        return os.path.join(environ["LOCALAPPDATA"], FOLDER_NAME, "Cache")
    return os.path.join(home, ".cache", FOLDER_NAME)


def private_folder(environ: Mapping[str, str]) -> tuple[str | None, str]:
    """The tool's private folder, made if missing: (path, "") or (None, why not)."""
    folder = default_folder(environ)
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        info = os.lstat(folder)
    except OSError as exc:
        return None, f"cannot create {folder}: {exc.strerror}"
    problem = private_file.unsafe(info)
    if problem:
        return None, f"{folder} {problem}"
    return folder, ""


class TokenCache:
    """Load and store minted tokens.

    `notes` says why the cache was not used, if it was not; `story` says, for --verbose,
    whether the token came from the cache or was fetched.
    """

    def __init__(self, environ: Mapping[str, str], min_valid: int, deadline: Deadline) -> None:
        self.environ = environ
        self.min_valid = min_valid
        self.deadline = deadline
        self.notes: list[str] = []
        self.story = ""

    def get(
        self, request: TokenRequest, file: CredentialsFile | None = None, fresh: bool = False
    ) -> Minted:
        """A cached token if one is fresh enough (and not `fresh`), else a fresh one, kept
        for next time. `file`: the credentials file, if the caller has read it already."""
        path, file = self._key(request, file)
        minted = self._load(path) if path and not fresh else None
        if minted is not None:
            left = spoken(int(minted.token.seconds_left()))
            self.story = f"token: from the cache ({left} left)"
            return minted
        minted = fetch(request, self.environ, self.deadline, file)
        self.story = f"token: fetched from {minted.credential.origin}"
        if path:
            self._store(path, minted)
        return minted

    def _load(self, path: str) -> Minted | None:
        """The entry at `path` if it stays valid for `min_valid` seconds more."""
        try:
            minted = _parse(json.loads(private_file.read(path, 65536)))
        except (OSError, ValueError, KeyError, TypeError, TokenSourceError):
            return None  # Missing, foreign or damaged: fetch a fresh one and replace it.
        left = minted.token.seconds_left()
        return minted if self.min_valid <= left <= MAX_LIFETIME else None

    def _store(self, path: str, minted: Minted) -> None:
        """Keep `minted` for the next run; failing to is not worth failing the command."""
        entry = {
            "version": _VERSION,
            "token": minted.token.value,
            "expiry": minted.token.expiry.isoformat(),
            "credential": minted.credential._asdict(),
        }
        from pathlib import Path

        from .. import atomic  # only when writing: a cache hit needs neither

        try:
            atomic.replace(Path(path), json.dumps(entry).encode())
        except OSError as exc:
            folder = os.path.dirname(path)
            self.notes.append(f"could not write the token cache in {folder}: {exc.strerror}")

    def _key(
        self, request: TokenRequest, file: CredentialsFile | None
    ) -> tuple[str | None, CredentialsFile | None]:
        """The entry for `request` (None: do not cache), and the credentials file if read."""
        folder = self._folder
        if folder is None:
            return None, file
        try:
            identity, file = SOURCES[request.source].identity(self.environ, self.deadline, file)
        except VertexEnvError:
            return None, None  # the token source will say what is wrong, as it fetches
        if identity is None:
            return None, file
        material = {
            "request": request._asdict(),
            "credential": identity,
            "endpoints": {name: self.environ.get(name) for name in ENDPOINT_OVERRIDES},
        }
        digest = hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()
        return os.path.join(folder, f"{digest[:40]}.json"), file

    @cached_property
    def _folder(self) -> str | None:
        folder, problem = private_folder(self.environ)
        if folder is None:
            self.notes.append(f"token cache not used: {problem}")
        return folder


def _parse(entry: Any) -> Minted:
    if entry["version"] != _VERSION:
        raise ValueError("another cache version")
    expiry = datetime.fromisoformat(entry["expiry"])
    if expiry.tzinfo is None:
        raise ValueError("an expiry without a zone")
    credential = CredentialInfo(**entry["credential"])
    return Minted(Token(checked_token(entry["token"], "the token cache"), expiry), credential)
