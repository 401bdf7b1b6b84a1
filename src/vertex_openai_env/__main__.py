"""`python -m vertex_openai_env`: the same as the `vertex-openai-env` command."""

from .launch import main

main()
