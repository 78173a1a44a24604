"""Going live safely: the settings that make a deployment unsafe, refused before it takes money.

A deployment is *live* when ``ENVIRONMENT`` is ``"production"`` or ``DEBUG`` is off. Live, these
are errors (``problems()``):

- ``E013`` the bundled sandbox is installed or its URLs are mounted: anyone could "pay" with the
  emulator's button, read its control API or the checkout pages of other buyers;
- ``E014`` ``ENVIRONMENT`` is ``"sandbox"``: the shop would talk to its own emulator;
- ``E015`` ``API_URL`` points at the shop's own host (that is the sandbox, wherever it is mounted);
- ``E016`` in production, ``API_URL`` is not https on a secuconnect domain;
- ``E017`` the provider guide's public client id or secret;
- ``E018`` the guide's public marketplace (or provider) contract id;
- ``E011`` ``IS_DEMO`` in production (demo transactions on the real host);
- ``E019`` an ``http://`` ``SITE_URL`` (return and push URLs would travel unencrypted);
- ``E020`` ``DEMO_DEPLOYMENT`` in production;
- ``E024`` ``DEBUG`` on in production (``E016`` also refuses secuconnect's testing host there).

A deliberate demo (``DEMO_DEPLOYMENT``: the demo on a public server, a test deployment) opts out
of all but ``E016``, ``E011`` and ``E020`` — it can never be production — and is told so loudly
instead (``W008``).

The checks run with every management command that runs system checks (``migrate``,
``runserver``, ``check``; ``check --deploy`` too), so a deploy pipeline stops there. A web server
process (gunicorn, uWSGI, an ASGI server) runs no system checks: ``refuse_unsafe_server`` makes it
refuse to start with the same messages (``apps.SecuMarketplaceConfig.ready``).
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.apps import apps
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured

from secu_marketplace.conf import (
    DEFAULTS,
    ENVIRONMENTS,
    PUBLIC_CLIENT_ID,
    PUBLIC_CLIENT_SECRET,
    PUBLIC_CONTRACT_IDS,
    Environment,
    is_secuconnect_host,
)

ID = "secu_marketplace"
SANDBOX_APP = "secu_marketplace.sandbox"
GOING_LIVE = "See the documentation's page Going live."


def _user() -> dict[str, Any]:
    value = getattr(settings, "SECU_MARKETPLACE", None)
    return value if isinstance(value, dict) else {}


def _environment(user: dict[str, Any]) -> str:
    return str(user.get("ENVIRONMENT", DEFAULTS["ENVIRONMENT"]))


def sandbox_reachable(*, probe_urls: bool = True) -> list[str]:
    """How the sandbox is reachable in this project: installed, mounted, both, or not at all.
    ``probe_urls=False`` while apps are still starting (importing the URLconf then could
    import views of apps not ready yet); a mounted sandbox is always an installed one."""
    from django.urls import NoReverseMatch, reverse

    found = []
    if apps.is_installed(SANDBOX_APP):
        found.append("installed (INSTALLED_APPS)")
    if probe_urls:
        with contextlib.suppress(NoReverseMatch):
            found.append(f"mounted at {reverse('secu_sandbox:home')}")
    return found


def _host(url: str) -> str:
    return (urlsplit(url).netloc or "").lower()


def _sandbox_errors(user: dict[str, Any], probe_urls: bool) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    reachable = sandbox_reachable(probe_urls=probe_urls)
    if reachable:
        errors.append(
            Error(
                f"The bundled sandbox is {' and '.join(reachable)} in a live deployment.",
                hint="Remove 'secu_marketplace.sandbox' from INSTALLED_APPS and its include() "
                "from urls.py: anyone could pay with its button and read its control API. "
                + GOING_LIVE,
                id=f"{ID}.E013",
            )
        )
    if _environment(user) == Environment.SANDBOX:
        errors.append(
            Error(
                "SECU_MARKETPLACE['ENVIRONMENT'] is 'sandbox' in a live deployment.",
                hint="Set it to 'production' (or 'testing') with secupay's credentials.",
                id=f"{ID}.E014",
            )
        )
    api_url = str(user.get("API_URL") or "")
    site = str(user.get("SITE_URL") or "")
    if api_url and site and _host(api_url) == _host(site):
        errors.append(
            Error(
                f"SECU_MARKETPLACE['API_URL'] ({api_url}) is on the shop's own host.",
                hint="That is the sandbox; remove API_URL and let ENVIRONMENT choose the host.",
                id=f"{ID}.E015",
            )
        )
    errors += _public_credentials(user)
    if urlsplit(site.strip()).scheme.lower() == "http":
        errors.append(
            Error(
                "SECU_MARKETPLACE['SITE_URL'] is plain http:// in a live deployment.",
                hint="Return and push URLs carry signed tokens: serve the shop over https.",
                id=f"{ID}.E019",
            )
        )
    return errors


def _public_credentials(user: dict[str, Any]) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    if user.get("CLIENT_ID") == PUBLIC_CLIENT_ID or user.get("CLIENT_SECRET") == (
        PUBLIC_CLIENT_SECRET
    ):
        errors.append(
            Error(
                "SECU_MARKETPLACE uses the provider guide's public client id or secret.",
                hint="Use the credentials secupay gave you (from the environment, not the code).",
                id=f"{ID}.E017",
            )
        )
    for key in ("CONTRACT_ID", "PROVIDER_CONTRACT_ID"):
        if user.get(key) in PUBLIC_CONTRACT_IDS:
            errors.append(
                Error(
                    f"SECU_MARKETPLACE['{key}'] is the provider guide's public contract.",
                    hint="Use your marketplace's own contract id from secupay.",
                    id=f"{ID}.E018",
                )
            )
    return errors


def _production_errors(user: dict[str, Any]) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    api_url = str(user.get("API_URL") or "")
    testing = _host(api_url) == _host(ENVIRONMENTS[Environment.TESTING])
    if api_url and (testing or not is_secuconnect_host(api_url)):
        what = "secuconnect's testing host" if testing else "not a secuconnect host"
        errors.append(
            Error(
                f"SECU_MARKETPLACE['API_URL'] ({api_url}) is {what} in production.",
                hint="Remove API_URL: ENVIRONMENT 'production' means https://connect.secucard.com.",
                id=f"{ID}.E016",
            )
        )
    if settings.DEBUG:
        errors.append(
            Error(
                "DEBUG is on in production.",
                hint="DEBUG shows settings and buyers' data on error pages and opens the "
                "sandbox's control API: set DEBUG = False.",
                id=f"{ID}.E024",
            )
        )
    if user.get("IS_DEMO"):
        errors.append(
            Error(
                "SECU_MARKETPLACE['IS_DEMO'] is True in production.",
                hint="Demo transactions belong on the testing host or the sandbox.",
                id=f"{ID}.E011",
            )
        )
    if user.get("DEMO_DEPLOYMENT"):
        errors.append(
            Error(
                "SECU_MARKETPLACE['DEMO_DEPLOYMENT'] is True in production.",
                hint="A demo is never production; remove DEMO_DEPLOYMENT.",
                id=f"{ID}.E020",
            )
        )
    return errors


def _test_run() -> bool:
    """Whether a test environment is set up (Django's test runner, pytest-django): it switches
    ``DEBUG`` off, and the project's tests may well run on the sandbox. A test run is no
    deployment."""
    from django.core import mail

    return hasattr(mail, "outbox")  # set by django.test.utils.setup_test_environment


def problems(*, probe_urls: bool = True) -> list[CheckMessage]:
    """What makes this deployment unsafe to take money (empty when it is not live, or a test
    run)."""
    if _test_run():
        return []
    user = _user()
    production = _environment(user) == Environment.PRODUCTION
    if not production and settings.DEBUG:
        return []
    found = _production_errors(user) if production else []
    if user.get("DEMO_DEPLOYMENT") and not production:
        return [
            Warning(
                "DEMO_DEPLOYMENT: this deployment is a demo with DEBUG off; the sandbox and the "
                "public credentials are allowed, and no real payment can be made.",
                hint="Never take real orders or real buyers' data here: anyone can take a token "
                "with the public credentials and list what the sandbox holds. " + GOING_LIVE,
                id=f"{ID}.W008",
            )
        ]
    return found + _sandbox_errors(user, probe_urls)


@register(Tags.security)
def check_go_live(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    # Not deploy-only: migrate and runserver refuse an unsafe live configuration too.
    return problems()


def _not_a_server() -> bool:
    """Whether this process is ``manage.py``/``django-admin`` (which report the checks
    themselves, with ids and hints) or a pytest run (a shop's tests, with the sandbox installed
    for the test kit), rather than a web server (which runs no checks)."""
    program = Path(sys.argv[0]) if sys.argv and sys.argv[0] else Path()
    if program.name == "__main__.py":  # python -m django / python -m pytest
        return program.parent.name in ("django", "pytest")
    return program.name in ("manage.py", "django-admin", "django-admin.py", "pytest", "py.test")


def refuse_unsafe_server() -> None:
    """Raise ``ImproperlyConfigured`` in a web server process whose deployment is unsafe."""
    # DEBUG does not make a server safe: problems() decides what is live (production is live
    # whatever DEBUG says).
    if _not_a_server():
        return
    errors = [message for message in problems(probe_urls=False) if message.is_serious()]
    if errors:
        lines = "\n".join(f"- {message.id}: {message.msg} {message.hint}" for message in errors)
        raise ImproperlyConfigured(
            f"secu_marketplace refuses to serve an unsafe live deployment:\n{lines}"
        )
