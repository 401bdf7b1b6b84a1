"""Which variables an export sets: model variables, OPENAI_API_BASE, OPENAI_CUSTOM_HEADERS."""

from __future__ import annotations

import contextlib
import fcntl
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from dotenv import dotenv_values

from tests.conftest import cli_env, exported, invoke, require, use_service_account
from tests.fake_google import FakeGoogle
from tests.shells import evaluate
from vertex_openai_env.errors import InputError
from vertex_openai_env.output import dotenv_text
from vertex_openai_env.output.variables import custom_headers

ARGS = ("--project", "my-proj", "--location", "us-central1", "--format", "sh")
MODEL = ("--model", "gemini-2.5-flash")


def export(*args: str) -> dict[str, str]:
    result = invoke(*ARGS, *args)
    assert result.exit_code == 0, result.stderr
    return exported(result.stdout)


def test_the_model_goes_by_default_where_the_agents_sdk_and_semantic_kernel_read_it(
    google: FakeGoogle, service_account: Path
) -> None:
    values = export(*MODEL)
    for name in ("OPENAI_MODEL", "OPENAI_DEFAULT_MODEL", "OPENAI_CHAT_MODEL_ID"):
        assert values[name] == "google/gemini-2.5-flash"


def test_model_variables_are_repeatable_with_templates(
    google: FakeGoogle, service_account: Path
) -> None:
    values = export(
        *MODEL, "--model-var", "OPENAI_MODEL", "--model-var", "AIDER_MODEL=openai/{model}"
    )
    assert values["OPENAI_MODEL"] == "google/gemini-2.5-flash"
    assert values["AIDER_MODEL"] == "openai/google/gemini-2.5-flash"
    only = export(*MODEL, "--model-var", "LLM_MODEL")
    assert "OPENAI_MODEL" not in only  # naming one replaces the default
    assert not {"OPENAI_MODEL", "LLM_MODEL"} & set(export(*MODEL, "--no-model-var"))


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("1BAD", "is not a valid environment variable name"),
        ("A-B=x{model}", "is not a valid environment variable name"),
        ("OPENAI_CUSTOM_HEADERS", "that name is taken"),
        ("X=openai/", "must hold {model}"),
        ("X={model}$(id)", "must hold {model}"),
        ("X={model}\ntouch PWNED", "must hold {model}"),
        ("X={model} {other}", "must hold {model}"),
    ],
)
def test_bad_model_variables_are_refused(spec: str, message: str) -> None:
    result = invoke(*ARGS, *MODEL, "--model-var", spec)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert message in result.stderr


def test_one_variable_named_twice_is_refused() -> None:
    result = invoke(*ARGS, *MODEL, "--model-var", "A", "--model-var", "A=openai/{model}")
    assert result.exit_code == 2
    assert "names one variable twice" in result.stderr


def test_a_stale_openai_api_base_never_survives(
    google: FakeGoogle, service_account: Path, tmp_path: Path
) -> None:
    stale = {**cli_env(), "OPENAI_API_BASE": "https://api.example.com/v1"}
    place = [*ARGS[:4], *MODEL]
    script = 'eval "$(vertex-openai-env "$@")"; printf %s "$OPENAI_API_BASE"'
    shell = subprocess.run(
        ["bash", "-c", script, "bash", *place], capture_output=True, text=True, env=stale
    )
    assert shell.stdout.endswith("/locations/us-central1/endpoints/openapi")
    show = 'printf %s "${OPENAI_API_BASE-unset}"'
    for flags, seen in (([], shell.stdout), (["--no-openai-api-base"], "unset")):
        child = subprocess.run(
            ["vertex-openai-env", *place, *flags, "exec", "--", "sh", "-c", show],
            capture_output=True, text=True, env=stale,
        )  # fmt: skip
        assert child.returncode == 0, child.stderr
        assert child.stdout == seen


QUOTA = {"quota_project_id": "billing-proj"}  # in a key file, as a user login has it


