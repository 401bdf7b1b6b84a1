"""Model names through the gateway: what clients may call a model, and what Vertex AI needs.

Vertex wants Google's models with their publisher, `google/gemini-2.5-flash`; many clients
cannot say that (the Agents SDK reads `google/` as a provider of its own). So the gateway
hands out the served model without its publisher, and takes either form. `--alias NAME=MODEL`
maps the names that tools hard-code. Any other name goes to Vertex unchanged, so that its
own error reaches the client.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, NamedTuple

from ..errors import InputError, shown
from ..settings.models import check_model
from ..settings.urls import Target

LIST = "/v1/models"
_ALIAS = r"[A-Za-z0-9][A-Za-z0-9._@:/-]{0,127}"


def check_alias(spec: str) -> tuple[str, str]:
    """`NAME=MODEL` as (NAME, the model ID Vertex wants), or InputError.

    >>> check_alias("gpt-5.5=gemini-2.5-pro")
    ('gpt-5.5', 'google/gemini-2.5-pro')
    """
    name, equals, model = spec.partition("=")
    if not equals or not re.fullmatch(_ALIAS, name):
        raise InputError(
            f"--alias {shown(spec)} is not NAME=MODEL (such as gpt-4o=gemini-2.5-flash; "
            "NAME: letters, digits and . _ @ : / -)"
        )
    return name, check_model(model)


class Models:
    """The model the gateway serves, under the names clients may use for it."""

    def __init__(self, target: Target, aliases: Mapping[str, str]) -> None:
        self._served = target.model  # None for an endpoint: its model is its own business
        self._aliases = dict(aliases)
        self._listing = _listing(target, self.name, self._aliases)

    @property
    def name(self) -> str | None:
        """What clients are told to call the served model: its ID without the publisher."""
        return None if self._served is None else self._served.rpartition("/")[2]

    def upstream(self, name: str) -> str:
        """The model ID to send to Vertex for `name`, as a client wrote it."""
        alias = self._aliases.get(name)
        if alias is not None:
            return alias
        if self._served is not None and name == self.name:
            return self._served
        if "/" not in name and name.startswith("gemini-"):
            return f"google/{name}"
        return name

    def rewritten(self, body: bytes) -> Rewritten:
        """A JSON request body with its top-level `model` as Vertex wants it, every other
        byte as it was (a body that is not such JSON, unchanged); and that model."""
        if b'"model"' not in body:
            return Rewritten(body, None)
        try:
            parsed = json.loads(body)
        except ValueError:
            return Rewritten(body, None)
        name = parsed.get("model") if isinstance(parsed, dict) else None
        if not isinstance(name, str):
            return Rewritten(body, None)
        wanted = self.upstream(name)
        return Rewritten(_spliced(body, parsed, name, wanted), wanted)

    def listed(self, path: str) -> bytes | None:
        """`GET /v1/models` or `/v1/models/ID` in OpenAI's format; None for an unknown ID."""
        return self._listing.get(path)


class Rewritten(NamedTuple):
    body: bytes
    model: str | None  # as sent to Vertex; None when the body names none


def _spliced(body: bytes, parsed: dict[str, Any], name: str, wanted: str) -> bytes:
    """`body`, its top-level `"model": name` bytes replaced by `wanted`."""
    if wanted == name:
        return body
    parsed["model"] = wanted
    for found in re.finditer(rb'"model"\s*:\s*' + re.escape(json.dumps(name).encode()), body):
        # The first such bytes that are the top-level key: a nested "model" is not.
        spliced = b"%s%s%s" % (
            body[: found.start()],
            b'"model":' + json.dumps(wanted).encode(),
            body[found.end() :],
        )
        if json.loads(spliced) == parsed:
            return spliced
    return json.dumps(parsed).encode()  # an escaped spelling of the name: said anew


def _listing(target: Target, name: str | None, aliases: Mapping[str, str]) -> dict[str, bytes]:
    """Every answer to `GET /v1/models[/ID]`: the served model and each alias.

    Vertex has no such list on its OpenAI endpoint, and many clients ask for it first.
    """
    entries: dict[str, str] = {}  # ID shown: whose it is
    if target.kind == "endpoint":
        entries[target.id] = "vertex-ai-endpoint"
    elif name is not None:
        entries[name] = _owner(target.id)
    for alias, model in aliases.items():
        entries[alias] = _owner(model)
    cards = [
        {"id": model_id, "object": "model", "created": 0, "owned_by": owner}
        for model_id, owner in entries.items()
    ]
    listing = {LIST: json.dumps({"object": "list", "data": cards}).encode()}
    for card in cards:
        listing[f"{LIST}/{card['id']}"] = json.dumps(card).encode()
    if target.kind == "model" and target.id and name is not None:
        listing[f"{LIST}/{target.id}"] = listing[f"{LIST}/{name}"]  # the publisher's form too
    return listing


def _owner(model: str) -> str:
    publisher, slash, _ = model.partition("/")  # google/gemini-2.5-flash: google
    return publisher if slash else "vertex-ai"


def aliases(specs: tuple[str, ...]) -> dict[str, str]:
    """`--alias` flags as {NAME: model ID}; InputError for a bad one or a NAME given twice."""
    found: dict[str, str] = {}
    for spec in specs:
        name, model = check_alias(spec)
        if name in found and found[name] != model:
            raise InputError(f"--alias {shown(name)} is given twice, for two models")
        found[name] = model
    return found
