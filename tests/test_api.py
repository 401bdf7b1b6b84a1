"""The Python API: `base_url` and `TokenProvider` driving the real OpenAI SDK."""

from __future__ import annotations

import asyncio
import base64
import inspect
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from openai import AsyncOpenAI, OpenAI

from tests.conftest import use_service_account
from tests.fake_google import Call, FakeGoogle
from vertex_openai_env import AsyncTokenProvider, TokenProvider, base_url
from vertex_openai_env.errors import InputError, TokenSourceError


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


def test_the_async_sdk_keeps_working_across_token_expiries(
    google: FakeGoogle, service_account: Path
) -> None:
    google.token_lifetime = 3
    provider = AsyncTokenProvider(min_valid=1.5)
    url = base_url(project="my-proj", location="us-central1", api_endpoint=google.url)

    async def chat() -> None:
        client = AsyncOpenAI(base_url=url, api_key=provider, max_retries=0)
        for _ in range(6):
            reply = await client.chat.completions.create(
                model="google/gemini-2.5-flash", messages=[{"role": "user", "content": "hi"}]
            )
            assert reply.choices[0].message.content
            await asyncio.sleep(0.5)

    asyncio.run(chat())
    assert len(google.chats) == 6
    assert len({chat.bearer for chat in google.chats}) >= 2


def test_concurrent_async_callers_share_one_refresh_and_the_loop_keeps_running(
    google: FakeGoogle, service_account: Path
) -> None:
    def slowly(call: Call) -> None:
        time.sleep(0.5)  # then the usual answer

    google.fail_next("/token", slowly)
    provider = AsyncTokenProvider()

    async def many() -> tuple[list[str], int]:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        clock = asyncio.create_task(ticker())
        tokens = await asyncio.gather(*(provider() for _ in range(20)))
        clock.cancel()
        return list(tokens), ticks

    tokens, ticks = asyncio.run(many())
    assert len(set(tokens)) == 1
    assert google.count("/token") == 1
    assert ticks >= 20  # the loop ran on while google-auth waited in a thread


def test_a_provider_can_be_used_from_one_event_loop_after_another(
    google: FakeGoogle, service_account: Path
) -> None:
    google.token_lifetime = 200  # below the default margin: every call refreshes
    provider = AsyncTokenProvider()
    first = asyncio.run(provider())
    second = asyncio.run(provider())
    assert first != second
    assert google.valid(second)


def test_default_headers_carry_the_quota_project_as_google_auth_would(
    google: FakeGoogle, service_account: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert TokenProvider().default_headers == {}
    assert TokenProvider(quota_project="billing-proj").default_headers == {
        "x-goog-user-project": "billing-proj"
    }
    use_service_account(google, tmp_path, monkeypatch, quota_project_id="file-proj")
    provider = TokenProvider()
    assert provider.default_headers == {"x-goog-user-project": "file-proj"}
    # An impersonated account's token carries no quota project of the file's.
    impersonating = TokenProvider(impersonate_service_account="sa@my-proj.iam.gserviceaccount.com")
    assert impersonating.default_headers == {}
    client = OpenAI(
        base_url=base_url(project="my-proj", location="us-central1", api_endpoint=google.url),
        api_key=provider,
        default_headers=provider.default_headers,
        max_retries=0,
    )
    client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
    (chat,) = google.chats
    assert chat.headers["x-goog-user-project"] == "file-proj"


def test_api_errors_name_python_arguments(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InputError) as no_project:
        base_url(location="us-central1")
    assert "pass base_url(project=...)" in no_project.value.message
    with pytest.raises(InputError) as bad:
        base_url(project="Bad Project")
    assert "(from base_url(project=...))" in bad.value.message
    with pytest.raises(InputError) as lifetime:
        AsyncTokenProvider(lifetime="2h")
    assert lifetime.value.message.startswith(
        "AsyncTokenProvider(lifetime=...) 2h needs AsyncTokenProvider(impersonate_service_account=...)"
    )
    assert "--" not in no_project.value.message + bad.value.message + lifetime.value.message


def test_the_async_provider_is_told_apart_from_a_sync_one_as_langchain_does() -> None:
    # LangChain's ChatOpenAI awaits an api_key only if inspect.iscoroutinefunction() says so;
    # a sync one it calls in a thread. Both providers are built without any network call.
    assert inspect.iscoroutinefunction(AsyncTokenProvider())
    assert not inspect.iscoroutinefunction(TokenProvider())
    assert str(inspect.signature(AsyncTokenProvider())) == "()"


def test_an_environment_given_is_the_only_one_read(
    google: FakeGoogle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = google.service_account_file(tmp_path)
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "process-proj")
    environ = {
        "GOOGLE_APPLICATION_CREDENTIALS": str(key),
        "GOOGLE_CLOUD_PROJECT": "given-proj",
        "GOOGLE_CLOUD_LOCATION": "us",
    }
    assert base_url(environ=environ) == (
        "https://aiplatform.us.rep.googleapis.com/v1beta1/projects/given-proj/locations/us"
        "/endpoints/openapi"
    )
    # The process has no credentials: only the given environment's key can answer.
    assert google.valid(TokenProvider(environ=environ)())
    assert google.valid(asyncio.run(AsyncTokenProvider(environ=environ)()))


def test_a_fresh_async_token_is_answered_from_memory(
    google: FakeGoogle, service_account: Path
) -> None:
    provider = AsyncTokenProvider()

    async def twice() -> tuple[str, str]:
        return await provider(), await provider()

    first, second = asyncio.run(twice())
    assert first == second
    assert google.count("/token") == 1


def test_scopes_and_token_source_given_are_the_ones_used(
    google: FakeGoogle, service_account: Path
) -> None:
    TokenProvider(scopes=("cloud-platform", "userinfo.email"))()
    assertion = next(call for call in google.calls if call.path == "/token").form()["assertion"]
    payload = assertion.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["scope"].split() == [
        "https://www.googleapis.com/auth/cloud-platform",
        "https://www.googleapis.com/auth/userinfo.email",
    ]
    with pytest.raises(TokenSourceError, match=r"^gcloud is not installed or not on PATH$"):
        TokenProvider(token_source="gcloud", environ={"PATH": ""})()
