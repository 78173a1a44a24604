"""Pointing the app at the bundled sandbox for a test run, and saying clearly what is missing.

``sandbox_settings(base_url)`` is what the pytest fixture and the ``TestCase`` mixin both apply:
``SECU_MARKETPLACE`` aimed at the sandbox served at ``base_url`` with the sandbox's own
credentials and marketplace contract, ``SECU_SANDBOX`` with pushes held until the test delivers
them and a control token, and a cache of the test's own for the OAuth token and the suppliers'
contracts, so no test sees another's token.
"""

from __future__ import annotations

import secrets
import uuid
from functools import cache
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import NoReverseMatch, reverse

INSTALL_HINT = """\
The secu-marketplace test kit plays the buyer and secuconnect against the bundled sandbox, served
by your project on the test's live server. {problem} Add to settings.py:

    INSTALLED_APPS += ["secu_marketplace", "secu_marketplace.sandbox"]

and to urls.py:

    path("payments/", include("secu_marketplace.urls")),
    path("sandbox/", include("secu_marketplace.sandbox.urls")),

(in a settings module for tests only, if the sandbox must stay out of production:
docs/testing.md)."""


class SandboxNotInstalled(ImproperlyConfigured):
    """The sandbox (or the app) is not in INSTALLED_APPS, or not mounted in the URLs."""


def check_installation() -> None:
    """Raise ``SandboxNotInstalled`` saying what to add when the app or its sandbox is missing
    from ``INSTALLED_APPS`` or not mounted in the project's URLs."""
    for app in ("secu_marketplace", "secu_marketplace.sandbox"):
        if not apps.is_installed(app):
            problem = f"{app!r} is not in INSTALLED_APPS."
            raise SandboxNotInstalled(INSTALL_HINT.format(problem=problem))
    for name, module in (
        ("secu_marketplace:status", "secu_marketplace.urls"),
        ("secu_sandbox:home", "secu_marketplace.sandbox.urls"),
    ):
        try:
            reverse(name, args=["probe"] if name == "secu_marketplace:status" else None)
        except NoReverseMatch:
            problem = f"{module!r} is not included in your URLs (ROOT_URLCONF)."
            raise SandboxNotInstalled(INSTALL_HINT.format(problem=problem)) from None


def sandbox_mount() -> str:
    """Where the project mounts the sandbox, e.g. ``/sandbox`` (no trailing slash)."""
    return reverse("secu_sandbox:home").rstrip("/")


@cache
def _generated_token() -> str:
    return secrets.token_urlsafe(24)


def control_token() -> str:
    """The sandbox's control token for this test run: the project's own
    ``SECU_SANDBOX["CONTROL_TOKEN"]`` if it sets one, else one made up for this process."""
    own = (getattr(settings, "SECU_SANDBOX", None) or {}).get("CONTROL_TOKEN")
    return str(own) if own else _generated_token()


def sandbox_settings(base_url: str) -> dict[str, Any]:
    """The settings that point the app at the sandbox served at ``base_url`` (the live server),
    to apply with ``override_settings(**sandbox_settings(url))`` or pytest-django's ``settings``.

    Keeps the project's other ``SECU_MARKETPLACE`` keys (cart URL, intent, methods...); the
    credentials are the sandbox's default client and marketplace contract (the provider
    guide's, ``secu_marketplace.sandbox.world``), which it creates on first use."""
    from secu_marketplace.sandbox import world  # after check_installation: it has models

    base_url = base_url.rstrip("/")
    own = dict(getattr(settings, "SECU_MARKETPLACE", None) or {})
    alias = f"secu-marketplace-test-{uuid.uuid4().hex[:12]}"
    marketplace = {
        **own,
        # The sandbox, whatever the project's settings say (a test never talks to secuconnect).
        "ENVIRONMENT": "sandbox",
        "API_URL": base_url + sandbox_mount(),
        "SITE_URL": base_url,
        "CLIENT_ID": world.GUIDE_CLIENT_ID,
        "CLIENT_SECRET": world.GUIDE_CLIENT_SECRET,
        "CONTRACT_ID": world.GUIDE_CONTRACT,
        "IS_DEMO": True,
        "CACHE_ALIAS": alias,
    }
    if own.get("PROVIDER_CONTRACT_ID"):
        marketplace["PROVIDER_CONTRACT_ID"] = (
            world.GUIDE_PROVIDER_CONTRACT
        )  # the one the sandbox knows
    sandbox = {
        **(getattr(settings, "SECU_SANDBOX", None) or {}),
        # Pushes wait until the test delivers them, instead of racing it from a thread.
        "PUSH_MODE": "manual",
        "CONTROL_TOKEN": control_token(),
    }
    caches = {
        **settings.CACHES,
        alias: {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": alias},
    }
    return {"SECU_MARKETPLACE": marketplace, "SECU_SANDBOX": sandbox, "CACHES": caches}