def test_the_quota_project_header_goes_exactly_where_google_auth_sends_it(
    google: FakeGoogle, service_account: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "OPENAI_CUSTOM_HEADERS" not in export(*MODEL)  # no quota project: no header
    flagged = export(*MODEL, "--quota-project", "flag-proj")
    assert flagged["OPENAI_CUSTOM_HEADERS"] == "x-goog-user-project:flag-proj"
    use_service_account(google, tmp_path, monkeypatch, **QUOTA)
    assert export(*MODEL)["OPENAI_CUSTOM_HEADERS"] == "x-goog-user-project:billing-proj"
    assert "OPENAI_CUSTOM_HEADERS" not in export(*MODEL, "--no-quota-header")


def test_other_header_lines_are_kept_and_a_stale_quota_line_replaced(
    google: FakeGoogle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_service_account(google, tmp_path, monkeypatch, **QUOTA)
    monkeypatch.setenv("OPENAI_CUSTOM_HEADERS", "X-Team: ml\nX-Goog-User-Project: old-proj")
    result = invoke(*ARGS, *MODEL)
    values = evaluate("bash", result.stdout, ["OPENAI_CUSTOM_HEADERS"], tmp_path)
    assert values["OPENAI_CUSTOM_HEADERS"] == b"X-Team: ml\nx-goog-user-project:billing-proj"
    use_service_account(google, tmp_path, monkeypatch)
    assert export(*MODEL)["OPENAI_CUSTOM_HEADERS"] == "X-Team: ml"  # no quota project now


def test_the_gcloud_source_sends_the_quota_project_of_its_login(gcloud_login: FakeGoogle) -> None:
    values = export(*MODEL, "--token-source", "gcloud")
    assert values["OPENAI_CUSTOM_HEADERS"] == "x-goog-user-project:demo-project"


def test_unset_takes_out_only_our_header_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_CUSTOM_HEADERS", "X-Team: ml\nx-goog-user-project: p")
    shown = invoke("--unset", "--format", "sh").stdout
    values = evaluate(
        "bash", f"export OPENAI_CUSTOM_HEADERS='x'\n{shown}", ["OPENAI_CUSTOM_HEADERS"], tmp_path
    )
    assert values["OPENAI_CUSTOM_HEADERS"] == b"X-Team: ml"
    monkeypatch.setenv("OPENAI_CUSTOM_HEADERS", "x-goog-user-project: p")
    assert "unset OPENAI_CUSTOM_HEADERS" in invoke("--unset", "--format", "sh").stdout
    monkeypatch.setenv("OPENAI_CUSTOM_HEADERS", "X-Team: ml")
    assert "OPENAI_CUSTOM_HEADERS" not in invoke("--unset", "--format", "sh").stdout


def test_unset_in_a_dotenv_file_keeps_other_header_lines(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text("A=1\nOPENAI_CUSTOM_HEADERS='x-goog-user-project: p'\nOPENAI_API_KEY=ya29.x\n")
    assert invoke("--env-file", str(path), "--unset").exit_code == 0
    assert dotenv_values(path) == {"A": "1"}


def holds_open(process: subprocess.Popen[str], path: Path) -> bool:
    """Whether the running `process` has `path` open."""
    assert process.poll() is None, "it ended first"
    for fd in Path(f"/proc/{process.pid}/fd").iterdir():
        with contextlib.suppress(OSError):  # closed meanwhile
            if os.readlink(fd) == str(path):
                return True
    return False


def test_unset_in_a_dotenv_file_decides_on_what_it_reads_under_the_lock(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text("OPENAI_CUSTOM_HEADERS='x-goog-user-project: p'\n")
    folder = os.open(tmp_path, os.O_RDONLY)
    fcntl.flock(folder, fcntl.LOCK_EX)  # another run holds the lock, about to change the file
    unset = subprocess.Popen(
        ["vertex-openai-env", "--env-file", str(path), "--unset"], env=cli_env(), text=True
    )
    try:
        while not holds_open(unset, tmp_path):  # then it waits for the lock
            time.sleep(0.01)
        path.write_text("OPENAI_CUSTOM_HEADERS='x-goog-user-project: p\nX-Team: ml'\n")
    finally:
        os.close(folder)
    assert unset.wait(30) == 0
    assert dotenv_values(path) == {"OPENAI_CUSTOM_HEADERS": "X-Team: ml"}


LINE = 'OPENAI_CUSTOM_HEADERS="x-goog-user-project: p\\nx-team: ${DEPLOY_TOKEN}"\n'


def test_unset_never_writes_what_a_reference_in_the_file_expands_to(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # python-dotenv would expand ${DEPLOY_TOKEN} while reading: the file is read as written,
    # and a line that cannot be written back as it was is refused, the file untouched.
    monkeypatch.setenv("DEPLOY_TOKEN", "s3cr3t-deploy-token")
    env_file = tmp_path / ".env"
    before = "OPENAI_API_KEY=old\n" + LINE
    env_file.write_text(before)
    result = invoke("--env-file", str(env_file), "--unset")
    assert result.exit_code == 2
    assert "cannot pass on safely" in result.stderr
    assert env_file.read_text() == before
    assert "s3cr3t" not in result.stderr


WRONG_SHELL_ARGS = ["--project", "my-proj", "--location", "us-central1", "--model", "m", "--quota-project", "quota-proj"]  # fmt: skip
TOOL = f"{sys.executable} -m vertex_openai_env"


@pytest.mark.parametrize(
    ("shell", "login_shell", "header", "script"),
    [
        # bash evaluating fish's quoting: the quote closes at \' and `touch` runs.
        ("bash", "/usr/bin/fish", "x-a: ';touch {proof};#", 'eval "$(timeout 20 {tool} {args})"'),
        # fish evaluating sh's quoting: \\'\\'' is two literal quotes and a close: touch runs
        # (the trailing backslash-quote reopens a quote, so the whole output still parses).
        (
            "fish",
            "/bin/bash",
            "x-a: \\';touch {proof};echo \\'",
            "timeout 20 {tool} {args} | source",
        ),
    ],
)
def test_a_header_from_the_environment_runs_code_in_the_other_shell(
    google: FakeGoogle, service_account: Path, tmp_path: Path,
    shell: str, login_shell: str, header: str, script: str,
) -> None:  # fmt: skip
    require(shell)
    proof = tmp_path / "pwned"
    env = {
        **os.environ,
        "SHELL": login_shell,
        "OPENAI_CUSTOM_HEADERS": header.format(proof=proof),
    }
    command = script.format(tool=TOOL, args=" ".join(WRONG_SHELL_ARGS))
    subprocess.run([shell, "-c", command], env=env, capture_output=True, timeout=60)
    assert not proof.exists(), f"{shell} ran the command hidden in OPENAI_CUSTOM_HEADERS"


def test_a_header_line_is_ours_by_its_name_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    # A value may hold colons (a URL, a time): only the part before the first one names it.
    others = "X-Trace: https://trace.example:443/a\n X-Goog-User-Project : old:proj "
    assert custom_headers({"OPENAI_CUSTOM_HEADERS": others}, "new-proj") == (
        "X-Trace: https://trace.example:443/a\nx-goog-user-project:new-proj"
    )
    assert custom_headers({"OPENAI_CUSTOM_HEADERS": others}, None) == (
        "X-Trace: https://trace.example:443/a"
    )
    assert custom_headers({"OPENAI_CUSTOM_HEADERS": "X-Note: x-goog-user-project:p"}, None) is None


def test_a_header_line_that_could_run_code_is_refused_with_the_way_out() -> None:
    with pytest.raises(InputError) as caught:
        custom_headers({"OPENAI_CUSTOM_HEADERS": "X-Team: 'ml'"}, "p")
    assert caught.value.message == (
        "$OPENAI_CUSTOM_HEADERS holds a line the tool cannot pass on safely: "
        "\"X-Team: 'ml'\" (a header name, a colon, and a value without quotes, backslashes, "
        "$ or `)"
    )
    assert caught.value.fix == "fix that line, or leave the variable alone with --no-quota-header"


def test_a_name_without_a_value_is_no_variable() -> None:
    # python-dotenv reads a bare name as a name set to nothing (None), not as ""; unset
    # has nothing of it to judge.
    assert dotenv_text.values("A\nB=1\n#C=2\nexport D=\n") == {"B": "1", "D": ""}
