"""Files generated from the command line's definitions match what it generates now."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import cli_env
from tests.generate import generated
from vertex_openai_env.launch import HELP_PAGE


@pytest.mark.parametrize(("path", "text"), sorted(generated().items()))
def test_committed_copy_is_current(path: object, text: str) -> None:
    with open(str(path), encoding="utf-8") as committed:
        assert committed.read() == text, f"{path} is stale: run `make generated`"


def test_help_is_served_without_importing_click() -> None:
    code = (
        "import sys\n"
        "sys.argv = ['vertex-openai-env', '--help']\n"
        "from vertex_openai_env.launch import main\n"
        "main()\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('click', 'google'))\n"
        "print(heavy, file=sys.stderr)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=cli_env()
    )
    assert result.stdout.startswith("Usage: vertex-openai-env [OPTIONS]")
    assert result.stderr.strip() == "[]"


def test_a_narrow_terminal_gets_help_wrapped_by_click() -> None:
    env = {**cli_env(), "COLUMNS": "60"}
    result = subprocess.run(
        ["vertex-openai-env", "--help"], capture_output=True, text=True, check=True, env=env
    )
    assert result.stdout.startswith("Usage: vertex-openai-env [OPTIONS]")
    with open(HELP_PAGE, encoding="utf-8") as page:
        assert result.stdout != page.read()
