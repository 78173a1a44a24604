"""A supplier contract's payment methods, asked of secuconnect and cached (docs/provider.md,
"Payment contracts"; ``supplier_contracts`` uses it at checkout).

Asked first of ``POST /General/Contracts/{id}/getAvailablePaymentMethods`` (the successor, with
the shop's ``IS_DEMO`` and the order's currency), then, when that fails (an older host answers
404 or 400; any refusal or outage counts) or answers no name the app can read, of the deprecated
``GET /Payment/Contracts/{id}/paymentMethods``. Either may answer the Smart Checkout keys
(``prepaid``) or the General Contracts names (``Prepay``); ``provider_contracts.METHOD_NAMES``
maps every recorded name, and names that are no Smart Checkout method (Applepay, Googlepay) are
ignored and kept in the report, for staff to see.

The report is cached per contract and currency for ``CONTRACT_CACHE_SECONDS``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.core.cache import caches

from secu_marketplace.conf import app_settings
from secu_marketplace.exceptions import ApiError, ProviderUnavailable
from secu_marketplace.provider.client import SecuconnectClient
from secu_marketplace.provider.contracts import parse_method_names

logger = logging.getLogger("secu_marketplace.services.supplier_contracts")

CACHE_PREFIX = "secu_marketplace:contract:"
DEFAULT_CURRENCY = "EUR"  # what the admin, the checks and secu_check ask for


class MethodSource(StrEnum):
    """Which endpoint answered a contract's payment methods."""

    AVAILABLE = "getAvailablePaymentMethods"
    DEPRECATED = "paymentMethods"


@dataclass(frozen=True)
class MethodReport:
    """A contract's payment methods: the Smart Checkout keys, and what secuconnect said."""

    methods: tuple[str, ...]
    received: tuple[str, ...]
    ignored: tuple[str, ...]
    source: MethodSource

    def as_cached(self) -> dict[str, Any]:
        return {
            "methods": list(self.methods),
            "received": list(self.received),
            "ignored": list(self.ignored),
            "source": self.source.value,
        }

    @classmethod
    def from_cached(cls, value: Any) -> MethodReport | None:
        if not isinstance(value, dict):
            return None
        try:
            return cls(
                methods=tuple(value["methods"]),
                received=tuple(value["received"]),
                ignored=tuple(value["ignored"]),
                source=MethodSource(value["source"]),
            )
        except (KeyError, TypeError, ValueError):
            return None  # an entry of another version: read again


def cache() -> Any:
    return caches[app_settings.CACHE_ALIAS]


def cache_key(kind: str, contract_id: str) -> str:
    return f"{CACHE_PREFIX}{kind}:{contract_id}"


def _ask_methods(contract_id: str, client: SecuconnectClient, currency: str) -> MethodReport:
    """The successor first; the deprecated endpoint when the successor fails (an older host
    answers 404 or 400; any refusal or outage counts) or answers no name the app can read."""
    successor: MethodReport | None = None
    try:
        names = client.available_payment_methods(
            contract_id, currency=currency, is_demo=bool(app_settings.IS_DEMO)
        )
    except (ApiError, ProviderUnavailable) as error:
        logger.info(
            "getAvailablePaymentMethods for %s failed (%s); asking paymentMethods",
            contract_id,
            error,
        )
    else:
        read = parse_method_names(names)
        successor = MethodReport(read.methods, read.received, read.ignored, MethodSource.AVAILABLE)
        if successor.methods or not successor.received:
            return successor
    try:
        read = parse_method_names(client.contract_payment_methods(contract_id))
    except (ApiError, ProviderUnavailable):
        if successor is None:
            raise
        return successor  # what the successor said, unreadable as it is, is still the answer
    deprecated = MethodReport(read.methods, read.received, read.ignored, MethodSource.DEPRECATED)
    return deprecated if deprecated.methods or successor is None else successor


def method_report(
    contract_id: str,
    *,
    client: SecuconnectClient | None = None,
    refresh: bool = False,
    currency: str = DEFAULT_CURRENCY,
) -> MethodReport:
    """The contract's payment methods for ``currency``, cached per contract and currency."""
    key = cache_key("methods", contract_id)
    stored = cache().get(key)
    per_currency = dict(stored) if isinstance(stored, dict) else {}
    if not refresh:
        found = MethodReport.from_cached(per_currency.get(currency))
        if found is not None:
            return found
    report = _ask_methods(contract_id, client or SecuconnectClient(), currency)
    per_currency[currency] = report.as_cached()
    cache().set(key, per_currency, int(app_settings.CONTRACT_CACHE_SECONDS))
    return report


def payment_methods(
    contract_id: str, *, client: SecuconnectClient | None = None, refresh: bool = False
) -> tuple[str, ...]:
    """The methods the contract accepts, as Smart Checkout keys."""
    return method_report(contract_id, client=client, refresh=refresh).methods


def cached_method_report(contract_id: str, currency: str = DEFAULT_CURRENCY) -> MethodReport | None:
    """The cached report without asking secuconnect (None when nothing is cached)."""
    stored = cache().get(cache_key("methods", contract_id))
    return MethodReport.from_cached(stored.get(currency)) if isinstance(stored, dict) else None


def cached_payment_methods(contract_id: str) -> tuple[str, ...] | None:
    """The cached methods without asking secuconnect (None when nothing is cached)."""
    report = cached_method_report(contract_id)
    return None if report is None else report.methods
