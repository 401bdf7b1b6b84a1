"""`make bench`: how fast the tool is, as ratios against commands timed in the same run.

Against one loopback token endpoint it times (a) a fresh export, (b) a cache-hit export,
(c) `--help`, next to three yardsticks: `gcloud auth application-default print-access-token`
(what users do today), a naive google-auth + requests script (`tests/naive_export.py`),
and `python -c pass`. Runs are interleaved so that a busy moment hurts every command alike.
The medians, every ratio and its target are printed; the exit status is 1 if one is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.fake_google import FakeGoogle

# (row, command timed, baseline, target ratio)
TARGETS = [
    ("fresh export", "fresh", "gcloud", 0.35),
    ("fresh export", "fresh", "naive", 1.0),
    ("cache-hit export", "hit", "gcloud", 0.08),
    ("cache-hit export", "hit", "python", 4.0),
    ("--help", "help", "python", 4.0),
]
NAIVE = str(Path(__file__).with_name("naive_export.py"))


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="runs of each command (median)")
    runs = parser.parse_args().runs
    gcloud = shutil.which("gcloud")
    if gcloud is None:
        sys.exit("make bench compares against gcloud, which is not on PATH")
    tool = str(Path(sys.executable).parent / "vertex-openai-env")
    with FakeGoogle() as google, tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        (home / "gcloud").mkdir()
        (home / "gcloud" / "application_default_credentials.json").write_text(
            json.dumps(google.authorized_user_info())
        )
        env = {
            "PATH": os.environ["PATH"],
            "HOME": folder,
            "CLOUDSDK_CONFIG": str(home / "gcloud"),
            "CLOUDSDK_AUTH_TOKEN_HOST": google.token_uri,
            "XDG_RUNTIME_DIR": str(home / "run"),
            "GOOGLE_APPLICATION_CREDENTIALS": str(google.service_account_file(home)),
        }
        gcloud_env = {
            key: value for key, value in env.items() if key != "GOOGLE_APPLICATION_CREDENTIALS"
        }
        export = [tool, "--project", "bench-proj", "--location", "us-central1", "--model",
                  "gemini-2.5-flash", "--format", "sh"]  # fmt: skip
        commands = {
            "gcloud": ([gcloud, "auth", "application-default", "print-access-token"], gcloud_env),
            "fresh": ([*export, "--no-cache"], env),
            "hit": (export, env),
            "naive": ([sys.executable, NAIVE], env),
            "help": ([tool, "--help"], env),
            "python": ([sys.executable, "-c", "pass"], env),
        }
        for command, command_env in commands.values():  # warm the disk cache and the token cache
            timed(command, command_env)
        samples: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(runs):
            for name, (command, command_env) in commands.items():
                samples[name].append(timed(command, command_env))
    medians = {name: statistics.median(values) for name, values in samples.items()}
    print(f"medians of {runs} interleaved runs on {os.cpu_count()} cores:")
    for name, value in medians.items():
        print(f"  {name:8} {value * 1000:8.1f} ms")
    missed = False
    print(f"\n  {'':18} {'ratio':>7} {'target':>8}")
    for row, timed_name, baseline, target in TARGETS:
        ratio = medians[timed_name] / medians[baseline]
        verdict = "ok" if ratio <= target else "MISSED"
        missed |= ratio > target
        print(
            f"  {row:18} {ratio:6.3f}x {'<= ' + str(target) + 'x':>8}  vs {baseline:6}  {verdict}"
        )
    sys.exit(1 if missed else 0)


if __name__ == "__main__":
    main()
