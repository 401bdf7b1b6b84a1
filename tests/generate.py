"""`make generated`: rewrite the files generated from the command line's own definitions.

The tests compare each with what the code generates now, so a change to an option that
forgets this step fails there.
"""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from vertex_openai_env.cli import main
from vertex_openai_env.commands.completion import script
from vertex_openai_env.launch import HELP_PAGE, PAGE_WIDTH


def help_page() -> str:
    """`--help` as click renders it at the pre-rendered page's width."""
    result = CliRunner().invoke(
        main, ["--help"], terminal_width=PAGE_WIDTH, prog_name="vertex-openai-env"
    )
    assert result.exit_code == 0, result.output
    return result.output


COMPLETIONS = Path(__file__).parent.parent / "completions"
# zsh finds completion functions by file name: `_` and the command's name.
COMPLETION_FILES = {
    "bash": "vertex-openai-env.bash",
    "zsh": "_vertex-openai-env",
    "fish": "vertex-openai-env.fish",
}


def generated() -> dict[Path, str]:
    files = {Path(HELP_PAGE): help_page()}
    for shell, name in COMPLETION_FILES.items():
        files[COMPLETIONS / name] = script(main, shell)
    return files


if __name__ == "__main__":
    for path, text in generated().items():
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")
