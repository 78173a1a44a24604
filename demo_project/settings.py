"""Settings for the demo marketplace.

Everything is read through django-environ: an optional ``.env`` file beside ``manage.py`` and the
process environment. Out of the box the demo runs against the bundled sandbox, mounted at
``/sandbox/`` of this very server, on SQLite in a file.
"""

from __future__ import annotations

from pathlib import Path

import django
import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=True)
# The demo is meant for a developer's machine; a real deployment sets its own key.
SECRET_KEY = env.str("SECRET_KEY", default="demo-only-insecure-key-change-me-3f9c2b71a0d84e6f")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])

PORT = env.int("PORT", default=8000)
SITE_URL = env.str("SITE_URL", default=f"http://127.0.0.1:{PORT}")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "secu_marketplace",
    "secu_marketplace.sandbox",
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

# --- secu-marketplace -------------------------------------------------------------------------
# The sandbox's defaults are the provider guide's own client and contracts, so the demo works with
# no account. To use secuconnect's testing host instead, set SECUCONNECT_API_URL to
# https://connect-testing.secuconnect.com and put your own credentials and contracts in .env.
SECU_MARKETPLACE = {
    "API_URL": env.str("SECUCONNECT_API_URL", default=f"{SITE_URL}/sandbox"),
    "CLIENT_ID": env.str("SECUCONNECT_CLIENT_ID", default="00563697073442633035025909838580"),
    "CLIENT_SECRET": env.str(
        "SECUCONNECT_CLIENT_SECRET",
        default="3382456441636938321687549172178382320163695870914358804052148567",
    ),
    "CONTRACT_ID": env.str("SECUCONNECT_CONTRACT_ID", default="GCR_2MNKTWOFO6FPYI2DW7AM1LK21P1HJ2"),
    "PROVIDER_CONTRACT_ID": env.str(
        "SECUCONNECT_PROVIDER_CONTRACT_ID", default="GCR_QP49BFHYYKVAQBFWGE5VBBUUJEQ2P8"
    ),
    "CHECKOUT_TEMPLATE": env.str(
        "SECUCONNECT_CHECKOUT_TEMPLATE", default="COT_WD0DE66HN2XWJHW8JM88003YG0NEA2"
    ),
    "INTENT": env.str("SECUCONNECT_INTENT", default="order"),
    "AUTO_CAPTURE": env.bool("SECUCONNECT_AUTO_CAPTURE", default=True),
    "IS_DEMO": env.bool("SECUCONNECT_IS_DEMO", default=True),
    "SITE_URL": SITE_URL,
    # "Back to cart" on the payment page after the buyer aborted.
    "CART_URL": "shop:cart",
    "SHOP_URL": "shop:home",
}

SECU_SANDBOX = {
    # "background": pushes are sent by a thread of this process, retried with backoff.
    "PUSH_MODE": env.str("SECU_SANDBOX_PUSH_MODE", default="background"),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "secu_marketplace.redaction.RedactingFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact"]}},
    "loggers": {
        "secu_marketplace": {
            "handlers": ["console"],
            "level": env.str("LOG_LEVEL", default="INFO"),
        },
    },
}
