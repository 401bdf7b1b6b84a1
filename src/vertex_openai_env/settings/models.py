"""Model IDs: the form the API wants, and notes for IDs that will likely not work.

Model IDs and their forms change often, so a well-formed ID is never refused: an unknown
one gets a note at most.
"""

from __future__ import annotations

import re

from ..errors import InputError, shown

# What TAB offers after --model: Google's Gemini models as Vertex serves them. Any other
# well-formed ID is accepted all the same.
KNOWN_MODELS = (
    "gemini-3-pro-preview",
    "gemini-2.5-pro",
    "gemini-2.5-flash",
    "gemini-2.5-flash-lite",
    "gemini-2.0-flash-001",
    "gemini-2.0-flash-lite-001",
)

_PART = r"[A-Za-z0-9][A-Za-z0-9._@-]{0,127}"
_MODEL = rf"{_PART}(?:/{_PART})?"
# How the console and the REST API name a publisher's model.
_CONSOLE = rf"publishers/({_PART})/models/({_PART})"
_OPENAI = r"(?:gpt-|chatgpt|o[1-9](?:$|-)|text-embedding-|davinci|babbage|dall-e|whisper|tts-)"


def check_model(value: str) -> str:
    """The model ID as the API wants it.

    >>> check_model("gemini-2.5-flash"), check_model("publishers/google/models/gemini-2.5-pro")
    ('google/gemini-2.5-flash', 'google/gemini-2.5-pro')
    """
    console = re.fullmatch(_CONSOLE, value)
    if console:
        value = f"{console[1]}/{console[2]}"
    if not re.fullmatch(_MODEL, value):
        raise InputError(
            f"model {shown(value)} is not a model ID (letters, digits, . _ - @ "
            "and one / between publisher and name, as in google/gemini-2.5-flash)"
        )
    if "/" not in value and value.startswith("gemini-"):
        return f"google/{value}"
    return value


def model_notes(given: str, model: str) -> list[str]:
    """What to say about a model ID that is well formed but likely wrong."""
    notes = []
    if re.fullmatch(_CONSOLE, given):
        notes.append(f"understood {shown(given)} as {model}")
    name = model.rsplit("/", 1)[-1]
    if name != name.lower():
        notes.append(f"model IDs are lowercase: did you mean {model.lower()}?")
    if "/" not in model and re.match(_OPENAI, name.lower()):
        notes.append(
            f"{name} is an OpenAI model: Vertex AI serves Google's (gemini-...) and partner "
            "models (meta/llama-..., mistral-...), see the Model Garden"
        )
    return notes
