"""`serve` and `exec --serve` as users run them: real processes, signals and exit statuses."""

from __future__ import annotations

import json
import os
import pwd
import re
import signal
import socket
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import NOBODY, Attacker, cli_env, closed_port, exported, invoke, require
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
        assert set(served.variables) == {
            "OPENAI_API_KEY",
            "OPENAI_BASE_URL",
            "OPENAI_MODEL",
            "OPENAI_DEFAULT_MODEL",
            "OPENAI_CHAT_MODEL_ID",
            "OPENAI_API_BASE",  # LangChain reads it first: the gateway's URL there too
            "OPENAI_AGENTS_DISABLE_TRACING",  # the local key is not OpenAI's business either
        }
        assert re.fullmatch(r"http://127\.0\.0\.1:[0-9]+/v1", served.base_url)
        assert re.fullmatch(r"sk-voe-[A-Za-z0-9_-]{43}", served.key)  # 256 bits
        assert served.variables["OPENAI_MODEL"] == "gemini-2.5-flash"  # the gateway adds google/
        served.client().chat.completions.create(model="m", messages=HI)  # type: ignore[arg-type]
        status, out, err = served.stop()
    assert status == 0
    assert out == ""
    assert re.search(r"^vertex-openai-env: POST /v1/chat/completions 200 [0-9]+ms$", err, re.M)
    assert (
        "Responses API: the last 256 responses for 1h are kept in memory, and lost when it stops"
        in err
    )
    assert (
        err.rstrip()
        .splitlines()[-1]
        .endswith("stopped after 0s: 1 request, 0 answered with an error")
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
        result = serve_once(google, "--port", str(port))
    assert result.returncode == 1
    assert result.stdout == ""
    who = ""
    if sys.platform == "linux":  # where the system says who holds a port
        name = Path(f"/proc/{os.getpid()}/comm").read_text().strip()
        who = f" by pid {os.getpid()} ({name}), user {pwd.getpwuid(os.geteuid()).pw_name}"
    assert result.stderr == (
        f"vertex-openai-env: error: cannot listen on 127.0.0.1:{port}: the port is in use{who} "
        "(choose another --port, or leave it out for a free one)\n"
    )


@pytest.mark.skipif(os.geteuid() != 0 or sys.platform != "linux", reason="root, on Linux")
def test_a_port_squatted_by_another_user_is_named_and_the_risk_said(
    google: FakeGoogle, service_account: Path
) -> None:
    port = closed_port()

    def squat() -> str:
        with socket.socket() as taken:
            taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            taken.bind(("127.0.0.1", port))
            taken.listen()
            time.sleep(4)
        return ""

    with Attacker(squat, timeout=10):
        time.sleep(0.5)
        result = serve_once(google, "--port", str(port))
    assert result.returncode == 1
    nobody = pwd.getpwuid(NOBODY).pw_name
    assert re.search(
        rf"the port is in use by pid \d+ \(\w+\), user {nobody}, another", result.stderr
    )
    assert "would send their key and prompts to them" in result.stderr
    assert "leave --port out for a free port" in result.stderr


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
    path = tmp_path / "config" / "gateway.key"  # a folder made on the way
    keys = []
    for _ in range(2):
        with serving(*target(google), "--key-file", str(path)) as served:
            keys.append(served.key)
            served.stop()
    assert keys[0] == keys[1] == path.read_text().strip()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    path.chmod(0o644)
    result = serve_with_key_file(google, path)
    assert result.returncode == 1
    assert f"the key file {path} is open to others (mode 0644)" in result.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file to another user")
def test_a_key_file_of_another_user_is_refused(
    google: FakeGoogle, service_account: Path, tmp_path: Path
) -> None:
    path = tmp_path / "gateway.key"  # planted, 0600 but theirs: they know the key
    path.write_text(new_key() + "\n")
    path.chmod(0o600)
    os.chown(path, NOBODY, NOBODY)
    result = serve_with_key_file(google, path)
    assert result.returncode == 1
    assert f"the key file {path} belongs to another user (uid {NOBODY})" in result.stderr
    assert f"rm {path}" in result.stderr
    assert result.stdout == ""


def test_a_key_file_that_is_a_fifo_is_refused_without_waiting(
    google: FakeGoogle, service_account: Path, tmp_path: Path
) -> None:
    path = tmp_path / "gateway.key"
    os.mkfifo(path, 0o600)  # no writer: opening it to read would wait forever
    result = serve_with_key_file(google, path)
    assert result.returncode == 1
    assert f"the key file {path} is not a regular file" in result.stderr
    assert result.stdout == ""


def test_an_env_file_others_can_read_is_refused_like_a_key_file(
    google: FakeGoogle, service_account: Path, tmp_path: Path
) -> None:
    path = tmp_path / ".env"
    path.write_text("KEEP=me\n")
    path.chmod(0o644)  # the local key written there would be anyone's
    result = serve_once(google, "--env-file", str(path))
    assert result.returncode == 1
    assert result.stdout == ""
    assert f"{path} would receive the local key, but it is open to others (mode 0644)" in (
        result.stderr
    )
    assert f"chmod 600 {path}" in result.stderr
    assert path.read_text() == "KEEP=me\n"


@pytest.mark.parametrize("text", ["abc", "x" * 31])
def test_a_key_file_too_short_to_be_a_secret_is_refused(
    google: FakeGoogle, service_account: Path, tmp_path: Path, text: str
) -> None:
    path = tmp_path / "gateway.key"
    path.write_text(text + "\n")
    path.chmod(0o600)
    result = serve_with_key_file(google, path)
    assert result.returncode == 1
    assert f"the key file {path} does not hold a key (32 or more" in result.stderr
    assert result.stdout == ""


def serve_with_key_file(google: FakeGoogle, path: Path) -> subprocess.CompletedProcess[str]:
    return serve_once(google, "--key-file", str(path))


def serve_once(google: FakeGoogle, *args: str) -> subprocess.CompletedProcess[str]:
    """`serve ARGS`, for a start that is refused."""
    return subprocess.run(
        ["vertex-openai-env", "serve", *target(google), *args],
        capture_output=True, text=True, env=cli_env(), timeout=30,
    )  # fmt: skip


def test_every_start_without_a_key_file_makes_a_new_key(
    google: FakeGoogle, service_account: Path
) -> None:
    keys = []
    for _ in range(2):
        with serving(*target(google)) as served:
            keys.append(served.key)
            served.stop()
        shown = exec_serve(
            "sh", "-c", 'printf %s "$OPENAI_API_KEY"', env={**cli_env(), **variables(google)}
        )
        keys.append(shown.stdout)
    assert all(key.startswith("sk-voe-") for key in keys)
    assert len(set(keys)) == 4  # serve, exec --serve, and each again


def test_env_file_gets_the_variables_and_stdout_stays_empty(
    google: FakeGoogle, service_account: Path, tmp_path: Path
) -> None:
    path = tmp_path / ".env"
    path.write_text("KEEP=me\nOPENAI_API_KEY=old\n")
    path.chmod(0o600)
    process = subprocess.Popen(
        ["vertex-openai-env", "serve", *target(google), "--env-file", str(path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cli_env(),
    )  # fmt: skip
    assert process.stderr is not None
    said = ""
    while "wrote " not in (line := process.stderr.readline()):
        assert line, "serve stopped before writing the file"
        said += line
    assert "readable by others" not in said
    process.send_signal(signal.SIGTERM)
    out, _ = process.communicate(timeout=20)
    assert process.returncode == 0
    assert out == ""
    values = dict(line.split("=", 1) for line in path.read_text().splitlines())
    assert values["KEEP"] == "me"
    assert values["OPENAI_API_KEY"].startswith("sk-voe-")
    assert values["OPENAI_BASE_URL"].startswith("http://127.0.0.1:")


@pytest.mark.parametrize("command", [["serve"], ["exec", "--serve", "--", "true"]])
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
        "vertex-openai-env: error: the gateway needs aiohttp, an optional extra\n"
        f"  fix: {sys.executable} -m pip install aiohttp # the Python that runs vertex-openai-env\n"
    )  # a plain venv, as here: its own pip, not pipx
    assert google.count("/token") == 0


def test_without_aiohttp_a_pipx_install_is_told_to_inject_it(
    google: FakeGoogle, service_account: Path
) -> None:
    code = (
        "import sys\n"
        "sys.modules['aiohttp'] = None  # as if it were not installed\n"
        "sys.prefix = '/home/me/.local/share/pipx/venvs/vertex-openai-env'  # as pipx makes it\n"
        "from vertex_openai_env.launch import main\n"
        f"sys.argv = ['vertex-openai-env', *{list(target(google))!r}, 'serve']\n"
        "main()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=cli_env(), timeout=60
    )
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == "  fix: pipx inject vertex-openai-env aiohttp"


@pytest.mark.parametrize("args", [["--help"], ["--project", "my-proj", "--model", "m"]])
def test_the_exporter_loads_neither_aiohttp_nor_asyncio(
    args: list[str], google: FakeGoogle, service_account: Path
) -> None:
    invoke("--project", "my-proj", "--model", "m")  # fills the cache: the next run is a hit
    code = (
        "import sys\n"
        f"sys.argv = ['vertex-openai-env', *{args!r}]\n"
        "from vertex_openai_env.launch import main\n"
        "try: main()\n"
        "except SystemExit: pass\n"
        "print([m for m in sys.modules if m.split('.')[0] in ('aiohttp', 'asyncio', 'yarl')],"
        " file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=cli_env(), timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines()[-1] == "[]"
    assert google.count("/token") == 1


# --- exec --serve -------------------------------------------------------------------------
# The command's exit status, its death by a signal, and a command that cannot start are
# tested with plain exec's, in test_exec.py.

CHILD = """
import json, os
from openai import OpenAI
messages = [{"role": "user", "content": "hi"}]
reply = OpenAI().chat.completions.create(model=os.environ["OPENAI_MODEL"], messages=messages)
print(json.dumps({"env": dict(os.environ), "reply": reply.choices[0].message.content}))
"""


def exec_serve(
    *command: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["vertex-openai-env", "exec", "--serve", "--", *command],
        capture_output=True, text=True, env=env or cli_env(), timeout=60,
    )  # fmt: skip


def test_the_child_talks_to_the_gateway_and_holds_no_google_token(
    google: FakeGoogle, service_account: Path
) -> None:
    token = exported(invoke(*target(google)).stdout)["OPENAI_API_KEY"]  # the gateway's, cached
    env = {
        **cli_env(),
        "OPENAI_API_KEY": token,  # a stale export must not reach the child either
        "MY_COPY": f"Bearer {token}",
        "OPENAI_API_BASE": "https://stale.example/v1",
        "VERTEX_OPENAI_ENV_PROJECT": "my-proj",
        "VERTEX_OPENAI_ENV_LOCATION": "us-central1",
        "VERTEX_OPENAI_ENV_MODEL": "gemini-2.5-flash",
        "VERTEX_OPENAI_ENV_API_ENDPOINT": google.url,
    }
    result = exec_serve(sys.executable, "-c", CHILD, env=env)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen["reply"] == "Hello from google/gemini-2.5-flash in my-proj/us-central1"
    child_env = seen["env"]
    assert not shows_a_google_token(google, json.dumps(child_env))
    assert "MY_COPY" not in child_env
    assert "GOOGLE_APPLICATION_CREDENTIALS" not in child_env  # no way to the key either
    assert child_env["OPENAI_BASE_URL"].startswith("http://127.0.0.1:")
    assert child_env["OPENAI_API_BASE"] == child_env["OPENAI_BASE_URL"]  # the stale one went
    (chat,) = google.chats
    assert chat.bearer == token
    assert result.stderr == ""  # requests are said only with --verbose: the child owns the terminal


def test_without_openai_api_base_the_child_gets_no_stale_one_and_no_stale_expiry(
    google: FakeGoogle, service_account: Path
) -> None:
    stale = {
        "OPENAI_API_BASE": "https://stale.example/v1",
        "VERTEX_OPENAI_TOKEN_EXPIRES_AT": "2026-01-01T00:00:00Z",
    }
    show = 'printf %s "${OPENAI_API_BASE-unset} ${VERTEX_OPENAI_TOKEN_EXPIRES_AT-unset}"'
    result = subprocess.run(
        ["vertex-openai-env", "exec", "--serve", "--no-openai-api-base", "--", "sh", "-c", show],
        capture_output=True, text=True, env={**cli_env(), **variables(google), **stale}, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout == "unset unset"


@pytest.mark.skipif(sys.platform == "win32", reason="no open-file limit to raise")
def test_the_command_gets_the_open_file_limit_the_tool_got(
    google: FakeGoogle, service_account: Path
) -> None:
    import resource

    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    result = subprocess.run(
        ["vertex-openai-env", "exec", "--serve", "--", "sh", "-c", "ulimit -Sn"],
        capture_output=True, text=True, env={**cli_env(), **variables(google)}, timeout=60,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard)),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout == "256\n"  # the gateway's own is raised; a select() loop's is not


def test_sigterm_to_the_tool_reaches_the_child(google: FakeGoogle, service_account: Path) -> None:
    child = textwrap.dedent("""
        import os, signal, sys, time
        # Unbuffered, and no exit through Python's: the signal may come while print("ready")
        # still holds stdout's lock, and print would then be a reentrant call.
        signal.signal(signal.SIGTERM, lambda *_: (os.write(1, b"child got SIGTERM\\n"), os._exit(3)))
        print("ready", flush=True)
        time.sleep(30)
    """)
    process = subprocess.Popen(
        ["vertex-openai-env", "-v", "exec", "--serve", "--", sys.executable, "-c", child],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**cli_env(), **variables(google)},
    )  # fmt: skip
    assert process.stdout is not None
    assert process.stdout.readline() == "ready\n"
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=20)
    assert out == "child got SIGTERM\n"
    assert process.returncode == 3
    assert "stopped after" in err  # with --verbose, the gateway's summary


def variables(google: FakeGoogle) -> dict[str, str]:
    """The settings as environment variables, so that `exec --serve` needs no flags."""
    return {
        "VERTEX_OPENAI_ENV_PROJECT": "my-proj",
        "VERTEX_OPENAI_ENV_LOCATION": "us-central1",
        "VERTEX_OPENAI_ENV_MODEL": "gemini-2.5-flash",
        "VERTEX_OPENAI_ENV_API_ENDPOINT": google.url,
    }


# --- another language ---------------------------------------------------------------------

NODE_CLIENT = """
import OpenAI from "openai";
const client = new OpenAI();  // OPENAI_BASE_URL and OPENAI_API_KEY, from the gateway
const models = await client.models.list();
const reply = await client.chat.completions.create({
  model: process.env.OPENAI_MODEL, messages: [{ role: "user", content: "hi" }],
});
const arrivals = [];
let streamed = "";
const stream = await client.chat.completions.create({
  model: process.env.OPENAI_MODEL, messages: [{ role: "user", content: "hi" }], stream: true,
});
for await (const chunk of stream) {
  arrivals.push(Date.now());
  streamed += chunk.choices[0]?.delta?.content ?? "";
}
console.log(JSON.stringify({
  models: models.data.map((model) => model.id),
  reply: reply.choices[0].message.content,
  streamed,
  spread: arrivals[arrivals.length - 1] - arrivals[0],
  chunks: arrivals.length,
}));
"""


@pytest.mark.clients  # npm installs openai: the slow group's
def test_openai_node_works_through_exec_serve(
    google: FakeGoogle, service_account: Path, tmp_path: Path, npm_cache: Path
) -> None:
    node, npm = require("node"), require("npm")
    folder = tmp_path / "node-client"
    folder.mkdir()
    (folder / "package.json").write_text('{"type": "module", "private": true}')
    install = subprocess.run(
        [npm, "install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error", "openai"],
        cwd=folder, capture_output=True, text=True, timeout=300,
        env={**os.environ, "NPM_CONFIG_CACHE": str(npm_cache)},
    )  # fmt: skip
    assert install.returncode == 0, install.stderr
    (folder / "client.mjs").write_text(NODE_CLIENT)
    result = subprocess.run(
        ["vertex-openai-env", "exec", "--serve", "--", node, str(folder / "client.mjs")],
        capture_output=True, text=True, env={**cli_env(), **variables(google)}, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    hello = "Hello from google/gemini-2.5-flash in my-proj/us-central1"
    assert seen["models"] == ["gemini-2.5-flash"]
    assert seen["reply"] == seen["streamed"] == hello
    assert seen["chunks"] == google.stream_chunks
    assert seen["spread"] >= 0.7 * 1000 * google.stream_gap * (google.stream_chunks - 1)
    assert len(google.chats) == 2
    assert all(google.valid(chat.bearer) for chat in google.chats)


def test_an_address_it_cannot_have_is_said_in_words_with_no_warning_first(
    google: FakeGoogle, service_account: Path
) -> None:
    result = invoke(*target(google), "serve", "--bind", "192.0.2.1")  # TEST-NET: not ours
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "vertex-openai-env: error: cannot listen on 192.0.2.1 (any free port): "
        "cannot assign requested address",
        "  fix: --bind an address of this machine (ip -brief address lists them)",
    ]
