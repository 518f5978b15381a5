"""The conformance suite's fixture, written with django-mcp's public API only."""

import asyncio
import base64
import json
from typing import Annotated

from pydantic import Field

from django_mcp import Audio, Context, EmbeddedResource, Image, ProtocolError, mcp_app

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
async def test_reconnection(ctx: Context) -> str:
    """Closes the response stream mid-call; the result follows when the client reconnects"""
    await ctx.close_sse_stream()
    await asyncio.sleep(0.1)
    return "Reconnection test completed successfully"


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
            "address": {
                "$anchor": "addressDef",
                "type": "object",
                "properties": {"street": {"type": "string"}, "city": {"type": "string"}},
            }
        },
        "properties": {
            "name": {"type": "string"},
            "address": {"$ref": "#/$defs/address"},
            "contactMethod": {"type": "string", "enum": ["phone", "email"]},
            "phone": {"type": "string"},
            "email": {"type": "string"},
        },
        "allOf": [{"anyOf": [{"required": ["phone"]}, {"required": ["email"]}]}],
        "if": {"properties": {"contactMethod": {"const": "phone"}}, "required": ["contactMethod"]},
        "then": {"required": ["phone"]},
        "else": {"required": ["email"]},
        "additionalProperties": False,
    },
)
def json_schema_2020_12_tool(
    name: str = "",
    address: dict | None = None,
    contactMethod: str | None = None,
    phone: str | None = None,
    email: str | None = None,
) -> str:
    return f"name={name} address={address} contact={contactMethod or '-'}"


# Revision 2026-07-28: input requests travel in input_required results, named
# by their key; requests asked together (asyncio.gather) share one round.
NAME_SCHEMA = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}


@mcp_app.tool()
async def test_input_required_result_elicitation(ctx: Context) -> str:
    """Asks the user's name (input request user_name)"""
    answer = await ctx.elicit("What is your name?", NAME_SCHEMA, key="user_name")
    return f"Hello, {answer.content.get('name')}!"


@mcp_app.tool()
async def test_input_required_result_sampling(ctx: Context) -> str:
    """Asks the client's model a question (input request capital_question)"""
    result = await ctx.sample("What is the capital of France?", max_tokens=100, key="capital_question")
    return f"The model answered: {result.text}"


@mcp_app.tool()
async def test_input_required_result_list_roots(ctx: Context) -> str:
    """Asks for the client's roots (input request client_roots)"""
    roots = await ctx.list_roots(key="client_roots")
    return "Roots: " + ", ".join(root["uri"] for root in roots)


@mcp_app.tool()
async def test_input_required_result_request_state(ctx: Context) -> str:
    """Asks for a confirmation; the answer comes back with the signed requestState"""
    schema = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}
    answer = await ctx.elicit("Please confirm", schema, key="confirm")
    return f"state-ok: confirmed={answer.content.get('ok')}"


@mcp_app.tool()
async def test_input_required_result_multiple_inputs(ctx: Context) -> str:
    """Asks for a name, a greeting and the roots in one round"""
    answer, greeting, roots = await asyncio.gather(
        ctx.elicit("What is your name?", NAME_SCHEMA, key="user_name"),
        ctx.sample("Generate a greeting", max_tokens=50, key="greeting"),
        ctx.list_roots(key="client_roots"),
    )
    return f"{greeting.text} {answer.content.get('name')} ({len(roots)} roots)"


@mcp_app.tool()
async def test_input_required_result_multi_round(ctx: Context) -> str:
    """Asks for a name, then for a colour, in two rounds"""
    name = await ctx.elicit("Step 1: What is your name?", NAME_SCHEMA, key="step1")
    color_schema = {"type": "object", "properties": {"color": {"type": "string"}}, "required": ["color"]}
    color = await ctx.elicit("Step 2: What is your favorite color?", color_schema, key="step2")
    return f"{name.content.get('name')} likes {color.content.get('color')}"


@mcp_app.tool()
async def test_input_required_result_tampered_state(ctx: Context) -> str:
    """Asks for a confirmation; a requestState altered by the client is refused"""
    schema = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}
    answer = await ctx.elicit("Please confirm", schema, key="confirm")
    return f"Confirmed: {answer.content.get('ok')}"


