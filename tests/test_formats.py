"""Output formats: real shells and python-dotenv read back exactly what was meant."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

import pytest
from dotenv import dotenv_values

from tests.conftest import cli_env, require
from tests.fake_google import FakeGoogle
from tests.shells import evaluate
from vertex_openai_env.errors import InputError
from vertex_openai_env.formats import render

HARD_VALUES = {
    "QUOTE": "it's",
    "DOUBLE": 'say "hi"',
    "SUBST": "$(touch PWNED) `touch PWNED` ${HOME}",
    "BACKSLASH": "a\\b\\\\c\\'",
    "NEWLINES": "line one\nline two\n",
    "SPACES": "  padded  ",
    "UNICODE": "héllo ✓ 東京",
    "EMPTY": "",
    "GLOB": "* ? [a]",
    "SEMICOLON": "a; touch PWNED & | > x",
}


@pytest.mark.parametrize("shell", ["bash", "dash"])
def test_sh_output_survives_real_shells_byte_for_byte(shell: str, tmp_path: Path) -> None:
    values = evaluate(shell, render("sh", HARD_VALUES, {}), HARD_VALUES, tmp_path)
    assert values == {name: value.encode() for name, value in HARD_VALUES.items()}
    assert not (tmp_path / "PWNED").exists()


def test_sh_refuses_nul() -> None:
    with pytest.raises(InputError, match="sh format cannot carry the value of X"):
        render("sh", {"X": "a\0b"}, {})


def test_dotenv_output_is_read_back_exactly_by_python_dotenv() -> None:
    safe = {
        "OPENAI_API_KEY": "ya29.a0AfB_byC-x~y+z/w==",
        "OPENAI_BASE_URL": "https://us-central1-aiplatform.googleapis.com/v1beta1/projects/p/x",
        "SPACES": " a # not a comment ",
        "DOUBLE": 'say "hi"',
        "UNICODE": "héllo ✓",
    }
    text = render("dotenv", safe, {})
    assert dotenv_values(stream=io.StringIO(text)) == safe


@pytest.mark.parametrize("value", ["it's", "a\\b", "${HOME}", "$HOME", "a\nb", "a\rb", "\x1b[31m"])
def test_dotenv_refuses_what_its_readers_would_change(value: str) -> None:
    with pytest.raises(InputError, match="dotenv format cannot carry the value of X"):
        render("dotenv", {"X": value}, {})


def test_json_holds_variables_and_details() -> None:
    document = json.loads(render("json", {"A": "1"}, {"expires_at": "2026-01-01T00:00:00Z"}))
    assert document == {"env": {"A": "1"}, "expires_at": "2026-01-01T00:00:00Z"}


@pytest.mark.parametrize("shell", ["bash", "dash"])
def test_eval_of_the_real_command_sets_the_variables(
    shell: str, google: FakeGoogle, service_account: Path, tmp_path: Path
) -> None:
    program = require(shell)
    script = (
        'eval "$(vertex-openai-env --project my-proj --location europe-west4 '
        '--model gemini-2.5-flash)"\n'
        'printf \'%s\\n\' "$OPENAI_API_KEY" "$OPENAI_BASE_URL" "$OPENAI_MODEL"'
    )
    out = subprocess.run(
        [program, "-c", script],
        capture_output=True,
        text=True,
        env=cli_env(),
        check=True,
        timeout=60,
    ).stdout.splitlines()
    assert google.valid(out[0])
    assert out[1:] == [
        "https://europe-west4-aiplatform.googleapis.com/v1beta1/projects/my-proj"
        "/locations/europe-west4/endpoints/openapi",
        "google/gemini-2.5-flash",
    ]


@pytest.mark.parametrize("shell", ["bash", "dash"])
def test_a_failing_command_under_eval_runs_nothing(shell: str, tmp_path: Path) -> None:
    program = require(shell)
    hostile = "x'; touch PWNED; echo '"
    script = 'eval "$(vertex-openai-env --project "$1" --model m)"; echo status=$?'
    result = subprocess.run(
        [program, "-c", script, "sh", hostile],
        capture_output=True,
        text=True,
        env=cli_env(),
        cwd=tmp_path,
        timeout=60,
    )
    assert result.stdout == "status=0\n"  # eval of nothing succeeds; nothing else ran
    assert "is not a Google Cloud project ID" in result.stderr
    assert not (tmp_path / "PWNED").exists()


@pytest.mark.parametrize("fmt", ["sh", "dotenv", "json"])
def test_output_uses_lf_only(fmt: str, google: FakeGoogle, service_account: Path) -> None:
    result = subprocess.run(
        ["vertex-openai-env", "--project", "my-proj", "--model", "m", "--format", fmt],
        capture_output=True,
        env=cli_env(),
        timeout=60,
    )
    assert result.returncode == 0
    assert b"\r" not in result.stdout
    assert result.stdout.endswith(b"\n")
