"""Model names through the gateway: with or without the publisher, aliases, and the list."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import cli_env, invoke
from tests.fake_google import FakeGoogle
from tests.gateways import MODEL, PLACE, InProcess, in_process, raw
from vertex_openai_env.gateway.models import Models
from vertex_openai_env.settings.urls import Target

ALIASES = {"gpt-5.5": "google/gemini-2.5-pro", "gpt-4o-mini": "google/gemini-2.5-flash"}


@pytest.fixture
def gateway(google: FakeGoogle, service_account: Path) -> Iterator[InProcess]:
    with in_process(google, *MODEL, aliases=ALIASES) as running:
        yield running


def sent_model(gateway: InProcess, google: FakeGoogle, model: str) -> str:
    gateway.client().chat.completions.create(
        model=model, messages=[{"role": "user", "content": "hi"}]
    )
    return str(google.chats[-1].json()["model"])


@pytest.mark.parametrize(
    ("asked", "sent"),
    [
        ("gemini-2.5-flash", "google/gemini-2.5-flash"),  # as the gateway exports it
        ("google/gemini-2.5-flash", "google/gemini-2.5-flash"),
        ("gemini-2.5-pro", "google/gemini-2.5-pro"),  # another Gemini: Google's too
        ("gpt-5.5", "google/gemini-2.5-pro"),  # an alias
        ("gpt-4o", "gpt-4o"),  # neither: Vertex says what it thinks of it
        ("meta/llama-3.3-70b-instruct-maas", "meta/llama-3.3-70b-instruct-maas"),
    ],
)
def test_vertex_gets_the_model_id_it_needs(
    asked: str, sent: str, gateway: InProcess, google: FakeGoogle
) -> None:
    assert sent_model(gateway, google, asked) == sent


def test_only_the_model_changes_byte_for_byte(gateway: InProcess, google: FakeGoogle) -> None:
    body = (
        b'{ "messages" : [{"role":"user","content":"say \\"model\\": \\"gpt-5.5\\""}],\n'
        b'  "extra_body": {"model": "gpt-5.5"},   "model" :"gpt-5.5", "temperature":0.50}'
    )
    status, _, _ = raw(
        gateway,
        "POST",
        "/v1/chat/completions",
        body,
        {"authorization": f"Bearer {gateway.key}", "content-type": "application/json"},
    )
    assert status == 200
    assert google.chats[-1].body == body.replace(
        b'"model" :"gpt-5.5"', b'"model":"google/gemini-2.5-pro"'
    )


def test_a_body_that_needs_no_new_name_goes_as_it_came(
    gateway: InProcess, google: FakeGoogle
) -> None:
    body = b'{"model":  "google/gemini-2.5-flash", "messages": [{"role": "user", "content": "hi"}]}'
    headers = {"authorization": f"Bearer {gateway.key}", "content-type": "application/json"}
    assert raw(gateway, "POST", "/v1/chat/completions", body, headers)[0] == 200
    assert google.chats[-1].body == body


@pytest.mark.parametrize(
    ("body", "sent"),
    [
        # The name spelt with an escape: the body is written anew, the model right.
        (b'{"model": "gemini\\u002d2.5-pro"}', {"model": "google/gemini-2.5-pro"}),
        (b'{"model": 5}', {"model": 5}),  # not a name: left for Vertex to refuse
        (b'["model"]', ["model"]),
    ],
)
def test_odd_bodies_are_rewritten_only_where_the_model_is_a_name(body: bytes, sent: object) -> None:
    models = Models(Target("model", "google/gemini-2.5-flash"), {})
    assert json.loads(models.rewritten(body).body) == sent
    assert models.rewritten(b"not json, says model") == (b"not json, says model", None)
    assert models.rewritten(b'{"model": "x" ') == (b'{"model": "x" ', None)


def test_the_list_names_the_model_as_exported_and_each_alias(
    gateway: InProcess, google: FakeGoogle
) -> None:
    client = gateway.client()
    assert gateway.variables["OPENAI_MODEL"] == "gemini-2.5-flash"
    listed = {model.id: model.owned_by for model in client.models.list()}
    assert listed == {"gemini-2.5-flash": "google", "gpt-5.5": "google", "gpt-4o-mini": "google"}
    assert client.models.retrieve("gpt-5.5").id == "gpt-5.5"
    status, _, body = raw(gateway, "GET", "/v1/models/gpt-4o")
    assert status == 404
    assert json.loads(body)["error"]["code"] == "model_not_found"
    assert not [call for call in google.calls if "models" in call.path]


def test_only_a_get_of_the_list_is_answered_here(gateway: InProcess, google: FakeGoogle) -> None:
    status, _, _ = raw(gateway, "POST", "/v1/models", b"{}")
    assert status == 404  # Vertex's answer: the stand-in has no such route
    assert google.calls[-1].path.endswith("/endpoints/openapi/models")


def test_exec_serve_takes_aliases_and_plain_exec_refuses_them(
    google: FakeGoogle, service_account: Path
) -> None:
    script = (
        "from openai import OpenAI\n"
        "print(OpenAI().chat.completions.create(model='gpt-5.5', "
        "messages=[{'role': 'user', 'content': 'hi'}]).choices[0].message.content)"
    )
    argv = ["vertex-openai-env", *PLACE, "--api-endpoint", google.url, *MODEL, "exec"]
    result = subprocess.run(
        [*argv, "--serve", "--alias", "gpt-5.5=gemini-2.5-pro", "--", "python", "-c", script],
        capture_output=True, text=True, env=cli_env(), timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Hello from google/gemini-2.5-pro in my-proj/us-central1\n"
    plain = invoke(*PLACE, *MODEL, "exec", "--alias", "a=gemini-2.5-pro", "--", "true")
    assert plain.exit_code == 2
    assert "--alias is for the gateway: it needs --serve" in plain.stderr


@pytest.mark.parametrize(
    ("aliases", "said"),
    [
        (["gpt-4o"], "is not NAME=MODEL"),
        (["=gemini-2.5-flash"], "is not NAME=MODEL"),
        (["gpt 4o=gemini-2.5-flash"], "is not NAME=MODEL"),
        (["gpt-4o=not a model"], "is not a model ID"),
        (["a=gemini-2.5-flash", "a=gemini-2.5-pro"], "is given twice"),
    ],
)
def test_a_bad_alias_is_refused_before_anything_starts(
    aliases: list[str], said: str, google: FakeGoogle, service_account: Path
) -> None:
    flags = [arg for alias in aliases for arg in ("--alias", alias)]
    result = invoke(*PLACE, *MODEL, "serve", *flags)
    assert result.exit_code == 2
    assert said in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == ""
    assert google.calls == []
