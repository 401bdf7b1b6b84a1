"""The one exception the translators raise: a request that cannot go to Vertex AI."""

from __future__ import annotations


class Unsendable(ValueError):
    """A request refused before Vertex AI sees it: HTTP `status`, OpenAI `code` and
    `param`, and a message that says what to change."""

    def __init__(
        self,
        message: str,
        param: str | None = None,
        code: str = "invalid_request",
        status: int = 400,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.code = code
        self.status = status
