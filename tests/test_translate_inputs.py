"""Responses input items as chat messages: system text, turns, calls and their outputs,
images, item references and thought signatures."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest

from tests.translating import Json, lookup, offered, refusal
from vertex_openai_env.gateway.translate.inputs import (
    _SKIPPED,
    UNKNOWN_SIGNATURE,
    Conversation,
    Lookup,
    chat_messages,
)


def say(role: str, content: object) -> Json:
    return {"type": "message", "role": role, "content": content}


PARIS = '{"city":"Paris"}'


def call(call_id: str, name: str = "get_weather", arguments: str = PARIS, **more: object) -> Json:
    return {"type": "function_call", "call_id": call_id, "name": name, "arguments": arguments, **more}  # fmt: skip


def output(call_id: str, out: object = "sunny", kind: str = "function_call_output") -> Json:
    return {"type": kind, "call_id": call_id, "output": out}


def tool(call_id: str, content: str = "sunny") -> Json:
    return {"role": "tool", "tool_call_id": call_id, "content": content}


def asked(text: str = "hi") -> Json:
    return {"role": "user", "content": text}


def answer(text: str | None, *calls: Json) -> Json:
    message: Json = {"role": "assistant", "content": text}
    return {**message, "tool_calls": list(calls)} if calls else message


def sent(call_id: str, name: str = "get_weather", arguments: str = PARIS) -> Json:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


IMAGE = {"type": "input_image", "image_url": "data:image/png;base64,AAAA"}
CHAT_IMAGE = {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}


def messages(items: Sequence[object], found: Lookup | None = None) -> Conversation:
    return chat_messages(list(items), offered(), found or lookup({"bad": {"type": "bogus"}}))


@pytest.mark.parametrize(
    ("items", "system", "chat"),
    [
        ([say("user", "hi")], [], [asked()]),
        ([{"role": "user", "content": "hi"}], [], [asked()]),  # no type: a message
        (
            [say("developer", "one"), say("system", [{"type": "input_text", "text": "two"}]), {"type": "reasoning"}, say("developer", "three"), say("user", "hi")],
            ["one", "two", "three"],
            [asked()],
        ),
        (
            [say("user", "hi"), say("developer", "be brief"), say("system", "be kind")],
            [],
            [asked(), asked("[developer] be brief"), asked("[system] be kind")],
        ),
        (
            [say("assistant", "hello"), say("developer", "later")],
            [],
            [answer("hello"), asked("[developer] later")],
        ),
        (
            [say("user", "hi"), say("assistant", [{"type": "output_text", "text": "a"}, {"type": "refusal", "refusal": "b"}, {"type": "text"}]), say("assistant", [{"type": "text", "text": "c"}])],
            [],
            [asked(), answer("ab\nc")],
        ),
        (
            [say("user", "hi"), say("assistant", "checking"), call("c1"), call("c2", arguments=""), output("c1"), output("c2", "rain")],
            [],
            [asked(), answer("checking", sent("c1"), sent("c2", arguments="{}")), tool("c1"), tool("c2", "rain")],
        ),
        (
            [call("c1"), say("assistant", "after"), output("c1")],
            [],
            [answer("after", sent("c1")), tool("c1")],
        ),
        (
            [call("c1"), output("c1"), call("c2"), output("c2"), say("assistant", "done")],
            [],
            [answer(None, sent("c1")), tool("c1"), answer(None, sent("c2")), tool("c2"), answer("done")],
        ),
        (
            [call("c1"), call("c2"), output("c1"), say("user", "stop")],
            [],
            [answer(None, sent("c1"), sent("c2")), tool("c1"), tool("c2", "aborted"), asked("stop")],
        ),
        (
            [say("user", "hi"), call("c1")],
            [],
            [asked(), answer(None, sent("c1")), tool("c1", "aborted")],
        ),
        (
            [call("c1", name="spawn", namespace="ns"), output("c1")],
            [],
            [answer(None, sent("c1", "ns__spawn")), tool("c1")],
        ),
        (
            [{"type": "custom_tool_call", "call_id": "c1", "name": "apply_patch", "input": "*** Begin"}, output("c1", "Done", "custom_tool_call_output")],
            [],
            [answer(None, sent("c1", "apply_patch", json.dumps({"input": "*** Begin"}))), tool("c1", "Done")],
        ),
        (
            [{"type": "custom_tool_call", "call_id": "c1", "name": "edit", "namespace": "ns"}, output("c1", "Done", "custom_tool_call_output")],
            [],
            [answer(None, sent("c1", "ns__edit", json.dumps({"input": ""}))), tool("c1", "Done")],
        ),
        (
            [{"type": "local_shell_call", "id": "lsc_1", "call_id": "c1", "action": {"type": "exec", "command": ["ls"], "working_directory": "/w", "timeout_ms": 9}},
             {"type": "local_shell_call_output", "id": "c1", "output": "a.txt"}],
            [],
            [answer(None, sent("c1", "local_shell", json.dumps({"command": ["ls"], "workdir": "/w", "timeout_ms": 9}))), tool("c1", "a.txt")],
        ),
        (
            [{"type": "local_shell_call", "id": "c1"}, output("c1", "x")],
            [],
            [answer(None, sent("c1", "local_shell", json.dumps({"command": [], "workdir": None, "timeout_ms": None}))), tool("c1", "x")],
        ),
        (
            [call("c1"), call("c2"), output("c1", [{"type": "input_text", "text": "a"}, IMAGE, {"type": "input_text", "text": "b"}]), output("c2", [IMAGE]), say("user", "next")],
            [],
            [answer(None, sent("c1"), sent("c2")), tool("c1", "a\nb"), tool("c2", "[image]"), {"role": "user", "content": [CHAT_IMAGE, CHAT_IMAGE]}, asked("next")],
        ),
        (
            [call("c1"), call("c2"), output("c1", [IMAGE])],
            [],
            [answer(None, sent("c1"), sent("c2")), tool("c1", "[image]"), tool("c2", "aborted"), {"role": "user", "content": [CHAT_IMAGE]}],
        ),
        (
            [call("c1"), output("c1", [IMAGE]), call("c2"), output("c2", [IMAGE])],
            [],
            [answer(None, sent("c1")), tool("c1", "[image]"), {"role": "user", "content": [CHAT_IMAGE]},
             answer(None, sent("c2")), tool("c2", "[image]"), {"role": "user", "content": [CHAT_IMAGE]}],
        ),
        (
            [call("c1"), output("c1", [])],
            [],
            [answer(None, sent("c1")), tool("c1", "")],
        ),
        (
            [call("c1"), output("c1", {"temperature": 20})],
            [],
            [answer(None, sent("c1")), tool("c1", '{"temperature": 20}')],
        ),
        (
            [say("user", "hi"), *({"type": kind, "id": "x"} for kind in sorted(_SKIPPED)), say("assistant", "hello")],
            [],
            [asked(), answer("hello")],
        ),
    ],
)  # fmt: skip
def test_items_become_chat_messages(
    items: list[object], system: list[str], chat: list[Json]
) -> None:
    assert messages(items) == Conversation(system, chat)


def test_hosted_items_and_reasoning_are_skipped() -> None:
    hosted = {"web_search_call", "file_search_call", "code_interpreter_call", "image_generation_call",
              "computer_call", "mcp_call", "tool_search_call"}  # fmt: skip
    assert {"reasoning", "compaction", *hosted} <= _SKIPPED


@pytest.mark.parametrize(
    ("part", "chat"),
    [
        ({"type": "input_text", "text": "hi"}, {"type": "text", "text": "hi"}),
        ({"type": "text", "text": "hi"}, {"type": "text", "text": "hi"}),
        ({"type": "input_text"}, {"type": "text", "text": ""}),
        ({**IMAGE, "detail": "high"}, CHAT_IMAGE),
        ({"type": "input_image", "image_url": "gs://b/cat.jpg"}, {"type": "image_url", "image_url": {"url": "gs://b/cat.jpg"}}),
        ({"type": "input_file", "file_data": "JVBE", "filename": "a.pdf"}, {"type": "image_url", "image_url": {"url": "data:application/pdf;base64,JVBE"}}),
        ({"type": "input_file", "file_data": "iVBO", "filename": "cat.png"}, {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBO"}}),
        ({"type": "input_file", "file_data": "JVBE"}, {"type": "image_url", "image_url": {"url": "data:application/pdf;base64,JVBE"}}),
        ({"type": "input_file", "file_data": "data:text/plain;base64,aGk=", "filename": "a.png"}, {"type": "image_url", "image_url": {"url": "data:text/plain;base64,aGk="}}),
        ({"type": "input_file", "file_url": "https://x/a.pdf", "file_data": "JVBE"}, {"type": "image_url", "image_url": {"url": "https://x/a.pdf"}}),
        ({"type": "input_file", "file_url": "gs://b/a.pdf"}, {"type": "image_url", "image_url": {"url": "gs://b/a.pdf"}}),
        ({"type": "input_audio", "input_audio": {"data": "UklG", "format": "wav"}}, {"type": "input_audio", "input_audio": {"data": "UklG", "format": "wav"}}),
    ],
)  # fmt: skip
def test_user_content_parts_become_chat_parts(part: Json, chat: Json) -> None:
    assert messages([say("user", [part])]).messages == [{"role": "user", "content": [chat]}]


@pytest.mark.parametrize(
    ("items", "param", "says"),
    [
        (["hi"], "input[0]", "input[0] must be an object"),
        ([{"type": "shell_call"}], "input[0]", "input item type 'shell_call' is not supported"),
        ([{"type": ["message"], "role": "user"}], "input[0]", "input item type \"['message']\" is not supported"),
        ([{"type": "local_shell_call", "call_id": "c1", "action": "ls"}], "input[0].action", "input[0].action must be an object"),
        ([{"content": "no role, no type"}], "input[0]", "input item type 'None' is not supported"),
        ([{"type": "y" * 50}], "input[0]", f"input item type {'y' * 40!r} is not supported"),
        ([say("r" * 50, "x")], "input[0].role", f"message role {'r' * 40!r} is not supported"),
        ([say("user", [{"type": "p" * 50}])], "input[0].content[0]", f"input[0].content[0]: content part {'p' * 40!r} is not supported"),
        ([output("c" * 100)], "input[0].call_id", f"input[0] (call_id {'c' * 80}) answers no call"),
        ([{"type": "function_call_output", "output": "x"}], "input[0].call_id", "input[0] (call_id ) answers no call"),
        ([{"type": "item_reference", "id": "bad"}], "input[0]", "input item type 'bogus' is not supported"),
        ([say("tool", "x")], "input[0].role", "message role 'tool' is not supported"),
        ([say("user", 5)], "input[0]", "input[0].content must be a string or a list of parts"),
        ([say("developer", {"text": "x"})], "input[0].content", "input[0].content must be a string or a list of parts"),
        ([say("assistant", [{"type": "input_image", "image_url": "u"}])], "input[0].content[0]", "input[0].content[0] must be a text part"),
        ([say("system", ["text"])], "input[0].content[0]", "input[0].content[0] must be a text part"),
        ([say("user", ["text"])], "input[0].content[0]", "input[0].content[0] must be an object"),
        ([say("user", [{"type": "input_image", "file_id": "file-1"}])], "input[0].content[0]", "input[0].content[0]: file_id needs OpenAI's Files API, which Vertex AI does not have; send the file's data or URL instead"),
        ([say("user", [{"type": "input_file", "file_id": "file-1", "file_data": "JVBE"}])], "input[0].content[0]", "input[0].content[0]: file_id needs OpenAI's Files API, which Vertex AI does not have; send the file's data or URL instead"),
        ([say("user", [{"type": "input_image"}])], "input[0].content[0]", "input[0].content[0]: content part 'input_image' is not supported"),
        ([say("user", [{"type": "input_file", "filename": "a.pdf"}])], "input[0].content[0]", "input[0].content[0]: content part 'input_file' is not supported"),
        ([say("user", [{"type": "input_audio", "input_audio": "UklG"}])], "input[0].content[0]", "input[0].content[0]: content part 'input_audio' is not supported"),
        ([say("user", [{"type": "input_video"}])], "input[0].content[0]", "input[0].content[0]: content part 'input_video' is not supported"),
        ([call("c1"), output("c1", [{"type": "input_file", "file_id": "file-1"}])], "input[1].output[0]", "input[1].output[0]: file_id needs OpenAI's Files API, which Vertex AI does not have; send the file's data or URL instead"),
        ([{"type": "function_call", "name": "get_weather"}], "input[0].call_id", "input[0].call_id is missing"),
        ([output("c9")], "input[0].call_id", "input[0] (call_id c9) answers no call"),
        ([call("c1"), output("c1"), output("c9")], "input[2].call_id", "input[2] (call_id c9) answers no call"),
        ([call("c1"), say("user", "wait"), output("c1")], "input[2].call_id", "input[2] (call_id c1) does not follow its call"),
        ([say("assistant", "text only"), output("c1")], "input[1].call_id", "input[1] (call_id c1) answers no call"),
    ],
)  # fmt: skip
def test_items_chat_cannot_carry_are_refused(items: list[object], param: str, says: str) -> None:
    problem = refusal(messages, items)
    assert (problem.status, problem.code, problem.param) == (400, "invalid_request", param)
    assert problem.message == says


def test_an_item_reference_is_the_item_kept() -> None:
    kept = {"msg_1": say("assistant", "kept text"), "fc_1": call("c1")}
    references = [
        {"type": "item_reference", "id": "msg_1"},
        {"type": "item_reference", "id": "fc_1"},
    ]
    items = [say("user", "hi"), *references, output("c1")]
    chat = [asked(), answer("kept text", sent("c1")), tool("c1")]
    assert messages(items, lookup(kept)).messages == chat


def test_an_unknown_item_reference_is_item_not_found() -> None:
    gone = [{"type": "item_reference", "id": "msg_gone"}]
    problem = refusal(messages, gone, lookup({"msg_1": say("user", "x")}))
    assert (problem.status, problem.code, problem.param) == (400, "item_not_found", "input[0]")
    assert problem.message == (
        "item msg_gone is not kept by the gateway: it keeps the items of the last responses "
        "stored in memory for an hour; resend the items themselves, or set store to false"
    )
    long = refusal(messages, [{"type": "item_reference", "id": "i" * 100}])
    assert long.message.startswith(f"item {'i' * 80} is not kept")


SIGNED = {"c1": "sig-1", "c3": "sig-3"}


@pytest.mark.parametrize(
    ("gemini", "items", "signatures"),
    [
        (False, [call("c1"), call("c2"), output("c1"), output("c2")], ["sig-1", None]),
        (True, [call("c1"), call("c2"), output("c1"), output("c2")], ["sig-1", None]),
        (True, [call("c2"), call("c1"), output("c2"), output("c1")], [UNKNOWN_SIGNATURE, "sig-1"]),
        (False, [call("c2"), call("c4"), output("c2"), output("c4")], [None, None]),
        (True, [call("c2"), call("c4"), output("c2"), output("c4")], [UNKNOWN_SIGNATURE, None]),
        (True, [call("c2"), output("c2"), call("c4"), output("c4")], [UNKNOWN_SIGNATURE, UNKNOWN_SIGNATURE]),
        (True, [call("c2"), output("c2"), call("c3"), output("c3")], [UNKNOWN_SIGNATURE, "sig-3"]),
        (True, [say("assistant", "first"), call("c2"), output("c2")], [UNKNOWN_SIGNATURE]),
    ],
)  # fmt: skip
def test_thought_signatures_go_back_with_their_calls(
    gemini: bool, items: list[object], signatures: list[str | None]
) -> None:
    chat = messages(items, lookup(signatures=SIGNED, gemini=gemini)).messages
    calls = [each for message in chat for each in message.get("tool_calls", [])]
    found = [
        each.get("extra_content", {}).get("google", {}).get("thought_signature") for each in calls
    ]
    assert found == signatures
