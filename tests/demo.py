"""`make demo`: the whole flow against a loopback stand-in for Google, no account needed.

It runs the installed `vertex-openai-env` exactly as a user would, evaluates its output in
bash, and has the real OpenAI SDK make one chat completion through the exported variables.
Tokens are masked on screen: they are test tokens, but they are still tokens.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import FrameType
from typing import NamedTuple

from tests.fake_google import FakeGoogle

CHAT = """\
from openai import OpenAI
import os
reply = OpenAI().chat.completions.create(
    model=os.environ["OPENAI_MODEL"],
    messages=[{"role": "user", "content": "Say hello"}],
)
print(reply.choices[0].message.content)
"""


class Outcome(NamedTuple):
    returncode: int
    stdout: str
    stderr: str


def masked(text: str) -> str:
    return re.sub(r"(ya29\.[A-Za-z0-9_-]{6})[A-Za-z0-9_~+/=.-]+", r"\1…(masked)", text)


def step(title: str, command: str) -> None:
    bold, plain = ("\033[1m", "\033[0m") if sys.stdout.isatty() else ("", "")
    print(f"\n{bold}== {title}{plain}\n$ {command}")


class Stop:
    """SIGTERM or Ctrl-C: the step running is stopped with everything it started, and the
    demo ends there, its folder (and the stand-in's key in it) removed. The signal only
    takes note and kills; the demo stops between steps, never halfway through starting one,
    so that no process is left to write into the folder as it goes."""

    def __init__(self) -> None:
        self.asked = False
        self.group: int | None = None  # the process group of the step running

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        self.asked = True
        if self.group is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.group, signal.SIGKILL)

    def check(self) -> None:
        if self.asked:
            raise KeyboardInterrupt


STOP = Stop()


def finished(command: list[str], env: dict[str, str], cwd: str | None = None) -> Outcome:
    """Run `command`, and whatever it starts, to the end (or until the demo is stopped)."""
    STOP.check()
    with subprocess.Popen(
        command, env=env, cwd=cwd, text=True, start_new_session=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    ) as child:  # fmt: skip
        STOP.group = child.pid
        STOP.check()  # asked while it started: the group was not known yet
        out, err = child.communicate()
    STOP.group = None
    if STOP.asked:
        gone(child.pid)
    STOP.check()
    return Outcome(child.returncode, out, err)


def gone(group: int) -> None:
    """Wait, a little at most, until nothing is left of the process group `group`."""
    for _ in range(200):
        try:
            os.killpg(group, signal.SIGKILL)
        except ProcessLookupError:
            return
        time.sleep(0.01)


def where(program: str) -> str:
    """How to type `program` from here: `.venv/bin/vertex-openai-env` from the clone."""
    path = Path(sys.executable).parent / program
    return os.path.relpath(path) if path.is_relative_to(Path.cwd()) else str(path)


NEXT = """
Next, by hand, against the same stand-in (it prints what to export in another shell):
  {python} -m tests.fake_google
Or against Vertex AI, with your own Google account:
  gcloud auth application-default login
  source {activate}
  vars=$(vertex-openai-env --project YOUR_PROJECT --location us-central1 --model gemini-2.5-flash) && eval "$vars"
"""


def main() -> None:
    signal.signal(signal.SIGTERM, STOP)
    signal.signal(signal.SIGINT, STOP)
    with contextlib.suppress(KeyboardInterrupt):
        demo()


def demo() -> None:
    bin_dir = Path(sys.executable).parent
    with FakeGoogle() as google, tempfile.TemporaryDirectory() as folder:
        key = google.service_account_file(Path(folder))
        env = {
            "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
            "HOME": folder,
            "CLOUDSDK_CONFIG": str(Path(folder) / "gcloud"),
            "GOOGLE_APPLICATION_CREDENTIALS": str(key),
        }
        args = (
            "--project demo-project --location us-central1 --model gemini-2.5-flash "
            f"--api-endpoint {google.url}"
        )
        print(f"A stand-in for Google's token endpoint and Vertex AI listens on {google.url}.")
        print("Credentials: a service-account key, GOOGLE_APPLICATION_CREDENTIALS=" + str(key))

        step("1. The exports", f"vertex-openai-env {args}")
        shown = finished(["vertex-openai-env", *shlex.split(args)], env=env)
        print(masked(shown.stdout) + shown.stderr, end="")

        step(
            "2. Evaluated in bash, then a chat completion with the OpenAI SDK",
            f'vars=$(vertex-openai-env {args}) && eval "$vars" && python chat.py',
        )
        (Path(folder) / "chat.py").write_text(CHAT)
        chat = finished(
            ["bash", "-c", f'vars=$(vertex-openai-env {args}) && eval "$vars" && python chat.py'],
            env=env,
            cwd=folder,
        )
        print(f"reply: {chat.stdout.strip()}" if chat.returncode == 0 else chat.stderr)
        if google.chats:
            call = google.chats[-1]
            print(f"Vertex saw: POST {call.path}")
            print(
                f"  model {call.json()['model']}, bearer token valid: {google.valid(call.bearer)}"
            )

        step("3. The same into a .env file", f"vertex-openai-env {args} --env-file .env")
        dotenv = Path(folder) / ".env"
        dotenv.write_text("# your own settings stay\nDEBUG=1\n")
        dotenv.chmod(0o600)
        wrote = finished(
            ["vertex-openai-env", *shlex.split(args), "--env-file", str(dotenv)], env=env
        )
        print(wrote.stderr, end="")
        print(masked(dotenv.read_text()), end="")
        print(f"(mode {dotenv.stat().st_mode & 0o777:04o})")

        STOP.check()
        ok = chat.returncode == 0 and bool(google.chats)
        print("\nDemo " + ("complete." if ok else "FAILED."))
        if ok:
            print(NEXT.format(python=where("python"), activate=where("activate")), end="")
        sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
