"""Vertex AI's own REST API: the few calls the tool makes (`client`) and what a failed call
means (`diagnose`)."""
