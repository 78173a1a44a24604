"""A ``SITE_URL`` that does not match the server, reported where a developer looks.

secuconnect sends the buyer back, and its pushes, to URLs built from ``SITE_URL``; in development
the app also reaches the bundled sandbox through it (``ENVIRONMENT`` "sandbox": ``SITE_URL`` +
its mount). Run
the development server on another port than ``SITE_URL`` names and "Pay now" finds nobody there.
So, with ``DEBUG`` on:

- when the bundled sandbox is installed and the app reaches it on ``SITE_URL``'s origin (this very
  server), the app *follows the server*: for the request, both are rebased onto the origin the
  request came to (``origin.rebase``), so the payment works; commands (``secu_sync``,
  ``secu_check``) still use ``SITE_URL``, so the log and the payment pages say to set it;
- otherwise (a real secuconnect host) the log warns and the payment pages show a note: the
  buyer and the pushes would go to ``SITE_URL``.

Outside ``DEBUG`` nothing changes: behind a proxy the request's host is not the public one.
``probe_site()`` tells ``secu_check`` whether anything answers at ``SITE_URL``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import wraps
from typing import Any

import requests
from django.apps import apps
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from secu_marketplace import origin
from secu_marketplace.conf import Environment, app_settings

logger = logging.getLogger(__name__)
_reported: set[tuple[str, str]] = set()


@dataclass(frozen=True)
class Mismatch:
    configured: str  # SITE_URL's origin
    served: str  # the origin the request came to
    following: bool  # the app follows the server for this request

    def note(self) -> str:
        values = {"configured": self.configured, "served": self.served}
        if self.following:
            return (
                _(
                    "Development: SITE_URL is %(configured)s, but this server answers at "
                    "%(served)s. With DEBUG on and the bundled sandbox on this server, the app "
                    "used %(served)s for this request; commands such as secu_sync still use "
                    "SITE_URL. Set SITE_URL to %(served)s."
                )
                % values
            )
        return (
            _(
                "Development: SITE_URL is %(configured)s, but this server answers at "
                "%(served)s. secuconnect sends the buyer and its push notifications to SITE_URL: "
                "set SITE_URL to the address this server is reached at."
            )
            % values
        )


def mismatch(request: HttpRequest) -> Mismatch | None:
    """In ``DEBUG``: ``SITE_URL``'s origin against the request's, or None when they agree."""
    if not settings.DEBUG:
        return None
    # The settings as written (the properties would already follow the server).
    configured = origin.of(str(app_settings.SITE_URL or ""))
    served = origin.of(request.build_absolute_uri("/"))
    if not configured or not served or configured == served:
        return None
    following = _sandbox_on(configured) and apps.is_installed("secu_marketplace.sandbox")
    return Mismatch(configured=configured, served=served, following=following)


def _report(found: Mismatch) -> None:
    key = (found.configured, found.served)
    if key in _reported:
        return
    _reported.add(key)
    logger.warning("SITE_URL does not match this server. %s", found.note())


@contextmanager
def following_server(request: HttpRequest) -> Iterator[Mismatch | None]:
    """Around a view: report a mismatch (once per pair in the log) and, where it is safe,
    follow the server for the request."""
    found = mismatch(request)
    if found is None:
        yield None
        return
    _report(found)
    token = origin._following.set((found.configured, found.served)) if found.following else None
    try:
        yield found
    finally:
        if token is not None:
            origin._following.reset(token)


def follow_server(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """``following_server`` as a view decorator."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with following_server(request):
            return view(request, *args, **kwargs)

    return wrapper


def page_note(request: HttpRequest) -> dict[str, str]:
    """The payment pages' context for the note (``secu_marketplace/_site_url_note.html``)."""
    found = mismatch(request)
    return {"site_url_note": found.note()} if found is not None else {}


def probe_site(timeout: float = 3.0) -> str:
    """ "" when something answers HTTP at ``SITE_URL``, else what to do about it."""
    site = app_settings.site_url
    try:
        requests.get(site + "/", timeout=timeout, allow_redirects=False)
    except requests.RequestException as error:
        return (
            f"nothing answers at SITE_URL {site} ({type(error).__name__}). Start the server "
            "there, or set SITE_URL to where it runs (runserver on another port: "
            "SITE_URL=http://127.0.0.1:<port>); secuconnect sends the buyer and its pushes there"
            + (", and the bundled sandbox is reached through it" if _sandbox_on_site() else "")
            + "."
        )
    return ""


def _sandbox_on(site_origin: str) -> bool:
    """Whether the app reaches its sandbox at ``site_origin``: ``ENVIRONMENT`` "sandbox" without
    an ``API_URL`` (``SITE_URL`` + the mount), or an ``API_URL`` there."""
    api = str(app_settings.API_URL or "")
    if not api:
        return app_settings.ENVIRONMENT == Environment.SANDBOX
    return origin.of(api) == site_origin


def _sandbox_on_site() -> bool:
    return _sandbox_on(origin.of(str(app_settings.SITE_URL or "")))
