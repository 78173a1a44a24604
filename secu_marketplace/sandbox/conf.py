"""The sandbox's own setting, ``SECU_SANDBOX``, read on every access (override_settings works),
and its *switches*: the answers nothing public decides (docs/provider.md, "Undecided").

A switch has a default in ``DEFAULTS`` (overridable in ``SECU_SANDBOX``) and can be changed at
run time (``control.set_switch``, ``POST <mount>/control/switches``). A run-time value is stored
in the database (``SandboxState``), so every process sees it, and wins over the setting.

The switches, each undecided by public evidence:

- ``CANCEL_STATUS``: the Smart Transaction status once its payment is voided in full through
  ``POST /Payment/Transactions/{id}/cancel``: "cancelled" (default) or "failed". ``/cancel`` on
  the Smart Transaction itself is decided: it answers "cancelled" (DEMO-M
  ``src/migrate/cancel_order.php`` checks ``getStatus() === 'cancelled'``), whatever this says.
- ``ABORT_STATUS``: the status after ``/abort``: "cancelled" (default) or "failed". Whichever it
  shows, an aborted Smart Transaction can no longer be paid (JAVA-SDK: "abandons").
- ``UNKNOWN_ID``: the answer for a Smart or Payment Transaction id the client cannot see: "404"
  ProductNotFoundException (default) or "403" ProductNotAllowedException (with the sandbox's own
  code, see ``errors.py``, never 2003, which means "token").
- ``SUB_PUSHES``: whether sub-transactions get pushes of their own (default True) or only the
  leading transaction and refunds are pushed (DOC:Push_Notifications_for_Payments speaks of the
  original transaction "to receive push messages for the entire payment").
- ``QUERY_SPELLING``: how ``GET /Smart/Transactions?q=`` names the merchant reference:
  "merchantRef" (default), "merchant_ref" or "both"; the other spelling is an unsupported term.
- ``METHOD_NAMES``: the names the deprecated ``GET /Payment/Contracts/{id}/paymentMethods``
  answers (JAVA-D marks it deprecated; nothing public shows its answer): "smart" (default, the
  Smart Checkout keys: ``prepaid``, ``creditcard`` ...) or "general" (the names its successor
  ``POST /General/Contracts/{id}/getAvailablePaymentMethods`` was recorded answering:
  ``Prepay``, ``Creditcard`` ...; DEMO-M ``src/migrate/get_payment_methods.php``). The successor
  always answers the General Contracts names.
- ``CHARGEBACK_PARTS``: whether a chargeback or returned debit on a leading transaction marks
  its sub-transactions with simple status 4 as well (default True) or the leading one alone
  (``disputes.py``). Naming a sub-transaction marks that part alone either way.
- ``CANCEL_PAID``: ``/cancel`` on a Smart Transaction whose buyer has paid: "refuse" it (409,
  default: refunds go through the Payment Transactions) or "refund" every paid part and cancel
  the Smart Transaction (``smart_actions.py``).
- ``CONTRACT_CREATED``: what a contract's ``created`` says in ``GET /Payment/Contracts`` and
  ``GET /Payment/Contracts/{id}``: "created" (default, when the contract was made) or "read"
  (the moment of the answer, as every contract in the recorded list and the recorded single
  read shows: RUBY-C ``contract_index``, ``contract_show``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from secu_marketplace.sandbox import state

# The header a control API request carries SECU_SANDBOX["CONTROL_TOKEN"] in (views/control.py).
CONTROL_HEADER = "X-Sandbox-Control-Token"

DEFAULTS: dict[str, Any] = {
    # How pushes reach ``url_push``: "background" (a thread of this process, after commit),
    # "manual" (stored; tests and ``sandbox_deliver_pushes`` send them) or "off" (never stored).
    "PUSH_MODE": "background",
    # A push is re-sent until it gets 200 for this many seconds of sandbox time, then given up
    # (DOC:Push_Notifications_for_Payments: 24 h; another page says 48 h).
    "PUSH_RETRY_FOR": 24 * 3600,
    # An optional cap on attempts as well (None: only the window counts, as secuconnect does).
    "PUSH_MAX_ATTEMPTS": None,
    # Retry n waits PUSH_BACKOFF_BASE * 2**(n-1) seconds, at most PUSH_BACKOFF_MAX.
    "PUSH_BACKOFF_BASE": 2.0,
    "PUSH_BACKOFF_MAX": 600.0,
    # An attempt without an answer in this many seconds has failed (DEMO test_push_service.php).
    "PUSH_TIMEOUT": 30.0,
    # Access tokens live this long unless the client row says otherwise (secuconnect: 1200 s).
    "TOKEN_LIFETIME": 1200,
    # A Smart Transaction still "created" after this many seconds can no longer be paid.
    "CHECKOUT_TTL": 24 * 3600,
    # "settle": refunds are executed at once (refund transaction accepted);
    # "pending": they wait for TestChangedPaymentStatus, like a refund the bank has not booked yet.
    "REFUNDS": "settle",
    # The control API (faults, call log, token expiry, clock, switches) under <mount>/control/:
    # off with False; otherwise it answers only in DEBUG, or to requests that carry
    # CONTROL_TOKEN in the X-Sandbox-Control-Token header (required on every call once set).
    "CONTROL_API": True,
    "CONTROL_TOKEN": None,
    # The switches (see above).
    "CANCEL_STATUS": "cancelled",
    "ABORT_STATUS": "cancelled",
    "UNKNOWN_ID": "404",
    "SUB_PUSHES": True,
    "QUERY_SPELLING": "merchantRef",
    "METHOD_NAMES": "smart",
    "CONTRACT_CREATED": "created",
    "CHARGEBACK_PARTS": True,
    "CANCEL_PAID": "refuse",
}

# The values each switch may take.
SWITCHES: dict[str, tuple[Any, ...]] = {
    "CANCEL_STATUS": ("cancelled", "failed"),
    "ABORT_STATUS": ("cancelled", "failed"),
    "UNKNOWN_ID": ("404", "403"),
    "SUB_PUSHES": (True, False),
    "QUERY_SPELLING": ("merchantRef", "merchant_ref", "both"),
    "METHOD_NAMES": ("smart", "general"),
    "CONTRACT_CREATED": ("created", "read"),
    "CHARGEBACK_PARTS": (True, False),
    "CANCEL_PAID": ("refuse", "refund"),
}
BOOLEAN_SWITCHES = ("SUB_PUSHES", "CHARGEBACK_PARTS")
# The SandboxState rows of the run-time overrides start with this (named in ``state.py``, which
# caches them).
SWITCH_PREFIX = state.SWITCH_PREFIX


def get(name: str) -> Any:
    user = getattr(settings, "SECU_SANDBOX", {}) or {}
    if name not in DEFAULTS:
        raise KeyError(f"unknown SECU_SANDBOX setting {name!r}")
    return user.get(name, DEFAULTS[name])


def check_switch(name: str, value: Any) -> Any:
    """The value in its canonical form (403 → "403"), or ValueError."""
    if name not in SWITCHES:
        raise ValueError(f"unknown switch {name!r}; known: {', '.join(SWITCHES)}")
    if name == "UNKNOWN_ID" and isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if value not in SWITCHES[name] or (name in BOOLEAN_SWITCHES) != isinstance(value, bool):
        allowed = ", ".join(repr(v) for v in SWITCHES[name])
        raise ValueError(f"switch {name} must be one of {allowed}, got {value!r}")
    return value


def switch(name: str) -> Any:
    """A switch's current value: the run-time override if one is set, else the setting."""
    overrides = state.current().switches
    if name in overrides:
        return overrides[name]
    return check_switch(name, get(name))


def set_switch(name: str, value: Any) -> Any:
    from secu_marketplace.sandbox.models import SandboxState

    value = check_switch(name, value)
    SandboxState.objects.update_or_create(name=SWITCH_PREFIX + name, defaults={"value": value})
    return value


def reset_switches(name: str | None = None) -> None:
    from secu_marketplace.sandbox.models import SandboxState

    rows = SandboxState.objects.filter(name__startswith=SWITCH_PREFIX)
    if name is not None:
        if name not in SWITCHES:
            raise ValueError(f"unknown switch {name!r}; known: {', '.join(SWITCHES)}")
        rows = rows.filter(name=SWITCH_PREFIX + name)
    rows.delete()


def switches() -> dict[str, Any]:
    return {name: switch(name) for name in SWITCHES}
