"""Vertex's event stream cut into the data of each event, however the reads fall."""

from __future__ import annotations

import pytest

from vertex_openai_env.gateway.translate.sse import DONE, Events

STREAM = b'data: {"a":1}\r\n\r\n: keep-alive\n\ndata: {"b":\ndata: 2}\n\ndata: \xc3\xa9t\xc3\xa9\n\ndata: [DONE]\n\n'
DATA = ['{"a":1}', '{"b":\n2}', "été", DONE]


def read(*reads: bytes) -> list[str]:
    events = Events()
    found = [data for each in reads for data in events.feed(each)]
    return found + events.end()


@pytest.mark.parametrize("cut", range(len(STREAM) + 1))
def test_events_split_across_two_reads_anywhere(cut: int) -> None:
    assert read(STREAM[:cut], STREAM[cut:]) == DATA


def test_events_read_a_byte_at_a_time() -> None:
    assert read(*(STREAM[n : n + 1] for n in range(len(STREAM)))) == DATA


def test_each_event_comes_out_as_soon_as_its_blank_line_does() -> None:
    events = Events()
    assert events.feed(b"data: one\n") == []
    assert events.feed(b"\ndata: two\n\ndata: th") == ["one", "two"]
    assert events.feed(b"ree\n\n") == ["three"]
    assert events.end() == []


@pytest.mark.parametrize(
    ("stream", "data"),
    [
        (b"data: x\n\n", ["x"]),
        (b"data:x\n\n", ["x"]),
        (b"data:  x \n\n", [" x "]),
        (b"data: x\r\n\r\n", ["x"]),
        (b"data: XX\r\n\r\n", ["XX"]),
        (b"data: a\ndata: b\ndata: c\n\n", ["a\nb\nc"]),
        (b"data: a\ndata:\ndata: c\n\n", ["a\n\nc"]),
        (b"event: message\nid: 7\nretry: 10\ndata: x\n\n", ["x"]),
        (b": comment\ndata: x\n: more\n\n", ["x"]),
        (b": only a comment\n\n\n\n", []),
        (b"\n\ndata: x\n\n\n\ndata: y\n\n", ["x", "y"]),
        (b"datum: x\n\n", []),
        (b"data: x", ["x"]),  # the last event without its line end
        (b"data: x\n", ["x"]),  # nor its blank line
        (b"data: x\r\n", ["x"]),
        (b"data: x\n\ndata: y", ["x", "y"]),
        (b"", []),
        (b"data: \xff\n\n", ["\ufffd"]),
    ],
)  # fmt: skip
def test_stream_forms(stream: bytes, data: list[str]) -> None:
    assert read(stream) == data


def test_done_is_the_data_vertex_ends_with() -> None:
    assert DONE == "[DONE]"
