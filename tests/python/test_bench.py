"""The bench's one command (bench/run.py) keeps working: every part of it runs
against real servers and the engine's criterion benchmarks, and reports a
verdict for each target.

Only that the harness measures is checked, never how fast anything is: speed
is the bench's business (see docs/performance.md), and this machine's noise
would make any bound here flaky."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SYSTEMS = ["floor", "sdk", "django-json-async", "django-json-sync"]


def test_run_py_measures_every_part_and_gives_verdicts(tmp_path):
    if shutil.which("wrk") is None:
        pytest.fail("wrk is missing: install Debian's wrk (scripts/test.sh does)")
    out = tmp_path / "bench.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "python")}
    done = subprocess.run(
        [
            sys.executable,
            "bench/run.py",
            "--quick",
            "--duration",
            "1",
            "--sessions",
            "20",
            "--only",
            ",".join([*SYSTEMS, "sessions", "engine"]),
            "--json",
            str(out),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads(out.read_text())
    assert report["skipped"] == {} and report["failed"] == {}, (report["skipped"], report["failed"])

    rows = {(r["system"], r["connections"]): r for r in report["results"]}
    assert set(rows) == {(s, c) for s in SYSTEMS for c in (1, 32)}
    for (system, conns), r in rows.items():
        assert r["requests"] > 0, r
        if system != "sdk":  # the SDK's own errors under load are not this project's to fail on
            assert r["errors"] == 0, r
        assert r["rss_mib"] > 0
        # Each system against the floor and the SDK of this same run.
        assert r["rps_vs_floor"] == pytest.approx(r["rps"] / rows[("floor", conns)]["rps"])
        assert r["rps_vs_sdk"] == pytest.approx(r["rps"] / rows[("sdk", conns)]["rps"])

    sessions = {r["system"]: r for r in report["sessions"]}
    assert set(sessions) == {"sdk", "django-mcp"}
    assert all(r["sessions"] == 20 and r["rss_after_kib"] > 0 for r in sessions.values())

    engine = {r["benchmark"]: r for r in report["engine"]}
    assert any(name.startswith("tools/call") for name in engine), sorted(engine)
    assert all(r["ci_low_us"] <= r["mean_us"] <= r["ci_high_us"] for r in engine.values())

    # A verdict for every target, each with its measured value; all of them printed.
    verdicts = {(t["system"], t["metric"]): t for t in report["targets"]}
    wanted = {
        ("django-json-async", "rps_vs_floor"),
        ("django-json-async", "rps_vs_sdk"),
        ("django-json-sync", "rps_vs_floor"),
        ("django-json-async", "p99_vs_floor"),
        ("django-json-sync", "p99_vs_floor"),
        ("django-mcp", "kib_per_session"),
    }
    wanted |= {
        ("engine", f"µs per message, {name}")
        for name in ("tools/call plan+finish (json)", "tools/call plan+finish (sse)")
    }
    assert set(verdicts) == wanted, sorted(verdicts)
    printed = done.stdout.split("\ntargets", 1)[1]
    for t in verdicts.values():
        assert t["verdict"] in ("PASS", "MISS") and t["value"] is not None, t
        assert f"{t['verdict']:<4} {t['system']:<18} {t['metric']} {t['op']} {t['bound']}" in printed


def test_instructions_py_reads_valgrinds_cache_events_per_object(tmp_path):
    """bench/instructions.py --caches: the per-object split of a real
    callgrind run adds up to valgrind's own totals, and a django-mcp request
    is counted with its engine's and the interpreter's cache misses, warm and
    cold."""
    if shutil.which("valgrind") is None:
        pytest.fail("valgrind is missing: install Debian's valgrind (scripts/test.sh does)")
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from instructions import CACHE_SIM, EVENTS, by_object
    finally:
        sys.path.remove(str(ROOT / "bench"))
    out = tmp_path / "callgrind.out"
    done = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            *CACHE_SIM,
            f"--callgrind-out-file={out}",
            sys.executable,
            "-c",
            "import json; json.dumps(list(range(100)))",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    collected = [int(v) for v in done.stderr.split("Collected :", 1)[1].split("\n", 1)[0].split()]
    objects = by_object(out)
    assert len(collected) == len(EVENTS)
    assert [sum(events[i] for events in objects.values()) for i in range(len(EVENTS))] == collected
    assert any(name.startswith("libpython") or name.startswith("python") for name in objects), sorted(objects)

    env = {**os.environ, "PYTHONPATH": str(ROOT / "python")}
    done = subprocess.run(
        [sys.executable, "bench/instructions.py", "--only", "django-json-async", "-n", "10", "--caches"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    row = next(line for line in done.stdout.splitlines() if line.startswith("django-json-async "))
    instructions, l1i, engine, interpreter, l1d, code, code_engine, data = (
        float(v.replace(",", "")) for v in row.split()[1:]
    )
    assert instructions > 0 and l1d > 0
    assert 0 < engine < l1i and 0 < interpreter < l1i and engine + interpreter <= l1i
    # Cold: the engine's code is one part of the lines the request touches.
    assert 0 < code_engine < code and data > 0


def _paired(args, tmp_path, name):
    out = tmp_path / f"{name}.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "python")}
    done = subprocess.run(
        [sys.executable, "bench/paired.py", "--rounds", "1", "--duration", "1", "--json", str(out), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads(out.read_text()), done.stdout


def test_paired_py_pairs_with_the_floor_or_with_a_baseline_django_mcp(tmp_path):
    if shutil.which("wrk") is None:
        pytest.fail("wrk is missing: install Debian's wrk (scripts/test.sh does)")
    report, _ = _paired(["--only", "django-json-async"], tmp_path, "floor")
    assert report["meta"]["reference"] == "floor" and report["failed"] == {}
    (row,) = report["results"]
    assert row["system"] == "django-json-async" and row["errors"] == 0
    assert row["rounds"][0]["floor_rps"] > 0 and row["rounds"][0]["rps"] > 0
    assert row["median"] == pytest.approx(row["rounds"][0]["rps"] / row["rounds"][0]["floor_rps"])

    # This tree against itself as the baseline: both servers run django-mcp.
    report, printed = _paired(["--only", "floor,django-json-async", "--baseline", "python"], tmp_path, "self")
    assert report["meta"]["reference"] == "baseline" and report["failed"] == {}
    assert [r["system"] for r in report["results"]] == ["django-json-async"]  # the floor is the same in both
    assert report["results"][0]["errors"] == 0 and report["results"][0]["median"] > 0
    assert f"baseline: django_mcp from {ROOT / 'python' / 'django_mcp'}" in printed
    assert "the same: this measures the method's own error" in printed


def test_paired_py_refuses_a_baseline_it_cannot_find():
    done = subprocess.run(
        [sys.executable, "bench/paired.py", "--baseline", "no-such-revision-or-dir"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "no-such-revision-or-dir: neither a directory nor a git revision" in done.stderr


def test_auth_py_pairs_every_credential_and_the_orm_with_drf(tmp_path):
    """bench/auth.py measures each authenticated pair (API token, session
    cookie, OAuth2) against the anonymous call and the ORM tools against DRF,
    every request answered without error."""
    if shutil.which("wrk") is None or shutil.which("taskset") is None:
        pytest.fail("wrk and taskset are needed: install Debian's wrk and util-linux (scripts/test.sh does)")
    out = tmp_path / "auth.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "python")}
    done = subprocess.run(
        [sys.executable, "bench/auth.py", "--rounds", "1", "--duration", "1", "--json", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads(out.read_text())
    assert report["failed"] == {}
    pairs = {(r["system"], r["reference"]) for r in report["results"]}
    assert pairs == {
        ("token (remembered 5 s)", "anonymous"),
        ("token (verified every call)", "anonymous"),
        ("session cookie + CSRF", "anonymous"),
        ("oauth2 (remembered 5 s)", "anonymous"),
        ("oauth2 (verified every call)", "anonymous"),
        ("token + async ORM count", "drf-apiview-count"),
        ("token + sync ORM count", "drf-apiview-count"),
    }
    for r in report["results"]:
        assert r["errors"] == 0 and r["rps"] > 0 and r["reference_rps"] > 0, r
        assert r["ratio"] == pytest.approx(r["rounds"][0]["rps"] / r["rounds"][0]["reference_rps"])
