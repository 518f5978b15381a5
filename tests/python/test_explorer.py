"""The explorer in a real browser: Debian's Chromium, driven by Playwright,
against a uvicorn server of the test project with sessions and the site's own
login page. The page speaks MCP to the endpoint with the login cookie, so what
it lists and calls is what the server allows that user."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from conftest import HEADERS, ROOT, TESTS, _test_project, rpc_messages

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
if not os.path.exists(CHROMIUM):
    pytest.skip(
        "Chromium is not installed: apt-get install chromium (scripts/test.sh installs it as root)",
        allow_module_level=True,
    )
sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed: pip install -e '.[test]'")
expect = sync_api.expect

#: Chromium's own options for a headless run on a machine without a sandbox or network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: Where the pictures of docs/explorer.md come from (MCP_EXPLORER_SCREENSHOTS=1 rewrites them).
SCREENSHOTS = ROOT / "docs" / "images"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    # No JWT is used here; the settings list JWTAuthentication, which wants a JWKS URL.
    settings = {"DJANGO_SETTINGS_MODULE": "testproject.auth_settings", "MCP_TEST_JWKS_URL": "http://127.0.0.1:9/jwks"}
    server = _test_project(tmp_path_factory, "explorer", settings)
    env = {**os.environ, **settings, "TEST_DB": str(server.log_path.parent / "db.sqlite3")}
    script = (
        "import django\ndjango.setup()\n"
        "from django.contrib.auth.models import Permission, User\n"
        "User.objects.create_user('olivia', password='olivia-pass', is_staff=True)\n"
        "User.objects.create_user('nick', password='nick-pass')\n"
        "pat = User.objects.create_user('pat', password='pat-pass', is_staff=True)\n"
        "pat.user_permissions.add(Permission.objects.get(codename='view_user'))\n"
    )
    subprocess.run([sys.executable, "-c", script], cwd=TESTS, env=env, check=True, timeout=120)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    yield page
    context.close()


def log_in(page, site, username: str, path: str = "/mcp/"):
    """Opens the explorer, is sent to the site's login page, logs in, and comes back."""
    page.goto(site.url + path)
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=" + re.escape(path)))
    page.fill("#id_username", username)
    page.fill("#id_password", f"{username}-pass")
    page.click("button[type=submit]")
    expect(page).to_have_url(site.url + path)


def ready(page):
    expect(page.locator("#mcp-explorer[data-ready=true]")).to_be_attached(timeout=20_000)


def names(page, kind: str) -> set[str]:
    return set(page.locator(f".item[data-kind={kind}]").evaluate_all("items => items.map(i => i.dataset.name)"))


def open_item(page, kind: str, name: str):
    item = page.locator(f".item[data-kind={kind}][data-name='{name}']")
    item.locator(":scope > summary").click()
    return item


def field(item, path: str):
    return item.locator(f".field[data-path='{path}']")


def call_tool(site, name: str, arguments: dict) -> dict:
    """A call from another client, not the browser."""
    message = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": name, "arguments": arguments}}
    r = httpx.post(site.url + "/mcp/http", json=message, headers={**HEADERS, "MCP-Protocol-Version": "2025-11-25"})
    assert r.status_code == 200, r.text
    return [m for m in rpc_messages(r) if "id" in m][-1]["result"]


def release(site, gate: str):
    call_tool(site, "release", {"gate": gate})


def test_staff_user_sees_what_the_server_allows_them(site, page):
    log_in(page, site, "olivia")
    ready(page)
    tools = names(page, "tool")
    assert {"plan_trip", "add", "whoami_auth", "invoice_total"} <= tools
    # user_count needs auth.view_user, which olivia lacks; my_space belongs to another path.
    assert "user_count" not in tools and "my_space" not in tools
    assert "greet" in names(page, "prompt") and "staff_briefing" not in names(page, "prompt")
    uris = page.locator(".item[data-kind=resource] .meta code").evaluate_all("codes => codes.map(c => c.textContent)")
    assert "test://static-text" in uris
    assert "greeting" in names(page, "template")
    expect(page.locator("#server-name")).to_have_text("Test Project Server 9.8.7")
    expect(page.locator(".topbar .user")).to_contain_text("olivia")
    # The filter narrows the list to what matches.
    page.fill("#filter", "plan_trip")
    expect(page.locator(".item[data-kind=tool]:visible")).to_have_count(1)
    page.fill("#filter", "")
    if os.environ.get("MCP_EXPLORER_SCREENSHOTS") == "1":
        page.screenshot(
            path=str(SCREENSHOTS / "explorer-list.png"), clip={"x": 0, "y": 0, "width": 1100, "height": 560}
        )


