"""The URLs secuconnect is given for one attempt, and the signed tokens inside them.

Each attempt has a random ``key``. Its URLs carry the key signed with ``SECRET_KEY`` (Django's
``signing``), under one salt per purpose, so a token grants exactly one thing:

- the three **return URLs** (``url_success``, ``url_error``, ``url_abort``) carry a
  ``TimestampSigner`` token that opens the payment page for ``RETURN_LINK_MAX_AGE`` seconds after
  the checkout began (later the order's status page, by its public token, is the link to use);
- the **push URL** (``url_push``) carries a token of its own that never expires: secuconnect
  re-sends a push for 24 hours, and a payment that settles weeks later (an invoice paid, a
  refund) is pushed to the URL it was given at checkout. A return token is no push token, and a
  push token opens no page.

A forged or altered token fails the signature check before any database query; a valid one
names exactly one attempt. Nothing else in these URLs is trusted: the outcome word only picks a
message. URLs are built from ``SITE_URL`` and ``reverse()``, never from the request's Host.

Rotating ``SECRET_KEY``: put the old key in ``SECRET_KEY_FALLBACKS`` for at least as long as
pushes are re-sent and return links live, or every link in flight becomes a 404 (docs: Security).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.core import signing
from django.urls import reverse

from secu_marketplace.conf import app_settings
from secu_marketplace.models import CheckoutAttempt

RETURN_SALT = "secu_marketplace.return"
PUSH_SALT = "secu_marketplace.push"
# The payout push URL (one per deployment; docs/books.md): give it to secupay for
# ``payment.payouts`` pushes. Long enough for the redaction of signed tokens to mask it.
PAYOUT_PUSH_SALT = "secu_marketplace.payout-push"
PAYOUT_PUSH_VALUE = "secu-marketplace-payout-pushes"


class Outcome(StrEnum):
    """The word in a return URL: which way the buyer came back (a hint, never a status)."""

    SUCCESS = "success"
    ERROR = "error"
    ABORT = "abort"


OUTCOMES = tuple(Outcome)


def return_token(attempt: CheckoutAttempt) -> str:
    return signing.TimestampSigner(salt=RETURN_SALT).sign(attempt.key)


def push_token(attempt: CheckoutAttempt) -> str:
    return signing.Signer(salt=PUSH_SALT).sign(attempt.key)


@dataclass(frozen=True)
class ReturnLink:
    """What a return token names: its attempt, and whether the link has expired."""

    attempt: CheckoutAttempt
    expired: bool


def _attempt(key: str) -> CheckoutAttempt | None:
    return CheckoutAttempt.objects.select_related("order").filter(key=key).first()


def follow_return(token: str) -> ReturnLink | None:
    """The attempt a return token names (expired or not), or None for a forged, altered or
    unknown token."""
    signer = signing.TimestampSigner(salt=RETURN_SALT)
    try:
        key = signer.unsign(token, max_age=int(app_settings.RETURN_LINK_MAX_AGE))
        expired = False
    except signing.SignatureExpired:
        key, expired = signer.unsign(token), True
    except signing.BadSignature:
        return None
    attempt = _attempt(key)
    return None if attempt is None else ReturnLink(attempt=attempt, expired=expired)


def follow_push(token: str) -> CheckoutAttempt | None:
    """The attempt a push token names, or None."""
    try:
        key = signing.Signer(salt=PUSH_SALT).unsign(token)
    except signing.BadSignature:
        return None
    return _attempt(key)


def names_attempt(url: str, attempt: CheckoutAttempt) -> bool:
    """Whether ``url`` (a Smart Transaction's ``url_success``) is one of ``attempt``'s return
    URLs: its token carries this attempt's key under a valid signature, however old."""
    for part in url.split("/"):
        try:
            if signing.TimestampSigner(salt=RETURN_SALT).unsign(part) == attempt.key:
                return True
        except signing.BadSignature:
            continue
    return False


def absolute(path: str) -> str:
    return app_settings.site_url + path


def return_path(attempt: CheckoutAttempt, outcome: str = Outcome.SUCCESS) -> str:
    return reverse("secu_marketplace:return", args=[return_token(attempt), str(outcome)])


def push_path(attempt: CheckoutAttempt) -> str:
    return reverse("secu_marketplace:push", args=[push_token(attempt)])


def return_urls(attempt: CheckoutAttempt) -> dict[str, str]:
    urls = {f"url_{outcome}": absolute(return_path(attempt, outcome)) for outcome in Outcome}
    urls["url_push"] = absolute(push_path(attempt))
    return urls


def payout_push_url() -> str:
    """Where secuconnect may send ``payment.payouts`` pushes for this marketplace."""
    token = signing.Signer(salt=PAYOUT_PUSH_SALT).sign(PAYOUT_PUSH_VALUE)
    return absolute(reverse("secu_marketplace:payout_push", args=[token]))


def follows_payout_push(token: str) -> bool:
    try:
        return signing.Signer(salt=PAYOUT_PUSH_SALT).unsign(token) == PAYOUT_PUSH_VALUE
    except signing.BadSignature:
        return False
