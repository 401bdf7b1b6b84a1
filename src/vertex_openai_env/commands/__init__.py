"""The commands, one module each; `options` declares every shared option once.

To add a command: write `NAME.py` here with a click command built from `options`, then
register it in `cli.py` with one line in `COMMANDS`.
"""
