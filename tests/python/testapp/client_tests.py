"""Django TestCase tests using django_mcp.test.MCPTestClient, written the way
a user of the library writes them; run by test_testclient.py through
`python -m django test`."""

import uuid

from django.contrib.auth.models import User
from django.test import TestCase

from django_mcp.test import MCPError, MCPTestClient

from .models import Note


class ToolTests(TestCase):
    def test_call_a_tool(self):
        result = MCPTestClient().call_tool("add", {"a": 2, "b": 3})
        self.assertFalse(result.is_error)
        self.assertEqual(result.structured_content, {"result": 5})
        self.assertEqual(result.text, "5")

    def test_the_test_process_is_not_frozen(self):
        # MCP_GC_FREEZE is for servers (mount_mcp_server), not a test run's heap.
        import gc

        MCPTestClient().call_tool("add", {"a": 1, "b": 1})
        self.assertEqual(gc.get_freeze_count(), 0)

    def test_errors(self):
        failed = MCPTestClient().call_tool("fail", {"message": "no luck"})
        self.assertTrue(failed.is_error)
        self.assertIn("no luck", failed.text)
        invalid = MCPTestClient().call_tool("add", {"a": "two", "b": 3})
        self.assertTrue(invalid.is_error)
        self.assertIn("Invalid arguments for tool add", invalid.text)
        with self.assertRaises(MCPError) as raised:
            MCPTestClient().call_tool("no_such_tool")
        self.assertEqual(raised.exception.code, -32602)

    def test_path_params_keep_their_types(self):
        key = uuid.uuid4()
        result = MCPTestClient(path_params={"number": 7, "key": key}).call_tool("path_info")
        self.assertEqual(result.structured_content, {"number": ["int", "7"], "key": ["UUID", str(key)]})

    def test_user(self):
        ann = User.objects.create_user("ann")
        self.assertEqual(
            MCPTestClient(user=ann).call_tool("whoami").structured_content, {"username": "ann", "authenticated": True}
        )
        self.assertEqual(
            MCPTestClient().call_tool("whoami").structured_content, {"username": "", "authenticated": False}
        )

    def test_sync_tools_see_the_test_transaction(self):
        Note.objects.create(text="made by the test")
        self.assertEqual(MCPTestClient().call_tool("count_notes").structured_content, {"result": 1})
        MCPTestClient().call_tool("sync_orm", {"text": "made by the tool"})
        self.assertEqual(Note.objects.count(), 2)

    def test_log_notifications_are_collected(self):
        result = MCPTestClient().call_tool("log_levels")
        methods = {n["method"] for n in result.notifications}
        self.assertIn("notifications/message", methods)

    def test_lists(self):
        client = MCPTestClient()
        self.assertIn("add", {t["name"] for t in client.list_tools()})
        self.assertIn("greet", {p["name"] for p in client.list_prompts()})
        self.assertIn("greeting://{name}", {t["uriTemplate"] for t in client.list_resource_templates()})
        self.assertIn("test://static-text", {r["uri"] for r in client.list_resources()})


class ResourceAndPromptTests(TestCase):
    def test_read_a_resource(self):
        contents = MCPTestClient().read_resource("greeting://Grace")
        self.assertEqual(contents[0]["text"], "Hello, Grace!")
        with self.assertRaises(MCPError):
            MCPTestClient().read_resource("nothing://here")

    def test_get_a_prompt(self):
        prompt = MCPTestClient().get_prompt("greet", {"name": "Ada", "excited": "true"})
        self.assertEqual(prompt.messages[0]["content"]["text"], "Hello Ada!")


class AsyncTests(TestCase):
    async def test_async_twins(self):
        client = MCPTestClient()
        result = await client.acall_tool("add_async", {"a": 1, "b": 1})
        self.assertEqual(result.structured_content, {"result": 2})
        self.assertEqual((await client.aread_resource("test://static-text"))[0]["mimeType"], "text/plain")
