"""What TAB offers for an option's value, besides click's own choices and paths."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from click.shell_completion import CompletionItem


def locations(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    """TAB offers the locations this tool knows (any well-formed region is accepted)."""
    from ..settings.regions import GLOBAL, KNOWN_REGIONS, MULTI_REGIONS

    return [
        name for name in (GLOBAL, *MULTI_REGIONS, *KNOWN_REGIONS) if name.startswith(incomplete)
    ]


def models(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    """TAB offers Google's Gemini models (any well-formed ID is accepted)."""
    from ..settings.models import KNOWN_MODELS

    return [name for name in KNOWN_MODELS if name.startswith(incomplete)]


def endpoints(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """TAB offers the endpoint IDs `endpoints` last listed, with their display names."""
    import os

    from click.shell_completion import CompletionItem

    from ..vertex.known_endpoints import recall

    return [
        CompletionItem(endpoint_id, help=name)
        for endpoint_id, name in recall(os.environ)
        if endpoint_id.startswith(incomplete)
    ]
