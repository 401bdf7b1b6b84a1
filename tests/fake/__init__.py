"""The parts of the loopback stand-in for Google, one module per role, as `src/` is split.

`server` (HTTP plumbing, faults), `tokens` (OAuth token endpoint and the token ledger),
`metadata`, `iam`, `vertex_rest` (list / get endpoints) and `vertex_openai` (chat
completions, embeddings; its rules, answers and errors in `chat_*`); `chat_client` is a
bare client for the stand-in's own tests. `tests/fake_google.py` puts them together as
`FakeGoogle`.
"""