@mcp_app.tool()
async def test_input_required_result_capabilities(ctx: Context) -> str:
    """Asks only for what the client declared it can answer"""
    declared = ctx.client_capabilities or {}
    asks = []
    if "elicitation" in declared:
        asks.append(ctx.elicit("What is your name?", NAME_SCHEMA, key="user_name"))
    if "sampling" in declared:
        asks.append(ctx.sample("Generate a greeting", max_tokens=50, key="greeting"))
    if "roots" in declared:
        asks.append(ctx.list_roots(key="client_roots"))
    answers = await asyncio.gather(*asks)
    return f"Got {len(answers)} answers"


@mcp_app.prompt()
async def test_input_required_result_prompt(ctx: Context) -> str:
    """A prompt that asks the user for its context first"""
    schema = {"type": "object", "properties": {"context": {"type": "string"}}, "required": ["context"]}
    answer = await ctx.elicit("What context should the prompt use?", schema, key="user_context")
    return f"Use this context: {answer.content.get('context')}"


@mcp_app.tool()
async def test_missing_capability(ctx: Context) -> str:
    """Needs sampling: refused with -32021 when the request does not declare it"""
    result = await ctx.sample("Say hello", max_tokens=20)
    return f"LLM response: {result.text}"


@mcp_app.tool()
async def test_streaming_elicitation(ctx: Context) -> str:
    """Reports progress, then asks for a confirmation (an input_required result, never a request on the stream)"""
    await ctx.report_progress(50, 100)
    schema = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}
    answer = await ctx.elicit("Continue?", schema, key="confirm")
    return f"Streaming complete: {answer.action}"


@mcp_app.tool()
async def test_logging_tool(ctx: Context) -> str:
    """Logs at info: sent only when the request asked for logs at that level"""
    await ctx.info("Diagnostic trace logging activated")
    return "Logging evaluated"


@mcp_app.tool()
def test_custom_header(region: Annotated[str, Field(json_schema_extra={"x-mcp-header": "Region"})]) -> str:
    """Its argument is mirrored in the Mcp-Param-Region header, which must agree with the body"""
    return f"Region: {region}"


@mcp_app.tool()
def test_trigger_tool_change() -> str:
    """Tells listening clients that the tool list changed"""
    mcp_app.notify_list_changed("tool")
    return "Mutation triggered"


@mcp_app.tool()
def test_trigger_prompt_change() -> str:
    """Tells listening clients that the prompt list changed"""
    mcp_app.notify_list_changed("prompt")
    return "Mutation triggered"


# The tasks extension (io.modelcontextprotocol/tasks).


@mcp_app.tool()
def greet(name: str) -> str:
    """Greets by name; never a task"""
    return f"Hello, {name}!"


@mcp_app.tool(task="optional")
async def slow_compute(seconds: float, label: str = "") -> str:
    """Sleeps for the given seconds, then answers"""
    await asyncio.sleep(seconds)
    return f"Computed {label} after {seconds} seconds"


@mcp_app.tool(task="required")
async def failing_job() -> str:
    """Fails after about a second (a tool error: the task completes with isError)"""
    await asyncio.sleep(1)
    raise RuntimeError("The job failed")


@mcp_app.tool(task="optional")
async def protocol_error_job() -> str:
    """Fails with a protocol error (the task fails)"""
    raise ProtocolError(-32603, "Internal error in protocol_error_job")


CONFIRM_SCHEMA = {"type": "object", "properties": {"confirm": {"type": "boolean"}}, "required": ["confirm"]}


@mcp_app.tool(task="optional")
async def confirm_delete(filename: str, ctx: Context) -> str:
    """Asks for a confirmation, then deletes (pretends to)"""
    answer = await ctx.elicit(f"Delete {filename}?", CONFIRM_SCHEMA, key="confirm")
    confirmed = answer.action == "accept" and (answer.content or {}).get("confirm")
    return f"Deleted {filename}" if confirmed else f"Kept {filename}"


@mcp_app.tool(task="optional")
async def multi_input(ctx: Context) -> str:
    """Asks for a name and a confirmation at once"""
    name, confirm = await asyncio.gather(
        ctx.elicit("Your name?", NAME_SCHEMA, key="name"),
        ctx.elicit("Proceed?", CONFIRM_SCHEMA, key="confirm"),
    )
    return f"{name.content.get('name')}: {confirm.action}"


@mcp_app.tool(task="required", task_starts="when_asked")
async def test_tool_with_task(ctx: Context) -> str:
    """Asks for the user's name in the request, then goes on as a task"""
    answer = await ctx.elicit("What is your name?", NAME_SCHEMA, key="user_name")
    await ctx.start_task()
    await asyncio.sleep(0.1)
    return f"Hello, {answer.content.get('name')}, from a task"


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
