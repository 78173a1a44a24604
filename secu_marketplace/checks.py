"""System checks for what would otherwise fail at the first payment."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured

from secu_marketplace.conf import (
    DEFAULTS,
    Environment,
    UnapprovedPolicy,
    app_settings,
    sandbox_mount,
)
from secu_marketplace.rules.statuses import EXPIRING_FOR

CONTRACT_RE = re.compile(r"^GCR_[A-Z0-9]{30}$")
TEMPLATE_RE = re.compile(r"^COT_[A-Z0-9]{30}$")
ID = "secu_marketplace"


@register(Tags.compatibility)
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``SECU_MARKETPLACE`` is there, a dict, and every key in it makes sense."""
    user = getattr(settings, "SECU_MARKETPLACE", None)
    if user is None:
        return [
            Error(
                "SECU_MARKETPLACE is not set.",
                hint="Add SECU_MARKETPLACE = {...} with your credentials (see the README).",
                id=f"{ID}.E001",
            )
        ]
    if not isinstance(user, dict):
        return [Error("SECU_MARKETPLACE must be a dict.", id=f"{ID}.E002")]
    errors: list[CheckMessage] = []
    unknown = sorted(set(user) - set(DEFAULTS))
    if unknown:
        errors.append(
            Warning(f"SECU_MARKETPLACE has unknown key(s): {', '.join(unknown)}.", id=f"{ID}.W001")
        )
    errors += _credential_errors(user)
    errors += _choice_errors(user)
    errors += _environment_errors(user)
    errors += _url_errors(user)
    errors += _expiry_errors(user)
    for key in ("CONNECT_TIMEOUT", "READ_TIMEOUT", "PUSH_READ_INTERVAL", "RETURN_LINK_MAX_AGE"):
        value = user.get(key, DEFAULTS[key])
        if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
            errors.append(
                Error(f"SECU_MARKETPLACE['{key}'] must be a positive number.", id=f"{ID}.E012")
            )
    return errors


def _expiry_errors(user: dict[str, Any]) -> list[CheckMessage]:
    """``EXPIRE_UNPAID_AFTER_DAYS`` names only methods that wait for the buyer's money, each with
    a positive number of days (or None/0: never); ``EXPIRY_REMINDER_DAYS`` is 0 or more."""
    days = user.get("EXPIRE_UNPAID_AFTER_DAYS", DEFAULTS["EXPIRE_UNPAID_AFTER_DAYS"])
    reminder = user.get("EXPIRY_REMINDER_DAYS", DEFAULTS["EXPIRY_REMINDER_DAYS"])

    def number(value: Any) -> bool:
        return isinstance(value, int | float) and not isinstance(value, bool) and value >= 0

    valid = isinstance(days, dict) and all(
        method in EXPIRING_FOR and (value is None or number(value))
        for method, value in days.items()
    )
    errors: list[CheckMessage] = []
    if not valid:
        errors.append(
            Error(
                "SECU_MARKETPLACE['EXPIRE_UNPAID_AFTER_DAYS'] must map "
                f"{' or '.join(repr(m) for m in EXPIRING_FOR)} to a number of days (or None).",
                id=f"{ID}.E023",
            )
        )
    if not number(reminder):
        errors.append(
            Error(
                "SECU_MARKETPLACE['EXPIRY_REMINDER_DAYS'] must be 0 or a positive number.",
                id=f"{ID}.E023",
            )
        )
    return errors


def _credential_errors(user: dict[str, Any]) -> list[CheckMessage]:
    """The OAuth client and the ids secuconnect knows the marketplace by."""
    errors: list[CheckMessage] = []
    # With ENVIRONMENT "sandbox" empty credentials mean the sandbox's public ones (conf.py).
    for key in ("CLIENT_ID", "CLIENT_SECRET"):
        if not getattr(app_settings, key):
            errors.append(Error(f"SECU_MARKETPLACE['{key}'] is empty.", id=f"{ID}.E003"))
    if not CONTRACT_RE.match(str(app_settings.CONTRACT_ID or "")):
        errors.append(
            Error(
                "SECU_MARKETPLACE['CONTRACT_ID'] is not a contract id "
                "(GCR_ and 30 capitals or digits).",
                id=f"{ID}.E004",
            )
        )
    provider = user.get("PROVIDER_CONTRACT_ID")
    if provider and not CONTRACT_RE.match(str(provider)):
        errors.append(
            Error("SECU_MARKETPLACE['PROVIDER_CONTRACT_ID'] is not a contract id.", id=f"{ID}.E005")
        )
    template = user.get("CHECKOUT_TEMPLATE", DEFAULTS["CHECKOUT_TEMPLATE"])
    if not TEMPLATE_RE.match(str(template or "")):
        errors.append(
            Error(
                "SECU_MARKETPLACE['CHECKOUT_TEMPLATE'] is not a template id (COT_...).",
                id=f"{ID}.E006",
            )
        )
    return errors


def _choice_errors(user: dict[str, Any]) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    if user.get("INTENT", DEFAULTS["INTENT"]) not in ("sale", "order"):
        errors.append(
            Error("SECU_MARKETPLACE['INTENT'] must be 'sale' or 'order'.", id=f"{ID}.E007")
        )
    if user.get("DELIVERY_TYPE", DEFAULTS["DELIVERY_TYPE"]) not in ("shipping", "collection"):
        errors.append(
            Error(
                "SECU_MARKETPLACE['DELIVERY_TYPE'] must be 'shipping' or 'collection'.",
                id=f"{ID}.E008",
            )
        )
    return errors


