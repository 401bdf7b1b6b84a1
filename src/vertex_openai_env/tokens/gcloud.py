"""Tokens from the gcloud CLI, run as a child that can neither prompt nor hang.

gcloud is asked for the token and its expiry only (never its credential dump); its stdin
is closed, its prompts are disabled, and both its outputs are captured. On a timeout the
whole process group goes, since gcloud is a script that starts Python.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import selectors
import shutil
import signal
import subprocess
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone

from ..console import waiting
from ..deadline import Deadline, DeadlineError
from ..errors import CredentialsError, TokenSourceError, VertexEnvError
from . import credentials_file, impersonation
from .credentials_file import CredentialsFile
from .plain_words import NETWORK, plain
from .types import (
    CLOUD_PLATFORM,
    LOGIN,
    CredentialInfo,
    Minted,
    Token,
    TokenRequest,
    checked_token,
    sane_expiry,
)

_EXPIRED_LOGIN = re.compile(r"invalid_grant|invalid_rapt|reauth", re.IGNORECASE)
_ERROR_PREFIX = re.compile(r"^ERROR: \([^)]*\) ")


def command(request: TokenRequest, gcloud: str = "gcloud") -> list[str]:
    """The gcloud command line for `request`."""
    args = [
        gcloud,
        "auth",
        "application-default",
        "print-access-token",
        "--format=json(token,expiry.datetime)",
    ]
    if request.scopes != (CLOUD_PLATFORM,):
        args.append("--scopes=" + ",".join(request.scopes))
    if request.impersonate:
        args.append("--impersonate-service-account=" + ",".join(request.impersonate))
    if request.lifetime:
        args.append(f"--lifetime={request.lifetime}")
    return args


def mint(
    request: TokenRequest,
    environ: Mapping[str, str],
    deadline: Deadline,
    file: CredentialsFile | None = None,
) -> Minted:
    """Run gcloud for a token; every failure becomes one line and the command that fixes it.

    gcloud reads its credentials itself: `file` only tells the login's quota project.
    """
    gcloud = shutil.which("gcloud", path=environ.get("PATH"))
    if gcloud is None:
        raise TokenSourceError(
            "gcloud is not installed or not on PATH",
            fix="install the Google Cloud CLI, or use --token-source google-auth",
        )
    started = datetime.now(timezone.utc)
    out, err, status = _run(command(request, gcloud), environ, deadline)
    if status != 0:
        raise _failure(err, request)
    try:
        answer = json.loads(out)
        value, expiry = answer["token"], (answer.get("expiry") or {}).get("datetime")
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise TokenSourceError("gcloud printed something other than a token and expiry") from exc
    lifetime = timedelta(seconds=request.known_lifetime)
    expires = _parse_expiry(expiry) or started + lifetime
    token = Token(checked_token(value, "gcloud"), sane_expiry(expires, "gcloud"))
    quota_project = request.quota_project
    if quota_project is None:
        # gcloud got a token: its own file's trouble is not ours to report.
        with contextlib.suppress(VertexEnvError):
            quota_project = credentials_file.login_quota_project(
                request, environ, Deadline(1.0), file
            )
    info = CredentialInfo(
        kind="gcloud",
        origin="gcloud auth application-default print-access-token",
        quota_project=quota_project,
        impersonating=request.impersonate[-1] if request.impersonate else None,
    )
    return Minted(token, info)


def _run(args: list[str], environ: Mapping[str, str], deadline: Deadline) -> tuple[str, str, int]:
    deadline.left("gcloud")
    child = subprocess.Popen(
        args,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**environ, "CLOUDSDK_CORE_DISABLE_PROMPTS": "1"},
        start_new_session=True,
    )
    try:
        with waiting(lambda: "gcloud"):
            out, err = _outputs(child, deadline)
            child.wait(timeout=deadline.left("gcloud"))  # its pipes closed: it is ending
    except (DeadlineError, subprocess.TimeoutExpired):
        _kill_group(child)
        raise TokenSourceError(
            f"gcloud did not answer within {deadline.seconds:g}s (--timeout)",
            fix="run `gcloud auth application-default print-access-token` to see what it waits "
            "for, or raise --timeout",
        ) from None
    except BaseException:
        _kill_group(child)  # interrupted: gcloud and whatever it started go too
        raise
    return out, err, child.returncode


def _outputs(child: subprocess.Popen[bytes], deadline: Deadline) -> tuple[str, str]:
    """What gcloud printed, read until gcloud exits (not until its pipes close: a helper
    it started in a session of its own may hold them open for as long as it lives)."""
    streams = [stream for stream in (child.stdout, child.stderr) if stream is not None]
    read: dict[int, list[bytes]] = {stream.fileno(): [] for stream in streams}
    with selectors.DefaultSelector() as selector:
        for stream in streams:
            os.set_blocking(stream.fileno(), False)
            selector.register(stream.fileno(), selectors.EVENT_READ)
        while selector.get_map():
            exited = child.poll() is not None
            for key, _ in selector.select(0 if exited else min(0.1, deadline.left("gcloud"))):
                chunk = os.read(key.fd, 65536)
                if chunk:
                    read[key.fd].append(chunk)
                else:
                    selector.unregister(key.fd)
            if exited:
                break  # all it wrote before exiting has just been read
    out, err = (b"".join(read[stream.fileno()]).decode("utf-8", "replace") for stream in streams)
    return out, err


def _kill_group(child: subprocess.Popen[bytes]) -> None:
    if os.name == "posix":
        os.killpg(child.pid, signal.SIGKILL)
    else:  # pragma: no cover - Windows has no process groups of this kind
        child.kill()
    for stream in (child.stdout, child.stderr):
        if stream is not None:
            stream.close()  # what a helper in its own session holds is not ours to wait for
    child.wait(timeout=5)


def _parse_expiry(text: object) -> datetime | None:
    """gcloud prints `2026-11-25 19:28:37.292894`: UTC, without a zone."""
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def _failure(stderr: str, request: TokenRequest) -> VertexEnvError:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    error = next((line for line in lines if line.startswith("ERROR:")), lines[-1] if lines else "")
    text = _ERROR_PREFIX.sub("", error)
    suggested = next((line[2:] for line in lines if line.startswith("$ gcloud ")), None)
    if "default credentials were not found" in text:
        return CredentialsError("gcloud has no application-default credentials", fix=LOGIN)
    if request.impersonate:
        known = impersonation.explain(stderr, None, request.impersonate[-1])
        if known:
            return known
    if _EXPIRED_LOGIN.search(text):
        return CredentialsError(
            "gcloud's application-default login has expired or needs reauthentication",
            fix=LOGIN,
        )
    said = plain(text or "no message")
    if said in NETWORK:  # gcloud suggests a login for these too: it would not help
        return TokenSourceError(
            f"gcloud could not reach its token endpoint: {said}",
            fix="check your network and proxy settings (gcloud config list proxy)",
        )
    if "gcloud crashed" in text:
        return TokenSourceError(
            "gcloud crashed while getting a token: the token endpoint may be failing, or "
            "a proxy in the way",
            fix="try again in a minute, or run gcloud info --run-diagnostics",
        )
    return TokenSourceError(f"gcloud failed: {said}", fix=suggested)
