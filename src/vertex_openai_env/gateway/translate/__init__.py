"""Pure translators between the APIs clients speak and the Chat Completions API Vertex AI
serves: plain data in, plain data out, no server and no I/O, so each rule is tested alone.

    sse        Vertex's event stream, cut into the JSON payloads it carries
    problems   the one exception a translator raises for a request it cannot send
    tools      Responses tools to chat functions, and a call's name back to its tool
    inputs     Responses input items to chat messages, thought signatures attached
    request    a Responses request to a chat request
    items      chat deltas to Responses output items and stream events (one state machine)
    response   the Response object around the items, and its usage
    store      responses, items and thought signatures kept in memory, bounded
    legacy     the legacy Completions API (`/v1/completions`) to chat and back
"""
