"""Model toolsets and DRF views as tools (django_mcp.toolsets), through a real
server and the official Python SDK client, on SQLite and on PostgreSQL.

The billing test app (tests/python/billingapp) declares the toolsets; users
authenticate with API tokens from ``manage.py mcp_token``."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from contextlib import asynccontextmanager
from decimal import Decimal

import pytest
from conftest import TESTS, _test_project, django_python
from mcp import Client, MCPError
from mcp.client.streamable_http import streamable_http_client

SETTINGS = "testproject.toolsets_settings"

SETUP = """
import datetime
from decimal import Decimal
from django.contrib.auth.models import Permission, User
from billingapp.models import Customer, Invoice

every = Permission.objects.filter(content_type__app_label="billingapp")
for name in ("ann", "bob", "tess"):
    User.objects.create_user(name).user_permissions.set(every)
User.objects.create_user("carl")
User.objects.create_user("dora").user_permissions.set(every.filter(codename__startswith="view_"))
ann, bob = User.objects.get(username="ann"), User.objects.get(username="bob")
acme = Customer.objects.create(owner=ann, name="Acme", email="ap@acme.test", credit_limit=Decimal("5000"))
globex = Customer.objects.create(owner=ann, name="Globex", credit_limit=Decimal("900"))
initech = Customer.objects.create(owner=bob, name="Initech")
rows = [("INV-001", acme, "120.00", True), ("INV-002", acme, "80.50", False), ("INV-003", globex, "300.00", False),
        ("INV-004", acme, "1500.00", True), ("INV-005", globex, "45.00", False)]
for number, customer, total, paid in rows:
    Invoice.objects.create(owner=ann, customer=customer, number=number, issued_on=datetime.date(2026, 1, int(number[-1])),
                           total=Decimal(total), paid=paid)
Invoice.objects.create(owner=bob, customer=initech, number="B-001", issued_on=datetime.date(2026, 2, 1), total=Decimal("10"))
print(json.dumps({"acme": acme.pk, "globex": globex.pk, "initech": initech.pk,
                  "bob_invoice": Invoice.objects.get(number="B-001").pk}))
