"""django_mcp.test.MCPTestClient as users run it: Django's own test runner
executing TestCase classes (testapp/client_tests.py)."""

import os
import re
import subprocess
import sys

from conftest import TESTS


def test_django_testcase_suite_using_the_test_client():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "testproject.settings", "TEST_DB": ""}
    done = subprocess.run(
        [sys.executable, "-m", "django", "test", "testapp.client_tests", "-v", "2"],
        cwd=TESTS,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    ran = re.search(r"Ran (\d+) tests", done.stderr)
    assert ran and int(ran.group(1)) >= 10 and "OK" in done.stderr
    # Every TestCase method ran and passed (none skipped).
    assert "skipped" not in done.stderr
