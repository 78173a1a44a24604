"""One redaction function for everything that leaves the request: log lines, stored provider
snapshots, the admin's view of them.

Secrets (client secret, bearer and access tokens) are replaced entirely. Buyer data (the customer
block and its contact, e-mail, phone, birth date, the payer's bank data) is replaced too, keeping
only ``object`` and ``id`` so an object can still be found. The marketplace's own data (basket,
amounts, ids, the provider's bank account in ``payment_instructions``) stays readable.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

MASK = "[redacted]"

SECRET_KEYS = frozenset(
    {
        "client_secret",
        "access_token",
        "refresh_token",
        "authorization",
        "password",
        "token",
        "secret",
        # requestId's answer: the new merchant's API key.
        "apikey",
        "api_key",
    }
)
# Whole subtrees that describe a person; only their object/id survive.
PERSONAL_SUBTREES = frozenset(
    {"customer", "contact", "shipping_address", "payment_data", "container", "payout_account"}
)
PERSONAL_KEYS = frozenset(
    {
        "email",
        "phone",
        "mobile",
        "fax",
        "dob",
        "forename",
        "surname",
        "account_owner",
        "incoming_payment_iban",
        "incoming_payment_bic",
        "incoming_payment_purpose",
        "iban",
        "bic",
    }
)
# ``type`` says what a subtree is (a container's "bank_account" or "credit_card"), never whose.
KEEP_IN_SUBTREE = frozenset({"object", "id", "type"})
# The provider's own account that buyers transfer to is meant to be shown, not hidden.
PUBLIC_SUBTREES = frozenset({"payment_instructions"})

_PATTERNS = [
    (re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"), r"\1" + MASK),
    (
        re.compile(
            r"(?i)((?:client_secret|access_token|refresh_token|password|apikey|api_key)[\"']?\s*[:=]\s*[\"']?)[^\"'&,\s}]+"
        ),
        r"\1" + MASK,
    ),
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), MASK),
    # A signed attempt token (``key:signature``, or ``key:timestamp:signature`` for a return
    # link; links.py) grants access to the payment page or the push endpoint: never in a log line,
    # a snapshot or a list.
    (re.compile(r"[A-Za-z0-9_-]{20,}(?::[A-Za-z0-9_-]{1,12})?:[A-Za-z0-9_-]{20,}"), MASK),
    (re.compile(r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){3,7}(?:\s?[A-Z0-9]{1,3})?\b"), MASK),
]


def redact(data: Any, *, _public: bool = False) -> Any:
    """A redacted deep copy of a JSON-like structure."""
    if isinstance(data, Mapping):
        return {key: _redact_entry(str(key).lower(), value, _public) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [redact(item, _public=_public) for item in data]
    if isinstance(data, str) and not _public:
        return redact_text(data)
    return data


def _redact_entry(key: str, value: Any, public: bool) -> Any:
    """One value of a mapping, by its (lower-cased) key."""
    if key in SECRET_KEYS:
        return MASK
    if key in PERSONAL_SUBTREES and value:
        if not isinstance(value, Mapping):
            return MASK
        return {k: v for k, v in value.items() if k in KEEP_IN_SUBTREE} | {"redacted": True}
    if key in PERSONAL_KEYS and value and not public:
        return MASK
    return redact(value, _public=public or key in PUBLIC_SUBTREES)


def redact_text(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """Attach to handlers (or loggers): masks secrets and buyer data in messages and arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact_text(record.msg)
        if isinstance(record.args, Mapping):
            record.args = redact(record.args)
        elif isinstance(record.args, tuple):
            record.args = tuple(
                redact(arg) if isinstance(arg, Mapping | list | str) else arg for arg in record.args
            )
        return True
