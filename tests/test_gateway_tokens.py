"""The gateway's Google token on a bad day: an outage of the token endpoint, a laptop woken
from suspend, and storms of 401s from Vertex AI."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Coroutine, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tests.fake_google import Call, FakeGoogle, Reply, json_reply, status_reply, vertex_error
from tests.gateways import CHAT, MODEL, InProcess, in_process, raw
from vertex_openai_env.gateway import keeper as keeping
from vertex_openai_env.live import watch
from vertex_openai_env.tokens.types import Token

T = TypeVar("T")
BODY = json.dumps({"model": "m", "messages": [{"role": "user", "content": "hi"}]}).encode()


@pytest.fixture
def gateway(google: FakeGoogle, service_account: Path) -> Iterator[InProcess]:
    with in_process(google, *MODEL, "--no-cache", "--timeout", "3") as running:
        yield running


def on_loop(gateway: InProcess, coroutine: Coroutine[Any, Any, T]) -> T:
    """Run `coroutine` on the gateway's own event loop."""
    task = gateway.gateway.keeper._task
    assert task is not None
    return asyncio.run_coroutine_threadsafe(coroutine, task.get_loop()).result(30)


def expire(gateway: InProcess) -> None:
    """As after a suspend: the token has expired, and no refresh is under way."""
    keeper = gateway.gateway.keeper
    minted = keeper._minted
    past = datetime.now(timezone.utc) - timedelta(minutes=5)
    keeper._minted = minted._replace(token=Token(minted.token.value, past))


def chat(gateway: InProcess) -> int:
    return raw(gateway, "POST", "/v1/chat/completions", BODY)[0]


def test_an_expired_token_with_no_refresh_under_way_is_replaced_for_the_next_request(
    gateway: InProcess, google: FakeGoogle
) -> None:
    expire(gateway)
    calls = google.count("/token")
    assert chat(gateway) == 200
    assert google.count("/token") == calls + 1
    assert google.valid(google.chats[-1].bearer)


@pytest.mark.parametrize("kind", ["failing", "hanging"])
def test_the_gateway_recovers_within_a_second_of_the_token_endpoints_return(
    gateway: InProcess, google: FakeGoogle, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(watch, "FIRST_RETRY", 60)  # as after a long outage: retries are rare
    back = threading.Event()

    def outage(call: Call) -> Reply | None:
        if back.is_set():
            return None  # the usual answer: a token
        if kind == "hanging":
            time.sleep(4)  # past --timeout: an attempt made in the outage never succeeds
        return json_reply(503, {"error": "unavailable"})

    google.fail_next("/token", *[outage] * 100)
    expire(gateway)
    started = time.monotonic()
    assert chat(gateway) == 503
    assert time.monotonic() - started < 3 + 1  # its own deadline (--timeout 3), not more
    threading.Timer(1, back.set).start()  # the endpoint returns
    started = time.monotonic()
    while chat(gateway) != 200:
        assert time.monotonic() - started < 5
    assert time.monotonic() - started < 1 + 1


def test_a_request_is_answered_as_soon_as_the_attempt_it_waited_for_fails(
    gateway: InProcess, google: FakeGoogle
) -> None:
    refused = status_reply(400, b'{"error": "invalid_grant"}', "application/json")
    google.fail_next("/token", *[refused] * 20)  # an answer at once, and a "no"
    expire(gateway)
    started = time.monotonic()
    status, _, body = raw(gateway, "POST", "/v1/chat/completions", BODY)
    assert status == 503
    assert time.monotonic() - started < 1.5  # not its whole deadline (--timeout 3)
    assert "refreshing it failed" in json.loads(body)["error"]["message"]


def test_a_late_401_for_a_token_already_replaced_forces_no_refresh(
    gateway: InProcess, google: FakeGoogle
) -> None:
    keeper = gateway.gateway.keeper
    first = keeper._minted.token.value
    deadline = time.monotonic() + 10
    second = on_loop(gateway, keeper.renewed(first, deadline))
    assert second is not None
    assert second != first
    calls = google.count("/token")
    assert on_loop(gateway, keeper.renewed(first, deadline)) == second  # a late 401
    assert google.count("/token") == calls


def test_401s_for_the_same_token_share_one_renewal(gateway: InProcess, google: FakeGoogle) -> None:
    keeper = gateway.gateway.keeper
    refused = keeper._minted.token.value
    calls = google.count("/token")

    async def storm() -> list[str | None]:
        deadline = time.monotonic() + 10
        return await asyncio.gather(*(keeper.renewed(refused, deadline) for _ in range(30)))

    renewed = on_loop(gateway, storm())
    assert len(set(renewed)) == 1
    assert renewed[0] != refused
    assert google.count("/token") == calls + 1


def test_a_vertex_that_refuses_every_token_gets_one_renewal_then_a_pause(
    gateway: InProcess, google: FakeGoogle
) -> None:
    google.fail_next(CHAT, *[vertex_error("unauthenticated")] * 40)
    calls = google.count("/token")
    started = time.monotonic()
    statuses = [chat(gateway) for _ in range(20)]
    assert statuses == [401] * 20
    assert time.monotonic() - started < keeping.FORCED_FIRST  # all within the first pause
    assert google.count("/token") == calls + 1  # 20 before


def later(gateway: InProcess, seconds: float) -> None:
    """As if `seconds` had passed since the last forced refresh (the clock itself is the
    event loop's too, and cannot be moved)."""
    gateway.gateway.keeper._forced_next -= seconds


def test_forced_refreshes_refused_in_a_row_wait_twice_as_long_each_time_then_start_over(
    gateway: InProcess,
) -> None:
    keeper = gateway.gateway.keeper
    deadline = time.monotonic() + 10

    def refuse(token: str | None) -> str | None:
        assert token is not None
        return on_loop(gateway, keeper.renewed(token, deadline))

    first = refuse(keeper._minted.token.value)  # refused: a forced refresh, then 1 s pause
    assert refuse(first) is None
    later(gateway, keeping.FORCED_FIRST)
    second = refuse(first)  # refused again within a minute: the pause doubles, to 2 s
    later(gateway, 1.5)
    assert refuse(second) is None
    later(gateway, 0.5)
    third = refuse(second)  # and doubles again, to 4 s
    later(gateway, 3.9)
    assert refuse(third) is None
    later(gateway, keeping.FORCED_LAST + 1)  # a quiet minute: back to 1 s
    fourth = refuse(third)
    later(gateway, keeping.FORCED_FIRST)
    assert refuse(fourth) not in (None, fourth)
    assert len({first, second, third, fourth}) == 4


@pytest.mark.parametrize("past", [False, True], ids=["deadline-ahead", "deadline-passed"])
def test_a_forced_refresh_that_hangs_is_given_up_at_the_deadline(
    gateway: InProcess, google: FakeGoogle, past: bool
) -> None:
    keeper = gateway.gateway.keeper
    google.fail_next("/token", google.hang())
    started = time.monotonic()
    deadline = started + (-1 if past else 0.5)
    with pytest.raises(keeping.Unavailable) as caught:
        on_loop(gateway, keeper.renewed(keeper._minted.token.value, deadline))
    assert time.monotonic() - started < (0.5 if past else 1.0)
    assert str(caught.value) == (
        "Vertex AI refused the Google token, and getting a new one failed: no answer in time"
    )
