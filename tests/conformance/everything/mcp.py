"""The conformance suite's fixture, written with django-mcp's public API only."""

import asyncio
import base64
import json

from django_mcp import Audio, Context, EmbeddedResource, Image, mcp_app

# A 1x1 red PNG and a tiny silent WAV.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)
WAV = base64.b64decode("UklGRiQAAABXQVZFZm10IBAAAAABAAEAQB8AAEAfAAABAAgAZGF0YQAAAAA=")


@mcp_app.tool()
def test_simple_text() -> str:
    """Returns simple text"""
    return "This is a simple text response for testing."


@mcp_app.tool()
def test_image_content() -> Image:
    """Returns an image"""
    return Image(data=PNG, format="png")


@mcp_app.tool()
def test_audio_content() -> Audio:
    """Returns audio"""
    return Audio(data=WAV, format="wav")


@mcp_app.tool()
def test_embedded_resource() -> EmbeddedResource:
    """Returns an embedded resource"""
    return EmbeddedResource(
        "test://embedded-resource", text="This is an embedded resource content.", mime_type="text/plain"
    )


@mcp_app.tool()
def test_multiple_content_types() -> list:
    """Returns text, an image and a resource"""
    return [
        {"type": "text", "text": "Multiple content types test:"},
        Image(data=PNG, format="png"),
        EmbeddedResource(
            "test://mixed-content-resource",
            text=json.dumps({"test": "data", "value": 123}),
            mime_type="application/json",
        ),
    ]


@mcp_app.tool()
async def test_tool_with_logging(ctx: Context) -> str:
    """Sends three log messages while it runs"""
    await ctx.info("Tool execution started")
    await asyncio.sleep(0.05)
    await ctx.info("Tool processing data")
    await asyncio.sleep(0.05)
    await ctx.info("Tool execution completed")
    return "Tool with logging executed successfully"


@mcp_app.tool()
async def test_tool_with_progress(ctx: Context) -> str:
    """Reports progress 0, 50 and 100 of 100"""
    for step, value in enumerate((0, 50, 100)):
        if step:
            await asyncio.sleep(0.05)
        await ctx.report_progress(value, 100)
    return "Tool with progress executed successfully"


@mcp_app.tool()
def test_error_handling() -> str:
    """Always fails"""
    raise RuntimeError("This tool intentionally returns an error for testing")


@mcp_app.tool()
async def test_sampling(prompt: str, ctx: Context) -> str:
    """Asks the client's model"""
    result = await ctx.sample(prompt, max_tokens=100)
    return f"LLM response: {result.text}"


@mcp_app.tool()
async def test_elicitation(message: str, ctx: Context) -> str:
    """Asks the user for a name and an email"""
    schema = {
        "type": "object",
        "properties": {
            "username": {"type": "string", "description": "User's response"},
            "email": {"type": "string", "description": "User's email address"},
        },
        "required": ["username", "email"],
    }
    answer = await ctx.elicit(message, schema)
    return f"User response: action={answer.action}, content={json.dumps(answer.content)}"


@mcp_app.tool()
async def test_elicitation_sep1034_defaults(ctx: Context) -> str:
    """Elicits with defaults for every primitive type"""
    schema = {
        "type": "object",
        "properties": {
            "name": {"type": "string", "description": "User name", "default": "John Doe"},
            "age": {"type": "integer", "description": "User age", "default": 30},
            "score": {"type": "number", "description": "User score", "default": 95.5},
            "status": {
                "type": "string",
                "description": "User status",
                "enum": ["active", "inactive", "pending"],
                "default": "active",
            },
            "verified": {"type": "boolean", "description": "Verification status", "default": True},
        },
        "required": [],
    }
    answer = await ctx.elicit("Please review and update the form fields with defaults", schema)
    return f"Elicitation completed: action={answer.action}, content={json.dumps(answer.content)}"


