"""Fixtures for every suite. PostgreSQL-only tests are marked ``postgres``; browser ones ``e2e``."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.servers.basehttp import WSGIRequestHandler
from django.db import connection

from secu_marketplace.sandbox import world

from .helpers import SandboxApi

# Django's development server writes headers and body in two sends; with Nagle's algorithm on,
# every request on a kept-alive connection then stalls ~40 ms waiting for a delayed ACK
# (reliability.md §3.1). The live server is that server: switch Nagle off for it.
WSGIRequestHandler.disable_nagle_algorithm = True


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    on_pg = "TEST_DATABASE_URL" in os.environ and os.environ["TEST_DATABASE_URL"].startswith(
        "postgres"
    )
    require_browser = os.environ.get("SECU_REQUIRE_BROWSER") == "1"
    has_browser = bool(os.environ.get("CHROMIUM_PATH") or shutil.which("chromium"))
    # make test-scaleout passes the Redis that .ci/run starts, and fails without one when
    # SECU_REQUIRE_REDIS=1 (CI).
    has_redis = bool(os.environ.get("SECU_TEST_REDIS_URL"))
    deployed = os.environ.get("SECU_TEST_DEPLOYMENT") == "1"
    for item in items:
        # Against the gunicorn deployment the sandbox runs in other processes: a test that
        # changes its settings in this one would test nothing there.
        if "in_process" in item.keywords and deployed:
            item.add_marker(
                pytest.mark.skip(reason="changes the sandbox's settings in this process")
            )
        # The Makefile runs the suite a second time on PostgreSQL when one is available, and CI
        # (SECU_REQUIRE_POSTGRES=1) refuses to finish without that run.
        if "postgres" in item.keywords and not on_pg:
            item.add_marker(
                pytest.mark.skip(reason="needs PostgreSQL: runs in the PostgreSQL pass")
            )
        if "redis" in item.keywords and not has_redis:
            item.add_marker(pytest.mark.skip(reason="needs Redis: set SECU_TEST_REDIS_URL"))
        if "e2e" in item.keywords and not has_browser and not require_browser:
            item.add_marker(pytest.mark.skip(reason="needs Chromium (Debian's chromium package)"))


@pytest.fixture
def on_postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture
def sandbox_world(db: None) -> world.World:
    return world.ensure_defaults()


@pytest.fixture
def api(sandbox_world: world.World) -> SandboxApi:
    """The sandbox through Django's test client: fast, same thread, same transaction."""
    return SandboxApi()


@pytest.fixture
def live_api(live_server: object, transactional_db: None) -> Iterator[SandboxApi]:
    """The sandbox over real HTTP, on pytest-django's live server."""
    world.ensure_defaults()
    client = SandboxApi(str(live_server.url))  # type: ignore[attr-defined]
    yield client
    client.session.close()  # type: ignore[union-attr]


def _database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST']}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture(scope="session")
def deployment(django_db_setup: None, django_db_blocker: Any) -> Iterator[Any]:
    """Two gunicorn servers on the test database and Redis (tests/deployment.py); the flow
    fixtures use them instead of the live server when SECU_TEST_DEPLOYMENT=1."""
    from .deployment import start

    if connection.vendor != "postgresql" or not os.environ.get("SECU_TEST_CACHE_URL"):
        pytest.fail(
            "SECU_TEST_DEPLOYMENT=1 needs TEST_DATABASE_URL=postgres://... and SECU_TEST_CACHE_URL"
        )
    with django_db_blocker.unblock():
        url = _database_url()
    running = start(url, os.environ["SECU_TEST_CACHE_URL"])
    yield running
    running.stop()


@pytest.fixture
def secu(settings: object, request: pytest.FixtureRequest, transactional_db: None) -> str:
    """Point the app at the sandbox on the live server (or, with SECU_TEST_DEPLOYMENT=1, at the
    gunicorn deployment); returns the URL the app is served on."""
    if os.environ.get("SECU_TEST_DEPLOYMENT") == "1":
        running = request.getfixturevalue("deployment")
        url, api = running.app_url, running.api_url
    else:
        url = api = str(request.getfixturevalue("live_server").url)
    settings.SECU_MARKETPLACE = {  # type: ignore[attr-defined]
        **settings.SECU_MARKETPLACE,  # type: ignore[attr-defined]
        "API_URL": f"{api}/sandbox",
        "SITE_URL": url,
        "READ_TIMEOUT": 5.0,
        "RETRY_BACKOFF": 0.01,
    }
    world.ensure_defaults()
    from django.core.cache import cache

    cache.clear()
    return url
