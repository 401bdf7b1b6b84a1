"""Reading gcloud's configuration files directly: starting gcloud itself costs a second.

Paths are plain strings: this runs on every export, pathlib's import would cost more than
the lookup itself.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import NamedTuple

from ..errors import InputError, shown

ADC_FILE = "application_default_credentials.json"
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
        with open(path, encoding="utf-8") as stream:
            parser.read_file(stream)
    except FileNotFoundError:
        pass
    except (OSError, UnicodeDecodeError, configparser.Error) as exc:
        raise InputError(
            f"cannot read gcloud configuration {path}: {type(exc).__name__}",
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
        with open(os.path.join(folder, "active_config"), encoding="utf-8") as stream:
            return stream.read().strip() or "default"
    except (OSError, UnicodeDecodeError):
        return "default"
