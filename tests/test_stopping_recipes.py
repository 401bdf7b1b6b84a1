"""The documented way to stop when the export fails: `vars=$(vertex-openai-env …)` first.

`eval "$(vertex-openai-env …)"` of a failed run evaluates nothing, and succeeds: neither
`set -e` nor `&&` stops there. The pages give `vars=$(…) && eval "$vars"` (or the two
lines under `set -e`) instead; each such line is run here, as written, in real shells.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.clients.recipes import pages
from tests.conftest import cli_env, require

SHELLS = ["bash", "dash", "zsh"]
_LINE = re.compile(r'^vars=\$\(vertex-openai-env [^\n]*\)(?: && eval "\$vars")?$', re.MULTILINE)


def documented() -> list[str]:
    """Every documented `vars=$(vertex-openai-env …)` line, with the `eval` that follows it
    on the next line when it is not on the same one."""
    found = []
    for page in pages():
        text = page.read_text(encoding="utf-8")
        for match in _LINE.finditer(text):
            line = match[0]
            if "&& eval" not in line:
                following = text[match.end() + 1 :].split("\n", 1)[0]
                assert following == 'eval "$vars"', (
                    f"{page.name}: {line} is not followed by its eval"
                )
                line += "\n" + following
            found.append(line)
    return found


LINES = documented()


def shell(name: str, script: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [require(name), "-c", script], env=cli_env(), capture_output=True, text=True, timeout=60
    )


def test_the_pages_give_the_recipe() -> None:
    assert any("&& eval" in line for line in LINES)
    assert any("\n" in line for line in LINES)  # the CI recipe, under set -e


@pytest.mark.parametrize("name", SHELLS)
def test_eval_of_a_failed_export_goes_on(name: str) -> None:
    # Why the recipe exists: no credentials here, and still the && goes on.
    result = shell(
        name, 'set -e; eval "$(vertex-openai-env --model gemini-2.5-flash)" && echo went on'
    )
    assert "no Google credentials" in result.stderr
    assert result.stdout == "went on\n"


@pytest.mark.parametrize("line", LINES)
@pytest.mark.parametrize("name", SHELLS)
def test_the_recipe_stops_when_the_export_fails(name: str, line: str) -> None:
    script = f"set -e\n{line}\necho went on" if "\n" in line else f"{line} && echo went on"
    result = shell(name, script)
    assert "no Google credentials" in result.stderr
    assert result.returncode != 0
    assert result.stdout == ""


@pytest.mark.parametrize("line", LINES)
@pytest.mark.parametrize("name", SHELLS)
def test_the_recipe_sets_the_variables_when_the_export_works(
    name: str, line: str, service_account: Path
) -> None:
    result = shell(name, f'set -e\n{line}\necho "$OPENAI_BASE_URL"')
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("https://")
    assert result.stdout.endswith("/endpoints/openapi\n")
