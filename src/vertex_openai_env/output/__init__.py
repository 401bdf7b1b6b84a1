"""Where the variables go: rendered by a format (`formats/`, one module each), merged into
a `.env` file (`envfile`), named and built by `variables`.
"""
