"""The one namespaced setting, ``SECU_MARKETPLACE``, read lazily.

``app_settings.CLIENT_ID`` looks the value up in ``settings.SECU_MARKETPLACE`` on every access, so
``override_settings`` and pytest-django's ``settings`` fixture work without a cache to clear.

``API_URL`` is the host root (the token endpoint is ``<API_URL>/oauth/token``, the API lives under
``<API_URL>/api/v2``). ``ENVIRONMENT`` is a shorthand that fills ``API_URL`` for secuconnect's
hosts; an explicit ``API_URL`` wins.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

ENVIRONMENTS = {
    "production": "https://connect.secucard.com",
    "testing": "https://connect-testing.secuconnect.com",
}
REGULAR_CHECKOUT_TEMPLATE = "COT_WD0DE66HN2XWJHW8JM88003YG0NEA2"


class UnapprovedPolicy(StrEnum):
    """``UNAPPROVED_SUPPLIERS``: what a checkout does with a supplier whose contract secupay has
    not approved yet (services/supplier_contracts.py)."""

    REFUSE = "refuse"
    ALLOW = "allow"


DEFAULTS: dict[str, Any] = {
    "ENVIRONMENT": "testing",
    "API_URL": None,
    "CLIENT_ID": "",
    "CLIENT_SECRET": "",
    # The marketplace's own General Contract; it is also the payee of the marketplace fee.
    "CONTRACT_ID": "",
    "PROVIDER_CONTRACT_ID": None,
    "CHECKOUT_TEMPLATE": REGULAR_CHECKOUT_TEMPLATE,
    "INTENT": "order",  # "order" (ship, then mark shipped) or "sale"
    "AUTO_CAPTURE": True,
    "IS_DEMO": False,
    "DELIVERY_TYPE": "shipping",  # "shipping" or "collection", for intent "order"
    # Restrict the methods Smart Checkout offers (None: whatever the contract allows).
    "PAYMENT_METHODS": None,
    # None: follow the buyer's active language; "de" or "en" to force one.
    "LANGUAGE": None,
    # Absolute base for the return and push URLs secuconnect is given, e.g. https://shop.example.
    "SITE_URL": "",
    "CONNECT_TIMEOUT": 3.05,
    "READ_TIMEOUT": 15.0,
    # A write whose answer was lost may still be executed by secuconnect until the connect and
    # read timeouts plus this margin have passed since it was sent (slow hosts, queues): before
    # then, "not found" does not mean "never made".
    "LOST_CREATE_MARGIN": 30.0,
    # The cached token is dropped this many seconds before secuconnect would expire it.
    "TOKEN_SAFETY_MARGIN": 120,
    "CACHE_ALIAS": "default",
    # Idempotent GETs are retried this many times on transport errors and 5xx, with backoff.
    "GET_RETRIES": 2,
    "RETRY_BACKOFF": 0.25,
    "POOL_SIZE": 10,
    # A Smart Transaction still "created" after this long is not reused for a new checkout.
    "REUSE_CREATED_FOR": 3600,
    # URL name or path of the shop's cart, for the "back to cart" link after an abort.
    "CART_URL": None,
    # URL name or path of the shop's home, for the "back to the shop" link on payment pages.
    "SHOP_URL": "/",
    # Pages show "we are confirming your payment" and refresh after this many seconds.
    "CONFIRMING_REFRESH_SECONDS": 5,
    # How long after a return via url_success the page keeps saying "we are confirming your
    # payment" while secuconnect does not show one; then it shows the truth.
    "CONFIRMING_FOR": 120,
    # The admin's bulk refresh and secu_sync talk to secuconnect with this many threads at most.
    "SYNC_CONCURRENCY": 4,
    # secu_sync skips attempts synced less than this many seconds ago, and attempts older than
    # SYNC_WINDOW_DAYS (an abandoned checkout is not re-read for ever).
    "SYNC_MIN_AGE": 120,
    "SYNC_WINDOW_DAYS": 30,
    # secu_sync aborts (at secuconnect) and closes a checkout still "created" this many seconds
    # after it was opened: the buyer left it. 0 keeps re-reading it for SYNC_WINDOW_DAYS.
    "SYNC_ABANDON_AFTER": 86400,
    # Process stored pushes and reconcile through Django's Tasks framework (secu_marketplace/
    # tasks.py) on the TASKS backend named TASK_BACKEND, instead of inside the request and cron.
    "BACKGROUND_TASKS": False,
    "TASK_BACKEND": "default",
    # A push task that cannot reach secuconnect is retried this often, after TASK_RETRY_DELAY
    # seconds, doubled each time (only on backends that can defer a task).
    "TASK_RETRIES": 5,
    "TASK_RETRY_DELAY": 30.0,
    # Dotted path of a callable(order) -> str that names the shop in the bank statement
    # (transactionRef); None sends "<reference>".
    "TRANSACTION_REF": None,
    # Suppliers' contracts and their payment methods are cached this many seconds.
    "CONTRACT_CACHE_SECONDS": 3600,
    # A supplier whose contract secupay has not approved yet: "refuse" its checkouts (a
    # CheckoutError naming it) or "allow" them with a warning to staff (docs/provider.md,
    # "Payment contracts": why "refuse" is the default).
    "UNAPPROVED_SUPPLIERS": UnapprovedPolicy.REFUSE.value,
    # Keep the API key requestId returns for a new supplier (write-only in the admin).
    "STORE_SUPPLIER_APIKEY": False,
    # On SQLite without a transaction_mode of the project's own, begin transactions IMMEDIATE so
    # concurrent requests wait for the write lock instead of failing (see sqlite.py).
    "SQLITE_IMMEDIATE": True,
}


class AppSettings:
    """Attribute access to ``SECU_MARKETPLACE`` with defaults; nothing is cached."""

    def _user(self) -> dict[str, Any]:
        value = getattr(settings, "SECU_MARKETPLACE", None) or {}
        if not isinstance(value, dict):
            raise ImproperlyConfigured("SECU_MARKETPLACE must be a dict")
        return value

    def __getattr__(self, name: str) -> Any:
        if name not in DEFAULTS:
            raise AttributeError(f"SECU_MARKETPLACE has no setting {name!r}")
        return self._user().get(name, DEFAULTS[name])

    @property
    def api_url(self) -> str:
        """The host root, without a trailing slash."""
        url = self._user().get("API_URL")
        if not url:
            env = self.ENVIRONMENT
            if env not in ENVIRONMENTS:
                raise ImproperlyConfigured(
                    f"SECU_MARKETPLACE['ENVIRONMENT'] must be one of {', '.join(ENVIRONMENTS)} "
                    "or API_URL must be set"
                )
            url = ENVIRONMENTS[env]
        return str(url).rstrip("/")

    @property
    def is_production_host(self) -> bool:
        return self.api_url == ENVIRONMENTS["production"]

    @property
    def timeouts(self) -> tuple[float, float]:
        return (float(self.CONNECT_TIMEOUT), float(self.READ_TIMEOUT))

    @property
    def landing_window(self) -> float:
        """Seconds after a write was sent during which it may still be executed."""
        return sum(self.timeouts) + float(self.LOST_CREATE_MARGIN)

    @property
    def site_url(self) -> str:
        return str(self.SITE_URL or "").rstrip("/")


app_settings = AppSettings()
