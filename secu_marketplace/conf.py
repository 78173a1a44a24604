"""The one namespaced setting, ``SECU_MARKETPLACE``, read lazily.

``app_settings.CLIENT_ID`` looks the value up in ``settings.SECU_MARKETPLACE`` on every access, so
``override_settings`` and pytest-django's ``settings`` fixture work without a cache to clear.

``ENVIRONMENT`` is the one switch between the bundled sandbox, secuconnect's testing host and
production (``Environment``); the API host and the demo credentials follow from it:

- ``"sandbox"``: the emulator mounted in this very project (``secu_marketplace.sandbox.urls``),
  at ``SITE_URL`` + its mount point; empty credentials and contract mean the provider guide's
  public ones, which the sandbox knows.
- ``"testing"``: ``https://connect-testing.secuconnect.com`` with the credentials secupay gave you.
- ``"production"``: ``https://connect.secucard.com``. An explicit ``API_URL`` must then be a
  secuconnect host, and the system checks refuse the sandbox, the public credentials, ``IS_DEMO``
  and an ``http://`` ``SITE_URL`` (``checks.py``, docs: Going live).

``API_URL`` is the host root (the token endpoint is ``<API_URL>/oauth/token``, the API lives under
``<API_URL>/api/v2``); set it only to reach the sandbox somewhere else (tests) or a proxy.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from secu_marketplace.origin import rebase


class Environment(StrEnum):
    SANDBOX = "sandbox"
    TESTING = "testing"
    PRODUCTION = "production"


# secuconnect's own hosts; a production API_URL must end in one of SECUCONNECT_DOMAINS.
ENVIRONMENTS = {
    Environment.PRODUCTION: "https://connect.secucard.com",
    Environment.TESTING: "https://connect-testing.secuconnect.com",
}
SECUCONNECT_DOMAINS = ("secucard.com", "secuconnect.com")
REGULAR_CHECKOUT_TEMPLATE = "COT_WD0DE66HN2XWJHW8JM88003YG0NEA2"

# The provider guide's public client and contracts. The bundled sandbox knows them; secuconnect's
# production never accepts them, and a production setting that names one is refused (checks.py).
PUBLIC_CLIENT_ID = "00563697073442633035025909838580"
PUBLIC_CLIENT_SECRET = "3382456441636938321687549172178382320163695870914358804052148567"  # noqa: S105
PUBLIC_CONTRACT_ID = "GCR_2MNKTWOFO6FPYI2DW7AM1LK21P1HJ2"
PUBLIC_PROVIDER_CONTRACT_ID = "GCR_QP49BFHYYKVAQBFWGE5VBBUUJEQ2P8"
PUBLIC_SUPPLIER_CONTRACT_IDS = frozenset(
    {
        "GCR_FN6CUOWY6VJKDHY0VIPHFM9344NKX7",
        "GCR_G8GOXJU27Z4JO9XONAH8ANLSF9OO30",
        "GCR_HB3WQ7KT5ZP2M9DX4RCE1LVN8SJ6YA",
    }
)
PUBLIC_CONTRACT_IDS = frozenset(
    {PUBLIC_CONTRACT_ID, PUBLIC_PROVIDER_CONTRACT_ID, *PUBLIC_SUPPLIER_CONTRACT_IDS}
)
# What an empty setting means with ENVIRONMENT "sandbox".
SANDBOX_DEFAULTS = {
    "CLIENT_ID": PUBLIC_CLIENT_ID,
    "CLIENT_SECRET": PUBLIC_CLIENT_SECRET,
    "CONTRACT_ID": PUBLIC_CONTRACT_ID,
}


class UnapprovedPolicy(StrEnum):
    """``UNAPPROVED_SUPPLIERS``: what a checkout does with a supplier whose contract secupay has
    not approved yet (services/supplier_contracts.py)."""

    REFUSE = "refuse"
    ALLOW = "allow"


DEFAULTS: dict[str, Any] = {
    "ENVIRONMENT": Environment.TESTING,
    # The host root, only to reach a sandbox elsewhere (tests) or a proxy; see the docstring.
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
    # A deliberate demo: the bundled sandbox may serve with DEBUG off (the go-live checks are
    # warnings then, and every sandbox page says it is a demo). Never with ENVIRONMENT production.
    "DEMO_DEPLOYMENT": False,
    # A burst of pushes for one attempt costs at most one read at secuconnect per this many
    # seconds (services/pushes.py); and an attempt keeps at most PUSH_INBOX_LIMIT inbox rows.
    "PUSH_READ_INTERVAL": 2.0,
    "PUSH_INBOX_LIMIT": 200,
    # How many days an order may wait for the buyer's money, per payment method, before it
    # expires: cancelled at secuconnect and here (services/expiry.py, run by secu_sync and the
    # reconcile task). "prepaid": from when the transfer is awaited; "invoice": an invoice
    # secupay accepted and nothing of which shipped. None or 0: never.
    "EXPIRE_UNPAID_AFTER_DAYS": {"prepaid": 14, "invoice": None},
    # The buyer is reminded (the order_payment_reminder signal) this many days before the
    # deadline; 0: no reminder.
    "EXPIRY_REMINDER_DAYS": 3,
    # The return URLs (url_success/error/abort) work this many seconds after the checkout began;
    # the order's status page (its public token) is the link for later visits.
    "RETURN_LINK_MAX_AGE": 7 * 24 * 3600,
    # The books (docs/books.md). Ask secuconnect to hold the suppliers' money (accrual) until
    # each part has shipped and HOLD_DAYS have passed without a refund or dispute; a
    # supplier's own "hold" and "hold_days" win over these.
    "HOLD_UNTIL_SHIPPED": False,
    "HOLD_DAYS": 14,
    # Erase the buyer's personal data from orders placed this many days ago (None: never by
    # itself; staff and manage.py secu_erase still can). Amounts, ids and dates stay.
    "ERASE_BUYERS_AFTER_DAYS": None,
    # Dotted path of a callable(emails, orders, dry_run) -> list[str] that erases the shop's own
    # copies of the buyer's data and says what it changed (or would).
    "ERASURE_HOOK": None,
    # The DATEV export's header and accounts (services/exports.py); a tax adviser must confirm.
    "DATEV": {},
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
        value = self._user().get(name, DEFAULTS[name])
        if not value and name in SANDBOX_DEFAULTS and self._environment() == Environment.SANDBOX:
            return SANDBOX_DEFAULTS[name]
        return value

    def _environment(self) -> Environment | None:
        try:
            return Environment(self._user().get("ENVIRONMENT", DEFAULTS["ENVIRONMENT"]))
        except ValueError:
            return None

    @property
    def environment(self) -> Environment:
        found = self._environment()
        if found is None:
            raise ImproperlyConfigured(
                "SECU_MARKETPLACE['ENVIRONMENT'] must be one of "
                + ", ".join(repr(str(e)) for e in Environment)
            )
        return found

    @property
    def api_url(self) -> str:
        """The host root, without a trailing slash: ``API_URL`` if set, else the
        environment's host (the sandbox: ``SITE_URL`` + where its URLs are mounted)."""
        url = self._user().get("API_URL")
        if url:
            # In development, on the bundled sandbox, the server the request came to (served.py).
            return rebase(str(url).rstrip("/"))
        env = self.environment
        if env == Environment.SANDBOX:
            return self.site_url + sandbox_mount()
        return ENVIRONMENTS[env]

    @property
    def timeouts(self) -> tuple[float, float]:
        return (float(self.CONNECT_TIMEOUT), float(self.READ_TIMEOUT))

    @property
    def landing_window(self) -> float:
        """Seconds after a write was sent during which it may still be executed."""
        return sum(self.timeouts) + float(self.LOST_CREATE_MARGIN)

    @property
    def site_url(self) -> str:
        return rebase(str(self.SITE_URL or "").rstrip("/"))


def sandbox_mount() -> str:
    """Where the bundled sandbox's URLs are mounted (``/sandbox``), or ImproperlyConfigured."""
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse("secu_sandbox:home").rstrip("/")
    except NoReverseMatch:
        raise ImproperlyConfigured(
            "SECU_MARKETPLACE['ENVIRONMENT'] is 'sandbox' but the sandbox is not mounted: add "
            "'secu_marketplace.sandbox' to INSTALLED_APPS and "
            'path("sandbox/", include("secu_marketplace.sandbox.urls")) to your urls.py'
        ) from None


def is_secuconnect_host(url: str) -> bool:
    """Whether ``url`` is https on one of secuconnect's own domains."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return parts.scheme == "https" and any(
        host == domain or host.endswith("." + domain) for domain in SECUCONNECT_DOMAINS
    )


app_settings = AppSettings()
