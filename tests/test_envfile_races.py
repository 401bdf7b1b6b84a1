"""`.env` updates while someone else writes the same file: nothing they wrote is lost.

The tool reads the file, merges, and swaps the result in only if the file still holds what
it read; otherwise it reads and merges again. These tests write in that window.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from dotenv import dotenv_values

from tests.test_envfile import NEW
from vertex_openai_env.deadline import Deadline
from vertex_openai_env.errors import OutputError
from vertex_openai_env.output import envfile
from vertex_openai_env.output.dotenv_text import merge


def appending_meanwhile(monkeypatch: pytest.MonkeyPatch, path: Path, times: int) -> list[str]:
    """Someone appends a line (as `>>` does) after the tool has read the file, `times` times."""
    appended: list[str] = []

    def merge_while_someone_appends(text: str, variables: Any) -> str:
        if len(appended) < times:
            appended.append(f"HAND_{len(appended)}=1")
            with path.open("a") as stream:
                stream.write(appended[-1] + "\n")
        return merge(text, variables)

    monkeypatch.setattr(envfile, "merge", merge_while_someone_appends)
    return appended


def test_a_line_appended_while_it_rewrites_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / ".env"
    path.write_text("A=1\n")
    appended = appending_meanwhile(monkeypatch, path, times=2)
    envfile.update(path, NEW, Deadline(10))
    assert dotenv_values(path) == {"A": "1", "HAND_0": "1", "HAND_1": "1", **NEW}
    assert len(appended) == 2


def test_a_file_that_keeps_changing_is_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / ".env"
    path.write_text("A=1\n")
    appending_meanwhile(monkeypatch, path, times=1000)
    with pytest.raises(OutputError, match="kept changing while being rewritten"):
        envfile.update(path, NEW, Deadline(10))
    assert path.read_text() == "A=1\n" + "".join(f"HAND_{n}=1\n" for n in range(envfile.ATTEMPTS))


@pytest.mark.parametrize("clock", ["fine", "coarse"])
def test_a_same_size_rewrite_while_it_merges_is_kept(
    clock: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Someone else rewrites the file in place, to the same length, after the tool read it.
    A coarse clock (a second on HFS+, FAT; a tick elsewhere) may leave the mtime as it was."""
    path = tmp_path / ".env"
    path.write_text("A=1\n")
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    before = path.stat()
    rewrites: list[int] = []

    def merge_while_someone_rewrites(text: str, variables: Any) -> str:
        if not rewrites:
            with path.open("r+") as stream:  # same file, same size: only the content differs
                stream.write("A=2\n")
            if clock == "coarse":
                os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
            rewrites.append(path.stat().st_ino)
        return merge(text, variables)

    monkeypatch.setattr(envfile, "merge", merge_while_someone_rewrites)
    envfile.update(path, NEW, Deadline(10))
    assert rewrites == [before.st_ino]
    assert dotenv_values(path) == {"A": "2", **NEW}


def test_a_link_swapped_in_while_it_merges_is_not_followed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Someone replaces the file with a link to another file of ours after it was read:
    that file's lines must not end up in the .env, nor the .env become its copy."""
    path = tmp_path / ".env"
    path.write_text("A=1\n")
    secret = tmp_path / "secret"
    secret.write_text("SECRET=s3cr3t\n")

    def merge_while_someone_swaps(text: str, variables: Any) -> str:
        if not path.is_symlink():
            path.unlink()
            path.symlink_to(secret)
        return merge(text, variables)

    monkeypatch.setattr(envfile, "merge", merge_while_someone_swaps)
    with pytest.raises(OutputError) as caught:
        envfile.update(path, NEW, Deadline(10))
    assert caught.value.message == f"cannot read {path}: Too many levels of symbolic links"
    assert path.is_symlink()
    assert secret.read_text() == "SECRET=s3cr3t\n"


def test_a_file_put_in_its_place_while_it_merges_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An editor saves by writing a new file and renaming it over the old one."""
    path = tmp_path / ".env"
    path.write_text("A=1\n")
    saved: list[int] = []

    def merge_while_an_editor_saves(text: str, variables: Any) -> str:
        if not saved:
            (tmp_path / "new").write_text("B=2\n")
            os.replace(tmp_path / "new", path)
            saved.append(path.stat().st_ino)
        return merge(text, variables)

    monkeypatch.setattr(envfile, "merge", merge_while_an_editor_saves)
    envfile.update(path, NEW, Deadline(10))
    assert dotenv_values(path) == {"B": "2", **NEW}
