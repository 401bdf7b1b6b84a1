"""`make demo`: the whole flow against a loopback stand-in for Google, no account needed.

It runs the installed `vertex-openai-env` exactly as a user would, evaluates its output in
bash, and has the real OpenAI SDK make one chat completion through the exported variables.
Tokens are masked on screen: they are test tokens, but they are still tokens.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

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


def masked(text: str) -> str:
    return re.sub(r"(ya29\.[A-Za-z0-9_-]{6})[A-Za-z0-9_~+/=.-]+", r"\1…(masked)", text)


def step(title: str, command: str) -> None:
    bold, plain = ("\033[1m", "\033[0m") if sys.stdout.isatty() else ("", "")
    print(f"\n{bold}== {title}{plain}\n$ {command}")


def main() -> None:
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
        shown = subprocess.run(
            ["vertex-openai-env", *shlex.split(args)], env=env, capture_output=True, text=True
        )
        print(masked(shown.stdout) + shown.stderr, end="")

        step(
            "2. Evaluated in bash, then a chat completion with the OpenAI SDK",
            f'eval "$(vertex-openai-env {args})" && python chat.py',
        )
        (Path(folder) / "chat.py").write_text(CHAT)
        chat = subprocess.run(
            ["bash", "-c", f'set -e; eval "$(vertex-openai-env {args})"; python chat.py'],
            env=env,
            cwd=folder,
            capture_output=True,
            text=True,
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
        subprocess.run(
            ["vertex-openai-env", *shlex.split(args), "--env-file", str(dotenv)],
            env=env,
            check=True,
        )
        print(masked(dotenv.read_text()), end="")
        print(f"(mode {dotenv.stat().st_mode & 0o777:04o})")

        ok = chat.returncode == 0 and bool(google.chats)
        print("\nDemo " + ("complete." if ok else "FAILED."))
        sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
