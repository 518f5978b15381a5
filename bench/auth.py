#!/usr/bin/env python3
"""What authentication and the ORM cost, each measured as a pair loaded at
once on one core (the method of paired.py):

- an API-token-authenticated no-op call against the anonymous one, with the
  verified token remembered (MCP_AUTH_CACHE_SECONDS = 5) and verified afresh
  on every call (0);
- an authenticated call of a tool doing one ORM query (async and sync)
  against a Django REST framework APIView doing the same query with DRF's own
  TokenAuthentication, served by the same Django project.

    python bench/auth.py [--rounds N] [--duration S] [--connections C] [--json out.json]
                         [--postgres postgresql://user@host:port/name]

The project is bench/apps/auth_bench on a SQLite database made for the run,
or on the empty PostgreSQL database that --postgres names.
Needs wrk, taskset, two CPUs, and djangorestframework for the DRF pairs
(they are skipped without it).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from load import require_wrk
from mcp_http import post, request_headers, tools_call
from paired import LOAD_CPU, SERVER_CPU, paired_load, per_request_us, pin
from server import APPS, Server, Skip, importable
from systems import System

BENCH = Path(__file__).resolve().parent
GET_LUA = str(BENCH / "get.lua")
PROJECT = dict(app="auth_bench.asgi:application", needs="django_mcp", path="/mcp/http")


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=3, help="paired loads per pair (default 3); the median is reported")
    p.add_argument("--duration", type=int, default=4, help="seconds per paired load (default 4)")
    p.add_argument("--connections", type=int, default=32, help="wrk connections per server (default 32)")
    p.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    p.add_argument("--python", default=sys.executable, help="interpreter that runs the servers")
    p.add_argument(
        "--postgres",
        metavar="URL",
        help="an empty PostgreSQL database (postgresql://user@host:port/name) instead of SQLite; "
        "the DRF and ORM pairs are then run twice, the second time with Django's connection pool",
    )
    return p.parse_args()


def prepare(python, directory, postgres=None):
    """A migrated SQLite database with one user and that user's credentials:
    an API token, a logged-in session (with its CSRF token), and where
    installed a DRF token and an OAuth2 access token. Returns (env, header
    lines per credential)."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(APPS), os.environ.get("PYTHONPATH")])),
        "DJANGO_SETTINGS_MODULE": "auth_bench.settings",
        "BENCH_DB": str(Path(directory) / "db.sqlite3"),
        **({"BENCH_POSTGRES": postgres} if postgres else {}),
    }
    subprocess.run([python, "-m", "django", "migrate", "-v0"], cwd=APPS, env=env, check=True)
    done = subprocess.run([python, "-c", CREDENTIALS], cwd=APPS, env=env, check=True, capture_output=True, text=True)
    return env, json.loads(done.stdout.strip().splitlines()[-1])


CREDENTIALS = """
import datetime, json, secrets
import django
django.setup()
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import User
from django.contrib.sessions.backends.db import SessionStore
from django.middleware.csrf import _get_new_csrf_string
from django.utils import timezone
from django_mcp.tokens.models import APIToken

user = User.objects.create_user("bench", password="bench")
session = SessionStore()
session.update({SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
                HASH_SESSION_KEY: user.get_session_auth_hash()})
session.create()
csrf = _get_new_csrf_string()
out = {
    "token": ["Authorization: Bearer " + APIToken.objects.issue(user, "bench")[1]],
    "session": [f"Cookie: sessionid={session.session_key}; csrftoken={csrf}", "X-CSRFToken: " + csrf],
}
if settings.HAS_DRF:
    from rest_framework.authtoken.models import Token
    out["drf"] = ["Authorization: Token " + Token.objects.create(user=user).key]
if settings.HAS_OAUTH:
    from oauth2_provider.models import AccessToken, Application
    app = Application.objects.create(name="bench", client_type="public", authorization_grant_type="authorization-code",
                                     redirect_uris="http://127.0.0.1/callback", user=user)
    token = secrets.token_urlsafe(32)
    AccessToken.objects.create(user=user, application=app, token=token, scope="read",
                               expires=timezone.now() + datetime.timedelta(hours=1))
    out["oauth2"] = ["Authorization: Bearer " + token]
print(json.dumps(out))
"""


def database_env(env, pool=False):
    """What a server needs to find the run's database."""
    keep = {k: env[k] for k in ("BENCH_DB", "BENCH_POSTGRES") if k in env}
    return {**keep, "BENCH_POSTGRES_POOL": "1" if pool else "0"}


def mcp_system(name, env, tool, headers=(), cache="5", pool=False):
    return System(
        name,
        **PROJECT,
        tool=tool,
        env={**database_env(env, pool), "BENCH_AUTH_CACHE": cache},
        script_args=(tool, "2025-06-18", *headers),
    )


def drf_system(env, headers, pool=False):
    return System(
        "drf-apiview-count" + (" (pool)" if pool else ""),
        app=PROJECT["app"],
        needs="rest_framework",
        path="/drf/count",
        env=database_env(env, pool),
        script=GET_LUA,
        script_args=tuple(headers),
    )


def header_dict(lines):
    return dict(line.split(": ", 1) for line in lines)


def check(server):
    """One request as the load sends it; its answer must be a success."""
    system = server.system
    if system.script == GET_LUA:
        import http.client

        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        conn.request("GET", system.path, headers=header_dict(system.script_args))
        response = conn.getresponse()
        body = response.read()
        conn.close()
        if response.status != 200 or b'"count"' not in body:
            raise RuntimeError(f"{system.name}: GET {system.path} answered {response.status} {body[:200]!r}")
        return
    headers = {**request_headers(system.tool), **header_dict(system.script_args[2:])}
    status, _, reply = post(server.url, tools_call(system.tool), headers=headers)
    if status != 200 or not reply or "result" not in reply or reply["result"].get("isError"):
        raise RuntimeError(f"{system.name}: tools/call answered {status} {reply}")


