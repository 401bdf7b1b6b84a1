"""The file that is to receive the local key (`serve --env-file`): refused unless private,
with a fix that is a command to run as it is; a device or a pipe is left to the write."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import NOBODY
from vertex_openai_env.errors import VertexEnvError
from vertex_openai_env.gateway.key import check_receiver


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file to another user")
def test_a_receiver_of_another_user_is_refused_with_a_command_to_run(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text("KEEP=me\n")
    path.chmod(0o600)
    os.chown(path, NOBODY, NOBODY)
    with pytest.raises(VertexEnvError) as caught:
        check_receiver(path)
    assert caught.value.message == (
        f"{path} would receive the local key, but it belongs to another user (uid {NOBODY})"
    )
    assert caught.value.fix == f"rm {path}"  # the key file's advice, without its comment


@pytest.mark.parametrize("special", ["/dev/null", "fifo"])
def test_a_receiver_that_is_no_regular_file_is_left_to_the_write(
    tmp_path: Path, special: str
) -> None:
    path = Path(special)
    if special == "fifo":
        path = tmp_path / "pipe"
        os.mkfifo(path, 0o644)  # open to others, but no file: nothing is kept in it
    check_receiver(path)


def test_a_missing_receiver_is_made_later(tmp_path: Path) -> None:
    check_receiver(tmp_path / "new.env")
