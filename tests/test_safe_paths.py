"""Where a `.env` write goes: links followed one step at a time, and only links of ours."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import NOBODY, as_other_user
from vertex_openai_env.errors import OutputError
from vertex_openai_env.output.safe_paths import check_owner, real_path


def test_a_plain_path_is_itself_made_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "app").mkdir()
    monkeypatch.chdir(tmp_path)
    assert real_path(Path("app/.env")) == tmp_path / "app" / ".env"
    assert real_path(Path("app/../app/./.env")) == tmp_path / "app" / ".env"


def test_links_are_followed_step_by_step_relative_to_their_folder(tmp_path: Path) -> None:
    (tmp_path / "real" / "deep").mkdir(parents=True)
    (tmp_path / "to-deep").symlink_to("real/deep")  # a relative link to a folder
    (tmp_path / "real" / "deep" / "target").write_text("")
    (tmp_path / "real" / "deep" / "hop").symlink_to("target")
    (tmp_path / "absolute").symlink_to(tmp_path / "to-deep" / "hop")
    (tmp_path / "up").symlink_to("real/deep/..")
    assert real_path(tmp_path / "to-deep" / "hop") == tmp_path / "real" / "deep" / "target"
    assert real_path(tmp_path / "absolute") == tmp_path / "real" / "deep" / "target"
    assert real_path(tmp_path / "up" / "new") == tmp_path / "real" / "new"


def test_a_link_to_a_file_not_yet_there_names_that_file(tmp_path: Path) -> None:
    (tmp_path / ".env").symlink_to("config/app.env")
    (tmp_path / "config").mkdir()
    assert real_path(tmp_path / ".env") == tmp_path / "config" / "app.env"


def test_forty_links_are_followed_and_the_forty_first_is_refused(tmp_path: Path) -> None:
    (tmp_path / "l0").write_text("")
    for number in range(1, 42):
        (tmp_path / f"l{number}").symlink_to(f"l{number - 1}")
    assert real_path(tmp_path / "l40") == tmp_path / "l0"
    with pytest.raises(OutputError) as caught:
        real_path(tmp_path / "l41")
    assert (
        caught.value.message
        == f"cannot write {tmp_path / 'l41'}: too many levels of symbolic links"
    )


def test_a_link_loop_ends(tmp_path: Path) -> None:
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("a")
    with pytest.raises(OutputError, match="too many levels of symbolic links"):
        real_path(tmp_path / "a")


def test_a_missing_folder_on_the_way_is_named(tmp_path: Path) -> None:
    path = tmp_path / "gone" / "deeper" / ".env"
    with pytest.raises(OutputError) as caught:
        real_path(path)
    assert caught.value.message == f"cannot write {path}: folder {tmp_path / 'gone'} does not exist"


def test_a_file_used_as_a_folder_is_named(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    path = tmp_path / "file" / ".env"
    with pytest.raises(OutputError) as caught:
        real_path(path)
    assert caught.value.message == f"cannot write {path}: Not a directory at {path}"


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a link to another user")
def test_a_link_of_another_user_is_not_followed_but_roots_are(shared_tmp: Path) -> None:
    (shared_tmp / "target").write_text("")
    theirs, roots = shared_tmp / "theirs", shared_tmp / "roots"
    theirs.symlink_to("target")
    os.lchown(theirs, NOBODY, NOBODY)
    roots.symlink_to("target")
    assert real_path(roots) == shared_tmp / "target"
    with pytest.raises(OutputError) as caught:
        real_path(theirs)
    assert caught.value.message == (
        f"refusing to follow the link {theirs} -> target: it belongs to another user (uid {NOBODY})"
    )
    assert caught.value.fix == "remove the link, or point --env-file at a file of your own"


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root and another user")
def test_a_user_follows_their_own_links(shared_tmp: Path) -> None:
    folder = shared_tmp / "nobody"
    folder.mkdir()
    os.chown(folder, NOBODY, NOBODY)

    def own_link() -> str:
        (folder / "target").write_text("")
        (folder / "link").symlink_to("target")
        return str(real_path(folder / "link"))

    assert as_other_user(own_link) == str(folder / "target")


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root and another user")
def test_only_root_replaces_a_file_of_another_user_and_only_in_a_folder_they_cannot_write(
    shared_tmp: Path,
) -> None:
    safe = shared_tmp / "roots-folder"
    safe.mkdir(mode=0o755)
    check_owner(safe / ".env", NOBODY, Path("shown"))  # root, in root's own folder: fine
    check_owner(safe / ".env", 0, Path("shown"))  # a file of our own: fine
    for mode, owner in ((0o775, 0), (0o757, 0), (0o755, NOBODY)):
        folder = shared_tmp / f"folder-{mode:o}-{owner}"
        folder.mkdir()
        folder.chmod(mode)
        os.chown(folder, owner, owner)
        with pytest.raises(OutputError) as caught:
            check_owner(folder / ".env", NOBODY, Path("shown"))
        assert caught.value.message == (
            f"shown belongs to another user (uid {NOBODY}) who can write its folder "
            f"{folder}: root's token would be theirs; not writing it"
        )
        assert caught.value.fix == "point --env-file at a file in a folder only root can write"

    def as_nobody() -> str:
        check_owner(safe / ".env", NOBODY, Path("mine"))  # their own file: fine
        try:
            check_owner(safe / ".env", 0, Path("shown"))
        except OutputError as exc:
            return f"{exc.message} | {exc.fix}"
        return "replaced"

    assert as_other_user(as_nobody) == (
        "shown belongs to another user (uid 0); not replacing it | "
        "run as that user, or point --env-file at a file of your own"
    )
