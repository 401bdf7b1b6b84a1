"""How the gateway reads Vertex's error bodies to explain them on stderr: which statuses
keep Vertex's words (a 400's may quote the prompt), and the shapes an error body takes;
and how an alias is split into its name and model."""

from __future__ import annotations

import pytest

from vertex_openai_env.errors import InputError
from vertex_openai_env.gateway.models import check_alias
from vertex_openai_env.gateway.upstream import error_json, unquoted

QUOTING = {"error": {"code": 0, "message": "you said: my secret prompt", "status": "WORD"}}


@pytest.mark.parametrize("status", [401, 403, 404, 429, 500, 501, 503])
def test_statuses_explained_by_their_cause_keep_vertexs_words(status: int) -> None:
    assert unquoted(status, QUOTING) == QUOTING


@pytest.mark.parametrize("status", [400, 409, 413, 422, 499])
def test_other_statuses_lose_vertexs_words_for_its_status_word(status: int) -> None:
    assert unquoted(status, QUOTING) == {"error": {"code": 0, "message": "WORD", "status": "WORD"}}


@pytest.mark.parametrize("status", [None, 7, ["WORD"]])
def test_without_a_status_word_the_words_go_all_the_same(status: object) -> None:
    body = {"error": {"message": "you said: my secret prompt", "status": status}}
    assert unquoted(400, body) == {"error": {"message": "", "status": status}}


@pytest.mark.parametrize("error", ["you said: my secret prompt", None, ["x"]])
def test_an_error_that_is_no_object_is_left_to_the_explanation(error: object) -> None:
    assert unquoted(400, {"error": error}) == {"error": error}


@pytest.mark.parametrize(
    ("raw", "read"),
    [
        (b'{"error": {"code": 400}}', {"error": {"code": 400}}),
        (b'[{"error": {"code": 400}}]', {"error": {"code": 400}}),  # the OpenAI endpoint's list
        (b'[{"error": 1}, {"error": 2}]', {}),
        (b'"Bad Request"', {}),
        (b"[]", {}),
        (b"<html>", {}),
        (b"", {}),
    ],
)
def test_an_error_body_is_read_as_one_object_or_nothing(raw: bytes, read: object) -> None:
    assert error_json(raw) == read


def test_an_alias_splits_at_its_first_equals_sign() -> None:
    with pytest.raises(InputError, match=r'^model "gemini-2.5-flash=x" is not a model ID'):
        check_alias("gpt-4o=gemini-2.5-flash=x")


@pytest.mark.parametrize("spec", ["bad name=gemini-2.5-flash", "gemini-2.5-flash", "=m"])
def test_an_alias_not_name_equals_model_says_the_form(spec: str) -> None:
    with pytest.raises(InputError) as caught:
        check_alias(spec)
    assert str(caught.value) == (
        f'--alias "{spec}" is not NAME=MODEL (such as gpt-4o=gemini-2.5-flash; NAME: letters, '
        "digits and . _ @ : / -)"
    )