def _url_errors(user: dict[str, Any]) -> list[CheckMessage]:
    """The shop's own URL (secuconnect sends buyers and pushes there) and the API's scheme."""
    errors: list[CheckMessage] = []
    site = str(user.get("SITE_URL") or "")
    parts = urlsplit(site)
    if not site or parts.scheme not in ("http", "https") or not parts.netloc:
        errors.append(
            Error(
                "SECU_MARKETPLACE['SITE_URL'] must be the shop's absolute URL (https://shop.example).",
                hint="secuconnect sends the buyer and its pushes to URLs built from it.",
                id=f"{ID}.E010",
            )
        )
    if str(user.get("API_URL") or "").startswith("http://") and not settings.DEBUG:
        errors.append(
            Warning("SECU_MARKETPLACE['API_URL'] is plain HTTP outside DEBUG.", id=f"{ID}.W003")
        )
    return errors


def _environment_errors(user: dict[str, Any]) -> list[CheckMessage]:
    environment = user.get("ENVIRONMENT", DEFAULTS["ENVIRONMENT"])
    if environment not in set(Environment):
        return [
            Error(
                "SECU_MARKETPLACE['ENVIRONMENT'] must be one of "
                + ", ".join(f"'{e}'" for e in Environment)
                + ".",
                id=f"{ID}.E009",
            )
        ]
    if environment == Environment.SANDBOX and not user.get("API_URL"):
        try:
            sandbox_mount()
        except ImproperlyConfigured as error:
            return [Error(str(error), id=f"{ID}.E021")]
    return []


@register(Tags.compatibility)
def check_unapproved_policy(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``UNAPPROVED_SUPPLIERS`` names one of the two policies (docs/provider.md, "Payment
    contracts")."""
    user = getattr(settings, "SECU_MARKETPLACE", None)
    if not isinstance(user, dict):
        return []  # reported by check_settings
    if user.get("UNAPPROVED_SUPPLIERS", DEFAULTS["UNAPPROVED_SUPPLIERS"]) in set(UnapprovedPolicy):
        return []
    return [
        Error(
            "SECU_MARKETPLACE['UNAPPROVED_SUPPLIERS'] must be 'refuse' or 'allow'.",
            hint="'refuse' (the default) stops a checkout with a supplier whose contract "
            "secupay has not approved yet; 'allow' lets it go ahead and warns staff.",
            id=f"{ID}.E022",
        )
    ]


@register(Tags.database)
def check_supplier_contracts(
    app_configs: Any = None, databases: Any = None, **kwargs: Any
) -> list[CheckMessage]:
    """``manage.py check --database default``: active suppliers without a contract, and those
    whose contract lacks a method the shop offers. Reads only what the cache holds (a system
    check must not call secuconnect); ``secu_check`` asks secuconnect itself."""
    if not databases:
        return []
    from django.db import DatabaseError

    from secu_marketplace.models import Supplier
    from secu_marketplace.services import supplier_contracts

    messages: list[CheckMessage] = []
    try:
        suppliers = list(Supplier.objects.filter(is_active=True).only("name", "contract_id"))
    except DatabaseError:  # not migrated yet: migrate runs the database checks first
        return []
    for supplier in suppliers:
        if not supplier.contract_id:
            messages.append(
                Warning(
                    f"Supplier {supplier.name} has no secuconnect contract.",
                    hint="Onboard it in the admin; its products cannot be paid for until then.",
                    id=f"{ID}.W004",
                )
            )
            continue
        methods = supplier_contracts.cached_payment_methods(supplier.contract_id)
        lacking = supplier_contracts.lacking(methods) if methods is not None else []
        if lacking:
            messages.append(
                Warning(
                    f"Supplier {supplier.name}'s contract {supplier.contract_id} lacks "
                    f"payment method(s) the shop offers: {', '.join(lacking)}.",
                    hint="Baskets with this supplier offer only the methods every supplier "
                    "accepts; limit SECU_MARKETPLACE['PAYMENT_METHODS'] or extend the contract.",
                    id=f"{ID}.W005",
                )
            )
    return messages


def _sqlite_aliases() -> list[str]:
    from django.db import connections

    return [alias for alias in connections if connections[alias].vendor == "sqlite"]


@register(Tags.compatibility)
def check_sqlite(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """A SQLite database whose transactions begin DEFERRED fails under concurrent payments."""
    from django.db import connections

    from secu_marketplace.sqlite import chosen_mode

    messages: list[CheckMessage] = []
    for alias in _sqlite_aliases():
        mode = chosen_mode(connections[alias]) or (
            "IMMEDIATE" if app_settings.SQLITE_IMMEDIATE else None
        )
        if mode != "IMMEDIATE":
            messages.append(
                Warning(
                    f"SQLite database {alias!r} begins transactions {mode or 'DEFERRED'}: "
                    "concurrent checkouts, returns and pushes fail with 'database is locked'.",
                    hint="Leave SECU_MARKETPLACE['SQLITE_IMMEDIATE'] on, or set "
                    "DATABASES[...]['OPTIONS']['transaction_mode'] = 'IMMEDIATE'.",
                    id=f"{ID}.W006",
                )
            )
    return messages


@register(Tags.compatibility, deploy=True)
def check_sqlite_in_production(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``manage.py check --deploy``: SQLite is for the demo and tests, not for taking money."""
    return [
        Warning(
            f"SQLite database {alias!r} in a deployment: every payment write waits for one lock "
            "on one file, and only one machine can use it.",
            hint="Use PostgreSQL in production (docs: Deployment).",
            id=f"{ID}.W007",
        )
        for alias in _sqlite_aliases()
    ]
