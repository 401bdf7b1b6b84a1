"""The Python API: `base_url` and `TokenProvider` driving the real OpenAI SDK."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from openai import OpenAI

from tests.fake_google import FakeGoogle
from vertex_openai_env import TokenProvider, base_url
from vertex_openai_env.errors import InputError


def test_the_sdk_keeps_working_across_token_expiries(
    google: FakeGoogle, service_account: Path
) -> None:
    google.token_lifetime = 3  # the fake answers 401 to a token past its expiry
    provider = TokenProvider(min_valid=1.5)
    client = OpenAI(
        base_url=base_url(project="my-proj", location="us-central1", api_endpoint=google.url),
        api_key=provider,
        max_retries=0,
    )
    for _ in range(10):
        reply = client.chat.completions.create(
            model="google/gemini-2.5-flash", messages=[{"role": "user", "content": "hi"}]
        )
        assert reply.choices[0].message.content
        time.sleep(0.4)
    assert len(google.chats) == 10
    assert len({chat.bearer for chat in google.chats}) >= 3
    assert provider.expiry is not None


def test_only_one_thread_fetches(google: FakeGoogle, service_account: Path) -> None:
    provider = TokenProvider()
    tokens: list[str] = []
    threads = [threading.Thread(target=lambda: tokens.append(provider())) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(tokens)) == 1
    assert google.count("/token") == 1


def test_base_url_resolves_like_the_command_line(monkeypatch: pytest.MonkeyPatch) -> None:
    assert base_url(project="my-proj", location="global") == (
        "https://aiplatform.googleapis.com/v1beta1/projects/my-proj/locations/global"
        "/endpoints/openapi"
    )
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "env-proj")
    monkeypatch.setenv("GOOGLE_CLOUD_LOCATION", "europe-west4")
    assert base_url(endpoint="42", api_version="v1") == (
        "https://europe-west4-aiplatform.googleapis.com/v1/projects/env-proj"
        "/locations/europe-west4/endpoints/42"
    )


@pytest.mark.parametrize(
    ("project", "location"),
    [("Bad Project", None), ("my-proj", "us_central1"), (None, None)],
)
def test_base_url_refuses_bad_input(project: str | None, location: str | None) -> None:
    with pytest.raises(InputError):
        base_url(project=project, location=location)


def test_importing_the_package_loads_nothing_heavy() -> None:
    code = (
        "import sys, vertex_openai_env\n"
        "heavy = ('google', 'click', 'requests')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
