"""`serve`: a local OpenAI-compatible gateway that holds the Google credentials.

Clients get `http://127.0.0.1:PORT/v1` and a local key that never expires; every request
goes on to Vertex AI with a fresh Google token. aiohttp is an optional extra, imported
only here, on the `serve` path: the exporter's own start-up does not load it.

    key        the local key: made, kept in a file, compared in constant time
    refusals   answers in OpenAI's error format
    keeper     the Google token: refreshed in the background, on demand once expired
    upstream   requests to Vertex AI: the token, one retry after a 401, failures explained
    said       explanations on stderr: each kind once, bounded in memory and rate
    bodies     request bodies: the size cap, the stall timeout, the bound on kept bodies
    relay      the catch-all: a request forwarded byte for byte, its answer streamed back
    models     model names: with or without the publisher, aliases, /v1/models
    app        the aiohttp application: key check and request log around every route
    limits     the open-file budget: the limit raised, shared by clients and upstream
    connections  client connections: the cap, the header deadline, refusals counted
    holder     who holds a port that is taken, where the system says
    server     listening, announcing the client's variables, stopping gracefully
    child      `exec --serve`: a command run against the gateway, signals passed on
"""

from __future__ import annotations
