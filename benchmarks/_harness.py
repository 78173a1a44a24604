"""Shared plumbing for the benchmark scripts (not a benchmark itself: ``make benchmarks`` skips
files whose name starts with an underscore).

Importing this module configures Django with ``tests.settings``. ``environment()`` then gives a
script everything the test suite's ``secu``/``flow`` fixtures give a test:

- a throwaway database: a SQLite file in a temporary directory, or, when
  ``BENCH_DATABASE_URL=postgres://...`` is set, a ``secu_bench_<pid>`` database on that server;
  created and migrated here, dropped at the end;
- Django's threaded live server on 127.0.0.1 serving the demo project's URLs (``/sandbox/``,
  ``/payments/``, ``/admin/``), with Nagle's algorithm switched off as in tests/conftest.py;
- ``SECU_MARKETPLACE`` pointed at that sandbox, pushes in "manual" mode, the sandbox's default
  world created and the cache cleared;
- a small driver that plays the buyer at the sandbox (authorises payments) with its own session
  and token, so its calls never mix with the app's.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import django
import requests
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
from django.db import connection, connections
from django.test.testcases import LiveServerThread, _StaticFilesHandler
from django.test.utils import (
    CaptureQueriesContext,
    override_settings,
    setup_test_environment,
    teardown_test_environment,
)

ROOT = Path(__file__).resolve().parent.parent


def _bootstrap() -> None:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    # tests.settings reads TEST_DATABASE_URL; the benchmarks read BENCH_DATABASE_URL only, so a
    # TEST_DATABASE_URL left in the shell never sends them to a server by surprise.
    url = os.environ.get("BENCH_DATABASE_URL", "").strip()
    if url:
        os.environ["TEST_DATABASE_URL"] = url
    else:
        os.environ.pop("TEST_DATABASE_URL", None)
    django.setup()


_bootstrap()


# --- the database -------------------------------------------------------------------------------


@contextmanager
def database() -> Iterator[str]:
    """Create and migrate a throwaway database for ``default``; yields a one-line description."""
    settings_dict = connection.settings_dict
    workdir = None
    if connection.vendor == "sqlite":
        workdir = tempfile.TemporaryDirectory(prefix="secu-bench-")
        settings_dict.setdefault("TEST", {})["NAME"] = str(Path(workdir.name) / "bench.sqlite3")
        described = "SQLite, temporary file"
    else:
        # Never the test suite's test_<name>: a benchmark may run beside `make test`.
        settings_dict.setdefault("TEST", {})["NAME"] = f"secu_bench_{os.getpid()}"
        described = f"{connection.display_name}, throwaway database on {settings_dict['HOST']}"
    old_name = settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        yield f"{described} ({connection.vendor} {_server_version()})"
    finally:
        connections.close_all()
        connection.creation.destroy_test_db(old_name, verbosity=0)
        if workdir is not None:
            workdir.cleanup()


def _server_version() -> str:
    if connection.vendor == "sqlite":
        import sqlite3

        return sqlite3.sqlite_version
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return str(cursor.fetchone()[0]).split()[0]


# --- the live server ----------------------------------------------------------------------------


class LiveServer:
    """Django's threaded live server; counts the TCP connections it accepts."""

    def __init__(self) -> None:
        # The development server writes headers and body in two sends; with Nagle on, every
        # request on a kept-alive connection waits ~40 ms for a delayed ACK (tests/conftest.py).
        WSGIRequestHandler.disable_nagle_algorithm = True
        # 127.0.0.1, not "localhost": a new connection never tries ::1 first.
        self.thread = LiveServerThread("127.0.0.1", _StaticFilesHandler)
        # Django's server queues 10 pending connections; a burst of 32 would see resets, a
        # limit of the test server, not of the code under test.
        self.thread.server_class = type(
            "BenchServer", (ThreadedWSGIServer,), {"request_queue_size": 128}
        )
        self.thread.daemon = True
        self._accepted = 0
        self._lock = threading.Lock()

    def start(self) -> str:
        self.thread.start()
        self.thread.is_ready.wait()
        if self.thread.error:
            raise self.thread.error
        httpd = self.thread.httpd
        accept = httpd.process_request

        def counting(request: Any, client_address: Any) -> None:
            with self._lock:
                self._accepted += 1
            accept(request, client_address)

        httpd.process_request = counting  # type: ignore[method-assign]
        return f"http://{self.thread.host}:{self.thread.port}"

    @property
    def accepted(self) -> int:
        with self._lock:
            return self._accepted

    def stop(self) -> None:
        self.thread.terminate()


# --- the buyer's side of the sandbox --------------------------------------------------------------


