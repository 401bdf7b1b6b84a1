"""Point any OpenAI SDK at Google Vertex AI: OPENAI_API_KEY and OPENAI_BASE_URL, kept fresh."""

__version__ = "0.1.0"
