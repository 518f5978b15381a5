"""The floor: the cheapest possible ASGI answer to a tools/call.

No framework, no parsing, a canned JSON-RPC result. Every other system is
reported as a fraction of this, which cancels out the machine and uvicorn.
"""

BODY = (
    b'{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"3"}],'
    b'"structuredContent":{"result":3},"isError":false}}'
)
HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    # Drain the request body like a real server must, so the floor is honest.
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})
