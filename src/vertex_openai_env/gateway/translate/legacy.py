"""The legacy Completions API (`POST /v1/completions`) over chat: the prompt becomes a user
message, and the answer comes back as `choices[].text`, whole or streamed.

llama-index's `OpenAILike` calls it by default. Fill-in-the-middle (`suffix`) has no chat
form, so it is refused rather than half done.
"""

from __future__ import annotations

from typing import Any

from .problems import Unsendable

Json = dict[str, Any]
_PASSED = ("max_tokens", "temperature", "top_p", "n", "stop", "presence_penalty",
           "frequency_penalty", "seed", "stream_options")  # fmt: skip


def chat_request(body: object, upstream_model: str) -> Json:
    """The chat request for the legacy completion request `body`."""
    if not isinstance(body, dict):
        raise Unsendable("the request body must be a JSON object")
    if body.get("suffix"):
        raise Unsendable(
            "suffix (fill-in-the-middle) has no chat form on Vertex AI: put the text "
            "before and after the gap in the prompt instead",
            "suffix",
        )
    for field in ("echo", "logprobs"):
        if body.get(field):
            raise Unsendable(f"{field} is not supported through the gateway", field)
    if (body.get("best_of") or 1) > 1:
        raise Unsendable("best_of is not supported through the gateway", "best_of")
    prompt = body.get("prompt")
    if isinstance(prompt, list) and len(prompt) == 1:
        prompt = prompt[0]
    if not isinstance(prompt, str):
        raise Unsendable("prompt must be one string (no lists of prompts or tokens)", "prompt")
    chat: Json = {"model": upstream_model, "messages": [{"role": "user", "content": prompt}]}
    chat.update((field, body[field]) for field in _PASSED if body.get(field) is not None)
    if body.get("stream") is True:
        chat["stream"] = True
    return chat


def completion(chat: Json, model: str) -> Json:
    """A chat completion, or one chunk of a chat stream, as a text completion (or chunk)."""
    choices = []
    for choice in chat.get("choices") or []:
        source = choice.get("message") or choice.get("delta") or {}
        choices.append(
            {
                "text": source.get("content") or "",
                "index": choice.get("index", 0),
                "logprobs": None,
                "finish_reason": choice.get("finish_reason"),
            }
        )
    found: Json = {
        "id": str(chat.get("id") or "cmpl").replace("chatcmpl", "cmpl", 1),
        "object": "text_completion",
        "created": chat.get("created"),
        "model": model,
        "choices": choices,
    }
    if chat.get("usage") is not None:
        found["usage"] = chat["usage"]
    return found
