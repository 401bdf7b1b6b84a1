"""The metadata server of Compute Engine, Cloud Run and GKE: whether to ask it, and who it is.

Asking where Google Cloud is implausible would cost a timeout on every laptop, so it is
asked only where it can answer. Its service account's email keys the token cache; reading
it takes one local request and no google-auth import.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping

from ..deadline import Deadline
from ..errors import VertexEnvError

FLAVOR = {"Metadata-Flavor": "Google"}
_GOOGLE_RUNTIMES = ("K_SERVICE", "CLOUD_RUN_JOB", "FUNCTION_TARGET", "GAE_SERVICE")
_DMI_PRODUCT = "/sys/class/dmi/id/product_name"
_EMAIL_PATH = "/computeMetadata/v1/instance/service-accounts/default/email"


def plausible(environ: Mapping[str, str]) -> bool:
    """Whether asking the metadata server can help: False when clearly not on Google Cloud."""
    if environ.get("NO_GCE_CHECK") == "true":
        return False
    if any(environ.get(name) for name in ("GCE_METADATA_HOST", "GCE_METADATA_IP")):
        return True
    if any(environ.get(name) for name in _GOOGLE_RUNTIMES):
        return True
    if sys.platform == "darwin":
        return False
    try:
        with open(_DMI_PRODUCT, encoding="utf-8") as product:
            return product.read().startswith("Google")
    except OSError:
        return True  # No hardware identity to read (Windows, some containers): ask briefly.


def host(environ: Mapping[str, str]) -> str:
    """Where the metadata server answers by name (google-auth's own variable first)."""
    return environ.get("GCE_METADATA_HOST") or "metadata.google.internal"


def probe_address(environ: Mapping[str, str]) -> str:
    """Where google-auth probes for the metadata server, by address."""
    return environ.get("GCE_METADATA_IP") or environ.get("GCE_METADATA_HOST") or "169.254.169.254"


def account(environ: Mapping[str, str], deadline: Deadline) -> str | None:
    """The default service account's email, or None where no metadata server answers."""
    if not plausible(environ):
        return None
    import http.client

    address = probe_address(environ)
    connection = http.client.HTTPConnection(address, timeout=min(1.0, deadline.left(address)))

    def ask() -> str | None:
        try:
            connection.request("GET", _EMAIL_PATH, headers=FLAVOR)
            response = connection.getresponse()
            body = response.read(512).decode("ascii", "replace").strip()
            ok = response.status == 200 and response.getheader("Metadata-Flavor") == "Google"
        finally:
            connection.close()  # here: from the waiting thread, close would wait for the read
        return body if ok and "@" in body else None

    try:  # one second at most, however slowly the answer drips: it only keys the cache
        return Deadline(min(1.0, deadline.left(address))).run(lambda: address, ask)
    except (OSError, http.client.HTTPException, VertexEnvError):
        return None