def test_a_permission_shows_the_tool_that_needs_it(site, page):
    log_in(page, site, "pat")
    ready(page)
    assert "user_count" in names(page, "tool") and "staff_briefing" in names(page, "prompt")
    item = open_item(page, "tool", "user_count")
    item.locator("button.run").click()
    expect(item.locator(".structured")).to_contain_text('"result": 3')


def test_users_who_are_not_staff_are_refused(site, page):
    log_in_page = page.goto(site.url + "/accounts/login/?next=/mcp/")
    assert log_in_page.status == 200
    page.fill("#id_username", "nick")
    page.fill("#id_password", "nick-pass")
    with page.expect_response(site.url + "/mcp/") as refused:
        page.click("button[type=submit]")
    assert refused.value.status == 403
    assert page.locator("#mcp-explorer").count() == 0


def test_a_call_with_nested_arguments_streams_progress_then_the_result(site, page):
    log_in(page, site, "olivia")
    ready(page)
    item = open_item(page, "tool", "plan_trip")
    field(item, "trip.name").locator("input").fill("alps")
    field(item, "trip.travel_by").locator("select").select_option(label="bike")
    expect(field(item, "trip.return_home").locator("input[type=checkbox]")).to_be_checked()  # the default
    add = item.locator("fieldset.array > button.add")
    add.click()
    add.click()
    field(item, "trip.stops.0.city").locator("input").fill("Bern")
    field(item, "trip.stops.0.nights").locator("input").fill("2")
    field(item, "trip.stops.1.city").locator("input").fill("Chur")
    item.locator("button.run").click()

    # Progress and log notifications arrive while the tool still runs (it waits for the release).
    expect(item.locator(".progress-message")).to_have_text("booked Chur · 2/2")
    expect(item.locator(".log li")).to_have_count(2)
    expect(item.locator(".log li").first).to_contain_text("Bern: 2 night(s) by bike")
    assert item.locator(".result").count() == 0
    expect(item.locator("button.cancel")).to_be_visible()

    release(site, "trip:alps")
    structured = item.locator(".structured")
    expect(structured).to_contain_text('"nights": 3')
    assert '"route": [\n    "Bern",\n    "Chur"\n  ]' in structured.inner_text()
    expect(item.locator("button.run")).to_be_enabled()
    if os.environ.get("MCP_EXPLORER_SCREENSHOTS") == "1":
        item.screenshot(path=str(SCREENSHOTS / "explorer-call.png"))


def test_validation_errors_appear_next_to_their_fields(site, page):
    log_in(page, site, "olivia")
    ready(page)
    item = open_item(page, "tool", "plan_trip")
    item.locator("fieldset.array > button.add").click()
    field(item, "trip.stops.0.city").locator("input").fill("Bern")
    field(item, "trip.stops.0.nights").locator("input").fill("0")
    item.locator("button.run").click()
    # The name was left empty, and 0 nights is below the schema's minimum.
    expect(field(item, "trip.name").locator(".field-error")).to_have_text("Field required")
    expect(field(item, "trip.stops.0.nights").locator(".field-error")).to_contain_text("greater than or equal to 1")
    expect(field(item, "trip.stops.0.city").locator(".field-error")).to_be_hidden()
    expect(item.locator(".result h4").first).to_have_text(re.compile("The tool reported an error"))
    # Fixed and sent again: the errors go.
    field(item, "trip.name").locator("input").fill("fixed")
    field(item, "trip.stops.0.nights").locator("input").fill("1")
    item.locator("button.run").click()
    expect(item.locator(".progress-message")).to_have_text("booked Bern · 1/1")
    expect(field(item, "trip.name").locator(".field-error")).to_be_hidden()
    release(site, "trip:fixed")
    expect(item.locator(".structured")).to_contain_text('"nights": 1')


