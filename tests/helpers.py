"""Test helpers shared by the suites: the test kit's client for the sandbox's API
(``secu_marketplace.testing.http``), over Django's test client (fast, same thread) or over real
HTTP to the live server, with the provider guide's Smart Transaction as its default body."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings
from django.dispatch import Signal
from django.test import Client

from secu_marketplace import signals
from secu_marketplace.sandbox.conf import CONTROL_HEADER
from secu_marketplace.testing import http
from secu_marketplace.testing.http import Answer

__all__ = [
    "CREDENTIALS",
    "Answer",
    "SandboxApi",
    "control_client",
    "control_headers",
    "guide_body",
]

FIXTURES = Path(__file__).parent / "fixtures"
CREDENTIALS = http.credentials()


def control_headers() -> dict[str, str]:
    """What a request to the sandbox's control API must carry (tests/settings.py sets it)."""
    return {CONTROL_HEADER: str(settings.SANDBOX_CONTROL_TOKEN)}


def control_client() -> Client:
    """Django's test client, allowed into the sandbox's control API."""
    return Client(headers=control_headers())


def guide_body(*, corrected: bool = True) -> dict[str, Any]:
    """The provider guide's Smart Transaction, literally, or with sub-basket sb0's sum fixed.

    The guide sends sb0 as 3940 although 2 x 1995 + 450 = 4440; fixing it makes the total 7785.
    """
    body = json.loads((FIXTURES / "guide_create_smart_transaction.json").read_text())
    if corrected:
        body["basket"]["products"][0]["sum"] = 4440
        body["basket_info"]["sum"] = 7785
    return copy.deepcopy(body)


class SandboxApi(http.SandboxApi):
    """The kit's client; ``create()`` without a body sends the guide's corrected basket."""

    def create(self, body: dict[str, Any] | None = None) -> dict[str, Any]:
        return super().create(body or guide_body())


@contextmanager
def without_receivers() -> Iterator[None]:
    """The app's signals with nobody listening: what the request costs the app itself."""
    saved = {}
    for signal in (v for v in vars(signals).values() if isinstance(v, Signal)):
        saved[signal] = signal.receivers
        signal.receivers = []
        signal.sender_receivers_cache.clear()
    try:
        yield
    finally:
        for signal, receivers in saved.items():
            signal.receivers = receivers
            signal.sender_receivers_cache.clear()
