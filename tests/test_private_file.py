"""Reading a secret only from a file that is ours alone, leaving no descriptor open."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from vertex_openai_env import private_file


def open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts /proc/self/fd")
@pytest.mark.parametrize("kind", ["folder", "open file"])
def test_a_refused_file_leaves_no_descriptor_open(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "secret"
    if kind == "folder":
        path.mkdir(mode=0o700)
    else:
        path.write_text("sk-voe-" + "x" * 40)
        path.chmod(0o644)
    before = open_descriptors()
    for _ in range(20):
        with pytest.raises(private_file.NotPrivate) as refused:
            private_file.read(path, 100)
    assert refused.value.kind == ("special" if kind == "folder" else "open")
    assert open_descriptors() == before


def test_a_private_file_is_read_up_to_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "secret"
    path.write_bytes(b"0123456789")
    path.chmod(0o600)
    assert private_file.read(path, 4) == b"0123"
