"""Running user code for one call: invoking functions (sync ones on worker
threads), timeouts, requests to the client (elicitation, sampling), input
rounds of 2026-07-28, and change notifications. ``django_mcp.context`` is
what a function sees of it."""