"""


class Billing:
    """A server of the billing app, its database, and a token per user."""

    def __init__(self, server, env: dict[str, str]) -> None:
        self.server, self.env, self.url = server, env, server.url + "/mcp/http"
        self.ids = json.loads(self.python("import json\n" + SETUP).splitlines()[-1])
        self.tokens = {name: self.token(name) for name in ("ann", "bob", "carl", "dora", "tess")}

    def python(self, code: str) -> str:
        return django_python(code, self.env)

    def token(self, user: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "django", "mcp_token", "create", user],
            cwd=TESTS,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout.strip().splitlines()[-1]

    @asynccontextmanager
    async def client(self, user: str | None, mode: str = "auto"):
        import httpx2

        headers = {"Authorization": f"Bearer {self.tokens[user]}"} if user else {}
        async with (
            httpx2.AsyncClient(headers=headers, timeout=30) as http,
            Client(streamable_http_client(self.url, http_client=http), mode=mode) as client,
        ):
            yield client


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def billing(request, tmp_path_factory):
    env = {"DJANGO_SETTINGS_MODULE": SETTINGS}
    if request.param == "postgresql":
        pg = request.getfixturevalue("postgres")
        env["MCP_TEST_POSTGRES"] = json.dumps(pg.settings(pg.create_database("toolsets")))
    server = _test_project(tmp_path_factory, f"toolsets-{request.param}", env)
    db = str(server.log_path.parent / "db.sqlite3")
    billing = Billing(server, {**os.environ, "TEST_DB": db, **env})
    billing.vendor = request.param
    yield billing
    server.stop()


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 90))


def text(result) -> str:
    return result.content[0].text


# -- model toolsets: reading -------------------------------------------------------------


def test_list_searches_filters_orders_and_paginates(billing):
    async def go():
        async with billing.client("ann") as c:
            first = await c.call_tool("invoice_list", {})
            second = await c.call_tool("invoice_list", {"page": 2})
            by_total = await c.call_tool("invoice_list", {"ordering": ["-total"], "page_size": 10})
            unpaid = await c.call_tool("invoice_list", {"filters": {"paid": False}, "ordering": ["total"]})
            ranged = await c.call_tool("invoice_list", {"filters": {"total__gte": "100", "total__lte": 400}})
            by_customer = await c.call_tool("invoice_list", {"search": "glob"})
            beyond = await c.call_tool("invoice_list", {"page": 9})
            return first, second, by_total, unpaid, ranged, by_customer, beyond

    first, second, by_total, unpaid, ranged, by_customer, beyond = run(go())
    page = first.structured_content
    assert page["count"] == 5 and page["page_size"] == 3 and page["has_next"] is True
    assert [r["number"] for r in page["results"]] == ["INV-001", "INV-002", "INV-003"]
    assert page["results"][0] == {
        "id": page["results"][0]["id"],
        "number": "INV-001",
        "customer": billing.ids["acme"],
        "issued_on": "2026-01-01",
        "total": "120.00",
        "paid": True,
        "status": "draft",
        "created_at": page["results"][0]["created_at"],
    }
    assert "owner" not in page["results"][0]
    assert json.loads(text(first)) == page  # the same value as text for clients without structured content
    assert [r["number"] for r in second.structured_content["results"]] == ["INV-004", "INV-005"]
    assert second.structured_content["has_next"] is False
    assert [r["total"] for r in by_total.structured_content["results"]] == [
        "1500.00",
        "300.00",
        "120.00",
        "80.50",
        "45.00",
    ]
    assert [r["number"] for r in unpaid.structured_content["results"]] == ["INV-005", "INV-002", "INV-003"]
    assert {r["number"] for r in ranged.structured_content["results"]} == {"INV-001", "INV-003"}
    assert {r["number"] for r in by_customer.structured_content["results"]} == {"INV-003", "INV-005"}
    assert beyond.structured_content["results"] == [] and beyond.structured_content["count"] == 5


def test_bad_list_arguments_are_error_results(billing):
    async def go():
        async with billing.client("ann") as c:
            return [
                await c.call_tool("invoice_list", {"page_size": 11}),  # over max_page_size
                await c.call_tool("invoice_list", {"filters": {"owner": billing.ids["initech"]}}),  # not a filter
                await c.call_tool("invoice_list", {"ordering": ["owner"]}),  # not an ordering field
                await c.call_tool("invoice_list", {"filters": {"total__gte": "lots"}}),  # wrong type
                await c.call_tool("invoice_list", {"colour": "red"}),  # not an argument
                await c.call_tool("invoice_list", {"search": "x" * 201}),  # too long a search
            ]

    results = run(go())
    assert all(r.is_error for r in results), [text(r) for r in results]
    too_big, owner, ordering, wrong_type, colour, long_search = map(text, results)
    assert "page_size" in too_big and "10" in too_big
    assert "filters.owner" in owner and "Extra inputs are not permitted" in owner
    assert "ordering" in ordering
    assert "filters.total__gte" in wrong_type
    assert "colour" in colour
    assert "search" in long_search
    for message in map(text, results):
        assert "Traceback" not in message


def test_retrieve_and_resources_are_scoped_to_the_caller(billing):
    bobs = billing.ids["bob_invoice"]

    async def go():
        async with billing.client("bob") as c:
            mine = await c.call_tool("invoice_list", {})
            own = await c.call_tool("invoice_retrieve", {"pk": bobs})
            others = await c.call_tool("invoice_retrieve", {"pk": bobs - 1})
            missing = await c.call_tool("invoice_retrieve", {"pk": 987654})
            steal = await c.call_tool("invoice_update", {"pk": bobs - 1, "data": {"paid": True}})
            foreign_customer = await c.call_tool(
                "invoice_create",
                {"data": {"number": "B-X", "customer": billing.ids["acme"], "issued_on": "2026-03-01", "total": 1}},
            )
            resource = await c.read_resource(f"billingapp.invoice://{bobs}")
            try:
                await c.read_resource(f"billingapp.invoice://{bobs - 1}")
                hidden = None
            except MCPError as e:
                hidden = e
            return mine, own, others, missing, steal, foreign_customer, resource, hidden

    mine, own, others, missing, steal, foreign_customer, resource, hidden = run(go())
    assert [r["number"] for r in mine.structured_content["results"]] == ["B-001"]
    assert own.structured_content["number"] == "B-001"
    # Another user's invoice and one that does not exist give the same answer.
    assert others.is_error and missing.is_error and steal.is_error
    assert text(others).replace(str(bobs - 1), "N") == text(missing).replace("987654", "N")
    assert "No invoice with id" in text(others)
    assert foreign_customer.is_error and "customer: no customer with key" in text(foreign_customer)
    assert json.loads(resource.contents[0].text)["number"] == "B-001"
    assert hidden is not None and "No invoice with id" in str(hidden)
    rows = billing.python("from billingapp.models import Invoice\nprint(Invoice.objects.filter(paid=True).count())")
    assert rows == "2"  # bob changed nothing of ann's


def test_model_permissions_limit_lists_and_calls(billing):
    async def go():
        async with billing.client("carl") as carl:
            carl_tools = {t.name for t in (await carl.list_tools()).tools}
            try:
                await carl.call_tool("invoice_list", {})
                carl_refusal = None
            except MCPError as e:
                carl_refusal = e
        async with billing.client("dora") as dora:
            dora_tools = {t.name for t in (await dora.list_tools()).tools}
            listed = await dora.call_tool("invoice_list", {})
            try:
                await dora.call_tool("invoice_delete", {"pk": 1})
                dora_refusal = None
            except MCPError as e:
                dora_refusal = e
        return carl_tools, carl_refusal, dora_tools, listed, dora_refusal

    carl_tools, carl_refusal, dora_tools, listed, dora_refusal = run(go())
    assert not {"invoice_list", "invoice_create", "customer_list"} & carl_tools
    assert "lineitem_list" in carl_tools  # that toolset turns model permissions off
    assert "lacks permission billingapp.view_invoice" in str(carl_refusal)
    assert {"invoice_list", "invoice_retrieve"} <= dora_tools
    assert not {"invoice_create", "invoice_update", "invoice_delete"} & dora_tools
    assert listed.structured_content["count"] == 0  # dora owns no invoices
    assert "lacks permission billingapp.delete_invoice" in str(dora_refusal)


# -- model toolsets: writing -------------------------------------------------------------


def test_create_update_delete(billing):
    acme = billing.ids["acme"]

    async def go():
        async with billing.client("ann") as c:
            created = await c.call_tool(
                "invoice_create",
                {"data": {"number": "INV-100", "customer": acme, "issued_on": "2026-04-01", "total": "99.90"}},
            )
            pk = created.structured_content["id"]
            updated = await c.call_tool("invoice_update", {"pk": pk, "data": {"total": 120, "status": "sent"}})
            duplicate = await c.call_tool(
                "invoice_create",
                {"data": {"number": "INV-100", "customer": acme, "issued_on": "2026-04-01", "total": 1}},
            )
            unknown_field = await c.call_tool("invoice_update", {"pk": pk, "data": {"owner": 2}})
            bad_value = await c.call_tool("invoice_update", {"pk": pk, "data": {"total": "ten", "status": "lost"}})
            missing_field = await c.call_tool("invoice_create", {"data": {"number": "INV-101"}})
            null_field = await c.call_tool("invoice_update", {"pk": pk, "data": {"number": None}})
            paid = await c.call_tool("invoice_update", {"pk": pk, "data": {"paid": True}})
            refused = await c.call_tool("invoice_delete", {"pk": pk})
            await c.call_tool("invoice_update", {"pk": pk, "data": {"paid": False}})
            deleted = await c.call_tool("invoice_delete", {"pk": pk})
            again = await c.call_tool("invoice_retrieve", {"pk": pk})
            return (
                created,
                updated,
                duplicate,
                unknown_field,
                bad_value,
                missing_field,
                null_field,
                paid,
                refused,
                deleted,
                again,
            )

    created, updated, duplicate, unknown_field, bad_value, missing_field, null_field, paid, refused, deleted, again = (
        run(go())
    )
    assert not created.is_error, text(created)
    assert created.structured_content["total"] == "99.90" and created.structured_content["status"] == "draft"
    assert updated.structured_content["total"] == "120.00" and updated.structured_content["status"] == "sent"
    assert updated.structured_content["number"] == "INV-100"  # untouched fields keep their values
    assert duplicate.is_error and "number: Invoice with this Number already exists." in text(duplicate)
    assert unknown_field.is_error and "data.owner" in text(unknown_field)
    assert bad_value.is_error and "data.total" in text(bad_value) and "data.status" in text(bad_value)
    assert missing_field.is_error
    assert all(f"data.{f}" in text(missing_field) for f in ("customer", "issued_on", "total"))
    assert null_field.is_error and "data.number" in text(null_field)
    assert paid.structured_content["paid"] is True
    assert refused.is_error and "You may not delete invoice" in text(refused)
    assert deleted.structured_content == {"deleted": True, "pk": created.structured_content["id"]}
    assert again.is_error and "No invoice" in text(again)


def test_a_failed_write_leaves_nothing_behind(billing):
    async def go():
        async with billing.client("ann") as c:
            over_limit = await c.call_tool(
                "invoice_create",
                {
                    "data": {
                        "number": "INV-900",
                        "customer": billing.ids["globex"],
                        "issued_on": "2026-05-01",
                        "total": "600.00",
                    }
                },
            )
            audit = await c.call_tool("audit_entries", {})
            search = await c.call_tool("invoice_list", {"search": "INV-900"})
            return over_limit, audit, search

    over_limit, audit, search = run(go())
    # perform_create saved the invoice and an audit entry before its credit check failed.
    assert over_limit.is_error and "over the credit limit 900.00" in text(over_limit)
    assert "create INV-900" not in audit.structured_content["result"]
    assert search.structured_content["count"] == 0


def test_django_filter_filtersets_and_related_rows(billing):
    async def go():
        async with billing.client("ann") as c:
            listed = await c.call_tool("invoice_list", {"search": "INV-002"})
            invoice = listed.structured_content["results"][0]["id"]
            for description, quantity in (("Widgets", 4), ("Gadgets", 1), ("Widget covers", 2)):
                made = await c.call_tool(
                    "lineitem_create",
                    {
                        "data": {
                            "invoice": invoice,
                            "description": description,
                            "quantity": quantity,
                            "unit_price": "2.50",
                        }
                    },
                )
                assert not made.is_error, text(made)
            widgets = await c.call_tool(
                "lineitem_list", {"filters": {"description__icontains": "widget", "quantity__gte": 3}}
            )
            bad = await c.call_tool("lineitem_list", {"filters": {"invoice": -5}})
        async with billing.client("bob") as c:
            onto_anns = await c.call_tool(
                "lineitem_create", {"data": {"invoice": invoice, "description": "x", "unit_price": 1}}
            )
            bobs_view = await c.call_tool("lineitem_list", {})
        return widgets, bad, onto_anns, bobs_view

    widgets, bad, onto_anns, bobs_view = run(go())
    assert [r["description"] for r in widgets.structured_content["results"]] == ["Widgets"]
    assert bad.is_error and "Invalid filters: invoice" in text(bad)
    # The invoice belongs to ann: InvoiceTools.get_queryset hides it from bob, so he cannot attach lines to it.
    assert onto_anns.is_error and "invoice: no invoice with key" in text(onto_anns)
    assert bobs_view.structured_content["count"] == 0


def test_resource_template_completes_the_callers_keys(billing):
    from mcp.types import ResourceTemplateReference

    async def go():
        async with billing.client("ann") as c:
            templates = {t.uri_template for t in (await c.list_resource_templates()).resource_templates}
            ref = ResourceTemplateReference(type="ref/resource", uri="billingapp.invoice://{pk}")
            everything = await c.complete(ref, {"name": "pk", "value": ""})
        async with billing.client("bob") as c:
            bobs = await c.complete(ref, {"name": "pk", "value": ""})
        return templates, everything, bobs

    templates, everything, bobs = run(go())
    assert "billingapp.invoice://{pk}" in templates
    anns = everything.completion.values
    assert len(anns) >= 5 and str(billing.ids["bob_invoice"]) not in anns
    assert bobs.completion.values == [str(billing.ids["bob_invoice"])]


def test_saves_notify_resource_subscribers(billing):
    """notify_updates: a subscribed session hears of a change to its row once the write commits,
    whoever made it (here a tool call of another session)."""
    import threading

    import httpx
    from conftest import HEADERS, parse_sse

    bobs = billing.ids["bob_invoice"]
    uri = f"billingapp.invoice://{bobs}"
    url = billing.server.url + "/stateful/http"
    auth = {**HEADERS, "Authorization": f"Bearer {billing.tokens['bob']}"}

    def session() -> str:
        init = {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}
        opened = httpx.post(url, json={"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": init}, headers=auth)
        sid = opened.headers["mcp-session-id"]
        note = {"jsonrpc": "2.0", "method": "notifications/initialized"}
        httpx.post(url, json=note, headers={**auth, "Mcp-Session-Id": sid, "MCP-Protocol-Version": "2025-06-18"})
        return sid

    def post(sid: str, method: str, params: dict) -> dict:
        headers = {**auth, "Mcp-Session-Id": sid, "MCP-Protocol-Version": "2025-06-18"}
        message = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
        return parse_sse(httpx.post(url, json=message, headers=headers, timeout=30).text)[-1]

    watcher, writer = session(), session()
    assert post(watcher, "resources/subscribe", {"uri": uri})["result"] == {}
    received: list[dict] = []
    ready = threading.Event()

    def listen() -> None:
        headers = {
            **auth,
            "Accept": "text/event-stream",
            "Mcp-Session-Id": watcher,
            "MCP-Protocol-Version": "2025-06-18",
        }
        with httpx.stream("GET", url, headers=headers, timeout=10) as r:
            for line in r.iter_lines():
                ready.set()
                if line.startswith("data: {"):
                    received.append(json.loads(line[6:]))
                    return

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    assert ready.wait(5)
    time.sleep(0.2)
    changed = post(
        writer, "tools/call", {"name": "invoice_update", "arguments": {"pk": bobs, "data": {"status": "sent"}}}
    )
    assert changed["result"]["isError"] is False, changed
    listener.join(10)
    assert received == [{"jsonrpc": "2.0", "method": "notifications/resources/updated", "params": {"uri": uri}}]


def test_a_model_toolset_with_a_drf_serializer(billing):
    async def go():
        async with billing.client("ann") as c:
            tools = {t.name: t for t in (await c.list_tools()).tools}
            listed = await c.call_tool("client_list", {})
            bad = await c.call_tool("client_create", {"data": {"name": " lowercase", "email": "nope"}})
            unknown = await c.call_tool("client_create", {"data": {"name": "Hooli", "portal_password": "x"}})
            made = await c.call_tool("client_create", {"data": {"name": "Hooli", "email": "hi@hooli.test"}})
            renamed = await c.call_tool(
                "client_update", {"pk": made.structured_content["id"], "data": {"name": "Hooli XYZ"}}
            )
            return tools, listed, bad, unknown, made, renamed

    tools, listed, bad, unknown, made, renamed = run(go())
    create_schema = tools["client_create"].input_schema["properties"]["data"]
    assert set(create_schema["properties"]) == {"name", "email"} and create_schema["required"] == ["name"]
    rows = {r["name"]: r for r in listed.structured_content["results"]}
    assert set(rows) >= {"Acme", "Globex"} and rows["Globex"]["open_invoices"] >= 2
    assert set(rows["Acme"]) == {"id", "name", "email", "open_invoices"}
    assert (
        bad.is_error and "name: Start with a capital letter" in text(bad) and "email: Enter a valid email" in text(bad)
    )
    assert unknown.is_error and "unknown fields portal_password" in text(unknown)
    assert made.structured_content["open_invoices"] == 0 and not made.is_error
    assert renamed.structured_content["name"] == "Hooli XYZ"


# -- DRF ---------------------------------------------------------------------------------


def test_drf_viewset_actions(billing):
    acme = billing.ids["acme"]

    async def go():
        async with billing.client("ann") as c:
            tools = {t.name: t for t in (await c.list_tools()).tools}
            listed = await c.call_tool("api_invoice_list", {})
            searched = await c.call_tool("api_invoice_list", {"search": "INV-00", "ordering": "-total", "page_size": 3})
            filtered = await c.call_tool("api_invoice_list", {"paid": True})
            created = await c.call_tool(
                "api_invoice_create",
                {"data": {"number": "API-1", "customer": acme, "issued_on": "2026-06-01", "total": "10.00"}},
            )
            pk = json.loads(text(created))["id"]
            patched = await c.call_tool("api_invoice_partial_update", {"pk": pk, "data": {"total": "12.00"}})
            marked = await c.call_tool("api_invoice_mark_paid", {"pk": pk})
            fetched = await c.call_tool("api_invoice_retrieve", {"pk": str(pk)})
            destroyed = await c.call_tool("api_invoice_destroy", {"pk": pk})
            gone = await c.call_tool("api_invoice_retrieve", {"pk": pk})
        async with billing.client("bob") as c:
            bobs_view = await c.call_tool("api_invoice_retrieve", {"pk": acme})
        return tools, listed, searched, filtered, created, patched, marked, fetched, destroyed, gone, bobs_view

    tools, listed, searched, filtered, created, patched, marked, fetched, destroyed, gone, bobs_view = run(go())
    create_schema = tools["api_invoice_create"].input_schema
    assert create_schema["properties"]["data"]["required"] == ["number", "customer", "issued_on", "total"]
    assert "id" not in create_schema["properties"]["data"]["properties"]  # read-only
    assert "required" not in tools["api_invoice_partial_update"].input_schema["properties"]["data"]
    assert {"search", "ordering", "page", "page_size", "paid", "customer"} <= set(
        tools["api_invoice_list"].input_schema["properties"]
    )
    page = json.loads(text(listed))
    assert page["count"] == 5 and len(page["results"]) == 2  # the view's own pagination (2 per page)
    assert [r["total"] for r in json.loads(text(searched))["results"]] == ["1500.00", "300.00", "120.00"]
    assert {r["number"] for r in json.loads(text(filtered))["results"]} == {"INV-001", "INV-004"}
    assert not created.is_error, text(created)
    assert json.loads(text(patched))["total"] == "12.00"
    assert json.loads(text(marked))["paid"] is True
    assert json.loads(text(fetched))["number"] == "API-1"
    assert not destroyed.is_error and json.loads(text(destroyed)) == {"status": 204}
    assert gone.is_error and "HTTP 404" in text(gone)
    assert bobs_view.is_error and "HTTP 404" in text(bobs_view)  # the view's get_queryset scopes to the user


def test_drf_generic_views_and_api_views(billing):
    async def go():
        async with billing.client("ann") as c:
            tools = {t.name: t for t in (await c.list_tools()).tools}
            customers = await c.call_tool("api_customers_list", {})
            created = await c.call_tool("api_customers_create", {"data": {"name": "Umbrella"}})
            balance = await c.call_tool("balance_get", {"name": "Globex"})
        async with billing.client(None) as anonymous:
            refused = await anonymous.call_tool("balance_get", {"name": "Globex"})
            anonymous_tools = {t.name for t in (await anonymous.list_tools()).tools}
        return tools, customers, created, balance, refused, anonymous_tools

    tools, customers, created, balance, refused, anonymous_tools = run(go())
    assert "lineitem_list" in tools and "lineitem_list" not in anonymous_tools  # LineItemTools.allow
    assert {"api_customers_list", "api_customers_create", "balance_get"} <= set(tools)
    assert tools["balance_get"].input_schema["required"] == ["name"]
    assert tools["balance_get"].description == "What a customer still owes"
    assert {c["name"] for c in json.loads(text(customers))} >= {"Acme", "Globex"}  # no pagination: a list
    assert json.loads(text(created))["name"] == "Umbrella"
    owed = json.loads(text(balance))
    assert owed["customer"] == "Globex" and Decimal(owed["open"]) == Decimal("345")
    # An anonymous MCP caller is anonymous to the view too: its permission classes refuse.
    assert refused.is_error and "HTTP 403" in text(refused) and "credentials were not provided" in text(refused)


def test_drf_validation_errors_name_each_field_and_roll_back(billing):
    async def go():
        async with billing.client("ann") as c:
            invalid = await c.call_tool(
                "api_invoice_create",
                {"data": {"number": "", "customer": billing.ids["initech"], "issued_on": "yesterday", "total": "-1"}},
            )
            unknown = await c.call_tool(
                "api_invoice_create",
                {"data": {"number": "API-2", "customer": 1, "issued_on": "2026-06-01", "total": 1, "owner": 2}},
            )
            missing = await c.call_tool("api_invoice_create", {})
            return invalid, unknown, missing

    invalid, unknown, missing = run(go())
    message = text(invalid)
    assert invalid.is_error and message.startswith("Error executing tool api_invoice_create: Invalid data: ")
    for field, words in (
        ("number", "may not be blank"),
        ("customer", "Unknown customer."),
        ("issued_on", "Date has wrong format"),
        ("total", "must be positive"),
    ):
        assert f"{field}: " in message and words in message, message
    assert unknown.is_error and "unknown fields owner" in text(unknown)
    assert missing.is_error and "data" in text(missing)


def test_drf_permission_classes_and_throttles(billing):
    async def go():
        async with billing.client("dora") as c:  # view permissions only: DjangoModelPermissions refuses POST
            refused = await c.call_tool(
                "api_invoice_create",
                {"data": {"number": "D-1", "customer": billing.ids["acme"], "issued_on": "2026-06-01", "total": 1}},
            )
            allowed = await c.call_tool("api_invoice_list", {})
        async with billing.client("tess") as c:
            answers = [await c.call_tool("api_invoice_list", {}) for _ in range(14)]
        return refused, allowed, answers

    refused, allowed, answers = run(go())
    assert refused.is_error and "HTTP 403" in text(refused) and "permission" in text(refused)
    assert not allowed.is_error
    # InvoiceThrottle allows 12 calls a minute per user.
    assert [a.is_error for a in answers[:12]] == [False] * 12
    assert answers[12].is_error and "HTTP 429" in text(answers[12]) and "throttled" in text(answers[12])


def test_drf_failed_writes_roll_back(billing):
    """A view whose serializer saved and whose response then failed leaves no rows:
    every write call runs in one transaction, rolled back on an error response."""
    out = billing.python(
        "from django_mcp.toolsets.drf import _ViewAction\n"
        "from billingapp.mcp import InvoiceAPITools, InvoiceViewSet\n"
        "from billingapp.models import AuditEntry, Invoice\n"
        "from rest_framework.exceptions import ValidationError\n"
        "from django.contrib.auth.models import User\n"
        "from django_mcp import mcp_app\n"
        "from django_mcp.context import Context\n"
        "def failing(self, serializer):\n"
        "    serializer.save(owner=self.request.user)\n"
        "    AuditEntry.objects.create(invoice_number='R-1', action='api-create')\n"
        "    raise ValidationError({'total': ['refused after saving']})\n"
        "InvoiceViewSet.perform_create = failing\n"
        "action = _ViewAction(InvoiceAPITools, InvoiceViewSet, 'create', 'post', False)\n"
        "ctx = Context(mcp_app, {}, {'type': 'http', 'user': User.objects.get(username='ann'), 'headers': [(b'host', b'127.0.0.1')]})\n"
        f"data = {{'number': 'R-1', 'customer': {billing.ids['acme']}, 'issued_on': '2026-06-01', 'total': '5'}}\n"
        "try:\n"
        "    action.call(ctx, {}, {}, data)\n"
        "except Exception as e:\n"
        "    print(type(e).__name__, e)\n"
        "print(Invoice.objects.filter(number='R-1').count(), AuditEntry.objects.filter(invoice_number='R-1').count())\n"
    )
    assert "ToolError Invalid data: total: refused after saving" in out
    assert out.splitlines()[-1] == "0 0"


# -- configuration -------------------------------------------------------------------------


def test_toolsets_without_fields_or_with_credentials_fail_the_checks(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": SETTINGS,
        "TEST_DB": str(tmp_path / "db.sqlite3"),
        "MCP_TEST_SETTINGS": json.dumps({"MCP_DIRS": ["../billingapp/misdeclared"]}),
    }
    check = subprocess.run(
        [sys.executable, "-m", "django", "check"], cwd=TESTS, env=env, capture_output=True, text=True, timeout=120
    )
    assert check.returncode != 0
    assert "django_mcp.E202" in check.stderr and "lists no fields" in check.stderr
    assert "'portal_password': holds credentials" in check.stderr
    assert "'owner__password': holds credentials" in check.stderr
    assert "'password': holds credentials" in check.stderr
    assert "serializer field 'portal_password' (portal_password) is not in fields" in check.stderr
    listed = subprocess.run(
        [sys.executable, "-m", "django", "mcp_tools", "--json"], cwd=TESTS, env=env, capture_output=True, text=True
    )
    names = {t["name"] for t in json.loads(listed.stdout)["tools"]}
    assert not {n for n in names if n.startswith(("leaky_", "unlisted_", "searchy_", "user_", "serialized_"))}
    assert "customer_list" in names


# -- the example project ---------------------------------------------------------------------


def test_example_project_billing_tools(example_server):
    cwd = TESTS.parent.parent / "example"
    env = {**os.environ, "EXAMPLE_DB": example_server.db}
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from django.contrib.auth.models import User\n"
            "User.objects.create_superuser('billing-ann', 'ann@example.com', None)",
        ],
        cwd=cwd,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    token = (
        subprocess.run(
            [sys.executable, "manage.py", "mcp_token", "create", "billing-ann"],
            cwd=cwd,
            env=env,
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
        )
        .stdout.strip()
        .splitlines()[-1]
    )

    async def go():
        import httpx2

        async with (
            httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30) as http,
            Client(streamable_http_client(example_server.url + "/mcp/http", http_client=http)) as c,
        ):
            customer = await c.call_tool("customer_create", {"data": {"name": "Acme", "email": "ap@acme.test"}})
            invoice = await c.call_tool(
                "invoice_create",
                {
                    "data": {
                        "number": "2026-001",
                        "customer": customer.structured_content["id"],
                        "issued_on": "2026-03-01",
                    }
                },
            )
            pk = invoice.structured_content["id"]
            line = await c.call_tool(
                "line_items_create",
                {"data": {"invoice": pk, "description": "Consulting", "quantity": 3, "unit_price": "120.00"}},
            )
            lines = await c.call_tool("line_items_list", {"invoice": pk})
            await c.call_tool("invoice_update", {"pk": pk, "data": {"paid": True}})
            refused = await c.call_tool(
                "line_items_create", {"data": {"invoice": pk, "description": "Extra", "unit_price": "1"}}
            )
            unpaid = await c.call_tool("invoice_list", {"filters": {"paid": False}})
            resource = await c.read_resource(f"billing.invoice://{pk}")
            return line, lines, refused, unpaid, resource

    line, lines, refused, unpaid, resource = run(go())
    assert not line.is_error, text(line)
    assert [r["description"] for r in json.loads(text(lines))["results"]] == ["Consulting"]
    assert refused.is_error and "invoice: A paid invoice cannot change." in text(refused)
    assert unpaid.structured_content["count"] == 0
    assert json.loads(resource.contents[0].text)["paid"] is True


@pytest.mark.parametrize("mode", ["legacy", "auto", "2026-07-28"])
def test_every_protocol_revision(billing, mode):
    async def go():
        async with billing.client("ann", mode=mode) as c:
            return await c.call_tool("invoice_list", {"filters": {"paid": True}})

    listed = run(go())
    assert json.loads(text(listed))["count"] == 2
    if mode == "legacy":  # 2025-11-25 has structured content too
        assert listed.structured_content["count"] == 2
