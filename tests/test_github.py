"""--format github: the token masked first, the variables appended to $GITHUB_ENV."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.conftest import cli_env, invoke, require
from tests.fake_google import FakeGoogle
from tests.readers import github_env_file
from vertex_openai_env.errors import InputError, OutputError
from vertex_openai_env.output.formats import github
from vertex_openai_env.output.formats.base import Rendering

ARGS = ("--project", "my-proj", "--location", "us-central1", "--model", "gemini-2.5-flash")


@pytest.fixture
def actions_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    env_file, output_file = tmp_path / "github_env", tmp_path / "github_output"
    env_file.write_text("EARLIER=step\n")
    output_file.write_text("")
    monkeypatch.setenv("GITHUB_ENV", str(env_file))
    monkeypatch.setenv("GITHUB_OUTPUT", str(output_file))
    return env_file, output_file


def test_token_is_masked_and_variables_reach_later_steps(
    google: FakeGoogle, service_account: Path, actions_files: tuple[Path, Path]
) -> None:
    env_file, output_file = actions_files
    result = invoke(*ARGS, "--format", "github")
    assert result.exit_code == 0, result.stderr
    values = github_env_file(env_file.read_text())
    token = values["OPENAI_API_KEY"]
    assert google.valid(token)
    assert result.stdout == f"::add-mask::{token}\n"
    assert values["EARLIER"] == "step"
    assert values["OPENAI_MODEL"] == "google/gemini-2.5-flash"
    assert values["OPENAI_BASE_URL"].endswith("/locations/us-central1/endpoints/openapi")
    assert output_file.read_text() == ""


def test_each_entry_has_its_own_fresh_delimiter(
    google: FakeGoogle, service_account: Path, actions_files: tuple[Path, Path]
) -> None:
    env_file, _ = actions_files
    invoke(*ARGS, "--format", "github")
    delimiters = [
        line.split("<<", 1)[1] for line in env_file.read_text().splitlines() if "<<" in line
    ]
    assert len(delimiters) == 8
    assert len(set(delimiters)) == 8
    assert all(d.startswith("ghadelimiter_") and len(d) > 30 for d in delimiters)


def test_step_outputs_hold_everything_but_the_token(
    google: FakeGoogle, service_account: Path, actions_files: tuple[Path, Path]
) -> None:
    _, output_file = actions_files
    result = invoke(*ARGS, "--format", "github", "--github-output")
    assert result.exit_code == 0, result.stderr
    outputs = github_env_file(output_file.read_text())
    assert set(outputs) == {
        "OPENAI_BASE_URL",
        "OPENAI_MODEL",
        "OPENAI_DEFAULT_MODEL",
        "OPENAI_CHAT_MODEL_ID",
        "VERTEX_OPENAI_TOKEN_EXPIRES_AT",
        "OPENAI_API_BASE",
        "OPENAI_AGENTS_DISABLE_TRACING",
    }


def test_a_delimiter_found_in_the_value_is_replaced(monkeypatch: pytest.MonkeyPatch) -> None:
    chosen = iter(["clash", "fresh"])
    monkeypatch.setattr(uuid, "uuid4", lambda: next(chosen))
    assert github.delimiter("value with ghadelimiter_clash inside") == "ghadelimiter_fresh"


def test_outside_actions_it_is_a_clear_error(google: FakeGoogle, service_account: Path) -> None:
    result = invoke(*ARGS, "--format", "github")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "--format github needs $GITHUB_ENV" in result.stderr


def test_github_output_needs_the_github_format() -> None:
    result = invoke(*ARGS, "--github-output")
    assert result.exit_code == 2
    assert "--github-output goes with --format github" in result.stderr


def test_the_mask_is_printed_before_any_file_holds_the_token(
    google: FakeGoogle, service_account: Path, actions_files: tuple[Path, Path], tmp_path: Path
) -> None:
    strace = require("strace")
    env_file, _ = actions_files
    trace = tmp_path / "trace"
    result = subprocess.run(
        [strace, "-f", "-qq", "-e", "trace=write,openat", "-s", "40", "-o", str(trace),
         "vertex-openai-env", *ARGS, "--format", "github"],
        capture_output=True, text=True, env=cli_env(), timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    calls = trace.read_text().splitlines()
    masked = next(n for n, call in enumerate(calls) if "::add-mask::" in call)
    opened = next(n for n, call in enumerate(calls) if "openat" in call and str(env_file) in call)
    assert masked < opened


def test_if_one_file_cannot_be_written_neither_is(
    google: FakeGoogle, service_account: Path, actions_files: tuple[Path, Path]
) -> None:
    env_file, output_file = actions_files
    output_file.unlink()
    output_file.mkdir()  # cannot be appended to
    result = invoke(*ARGS, "--format", "github", "--github-output")
    assert result.exit_code == 1
    assert f"cannot append to {output_file}" in result.stderr
    assert env_file.read_text() == "EARLIER=step\n"


def test_a_github_env_without_a_final_newline_gets_one_first(
    google: FakeGoogle, service_account: Path, actions_files: tuple[Path, Path]
) -> None:
    env_file, _ = actions_files
    env_file.write_text("FOO=bar")
    assert invoke(*ARGS, "--format", "github").exit_code == 0
    values = github_env_file(env_file.read_text())
    assert values["FOO"] == "bar"
    assert google.valid(values["OPENAI_API_KEY"])


LIMIT = 4096


def test_a_failed_append_leaves_a_half_written_heredoc(
    google: FakeGoogle, service_account: Path, tmp_path: Path
) -> None:
    github_env = tmp_path / "github_env"
    before = b"EARLIER=1\n" * ((LIMIT - 150) // 10)  # room for ~150 more bytes only
    github_env.write_bytes(before)

    def small_files() -> None:  # what a full disk or a quota does to the append
        resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, LIMIT))

    result = subprocess.run(
        [sys.executable, "-m", "vertex_openai_env", *ARGS, "--format", "github"],
        env={**os.environ, "GITHUB_ENV": str(github_env)},
        capture_output=True,
        text=True,
        preexec_fn=small_files,
        timeout=60,
    )
    assert result.returncode == 1, result.stderr  # the write failed, and said so ...
    after = github_env.read_bytes()
    # ... but the file was not put back as it was:
    assert after == before, f"GITHUB_ENV left with a torn entry:\n{after[len(before) :]!r}"


def test_masks_escape_what_the_runner_unescapes() -> None:
    # The runner turns %25, %0D and %0A (capitals, as its own escaping writes them) back.
    assert github.mask("50%\r\nx%0A") == "::add-mask::50%25%0D%0Ax%250A\n"


def test_every_secret_gets_its_own_mask_line_and_nothing_else_is_printed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env_file = tmp_path / "github_env"
    output = Rendering(
        {"A": "one", "B": "two", "C": "shown"},
        secrets=frozenset({"A", "B"}),
        environ={"GITHUB_ENV": str(env_file)},
    )
    assert github.FORMAT.render(output) == ""
    assert capsys.readouterr().out == "::add-mask::one\n::add-mask::two\n"
    assert github_env_file(env_file.read_text()) == {"A": "one", "B": "two", "C": "shown"}


def test_an_entry_follows_a_final_newline_directly(
    google: FakeGoogle, service_account: Path, actions_files: tuple[Path, Path]
) -> None:
    env_file, _ = actions_files
    assert invoke(*ARGS, "--format", "github").exit_code == 0
    assert env_file.read_text().startswith("EARLIER=step\nOPENAI_API_KEY<<ghadelimiter_")


def test_outside_actions_the_error_says_what_to_do(tmp_path: Path) -> None:
    output = Rendering({"A": "1"}, environ={"GITHUB_ENV": ""})
    with pytest.raises(InputError) as caught:
        github.FORMAT.render(output)
    assert caught.value.message == (
        "--format github needs $GITHUB_ENV, which GitHub Actions sets in every step; "
        "outside Actions choose another --format"
    )


def test_a_file_that_cannot_be_cut_back_does_not_hide_the_first_failure(tmp_path: Path) -> None:
    # /dev/null takes the append but cannot be truncated back: that is not worth a word.
    folder = tmp_path / "github_output"
    folder.mkdir()
    output = Rendering(
        {"A": "1"},
        environ={"GITHUB_ENV": os.devnull, "GITHUB_OUTPUT": str(folder)},
        step_outputs=True,
    )
    with pytest.raises(OutputError) as caught:
        github.FORMAT.render(output)
    assert caught.value.message == f"cannot append to {folder}: Is a directory"


def test_a_delimiter_inside_the_value_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match=r"^the heredoc delimiter occurs in the value$"):
        github.env_block("A", "x EOF y", "EOF")
