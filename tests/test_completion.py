"""Shell completion, and help text on every command and option."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest

from tests.conftest import cli_env, invoke, require
from tests.generate import COMPLETION_FILES, COMPLETIONS
from vertex_openai_env.cli import main


def complete(words: list[str]) -> list[str]:
    """What TAB offers in a real bash after the committed completion script is sourced."""
    bash = require("bash")
    script = (
        f"source {COMPLETIONS / COMPLETION_FILES['bash']}\n"
        'COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))\n'
        "_vertex_openai_env_completion vertex-openai-env\n"
        "printf '%s\\n' \"${COMPREPLY[@]}\""
    )
    result = subprocess.run(
        [bash, "-c", script, "bash", *words],
        capture_output=True,
        text=True,
        env=cli_env(),
        check=True,
        timeout=60,
    )
    return result.stdout.split()


def test_tab_offers_options() -> None:
    assert complete(["vertex-openai-env", "--pro"]) == ["--project"]
    assert {"--location", "--model", "--endpoint", "--env-file"} <= set(
        complete(["vertex-openai-env", "--"])
    )


def test_tab_offers_commands_and_choices() -> None:
    assert complete(["vertex-openai-env", "ch"]) == ["check"]
    assert complete(["vertex-openai-env", "--format", "p"]) == ["powershell"]
    assert complete(["vertex-openai-env", "hook", ""]) == ["bash", "zsh", "fish"]


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_command_prints_the_committed_script(shell: str) -> None:
    result = invoke("completion", shell)
    assert result.exit_code == 0
    assert result.stdout == (COMPLETIONS / COMPLETION_FILES[shell]).read_text()


def test_zsh_also_finds_its_script_by_the_usual_name() -> None:
    # zsh autoloads `_vertex-openai-env` from $fpath; `vertex-openai-env.zsh` is the same
    # file under the name people `source` from .zshrc and tools look for.
    alias = COMPLETIONS / "vertex-openai-env.zsh"
    assert alias.is_symlink()
    assert alias.resolve() == (COMPLETIONS / COMPLETION_FILES["zsh"]).resolve()


def _commands(group: click.Group) -> list[click.Command]:
    ctx = click.Context(group)
    found = (group.get_command(ctx, name) for name in group.list_commands(ctx))
    return [group, *(command for command in found if command is not None)]


@pytest.mark.parametrize("command", _commands(main), ids=lambda c: c.name)
def test_every_command_and_option_has_help(command: click.Command) -> None:
    assert (command.help or "").strip(), f"{command.name} has no help"
    for param in command.params:
        if isinstance(param, click.Option) and not param.hidden:
            assert (param.help or "").strip(), f"{command.name} {param.opts} has no help"


def test_tab_offers_locations() -> None:
    assert complete(["vertex-openai-env", "--location", "us-c"]) == ["us-central1"]
    assert {"global", "us", "eu", "europe-west4"} <= set(
        complete(["vertex-openai-env", "--location", ""])
    )


def test_fish_shows_whole_descriptions_commas_and_all() -> None:
    fish = require("fish")
    script = COMPLETIONS / COMPLETION_FILES["fish"]
    result = subprocess.run(
        [fish, "-c", f"source {script}; complete -C 'vertex-openai-env --loc'"],
        capture_output=True,
        text=True,
        env=cli_env(),
        check=True,
        timeout=60,
    )
    assert result.stdout.splitlines() == [
        "--location\tglobal, us, eu or a region such as us-central1 (models default to global)."
    ]


@pytest.mark.parametrize(
    ("argv", "environ"),
    [
        (["--help"], {}),
        (
            [],
            {"_VERTEX_OPENAI_ENV_COMPLETE": "bash_complete", "COMP_WORDS": "x ", "COMP_CWORD": "1"},
        ),
    ],
    ids=["help", "tab-on-commands"],
)
def test_listing_the_commands_loads_no_network_library(
    argv: list[str], environ: dict[str, str]
) -> None:
    code = (
        "import sys\n"
        f"sys.argv = ['vertex-openai-env', *{argv!r}]\n"
        "from vertex_openai_env.launch import main\n"
        "try: main()\n"
        "except SystemExit: pass\n"
        "heavy = ('google', 'requests', 'urllib.request', 'http.client', 'ssl', 'aiohttp')\n"
        "print(sorted(m for m in sys.modules if m.startswith(heavy)), file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**cli_env(), **environ},
        check=True,
        timeout=60,
    )
    assert "check" in result.stdout  # the commands were listed
    assert result.stderr.strip() == "[]"


def test_tab_offers_gemini_models_after_model() -> None:
    assert complete(["vertex-openai-env", "--model", "gemini-2.5-f"]) == [
        "gemini-2.5-flash",
        "gemini-2.5-flash-lite",
    ]
    assert complete(["vertex-openai-env", "exec", "--model", "gemini-2.5-p"]) == ["gemini-2.5-pro"]


def test_fish_offers_gemini_models_too() -> None:
    fish = require("fish")
    script = COMPLETIONS / COMPLETION_FILES["fish"]
    result = subprocess.run(
        [fish, "-c", f"source {script}; complete -C 'vertex-openai-env --model gemini-2.5-p'"],
        capture_output=True, text=True, env=cli_env(), check=True, timeout=60,
    )  # fmt: skip
    assert result.stdout.split() == ["gemini-2.5-pro"]


def completion_run(argv: list[str], shell_variable: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in cli_env().items() if k != "SHELL"}
    if shell_variable is not None:
        env["SHELL"] = shell_variable
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60)


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_with_no_shell_named_is_for_the_shell_that_runs_it(shell: str) -> None:
    program = require(shell)
    # `; true`: the shell stays the parent rather than becoming the tool.
    result = completion_run([program, "-c", "vertex-openai-env completion; true"], "/bin/sh")
    assert result.returncode == 0, result.stderr
    assert result.stdout == (COMPLETIONS / COMPLETION_FILES[shell]).read_text()


def test_completion_with_no_shell_named_falls_back_on_the_login_shell() -> None:
    result = completion_run(["vertex-openai-env", "completion"], "/usr/bin/zsh")
    assert result.returncode == 0, result.stderr
    assert result.stdout == (COMPLETIONS / COMPLETION_FILES["zsh"]).read_text()


def test_completion_says_how_to_name_a_shell_it_cannot_tell() -> None:
    result = completion_run(["vertex-openai-env", "completion"], None)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "vertex-openai-env: error: cannot tell which shell to complete for: name it "
        "(bash, zsh, fish)",
        "  fix: vertex-openai-env completion bash",
    ]