class SandboxDriver:
    """Plays secuconnect's buyer-facing side: authorises a Smart Transaction like the hosted
    checkout page would. Its own session and token: none of its calls reuse the app's."""

    def __init__(self, base_url: str) -> None:
        self.base_url = f"{base_url}/sandbox"
        self.session = requests.Session()
        self.token = ""

    def authenticate(self) -> str:
        from secu_marketplace.sandbox import world

        answer = self.session.post(
            f"{self.base_url}/oauth/token",
            json={
                "grant_type": "client_credentials",
                "client_id": world.GUIDE_CLIENT_ID,
                "client_secret": world.GUIDE_CLIENT_SECRET,
            },
            timeout=15,
        )
        answer.raise_for_status()
        self.token = str(answer.json()["access_token"])
        return self.token

    def prepare(self, stx_id: str, method: str = "creditcard", outcome: str = "success") -> None:
        answer = self.session.post(
            f"{self.base_url}/api/v2/Smart/Transactions/{stx_id}/prepare/{method}",
            headers={
                "Authorization": f"Bearer {self.token or self.authenticate()}",
                "X-Sandbox-Outcome": outcome,
            },
            timeout=15,
        )
        if answer.status_code != 200:
            raise RuntimeError(f"prepare {stx_id}: HTTP {answer.status_code}: {answer.text[:300]}")

    def close(self) -> None:
        self.session.close()


# --- the environment ----------------------------------------------------------------------------


@dataclass
class Environment:
    url: str
    database: str
    server: LiveServer
    driver: SandboxDriver
    notes: list[str] = field(default_factory=list)


@contextmanager
def environment() -> Iterator[Environment]:
    """Database, live server, settings, sandbox world; everything torn down on exit."""
    setup_test_environment(debug=False)
    try:
        with database() as described:
            server = LiveServer()
            url = server.start()
            driver = SandboxDriver(url)
            try:
                with override_settings(
                    SECU_MARKETPLACE={
                        **_current("SECU_MARKETPLACE"),
                        "API_URL": f"{url}/sandbox",
                        "SITE_URL": url,
                    },
                    SECU_SANDBOX={**_current("SECU_SANDBOX"), "PUSH_MODE": "manual"},
                ):
                    from django.core.cache import cache

                    from secu_marketplace.sandbox import world

                    world.ensure_defaults()
                    cache.clear()
                    yield Environment(url=url, database=described, server=server, driver=driver)
            finally:
                driver.close()
                _close_app_sessions()
                server.stop()
                connections.close_all()
    finally:
        teardown_test_environment()


def _current(name: str) -> dict[str, Any]:
    from django.conf import settings

    return dict(getattr(settings, name, None) or {})


def _close_app_sessions() -> None:
    from secu_marketplace.provider import client

    for session in list(client._sessions.values()):
        session.close()


# --- measuring ----------------------------------------------------------------------------------


class Timed:
    """``with Timed() as t: ...`` then ``t.ms``."""

    ms: float = 0.0

    def __enter__(self) -> Timed:
        self._started = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.ms = (time.perf_counter() - self._started) * 1000


@contextmanager
def queries() -> Iterator[CaptureQueriesContext]:
    """The queries this thread's ``default`` connection runs inside the block."""
    with CaptureQueriesContext(connection) as captured:
        yield captured


def percentile(values: Sequence[float], p: float) -> float:
    """Linear-interpolated percentile (``p`` in 0..100) of a non-empty sequence."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def spread(values: Sequence[int | float]) -> str:
    """``3`` when every value is 3, ``3-5`` otherwise."""
    low, high = min(values), max(values)
    fmt = "{:g}" if any(isinstance(v, float) for v in values) else "{}"
    return fmt.format(low) if low == high else f"{fmt.format(low)}-{fmt.format(high)}"


# --- printing -----------------------------------------------------------------------------------


def title(name: str, env: Environment) -> None:
    print(name)
    print(
        f"database: {env.database}; Django {django.get_version()}, Python "
        f"{platform.python_version()}, {os.cpu_count()} CPUs; live server {env.url}"
    )


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        # The first column is text (left-aligned), the figures are right-aligned.
        figures = zip(row[1:], widths[1:], strict=True)
        parts = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in figures]
        return "  ".join(parts).rstrip()

    print()
    print(line(cells[0]))
    print("  ".join("-" * w for w in widths))
    for row in cells[1:]:
        print(line(row))
    print()


def target(description: str, met: bool, detail: str = "") -> bool:
    print(
        f"target: {description} -> {'met' if met else 'NOT met'}{f' ({detail})' if detail else ''}"
    )
    return met


def run(main: Callable[[Environment], object]) -> None:
    """Run ``main`` in a fresh environment and print how long the whole script took."""
    started = time.perf_counter()
    with environment() as env:
        main(env)
    print(f"(finished in {time.perf_counter() - started:.1f} s, setup and teardown included)")
