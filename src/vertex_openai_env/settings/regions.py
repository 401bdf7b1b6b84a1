"""Vertex AI locations: the kinds there are, and the regions known when this was written.

The list of regions only suggests ("did you mean") and warns; it never refuses a region.
"""

from __future__ import annotations

from ..errors import shown

GLOBAL = "global"
MULTI_REGIONS = ("us", "eu")
KNOWN_REGIONS = (
    "africa-south1",
    "asia-east1",
    "asia-east2",
    "asia-northeast1",
    "asia-northeast2",
    "asia-northeast3",
    "asia-south1",
    "asia-south2",
    "asia-southeast1",
    "asia-southeast2",
    "australia-southeast1",
    "australia-southeast2",
    "europe-central2",
    "europe-north1",
    "europe-north2",
    "europe-southwest1",
    "europe-west1",
    "europe-west2",
    "europe-west3",
    "europe-west4",
    "europe-west6",
    "europe-west8",
    "europe-west9",
    "europe-west10",
    "europe-west12",
    "me-central1",
    "me-central2",
    "me-west1",
    "northamerica-northeast1",
    "northamerica-northeast2",
    "northamerica-south1",
    "southamerica-east1",
    "southamerica-west1",
    "us-central1",
    "us-east1",
    "us-east4",
    "us-east5",
    "us-south1",
    "us-west1",
    "us-west2",
    "us-west3",
    "us-west4",
)


def is_regional(location: str) -> bool:
    """Whether `location` is one region (not `global` and not a multi-region)."""
    return location != GLOBAL and location not in MULTI_REGIONS


def suggest_location(value: str) -> str | None:
    """The known location closest to `value` (`US_CENTRAL1` -> `us-central1`), if any."""
    candidates = (GLOBAL, *MULTI_REGIONS, *KNOWN_REGIONS)
    if len(value) > 64:  # nothing that long is a near miss
        return None
    cleaned = value.strip().lower().replace("_", "-").replace(" ", "-")
    if cleaned != value and cleaned in candidates:
        return cleaned
    if f"{cleaned}1" in candidates:  # `europe-west` means the first of its kind
        return f"{cleaned}1"
    import difflib

    close = difflib.get_close_matches(cleaned, candidates, n=1, cutoff=0.8)
    return close[0] if close and close[0] != value else None


def unknown_region_note(location: str) -> str | None:
    """A warning for a well-formed region this tool has not heard of (it may be new)."""
    if location in (GLOBAL, *MULTI_REGIONS, *KNOWN_REGIONS):
        return None
    hint = suggest_location(location)
    guess = f"; did you mean '{hint}'?" if hint else " (using it anyway: it may be new)"
    return f"{shown(location)} is not a Vertex AI region I know{guess}"
