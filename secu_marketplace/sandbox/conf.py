"""The sandbox's own setting, ``SECU_SANDBOX``, read on every access (override_settings works)."""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # How pushes reach ``url_push``: "background" (a thread of this process, after commit),
    # "manual" (stored; tests and ``sandbox_deliver_pushes`` send them) or "off" (never stored).
    "PUSH_MODE": "background",
    "PUSH_MAX_ATTEMPTS": 8,
    # Retry n waits PUSH_BACKOFF_BASE * 2**(n-1) seconds, at most PUSH_BACKOFF_MAX.
    "PUSH_BACKOFF_BASE": 2.0,
    "PUSH_BACKOFF_MAX": 600.0,
    "PUSH_TIMEOUT": 5.0,
    # Access tokens live this long unless the client row says otherwise (secuconnect: 1200 s).
    "TOKEN_LIFETIME": 1200,
    # A Smart Transaction still "created" after this many seconds can no longer be paid.
    "CHECKOUT_TTL": 24 * 3600,
    # "settle": refunds are executed at once (refund transaction accepted);
    # "pending": they wait for TestChangedPaymentStatus, like a refund the bank has not booked yet.
    "REFUNDS": "settle",
    # The control API (faults, call log, token expiry) under <mount>/control/.
    "CONTROL_API": True,
}


def get(name: str) -> Any:
    user = getattr(settings, "SECU_SANDBOX", {}) or {}
    if name not in DEFAULTS:
        raise KeyError(f"unknown SECU_SANDBOX setting {name!r}")
    return user.get(name, DEFAULTS[name])
