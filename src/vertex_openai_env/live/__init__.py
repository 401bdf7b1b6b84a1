"""Keeping the variables fresh while things run: the shell `hook`, `watch` for a `.env`
file, `runner` for `exec`, and the Python `api`."""
