"""The URLs secuconnect is given for one attempt, and the tokens inside them.

Each attempt has a random ``key``; its URLs carry ``Signer(salt).sign(key)``. A forged token
fails the signature check before any database query, and a valid one names exactly one
attempt. Nothing else in these URLs is trusted: the outcome word only picks a message.
URLs are built from ``SITE_URL`` and ``reverse()``, never from the request's Host header.
"""

from __future__ import annotations

from django.core import signing
from django.urls import reverse

from .conf import app_settings
from .models import CheckoutAttempt

SALT = "secu_marketplace.attempt"
OUTCOMES = ("success", "error", "abort")


def token_for(attempt: CheckoutAttempt) -> str:
    return signing.Signer(salt=SALT).sign(attempt.key)


def attempt_for(token: str) -> CheckoutAttempt | None:
    """The attempt a token names, or None for a forged, altered or unknown token."""
    try:
        key = signing.Signer(salt=SALT).unsign(token)
    except signing.BadSignature:
        return None
    return CheckoutAttempt.objects.select_related("order").filter(key=key).first()


def absolute(path: str) -> str:
    return app_settings.site_url + path


def return_urls(attempt: CheckoutAttempt) -> dict[str, str]:
    token = token_for(attempt)
    urls = {
        f"url_{outcome}": absolute(reverse("secu_marketplace:return", args=[token, outcome]))
        for outcome in OUTCOMES
    }
    urls["url_push"] = absolute(reverse("secu_marketplace:push", args=[token]))
    return urls
