"""Point any OpenAI SDK at Google Vertex AI: OPENAI_API_KEY and OPENAI_BASE_URL, kept fresh.

The command line is `vertex-openai-env`; for Python programs, `TokenProvider`,
`AsyncTokenProvider` and `base_url`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["AsyncTokenProvider", "TokenProvider", "__version__", "base_url"]

if TYPE_CHECKING:
    from .live.api import AsyncTokenProvider, TokenProvider, base_url

    __version__: str


def __getattr__(name: str) -> Any:
    # Imported on first use, so that the command line starts without the API's imports.
    if name == "__version__":
        from importlib.metadata import version

        return version("vertex-openai-env")
    if name in __all__:
        from .live import api

        return getattr(api, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
