"""`.env` updates: our keys change, every other byte stays, modes are kept, writes are atomic."""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from dotenv import dotenv_values

from tests.conftest import NOBODY, as_other_user, invoke
from tests.fake_google import FakeGoogle
from vertex_openai_env.deadline import Deadline
from vertex_openai_env.errors import OutputError
from vertex_openai_env.output import envfile

NEW = {"OPENAI_API_KEY": "ya29.new", "OPENAI_BASE_URL": "https://h/v1"}

EXISTING = """\
# Project settings
export DATABASE_URL="postgres://localhost/db"   # inline comment

OPENAI_API_KEY='ya29.old' # replaced
  export OPENAI_BASE_URL=https://old
MULTI="line one
line two"
not a valid line ===
LAST=1"""


def test_other_lines_survive_byte_for_byte(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text(EXISTING)
    envfile.update(path, NEW, Deadline(10))
    assert (
        path.read_text()
        == """\
# Project settings
export DATABASE_URL="postgres://localhost/db"   # inline comment

OPENAI_API_KEY=ya29.new # replaced
  export OPENAI_BASE_URL=https://h/v1
MULTI="line one
line two"
not a valid line ===
LAST=1"""
    )


def test_missing_keys_are_appended_after_a_newline(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text("A=1")
    envfile.update(path, NEW, Deadline(10))
    assert path.read_text() == "A=1\nOPENAI_API_KEY=ya29.new\nOPENAI_BASE_URL=https://h/v1\n"
    assert dotenv_values(path) == {"A": "1", **NEW}


def test_crlf_files_stay_crlf(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_bytes(b"A=1\r\nOPENAI_API_KEY=old\r\n")
    envfile.update(path, NEW, Deadline(10))
    assert path.read_bytes() == (
        b"A=1\r\nOPENAI_API_KEY=ya29.new\r\nOPENAI_BASE_URL=https://h/v1\r\n"
    )


def test_a_byte_order_mark_is_kept(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text("\ufeffA=1\n", encoding="utf-8")
    envfile.update(path, NEW, Deadline(10))
    assert path.read_text(encoding="utf-8").startswith("\ufeffA=1\nOPENAI_API_KEY=")


def test_every_duplicate_of_a_key_is_updated(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text("OPENAI_API_KEY=a\nB=2\nOPENAI_API_KEY=b\n")
    envfile.update(path, {"OPENAI_API_KEY": "c"}, Deadline(10))
    assert path.read_text() == "OPENAI_API_KEY=c\nB=2\nOPENAI_API_KEY=c\n"


def test_remove_deletes_only_our_lines(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text("# keep\nOPENAI_API_KEY=a\n\nB=2\nexport OPENAI_BASE_URL=x\n")
    envfile.remove(
        path, lambda _: dict.fromkeys(("OPENAI_API_KEY", "OPENAI_BASE_URL")), Deadline(10)
    )
    assert path.read_text() == "# keep\n\nB=2\n"


def test_a_new_file_is_private_from_birth(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    assert envfile.update(path, NEW, Deadline(10)) == 0o600
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_an_existing_mode_is_kept(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text("A=1\n")
    path.chmod(0o640)
    assert envfile.update(path, NEW, Deadline(10)) == 0o640
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_a_symlink_is_written_through_and_kept(tmp_path: Path) -> None:
    target = tmp_path / "shared" / "real.env"
    target.parent.mkdir()
    target.write_text("A=1\n")
    link = tmp_path / ".env"
    link.symlink_to(target)
    envfile.update(link, NEW, Deadline(10))
    assert link.is_symlink()
    assert dotenv_values(target) == {"A": "1", **NEW}
    assert sorted(p.name for p in target.parent.iterdir()) == ["real.env"]


@pytest.mark.parametrize(
    ("setup", "message", "fix"),
    [
        (lambda p: p.mkdir(), "cannot write {path}: it is a folder, not a file", None),
        (
            lambda p: (p.write_text("A=1\n"), p.chmod(0o444)),
            "{path} is read-only (mode 0444); not changing it",
            "chmod u+w {path}",
        ),
        (
            lambda p: p.write_bytes(b"A=\xff\xfe\n"),
            "{path} is not UTF-8 text; not changing it",
            None,
        ),
        (lambda p: os.mkfifo(p), "cannot write {path}: it is not a regular file", None),
    ],
)
def test_unwritable_targets_are_refused_untouched(
    setup: Callable[[Path], object], message: str, fix: str | None, tmp_path: Path
) -> None:
    folder = tmp_path / "project"
    folder.mkdir()
    path = folder / ".env"
    setup(path)
    before = path.read_bytes() if path.is_file() else None
    refused: list[OutputError] = []

    def update() -> None:
        with pytest.raises(OutputError) as caught:
            envfile.update(path, NEW, Deadline(10))
        refused.append(caught.value)

    writer = threading.Thread(target=update)
    writer.start()
    writer.join(10)
    if writer.is_alive():  # waiting for a writer on the FIFO: give it one, then fail
        with path.open("w"):
            pass
        writer.join()
        pytest.fail("the update waited on a FIFO")
    (error,) = refused
    assert error.message == message.format(path=path)
    assert error.fix == (fix and fix.format(path=path))
    if before is not None:
        assert path.read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == [".env"]


def test_a_missing_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="does not exist"):
        envfile.update(tmp_path / "nope" / ".env", NEW, Deadline(10))


def test_a_read_only_folder_is_refused(shared_tmp: Path) -> None:
    folder = shared_tmp / "locked"
    folder.mkdir()
    path = folder / ".env"
    path.write_text("A=1\n")
    if os.geteuid() == 0:  # the writer below gives up root: make the files its own
        for owned in (folder, path):
            os.chown(owned, NOBODY, NOBODY)
    folder.chmod(0o555)

    def attempt() -> str:
        try:
            envfile.update(path, {"A": "2"}, Deadline(10))
        except OutputError as exc:
            return exc.message
        return "written"

    # Root may write anywhere: an ordinary user tries.
    assert as_other_user(attempt).startswith(f"cannot write {path}: Permission denied")
    assert path.read_text() == "A=1\n"
    assert sorted(p.name for p in folder.iterdir()) == [".env"]


def test_cli_writes_the_file_and_prints_nothing(
    google: FakeGoogle, service_account: Path, tmp_path: Path
) -> None:
    path = tmp_path / ".env"
    path.write_text("KEEP=me\n")
    result = invoke("--project", "my-proj", "--model", "gemini-2.5-flash", "--env-file", str(path))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    values = dotenv_values(path)
    assert values["KEEP"] == "me"
    assert google.valid(values["OPENAI_API_KEY"])
    assert values["OPENAI_MODEL"] == "google/gemini-2.5-flash"


def test_cli_warns_when_others_can_read_the_token(
    google: FakeGoogle, service_account: Path, tmp_path: Path
) -> None:
    path = tmp_path / ".env"
    path.write_text("")
    path.chmod(0o644)
    result = invoke("--project", "my-proj", "--model", "m", "--env-file", str(path))
    assert result.exit_code == 0
    assert "readable by others (mode 0644)" in result.stderr


def test_cli_refuses_env_file_with_another_format(tmp_path: Path) -> None:
    result = invoke("--model", "m", "--env-file", str(tmp_path / ".env"), "--format", "sh")
    assert result.exit_code == 2
    assert "--env-file writes the dotenv format" in result.stderr
    assert not (tmp_path / ".env").exists()


def test_root_keeps_the_owner_of_someone_elses_file(shared_tmp: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("only root can write another user's file")
    path = shared_tmp / ".env"
    path.write_text("A=1\n")
    os.chown(path, NOBODY, NOBODY)
    envfile.update(path, NEW, Deadline(10))
    assert (path.stat().st_uid, path.stat().st_gid) == (NOBODY, NOBODY)
    assert dotenv_values(path) == {"A": "1", **NEW}


def test_a_file_owned_by_another_user_is_refused(shared_tmp: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("only root can set up a file owned by another user in a shared folder")
    shared_tmp.chmod(0o777)  # the folder lets anyone replace files: the owner check decides
    path = shared_tmp / ".env"
    path.write_text("A=1\n")
    path.chmod(0o666)

    def attempt() -> str:
        try:
            envfile.update(path, {"A": "2"}, Deadline(10))
        except OutputError as exc:
            return exc.message
        return "written"

    assert as_other_user(attempt) == f"{path} belongs to another user (uid 0); not replacing it"
    assert path.read_text() == "A=1\n"
    assert path.stat().st_uid == 0


@pytest.mark.parametrize(
    ("line", "kept"),
    [
        ('OPENAI_BASE_URL="https://old # not a comment"   # note', "   # note"),
        ("OPENAI_BASE_URL='x'#tight", " #tight"),
        ("OPENAI_BASE_URL=https://old  # spaced", "  # spaced"),
        ("OPENAI_BASE_URL=https://old#fragment", ""),
    ],
)
def test_a_replaced_line_keeps_its_trailing_comment(line: str, kept: str, tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text(f"{line}\nB=2\n")
    envfile.update(path, {"OPENAI_BASE_URL": "https://h/v1"}, Deadline(10))
    assert path.read_text() == f"OPENAI_BASE_URL=https://h/v1{kept}\nB=2\n"
    assert dotenv_values(path)["OPENAI_BASE_URL"] == "https://h/v1"


def test_removing_from_a_file_that_does_not_exist_creates_nothing(tmp_path: Path) -> None:
    result = invoke("--env-file", str(tmp_path / "missing.env"), "--unset")
    assert result.exit_code == 0, result.stderr
    assert not (tmp_path / "missing.env").exists()


def test_watch_and_unset_do_not_go_together(tmp_path: Path) -> None:
    result = invoke("--env-file", str(tmp_path / ".env"), "--unset", "--watch")
    assert result.exit_code == 2
    assert "--watch keeps variables fresh and --unset removes them" in result.stderr
    assert not (tmp_path / ".env").exists()


def shared_folder(base: Path, owner: int = 0) -> Path:
    """A sticky, world-writable folder (as /tmp is) owned by `owner`."""
    folder = base / "shared"
    folder.mkdir()
    os.chown(folder, owner, owner)
    folder.chmod(0o1777)
    return folder


def links_as(uid: int, link: Path, target: Path) -> None:
    def make() -> str:
        link.symlink_to(target)
        return "made"

    assert (as_other_user(make) if uid == NOBODY else (make(), "made")[1]) == "made"


@pytest.fixture
def root_only(shared_tmp: Path) -> Path:
    if os.geteuid() != 0:
        pytest.skip("the attack needs a victim running as root and another user")
    secret = shared_tmp / "private" / "secret.env"
    secret.parent.mkdir()
    secret.write_text("ROOT=1\n")
    secret.chmod(0o600)
    return secret


def test_a_link_planted_by_another_user_in_a_shared_folder_is_not_followed(
    shared_tmp: Path, root_only: Path
) -> None:
    folder = shared_folder(shared_tmp)
    link = folder / ".env"
    links_as(NOBODY, link, root_only)
    with pytest.raises(OutputError) as refused:
        envfile.update(link, NEW, Deadline(10))
    assert refused.value.message.startswith(f"refusing to follow the link {link} -> {root_only}")
    assert root_only.read_text() == "ROOT=1\n"
    assert stat.S_IMODE(root_only.stat().st_mode) == 0o600
    assert link.is_symlink()


def test_root_writes_another_users_file_through_a_link_only_if_the_link_is_roots(
    shared_tmp: Path, root_only: Path
) -> None:
    theirs = shared_tmp / "private" / "theirs.env"
    theirs.write_text("THEIRS=1\n")
    os.chown(theirs, NOBODY, NOBODY)
    folder = shared_folder(shared_tmp, owner=NOBODY)
    planted = folder / "planted.env"  # by the folder's owner: still not ours, not followed
    links_as(NOBODY, planted, theirs)
    with pytest.raises(OutputError, match=f"refusing to follow the link {planted}"):
        envfile.update(planted, NEW, Deadline(10))
    assert theirs.read_text() == "THEIRS=1\n"
    mine = folder / "mine.env"  # root's own link, as a dotfile manager makes them
    links_as(0, mine, theirs)
    envfile.update(mine, NEW, Deadline(10))
    assert dotenv_values(theirs) == {"THEIRS": "1", **NEW}
    assert mine.is_symlink()


def test_a_bare_name_of_ours_becomes_an_assignment(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text("OPENAI_API_KEY\nA=1\n")
    envfile.update(path, NEW, Deadline(10))
    assert path.read_text() == ("OPENAI_API_KEY=ya29.new\nA=1\nOPENAI_BASE_URL=https://h/v1\n")


def test_root_judges_a_file_by_its_owner_not_its_group(shared_tmp: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("only root can give a file to another user")
    folder = shared_tmp / "theirs"
    folder.mkdir()
    os.chown(folder, NOBODY, NOBODY)
    path = folder / ".env"
    path.write_text("A=1\n")
    os.chown(path, NOBODY, 0)  # their file, in root's group, in a folder they can write
    with pytest.raises(OutputError) as caught:
        envfile.update(path, NEW, Deadline(10))
    assert caught.value.message == (
        f"{path} belongs to another user (uid {NOBODY}) who can write its folder {folder}: "
        "root's token would be theirs; not writing it"
    )
    assert path.read_text() == "A=1\n"


@pytest.mark.parametrize(
    ("before", "after"),
    [
        # The last line, without a line end: it stays without one.
        ("A=1\nOPENAI_API_KEY=old", "A=1\nOPENAI_API_KEY=ya29.new\nOPENAI_BASE_URL=https://h/v1\n"),
        # A comment on a CRLF line keeps its line end, once.
        (
            "OPENAI_BASE_URL=https://old  # note\r\nA=1\r\n",
            "OPENAI_BASE_URL=https://h/v1  # note\r\nA=1\r\nOPENAI_API_KEY=ya29.new\r\n",
        ),
        # Old Mac line ends: a file ending in CR needs no other line end first.
        ("A=1\r", "A=1\rOPENAI_API_KEY=ya29.new\rOPENAI_BASE_URL=https://h/v1\r"),
    ],
)
def test_line_ends_are_kept_exactly(before: str, after: str, tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_bytes(before.encode())
    envfile.update(path, NEW, Deadline(10))
    assert path.read_bytes() == after.encode()


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="needs Linux's /proc")
def test_a_file_that_fails_to_read_or_to_be_created_is_named_with_the_reason() -> None:
    # Linux's /proc: a process's memory opens but fails to read at address 0, and no file
    # can be created in a process's folder, not even by root.
    with pytest.raises(OutputError) as caught:
        envfile.update(Path("/proc/self/mem"), NEW, Deadline(10))
    assert caught.value.message == "cannot read /proc/self/mem: Input/output error"
    with pytest.raises(OutputError) as caught:
        envfile.update(Path("/proc/self/.env"), NEW, Deadline(10))
    assert caught.value.message == (
        f"cannot write /proc/self/.env: No such file or directory in folder /proc/{os.getpid()}"
    )


def test_a_new_file_holds_our_lines_only(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    envfile.update(path, NEW, Deadline(10))
    assert path.read_text() == "OPENAI_API_KEY=ya29.new\nOPENAI_BASE_URL=https://h/v1\n"


def test_root_keeps_the_owner_of_a_file_in_roots_group(shared_tmp: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("only root can write another user's file")
    path = shared_tmp / ".env"
    path.write_text("A=1\n")
    os.chown(path, NOBODY, 0)  # theirs, though the group is root's
    envfile.update(path, NEW, Deadline(10))
    assert (path.stat().st_uid, path.stat().st_gid) == (NOBODY, 0)
