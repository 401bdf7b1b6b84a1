"""The export parsed without click agrees with click, or leaves the decision to it."""

from __future__ import annotations

import click
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from vertex_openai_env.cli import main
from vertex_openai_env.fast_export import parse
from vertex_openai_env.root_options import OPTIONS

WORDS = st.one_of(
    st.sampled_from(sorted(OPTIONS)),
    st.sampled_from(["--help", "-h", "--version", "exec", "hook", "--", "-vv", "-", "--nope"]),
    st.sampled_from(["sh", "json", "v1", "gcloud", "10", "0.05", "2.5", "1e3", "nan", "-1"]),
    st.sampled_from(["my-proj", "gemini-2.5-flash", "5m", "", " ", "$(id)", "a\nb", "é"]),
    st.builds(
        lambda name, value: f"{name}={value}", st.sampled_from(sorted(OPTIONS)), st.text(max_size=6)
    ),
    st.text(max_size=8),
)


def clicks_reading(argv: list[str]) -> dict[str, object] | None:
    """What click makes of `argv` for the export itself; None if it errs or sees a command."""
    try:
        ctx = main.make_context("vertex-openai-env", list(argv))
    except click.exceptions.Exit:
        return None
    except click.ClickException:
        return None
    if ctx._protected_args or ctx.args:  # a command name, and what follows it
        return None
    return ctx.params


@given(argv=st.lists(WORDS, max_size=8))
@example(argv=["--project", "my-proj", "--model", "gemini-2.5-flash", "--format", "sh"])
@example(argv=["--scopes", "a", "--scopes", "b", "-v", "--timeout=2.5"])
@example(argv=["--project", "--model"])
@example(argv=["--timeout", "0.05"])
@example(argv=["--no-cache=1"])
@example(argv=["--model-var", "A", "--model-var", "B=openai/{model}", "--no-openai-api-base"])
@example(argv=["--no-quota-header", "--quota-header", "--model-var=X"])
@settings(max_examples=500, deadline=None)
def test_when_it_parses_it_agrees_with_click(argv: list[str]) -> None:
    fast = parse(argv)
    if fast is not None:
        assert fast == clicks_reading(argv)


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["--project", "my-proj", "--location", "us-central1", "--model", "gemini-2.5-flash"],
        ["--model=m", "--format", "json", "-v", "--no-cache", "--scopes", "cloud-platform"],
    ],
)
def test_the_usual_exports_take_the_fast_path(argv: list[str]) -> None:
    assert parse(argv) is not None


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["--version"],
        ["--model", "m", "exec", "--", "true"],
        ["--format", "yaml"],
        ["--env-file", ".env"],
        ["--timeout", "0"],
        ["--projct", "x"],
    ],
)
def test_everything_else_is_left_to_click(argv: list[str]) -> None:
    assert parse(argv) is None
