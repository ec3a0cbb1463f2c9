"""`evol sim`: a deterministic, OpenAI-compatible offline endpoint that can also play faults and overload."""
