"""The legacy Completions API over chat: what is refused, what goes on, and the answer's shape."""

from __future__ import annotations

import pytest

from tests.translating import Json, refusal
from vertex_openai_env.gateway.translate.legacy import chat_request, completion

MODEL = "google/gemini-2.5-flash"
PASSED: Json = {
    "max_tokens": 20, "temperature": 0.5, "top_p": 0.9, "n": 2, "stop": ["\n"],
    "presence_penalty": 0.1, "frequency_penalty": 0.2, "seed": 7, "stream_options": {"include_usage": True},
}  # fmt: skip


def chat(prompt: str, **more: object) -> Json:
    return {"model": MODEL, "messages": [{"role": "user", "content": prompt}], **more}


@pytest.mark.parametrize(
    ("body", "sent"),
    [
        ({"model": "m", "prompt": "Say hi"}, chat("Say hi")),
        ({"prompt": ["Say hi"]}, chat("Say hi")),
        ({"prompt": ""}, chat("")),
        ({"prompt": "p", **PASSED}, chat("p", **PASSED)),
        ({"prompt": "p", **dict.fromkeys(PASSED)}, chat("p")),
        ({"prompt": "p", "temperature": 0, "max_tokens": 0}, chat("p", temperature=0, max_tokens=0)),
        ({"prompt": "p", "stream": True}, chat("p", stream=True)),
        ({"prompt": "p", "stream": "yes"}, chat("p")),
        ({"prompt": "p", "stream": False}, chat("p")),
        ({"prompt": "p", "suffix": "", "echo": False, "logprobs": None, "best_of": 1}, chat("p")),
        ({"prompt": "p", "best_of": None, "user": "u", "logit_bias": {"1": 2}, "metadata": {}}, chat("p")),
    ],
)  # fmt: skip
def test_a_prompt_becomes_one_user_message(body: Json, sent: Json) -> None:
    assert chat_request(body, MODEL) == sent


@pytest.mark.parametrize(
    ("body", "param", "says"),
    [
        ({"prompt": "p", "suffix": "end"}, "suffix", "suffix (fill-in-the-middle) has no chat form on Vertex AI: put the text before and after the gap in the prompt instead"),
        ({"prompt": "p", "echo": True}, "echo", "echo is not supported through the gateway"),
        ({"prompt": "p", "logprobs": 5}, "logprobs", "logprobs is not supported through the gateway"),
        ({"prompt": "p", "best_of": 2}, "best_of", "best_of is not supported through the gateway"),
        ({"prompt": "p", "best_of": "2"}, "best_of", "best_of is not supported through the gateway"),
        ({"prompt": ["a", "b"]}, "prompt", "prompt must be one string (no lists of prompts or tokens)"),
        ({"prompt": []}, "prompt", "prompt must be one string (no lists of prompts or tokens)"),
        ({"prompt": [[1, 2]]}, "prompt", "prompt must be one string (no lists of prompts or tokens)"),
        ({"prompt": [1, 2]}, "prompt", "prompt must be one string (no lists of prompts or tokens)"),
        ({}, "prompt", "prompt must be one string (no lists of prompts or tokens)"),
        ({"prompt": None}, "prompt", "prompt must be one string (no lists of prompts or tokens)"),
    ],
)  # fmt: skip
def test_what_chat_cannot_do_is_refused(body: Json, param: str, says: str) -> None:
    problem = refusal(chat_request, body, MODEL)
    assert (problem.status, problem.param) == (400, param)
    assert problem.message == says


def test_a_body_that_is_no_object_is_refused() -> None:
    problem = refusal(chat_request, "prompt", MODEL)
    assert (problem.status, problem.param, problem.message) == (
        400,
        None,
        "the request body must be a JSON object",
    )


USAGE = {"prompt_tokens": 2, "completion_tokens": 3, "total_tokens": 5}


def text_choice(text: str, index: int = 0, finish: str | None = None) -> Json:
    return {"text": text, "index": index, "logprobs": None, "finish_reason": finish}


@pytest.mark.parametrize(
    ("answer", "choices"),
    [
        ({"choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi"}, "finish_reason": "stop"}]}, [text_choice("Hi", 0, "stop")]),
        ({"choices": [{"message": {"content": "a"}}, {"index": 1, "message": {"content": "b"}, "finish_reason": "length"}]},
         [text_choice("a"), text_choice("b", 1, "length")]),
        ({"choices": [{"index": 0, "delta": {"role": "assistant", "content": "He"}}]}, [text_choice("He")]),
        ({"choices": [{"index": 0, "delta": {"content": None}, "finish_reason": "stop"}]}, [text_choice("", 0, "stop")]),
        ({"choices": [{"index": 0, "delta": {}}]}, [text_choice("")]),
        ({"choices": []}, []),
        ({"choices": None}, []),
    ],
)  # fmt: skip
def test_an_answer_becomes_a_text_completion(answer: Json, choices: list[Json]) -> None:
    found = completion({"id": "chatcmpl-abc", "created": 17, **answer}, "gemini-2.5-flash")
    assert found == {
        "id": "cmpl-abc",
        "object": "text_completion",
        "created": 17,
        "model": "gemini-2.5-flash",
        "choices": choices,
    }


@pytest.mark.parametrize(
    ("answer", "more"),
    [
        ({"id": "chatcmpl-x-chatcmpl", "usage": USAGE}, {"id": "cmpl-x-chatcmpl", "usage": USAGE}),
        ({"id": "abc"}, {"id": "abc"}),
        ({}, {"id": "cmpl"}),
        ({"id": None, "usage": None}, {"id": "cmpl"}),
    ],
)  # fmt: skip
def test_the_completion_keeps_the_id_and_usage(answer: Json, more: Json) -> None:
    found = completion({"created": 5, "choices": [], **answer}, "m")
    assert found == {"object": "text_completion", "created": 5, "model": "m", "choices": [], **more}
