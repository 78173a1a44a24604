"""Settings for the demo marketplace.

Everything is read through django-environ: an optional ``.env`` file beside ``manage.py`` and the
process environment. Out of the box the demo runs against the bundled sandbox, mounted at
``/sandbox/`` of this very server, on SQLite in a file.

One switch, ``SECUCONNECT_ENVIRONMENT``, chooses the provider: ``sandbox`` (the default; the
emulator is installed and mounted only then), ``testing`` or ``production`` (with the credentials
and contract from ``SECUCONNECT_CLIENT_ID``, ``SECUCONNECT_CLIENT_SECRET`` and
``SECUCONNECT_CONTRACT_ID``). With ``DEBUG`` off the demo refuses to start on the sandbox unless
``SECU_DEMO_DEPLOYMENT=1`` says it is a deliberate demo (docs: Going live).
"""

from __future__ import annotations

from pathlib import Path

import django
import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=True)
# A developer's machine may use this demo key; anything served with DEBUG off needs its own, or
# every signed return and push link could be forged by anyone who read this file.
if not DEBUG and not env.str("SECRET_KEY", default=""):
    raise ImproperlyConfigured("Set SECRET_KEY in the environment: DEBUG is off.")
SECRET_KEY = env.str("SECRET_KEY", default="demo-only-insecure-key-change-me-3f9c2b71a0d84e6f")
# Keys this deployment signed with before the current one: links signed with them still work
# (rotate SECRET_KEY without breaking the payments in flight; docs: Security).
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])

PORT = env.int("PORT", default=8000)
SITE_URL = env.str("SITE_URL", default=f"http://127.0.0.1:{PORT}")
# Which secuconnect this shop talks to (secu_marketplace.conf.Environment).
SECUCONNECT_ENVIRONMENT = env.str("SECUCONNECT_ENVIRONMENT", default="sandbox")
ON_SANDBOX = SECUCONNECT_ENVIRONMENT == "sandbox"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "secu_marketplace",
    # The bundled emulator of secuconnect: only while the shop talks to it.
    *(["secu_marketplace.sandbox"] if ON_SANDBOX else []),
    "demo_project.shop",
    # The headless API at /api/ (secu_marketplace.api): its interactive page's template and
    # Swagger UI's static files, served from the installed packages.
    "drf_spectacular",
    "drf_spectacular_sidecar",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "demo_project.urls"
WSGI_APPLICATION = "demo_project.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "demo_project.shop.context_processors.cart",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'demo.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several threads (the dev server, the sandbox's push sender) write to the same file: take the
    # write lock at BEGIN so no transaction fails halfway with "database is locked", and use WAL so
    # readers never wait for writers.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # Keep a thread's connection for its next request: opening one (and its PRAGMAs) costs more
    # than a sandbox GET. The threaded server closes it when the client's connection ends.
    DATABASES["default"].setdefault("CONN_MAX_AGE", None)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://secu-marketplace-demo")}

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("de", "Deutsch")]
LOCALE_PATHS = [BASE_DIR / "demo_project" / "locale"]
TIME_ZONE = "Europe/Berlin"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "static-collected"

LOGIN_URL = "admin:login"

# Django 6.1 replaced EMAIL_BACKEND (and the other EMAIL_* connection settings) with MAILERS and
# refuses both at once; set whichever this Django reads.
_email_backend = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
if django.VERSION >= (6, 1):
    MAILERS = {"default": {"BACKEND": _email_backend}}
else:
    EMAIL_BACKEND = _email_backend
DEFAULT_FROM_EMAIL = "Mustermarktplatz <shop@mustermarktplatz.example>"
# Where the demo's receivers tell staff of chargebacks and returned debits (shop/receivers.py).
SHOP_STAFF_EMAIL = env.str("SHOP_STAFF_EMAIL", default="staff@mustermarktplatz.example")

# --- secu-marketplace -------------------------------------------------------------------------
# On the sandbox, empty credentials mean the provider guide's public ones, which the sandbox knows;
# on "testing" or "production" put your own in .env (never in this file).
SECU_MARKETPLACE = {
    "ENVIRONMENT": SECUCONNECT_ENVIRONMENT,
    # Only to reach a sandbox elsewhere (the tests' live server); production refuses any other.
    "API_URL": env.str("SECUCONNECT_API_URL", default="") or None,
    "CLIENT_ID": env.str("SECUCONNECT_CLIENT_ID", default=""),
    "CLIENT_SECRET": env.str("SECUCONNECT_CLIENT_SECRET", default=""),
    "CONTRACT_ID": env.str("SECUCONNECT_CONTRACT_ID", default=""),
    "PROVIDER_CONTRACT_ID": env.str(
        "SECUCONNECT_PROVIDER_CONTRACT_ID",
        default="GCR_QP49BFHYYKVAQBFWGE5VBBUUJEQ2P8" if ON_SANDBOX else "",
    )
    or None,
    "CHECKOUT_TEMPLATE": env.str(
        "SECUCONNECT_CHECKOUT_TEMPLATE", default="COT_WD0DE66HN2XWJHW8JM88003YG0NEA2"
    ),
    "INTENT": env.str("SECUCONNECT_INTENT", default="order"),
    "AUTO_CAPTURE": env.bool("SECUCONNECT_AUTO_CAPTURE", default=True),
    "IS_DEMO": env.bool("SECUCONNECT_IS_DEMO", default=SECUCONNECT_ENVIRONMENT != "production"),
    "SITE_URL": SITE_URL,
    # A deliberate public demo on the sandbox with DEBUG off (never production).
    "DEMO_DEPLOYMENT": env.bool("SECU_DEMO_DEPLOYMENT", default=False),
    # "Back to cart" on the payment page after the buyer aborted.
    "CART_URL": "shop:cart",
    "SHOP_URL": "shop:home",
    # Erasing a buyer also drops the link from their session to the order (docs/books.md).
    "ERASURE_HOOK": "demo_project.shop.erasure.erase_sessions",
}

SECU_SANDBOX = {
    # "background": pushes are sent by a thread of this process, retried with backoff.
    "PUSH_MODE": env.str("SECU_SANDBOX_PUSH_MODE", default="background"),
    # The control API (faults, clock, pushes) answers only in DEBUG, or with this token in the
    # X-Sandbox-Control-Token header.
    "CONTROL_TOKEN": env.str("SECU_SANDBOX_CONTROL_TOKEN", default="") or None,
}

# Every handler masks secrets, buyers' data and the signed tokens in return and push URLs:
# Django's own loggers too ("django.request" logs the path of a failed request, "django.server"
# every request line, and both would carry a push URL's token; mail to the admins as well).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact": {"()": "secu_marketplace.redaction.RedactingFilter"},
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["redact"]},
        "mail_admins": {
            "level": "ERROR",
            "class": "django.utils.log.AdminEmailHandler",
            "filters": ["require_debug_false", "redact"],
        },
    },
    "loggers": {
        "django": {"handlers": ["console", "mail_admins"], "level": "INFO"},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "secu_marketplace": {
            "handlers": ["console"],
            "level": env.str("LOG_LEVEL", default="INFO"),
            "propagate": False,
        },
    },
}
