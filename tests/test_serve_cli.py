"""`serve` as users run it: real processes, signals and exit statuses."""

from __future__ import annotations

import json
import re
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import cli_env, invoke
from tests.fake_google import FakeGoogle
from tests.gateways import MODEL, PLACE, serving
from vertex_openai_env.gateway.key import new_key

HI = [{"role": "user", "content": "hi"}]


def target(google: FakeGoogle) -> tuple[str, ...]:
    return (*PLACE, *MODEL, "--api-endpoint", google.url)


def shows_a_google_token(google: FakeGoogle, text: str) -> bool:
    return any(token in text for token in google.issued)


# --- serve --------------------------------------------------------------------------------


def test_serve_prints_the_clients_variables_and_one_line_per_request(
    google: FakeGoogle, service_account: Path
) -> None:
    with serving(*target(google)) as served:
        assert set(served.variables) == {"OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_MODEL"}
        assert re.fullmatch(r"http://127\.0\.0\.1:[0-9]+/v1", served.base_url)
        assert re.fullmatch(r"sk-voe-[A-Za-z0-9_-]{43}", served.key)  # 256 bits
        assert served.variables["OPENAI_MODEL"] == "google/gemini-2.5-flash"
        served.client().chat.completions.create(model="m", messages=HI)  # type: ignore[arg-type]
        status, out, err = served.stop()
    assert status == 0
    assert out == ""
    assert re.search(r"^vertex-openai-env: POST /v1/chat/completions 200 [0-9]+ms$", err, re.M)
    assert (
        err.rstrip().splitlines()[-1].endswith("stopped after 0s: 1 requests, 0 answered an error")
    )
    assert google.issued
    assert not shows_a_google_token(google, err + json.dumps(served.variables))


def test_sigterm_lets_an_open_stream_finish_then_exits_0(
    google: FakeGoogle, service_account: Path
) -> None:
    google.stream_gap = 0.3
    with serving(*target(google)) as served:
        stream = served.client(max_retries=0).chat.completions.create(
            model="m",
            messages=HI,  # type: ignore[arg-type]
            stream=True,
        )
        chunks = iter(stream)
        first = next(chunks)
        served.process.send_signal(signal.SIGTERM)
        stopped_at = time.monotonic()
        time.sleep(0.2)
        with pytest.raises(ConnectionRefusedError):  # no new requests: only those in flight
            socket.create_connection(("127.0.0.1", urlsplit(served.base_url).port or 0), 5).close()
        rest = list(chunks)
        status = served.process.wait(15)
    assert status == 0
    assert len([first, *rest]) == google.stream_chunks
    assert time.monotonic() - stopped_at < 10


def test_a_port_in_use_is_one_line_and_exit_1(google: FakeGoogle, service_account: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            ["vertex-openai-env", "serve", *target(google), "--port", str(port)],
            capture_output=True, text=True, env=cli_env(), timeout=60,
        )  # fmt: skip
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"vertex-openai-env: error: cannot listen on 127.0.0.1:{port}: the port is in use "
        "(choose another --port, or leave it out for a free one)\n"
    )


def test_a_bind_beyond_loopback_is_warned_about(google: FakeGoogle, service_account: Path) -> None:
    with serving(*target(google), "--bind", "0.0.0.0") as served:  # noqa: S104
        assert served.base_url.startswith("http://127.0.0.1:")
        assert served.client().models.list().data
        _, _, err = served.stop()
    assert "warning: listening on 0.0.0.0, not on loopback" in err


@pytest.mark.parametrize("bind", ["my-laptop", "127.0.0.1; rm -rf /", "256.0.0.1"])
def test_a_bind_that_is_no_ip_address_is_refused(bind: str) -> None:
    result = invoke("serve", "--model", "m", "--bind", bind)
    assert result.exit_code == 2
    assert "is not an IP address of this machine" in result.stderr
    assert result.stdout == ""


def test_a_key_file_keeps_the_key_across_starts(
    google: FakeGoogle, service_account: Path, tmp_path: Path
) -> None:
    path = tmp_path / "gateway.key"
    keys = []
    for _ in range(2):
        with serving(*target(google), "--key-file", str(path)) as served:
            keys.append(served.key)
            served.stop()
    assert keys[0] == keys[1] == path.read_text().strip()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.chmod(0o644)
    result = invoke("serve", *target(google), "--key-file", str(path))
    assert result.exit_code == 1
    assert f"the key file {path} is open to others (mode 0644)" in result.stderr


def test_every_start_without_a_key_file_makes_a_new_key() -> None:
    assert len({new_key() for _ in range(100)}) == 100


def test_env_file_gets_the_variables_and_stdout_stays_empty(
    google: FakeGoogle, service_account: Path, tmp_path: Path
) -> None:
    path = tmp_path / ".env"
    path.write_text("KEEP=me\nOPENAI_API_KEY=old\n")
    process = subprocess.Popen(
        ["vertex-openai-env", "serve", *target(google), "--env-file", str(path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cli_env(),
    )  # fmt: skip
    assert process.stderr is not None
    while "wrote " not in (line := process.stderr.readline()):
        assert line, "serve stopped before writing the file"
    process.send_signal(signal.SIGTERM)
    out, _ = process.communicate(timeout=20)
    assert process.returncode == 0
    assert out == ""
    values = dict(line.split("=", 1) for line in path.read_text().splitlines())
    assert values["KEEP"] == "me"
    assert values["OPENAI_API_KEY"].startswith("sk-voe-")
    assert values["OPENAI_BASE_URL"].startswith("http://127.0.0.1:")


@pytest.mark.parametrize("command", [["serve"]])
def test_without_aiohttp_it_says_what_to_install(
    command: list[str], google: FakeGoogle, service_account: Path
) -> None:
    code = (
        "import sys\n"
        "sys.modules['aiohttp'] = None  # as if it were not installed\n"
        "from vertex_openai_env.launch import main\n"
        f"sys.argv = ['vertex-openai-env', *{list(target(google))!r}, *{command!r}]\n"
        "main()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=cli_env(), timeout=60
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        "vertex-openai-env: error: the gateway needs aiohttp: pip install "
        "'vertex-openai-env[serve]' (pipx: pipx inject vertex-openai-env aiohttp)\n"
    )
    assert google.count("/token") == 0


@pytest.mark.parametrize("args", [["--help"], ["--project", "my-proj", "--model", "m"]])
def test_the_exporter_does_not_load_aiohttp(
    args: list[str], google: FakeGoogle, service_account: Path
) -> None:
    invoke("--project", "my-proj", "--model", "m")  # fills the cache: the next run is a hit
    code = (
        "import sys\n"
        f"sys.argv = ['vertex-openai-env', *{args!r}]\n"
        "from vertex_openai_env.launch import main\n"
        "try: main()\n"
        "except SystemExit: pass\n"
        "print([m for m in sys.modules if m.split('.')[0] in ('aiohttp', 'yarl', 'multidict')],"
        " file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=cli_env(), timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines()[-1] == "[]"
    assert google.count("/token") == 1
