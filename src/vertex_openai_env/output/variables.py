"""The variables to export: which names, and their values from the base URL and the token."""

from __future__ import annotations

import re
from typing import NamedTuple

from ..errors import InputError, shown

API_KEY = "OPENAI_API_KEY"
BASE_URL = "OPENAI_BASE_URL"
EXPIRES_AT = "VERTEX_OPENAI_TOKEN_EXPIRES_AT"
API_BASE = "OPENAI_API_BASE"
MODEL = "OPENAI_MODEL"
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"


class Names(NamedTuple):
    """Which optional variables to set: the model's name (None: none) and OPENAI_API_BASE."""

    model: str | None = MODEL
    api_base: bool = False

    def checked(self) -> Names:
        """These names, or InputError if the model's variable is not a usable name."""
        if self.model is not None and not re.fullmatch(_NAME, self.model):
            raise InputError(f"{shown(self.model)} is not a valid environment variable name")
        if self.model in (API_KEY, BASE_URL, EXPIRES_AT, API_BASE):
            raise InputError(f"the model cannot be exported as {self.model}: that name is taken")
        return self

    def all(self, with_model: bool = True) -> tuple[str, ...]:
        """Every name these settings can set, in output order."""
        names = [API_KEY, BASE_URL]
        if with_model and self.model:
            names.append(self.model)
        names.append(EXPIRES_AT)
        if self.api_base:
            names.append(API_BASE)
        return tuple(names)


def variables(
    base_url: str, token: str, expires_at: str, model: str | None, names: Names
) -> dict[str, str]:
    """`{NAME: value}` for the exports, in a stable order."""
    values = {
        API_KEY: token,
        BASE_URL: base_url,
        EXPIRES_AT: expires_at,
        API_BASE: base_url,
    }
    if model is not None and names.model:
        values[names.model] = model
    return {name: values[name] for name in names.all(with_model=model is not None)}
