"""Test settings: the demo project, with the database from TEST_DATABASE_URL (PostgreSQL in CI)
or a SQLite file, and the sandbox's pushes sent only when a test asks for them."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import django
import environ

from demo_project.settings import *  # noqa: F403
from demo_project.settings import DATABASES

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
SECU_SANDBOX = {"PUSH_MODE": "manual", "PUSH_BACKOFF_BASE": 0.05, "PUSH_TIMEOUT": 5.0}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "secu_marketplace.redaction.RedactingFilter"}},
    "handlers": {"null": {"class": "logging.NullHandler"}},
    "loggers": {"secu_marketplace": {"handlers": ["null"], "level": "DEBUG", "propagate": True}},
}
