"""The export itself (no command name): print the variables, or write them to a `.env`."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .. import console
from ..deadline import Deadline
from ..job import Job, Output, build, names, output
from ..output.formats.base import Rendering
from ..output.variables import API_KEY, CUSTOM_HEADERS, custom_headers
from ..pipeline import Exports, prepare
from ..settings.sources import described

if TYPE_CHECKING:
    from pathlib import Path


def run(options: Mapping[str, Any]) -> None:
    """Export as `options` say: the command line's root, parsed."""
    out = output(options)
    if out.unset:
        _unset(out, options)
        return
    job = build(options, os.environ)
    path = out.env_file
    if path is not None:
        if out.watch:
            from ..live.watch import watch

            watch(lambda: write_env_file(job, path).minted, job.min_valid, console.say)
        else:
            write_env_file(job, path)
        return
    exports = prepared(job)
    fmt = out.format or detect_format(job.verbose)
    console.emit(render(fmt, exports.variables, exports.details(), out.step_outputs))
    if sys.stdout.isatty():  # a person reading a live token, not a shell setting it
        console.note(_HOW_TO_SET.get(fmt, _SHOWN).format(prog=console.PROG))


# What to type instead, by format: only the shells' formats set anything.
_HOW_TO_SET = {
    "sh": 'these lines set nothing when shown: run eval "$({prog} ...)" to set them',
    "fish": "these lines set nothing when shown: run {prog} ... | source to set them",
    "powershell": "these lines set nothing when shown: run {prog} ... | Invoke-Expression",
    "cmd": "these lines set nothing when shown: write them to a .bat file and call it",
}
_SHOWN = "this holds a live token: send it to a file or a program, or use --env-file PATH"


def render(
    fmt: str, variables: dict[str, str], details: dict[str, Any], step_outputs: bool = False
) -> str:
    """The variables in format `fmt`, the JSON format's `details` beside them (github also
    writes its files)."""
    from ..output.formats import get

    rendering = Rendering(
        variables,
        details=details,
        secrets=frozenset({API_KEY}),
        environ=os.environ,
        step_outputs=step_outputs,
    )
    return get(fmt).render(rendering)


def prepared(job: Job) -> Exports:
    """Settings and token, with the notes and --verbose lines said on stderr: what the
    settings say comes first, so that it is said even when the token cannot be had."""
    for note in job.place.notes:
        console.note_once(note)
    if job.verbose:
        for line in described(job.origins()):
            console.say(line)
    exports = prepare(job, os.environ)
    for note in exports.notes:
        console.note_once(note)
    if job.verbose:
        for line in exports.describe_token():
            console.say(line)
    return exports


def write_env_file(job: Job, path: Path) -> Exports:
    """Merge the variables into the `.env` file at `path`, saying what changed."""
    exports = prepared(job)
    write_variables(path, exports.variables, exports.deadline)
    if job.verbose or sys.stderr.isatty():  # a person likes to know; a script does not
        console.say(f"set {', '.join(exports.variables)} in {path}")
    return exports


def write_variables(path: Path, variables: dict[str, str], deadline: Deadline) -> None:
    """Merge `variables` into the `.env` file at `path`; a file others can read is said."""
    from ..output import envfile

    mode = envfile.update(path, variables, deadline)
    if mode & 0o077:
        console.note_once(f"{path} is readable by others (mode {mode:04o}): chmod 600 {path}")


def detect_format(verbose: bool) -> str:
    """The calling shell's format, said on stderr with --verbose."""
    from ..output.shell_detect import detect

    detected = detect(os.environ)
    if verbose:
        console.say(f"format: {detected.format} ({detected.reason})")
    return detected.format


def _unset(out: Output, options: Mapping[str, Any]) -> None:
    """Remove every variable the tool sets: from the shell (printed) or from a .env file."""
    chosen = names(options)
    every = chosen.all()
    touch_headers = chosen.quota_header
    if out.env_file is None:
        from ..output.formats import get, render_unset

        removed, restored = _removal(every, os.environ if touch_headers else {})
        fmt = out.format or detect_format(options["verbose"])
        text = render_unset(fmt, removed)
        if restored:
            text += get(fmt).render(Rendering(restored))
        console.emit(text)
        return
    from ..output import envfile

    def changes(current: Mapping[str, str]) -> dict[str, str | None]:
        removed, restored = _removal(every, current if touch_headers else {})
        return {**dict.fromkeys(removed), **restored}

    envfile.remove(out.env_file, changes, Deadline(options["timeout"]))


def _removal(
    every: tuple[str, ...], current: Mapping[str, str]
) -> tuple[tuple[str, ...], dict[str, str]]:
    """What --unset removes, and what it sets back: OPENAI_CUSTOM_HEADERS loses only our
    line, and keeps the other headers it holds."""
    kept = custom_headers(current, None)
    if kept is None:
        return every, {}
    if not kept:
        return (*every, CUSTOM_HEADERS), {}
    return every, {CUSTOM_HEADERS: kept}
