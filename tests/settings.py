"""Test settings: the demo project, with the database from TEST_DATABASE_URL (PostgreSQL in CI)
or a SQLite file, and the sandbox's pushes sent only when a test asks for them."""

from __future__ import annotations

import os
import tempfile
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import django
import environ

from demo_project.settings import *  # noqa: F403
from demo_project.settings import DATABASES, INSTALLED_APPS, SECU_MARKETPLACE

_url = os.environ.get("TEST_DATABASE_URL")
if _url:
    DATABASES = {"default": environ.Env.db_url_config(_url)}
else:
    # A file, not SQLite's shared in-memory database: the live server's threads and the test
    # each get their own connection, as in the demo. IMMEDIATE + WAL come from demo settings.
    # One file per test process, so parallel runs (and xdist workers) never share it.
    DATABASES["default"]["TEST"] = {
        "NAME": str(Path(tempfile.gettempdir()) / f"secu-marketplace-test-{os.getpid()}.sqlite3")
    }

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Django's test runner switches the mail backend to locmem itself; saying so keeps it explicit.
# Django 6.1 reads MAILERS (EMAIL_BACKEND is deprecated there), older versions EMAIL_BACKEND.
if django.VERSION >= (6, 1):
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
else:
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tests"}
}
# The scaled-out deployment (tests/deployment.py, make test-scaleout): every process, the tests'
# own included, shares the OAuth token through Redis.
if os.environ.get("SECU_TEST_CACHE_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["SECU_TEST_CACHE_URL"],
        }
    }
# The control API answers tests (and their worker processes) that send this token.
SANDBOX_CONTROL_TOKEN = "tests-control-token"
SECU_SANDBOX = {
    "PUSH_MODE": "manual",
    "PUSH_BACKOFF_BASE": 0.05,
    "PUSH_TIMEOUT": 5.0,
    "CONTROL_TOKEN": SANDBOX_CONTROL_TOKEN,
}
# Tests are a deliberate demo: the sandbox runs with DEBUG off (pytest-django turns it off; the
# gunicorn deployment runs without it). Pushes for one attempt are read at most every 50 ms, so
# tests that deliver several pushes in a row stay quick; tests of the coalescing set their own.
SECU_MARKETPLACE = {
    **SECU_MARKETPLACE,
    "DEMO_DEPLOYMENT": True,
    "PUSH_READ_INTERVAL": 0.05,
}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "secu_marketplace.redaction.RedactingFilter"}},
    "handlers": {"null": {"class": "logging.NullHandler"}},
    "loggers": {"secu_marketplace": {"handlers": ["null"], "level": "DEBUG", "propagate": True}},
}

# The task backends tests/tasks/ drive: the database backend's table exists in every test
# database; the worker processes those tests start (db_worker, rqworker) pick their backend by
# SECU_TEST_TASKS, their database by TEST_DATABASE_URL and the sandbox by SECUCONNECT_API_URL.
if find_spec("django_tasks_db"):
    INSTALLED_APPS = [*INSTALLED_APPS, "django_tasks_db"]
_tasks = os.environ.get("SECU_TEST_TASKS", "")
TASKS: dict[str, dict[str, Any]]
if _tasks == "db":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
elif _tasks == "rq":
    INSTALLED_APPS = [*INSTALLED_APPS, "django_rq"]
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    RQ_QUEUES = {"default": {"URL": os.environ["SECU_TEST_REDIS_URL"]}}
if _tasks:
    SECU_MARKETPLACE = {
        **SECU_MARKETPLACE,
        "BACKGROUND_TASKS": True,
        "TASK_RETRY_DELAY": 0.2,
        # One failed call is one failed task, so a test can arm a fault for exactly one.
        "GET_RETRIES": 0,
    }
