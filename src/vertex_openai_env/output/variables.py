"""The variables to export: which names, and their values from the base URL and the token."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import NamedTuple

from ..errors import InputError, shown

API_KEY = "OPENAI_API_KEY"
BASE_URL = "OPENAI_BASE_URL"
EXPIRES_AT = "VERTEX_OPENAI_TOKEN_EXPIRES_AT"
API_BASE = "OPENAI_API_BASE"  # the older name, read first by LangChain and llama_index
MODEL = "OPENAI_MODEL"
# What clients read when the code names no model: the OpenAI Agents SDKs (Python and JS),
# and Semantic Kernel's OpenAIChatCompletion().
MODELS = (MODEL, "OPENAI_DEFAULT_MODEL", "OPENAI_CHAT_MODEL_ID")
CUSTOM_HEADERS = "OPENAI_CUSTOM_HEADERS"  # `Name: value` lines the OpenAI SDKs send
# The OpenAI Agents SDKs (Python and JS) post traces to api.openai.com with OPENAI_API_KEY
# as the bearer: the Google token, or the gateway's key. "1" turns that export off.
NO_TRACING = "OPENAI_AGENTS_DISABLE_TRACING"
QUOTA_HEADER = "x-goog-user-project"
TAKEN = (API_KEY, BASE_URL, EXPIRES_AT, API_BASE, NO_TRACING, CUSTOM_HEADERS)
_NAME = r"[A-Za-z_][A-Za-z0-9_]{0,127}"
_TEMPLATE = r"(?:[A-Za-z0-9._@/:+-]|\{model\}){1,200}"
_HEADER_LINE = r"[A-Za-z0-9!#%&*+.^_|~-]{1,128}:[^'\"\\$`\x00-\x1f\x7f]{0,4096}"


class ModelVar(NamedTuple):
    """A variable that receives the model ID, through a template such as `openai/{model}`."""

    name: str
    template: str = "{model}"

    def value(self, model: str) -> str:
        return self.template.replace("{model}", model)


def model_var(spec: str) -> ModelVar:
    """`NAME` or `NAME=TEMPLATE`, checked: a usable name, a template that names `{model}`.

    >>> model_var("AIDER_MODEL=openai/{model}").value("google/gemini-2.5-flash")
    'openai/google/gemini-2.5-flash'
    """
    name, equals, template = spec.partition("=")
    if not re.fullmatch(_NAME, name):
        raise InputError(f"{shown(name)} is not a valid environment variable name")
    if name in TAKEN:
        raise InputError(f"the model cannot be exported as {name}: that name is taken")
    if not equals:
        return ModelVar(name)
    if "{model}" not in template or not re.fullmatch(_TEMPLATE, template):
        raise InputError(
            f"--model-var template {shown(template)} must hold {{model}} and otherwise only "
            "letters, digits and . _ @ / : + - (such as openai/{model})"
        )
    return ModelVar(name, template)


class Names(NamedTuple):
    """Which optional variables to set: the model's, OPENAI_API_BASE, the quota header, and
    the one that keeps the Agents SDKs' traces (and the key with them) at home."""

    models: tuple[ModelVar, ...] = tuple(map(ModelVar, MODELS))
    api_base: bool = True
    quota_header: bool = True
    no_tracing: bool = True

    def all(self, with_model: bool = True, with_expiry: bool = True) -> tuple[str, ...]:
        """Every name these settings can set, in output order."""
        names = [API_KEY, BASE_URL]
        if with_model:
            names += [model.name for model in self.models]
        if with_expiry:
            names.append(EXPIRES_AT)
        if self.api_base:
            names.append(API_BASE)
        if self.no_tracing:
            names.append(NO_TRACING)
        return tuple(names)


def variables(
    base_url: str,
    token: str,
    expires_at: str | None,
    model: str | None,
    names: Names,
    headers: str | None = None,
) -> dict[str, str]:
    """`{NAME: value}` for the exports, in a stable order; `expires_at` None: a key that does
    not expire (no expiry variable); `headers`: OPENAI_CUSTOM_HEADERS."""
    values = {API_KEY: token, BASE_URL: base_url, API_BASE: base_url, NO_TRACING: "1"}
    if expires_at is not None:
        values[EXPIRES_AT] = expires_at
    if model is not None:
        values.update((var.name, var.value(model)) for var in names.models)
    found = {name: values[name] for name in names.all(model is not None, expires_at is not None)}
    if headers is not None:
        found[CUSTOM_HEADERS] = headers
    return found


def custom_headers(environ: Mapping[str, str], quota_project: str | None) -> str | None:
    """OPENAI_CUSTOM_HEADERS: the lines it holds already but ours, and ours when there is a
    quota project (as google-auth would send it); None when there is nothing to change."""
    existing = environ.get(CUSTOM_HEADERS)
    others = [line for line in (existing or "").split("\n") if line.strip() and not _ours(line)]
    for line in others:
        _check_header_line(line)
    if quota_project:
        # No space after the colon: the SDKs trim it anyway, and a value without blanks is
        # written bare in a .env, which docker's --env-file (quotes kept) reads right too.
        return "\n".join([*others, f"{QUOTA_HEADER}:{quota_project}"])
    if existing is not None and any(_ours(line) for line in existing.split("\n")):
        return "\n".join(others)  # ours is stale: take it out, keep the rest
    return None


def _check_header_line(line: str) -> None:
    """Lines passed on from the environment are printed for a shell: only plain ones are.

    A quote or a backslash means different things to different shells' quoting, so a line
    holding one could run code if the output reached a shell other than the one detected.
    """
    if not re.fullmatch(_HEADER_LINE, line):
        raise InputError(
            f"${CUSTOM_HEADERS} holds a line the tool cannot pass on safely: {shown(line)} "
            "(a header name, a colon, and a value without quotes, backslashes, $ or `)",
            fix="fix that line, or leave the variable alone with --no-quota-header",
        )


def _ours(line: str) -> bool:
    return line.partition(":")[0].strip().lower() == QUOTA_HEADER