@mcp_app.tool()
async def test_elicitation_sep1330_enums(ctx: Context) -> str:
    """Elicits with the five enum schema variants"""
    schema = {
        "type": "object",
        "properties": {
            "untitledSingle": {
                "type": "string",
                "description": "Untitled single-select",
                "enum": ["option1", "option2", "option3"],
            },
            "titledSingle": {
                "type": "string",
                "description": "Titled single-select",
                "oneOf": [
                    {"const": "value1", "title": "First Option"},
                    {"const": "value2", "title": "Second Option"},
                    {"const": "value3", "title": "Third Option"},
                ],
            },
            "legacyEnum": {
                "type": "string",
                "description": "Legacy titled enum",
                "enum": ["opt1", "opt2", "opt3"],
                "enumNames": ["Option One", "Option Two", "Option Three"],
            },
            "untitledMulti": {
                "type": "array",
                "description": "Untitled multi-select",
                "items": {"type": "string", "enum": ["option1", "option2", "option3"]},
            },
            "titledMulti": {
                "type": "array",
                "description": "Titled multi-select",
                "items": {
                    "anyOf": [
                        {"const": "value1", "title": "First Choice"},
                        {"const": "value2", "title": "Second Choice"},
                        {"const": "value3", "title": "Third Choice"},
                    ]
                },
            },
        },
        "required": [],
    }
    answer = await ctx.elicit("Please select options", schema)
    return f"Elicitation completed: action={answer.action}, content={json.dumps(answer.content)}"


@mcp_app.tool(
    description="Tool with JSON Schema 2020-12 features",
    input_schema={
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "$defs": {
            "address": {"type": "object", "properties": {"street": {"type": "string"}, "city": {"type": "string"}}}
        },
        "properties": {"name": {"type": "string"}, "address": {"$ref": "#/$defs/address"}},
        "additionalProperties": False,
    },
)
def json_schema_2020_12_tool(name: str = "", address: dict | None = None) -> str:
    return f"name={name} address={address}"


@mcp_app.tool()
async def test_reconnection(ctx: Context) -> str:
    """Completes after a short delay (the stream may be resumed meanwhile)"""
    await asyncio.sleep(0.1)
    return "Reconnection test completed successfully"


@mcp_app.resource(
    "test://static-text", name="static-text", description="A static text resource", mime_type="text/plain"
)
def static_text() -> str:
    return "This is the content of the static text resource."


@mcp_app.resource(
    "test://static-binary", name="static-binary", description="A static binary resource", mime_type="image/png"
)
def static_binary() -> bytes:
    return PNG


@mcp_app.resource(
    "test://template/{id}/data", name="template", description="A resource template", mime_type="application/json"
)
def template(id: str) -> str:
    return json.dumps({"id": id, "templateTest": True, "data": f"Data for ID: {id}"})


@mcp_app.resource(
    "test://watched-resource", name="watched-resource", description="A resource to subscribe to", mime_type="text/plain"
)
def watched() -> str:
    return "Watched resource content"


@mcp_app.prompt()
def test_simple_prompt() -> str:
    """A prompt without arguments"""
    return "This is a simple prompt for testing."


@mcp_app.prompt()
def test_prompt_with_arguments(arg1: str, arg2: str) -> str:
    """A prompt with two arguments"""
    return f"Prompt with arguments: arg1='{arg1}', arg2='{arg2}'"


@mcp_app.prompt()
def test_prompt_with_embedded_resource(resourceUri: str) -> list:
    """A prompt embedding a resource"""
    return [
        {
            "role": "user",
            "content": EmbeddedResource(
                resourceUri, text="Embedded resource content for testing.", mime_type="text/plain"
            ),
        },
        {"role": "user", "content": "Please process the embedded resource above."},
    ]


@mcp_app.prompt()
def test_prompt_with_image() -> list:
    """A prompt with an image"""
    return [
        {"role": "user", "content": Image(data=PNG, format="png")},
        {"role": "user", "content": "Please analyze the image above."},
    ]


@mcp_app.completion()
def complete(ref, argument, context):
    suggestions = {"arg1": ["paris", "park", "party"], "arg2": ["world", "word"]}
    return [v for v in suggestions.get(argument.name, []) if v.startswith(argument.value)]
