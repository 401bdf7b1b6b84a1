"""Reading gcloud's configuration files directly: starting gcloud itself costs a second.

Paths are plain strings: this runs on every export, pathlib's import would cost more than
the lookup itself.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Mapping
from typing import NamedTuple

from ..errors import InputError, reason, shown

ADC_FILE = "application_default_credentials.json"
_MAX_BYTES = 1 << 20
_CONFIG_NAME = r"[a-z][-a-z0-9]*"


class GcloudConfig(NamedTuple):
    """The active gcloud configuration: its name, file and `section/name` properties."""

    name: str
    path: str
    properties: Mapping[str, str]

    def get(self, key: str) -> str | None:
        """A property such as `core/project`, or None when unset or empty."""
        return self.properties.get(key) or None


def config_dir(environ: Mapping[str, str]) -> str:
    """gcloud's folder: `$CLOUDSDK_CONFIG`, else the platform default."""
    if environ.get("CLOUDSDK_CONFIG"):
        return environ["CLOUDSDK_CONFIG"]
    if os.name == "nt" and environ.get("APPDATA"):
        return os.path.join(environ["APPDATA"], "gcloud")
    home = environ.get("HOME") or os.path.expanduser("~")
    return os.path.join(home, ".config", "gcloud")


def adc_path(environ: Mapping[str, str]) -> str:
    """Where `gcloud auth application-default login` stores its credentials."""
    return os.path.join(config_dir(environ), ADC_FILE)


def active_config(environ: Mapping[str, str]) -> GcloudConfig:
    """Read the active configuration; a missing file is an empty configuration."""
    folder = config_dir(environ)
    name = environ.get("CLOUDSDK_ACTIVE_CONFIG_NAME") or _read_active_name(folder)
    if not re.fullmatch(_CONFIG_NAME, name):
        raise InputError(
            f"gcloud configuration name {shown(name)} is not valid",
            fix="gcloud config configurations activate default",
        )
    path = os.path.join(folder, "configurations", f"config_{name}")
    import configparser  # only when a setting is looked up there

    parser = configparser.RawConfigParser()
    try:
        parser.read_string(_read(path) or "", source=path)
    except (OSError, UnicodeDecodeError, configparser.Error) as exc:
        if isinstance(exc, OSError):
            why = reason(exc)
        elif isinstance(exc, UnicodeDecodeError):
            why = "it is not UTF-8 text"
        else:
            why = "it is not in gcloud's format (sections and key = value lines)"
        raise InputError(
            f"cannot read gcloud configuration {path}: {why}",
            fix=f"gcloud config configurations describe {name}",
        ) from exc
    properties = {
        f"{section}/{key}": value.strip()
        for section in parser.sections()
        for key, value in parser.items(section)
    }
    return GcloudConfig(name=name, path=path, properties=properties)


def _read_active_name(folder: str) -> str:
    try:
        return (_read(os.path.join(folder, "active_config")) or "").strip() or "default"
    except (OSError, UnicodeDecodeError):
        return "default"


def _read(path: str) -> str | None:
    """A small regular file's text; None if there is none. Never waits: a FIFO or a device
    put in gcloud's folder would otherwise hold every run."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        return None
    with os.fdopen(fd, "rb") as stream:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(0, "not a regular file")
        return stream.read(_MAX_BYTES).decode("utf-8")