def test_images_errors_resources_and_prompts(site, page):
    log_in(page, site, "olivia")
    ready(page)
    png = open_item(page, "tool", "tiny_png")
    png.locator("button.run").click()
    expect(png.locator("img.image")).to_have_attribute("src", re.compile(r"^data:image/png;base64,iVBOR"))

    failing = open_item(page, "tool", "fail")
    field(failing, "message").locator("input").fill("on purpose")
    failing.locator("button.run").click()
    expect(failing.locator(".content.error")).to_contain_text("on purpose")

    text = page.locator(".item[data-kind=resource]", has=page.locator("code", has_text="test://static-text"))
    text.locator(":scope > summary").click()
    text.locator("button.run").click()
    expect(text.locator(".contents pre")).to_have_text("This is the content of the static text resource.")

    greeting = open_item(page, "template", "greeting")
    field(greeting, "name").locator("input").fill("Ada Lovelace")
    greeting.locator("button.run").click()
    expect(greeting.locator(".contents .uri code")).to_have_text("greeting://Ada%20Lovelace")

    prompt = open_item(page, "prompt", "greet")
    prompt.locator("button.run").click()
    expect(field(prompt, "name").locator(".field-error")).to_contain_text("Field required")
    field(prompt, "name").locator("input").fill("Grace")
    prompt.locator("button.run").click()
    expect(prompt.locator(".message")).to_contain_text("Grace")


def test_cancel_stops_the_call_on_the_server(site, page):
    log_in(page, site, "olivia")
    ready(page)
    item = open_item(page, "tool", "cancellable")
    field(item, "gate").locator("input").fill("explorer-cancel")
    item.locator("button.run").click()
    item.locator("button.cancel").click()
    expect(item.locator(".cancelled")).to_have_text("Cancelled.")
    expect(item.locator("button.run")).to_be_enabled()
    deadline = time.monotonic() + 15
    while not call_tool(site, "is_waiting_cancelled", {"gate": "explorer-cancel"})["structuredContent"]["result"]:
        assert time.monotonic() < deadline, "the server did not cancel the call"
        time.sleep(0.2)


def test_a_stateful_mount_keeps_its_session_and_opens_another_when_it_ends(site, page):
    session_ids = []
    page.on(
        "response", lambda r: r.url.endswith("/stateful/http") and session_ids.append(r.headers.get("mcp-session-id"))
    )
    log_in(page, site, "olivia", "/stateful/")
    ready(page)
    first = session_ids[0]
    assert first and {sid for sid in session_ids if sid} == {first}
    item = open_item(page, "tool", "add")
    field(item, "a").locator("input").fill("2")
    field(item, "b").locator("input").fill("40")
    item.locator("button.run").click()
    expect(item.locator(".content pre")).to_have_text("42")

    # The session ends (here: closed by its owner); the next call opens a new one.
    token = page.locator("#mcp-explorer").get_attribute("data-csrftoken")
    headers = {"Mcp-Session-Id": first, "X-CSRFToken": token, "MCP-Protocol-Version": "2025-11-25"}
    closed = page.request.delete(site.url + "/stateful/http", headers=headers)
    assert closed.status in (200, 202, 204), closed.text()
    field(item, "b").locator("input").fill("1")
    item.locator("button.run").click()
    expect(item.locator(".content pre")).to_have_text("3")
    assert len({sid for sid in session_ids if sid}) == 2


def test_a_mount_with_path_parameters(site, page):
    log_in(page, site, "olivia", "/slug/olivia/")
    ready(page)
    expect(page.locator(".endpoint code")).to_have_text("/slug/olivia/http")
    # my_space is open to the user the path names only.
    item = open_item(page, "tool", "my_space")
    item.locator("button.run").click()
    expect(item.locator(".content pre")).to_have_text("the space of olivia")
    page.goto(site.url + "/slug/somebody/")
    ready(page)
    assert "my_space" not in names(page, "tool")


def test_the_page_and_its_files(site):
    anonymous = httpx.get(site.url + "/mcp/")
    assert anonymous.status_code == 302 and anonymous.headers["location"] == "/accounts/login/?next=/mcp/"
    assert httpx.get(site.url + "/mcp/assets/settings.py").status_code == 404
    script = httpx.get(site.url + "/mcp/assets/explorer.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert "immutable" in script.headers["cache-control"]


def test_the_page_is_sent_with_a_content_security_policy(site, page):
    log_in(page, site, "olivia")
    response = page.reload()
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["cache-control"] == "no-store"
    ready(page)


def screenshots_exist():
    return all((SCREENSHOTS / name).exists() for name in ("explorer-list.png", "explorer-call.png"))


def test_the_docs_show_the_page():
    assert screenshots_exist(), "run with MCP_EXPLORER_SCREENSHOTS=1 to take the docs' pictures"
    assert "images/explorer-list.png" in Path(ROOT / "docs" / "explorer.md").read_text()
