"""System "fastmcp": the `fastmcp` package, stateless JSON HTTP app."""

from fastmcp import FastMCP

server = FastMCP("bench")


@server.tool
def add(a: int, b: int) -> int:
    return a + b


app = server.http_app(path="/mcp", json_response=True, stateless_http=True)
