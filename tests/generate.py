"""`make generated`: rewrite the files generated from the command line's own definitions.

The tests compare each with what the code generates now, so a change to an option that
forgets this step fails there.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import click
from click.testing import CliRunner

from vertex_openai_env.cli import main
from vertex_openai_env.commands.completion import script
from vertex_openai_env.launch import HELP_PAGE, PAGE_WIDTH

ROOT_OPTIONS = Path(__file__).parent.parent / "src" / "vertex_openai_env" / "root_options.py"


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


OPTIONS_PAGE = Path(__file__).parent.parent / "docs" / "options.md"
_TABLES = re.compile(r"(<!-- options: generated.*?-->\n).*?(<!-- options: end -->)", re.DOTALL)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _records(command: click.Command, ctx: click.Context) -> list[tuple[str, str]]:
    """(options, help) for each option of `command`, as --help shows them."""
    return [
        record
        for param in command.get_params(ctx)
        if isinstance(param, click.Option) and param.name != "help"
        for record in [param.get_help_record(ctx)]
        if record
    ]


def option_tables() -> str:
    """The options page's tables of options and commands, as the click definitions say."""
    # Contexts made as click makes them (with the commands' own settings, -h among them):
    # a command remembers the help option of the first context it sees.
    ctx = main.make_context(
        "vertex-openai-env", [], resilient_parsing=True, max_content_width=10_000
    )
    shared = _records(main, ctx)
    lines = ["| option | meaning |", "| --- | --- |"]
    lines += [f"| `{_cell(opts)}` | {_cell(text)} |" for opts, text in shared]
    lines += ["", "| command | what it does | options of its own |", "| --- | --- | --- |"]
    for name in main.list_commands(ctx):
        command = main.get_command(ctx, name)
        assert command is not None
        sub = command.make_context(name, [], parent=ctx, resilient_parsing=True)
        usage = " ".join([name, *command.collect_usage_pieces(sub)])
        own = [
            f"`{_cell(opts)}`"
            for opts, text in _records(command, sub)
            if (opts, text) not in shared
        ]
        summary = _cell(command.get_short_help_str(limit=10_000))
        lines.append(f"| `{_cell(usage)}` | {summary} | {', '.join(own) or '-'} |")
    return "\n".join(lines) + "\n"


def options_page() -> str:
    """docs/options.md with its generated tables brought up to date."""
    text = OPTIONS_PAGE.read_text(encoding="utf-8")
    if not _TABLES.search(text):
        raise SystemExit(f"{OPTIONS_PAGE} has lost its <!-- options: generated ... --> markers")
    return _TABLES.sub(lambda match: match[1] + option_tables() + match[2], text)


def _kind(param: click.Option) -> tuple[str, float, tuple[str, ...]]:
    """How fast_export reads an option: its kind, the least number, the choices."""
    if param.is_flag:
        return "flag", 0.0, ()
    if param.multiple and isinstance(param.type, click.types.StringParamType):
        return "multiple", 0.0, ()
    if isinstance(param.type, click.Choice):
        return "choice", 0.0, tuple(str(choice) for choice in param.type.choices)
    if isinstance(param.type, click.FloatRange) and param.type.max is None and param.type.min:
        return "float", float(param.type.min), ()
    if isinstance(param.type, click.types.StringParamType):
        return "text", 0.0, ()
    return "other", 0.0, ()  # converted by click: fast_export leaves it to click


def root_options() -> str:
    """The root command's options as fast_export reads them, and their defaults."""
    ctx = main.make_context("vertex-openai-env", [])
    table = {}
    for param in main.params:
        if isinstance(param, click.Option) and param.expose_value and param.name:
            for opt in param.opts:
                table[opt] = (param.name, *_kind(param))
            for opt in param.secondary_opts:  # --no-X of a --X/--no-X pair
                table[opt] = (param.name, "unflag", 0.0, ())
    source = (
        '"""The root command\'s options, for fast_export: generated from the click definitions\n'
        'by `make generated`; a test fails when they drift. Do not edit."""\n\n'
        "from typing import Any\n\n"
        f"OPTIONS: dict[str, tuple[str, str, float, tuple[str, ...]]] = {table!r}\n"
        f"DEFAULTS: dict[str, Any] = {ctx.params!r}\n"
    )
    ruff = Path(sys.executable).parent / "ruff"
    return subprocess.run(
        [str(ruff), "format", "--stdin-filename", str(ROOT_OPTIONS), "-"],
        input=source,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def generated() -> dict[Path, str]:
    files = {
        Path(HELP_PAGE): help_page(),
        OPTIONS_PAGE: options_page(),
        ROOT_OPTIONS: root_options(),
    }
    for shell, name in COMPLETION_FILES.items():
        files[COMPLETIONS / name] = script(main, shell)
    return files


if __name__ == "__main__":
    for path, text in generated().items():
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")
