"""The in-memory store: bounded by count, bytes and age, its item index kept in step, and
the thought signatures' own bound."""

from __future__ import annotations

import pytest

from tests.translating import Json
from vertex_openai_env.gateway.translate.store import Record, Signatures, Store


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def response(rid: str, *items: str) -> Json:
    return {
        "id": rid,
        "object": "response",
        "output": [{"id": item, "type": "message"} for item in items],
    }


def filled(store: Store, *rids: str, size: int = 10) -> Store:
    for rid in rids:
        store.put(response(rid, f"msg_{rid}"), [f"in_{rid}", f"msg_{rid}"], [f"in_{rid}"], size)
    return store


def kept(store: Store, *rids: str) -> list[str]:
    return [rid for rid in rids if store.get(rid) is not None]


def test_a_record_holds_what_was_put_and_its_items_by_id() -> None:
    clock = Clock()
    store = Store(clock=clock)
    answer = response("resp_1", "msg_1", "fc_1")
    store.put(answer, ["in", *answer["output"]], ["in"], 42)
    assert store.get("resp_1") == Record(answer, ["in", *answer["output"]], ["in"], 42, 1000.0)
    assert store.item("fc_1") == {"id": "fc_1", "type": "message"}
    assert (store.get("resp_2"), store.item("msg_2")) == (None, None)


def test_the_oldest_go_past_the_count() -> None:
    store = filled(Store(count=2), "a", "b", "c")
    assert kept(store, "a", "b", "c") == ["b", "c"]
    assert (store.item("msg_a"), store.item("msg_b")) == (None, {"id": "msg_b", "type": "message"})


def test_reading_a_response_keeps_it_longer() -> None:
    store = filled(Store(count=2), "a", "b")
    assert store.get("a") is not None
    filled(store, "c")
    assert kept(store, "a", "b", "c") == ["a", "c"]


@pytest.mark.parametrize(
    ("sizes", "left"),
    [
        ([40, 40, 20], ["a", "b", "c"]),  # 100: exactly the limit
        ([40, 40, 21], ["b", "c"]),
        ([60, 50, 10], ["b", "c"]),
        ([90, 100, 5], ["c"]),
        ([99, 101, 1], ["a", "c"]),  # over the limit alone: not kept, nothing dropped for it
    ],
)  # fmt: skip
def test_the_oldest_go_past_the_bytes(sizes: list[int], left: list[str]) -> None:
    store = Store(size=100)
    for rid, size in zip("abc", sizes, strict=True):
        filled(store, rid, size=size)
    assert kept(store, "a", "b", "c") == left


def test_deleting_frees_its_bytes_and_items() -> None:
    store = filled(Store(size=100), "a", "b", size=50)
    assert store.delete("a") is True
    assert store.item("msg_a") is None
    assert store.delete("a") is False
    filled(store, "c", size=50)
    assert kept(store, "b", "c") == ["b", "c"]


@pytest.mark.parametrize(
    ("later", "left"),
    [(0.0, ["a", "b"]), (60.0, ["a", "b"]), (60.5, ["b"]), (100.0, ["b"]), (100.5, [])],
)  # fmt: skip
def test_nothing_is_kept_past_its_age(later: float, left: list[str]) -> None:
    clock = Clock()
    store = filled(Store(age=60.0, clock=clock), "a")
    clock.now += 40
    filled(store, "b")
    clock.now = 1000.0 + later
    assert [rid for rid in "ab" if store.item(f"msg_{rid}") is not None] == left
    assert kept(store, "a", "b") == left


def test_an_expired_response_is_gone_for_delete_too() -> None:
    clock = Clock()
    store = filled(Store(age=60.0, clock=clock), "a")
    clock.now += 61
    assert store.delete("a") is False


def test_expiry_frees_bytes() -> None:
    clock = Clock()
    store = filled(Store(size=100, age=60.0, clock=clock), "a", size=60)
    clock.now += 61
    assert store.get("a") is None
    filled(store, "b", "c", size=50)
    assert kept(store, "b", "c") == ["b", "c"]


@pytest.mark.parametrize(
    ("store", "said"),
    [(Store(), "the last 256 responses for 1h"), (Store(count=3, age=90.0), "the last 3 responses for 1m30s")],
)  # fmt: skip
def test_the_store_says_what_it_keeps(store: Store, said: str) -> None:
    assert store.describe() == said


def test_signatures_keep_the_last_ones_added() -> None:
    signatures = Signatures(count=2)
    signatures.add({"a": "sig-a", "b": "sig-b"})
    signatures.add({"a": "sig-a2"})  # a again: now the newest
    signatures.add({"c": "sig-c"})
    assert [signatures.get(call_id) for call_id in "abc"] == ["sig-a2", None, "sig-c"]
    signatures.add({})
    assert signatures.get("c") == "sig-c"


def test_signatures_keep_4096_by_default() -> None:
    signatures = Signatures()
    signatures.add({f"call_{n}": f"sig-{n}" for n in range(4097)})
    assert (signatures.get("call_0"), signatures.get("call_1"), signatures.get("call_4096")) == (
        None,
        "sig-1",
        "sig-4096",
    )