def pair(python, reference, system, args):
    with Server(python, reference) as a, Server(python, system) as b:
        for server in (a, b):
            check(server)
            pin(server.proc.pid, SERVER_CPU)
        paired_load([a, b], 2, args.connections)  # warm-up, discarded
        rounds = []
        for n in range(1, args.rounds + 1):
            ref, sys_ = paired_load([a, b], args.duration, args.connections)
            rounds.append(
                {
                    "ratio": sys_["rps"] / ref["rps"],
                    "rps": sys_["rps"],
                    "reference_rps": ref["rps"],
                    "us_cpu": per_request_us(sys_, "cpu_s"),
                    "reference_us_cpu": per_request_us(ref, "cpu_s"),
                    "p50_ms": sys_["p50_ms"],
                    "p99_ms": sys_["p99_ms"],
                    "errors": ref["errors"] + sys_["errors"],
                }
            )
            r = rounds[-1]
            print(
                f"   round {n}: {reference.name} {ref['rps']:7,.0f} req/s, {system.name} {sys_['rps']:7,.0f} req/s, "
                f"ratio {r['ratio']:.3f}, p99/p50 {r['p99_ms'] / max(r['p50_ms'], 1e-9):.2f}"
                + (f", errors {r['errors']}" if r["errors"] else ""),
                flush=True,
            )
        return rounds


def main():
    args = parse_args()
    require_wrk()
    if importable(args.python, "uvicorn"):
        sys.exit(f"{args.python} has no uvicorn: pip install -r bench/requirements.txt")
    with tempfile.TemporaryDirectory(prefix="django-mcp-auth-bench-") as directory:
        env, credentials = prepare(args.python, directory, args.postgres)
        token = credentials["token"]
        anonymous = mcp_system("anonymous", env, "add")
        pairs = [
            (anonymous, mcp_system("token (remembered 5 s)", env, "add", token)),
            (anonymous, mcp_system("token (verified every call)", env, "add", token, cache="0")),
            (anonymous, mcp_system("session cookie + CSRF", env, "add", credentials["session"])),
        ]
        if "oauth2" in credentials:
            pairs.append((anonymous, mcp_system("oauth2 (remembered 5 s)", env, "add", credentials["oauth2"])))
            pairs.append(
                (anonymous, mcp_system("oauth2 (verified every call)", env, "add", credentials["oauth2"], cache="0"))
            )
        if "drf" in credentials:
            for pool in (False, True) if args.postgres else (False,):
                drf, suffix = drf_system(env, credentials["drf"], pool), " (pool)" if pool else ""
                pairs += [
                    (drf, mcp_system("token + async ORM count" + suffix, env, "count_async", token, pool=pool)),
                    (drf, mcp_system("token + sync ORM count" + suffix, env, "count_sync", token, pool=pool)),
                ]
        else:
            print("djangorestframework is not installed: the pairs with DRF are skipped", flush=True)
        print(
            f"{args.rounds} paired loads of {args.duration} s per pair at {args.connections} connections; "
            f"servers on CPU {SERVER_CPU}, wrk on CPU {LOAD_CPU}",
            flush=True,
        )
        rows, failed = [], {}
        for reference, system in pairs:
            print(f"== {reference.name} + {system.name}", flush=True)
            try:
                rounds = pair(args.python, reference, system, args)
            except (Skip, RuntimeError, OSError, subprocess.CalledProcessError) as e:
                failed[system.name] = str(e)
                print(f"   not measured: {e}", flush=True)
                continue
            rows.append(summary(system.name, rounds, reference=reference.name))
    w = max([28] + [len(r["system"]) for r in rows])
    print(f"\n{'system':<{w}} {'paired with':<18} {'ratio':>6} {'x CPU':>6} {'p99/p50':>8} {'errors':>6}")
    for r in rows:
        print(
            f"{r['system']:<{w}} {r['reference']:<18} {r['ratio']:>6.2f} {r['cpu_ratio']:>6.2f} "
            f"{r['p99_over_p50']:>8.2f} {r['errors']:>6}"
        )
    print("ratio: median of (system req/s / its pair's req/s), both loaded at once on one core")
    print("x CPU: median of (the pair's CPU time per request / the system's)")
    if args.json:
        write_json(args, rows, failed)
    return 1 if failed else 0


def summary(name, rounds, **extra):
    """One row of results from a pair's rounds: the medians of the
    throughput ratio, the CPU-time ratio and the latency spread."""
    return {
        "system": name,
        **extra,
        "ratio": statistics.median(r["ratio"] for r in rounds),
        "rps": statistics.median(r["rps"] for r in rounds),
        "reference_rps": statistics.median(r["reference_rps"] for r in rounds),
        "cpu_ratio": statistics.median(r["reference_us_cpu"] / r["us_cpu"] for r in rounds),
        "p99_over_p50": statistics.median(r["p99_ms"] / max(r["p50_ms"], 1e-9) for r in rounds),
        "errors": sum(r["errors"] for r in rounds),
        "rounds": rounds,
    }


def write_json(args, rows, failed):
    """The rows (``summary``) and what could not be measured, with the run's date and settings, to ``args.json``."""
    meta = {"date": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "seconds": args.duration, "rounds": args.rounds}
    with open(args.json, "w") as f:
        json.dump({"meta": meta, "results": rows, "failed": failed}, f, indent=2)


if __name__ == "__main__":
    sys.exit(main())
